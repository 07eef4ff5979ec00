"""Runner v0: seeded episodes of one task, serially, into the results store, then the summary.

Episode ``i`` of a run uses seed ``seed + i``: the env is reset with it and so is the policy.
Episodes already stored under the same config hash and seed are skipped (resume).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gymnasium as gym
from omegaconf import DictConfig
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import humanoid_bench
from humanoid_bench.report.summary import SUMMARY_NAME, write_summary
from humanoid_bench.runner.config import config_hash, hashed_config, policy_name, validate
from humanoid_bench.runner.factory import make_env, make_policy
from humanoid_bench.runner.store import DB_NAME, ResultsStore
from humanoid_bench.scoring.record import EpisodeAccumulator, EpisodeRecord
from humanoid_bench.scoring.stats import summarize

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run leaves behind: the output folder, its summary and the records summarized."""

    output_dir: Path
    summary: dict[str, Any]
    records: list[EpisodeRecord]
    ran: int  # episodes simulated by this invocation
    skipped: int  # episodes found in the store (resume)


def run_episode(env: gym.Env, policy: Any, acc: EpisodeAccumulator, seed: int) -> EpisodeRecord:
    """Play one episode to its end (terminated or truncated) and return its record."""
    t_wall = time.perf_counter()
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    acc.start(info)
    terminated = truncated = False
    while not (terminated or truncated):
        action = policy.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        acc.update(info, float(reward))
    return acc.finish(terminated=terminated, truncated=truncated, wall_time_s=time.perf_counter() - t_wall)


def progress_enabled(setting: str, console: Console) -> bool:
    """``auto``: a bar only on an interactive terminal and never when ``CI`` is set to true."""
    if setting == "on":
        return True
    if setting == "off":
        return False
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return console.is_terminal and not ci


@contextmanager
def _progress(enabled: bool, console: Console, total: int, label: str) -> Iterator[Any]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not enabled, transient=False) as progress:
        task_id = progress.add_task(label, total=total)
        yield lambda n=1: progress.advance(task_id, n)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run_benchmark(cfg: DictConfig, output_dir: str | Path, console: Console | None = None) -> RunResult:
    """Run ``cfg.episodes`` seeded episodes of ``cfg.task`` with ``cfg.policy`` into ``output_dir``.

    Writes ``results.db`` and ``summary.json`` there and returns the :class:`RunResult`.
    Raises :class:`~humanoid_bench.errors.HumanoidBenchError` on bad configuration.
    """
    validate(cfg, "run")
    console = console or Console(stderr=True)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    chash = config_hash(cfg)
    task, robot, policy = str(cfg.task.name), str(cfg.robot.name), policy_name(cfg.policy)
    seeds = [int(cfg.seed) + i for i in range(int(cfg.episodes))]
    run_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    ran = 0
    with ResultsStore(out / DB_NAME) as store:
        done = store.stored_seeds(chash) if cfg.runner.resume else set()
        todo = [(i, s) for i, s in enumerate(seeds) if s not in done]
        skipped = len(seeds) - len(todo)
        if skipped:
            log.info("resuming: %d of %d episodes already stored under config %s", skipped, len(seeds), chash[:12])
        store.begin_run(run_id, chash, {**hashed_config(cfg), "seed": cfg.seed, "episodes": cfg.episodes},
                        task=task, robot=robot, policy=policy, seed=int(cfg.seed), episodes=int(cfg.episodes),
                        version=humanoid_bench.__version__, started_at=_now())
        if todo:
            env = make_env(cfg)
            try:
                agent = make_policy(cfg, env)
                enabled = progress_enabled(str(cfg.runner.progress), console)
                with _progress(enabled, console, len(seeds), f"{task} / {policy}") as advance:
                    advance(skipped)
                    for i, seed in todo:
                        acc = EpisodeAccumulator(run_id=run_id, task=task, robot=robot, policy=policy, seed=seed,
                                                 episode=i, config_hash=chash, suite=cfg.get("suite"),
                                                 version=humanoid_bench.__version__)
                        record = run_episode(env, agent, acc, seed)
                        store.add_episode(record)
                        ran += 1
                        log.debug("episode %d seed %d: success=%s units=%d/%d end=%s", i, seed, record.success,
                                 record.units_completed, record.units_target, record.end_reason)
                        advance()
            finally:
                env.close()
        store.finish_run(run_id, _now())
        records = store.episodes(chash, seeds)
    summary = {
        "run_id": run_id, "config_hash": chash, "task": task, "robot": robot, "policy": policy,
        "seed_range": [seeds[0], seeds[-1]], "version": humanoid_bench.__version__,
        **summarize(records),
    }
    write_summary(summary, out / SUMMARY_NAME)
    log.info("wrote %s and %s in %s", DB_NAME, SUMMARY_NAME, out)
    return RunResult(output_dir=out, summary=summary, records=records, ran=ran, skipped=skipped)

