"""Carrying env: API contract, reward terms, determinism, and the bimanual scripted baseline."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from humanoid_bench.policies.scripted import ScriptedPolicy

import humanoid_bench  # noqa: F401

ENV_ID = "humanoid_bench/Carrying-v0"


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID)
    yield e
    e.close()


def test_check_env_gymnasium_and_sb3(env):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=False)


def test_reward_terms_sum_and_determinism(env):
    def rollout(seed):
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        out = [obs]
        for _ in range(15):
            obs, r, _, _, info = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
            terms = [v for k, v in info.items() if k.startswith("reward_")]
            assert r == pytest.approx(sum(terms)) and len(terms) == 5
            out += [obs, np.array([r])]
        return np.concatenate(out)

    assert np.array_equal(rollout(2), rollout(2))
    assert not np.array_equal(rollout(2), rollout(3))


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
