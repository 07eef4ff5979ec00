"""Structured config schemas of ``conf/run.yaml`` and ``conf/train.yaml`` and their validation.

The schemas are registered in Hydra's ConfigStore (``run_schema``, ``train_schema``) and named
first in the defaults lists, so typos (``nosuchkey=1``) and wrong types (``episodes=abc``) fail
at composition. Group contents (task, robot, policy, safety) stay open dicts: they belong to
their plug-ins. Checks that need more than a type live in :func:`validate`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from humanoid_bench.errors import ConfigError

#: keys of a policy config that are metadata, not constructor arguments
POLICY_META_KEYS = ("name", "kind")
#: keys left out of the config hash: they choose which episodes run and how, not what an episode is
HASH_EXCLUDED_KEYS = ("seed", "episodes", "runner", "output_dir", "hydra", "suite", "report")
BACKENDS = ("serial", "process", "ray")
#: the suite `humanoid-bench run` runs when the command line names neither a suite nor a task
DEFAULT_SUITE = "k_humanoid_pilot_v2"
#: episodes and first seed of a run that names no suite (``suite=none``) and sets neither
DEFAULT_EPISODES = 10
DEFAULT_SEED = 0
PROGRESS = ("auto", "on", "off")


@dataclass
class SimConfig:
    physics_hz: float = 240.0
    control_hz: float = 30.0


@dataclass
class RunnerConfig:
    backend: str = "process"  # serial | process | ray
    workers: int | None = None  # process/ray: parallel episodes; None = every core of this machine
    ray_address: str | None = None  # ray: ray.init(address=...); None starts a local Ray
    progress: str = "auto"  # auto: a bar on a terminal, none when piped or CI=true
    resume: bool = True  # skip episodes already stored with the same config hash and seed
    table: bool = True  # print the results table at the end
    keyframes: bool = True  # store start / first critical event / end images of every episode
    store: str | None = None  # results database; None = results.db in the output folder


@dataclass
class RunConfig:
    task: Any = MISSING
    robot: Any = MISSING
    policy: Any = MISSING
    safety: Any = None
    sim: SimConfig = field(default_factory=SimConfig)
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    site: Any = None
    suite: Any = None  # a conf/suite option, or None for a single-task run
    report: Any = None
    seed: int | None = None  # None: the suite's seeds, or 0 without a suite
    episodes: int | None = None  # None: the suite's episodes per cell, or 10 without a suite


@dataclass
class TrainSettings:
    total_timesteps: int = 200_000
    n_envs: int = 1
    vec_env: str = "dummy"  # dummy | subproc
    progress: str = "auto"
    torch_threads: int | None = 1  # torch intra-op threads; None = torch's default


@dataclass
class TrainConfig:
    task: Any = MISSING
    robot: Any = MISSING
    policy: Any = MISSING
    safety: Any = None
    sim: SimConfig = field(default_factory=SimConfig)
    train: TrainSettings = field(default_factory=TrainSettings)
    seed: int = 0


def register_configs() -> None:
    """Put the schemas in Hydra's ConfigStore (idempotent)."""
    cs = ConfigStore.instance()
    cs.store(name="run_schema", node=RunConfig)
    cs.store(name="train_schema", node=TrainConfig)


def policy_kwargs(policy_cfg: DictConfig | dict[str, Any]) -> dict[str, Any]:
    """The policy config without its metadata keys, ready for ``hydra.utils.instantiate``."""
    data = OmegaConf.to_container(policy_cfg, resolve=True) if isinstance(policy_cfg, DictConfig) else dict(policy_cfg)
    return {k: v for k, v in data.items() if k not in POLICY_META_KEYS}  # type: ignore[union-attr]


def policy_name(policy_cfg: DictConfig | dict[str, Any]) -> str:
    name = policy_cfg.get("name")
    if name:
        return str(name)
    return str(policy_cfg.get("_target_", "policy")).rsplit(".", 1)[-1]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hashed_config(cfg: DictConfig) -> dict[str, Any]:
    """What defines an episode: the resolved config minus seed, episodes, runner and output paths.

    A policy checkpoint enters by the sha256 of its file, so a retrained checkpoint at the same
    path is a different config.
    """
    data = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(data, dict)
    data = {k: v for k, v in data.items() if k not in HASH_EXCLUDED_KEYS}
    policy = data.get("policy")
    if isinstance(policy, dict) and policy.get("checkpoint"):
        path = Path(str(policy["checkpoint"]))
        if path.is_file():
            policy["checkpoint_sha256"] = _sha256_file(path)
    return data


def config_hash(cfg: DictConfig) -> str:
    """sha256 of :func:`hashed_config` as canonical JSON."""
    text = json.dumps(hashed_config(cfg), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def validate(cfg: DictConfig, command: str = "run") -> None:
    """Checks beyond types; raises :class:`ConfigError` with expected, received and the fix."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        hint = " ".join(f"{k}=..." for k in missing)
        raise ConfigError(f"required value(s) missing: {', '.join(missing)}; add {hint} to the command")
    for key in ("task", "robot", "policy"):
        if not isinstance(cfg.get(key), DictConfig):
            raise ConfigError(f"{key} must be a config group option (a mapping), got {cfg.get(key)!r}")
    if not cfg.task.get("env_id"):
        raise ConfigError(f"task {cfg.task.get('name')!r} has no env_id; every conf/task/*.yaml needs one")
    if not cfg.robot.get("name"):
        raise ConfigError("robot config has no name; every conf/robot/*.yaml needs a name: key")
    if cfg.sim.physics_hz <= 0 or cfg.sim.control_hz <= 0 or cfg.sim.control_hz > cfg.sim.physics_hz:
        raise ConfigError(
            f"sim rates must satisfy 0 < control_hz <= physics_hz, got physics_hz={cfg.sim.physics_hz}, "
            f"control_hz={cfg.sim.control_hz}"
        )
    kind = str(cfg.policy.get("kind", "eval"))
    name = policy_name(cfg.policy)
    if command == "run":
        if kind == "train":
            raise ConfigError(
                f"policy {name!r} is a training config; train it with `humanoid-bench train policy={name}`, "
                "then evaluate the result with `humanoid-bench run policy=sb3 policy.checkpoint=PATH`"
            )
        if cfg.episodes is not None and cfg.episodes < 1:
            raise ConfigError(f"episodes must be at least 1, got {cfg.episodes}")
        if cfg.runner.backend not in BACKENDS:
            raise ConfigError(f"runner.backend {cfg.runner.backend!r} is not supported; valid: {', '.join(BACKENDS)}")
        if cfg.runner.workers is not None and cfg.runner.workers < 1:
            raise ConfigError(f"runner.workers must be at least 1 (or null for every core), got {cfg.runner.workers}")
        suite = cfg.get("suite")
        if suite is not None and not isinstance(suite, DictConfig):
            raise ConfigError(f"suite must be a conf/suite option or null, got {suite!r}")
        if cfg.runner.progress not in PROGRESS:
            raise ConfigError(f"runner.progress must be one of {', '.join(PROGRESS)}, got {cfg.runner.progress!r}")
    else:
        if kind != "train":
            raise ConfigError(
                f"policy {name!r} cannot be trained by `humanoid-bench train`; use a training config such as "
                "policy=ppo"
            )
        if cfg.train.total_timesteps < 1:
            raise ConfigError(f"train.total_timesteps must be at least 1, got {cfg.train.total_timesteps}")
        if cfg.train.n_envs < 1:
            raise ConfigError(f"train.n_envs must be at least 1, got {cfg.train.n_envs}")
        if cfg.train.vec_env not in ("dummy", "subproc"):
            raise ConfigError(f"train.vec_env must be 'dummy' or 'subproc', got {cfg.train.vec_env!r}")
    checkpoint = cfg.policy.get("checkpoint")
    if checkpoint is not None and not Path(str(checkpoint)).is_file():
        raise ConfigError(
            f"policy.checkpoint {str(checkpoint)!r} is not a file; expected the checkpoint.zip written by "
            "`humanoid-bench train` (look in its run folder)"
        )
    if not cfg.policy.get("_target_"):
        raise ConfigError(f"policy {name!r} has no _target_; a policy yaml names its class with _target_: module.Class")
