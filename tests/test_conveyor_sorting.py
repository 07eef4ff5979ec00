"""ConveyorSorting env: API contract, reward terms, determinism, the belt, scoring, and the scripted baseline."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from scripted_run import held_in_the_air, scripted_steps

import humanoid_bench  # noqa: F401
from humanoid_bench.errors import ConfigError

ENV_ID = "humanoid_bench/ConveyorSorting-v0"


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID, difficulty="easy", units_target=2, belt_speed_mps=0.25, arrival_period_s=1.0)
    yield e
    e.close()


def test_belt_carries_parts_and_an_unsorted_part_is_missed(env):
    u = env.unwrapped
    env.reset(seed=0)
    zero = np.zeros(env.action_space.shape, np.float32)
    speeds, events = [], []
    while True:
        _, _, term, trunc, info = env.step(zero)
        events += info["safety_events"]
        vel = np.array([u.world.client.getBaseVelocity(b)[0] for b in u.parts])
        pos = np.array([u.world.client.getBasePositionAndOrientation(b)[0] for b in u.parts])
        on_belt = (pos[:, 2] > u.belt_top) & (pos[:, 1] > u.belt_y[1] + 0.05)
        speeds += list(vel[on_belt & (np.abs(pos[:, 1] - u.belt_y[0]) > 0.05), 1])
        if term or trunc:
            break
    assert speeds and np.allclose(speeds, -0.25, atol=1e-6)  # the belt's speed, exactly
    assert info["end_reason"] == "missed" and info["missed"] >= 1 and info["sorted_fraction"] == 0.0
    assert not [e for e in events if e["type"] == "payload_drop"]  # the chute lets missed parts down gently


def test_part_in_the_wrong_tray_is_missorted():
    e = gym.make(ENV_ID, difficulty="easy", units_target=1)
    try:
        u = e.unwrapped
        e.reset(seed=1)
        zero = np.zeros(e.action_space.shape, np.float32)
        while not u.arrived_count:
            e.step(zero)
        wrong = u.bins[(u.types[0] + 1) % 3]
        u.world.client.resetBasePositionAndOrientation(u.parts[0], (wrong[0], wrong[1], wrong[2] + 0.03), (0, 0, 0, 1))
        for _ in range(30):
            _, _, term, _, info = e.step(zero)
            if term:
                break
        assert info["missorted"] == 1 and info["units_completed"] == 0
        assert info["end_reason"] == "missorted"
    finally:
        e.close()


@pytest.mark.parametrize("kwargs, name", [
    ({"difficulty": "extreme"}, "difficulty"),
    ({"arrival_period_s": 0.0}, "arrival_period_s"),
    ({"belt_speed_mps": -1.0}, "belt_speed_mps"),
    ({"belt_speed": 0.1}, "belt_speed"),
    ({"units_target": 13}, "units_target"),
])
def test_bad_arguments_raise_config_error(kwargs, name):
    with pytest.raises(ConfigError, match=name):
        gym.make(ENV_ID, **kwargs)


def test_scripted_sorts_a_part_by_a_friction_grasp():
    e = gym.make(ENV_ID, difficulty="easy", units_target=2)
    u = e.unwrapped
    try:
        lifted_by_fingers, events = 0, []
        for _, info in scripted_steps(e, 0):
            events += info["safety_events"]
            for part in u.parts:
                z = u.world.client.getBasePositionAndOrientation(part)[0][2]
                lifted_by_fingers += z > u.belt_top + 0.05 and held_in_the_air(u, part)  # off the belt, in the fingers
        assert info["end_reason"] == "success", info
        assert info["units_completed"] == 2 and info["sorted_fraction"] == 1.0 and info["missed"] == 0
        assert lifted_by_fingers > 20
        assert not [ev for ev in events if ev["severity"] != "minor"]
    finally:
        e.close()
