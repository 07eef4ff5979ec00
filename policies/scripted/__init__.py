"""Scripted baselines: one script per task, built from the skills in ``skills.py``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from humanoid_bench.policies.scripted.skills import SkillContext, SkillGen

from humanoid_bench.errors import ConfigError

#: task config name -> "module:function" of its script (imported when a policy is built)
SCRIPTS: dict[str, str] = {
    "part_picking": "humanoid_bench.policies.scripted.part_picking:part_picking_script",
    "carrying": "humanoid_bench.policies.scripted.carrying:carrying_script",
    "machine_tending": "humanoid_bench.policies.scripted.machine_tending:machine_tending_script",
    "conveyor_sorting": "humanoid_bench.policies.scripted.conveyor_sorting:conveyor_sorting_script",
    "palletizing": "humanoid_bench.policies.scripted.palletizing:palletizing_script",
    "shelf_restocking": "humanoid_bench.policies.scripted.shelf_restocking:shelf_restocking_script",
}


def load_script(task: str) -> Callable[[SkillContext], SkillGen]:
    module, _, attr = SCRIPTS[task].partition(":")
    return getattr(importlib.import_module(module), attr)


class ScriptedPolicy:
    """The scripted baseline for the env's task; acts through the env's action space only."""

    name = "scripted"

    def __init__(self, env: gym.Env) -> None:
        task = getattr(env.unwrapped, "task_name", None)
        if task not in SCRIPTS:
            raise ConfigError(f"no scripted baseline for task {task!r}; scripted tasks: {', '.join(SCRIPTS)}")
        if getattr(env.unwrapped.controller, "mode", None) != "ee_delta_pose":
            raise ConfigError("the scripted baselines need control_mode=ee_delta_pose")
        spec = env.unwrapped.robot.spec
        if not any(ee.gripper for ee in spec.end_effectors.values()):
            raise ConfigError(f"robot {spec.name!r} has no gripper on any end effector, so the scripted "
                              "baselines cannot grasp; map the hand's finger joints to a gripper in its YAML")
        self._script = load_script(task)
        self.ctx = SkillContext(env)
        self._gen: SkillGen | None = None

    def reset(self, seed: int | None = None) -> None:
        self.ctx.gripper_cmd = {g: -1.0 for g in self.ctx.gripper_cmd}
        self._gen = None

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        self.ctx.obs = observation
        self.ctx.info = info
        if self._gen is None:
            self._gen = self._script(self.ctx)
        try:
            return next(self._gen)
        except StopIteration:
            self._gen = None
            return self.ctx.blank()
