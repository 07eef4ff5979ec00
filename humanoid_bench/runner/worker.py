"""One episode, wherever it runs: in the runner's process, a pool worker or a Ray task.

A job carries everything an episode needs as plain data (the resolved cell config, the seed and
the record's identity), so it pickles to any backend. Workers keep the env and the policy of the
last cells they ran (loading URDFs once); an episode does not depend on what the env ran before,
because reset restores the saved world state and reseeds every generator.
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from omegaconf import DictConfig, OmegaConf

from humanoid_bench.runner.store import Keyframe
from humanoid_bench.scoring.record import EpisodeAccumulator, EpisodeRecord

log = logging.getLogger(__name__)

#: envs (with their policies) a worker keeps open, most recently used last
CACHE_SIZE = 2
JPEG_QUALITY = 80


@dataclass(frozen=True)
class EpisodeJob:
    """What one episode needs: the resolved cell config, its hash, the seed and the record's ids."""

    config: dict[str, Any]
    config_hash: str
    seed: int
    episode: int
    ids: dict[str, Any]  # run_id, task, robot, policy, suite, suite_version, difficulty, site, version
    keyframes: bool = True

    @property
    def key(self) -> tuple[str, int]:
        return (self.config_hash, self.seed)


@dataclass
class EpisodeResult:
    record: EpisodeRecord
    keyframes: list[Keyframe] = field(default_factory=list)
    pid: int = 0

    @property
    def key(self) -> tuple[str, int]:
        return (self.record.config_hash, self.record.seed)


class KeyframeCapture:
    """Grabs the start frame, the frame of the first critical safety event and the end frame."""

    def __init__(self, env: gym.Env) -> None:
        self.env = env
        self.frames: list[Keyframe] = []
        self.critical_seen = False
        self.enabled = True

    def grab(self, label: str, sim_time: float) -> None:
        if not self.enabled:
            return
        try:
            image = self.env.render()
        except NotImplementedError:
            image = None
        if image is None:
            self.enabled = False  # this env renders nothing: no keyframes
            return
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="JPEG", quality=JPEG_QUALITY)
        self.frames.append(Keyframe(label=label, sim_time=float(sim_time), jpeg=buf.getvalue()))

    def after_step(self, info: dict[str, Any], t: float) -> None:
        if self.critical_seen:
            return
        for event in info.get("safety_events") or ():
            if event.get("severity") == "critical":
                self.critical_seen = True
                self.grab(f"first critical event: {event.get('type')}", t)
                return


def run_episode(env: gym.Env, policy: Any, acc: EpisodeAccumulator, seed: int,
                capture: KeyframeCapture | None = None) -> EpisodeRecord:
    """Play one episode to its end (terminated or truncated) and return its record."""
    t_wall = time.perf_counter()
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    acc.start(info)
    t0 = float(info.get("sim_time", 0.0))
    if capture is not None:
        capture.grab("start", 0.0)
    terminated = truncated = False
    while not (terminated or truncated):
        action = policy.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        acc.update(info, float(reward))
        if capture is not None:
            capture.after_step(info, float(info.get("sim_time", t0)) - t0)
    record = acc.finish(terminated=terminated, truncated=truncated, wall_time_s=time.perf_counter() - t_wall)
    if capture is not None:
        capture.grab(f"end: {record.end_reason}", record.sim_time_s)
    return record


class _Slot:
    def __init__(self, env: gym.Env, policy: Any) -> None:
        self.env, self.policy = env, policy


_CACHE: OrderedDict[tuple[str, bool], _Slot] = OrderedDict()


def _slot(job: EpisodeJob) -> _Slot:
    from humanoid_bench.runner.factory import make_env, make_policy

    key = (job.config_hash, job.keyframes)
    slot = _CACHE.get(key)
    if slot is not None:
        _CACHE.move_to_end(key)
        return slot
    cfg = OmegaConf.create(job.config)
    assert isinstance(cfg, DictConfig)
    from humanoid_bench.runner.suite import env_renders_rgb

    render = job.keyframes and env_renders_rgb(str(cfg.task.env_id))
    env = make_env(cfg, render_mode="rgb_array") if render else make_env(cfg)
    try:
        policy = make_policy(cfg, env)
    except BaseException:
        env.close()
        raise
    slot = _Slot(env, policy)
    _CACHE[key] = slot
    while len(_CACHE) > CACHE_SIZE:
        _, old = _CACHE.popitem(last=False)
        old.env.close()
    return slot


def run_job(job: EpisodeJob) -> EpisodeResult:
    """Run one episode job (in any process) and return its record and keyframes."""
    slot = _slot(job)
    acc = EpisodeAccumulator(seed=job.seed, episode=job.episode, config_hash=job.config_hash, **job.ids)
    capture = KeyframeCapture(slot.env) if job.keyframes and slot.env.render_mode == "rgb_array" else None
    record = run_episode(slot.env, slot.policy, acc, job.seed, capture)
    return EpisodeResult(record=record, keyframes=capture.frames if capture else [], pid=os.getpid())


def close_all() -> None:
    """Close every cached env (end of a run in this process)."""
    while _CACHE:
        _, slot = _CACHE.popitem()
        slot.env.close()
