"""Gymnasium environments, one per factory task."""
