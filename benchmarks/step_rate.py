"""Env step rate against raw physics of the same scene, measured in one run.

    python benchmarks/step_rate.py [--task part_picking] [--steps 1500]

Prints, for each task: raw ``stepSimulation`` rate of the env's own scene (no Python around it),
env steps per second with a zero action and with the scripted baseline acting, the real-time
factor (simulated seconds per wall second) of each, and the ratio of env cost to raw physics
(env overhead = 1 - raw-equivalent env rate / env rate). Single process, one core.
"""

from __future__ import annotations

import argparse
import platform
import time

import gymnasium as gym
import numpy as np

import humanoid_bench
from humanoid_bench.policies.scripted import ScriptedPolicy


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def measure(env_id: str, steps: int) -> dict[str, float]:
    env = gym.make(env_id)
    u = env.unwrapped
    substeps, control_dt = u.world.substeps, u.world.control_dt
    zero = np.zeros(env.action_space.shape, np.float32)

    env.reset(seed=0)
    client = u.world.client
    t = time.perf_counter()
    for _ in range(steps * substeps):
        client.stepSimulation()
    raw_physics_hz = steps * substeps / (time.perf_counter() - t)

    env.reset(seed=0)
    t = time.perf_counter()
    for _ in range(steps):
        env.step(zero)
    zero_sps = steps / (time.perf_counter() - t)

    policy = ScriptedPolicy(env)
    obs, info = env.reset(seed=0)
    policy.reset(0)
    n, t = 0, time.perf_counter()
    while n < steps:
        obs, _, term, trunc, info = env.step(policy.act(obs, info))
        n += 1
        if term or trunc:
            obs, info = env.reset(seed=n)
            policy.reset(n)
    scripted_sps = n / (time.perf_counter() - t)
    env.close()
    raw_env_equiv = raw_physics_hz / substeps  # env steps/s if only physics cost anything
    return {
        "raw_physics_steps_per_s": raw_physics_hz,
        "raw_physics_rtf": raw_env_equiv * control_dt,
        "env_steps_per_s_zero_action": zero_sps,
        "env_rtf_zero_action": zero_sps * control_dt,
        "env_overhead_zero_action": 1.0 - zero_sps / raw_env_equiv,
        "env_steps_per_s_scripted": scripted_sps,
        "env_rtf_scripted": scripted_sps * control_dt,
        "env_overhead_scripted": 1.0 - scripted_sps / raw_env_equiv,
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
            print(f"  {k:32s} {v:10.3f}")


if __name__ == "__main__":
    main()
