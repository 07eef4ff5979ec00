"""Carrying env: the bimanual scripted baseline (the API contract is in test_task_contract.py)."""

from __future__ import annotations

import gymnasium as gym
from scripted_run import held_in_the_air, scripted_steps

import humanoid_bench  # noqa: F401

ENV_ID = "humanoid_bench/Carrying-v0"


def test_scripted_carries_a_tote_with_both_hands():
    e = gym.make(ENV_ID, difficulty="easy")
    u = e.unwrapped
    try:
        airborne_by_fingers, events = 0, []
        for _, info in scripted_steps(e, 0):
            events += info["safety_events"]
            tote = u.totes[0]
            if u.world.client.getBasePositionAndOrientation(tote)[0][2] > 0.9 and held_in_the_air(u, tote, 4):
                airborne_by_fingers += 1  # off the racks, touching only the robot, all four fingers on it
        assert info["end_reason"] == "success", info
        assert airborne_by_fingers > 150  # carried through the aisle (> 5 s), held by friction
        assert not [ev for ev in events if ev["severity"] != "minor"]
    finally:
        e.close()
