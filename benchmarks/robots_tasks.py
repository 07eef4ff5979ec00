"""Scripted-baseline success per robot and task over many seeds ("every task on every robot").

    python benchmarks/robots_tasks.py [--tasks part_picking carrying] [--robots wheeled_humanoid ...]
        [--seeds 50] [--first-seed 0] [--difficulty medium] [--workers 1] [--json out.json]

Robots are names in conf/robot/ or YAML paths. The Unitree G1 YAMLs need the model folder in
HUMANOID_BENCH_G1_DIR (e.g. ../shared/robots/unitree_g1 from the repository root); a robot whose
model is missing is reported as skipped. A robot that cannot run the scripted baseline (no
gripper, or a fixed base for a task that needs a mobile one) is reported with the reason and 0
successes. Prints one row per robot: successes / n,
rate with a 95% Wilson interval, mean units, end reasons, falls, and wall time per episode.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import humanoid_bench
from humanoid_bench.scoring.stats import wilson_ci

DEFAULT_ROBOTS = ["wheeled_humanoid", "torso_humanoid", "biped_humanoid", "g1_dex3", "g1_dual_arm"]


def run_robot(robot: str, seeds: list[int], difficulty: str, task: str = "part_picking") -> dict[str, Any]:
    import gymnasium as gym
    from humanoid_bench.policies.scripted import ScriptedPolicy

    from humanoid_bench.errors import ConfigError, HumanoidBenchError
    from humanoid_bench.runner.worker import run_episode
    from humanoid_bench.scoring.record import EpisodeAccumulator
    from humanoid_bench.sim.robot_spec import RobotSpec

    out: dict[str, Any] = {"robot": robot, "task": task, "episodes": []}
    try:
        spec = RobotSpec.load(robot)
    except HumanoidBenchError as exc:
        return {**out, "skipped": str(exc)}
    out["label"] = spec.label
    if not any(ee.gripper for ee in spec.end_effectors.values()):
        reason = "no gripper: the model's hands have no finger joints, so it cannot grasp a part"
        return {**out, "not_applicable": reason,
                "episodes": [{"seed": s, "success": False, "units": 0, "end_reason": "cannot_grasp"} for s in seeds]}
    env_id = next(i for i, (_, name) in humanoid_bench.TASKS.items() if name == task)
    try:
        env = gym.make(env_id, robot=spec, difficulty=difficulty)
    except ConfigError as exc:  # e.g. a fixed base for a task that needs a mobile one
        return {**out, "not_applicable": str(exc),
                "episodes": [{"seed": s, "success": False, "units": 0, "end_reason": "not_applicable"} for s in seeds]}
    policy = ScriptedPolicy(env)
    try:
        for k, seed in enumerate(seeds):
            acc = EpisodeAccumulator(run_id="robots_tasks", task=task, robot=spec.label, policy="scripted",
                                     seed=seed, episode=k, config_hash="-")
            rec = run_episode(env, policy, acc, seed)
            out["episodes"].append({
                "seed": seed, "success": rec.end_reason == "success", "units": rec.units_completed,
                "end_reason": rec.end_reason, "sim_time_s": round(rec.sim_time_s, 2),
                "falls": rec.events_by_type.get("fall", 0), "wall_s": round(rec.wall_time_s, 2),
            })
    finally:
        env.close()
    return out


def summarize(res: dict[str, Any]) -> str:
    eps = res["episodes"]
    name = f'{res["task"]:<16} {res.get("label", res["robot"])}'
    if "skipped" in res:
        return f"{name:<34} skipped: {res['skipped']}"
    n, k = len(eps), sum(e["success"] for e in eps)
    lo, hi = wilson_ci(k, n) or (0.0, 0.0)
    reasons = collections.Counter(e["end_reason"] for e in eps)
    units = sum(e["units"] for e in eps) / max(n, 1)
    wall = [e["wall_s"] for e in eps if "wall_s" in e]
    falls = sum(e.get("falls", 0) for e in eps)
    extra = f"  ({res['not_applicable']})" if "not_applicable" in res else ""
    wall_txt = f"{sum(wall) / len(wall):5.1f} s/ep" if wall else "      -"
    return (f"{name:<34} {k:>3}/{n:<3} {100 * k / max(n, 1):5.1f}%  CI95 [{100 * lo:4.1f}, {100 * hi:5.1f}]  "
            f"units {units:4.2f}  falls {falls:<3} {wall_txt}  {dict(reasons)}{extra}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", nargs="+", default=["part_picking"], help="task config names")
    p.add_argument("--robots", nargs="+", default=DEFAULT_ROBOTS)
    p.add_argument("--seeds", type=int, default=50)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--difficulty", default="medium")
    p.add_argument("--workers", type=int, default=1, help="processes (one robot per process)")
    p.add_argument("--json", help="write every episode to this JSON file")
    a = p.parse_args(argv)
    seeds = list(range(a.first_seed, a.first_seed + a.seeds))
    print(f"{', '.join(a.tasks)} ({a.difficulty}), scripted baseline, seeds {seeds[0]}..{seeds[-1]}; "
          f"{platform.processor() or platform.machine()}, python {platform.python_version()}", flush=True)
    t0 = time.perf_counter()
    jobs = [(robot, task) for task in a.tasks for robot in a.robots]
    if a.workers > 1:
        with ProcessPoolExecutor(a.workers) as pool:
            results = list(pool.map(run_robot, [r for r, _ in jobs], [seeds] * len(jobs), [a.difficulty] * len(jobs),
                                    [t for _, t in jobs]))
        for r in results:
            print(summarize(r), flush=True)
    else:
        results = []
        for robot, task in jobs:
            results.append(run_robot(robot, seeds, a.difficulty, task))
            print(summarize(results[-1]), flush=True)
    print(f"total wall time {time.perf_counter() - t0:.0f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"difficulty": a.difficulty, "seeds": seeds, "results": results,
                       "g1_dir": os.environ.get("HUMANOID_BENCH_G1_DIR")}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
