"""Suites (``conf/suite/<name>.yaml``) and the plan of a run: its cells, each a full run config.

A suite lists cells, each one (task, difficulty, site profile, seeds). It can name them one by one
(``cells:``) or as a ``matrix`` of tasks x difficulties x sites, where ``tasks: all`` means every
task of :data:`humanoid_bench.TASKS`. A suite has a ``version``; every record of a suite run
carries the suite's name and version.

A run without a suite (``suite=none``) is planned as one cell from ``cfg.task`` and ``cfg.site``.

Planning never crashes on a cell that cannot run: a missing task config, a missing site profile,
an env that cannot take site profiles, or an unknown difficulty makes the cell *skipped*, with
the reason, and the other cells run.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import gymnasium as gym
from omegaconf import DictConfig, OmegaConf

import humanoid_bench
from humanoid_bench.errors import ConfigError
from humanoid_bench.paths import conf_dir
from humanoid_bench.runner.config import DEFAULT_EPISODES, DEFAULT_SEED, config_hash

log = logging.getLogger(__name__)

SUITE_KEYS = {"name", "version", "description", "episodes", "seed", "matrix", "cells"}
MATRIX_KEYS = {"tasks", "difficulties", "sites"}
CELL_KEYS = {"task", "difficulty", "site", "episodes", "seed", "seeds"}
#: command-line override prefixes that apply to every cell of a suite
CELL_OVERRIDE_PREFIXES = ("task.", "site.")


@dataclass(frozen=True)
class CellSpec:
    """One cell of a suite: a task at a difficulty on a site, and its seeds."""

    task: str
    difficulty: str | None
    site: str
    seeds: tuple[int, ...]

    @property
    def cell_id(self) -> str:
        return f"{self.task}/{self.difficulty or '-'}/{self.site}"


@dataclass
class Suite:
    name: str
    version: str
    description: str = ""
    cells: list[CellSpec] = field(default_factory=list)


@dataclass
class PlannedCell:
    """A cell ready to run (``cfg`` and ``config_hash`` set) or skipped (``reason`` set)."""

    spec: CellSpec
    cfg: DictConfig | None = None
    config_hash: str | None = None
    reason: str | None = None

    @property
    def skipped(self) -> bool:
        return self.reason is not None


@dataclass
class RunPlan:
    suite: Suite | None
    cells: list[PlannedCell]
    modified: list[str] = field(default_factory=list)  # how this run departs from the suite as frozen

    @property
    def live(self) -> list[PlannedCell]:
        return [c for c in self.cells if not c.skipped]


# ------------------------------------------------------------------------------------ suite files
def all_task_names() -> list[str]:
    """Task config names of every registered task (:data:`humanoid_bench.TASKS`), in order."""
    return [name for _, name in humanoid_bench.TASKS.values()]


def _seeds(where: str, data: dict[str, Any], episodes: int, seed: int) -> tuple[int, ...]:
    if data.get("seeds") is not None:
        seeds = data["seeds"]
        if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
            raise ConfigError(f"{where}: seeds must be a non-empty list of integers, got {seeds!r}")
        if len(set(seeds)) != len(seeds):
            raise ConfigError(f"{where}: seeds must not repeat, got {seeds}")
        return tuple(int(s) for s in seeds)
    n, s0 = data.get("episodes", episodes), data.get("seed", seed)
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"{where}: episodes must be a positive integer, got {n!r}")
    if not isinstance(s0, int):
        raise ConfigError(f"{where}: seed must be an integer, got {s0!r}")
    return tuple(range(s0, s0 + n))


def _names(where: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a name or a non-empty list of names, got {value!r}")
    return list(value)


def load_suite(data: DictConfig | dict[str, Any]) -> Suite:
    """Validate a suite mapping and expand it into cells (matrix first, then the listed cells)."""
    raw = OmegaConf.to_container(data, resolve=True) if isinstance(data, DictConfig) else dict(data)
    assert isinstance(raw, dict)
    name = str(raw.get("name") or "")
    where = f"suite {name!r}"
    if not name:
        raise ConfigError("a suite needs a name: key (conf/suite/<name>.yaml)")
    unknown = sorted(set(raw) - SUITE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(SUITE_KEYS)}")
    if raw.get("version") in (None, ""):
        raise ConfigError(f"{where}: a suite needs a version: key (records carry it)")
    episodes, seed = raw.get("episodes", DEFAULT_EPISODES), raw.get("seed", DEFAULT_SEED)
    cells: list[CellSpec] = []
    matrix = raw.get("matrix")
    if matrix:
        if not isinstance(matrix, dict) or set(matrix) - MATRIX_KEYS or "tasks" not in matrix:
            raise ConfigError(f"{where}: matrix is {{tasks, difficulties, sites}}, got {matrix!r}")
        tasks = all_task_names() if matrix["tasks"] == "all" else _names(f"{where} matrix.tasks", matrix["tasks"])
        difficulties = _names(f"{where} matrix.difficulties", matrix.get("difficulties", ["medium"]))
        sites = _names(f"{where} matrix.sites", matrix.get("sites", ["empty"]))
        seeds = _seeds(where, {}, episodes, seed)
        cells += [CellSpec(t, d, s, seeds) for t in tasks for d in difficulties for s in sites]
    for i, cell in enumerate(raw.get("cells") or []):
        cw = f"{where} cells[{i}]"
        if not isinstance(cell, dict) or "task" not in cell or set(cell) - CELL_KEYS:
            raise ConfigError(f"{cw}: a cell is {{task, difficulty, site, episodes, seed | seeds}}, got {cell!r}")
        cells.append(CellSpec(str(cell["task"]), cell.get("difficulty", "medium"), str(cell.get("site", "empty")),
                              _seeds(cw, cell, episodes, seed)))
    if not cells:
        raise ConfigError(f"{where} has no cells; give a matrix or a cells list")
    ids = [c.cell_id for c in cells]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{where}: cell(s) listed twice: {', '.join(dupes)}")
    return Suite(name=name, version=str(raw["version"]), description=str(raw.get("description") or ""), cells=cells)


# ---------------------------------------------------------------------------------- env support
def env_creator(env_id: str) -> Any:
    """The class (or function) registered under ``env_id`` (``module:id`` imports the module first)."""
    if ":" in env_id:
        importlib.import_module(env_id.split(":", 1)[0])
        env_id = env_id.split(":", 1)[1]
    entry = gym.spec(env_id).entry_point
    return gym.envs.registration.load_env_creator(entry) if isinstance(entry, str) else entry


@lru_cache(maxsize=64)
def env_parameters(env_id: str) -> tuple[frozenset[str], bool]:
    """Keyword names of the env class behind ``env_id`` and whether it takes ``**kwargs``."""
    creator = env_creator(env_id)
    target = creator.__init__ if inspect.isclass(creator) else creator
    params = inspect.signature(target).parameters.values()
    names = frozenset(p.name for p in params)
    return names, any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def env_accepts(env_id: str, keyword: str) -> bool:
    names, var_kw = env_parameters(env_id)
    return keyword in names or var_kw


def _env_difficulties(env_id: str) -> tuple[str, ...] | None:
    """The env class's ``DIFFICULTIES`` levels, if it declares them."""
    levels = getattr(env_creator(env_id), "DIFFICULTIES", None)
    return tuple(levels) if isinstance(levels, dict) else None


def env_renders_rgb(env_id: str) -> bool:
    """True when the env declares the ``rgb_array`` render mode (keyframes need it)."""
    metadata = getattr(env_creator(env_id), "metadata", None) or {}
    return "rgb_array" in (metadata.get("render_modes") or ())


def site_has_content(site: Any) -> bool:
    """True when a site profile puts people or zones in the scene (an empty site needs no env support)."""
    if not site:
        return False
    data = OmegaConf.to_container(site, resolve=True) if isinstance(site, DictConfig) else dict(site)
    return any(data.get(k) for k in ("humans", "collaborative_zones", "keep_out_zones"))


# ------------------------------------------------------------------------------------- overrides
def apply_overrides(cfg: DictConfig, overrides: Sequence[str], prefixes: Sequence[str]) -> None:
    """Apply the command-line ``key=value`` overrides whose key starts with one of ``prefixes``."""
    if not overrides:
        return
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    for ov in parsed:
        key = ov.key_or_group
        if not key.startswith(tuple(prefixes)):
            continue
        with _open(cfg):
            if ov.is_delete():
                parent, _, leaf = key.rpartition(".")
                node = OmegaConf.select(cfg, parent)
                if isinstance(node, DictConfig) and leaf in node:
                    del node[leaf]
            else:
                OmegaConf.update(cfg, key, ov.value(), merge=True, force_add=ov.is_add() or ov.is_force_add())


class _open:
    """Context manager: lift struct mode so overrides may add keys, as Hydra's ``+key=`` does."""

    def __init__(self, cfg: DictConfig) -> None:
        self.cfg = cfg

    def __enter__(self) -> None:
        self.flag = OmegaConf.is_struct(self.cfg)
        OmegaConf.set_struct(self.cfg, False)

    def __exit__(self, *exc: object) -> None:
        OmegaConf.set_struct(self.cfg, self.flag)


# -------------------------------------------------------------------------------------- planning
def _load_group(group: str, name: str) -> DictConfig | None:
    path = conf_dir() / group / f"{name}.yaml"
    if not path.is_file():
        return None
    data = OmegaConf.load(path)
    assert isinstance(data, DictConfig)
    return data


def _check_cell(cfg: DictConfig, spec: CellSpec) -> str | None:
    """Why this cell cannot run here, or None."""
    env_id = str(cfg.task.get("env_id") or "")
    try:
        _, _ = env_parameters(env_id)
    except gym.error.Error as exc:
        return f"task {spec.task!r}: env id {env_id!r} is not registered ({exc})"
    except ImportError as exc:
        return f"task {spec.task!r}: env id {env_id!r} names a module that cannot be imported ({exc})"
    except Exception as exc:  # noqa: BLE001 - any failure to find the env is a reason to skip
        return f"task {spec.task!r}: env id {env_id!r} cannot be loaded ({type(exc).__name__}: {exc})"
    if site_has_content(cfg.get("site")) and not env_accepts(env_id, "site"):
        return (f"site profile {spec.site!r} has people or zones, but env {env_id!r} takes no site= argument "
                "yet; the cell runs once the env accepts site profiles")
    difficulty = OmegaConf.select(cfg, "task.env_kwargs.difficulty")
    levels = _env_difficulties(env_id)
    if difficulty is not None and levels is not None and difficulty not in levels:
        return f"task {spec.task!r} has no difficulty {difficulty!r} (levels: {', '.join(levels)})"
    return None


def _plan_cell(base: DictConfig, spec: CellSpec, overrides: Sequence[str], from_suite: bool) -> PlannedCell:
    cfg = copy.deepcopy(base)
    if from_suite:
        task = _load_group("task", spec.task)
        if task is None:
            return PlannedCell(spec, reason=f"no task config conf/task/{spec.task}.yaml")
        site = _load_group("site", spec.site)
        if site is None:
            return PlannedCell(spec, reason=f"site profile {spec.site!r} is not installed (no conf/site/{spec.site}.yaml)")
        with _open(cfg):
            cfg.task = task
            if spec.difficulty is not None:
                OmegaConf.update(cfg, "task.env_kwargs.difficulty", spec.difficulty, force_add=True)
            cfg.site = site
        apply_overrides(cfg, overrides, CELL_OVERRIDE_PREFIXES)
    reason = _check_cell(cfg, spec)
    if reason:
        return PlannedCell(spec, reason=reason)
    return PlannedCell(spec, cfg=cfg, config_hash=config_hash(cfg))


def plan_run(cfg: DictConfig, overrides: Sequence[str] = ()) -> RunPlan:
    """The cells of this run. ``overrides`` are the command-line overrides (``task.*`` and ``site.*``
    ones apply to every suite cell; ``task=NAME`` keeps only that task's cells)."""
    suite_cfg = cfg.get("suite")
    if not suite_cfg:  # None (``~suite``) or the empty option ``suite=none``
        episodes = DEFAULT_EPISODES if cfg.episodes is None else int(cfg.episodes)
        seed = DEFAULT_SEED if cfg.seed is None else int(cfg.seed)
        site_name = str(cfg.site.get("name", "custom")) if cfg.get("site") else "empty"
        spec = CellSpec(str(cfg.task.name), OmegaConf.select(cfg, "task.env_kwargs.difficulty"), site_name,
                        tuple(range(seed, seed + episodes)))
        cell = _plan_cell(cfg, spec, overrides, from_suite=False)
        if cell.skipped:
            raise ConfigError(str(cell.reason))
        return RunPlan(suite=None, cells=[cell])
    suite = load_suite(suite_cfg)
    modified: list[str] = []
    specs = list(suite.cells)
    chosen = _chosen_tasks(overrides)
    if chosen:
        specs = [s for s in specs if s.task in chosen]
        modified.append(f"tasks limited to {', '.join(sorted(chosen))}")
        if not specs:
            raise ConfigError(f"suite {suite.name!r} has no cell for task(s) {', '.join(sorted(chosen))}")
    if cfg.episodes is not None or cfg.seed is not None:
        new = []
        for s in specs:
            n = len(s.seeds) if cfg.episodes is None else int(cfg.episodes)
            s0 = s.seeds[0] if cfg.seed is None else int(cfg.seed)
            new.append(CellSpec(s.task, s.difficulty, s.site, tuple(range(s0, s0 + n))))
        specs = new
        if cfg.episodes is not None:
            modified.append(f"episodes={cfg.episodes}")
        if cfg.seed is not None:
            modified.append(f"seed={cfg.seed}")
    modified += [o for o in overrides if o.lstrip("+~").startswith(CELL_OVERRIDE_PREFIXES)]
    cells = [_plan_cell(cfg, s, overrides, from_suite=True) for s in specs]
    for c in cells:
        if c.skipped:
            log.warning("cell %s skipped: %s", c.spec.cell_id, c.reason)
    return RunPlan(suite=suite, cells=cells, modified=modified)


def _chosen_tasks(overrides: Sequence[str]) -> set[str]:
    out = set()
    for o in overrides:
        key, _, value = o.partition("=")
        if key == "task" and value:
            out.add(value)
    return out
