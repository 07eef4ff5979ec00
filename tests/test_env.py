"""PartPicking env: API contract, spaces, reward terms, determinism, bad input."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import humanoid_bench  # noqa: F401  (registers the ids)
from humanoid_bench.errors import ConfigError

ENV_ID = "humanoid_bench/PartPicking-v0"
INFO_KEYS = {"success", "is_success", "units_completed", "units_target", "sim_time", "cost",
             "safety_events", "energy_j", "peak_contact_force_n", "min_human_separation_m"}


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID)
    yield e
    e.close()


def test_gymnasium_check_env(env):
    from gymnasium.utils.env_checker import check_env

    check_env(env.unwrapped, skip_render_check=True)


def test_sb3_check_env():
    from stable_baselines3.common.env_checker import check_env

    e = gym.make(ENV_ID).unwrapped
    try:
        check_env(e, warn=False)
    finally:
        e.close()


def test_spaces_and_layouts(env):
    u = env.unwrapped
    assert env.action_space.shape == (19,)  # base 3, torso 2, per arm: EE 6 + gripper 1
    assert env.action_space.low.min() == -1.0 and env.action_space.high.max() == 1.0
    assert sum(s.stop - s.start for s in u.action_layout.values()) == 19
    assert u.action_layout["torso"] == slice(3, 5)
    obs, info = env.reset(seed=0)
    assert obs.dtype == np.float32 and obs.shape == env.observation_space.shape
    assert max(s.stop for s in u.obs_layout.values()) == obs.shape[0]
    assert obs[u.obs_layout["part_pos"]].shape == (12,)
    assert INFO_KEYS <= set(info)


def test_step_info_and_reward_sum(env):
    env.reset(seed=1)
    rng = np.random.default_rng(0)
    for _ in range(20):
        obs, reward, _, _, info = env.step(rng.uniform(-1, 1, 19).astype(np.float32))
        assert INFO_KEYS <= set(info)
        terms = {k: v for k, v in info.items() if k.startswith("reward_")}
        assert set(terms) == {"reward_reach", "reward_grasp", "reward_place", "reward_units", "reward_action"}
        assert reward == pytest.approx(sum(terms.values()))
        assert info["sim_time"] > 0 and np.isfinite(obs).all()
    assert info["sim_time"] == pytest.approx(20 / 30)


def _rollout(env, seed: int, steps: int = 40):
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    out = [obs]
    for _ in range(steps):
        obs, r, *_ = env.step(rng.uniform(-1, 1, 19).astype(np.float32))
        out.append(obs)
        out.append(np.array([r]))
    return np.concatenate(out)


def test_same_seed_same_trajectory_across_resets_and_envs(env):
    a = _rollout(env, 3)
    _rollout(env, 4)  # another episode in between must not leak into the next
    b = _rollout(env, 3)
    other = gym.make(ENV_ID)
    c = _rollout(other, 3)
    other.close()
    assert np.array_equal(a, b) and np.array_equal(a, c)
    assert not np.array_equal(a, _rollout(env, 5))


def test_a_used_env_rebuilds_its_world_in_the_same_client():
    """fresh_reset (the default): every reset but the first rebuilds the simulation, so nothing an
    episode left in the physics engine reaches the next one; handles held by callers stay valid."""
    for fresh in (True, False):
        e = gym.make(ENV_ID, fresh_reset=fresh)
        try:
            u = e.unwrapped
            e.reset(seed=0)
            client, world, space, robot = u.world.client, u.world, e.action_space, u.robot.body
            n = client.getNumBodies()
            # a change restoreState does not undo: only a rebuilt world forgets it
            client.changeDynamics(u.world.floor, -1, lateralFriction=0.3)
            e.reset(seed=0)
            assert u.world is world and u.world.client is client and client.isConnected()
            assert e.action_space is space and u.robot.body == robot and client.getNumBodies() == n
            assert client.getDynamicsInfo(u.world.floor, -1)[1] == pytest.approx(0.9 if fresh else 0.3)
        finally:
            e.close()


def test_fresh_reset_must_be_a_bool():
    with pytest.raises(ConfigError, match="fresh_reset"):
        gym.make(ENV_ID, fresh_reset="yes")


def test_randomization_changes_parts(env):
    u = env.unwrapped
    p0 = env.reset(seed=0)[0][u.obs_layout["part_pos"]]
    p1 = env.reset(seed=1)[0][u.obs_layout["part_pos"]]
    assert not np.allclose(p0, p1)


def test_bad_actions_raise_value_error(env):
    env.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(5))
    bad = np.zeros(19)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        env.step(bad)


def test_sparse_reward_and_dict_obs():
    e = gym.make(ENV_ID, reward_mode="sparse", obs_mode="dict")
    try:
        obs, _ = e.reset(seed=0)
        assert isinstance(obs, dict) and "part_pos" in obs
        assert e.observation_space.contains(obs)
        _, r, _, _, info = e.step(np.zeros(19, np.float32))
        assert r == 0.0 and info["reward_units"] == 0.0
    finally:
        e.close()


@pytest.mark.parametrize("kwargs, match", [
    ({"difficulty": "extreme"}, "difficulty"),
    ({"control_mode": "torque"}, "control_mode"),
    ({"obs_mode": "pixels"}, "obs_mode"),
    ({"units_target": 9}, "at most"),
    ({"physics_hz": 250, "control_hz": 30}, "whole multiple"),
    ({"safety": {"colision_force_n": 1}}, "unknown key"),
])
def test_bad_config_names_the_problem(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        gym.make(ENV_ID, **kwargs)


@pytest.mark.parametrize("mode, dim", [("joint_position", 3 + 18 + 2), ("joint_delta", 3 + 18 + 2)])
def test_joint_control_modes(mode, dim):
    e = gym.make(ENV_ID, control_mode=mode)
    try:
        assert e.action_space.shape == (dim,)
        e.reset(seed=0)
        obs, *_ = e.step(np.zeros(dim, np.float32))
        assert np.isfinite(obs).all()
    finally:
        e.close()


def test_render_rgb_array():
    e = gym.make(ENV_ID, render_mode="rgb_array")
    try:
        e.reset(seed=0)
        img = e.render()
        assert img.shape == (240, 320, 3) and img.dtype == np.uint8 and img.std() > 5
    finally:
        e.close()


def test_import_does_not_load_torch_or_pybullet():
    import subprocess
    import sys

    code = "import sys, humanoid_bench; print('torch' in sys.modules, 'pybullet' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.fixture()
def open_env():
    """An env with nothing in front of the robot's hands (the shelf stands 0.6 m ahead)."""
    e = gym.make("humanoid_bench/ShelfRestocking-v0")
    yield e
    e.close()


def test_torso_action_lowers_the_torso_while_the_hand_holds_its_target(open_env):
    """The torso slice of ee_delta_pose: end-effector targets are in the base frame, so the arm's IK
    is solved again for the torso's new posture and the hand stays where it was commanded."""
    from humanoid_bench.policies.scripted.skills import (
        SkillContext,
        front_tool,
        move_to,
        move_torso,
    )

    env = open_env
    obs, info = env.reset(seed=0)
    ctx = SkillContext(env)
    u = env.unwrapped
    assert ctx.torso_joints == ["torso_lift", "torso_pitch"]

    def play(skill) -> bool:
        nonlocal obs, info
        ctx.obs, ctx.info = obs, info
        try:
            action = next(skill)
            while True:
                obs, _, _, _, info = env.step(action)
                ctx.obs, ctx.info = obs, info
                action = skill.send(None)
        except StopIteration as done:
            return bool(done.value)

    goal = np.array([0.45, 0.27, 0.85])
    assert play(move_to(ctx, "left", goal, front_tool(), tol=0.01))
    assert play(move_torso(ctx, [0.0, 0.2]))  # lift 22 cm down, lean forward
    for _ in range(10):
        obs, _, _, _, info = env.step(ctx.blank())
    lift, pitch = u.robot.positions(["torso_lift", "torso_pitch"])
    assert lift < 0.015 and abs(pitch - 0.2) < 0.015
    hand, _ = u.controller.measured_ee("left")
    assert np.linalg.norm(hand - goal) < 0.01  # the arm took up the 22 cm
    assert np.allclose(obs[u.obs_layout["torso_target"]], [0.0, 0.2], atol=1e-6)
