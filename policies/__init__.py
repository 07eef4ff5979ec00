"""Policies: scripted baselines, random, stable-baselines3 (optional extra)."""
