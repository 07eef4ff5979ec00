"""A stable-baselines3 checkpoint as a policy (``conf/policy/sb3.yaml``).

torch and stable_baselines3 are imported in ``__init__`` only, so importing this module (or the
runner that instantiates it by name) stays light.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from humanoid_bench.policies.base import BasePolicy

from humanoid_bench.errors import ConfigError


class SB3Policy(BasePolicy):
    """Acts with ``model.predict(observation, deterministic=...)`` of a saved SB3 algorithm.

    Args:
        env: the env to act in; its observation and action spaces must match the checkpoint's.
        checkpoint: path of the ``.zip`` written by ``model.save`` (``humanoid-bench train``).
        algo: import path of the SB3 algorithm class that saved it (default PPO).
        deterministic: use the mode of the action distribution (default) or sample from it.
        device: torch device (``cpu``).
        torch_threads: intra-op threads for torch (process-wide); 1 is fastest for small MLPs on a
            CPU shared with the simulator. None leaves torch's default.
    """

    name = "sb3"

    def __init__(self, env: gym.Env, checkpoint: str, algo: str = "stable_baselines3.PPO",
                 deterministic: bool = True, device: str = "cpu", torch_threads: int | None = 1) -> None:
        super().__init__(env)
        path = Path(checkpoint)
        if not path.is_file():
            raise ConfigError(f"policy.checkpoint {str(path)!r} is not a file; expected the checkpoint.zip written "
                              "by `humanoid-bench train`")
        if importlib.util.find_spec("stable_baselines3") is None:
            raise ConfigError("stable-baselines3 is not installed; pip install torch==2.13.0 && pip install -e '.[rl]'")
        import torch
        from hydra.utils import get_class

        if torch_threads is not None:
            torch.set_num_threads(int(torch_threads))

        try:
            algo_cls = get_class(algo)
        except Exception as exc:  # noqa: BLE001 - any import failure becomes one ConfigError naming policy.algo
            raise ConfigError(f"policy.algo {algo!r} is not an importable SB3 algorithm class ({exc}); "
                              "expected e.g. stable_baselines3.PPO") from None
        try:
            self.model = algo_cls.load(str(path), device=device)
        except Exception as exc:  # noqa: BLE001 - zip, pickle and shape errors become one ConfigError naming the file
            raise ConfigError(f"policy.checkpoint {str(path)!r} could not be loaded by {algo}: {exc}") from None
        for what, ours, theirs in (("observation", env.observation_space, self.model.observation_space),
                                   ("action", env.action_space, self.model.action_space)):
            if getattr(ours, "shape", None) != getattr(theirs, "shape", None):
                raise ConfigError(
                    f"checkpoint {str(path)!r} expects an {what} space of shape {theirs.shape}, the env has "
                    f"{ours.shape}; evaluate it on the task, robot and modes it was trained with"
                )
        self.deterministic = bool(deterministic)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None and not self.deterministic:
            self.model.set_random_seed(seed)

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        action, _ = self.model.predict(observation, deterministic=self.deterministic)
        return np.asarray(action, dtype=self.action_space.dtype)
