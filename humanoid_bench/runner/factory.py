"""Build the env and the policy of a composed config (shared by the runner and the trainer)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import humanoid_bench  # noqa: F401  (registers the humanoid_bench/ env ids)
from humanoid_bench.errors import ConfigError, HumanoidBenchError
from humanoid_bench.runner.config import policy_kwargs, policy_name


def env_kwargs(cfg: DictConfig) -> dict[str, Any]:
    """Keyword arguments of ``gymnasium.make(cfg.task.env_id, ...)`` (robot, safety, sim rates, site, task kwargs).

    ``site`` (the site profile) is passed only to envs whose constructor takes it.
    """
    safety = cfg.get("safety")
    kwargs: dict[str, Any] = {
        "robot": OmegaConf.to_container(cfg.robot, resolve=True),
        "safety": _drop_nulls(safety),
        "physics_hz": float(cfg.sim.physics_hz),
        "control_hz": float(cfg.sim.control_hz),
    }
    site = cfg.get("site")
    if site is not None and _accepts(str(cfg.task.env_id), "site"):
        kwargs["site"] = OmegaConf.to_container(site, resolve=True)
    task_kwargs = cfg.task.get("env_kwargs")
    if task_kwargs is not None:
        kwargs.update(OmegaConf.to_container(task_kwargs, resolve=True))  # type: ignore[arg-type]
    return kwargs


def _accepts(env_id: str, keyword: str) -> bool:
    from humanoid_bench.runner.suite import env_accepts

    try:
        return env_accepts(env_id, keyword)
    except Exception:  # noqa: BLE001 - an unknown id is reported by make_env itself
        return False


def _drop_nulls(section: Any) -> dict[str, Any] | None:
    """A config section as a dict without null values (null means "the component's default")."""
    if section is None:
        return None
    data = OmegaConf.to_container(section, resolve=True)
    return {k: v for k, v in data.items() if v is not None}  # type: ignore[union-attr]


def make_env(cfg: DictConfig, **extra: Any) -> gym.Env:
    """``gymnasium.make`` of the task's env id; unknown ids and keyword typos become ConfigError."""
    env_id = str(cfg.task.env_id)
    try:
        return gym.make(env_id, **env_kwargs(cfg), **extra)
    except gym.error.Error as exc:
        if isinstance(exc, (gym.error.NameNotFound, gym.error.NamespaceNotFound, gym.error.VersionNotFound,
                            gym.error.UnregisteredEnv, gym.error.DeprecatedEnv)):
            raise ConfigError(f"task {cfg.task.get('name')!r}: env id {env_id!r} is not registered ({exc})") from None
        raise
    except ModuleNotFoundError as exc:
        raise ConfigError(f"task {cfg.task.get('name')!r}: env id {env_id!r} names a module that is missing "
                          f"({exc})") from None
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):
            raise ConfigError(f"task {cfg.task.get('name')!r}: {exc}; check task.env_kwargs") from None
        raise


def make_policy(cfg: DictConfig, env: gym.Env) -> Any:
    """Instantiate ``cfg.policy`` (minus ``name``/``kind``) with ``env=env``; check its interface."""
    name = policy_name(cfg.policy)
    kwargs = policy_kwargs(cfg.policy)
    try:
        policy = instantiate(kwargs, env=env, _convert_="all")
    except InstantiationException as exc:
        cause = exc.__cause__
        if isinstance(cause, HumanoidBenchError):
            raise cause from None
        if isinstance(cause, ImportError) or "Error locating target" in str(exc):
            first = str(exc).strip().splitlines()[0]
            raise ConfigError(f"policy {name!r}: _target_ {kwargs.get('_target_')!r} cannot be imported "
                              f"({first}); check the policy yaml's _target_") from None
        raise
    for method in ("reset", "act"):
        if not callable(getattr(policy, method, None)):
            raise ConfigError(
                f"policy {name!r} ({type(policy).__name__}) has no {method}() method; a policy needs "
                "reset(seed) and act(observation, info) -> action"
            )
    return policy
