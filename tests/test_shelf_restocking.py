"""ShelfRestocking env: API contract, planogram and slot accounting, failures, the scripted baseline."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from humanoid_bench.envs.shelf_restocking import ITEMS, KINDS
from scripted_run import held_in_the_air, scripted_steps

import humanoid_bench  # noqa: F401
from humanoid_bench.errors import ConfigError

ENV_ID = "humanoid_bench/ShelfRestocking-v0"


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID)  # medium: three kinds of items
    yield e
    e.close()


def _still(env) -> np.ndarray:
    """Arms and base hold, grippers open."""
    a = np.zeros(env.action_space.shape, np.float32)
    for name, sl in env.unwrapped.action_layout.items():
        if name.endswith("_gripper"):
            a[sl] = -1.0
    return a


def test_planogram_has_a_slot_for_every_item_and_varies_with_the_seed():
    e = gym.make(ENV_ID, difficulty="hard")
    u = e.unwrapped
    try:
        plans = []
        for seed in range(4):
            obs, _ = e.reset(seed=seed)
            item_kind = obs[u.obs_layout["item_kind"]].reshape(-1, len(KINDS)).argmax(1)
            slot_kind = obs[u.obs_layout["slot_kind"]].reshape(-1, len(KINDS)).argmax(1)
            for k in range(len(KINDS)):
                assert np.sum(slot_kind == k) >= np.sum(item_kind == k)
            plans.append(tuple(slot_kind))
        assert len(set(plans)) > 1
        assert len(u.levels) == 4 and min(u.levels) < 0.3 and max(u.levels) > 1.4  # bottom and top shelf
    finally:
        e.close()


@pytest.mark.parametrize("difficulty, bottom_and_top", [("easy", False), ("medium", True), ("hard", True)])
def test_one_gap_per_item_and_the_bottom_and_top_shelf_at_medium_and_hard(difficulty, bottom_and_top):
    e = gym.make(ENV_ID, difficulty=difficulty)
    u = e.unwrapped
    try:
        for seed in range(5):
            obs, _ = e.reset(seed=seed)
            one_hot = obs[u.obs_layout["slot_kind"]].reshape(-1, len(KINDS))
            gaps = np.flatnonzero(one_hot.sum(1) > 0.5)  # stocked slots are all-zero rows
            assert len(gaps) == u.units_target
            item_kind = obs[u.obs_layout["item_kind"]].reshape(-1, len(KINDS)).argmax(1)
            assert sorted(one_hot[gaps].argmax(1)) == sorted(item_kind)
            levels = {int(u.slot_level[s]) for s in gaps}
            if bottom_and_top:
                assert {0, len(u.levels) - 1} <= levels
            else:
                assert levels <= {1, 2}
    finally:
        e.close()


def test_a_unit_is_an_item_at_rest_in_a_slot_of_its_kind(env):
    u = env.unwrapped
    c = u.world.client
    env.reset(seed=0)
    item = 0
    kind = KINDS.index(u.item_kinds[item])
    right = next(s for s in range(len(u.slots_xy)) if u.slot_kind[s] == kind)
    wrong = [s for s in range(len(u.slots_xy)) if u.slot_kind[s] != kind]
    half = ITEMS[u.item_kinds[item]].half_height
    assert wrong
    for slot, expected in [(right, 1), (wrong[0], 0)]:
        (x, y), z = u.slots_xy[slot], u.levels[u.slot_level[slot]]
        c.resetBasePositionAndOrientation(u.items[item], (x + 0.005, y - 0.005, z + half + 0.001), (0, 0, 0, 1))
        c.resetBaseVelocity(u.items[item], (0, 0, 0), (0, 0, 0))
        u.world.touch()
        for _ in range(8):
            _, _, _, _, info = env.step(_still(env))
        assert info["units_completed"] == expected, (slot, info)


def test_item_on_the_floor_ends_the_episode(env):
    u = env.unwrapped
    env.reset(seed=1)
    u.world.client.resetBasePositionAndOrientation(u.items[0], (1.5, 1.5, 0.1), (0, 0, 0, 1))
    u.world.touch()
    _, _, terminated, _, info = env.step(_still(env))
    assert terminated and info["end_reason"] == "item_dropped"


def test_bad_configuration_is_one_clear_error():
    with pytest.raises(ConfigError, match="difficulty"):
        gym.make(ENV_ID, difficulty="extreme")
    with pytest.raises(ConfigError, match="at most 6 units"):
        gym.make(ENV_ID, units_target=7)
    with pytest.raises(ConfigError, match="mobile base"):
        gym.make(ENV_ID, robot="torso_humanoid")


def test_scripted_shelves_an_item_by_friction_alone():
    e = gym.make(ENV_ID, difficulty="easy", units_target=1)
    u = e.unwrapped
    try:
        carried, events = 0, []
        for _, info in scripted_steps(e, 0):
            events += info["safety_events"]
            carried += held_in_the_air(u, u.items[0])  # off the tote and the shelf, held only by the fingers
        assert info["end_reason"] == "success", info
        assert carried > 30  # carried along the shelf for more than a second
        assert not [ev for ev in events if ev["severity"] != "minor"], events
        pos, _ = u.world.client.getBasePositionAndOrientation(u.items[0])
        assert pos[2] > min(u.levels) and pos[0] > u.shelf_front  # on a shelf board, inside the gondola
    finally:
        e.close()


def test_scripted_lowers_its_torso_to_stock_the_bottom_shelf():
    e = gym.make(ENV_ID, difficulty="medium", units_target=1)  # the one gap is on the bottom shelf
    u = e.unwrapped
    try:
        lowest_lift, events = 1.0, []
        for _, info in scripted_steps(e, 3):
            events += info["safety_events"]
            lowest_lift = min(lowest_lift, float(u.robot.positions(["torso_lift"])[0]))
        assert info["end_reason"] == "success", info
        pos, _ = u.world.client.getBasePositionAndOrientation(u.items[0])
        assert pos[2] < u.levels[1] and pos[0] > u.shelf_front  # on the bottom board, inside the gondola
        assert lowest_lift < 0.0  # below the lowest lift of the torso's old range
        assert not [ev for ev in events if ev["severity"] != "minor"], events
    finally:
        e.close()
