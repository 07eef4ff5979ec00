"""``humanoid-bench train``: train a stable-baselines3 agent on one task.

The algorithm is ``cfg.policy`` (e.g. ``conf/policy/ppo.yaml``: ``_target_: stable_baselines3.PPO``
plus its hyper-parameters), built with ``hydra.utils.instantiate(..., env=vec_env)``. The vector
env holds ``train.n_envs`` copies of the task env made exactly as the runner makes it, each
wrapped in SB3's ``Monitor``. Output in the run folder: ``checkpoint.zip``, ``train_config.yaml``
(the resolved config), SB3 logs as CSV (``logs/progress.csv``) and, only if the ``tensorboard``
package is installed, TensorBoard event files (``logs/``).

torch and stable_baselines3 are imported inside the functions here, never at module level.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from humanoid_bench.errors import ConfigError
from humanoid_bench.runner.config import policy_kwargs, validate
from humanoid_bench.runner.factory import env_kwargs

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.zip"
CONFIG_NAME = "train_config.yaml"


def _require_sb3() -> None:
    if importlib.util.find_spec("stable_baselines3") is None:
        raise ConfigError(
            "stable-baselines3 is not installed; training needs the rl extra: "
            "pip install torch==2.13.0 && pip install -e '.[rl]'"
        )


def tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def _show_progress(setting: str) -> bool:
    if setting in ("on", "off"):
        return setting == "on"
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return sys.stderr.isatty() and not ci


def make_vec_env(cfg: DictConfig) -> Any:
    """SB3 vector env of ``train.n_envs`` task envs (seeded from ``cfg.seed``), Monitor-wrapped.

    ``render_mode`` is None: SB3 would otherwise ask for ``rgb_array``, which training never uses.
    """
    from stable_baselines3.common.env_util import make_vec_env as sb3_make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    vec_cls = SubprocVecEnv if cfg.train.vec_env == "subproc" else DummyVecEnv
    return sb3_make_vec_env(str(cfg.task.env_id), n_envs=int(cfg.train.n_envs), seed=int(cfg.seed),
                            env_kwargs={"render_mode": None, **env_kwargs(cfg)}, vec_env_cls=vec_cls)


def train(cfg: DictConfig, output_dir: str | Path) -> Path:
    """Train ``cfg.policy`` on ``cfg.task`` for ``train.total_timesteps``; returns the checkpoint path."""
    validate(cfg, "train")
    _require_sb3()
    import torch
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate
    from stable_baselines3.common.logger import configure

    if cfg.train.torch_threads is not None:
        torch.set_num_threads(int(cfg.train.torch_threads))

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, out / CONFIG_NAME, resolve=True)
    vec_env = make_vec_env(cfg)
    try:
        kwargs = policy_kwargs(cfg.policy)
        try:
            model = instantiate(kwargs, env=vec_env, seed=int(cfg.seed), verbose=0, _convert_="all")
        except InstantiationException as exc:
            first = str(exc).strip().splitlines()[0]
            raise ConfigError(f"policy {cfg.policy.get('name')!r}: cannot build {kwargs.get('_target_')!r}: "
                              f"{first}; check the hyper-parameters in conf/policy/") from None
        formats = ["csv"] + (["tensorboard"] if tensorboard_available() else [])
        model.set_logger(configure(str(out / "logs"), formats))
        log.info("training %s on %s for %d steps (%d env(s)); logs: %s", kwargs.get("_target_"), cfg.task.env_id,
                 cfg.train.total_timesteps, cfg.train.n_envs, ", ".join(formats))
        model.learn(total_timesteps=int(cfg.train.total_timesteps), progress_bar=_show_progress(cfg.train.progress))
        path = out / CHECKPOINT_NAME
        model.save(path)
    finally:
        vec_env.close()
    log.info("saved %s", path)
    return path
