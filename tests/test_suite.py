"""Suites: the frozen pilot suite, expansion into cells, skipped cells, overrides, suite runs.

Suite runs use the fake env: the cells name real task configs and ``task.env_id=`` points every
cell at the fake env (an override on the command line applies to every cell).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FAKE_OVERRIDES
from omegaconf import OmegaConf

import humanoid_bench
from humanoid_bench.cli import _suite_default
from humanoid_bench.errors import ConfigError
from humanoid_bench.paths import conf_dir
from humanoid_bench.runner import DB_NAME, ResultsStore, run_benchmark
from humanoid_bench.runner.suite import load_suite, plan_run

FAKE_TASK = [o for o in FAKE_OVERRIDES if o.startswith("task.")]
QUICK = ["runner=serial", "runner.progress=off", "report.enabled=false", "policy=random"]
PILOT = ["suite=k_humanoid_pilot_v2"]


def pilot(version: int = 2) -> dict:
    return OmegaConf.to_container(OmegaConf.load(conf_dir() / "suite" / f"k_humanoid_pilot_v{version}.yaml"))


def test_pilot_suite_covers_every_task_and_both_sites() -> None:
    suite = load_suite(pilot())
    assert suite.name == "k_humanoid_pilot_v2" and suite.version == "2.0"
    tasks = [name for _, name in humanoid_bench.TASKS.values()]
    assert {c.task for c in suite.cells} == set(tasks)
    assert {c.site for c in suite.cells} == {"empty", "coworkers"}
    assert {c.difficulty for c in suite.cells} == {"medium"}
    assert len(suite.cells) == 2 * len(tasks)
    assert all(c.seeds == tuple(range(2000, 2010)) for c in suite.cells)  # fixed, shared seeds


def test_released_suite_v1_keeps_its_cells() -> None:
    """v1 named its tasks as `all` when two existed; it is pinned to them, so v1 means the same run."""
    suite = load_suite(pilot(1))
    assert suite.name == "k_humanoid_pilot_v1" and suite.version == "1.0"
    assert [c.cell_id for c in suite.cells] == [f"{t}/medium/{s}" for t in ("part_picking", "carrying")
                                                 for s in ("empty", "coworkers")]
    assert all(c.seeds == tuple(range(1000, 1020)) for c in suite.cells)


def test_explicit_cells_and_seed_lists() -> None:
    suite = load_suite({"name": "s", "version": 2, "episodes": 3, "seed": 10, "cells": [
        {"task": "part_picking", "site": "empty"},
        {"task": "part_picking", "difficulty": "hard", "site": "coworkers", "seeds": [7, 9]},
        {"task": "part_picking", "difficulty": "easy", "episodes": 2, "seed": 0}]})
    assert [c.cell_id for c in suite.cells] == ["part_picking/medium/empty", "part_picking/hard/coworkers",
                                                "part_picking/easy/empty"]
    assert [c.seeds for c in suite.cells] == [(10, 11, 12), (7, 9), (0, 1)]
    assert suite.version == "2"


@pytest.mark.parametrize("data, message", [
    ({"name": "s", "cells": [{"task": "t"}]}, "version"),
    ({"version": 1, "cells": [{"task": "t"}]}, "name"),
    ({"name": "s", "version": 1}, "no cells"),
    ({"name": "s", "version": 1, "colour": "red", "cells": [{"task": "t"}]}, "colour"),
    ({"name": "s", "version": 1, "cells": [{"task": "t"}, {"task": "t"}]}, "listed twice"),
    ({"name": "s", "version": 1, "cells": [{"task": "t", "seeds": [1, 1]}]}, "repeat"),
    ({"name": "s", "version": 1, "cells": [{"task": "t", "episodes": 0}]}, "episodes"),
    ({"name": "s", "version": 1, "cells": [{"task": "t", "robot": "x"}]}, "a cell is"),
    ({"name": "s", "version": 1, "matrix": {"tasks": []}}, "matrix.tasks"),
])
def test_bad_suite_is_one_clear_error(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_suite(data)


def test_plan_applies_task_overrides_to_every_cell_and_marks_the_run_modified(compose_cfg) -> None:
    over = ["task.env_kwargs.units_target=1", "episodes=2"]
    plan = plan_run(compose_cfg([*QUICK, *PILOT, *over]), over)
    assert plan.suite is not None and plan.suite.name == "k_humanoid_pilot_v2"
    assert all(c.spec.seeds == (2000, 2001) for c in plan.cells)
    for cell in plan.live:
        assert cell.cfg.task.env_kwargs.units_target == 1 and cell.cfg.task.env_kwargs.difficulty == "medium"
        assert cell.cfg.site.name == cell.spec.site
    assert "episodes=2" in plan.modified and "task.env_kwargs.units_target=1" in plan.modified
    hashes = [c.config_hash for c in plan.live]
    assert len(set(hashes)) == len(hashes)  # every cell is its own config


def test_unrunnable_cells_are_skipped_with_a_reason(compose_cfg) -> None:
    cfg = compose_cfg(QUICK)
    OmegaConf.set_struct(cfg, False)
    cfg.suite = {"name": "t", "version": "1", "episodes": 1,
                 "matrix": {"tasks": ["part_picking", "no_such_task"], "sites": ["empty", "coworkers", "moon_base"]}}
    plan = plan_run(cfg, FAKE_TASK)
    reasons = {c.spec.cell_id: c.reason for c in plan.cells}
    assert reasons["part_picking/medium/empty"] is None
    assert "moon_base" in reasons["part_picking/medium/moon_base"] and "not installed" in reasons[
        "part_picking/medium/moon_base"]
    assert "conf/task/no_such_task.yaml" in reasons["no_such_task/medium/empty"]
    # the fake env takes no site= argument: a site with people cannot run on it
    assert "site=" in reasons["part_picking/medium/coworkers"]


def test_suite_run_stores_skips_and_resumes(compose_cfg, tmp_path: Path) -> None:
    cfg = compose_cfg([*QUICK, "episodes=3", *FAKE_TASK])
    OmegaConf.set_struct(cfg, False)
    cfg.suite = {"name": "mini", "version": "0.3", "seed": 50, "matrix": {"tasks": ["part_picking"],
                                                                          "sites": ["empty", "coworkers"]}}
    result = run_benchmark(cfg, tmp_path, overrides=FAKE_TASK)
    assert result.ran == 3 and len(result.records) == 3
    assert {(r.suite, r.suite_version, r.site, r.difficulty) for r in result.records} == {
        ("mini", "0.3", "empty", "medium")}
    assert [r.seed for r in result.records] == [50, 51, 52]
    cells = {c["cell_id"]: c for c in result.summary["cells"]}
    assert cells["part_picking/medium/empty"]["status"] == "run" and cells["part_picking/medium/empty"]["episodes"] == 3
    assert cells["part_picking/medium/coworkers"]["status"] == "skipped"
    assert result.summary["suite"] == "mini" and result.summary["suite_version"] == "0.3"
    with ResultsStore(tmp_path / DB_NAME) as store:
        stored = {c["cell_id"]: c for c in store.cells()}
        assert stored["part_picking/medium/coworkers"]["reason"] and stored["part_picking/medium/empty"]["seeds"] == [
            50, 51, 52]
        run = store.runs()[0]
        assert run["suite"] == "mini" and run["suite_version"] == "0.3" and "python" in run["software"]
    again = run_benchmark(cfg, tmp_path, overrides=FAKE_TASK)
    assert (again.ran, again.skipped) == (0, 3)


def test_no_runnable_cell_is_an_error(compose_cfg, tmp_path: Path) -> None:
    cfg = compose_cfg(QUICK)
    OmegaConf.set_struct(cfg, False)
    cfg.suite = {"name": "t", "version": "1", "matrix": {"tasks": ["part_picking"], "sites": ["moon_base"]}}
    with pytest.raises(ConfigError, match="no cell"):
        run_benchmark(cfg, tmp_path)


def test_task_choice_limits_a_named_suite(compose_cfg) -> None:
    over = ["task=part_picking"]
    plan = plan_run(compose_cfg([*QUICK, *PILOT, *over]), over)
    assert {c.spec.task for c in plan.cells} == {"part_picking"}
    assert any("limited" in m for m in plan.modified)


@pytest.mark.parametrize("args, suite", [
    ([], True),
    (["policy=random", "runner.workers=2", "hydra.run.dir=x", "-m", "robot=a,b"], True),
    (["task=part_picking"], False),
    (["task.env_kwargs.units_target=1"], False),
    (["+task.env_kwargs.extra=1"], False),
    (["suite=k_humanoid_pilot_v1", "task.env_kwargs.units_target=1"], False),  # already explicit
    (["suite=k_humanoid_pilot_v2"], False),
    (["suite=none"], False),
])
def test_the_command_line_runs_the_pilot_suite_unless_a_task_or_suite_is_named(args: list[str], suite: bool) -> None:
    assert (_suite_default(args) == [*args, "suite=k_humanoid_pilot_v2"]) == suite


def test_defaults(compose_cfg) -> None:
    cfg = compose_cfg([])
    assert not cfg.suite  # the config alone is a single-task run; the command line adds the suite
    assert cfg.runner.backend == "process" and cfg.runner.workers is None
    assert cfg.policy.name == "scripted" and cfg.robot.name == "wheeled_humanoid" and cfg.site.name == "empty"
    assert cfg.report.enabled and cfg.report.lang == "en"
    assert compose_cfg(PILOT).suite.name == "k_humanoid_pilot_v2"


def test_single_task_run_with_a_site_the_env_cannot_take_is_an_error(fake_cfg, tmp_path: Path) -> None:
    cfg = fake_cfg("suite=none", "site=coworkers", *QUICK)
    with pytest.raises(ConfigError, match="site"):
        run_benchmark(cfg, tmp_path)
    assert not (tmp_path / DB_NAME).exists() or sqlite3.connect(tmp_path / DB_NAME).execute(
        "SELECT COUNT(*) FROM episodes").fetchone()[0] == 0
