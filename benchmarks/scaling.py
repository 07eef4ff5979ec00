"""Runner scaling: episodes per second with 1 worker and with N workers (process backend), and the ratio.

Both measurements run in this one invocation on the same machine, the same task and the same seeds
(PartPicking, scripted baseline, medium, empty site, keyframes on as in a real run), each into a
fresh results store; the 1-minute load average is printed with each figure, since other work on the
machine takes cores from the workers; the wall time covers the whole run (worker start-up included), not only the
episodes. Records of the two runs are compared: they must be identical.

    python benchmarks/scaling.py                 # 12 episodes, 1 vs 2 workers, each twice (best counts), each twice (best counts)
    python benchmarks/scaling.py --episodes 20 --workers 4 --backend ray
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def compose(overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from humanoid_bench.paths import conf_dir
    from humanoid_bench.runner.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3", job_name="scaling"):
        return hydra_compose(config_name="run", overrides=overrides)


def measure(workers: int, episodes: int, backend: str, task: str, out: Path) -> tuple[float, list]:
    from humanoid_bench.runner import run_benchmark

    cfg = compose([f"task={task}", "suite=none", f"episodes={episodes}", "seed=0", f"runner={backend}",
                   f"runner.workers={workers}", "runner.progress=off", "runner.table=false", "report.enabled=false"])
    t0 = time.perf_counter()
    result = run_benchmark(cfg, out)
    wall = time.perf_counter() - t0
    assert result.ran == episodes, f"expected {episodes} new episodes, ran {result.ran}"
    return wall, result.records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2, help="the N of the comparison (against 1)")
    parser.add_argument("--backend", default="process", choices=("process", "ray"))
    parser.add_argument("--task", default="part_picking")
    parser.add_argument("--repeat", type=int, default=2,
                        help="alternate 1 and N workers this many times; the best of each counts (others' load)")
    ns = parser.parse_args()
    runs = []
    records: dict[int, list] = {}
    best: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(ns.repeat):
            for n in ((1, ns.workers) if rep % 2 == 0 else (ns.workers, 1)):
                wall, recs = measure(n, ns.episodes, ns.backend, ns.task, Path(tmp) / f"w{n}-{rep}")
                runs.append({"workers": n, "load_avg_1min_after": round(os.getloadavg()[0], 2),
                             "wall_s": round(wall, 2), "episodes_per_s": round(ns.episodes / wall, 3),
                             "sim_s_per_wall_s": round(sum(r.sim_time_s for r in recs) / wall, 2)})
                records.setdefault(n, [replace(r, run_id="", wall_time_s=0.0) for r in recs])
                best[n] = min(best.get(n, float("inf")), wall)
    report = {
        "machine": {"cpu": cpu_model(), "cores": len(os.sched_getaffinity(0)), "python": platform.python_version(),
                    "platform": platform.platform()},
        "task": ns.task, "episodes": ns.episodes, "backend": ns.backend,
        "runs": runs,
        "best_episodes_per_s": {str(n): round(ns.episodes / w, 3) for n, w in sorted(best.items())},
        "ratio": round(best[1] / best[ns.workers], 2),
        "identical_records": records[1] == records[ns.workers],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
