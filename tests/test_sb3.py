"""stable-baselines3: training writes a checkpoint, the sb3 policy loads it, the runner evaluates it."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest
from conftest import FAKE_OVERRIDES, requires_real_env

from humanoid_bench.errors import ConfigError
from humanoid_bench.runner import run_benchmark
from humanoid_bench.train import CHECKPOINT_NAME, CONFIG_NAME, tensorboard_available, train

pytest.importorskip("stable_baselines3")

#: a tiny PPO so the fake-env tests take seconds
SMALL_PPO = ["policy.n_steps=128", "policy.batch_size=64", "policy.n_epochs=2", "policy.policy_kwargs.net_arch=[32]",
             "train.progress=off"]
FAKE_TRAIN = [o for o in FAKE_OVERRIDES if not o.startswith(("policy=", "runner."))]


@pytest.fixture(scope="module")
def fake_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hydra import compose, initialize_config_dir

    from humanoid_bench.paths import conf_dir
    from humanoid_bench.runner.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        cfg = compose("train", overrides=[*FAKE_TRAIN, *SMALL_PPO, "train.total_timesteps=256"])
    out = tmp_path_factory.mktemp("train")
    return train(cfg, out)


def test_train_writes_checkpoint_config_and_logs(fake_checkpoint: Path) -> None:
    out = fake_checkpoint.parent
    assert fake_checkpoint.name == CHECKPOINT_NAME and fake_checkpoint.stat().st_size > 0
    assert "total_timesteps: 256" in (out / CONFIG_NAME).read_text()
    assert (out / "logs" / "progress.csv").is_file()
    has_tb = any(out.glob("logs/events.out.tfevents*"))
    assert has_tb == tensorboard_available()


def test_runner_evaluates_checkpoint(fake_cfg, fake_checkpoint: Path, tmp_path: Path) -> None:
    cfg = fake_cfg("policy=sb3", f"policy.checkpoint={fake_checkpoint}", "episodes=2")
    result = run_benchmark(cfg, tmp_path)
    assert [r.policy for r in result.records] == ["sb3", "sb3"]
    again = run_benchmark(cfg, tmp_path / "again")  # deterministic actions: the same episodes
    assert [r.units_completed for r in again.records] == [r.units_completed for r in result.records]
    assert [r.sim_time_s for r in again.records] == [r.sim_time_s for r in result.records]


def test_sb3_policy_errors(fake_checkpoint: Path, tmp_path: Path) -> None:
    from humanoid_bench.policies.sb3 import SB3Policy

    env = gym.make("Pendulum-v1")
    with pytest.raises(ConfigError, match="not a file"):
        SB3Policy(env, checkpoint=str(tmp_path / "nothing.zip"))
    with pytest.raises(ConfigError, match="observation space"):
        SB3Policy(env, checkpoint=str(fake_checkpoint))
    with pytest.raises(ConfigError, match="algo"):
        SB3Policy(env, checkpoint=str(fake_checkpoint), algo="stable_baselines3.NoSuchAlgo")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="could not be loaded"):
        SB3Policy(env, checkpoint=str(garbage))
    env.close()


@requires_real_env
@pytest.mark.slow
def test_ppo_train_and_evaluate_real_env_cli(cli, tmp_path: Path) -> None:
    """`humanoid-bench train` a few thousand PPO steps, then `run policy=sb3` one episode."""
    small_task = ["task.env_kwargs.units_target=1", "task.env_kwargs.time_budget_s=8"]
    proc = cli("train", "task=part_picking", "policy=ppo", "train.total_timesteps=2048", "policy.n_steps=512",
               *small_task, "hydra.run.dir=ppo")
    assert proc.returncode == 0, proc.stderr
    ckpt = tmp_path / "ppo" / CHECKPOINT_NAME
    assert ckpt.is_file() and str(ckpt) in proc.stdout
    proc = cli("run", "policy=sb3", f"policy.checkpoint={ckpt}", "episodes=1", *small_task, "hydra.run.dir=eval")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary["episodes"] == 1 and summary["policy"] == "sb3" and summary["task"] == "part_picking"
