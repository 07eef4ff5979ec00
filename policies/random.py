"""Uniform random actions from the env's action space, seeded."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from humanoid_bench.policies.base import BasePolicy


class RandomPolicy(BasePolicy):
    name = "random"

    def __init__(self, env: gym.Env, scale: float = 1.0) -> None:
        super().__init__(env)
        self.scale = float(scale)
        self._rng = np.random.default_rng(0)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        low, high = self.action_space.low, self.action_space.high
        a = self._rng.uniform(low, high).astype(self.action_space.dtype)
        return a * self.scale
