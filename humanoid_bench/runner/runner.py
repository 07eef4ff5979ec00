"""The runner: plan the cells of a run, run their seeded episodes on a backend, store, summarize, report.

A run is a suite (``cfg.suite``, cells of task x difficulty x site) or, with ``suite=none``, one
task (episode ``i`` uses seed ``seed + i``). Episodes already stored under the same config hash
and seed are skipped (resume); each finished episode is stored in its own transaction by this
process, whatever the backend.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import humanoid_bench
from humanoid_bench.errors import ConfigError
from humanoid_bench.report.summary import SUMMARY_NAME, write_summary
from humanoid_bench.runner.backends import execute
from humanoid_bench.runner.config import hashed_config, policy_name, validate
from humanoid_bench.runner.store import DB_NAME, ResultsStore
from humanoid_bench.runner.suite import PlannedCell, RunPlan, plan_run
from humanoid_bench.runner.worker import EpisodeJob, EpisodeResult, run_episode
from humanoid_bench.scoring.record import EpisodeRecord
from humanoid_bench.scoring.stats import group_stats, summarize

log = logging.getLogger(__name__)

__all__ = ["CellResult", "RunResult", "progress_enabled", "run_benchmark", "run_episode", "software_versions"]

#: distributions whose versions a report names
SOFTWARE = ("humanoid-bench", "pybullet", "gymnasium", "numpy", "scipy", "hydra-core", "omegaconf",
            "stable-baselines3", "torch", "ray")


@dataclass
class CellResult:
    """One cell of a run: its plan, and (unless skipped) its stored records and statistics."""

    cell_id: str
    task: str
    difficulty: str | None
    site: str
    seeds: list[int]
    config_hash: str | None
    reason: str | None  # why the cell was skipped
    records: list[EpisodeRecord] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.reason is not None


@dataclass
class RunResult:
    """What a run leaves behind: the output folder, its summary and the records summarized."""

    output_dir: Path
    summary: dict[str, Any]
    records: list[EpisodeRecord]
    ran: int  # episodes simulated by this invocation
    skipped: int  # episodes found in the store (resume)
    cells: list[CellResult] = field(default_factory=list)
    lost: list[tuple[str, int]] = field(default_factory=list)  # (cell id, seed) lost to a dead worker
    report: Path | None = None


def software_versions() -> dict[str, str]:
    """Python, platform and the versions of the packages a result depends on."""
    out = {"python": platform.python_version(), "platform": platform.platform(), "machine": platform.machine(),
           "cpus": str(os.cpu_count() or 0)}
    for dist in SOFTWARE:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def progress_enabled(setting: str, console: Console) -> bool:
    """``auto``: a bar only on an interactive terminal and never when ``CI`` is set to true."""
    if setting == "on":
        return True
    if setting == "off":
        return False
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return console.is_terminal and not ci


class _Tally:
    """Episodes done and successes so far, for the progress display."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.success = total, 0, 0

    def add(self, success: bool) -> None:
        self.done += 1
        self.success += int(success)

    def text(self) -> str:
        return f"success {self.success}/{self.done}" if self.done else "success -"


@contextmanager
def _progress(enabled: bool, console: Console, tally: _Tally, label: str) -> Iterator[Callable[[], None]]:
    """A bar (episodes done, success so far, time left) on a terminal; else a log line per 10%."""
    columns = (TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
               TextColumn("{task.fields[succ]}"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not enabled, transient=False) as progress:
        task_id = progress.add_task(label, total=tally.total, completed=tally.done, succ=tally.text())
        step = max(1, tally.total // 10)

        def update() -> None:
            progress.update(task_id, completed=tally.done, succ=tally.text())
            if not enabled and (tally.done % step == 0 or tally.done == tally.total):
                log.info("%s: %d/%d episodes, %s", label, tally.done, tally.total, tally.text())

        yield update


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _cell_ids(cfg: DictConfig, cell: PlannedCell, plan: RunPlan, run_id: str) -> dict[str, Any]:
    assert cell.cfg is not None
    return {
        "run_id": run_id, "task": str(cell.cfg.task.name), "robot": str(cfg.robot.name),
        "policy": policy_name(cfg.policy), "suite": plan.suite.name if plan.suite else None,
        "suite_version": plan.suite.version if plan.suite else None, "difficulty": cell.spec.difficulty,
        "site": cell.spec.site, "version": humanoid_bench.__version__,
    }


def run_benchmark(cfg: DictConfig, output_dir: str | Path, console: Console | None = None,
                  overrides: Sequence[str] = ()) -> RunResult:
    """Run the cells of ``cfg`` (its suite, or one task) into ``output_dir``.

    ``overrides`` are the command-line overrides: ``task.*`` and ``site.*`` ones apply to every
    cell of a suite. Writes ``results.db`` (or ``runner.store``), ``summary.json`` and, when
    ``report.enabled``, ``report.html``. Raises :class:`~humanoid_bench.errors.HumanoidBenchError`
    on bad configuration.
    """
    validate(cfg, "run")
    console = console or Console(stderr=True)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_run(cfg, overrides)
    live = plan.live
    if not live:
        reasons = "; ".join(f"{c.spec.cell_id}: {c.reason}" for c in plan.cells)
        raise ConfigError(f"no cell of suite {plan.suite.name if plan.suite else '-'} can run here ({reasons})")
    robot, policy = str(cfg.robot.name), policy_name(cfg.policy)
    run_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    store_path = Path(str(cfg.runner.store)) if cfg.runner.get("store") else out / DB_NAME
    all_seeds = [s for c in live for s in c.spec.seeds]
    first = live[0]
    assert first.cfg is not None and first.config_hash is not None
    run_config = {**hashed_config(first.cfg), "seed": cfg.seed, "episodes": cfg.episodes,
                  "runner": OmegaConf.to_container(cfg.runner, resolve=True),
                  "suite": plan.suite.name if plan.suite else None,
                  "suite_modified": plan.modified, "cells": {c.spec.cell_id: c.config_hash for c in live}}
    ran = 0
    lost_jobs: list[EpisodeJob] = []
    with ResultsStore(store_path) as store:
        jobs: list[EpisodeJob] = []
        stored = 0
        for cell in live:
            assert cell.cfg is not None and cell.config_hash is not None
            done = store.stored_seeds(cell.config_hash) if cfg.runner.resume else set()
            container = OmegaConf.to_container(cell.cfg, resolve=True)
            assert isinstance(container, dict)
            ids = _cell_ids(cfg, cell, plan, run_id)
            for i, seed in enumerate(cell.spec.seeds):
                if seed in done:
                    stored += 1
                    continue
                jobs.append(EpisodeJob(config=container, config_hash=cell.config_hash, seed=seed, episode=i, ids=ids,
                                       keyframes=bool(cfg.runner.keyframes)))
        if stored:
            log.info("resuming: %d of %d episodes already stored in %s", stored, len(all_seeds), store_path)
        store.begin_run(run_id, first.config_hash, run_config, task=",".join(sorted({c.spec.task for c in live})),
                        robot=robot, policy=policy, seed=min(all_seeds), episodes=len(all_seeds),
                        version=humanoid_bench.__version__, started_at=_now(),
                        suite=plan.suite.name if plan.suite else None,
                        suite_version=plan.suite.version if plan.suite else None, software=software_versions())
        for cell in plan.cells:
            store.add_cell(run_id, cell.spec.cell_id, config_hash=cell.config_hash, task=cell.spec.task,
                           difficulty=cell.spec.difficulty, site=cell.spec.site, seeds=list(cell.spec.seeds),
                           status="skipped" if cell.skipped else "run", reason=cell.reason)
        tally = _Tally(len(all_seeds))
        tally.done = stored
        tally.success = _stored_successes(store, live)
        label = f"{plan.suite.name if plan.suite else live[0].spec.task} {policy}"
        enabled = progress_enabled(str(cfg.runner.progress), console)
        with _progress(enabled, console, tally, label) as update:

            def on_result(result: EpisodeResult) -> None:
                nonlocal ran
                store.add_episode(result.record, result.keyframes)
                ran += 1
                tally.add(result.record.success)
                update()
                log.debug("%s seed %d: success=%s units=%d/%d end=%s", result.record.task, result.record.seed,
                          result.record.success, result.record.units_completed, result.record.units_target,
                          result.record.end_reason)

            lost_jobs = execute(jobs, on_result, backend=str(cfg.runner.backend), workers=cfg.runner.workers,
                                ray_address=cfg.runner.get("ray_address"))
        store.finish_run(run_id, _now())
        cells = []
        for cell in plan.cells:
            result = CellResult(cell_id=cell.spec.cell_id, task=cell.spec.task, difficulty=cell.spec.difficulty,
                                site=cell.spec.site, seeds=list(cell.spec.seeds), config_hash=cell.config_hash,
                                reason=cell.reason)
            if not cell.skipped:
                assert cell.config_hash is not None
                result.records = store.episodes(cell.config_hash, cell.spec.seeds)
            cells.append(result)
    records = [r for c in cells for r in c.records]
    lost = [(f"{j.ids.get('task')}/{j.ids.get('difficulty') or '-'}/{j.ids.get('site')}", j.seed) for j in lost_jobs]
    summary = build_summary(cfg, plan, cells, run_id, lost)
    write_summary(summary, out / SUMMARY_NAME)
    report_path = None
    report_cfg = cfg.get("report")
    if report_cfg is not None and report_cfg.get("enabled", True):
        from humanoid_bench.report.pilot import write_report

        report_path = write_report([store_path], out, report_cfg)
    log.info("wrote %s and %s in %s", store_path.name, SUMMARY_NAME, out)
    return RunResult(output_dir=out, summary=summary, records=records, ran=ran, skipped=stored, cells=cells,
                     lost=lost, report=report_path)


def _stored_successes(store: ResultsStore, live: Sequence[PlannedCell]) -> int:
    total = 0
    for cell in live:
        assert cell.config_hash is not None
        seeds = list(cell.spec.seeds)
        marks = ",".join("?" for _ in seeds)
        row = store.conn.execute(f"SELECT COUNT(*) FROM episodes WHERE config_hash=? AND success=1 AND seed IN ({marks})",
                                 (cell.config_hash, *seeds)).fetchone()
        total += int(row[0])
    return total


def build_summary(cfg: DictConfig, plan: RunPlan, cells: Sequence[CellResult], run_id: str,
                  lost: Sequence[tuple[str, int]] = ()) -> dict[str, Any]:
    """``summary.json``: identity, statistics over every episode (and per task), and per cell."""
    records = [r for c in cells for r in c.records]
    seeds = [s for c in cells if not c.skipped for s in c.seeds]
    live = [c for c in cells if not c.skipped]
    return {
        "run_id": run_id,
        "config_hash": live[0].config_hash if len(live) == 1 else None,
        "task": ", ".join(sorted({c.task for c in live})),
        "robot": str(cfg.robot.name),
        "policy": policy_name(cfg.policy),
        "suite": plan.suite.name if plan.suite else None,
        "suite_version": plan.suite.version if plan.suite else None,
        "suite_modified": list(plan.modified),
        "seed_range": [min(seeds), max(seeds)] if seeds else None,
        "version": humanoid_bench.__version__,
        "python": sys.version.split()[0],
        **summarize(records),
        "cells": [
            {"cell_id": c.cell_id, "task": c.task, "difficulty": c.difficulty, "site": c.site,
             "config_hash": c.config_hash, "seed_range": [min(c.seeds), max(c.seeds)] if c.seeds else None,
             "status": "skipped" if c.skipped else "run", "reason": c.reason,
             **(group_stats(c.records) if not c.skipped else {})}
            for c in cells
        ],
        "lost_episodes": [{"cell_id": cid, "seed": seed} for cid, seed in lost],
    }
