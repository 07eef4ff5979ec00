"""Where packaged data lives, for both an editable install and a built wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_data_dir(package: str) -> Path:
    """Filesystem folder of a data package (``humanoid_bench.assets`` or ``humanoid_bench.conf``)."""
    return Path(str(resources.files(package)))


def assets_dir() -> Path:
    return package_data_dir("humanoid_bench.assets")


def conf_dir() -> Path:
    return package_data_dir("humanoid_bench.conf")


def available(group: str) -> list[str]:
    """Names of the options of a Hydra config group, e.g. ``available("task")``."""
    folder = conf_dir() / group
    return sorted(p.stem for p in folder.glob("*.yaml"))
