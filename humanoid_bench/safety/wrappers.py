"""Safety-Gymnasium style interface for safe-RL libraries.

``SafetyGymWrapper(env).step(action)`` returns ``(obs, reward, cost, terminated, truncated, info)``
where ``cost`` is the env's ``info["cost"]`` (the severity-weighted safety events of the step).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym


class SafetyGymWrapper(gym.Wrapper):
    """Six-tuple ``step``; ``reset`` and everything else pass through unchanged."""

    def step(self, action: Any) -> tuple[Any, float, float, bool, bool, dict[str, Any]]:  # type: ignore[override]
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, float(reward), float(info.get("cost", 0.0)), terminated, truncated, info
