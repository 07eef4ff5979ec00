"""The policy interface (DESIGN §7).

A policy is any object with ``reset(seed)`` and ``act(observation, info) -> action``. Policies are
built by the runner with ``hydra.utils.instantiate(cfg.policy, env=env)``: the env is passed so a
policy can read spaces and layouts (``env.unwrapped.obs_layout`` / ``action_layout``); a policy
never calls the simulator.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np


@runtime_checkable
class Policy(Protocol):
    def reset(self, seed: int | None = None) -> None: ...

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray: ...


class BasePolicy:
    """Convenience base: stores the spaces; subclasses implement ``act``."""

    name = "base"

    def __init__(self, env: gym.Env) -> None:
        self.observation_space = env.observation_space
        self.action_space = env.action_space

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError
