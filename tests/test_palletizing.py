"""Palletizing env: API contract, reward terms, determinism, infeed, bad input, and the scripted baseline."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import yaml
from scripted_run import held_in_the_air, scripted_steps

import humanoid_bench  # noqa: F401
from humanoid_bench.errors import ConfigError
from humanoid_bench.paths import conf_dir

ENV_ID = "humanoid_bench/Palletizing-v0"


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID, difficulty="easy")
    yield e
    e.close()


def test_one_case_at_a_time_and_info_keys(env):
    u = env.unwrapped
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert list(u._arrived) == [True, False]  # the second case waits until the first is taken
    for _ in range(10):
        obs, _, _, _, info = env.step(np.zeros(env.action_space.shape, np.float32))
    assert list(u._arrived) == [True, False]
    for key in ("success", "is_success", "units_completed", "units_target", "sim_time", "cost", "safety_events"):
        assert key in info
    assert info["units_target"] == 2 and info["units_completed"] == 0


def test_bad_input_is_one_config_error():
    with pytest.raises(ConfigError, match="difficulty"):
        gym.make(ENV_ID, difficulty="extreme")
    with pytest.raises(ConfigError, match="units_target"):
        gym.make(ENV_ID, difficulty="easy", units_target=3)
    with pytest.raises(ConfigError, match="unit_target"):
        gym.make(ENV_ID, unit_target=3)


def test_scripted_stacks_a_case_by_friction_grasp():
    e = gym.make(ENV_ID, difficulty="medium", units_target=1)
    u = e.unwrapped
    try:
        airborne, events = 0, []
        for _, info in scripted_steps(e, 0):
            events += info["safety_events"]
            airborne += held_in_the_air(u, u.cases[0])  # off the conveyor and the pallet, on the finger pads
        assert info["end_reason"] == "success", info
        assert info["units_completed"] == 1
        assert airborne > 60  # lifted and carried across (> 2 s), held by friction
        assert not [ev for ev in events if ev["severity"] != "minor"]
    finally:
        e.close()


def test_coworkers_site_runs_clear_of_the_cell():
    """Co-workers walk their aisle and visit; the scripted episode still succeeds and nobody is touched."""
    site = yaml.safe_load((conf_dir() / "site" / "coworkers.yaml").read_text())
    e = gym.make(ENV_ID, difficulty="easy", units_target=1, site=site, safety={"speed_scaling": True})
    try:
        events, seps = [], []
        for _, info in scripted_steps(e, 1):
            events += info["safety_events"]
            seps.append(info["min_human_separation_m"])
        assert info["end_reason"] == "success", info
        assert not {ev["type"] for ev in events} & {"contact_force", "head_contact", "collision"}, events
        assert min(seps) < 2.0  # people did come near the cell
    finally:
        e.close()
