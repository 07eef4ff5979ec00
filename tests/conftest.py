"""Shared fixtures: config composition, the fake env, the CLI in a subprocess, the real env probe."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from omegaconf import DictConfig

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

import fake_env  # registers humanoid_bench_test/Fake-v0

#: overrides that point the default run config at the fake env with the random policy
FAKE_OVERRIDES = [
    f"task.env_id={fake_env.QUALIFIED_ID}",
    "task.name=fake_task",
    "task.env_kwargs.units_target=2",
    "task.env_kwargs.time_budget_s=2.0",
    "policy=random",
    "runner.progress=off",
]


def real_env_available() -> bool:
    """True once the lead's PartPicking env module exists."""
    return importlib.util.find_spec("humanoid_bench.envs.part_picking") is not None


requires_real_env = pytest.mark.skipif(not real_env_available(), reason="envs/part_picking.py not written yet")


@pytest.fixture
def compose_cfg() -> Callable[..., DictConfig]:
    """``compose_cfg(overrides, command="run")``: the config Hydra would give the task function."""
    from hydra import compose, initialize_config_dir

    from humanoid_bench.paths import conf_dir
    from humanoid_bench.runner.config import register_configs

    register_configs()

    def _compose(overrides: Sequence[str] = (), command: str = "run") -> DictConfig:
        with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3", job_name=command):
            return compose(config_name=command, overrides=list(overrides))

    return _compose


@pytest.fixture
def fake_cfg(compose_cfg: Callable[..., DictConfig]) -> Callable[..., DictConfig]:
    """``fake_cfg(*extra_overrides)``: a run config on the fake env with the random policy."""

    def _fake(*extra: str) -> DictConfig:
        return compose_cfg([*FAKE_OVERRIDES, *extra])

    return _fake


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH", "")]))
    env["CI"] = "true"
    env.pop("HYDRA_FULL_ERROR", None)
    return env


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args)``: ``python -m humanoid_bench *args`` in a subprocess, cwd = tmp_path."""

    def _run(*args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "humanoid_bench", *args], check=False, cwd=tmp_path, env=cli_env(),
                              capture_output=True, text=True, timeout=timeout)

    return _run
