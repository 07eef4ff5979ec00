"""Site profiles: who works near the robot, and the zones of the workcell.

A site profile (``conf/site/<name>.yaml``, passed to the env as ``site=``) lists human co-workers
(humanoid_bench.sim.humans) and zones in the robot's base frame at reset (x forward, y left):

- ``collaborative_zones``: where people and the robot share the space; the tool must stay at or
  below the collaborative speed there while a person is inside (ISO 10218-2);
- ``keep_out_zones``: where no robot link may enter (ISO 10218-2 safeguarded space).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from humanoid_bench.errors import ConfigError
from humanoid_bench.sim.humans import HumanSpec


@dataclass(frozen=True)
class Zone:
    name: str
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> Zone:
        if not isinstance(data, dict) or set(data) - {"name", "min", "max"} or "min" not in data or "max" not in data:
            raise ConfigError(f"{where}: a zone is {{name, min: [x, y, z], max: [x, y, z]}}, got {data!r}")
        low, high = np.asarray(data["min"], float), np.asarray(data["max"], float)
        if low.shape != (3,) or high.shape != (3,) or np.any(low >= high):
            raise ConfigError(f"{where}: zone {data.get('name')!r} needs min < max on every axis, got {data['min']} .. {data['max']}")
        return cls(str(data.get("name", where)), low, high)


@dataclass
class Site:
    name: str = "empty"
    humans: list[HumanSpec] = field(default_factory=list)
    collaborative_zones: list[Zone] = field(default_factory=list)
    keep_out_zones: list[Zone] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Site:
        if not data:
            return cls()
        if not isinstance(data, dict):
            raise ConfigError(f"site must be a mapping (a site profile), got {type(data).__name__}")
        known = {"name", "humans", "collaborative_zones", "keep_out_zones", "description"}
        unknown = sorted(set(data) - known)
        name = str(data.get("name", "custom"))
        if unknown:
            raise ConfigError(f"site {name!r}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
        return cls(
            name=name,
            humans=[HumanSpec.from_dict(h, i) for i, h in enumerate(data.get("humans") or [])],
            collaborative_zones=[Zone.from_dict(z, f"site {name!r} collaborative_zones[{i}]")
                                 for i, z in enumerate(data.get("collaborative_zones") or [])],
            keep_out_zones=[Zone.from_dict(z, f"site {name!r} keep_out_zones[{i}]")
                            for i, z in enumerate(data.get("keep_out_zones") or [])],
        )
