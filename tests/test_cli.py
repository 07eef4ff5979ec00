"""The ``humanoid-bench`` command line, run in subprocesses as a user would run it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FAKE_OVERRIDES, cli_env, requires_real_env

REPO = Path(__file__).resolve().parents[1]


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not _noise(ln)]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _noise(line: str) -> bool:
    """Lines pybullet prints on import (not ours)."""
    return line.startswith(("pybullet build time", "argv[0]"))


def test_list_shows_groups(cli) -> None:
    proc = cli("list")
    assert proc.returncode == 0, proc.stderr
    for name in ("part_picking", "humanoid_bench/PartPicking-v0", "wheeled_humanoid", "scripted", "random", "sb3",
                 "ppo"):
        assert name in proc.stdout


def test_help_and_usage(cli) -> None:
    proc = cli("--help")
    assert proc.returncode == 0 and "run" in proc.stdout and "train" in proc.stdout
    assert cli().returncode == 2
    hydra_help = cli("run", "--help")
    assert hydra_help.returncode == 0 and "task" in hydra_help.stdout


def test_run_writes_outputs_and_prints_table(cli, tmp_path: Path) -> None:
    proc = cli("run", *FAKE_OVERRIDES, "episodes=3", "hydra.run.dir=out")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    assert (out / "results.db").is_file() and (out / "summary.json").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 3 and summary["policy"] == "random"
    assert "success" in proc.stdout and "fake_task" in proc.stdout and "3 episodes" in proc.stdout
    assert "\r" not in proc.stderr  # no progress bar when not a terminal / CI=true

    again = cli("run", *FAKE_OVERRIDES, "episodes=3", "hydra.run.dir=out")
    assert again.returncode == 0 and "3 resumed" in again.stdout


def test_multirun(cli, tmp_path: Path) -> None:
    proc = cli("run", "-m", *FAKE_OVERRIDES, "seed=0,1", "episodes=1", "hydra.sweep.dir=sweep")
    assert proc.returncode == 0, proc.stderr
    seeds = []
    for job in ("0", "1"):
        summary = json.loads((tmp_path / "sweep" / job / "summary.json").read_text())
        assert summary["episodes"] == 1
        seeds.append(summary["seed_range"][0])
    assert sorted(seeds) == [0, 1]


def test_python_m_and_entry_point_agree(tmp_path: Path) -> None:
    exe = shutil.which("humanoid-bench", path=str(Path(sys.executable).parent)) or shutil.which("humanoid-bench")
    if exe is None:
        pytest.skip("humanoid-bench script not on PATH")
    proc = subprocess.run([exe, "list"], check=False, capture_output=True, text=True, env=cli_env(), cwd=tmp_path)
    assert proc.returncode == 0 and "part_picking" in proc.stdout


@pytest.mark.parametrize(
    "args, needles",
    [
        (["run", "episodes=abc"], ["episodes=abc"]),
        (["run", "nosuchkey=1"], ["nosuchkey"]),
        (["run", "task=nosuch"], ["unknown task 'nosuch'", "part_picking"]),
        (["run", "robot=nosuch"], ["unknown robot", "wheeled_humanoid"]),
        (["run", "policy=nosuch"], ["unknown policy", "scripted", "random"]),
        (["run", "-m", "policy=random,nosuch"], ["unknown policy 'nosuch'"]),
        (["run", "-m", "episodes=1,abc"], ["episodes=abc"]),
        (["run", "seed=0,1"], ["-m"]),
        (["run", "policy=sb3"], ["policy.checkpoint"]),
        (["run", "policy=sb3", "policy.checkpoint=missing/checkpoint.zip"], ["missing/checkpoint.zip", "not a file"]),
        (["run", "policy=ppo"], ["humanoid-bench train"]),
        (["run", "episodes=0"], ["episodes"]),
        (["train", "policy=random"], ["policy=ppo"]),
        (["train", "train.total_timesteps=lots"], ["total_timesteps"]),
        (["frobnicate"], ["unknown command", "run"]),
        (["list", "extra"], ["list"]),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, args: list[str], needles: list[str]) -> None:
    assert_one_line_error(cli(*args), *needles)


def test_error_raised_inside_the_run_is_one_line(cli) -> None:
    """A HumanoidBenchError raised after launch (env keyword typo) is caught in the task function."""
    proc = cli("run", *FAKE_OVERRIDES, "+task.env_kwargs.bogus=1", "hydra.run.dir=out")
    assert_one_line_error(proc, "bogus")


def test_importing_does_not_import_torch() -> None:
    code = ("import sys, humanoid_bench, humanoid_bench.cli, humanoid_bench.runner, humanoid_bench.scoring, "
            "humanoid_bench.report, humanoid_bench.train, humanoid_bench.policies.sb3; "
            "heavy = [m for m in ('torch', 'stable_baselines3', 'pybullet') if m in sys.modules]; "
            "assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@requires_real_env
def test_real_env_run_default_policy(cli, tmp_path: Path) -> None:
    proc = cli("run", "episodes=2", "task.env_kwargs.units_target=1", "task.env_kwargs.time_budget_s=8",
               "hydra.run.dir=real")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "real" / "summary.json").read_text())
    assert summary["episodes"] == 2 and summary["task"] == "part_picking" and summary["policy"] == "scripted"


@requires_real_env
def test_real_env_bad_task_kwarg_is_one_line(cli) -> None:
    assert_one_line_error(cli("run", "task.env_kwargs.difficulty=nightmare", "episodes=1", "hydra.run.dir=o"),
                          "nightmare")


# ------------------------------------------------------------------------------ README and CI
def quickstart_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", section, flags=re.DOTALL)
    return [ln.strip() for b in blocks for ln in b.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def test_readme_quickstart_is_two_commands_and_ci_runs_the_second() -> None:
    cmds = quickstart_commands()
    assert cmds == [
        "pip install -e . && humanoid-bench run",
        'pip install torch==2.13.0 && pip install -e ".[test]" && python -m pytest -q',
    ]
    ci = (REPO / ".ci" / "run").read_text()
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
    last = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.strip().startswith("#")][-1]
    assert last == cmds[1]  # the last command, so the script exits with pytest's status
    assert (REPO / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"
