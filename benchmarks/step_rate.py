"""Env step rate against raw physics of the same scene, measured in one run.

    python benchmarks/step_rate.py [--task part_picking] [--steps 1500]

Prints, for each task: the raw ``stepSimulation`` rate of the env's own scene at rest (no Python
around it); env steps per second with a zero action and with the scripted baseline acting; the
real-time factor (simulated seconds per wall second) of each; the ratio of the env step rate to
the raw rate; and, by timing every ``stepSimulation`` the env makes, the share of wall time spent
in physics, in the policy, and the env's own overhead outside physics. Single process, one core.
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Self

import gymnasium as gym
import numpy as np
from humanoid_bench.policies.scripted import ScriptedPolicy

import humanoid_bench
from humanoid_bench.sim import world as world_module


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


class PhysicsTimer:
    """Times every ``pybullet.stepSimulation`` the env makes (patched into the world module)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._orig = world_module.pb.stepSimulation

    def __enter__(self) -> Self:
        orig = self._orig

        def timed(*args, **kwargs):
            t = time.perf_counter()
            out = orig(*args, **kwargs)
            self.seconds += time.perf_counter() - t
            return out

        world_module.pb.stepSimulation = timed
        return self

    def __exit__(self, *exc) -> None:
        world_module.pb.stepSimulation = self._orig


def measure(env_id: str, steps: int) -> dict[str, float]:
    env = gym.make(env_id)
    u = env.unwrapped
    substeps, control_dt, physics_dt = u.world.substeps, u.world.control_dt, u.world.physics_dt
    zero = np.zeros(env.action_space.shape, np.float32)

    env.reset(seed=0)
    client = u.world.client
    t = time.perf_counter()
    for _ in range(steps * substeps):
        client.stepSimulation()
    raw_physics_hz = steps * substeps / (time.perf_counter() - t)

    env.reset(seed=0)
    with PhysicsTimer() as phys:
        t = time.perf_counter()
        for _ in range(steps):
            env.step(zero)
        wall = time.perf_counter() - t
    zero_sps, zero_phys = steps / wall, phys.seconds / wall

    policy = ScriptedPolicy(env)
    obs, info = env.reset(seed=0)
    policy.reset(0)
    n, policy_s = 0, 0.0
    with PhysicsTimer() as phys:
        t = time.perf_counter()
        while n < steps:
            t_act = time.perf_counter()
            action = policy.act(obs, info)
            policy_s += time.perf_counter() - t_act
            obs, _, term, trunc, info = env.step(action)
            n += 1
            if term or trunc:
                obs, info = env.reset(seed=n)
                policy.reset(n)
        wall = time.perf_counter() - t
    env.close()
    scripted_sps = n / wall
    return {
        "raw_physics_steps_per_s (at rest)": raw_physics_hz,
        "raw_physics_rtf (at rest)": raw_physics_hz * physics_dt,
        "env_steps_per_s (zero action)": zero_sps,
        "env_rtf (zero action)": zero_sps * control_dt,
        "env/raw step-rate ratio (zero action)": zero_sps * substeps / raw_physics_hz,
        "physics share of env.step (zero action)": zero_phys,
        "env_steps_per_s (scripted policy)": scripted_sps,
        "env_rtf (scripted policy)": scripted_sps * control_dt,
        "physics share of wall time (scripted)": phys.seconds / wall,
        "policy share of wall time (scripted)": policy_s / wall,
        "env overhead outside physics (scripted)": 1.0 - phys.seconds / (wall - policy_s),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", action="append", help="task config name (default: every task)")
    ap.add_argument("--steps", type=int, default=1500)
    args = ap.parse_args()
    tasks = {name: env_id for env_id, (_, name) in humanoid_bench.TASKS.items()}
    print(f"machine: {cpu_name()}, {platform.python_implementation()} {platform.python_version()}, one process")
    for name in args.task or sorted(tasks):
        r = measure(tasks[name], args.steps)
        print(f"\n{name} ({args.steps} env steps each)")
        for k, v in r.items():
            print(f"  {k:42s} {v:10.3f}")


if __name__ == "__main__":
    main()
