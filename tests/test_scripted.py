"""Scripted PartPicking baseline: succeeds on fixed seeds through physical friction grasps."""

from __future__ import annotations

import gymnasium as gym
import pytest
from humanoid_bench.envs.part_picking import TRAY_TOP
from humanoid_bench.policies.scripted import ScriptedPolicy
from scripted_run import fingers, scripted_steps

import humanoid_bench  # noqa: F401
from humanoid_bench.errors import ConfigError

ENV_ID = "humanoid_bench/PartPicking-v0"


@pytest.mark.parametrize("difficulty, seeds", [("medium", (0, 1, 2)), ("easy", (3,)), ("hard", (4,))])
def test_scripted_fills_the_tray_with_physical_grasps(difficulty, seeds):
    env = gym.make(ENV_ID, difficulty=difficulty)
    u = env.unwrapped
    client = u.world.client
    finger_links = fingers(u)
    try:
        for seed in seeds:
            carried_by_fingers_only = 0
            units_seen = [0]
            for _, info in scripted_steps(env, seed):
                for part in u.parts:
                    pos, _ = client.getBasePositionAndOrientation(part)
                    contacts = client.getContactPoints(bodyA=part)
                    if pos[2] > TRAY_TOP + 0.05 and contacts:
                        # held in the air: every contact is a finger of the robot
                        assert all(c[2] == u.robot.body and c[4] in finger_links for c in contacts)
                        carried_by_fingers_only += 1
                units_seen.append(info["units_completed"])
            assert info["end_reason"] == "success", (difficulty, seed, info)
            assert info["units_completed"] == u.units_target
            assert carried_by_fingers_only > 10 * u.units_target  # every unit was carried, not pushed
            assert max(units_seen) == u.units_target and info["sim_time"] < u.time_budget_s
    finally:
        env.close()


def test_scripted_needs_ee_control_mode():
    env = gym.make(ENV_ID, control_mode="joint_delta")
    try:
        with pytest.raises(ConfigError, match="ee_delta_pose"):
            ScriptedPolicy(env)
    finally:
        env.close()
