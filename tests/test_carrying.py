"""Carrying env: the bimanual scripted baseline (the API contract is in test_task_contract.py)."""

from __future__ import annotations

import gymnasium as gym
from humanoid_bench.policies.scripted import ScriptedPolicy

import humanoid_bench  # noqa: F401

ENV_ID = "humanoid_bench/Carrying-v0"


def test_scripted_carries_a_tote_with_both_hands():
    e = gym.make(ENV_ID, difficulty="easy")
    u = e.unwrapped
    client = u.world.client
    policy = ScriptedPolicy(e)
    try:
        obs, info = e.reset(seed=0)
        policy.reset(0)
        airborne_by_fingers = 0
        fingers = {i for g in u.robot.spec.grippers for i in u.robot.gripper_links(g)}
        while True:
            obs, _, term, trunc, info = e.step(policy.act(obs, info))
            assert client.getNumConstraints() == 0
            tote = u.totes[0]
            pos, _ = client.getBasePositionAndOrientation(tote)
            contacts = client.getContactPoints(bodyA=tote)
            touching = {c[4] for c in contacts if c[2] == u.robot.body}
            if pos[2] > 0.9 and contacts and all(c[2] == u.robot.body for c in contacts) and len(touching & fingers) >= 4:
                airborne_by_fingers += 1  # off the racks, touching only the robot, all four fingers on it
            if term or trunc:
                break
        assert info["end_reason"] == "success", info
        assert airborne_by_fingers > 150  # carried through the aisle (> 5 s), held by friction
        assert not [ev for ev in info["safety_events"] if ev["severity"] != "minor"]
    finally:
        e.close()
