"""Backends: serial, process pool and Ray give the same records; a killed worker loses one episode.

The kill test runs ``humanoid-bench run`` in a subprocess on the process backend with long fake
episodes, SIGKILLs one worker mid-episode, and reruns the command: every episode ends up stored
exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FAKE_OVERRIDES, TESTS_DIR, cli_env, requires_real_env

from humanoid_bench.errors import ConfigError
from humanoid_bench.runner import DB_NAME, ResultsStore, run_benchmark
from humanoid_bench.runner.backends import default_workers

FAKE_BASE = [o for o in FAKE_OVERRIDES if "units_target" not in o and "time_budget_s" not in o]
SINGLE = ["suite=none", "runner.progress=off", "report.enabled=false"]


def comparable(record):
    return replace(record, run_id="", wall_time_s=0.0)


def run(compose_cfg, tmp_path: Path, name: str, *overrides: str):
    return run_benchmark(compose_cfg([*FAKE_OVERRIDES, *SINGLE, *overrides]), tmp_path / name)


def test_serial_and_process_pool_store_identical_records(compose_cfg, tmp_path: Path) -> None:
    serial = run(compose_cfg, tmp_path, "serial", "runner=serial", "episodes=6")
    pool = run(compose_cfg, tmp_path, "pool", "runner=process", "runner.workers=2", "episodes=6")
    assert [comparable(r) for r in serial.records] == [comparable(r) for r in pool.records]
    assert len({r.seed for r in pool.records}) == 6


def test_process_backend_defaults_to_every_core(compose_cfg) -> None:
    assert compose_cfg(["runner=process"]).runner.workers is None
    assert default_workers() == len(os.sched_getaffinity(0))


def test_error_in_a_worker_reaches_the_caller(compose_cfg, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bogus"):
        run(compose_cfg, tmp_path, "bad", "runner=process", "runner.workers=2", "episodes=2",
            "+task.env_kwargs.bogus=1")


@requires_real_env
def test_real_env_serial_and_process_agree_with_keyframes(compose_cfg, tmp_path: Path) -> None:
    small = ["suite=none", "runner.progress=off", "report.enabled=false", "episodes=2", "seed=7",
             "task.env_kwargs.units_target=1", "task.env_kwargs.time_budget_s=8"]
    a = run_benchmark(compose_cfg([*small, "runner=serial"]), tmp_path / "a")
    b = run_benchmark(compose_cfg([*small, "runner=process", "runner.workers=2"]), tmp_path / "b")
    assert [comparable(r) for r in a.records] == [comparable(r) for r in b.records]
    frames = []
    for out in ("a", "b"):
        with ResultsStore(tmp_path / out / DB_NAME) as store:
            rec = store.episodes()[0]
            frames.append(store.keyframes(store.episode_id(rec.config_hash, rec.seed)))
    assert frames[0] and frames[0][0].label == "start" and frames[0][-1].label.startswith("end")
    assert frames[0] == frames[1]  # the same images, byte for byte


@pytest.mark.slow
def test_ray_local_gives_the_same_records(compose_cfg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray")
    # Ray workers are new interpreters started by the local raylet: they find fake_env on PYTHONPATH
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])))
    serial = run(compose_cfg, tmp_path, "serial", "runner=serial", "episodes=4")
    ray_run = run(compose_cfg, tmp_path, "ray", "runner=ray", "runner.workers=2", "episodes=4")
    assert [comparable(r) for r in serial.records] == [comparable(r) for r in ray_run.records]


# ------------------------------------------------------------------------------------ kill test
def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _workers(pid: int) -> list[int]:
    """Pool worker processes of the run (spawned interpreters, not the resource tracker)."""
    found = []
    for child in _children(pid):
        try:
            cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"spawn_main" in cmd:
            found.append(child)
    return found


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM episodes").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find the worker processes")
def test_killed_worker_loses_one_episode_and_the_rerun_completes_it(tmp_path: Path) -> None:
    episodes = 8
    args = [sys.executable, "-m", "humanoid_bench", "run", *FAKE_BASE, *SINGLE, "runner=process", "runner.workers=2",
            f"episodes={episodes}", "task.env_kwargs.time_budget_s=1200", "+task.env_kwargs.unit_every_s=10000",
            "runner.keyframes=false", "hydra.run.dir=out"]
    db = tmp_path / "out" / DB_NAME
    proc = subprocess.Popen(args, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while _stored(db) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # both workers are now inside an episode (each takes about a second or more)
        workers = _workers(proc.pid)
        assert workers, "no pool worker found"
        os.kill(workers[0], signal.SIGKILL)  # mid-episode: every worker is always running one
        _, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert "lost" in err and "rerun" in err
    assert _stored(db) == episodes - 1

    again = subprocess.run(args, cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=180,
                           check=False)
    assert again.returncode == 0, again.stderr
    assert f"{episodes - 1} resumed" in again.stdout
    conn = sqlite3.connect(db)
    seeds = [r[0] for r in conn.execute("SELECT seed FROM episodes ORDER BY seed")]
    assert seeds == list(range(episodes))  # every episode, once
    # the events of each episode are stored once as well
    rows = conn.execute("SELECT e.events_critical + e.events_major + e.events_minor,"
                        " (SELECT COUNT(*) FROM events v WHERE v.episode_id = e.id) FROM episodes e").fetchall()
    assert all(a == b for a, b in rows)


def test_joblib_multirun_jobs_share_one_store(cli, tmp_path: Path) -> None:
    """Hydra's joblib launcher: two jobs in parallel (each with its own process pool) into one store."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    shared = tmp_path / "shared.db"
    proc = cli("run", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *FAKE_OVERRIDES, "suite=none",
               "seed=0,100", "episodes=3", "runner=process", "runner.workers=2", "report.enabled=false",
               f"runner.store={shared}", "hydra.sweep.dir=sweep")
    assert proc.returncode == 0, proc.stderr
    conn = sqlite3.connect(shared)
    assert sorted(r[0] for r in conn.execute("SELECT seed FROM episodes")) == [0, 1, 2, 100, 101, 102]
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    report = cli("report", str(shared), "--out", "merged")
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "merged" / "report.html").is_file()
