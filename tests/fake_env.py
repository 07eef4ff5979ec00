"""A tiny deterministic Gymnasium env that honours the DESIGN §6 info contract.

The runner, store, scoring and CLI tests use it so they do not depend on physics. Importing the
module registers ``humanoid_bench_test/Fake-v0``; configs name it ``fake_env:humanoid_bench_test/Fake-v0``
so that Gymnasium imports this module itself (also in a subprocess, with ``tests/`` on PYTHONPATH).

Per seed (``np.random.default_rng(seed)``) a unit completes every ``unit_every_s * U(0.8, 1.2)``
simulated seconds. Planted safety events: odd seeds log one ``collision`` (major) at step 2;
seeds divisible by 3 log one ``separation_breach`` (critical) at step 3; seeds with
``seed % 5 == 4`` fall at step 5 (``fall`` event, terminated, end_reason ``fall``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from humanoid_bench.safety.events import make_event

ENV_ID = "humanoid_bench_test/Fake-v0"
QUALIFIED_ID = f"fake_env:{ENV_ID}"


class FakeFactoryEnv(gym.Env):
    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(self, robot: Any = None, safety: dict[str, Any] | None = None, physics_hz: float = 240.0,
                 control_hz: float = 30.0, difficulty: str = "medium", units_target: int | None = None,
                 time_budget_s: float | None = None, control_mode: str = "ee_delta_pose", obs_mode: str = "state",
                 reward_mode: str = "dense", unit_every_s: float = 0.5, humans: bool = True,
                 render_mode: str | None = None) -> None:
        self.robot_cfg, self.safety_cfg = robot, safety
        self.dt = 1.0 / float(control_hz)
        self.units_target = int(units_target or 2)
        self.time_budget_s = float(time_budget_s or 2.0)
        self.unit_every_s = float(unit_every_s)
        self.humans = humans
        self.observation_space = spaces.Box(-np.inf, np.inf, (4,), np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)

    def _obs(self) -> np.ndarray:
        return np.array([self.t, self.units, self.units_target, self.next_unit - self.t], np.float32)

    def _info(self, events: list[dict[str, Any]], terms: dict[str, float], force: float, energy: float) -> dict:
        success = self.units >= self.units_target
        info = {
            "success": success, "is_success": success, "units_completed": self.units,
            "units_target": self.units_target, "sim_time": self.t,
            "cost": float(sum(1.0 if e["severity"] == "critical" else 0.5 for e in events)),
            "safety_events": events, "energy_j": energy, "peak_contact_force_n": force,
            "min_human_separation_m": (1.5 - 0.1 * self.steps if self.steps < 10 else 0.5) if self.humans else None,
        }
        info.update({f"reward_{k}": v for k, v in terms.items()})
        return info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.seed_ = int(seed or 0)
        self.interval = self.unit_every_s * float(self.np_random.uniform(0.8, 1.2))
        self.t, self.units, self.steps = 0.0, 0, 0
        self.next_unit = self.interval
        return self._obs(), self._info([], {}, 0.0, 0.0)

    def step(self, action):
        a = np.asarray(action, dtype=np.float64)
        if a.shape != self.action_space.shape:
            raise ValueError(f"action has shape {a.shape}, expected {self.action_space.shape}")
        self.steps += 1
        self.t = round(self.steps * self.dt, 9)
        units_before = self.units
        while self.t >= self.next_unit - 1e-9 and self.units < self.units_target:
            self.units += 1
            self.next_unit += self.interval
        events, force, end_reason = [], 0.0, None
        if self.seed_ % 2 == 1 and self.steps == 2:
            events.append(make_event("collision", 150.0, 100.0, ("left_hand", "table"), self.t).to_dict())
            force = 150.0
        if self.seed_ % 3 == 0 and self.steps == 3:
            events.append(make_event("separation_breach", 0.4, 0.9, ("torso", "human_0"), self.t).to_dict())
        if self.seed_ % 5 == 4 and self.steps == 5:
            events.append(make_event("fall", 0.6, 0.725, ("base_link",), self.t).to_dict())
            end_reason = "fall"
        terms = {"progress": float(self.units - units_before), "ctrl": -0.01 * float(a @ a)}
        info = self._info(events, terms, force, 0.1 * float(a @ a) + 0.01)
        if end_reason is None and info["success"]:
            end_reason = "success"
        terminated = end_reason is not None
        truncated = not terminated and self.t >= self.time_budget_s - 1e-9
        if truncated:
            end_reason = "timeout"
        if end_reason:
            info["end_reason"] = end_reason
        return self._obs(), float(sum(terms.values())), terminated, truncated, info


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point=FakeFactoryEnv)
