"""The fall rule (DESIGN §6) on the legged reference robot: a collapse is a critical fall event."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

import humanoid_bench  # noqa: F401


def test_collapsing_biped_records_a_fall_and_ends_the_episode():
    env = gym.make("humanoid_bench/PartPicking-v0", robot="biped_humanoid", control_mode="joint_position")
    try:
        env.reset(seed=0)
        events, info = [], {}
        for _ in range(150):  # every joint driven to its lower limit: the legs fold
            _, _, terminated, truncated, info = env.step(-np.ones(env.action_space.shape, np.float32))
            events += info["safety_events"]
            if terminated or truncated:
                break
    finally:
        env.close()
    falls = [e for e in events if e["type"] == "fall"]
    assert len(falls) == 1 and falls[0]["severity"] == "critical"
    assert falls[0]["value"] > falls[0]["limit"] or falls[0]["bodies"][1] == "base_height"
    assert info["end_reason"] == "fall"


def test_wheeled_robot_never_falls_in_a_clean_run():
    env = gym.make("humanoid_bench/PartPicking-v0")
    try:
        env.reset(seed=0)
        for _ in range(30):
            _, _, _, _, info = env.step(np.zeros(env.action_space.shape, np.float32))
            assert not [e for e in info["safety_events"] if e["type"] == "fall"]
    finally:
        env.close()
