"""Runner: seeded episodes into the store, summary.json, resume, config hash, errors.

Most tests use the fake env of ``tests/fake_env.py`` as a single-task run (``suite=none``) on the
serial backend; the ``real`` ones run PartPicking with small settings (1 part, 8 s budget).
Suites are tested in test_suite.py, backends in test_backends.py, the report in test_report.py.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import requires_real_env
from rich.console import Console

from humanoid_bench.errors import ConfigError, HumanoidBenchError
from humanoid_bench.runner import DB_NAME, ResultsStore, run_benchmark
from humanoid_bench.runner.config import config_hash, hashed_config
from humanoid_bench.runner.runner import progress_enabled
from humanoid_bench.safety.events import EVENT_TYPES, SEVERITIES

REAL_SMALL = ["suite=none", "runner=serial", "report.enabled=false", "task.env_kwargs.units_target=1",
              "task.env_kwargs.time_budget_s=8", "runner.progress=off"]
#: a single-task run on this process, no report (each test that wants one asks for it)
SINGLE = ["suite=none", "runner=serial", "runner.progress=off", "report.enabled=false"]


@pytest.fixture
def fake_cfg(fake_cfg):
    """The conftest fake config as a single-task serial run without the HTML report."""
    return lambda *extra: fake_cfg(*SINGLE, *extra)
END_REASONS = {"success", "timeout", "fall", "physics_error", "critical_safety", "part_lost", "terminated"}


def comparable(record):
    """A record without what legitimately differs between two runs of the same episode."""
    return replace(record, run_id="", wall_time_s=0.0)


def test_run_writes_store_and_summary(fake_cfg, tmp_path: Path) -> None:
    cfg = fake_cfg("episodes=6", "seed=10")
    result = run_benchmark(cfg, tmp_path)
    assert result.ran == 6 and result.skipped == 0
    assert [r.seed for r in result.records] == list(range(10, 16))
    assert [r.episode for r in result.records] == list(range(6))
    assert {r.task for r in result.records} == {"fake_task"} and {r.policy for r in result.records} == {"random"}
    assert {r.robot for r in result.records} == {"wheeled_humanoid"}

    summary = json.loads((tmp_path / "summary.json").read_text())
    for key in ("episodes", "success_rate", "success_ci95", "safe_success_rate", "throughput_uph",
                "throughput_uph_ci95", "cycle_time_s_mean", "cycle_time_s_p95", "safety_events_per_hour", "tasks"):
        assert key in summary
    assert summary["episodes"] == 6 and summary["tasks"]["fake_task"]["episodes"] == 6
    low, high = summary["success_ci95"]
    assert low <= summary["success_rate"] <= high
    assert set(summary["safety_events_per_hour"]["by_severity"]) == set(SEVERITIES)
    assert set(summary["safety_events_per_hour"]["by_type"]) == set(EVENT_TYPES)

    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("SELECT COUNT(*) FROM episodes").fetchone()[0] == 6
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    # every stored event belongs to its episode, and the counts agree with the events table
    counted = conn.execute("SELECT SUM(events_critical + events_major + events_minor) FROM episodes").fetchone()[0]
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == counted > 0
    per_ep = conn.execute(
        "SELECT e.seed, e.events_collision, (SELECT COUNT(*) FROM events v WHERE v.episode_id=e.id"
        " AND v.type='collision') FROM episodes e").fetchall()
    assert all(a == b for _, a, b in per_ep)


def test_planted_events_and_end_reasons(fake_cfg, tmp_path: Path) -> None:
    """The fake env plants a collision on odd seeds, a breach on multiples of 3, a fall on seed % 5 == 4."""
    result = run_benchmark(fake_cfg("episodes=5", "seed=0"), tmp_path)
    by_seed = {r.seed: r for r in result.records}
    assert by_seed[1].events_by_type["collision"] == 1 and by_seed[2].events_by_type["collision"] == 0
    assert by_seed[3].events_by_severity["critical"] == 1 and not by_seed[3].safe_success
    assert by_seed[4].end_reason == "fall" and not by_seed[4].success
    assert by_seed[2].safe_success and by_seed[2].end_reason == "success"


def test_timeout_when_target_unreachable(fake_cfg, tmp_path: Path) -> None:
    result = run_benchmark(fake_cfg("episodes=1", "seed=2", "task.env_kwargs.units_target=50"), tmp_path)
    (rec,) = result.records
    assert rec.end_reason == "timeout" and not rec.success
    assert rec.sim_time_s == pytest.approx(2.0) and 0 < rec.units_completed < 50


def test_resume_skips_stored_episodes(fake_cfg, tmp_path: Path) -> None:
    first = run_benchmark(fake_cfg("episodes=2"), tmp_path)
    second = run_benchmark(fake_cfg("episodes=4"), tmp_path)
    assert (second.ran, second.skipped) == (2, 2)
    assert second.summary["episodes"] == 4
    assert [comparable(r) for r in second.records[:2]] == [comparable(r) for r in first.records]
    third = run_benchmark(fake_cfg("episodes=4"), tmp_path)
    assert (third.ran, third.skipped) == (0, 4)
    with ResultsStore(tmp_path / DB_NAME) as store:
        assert len(store.episodes()) == 4
        assert store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3


def test_changed_config_runs_again_and_no_resume_reruns(fake_cfg, tmp_path: Path) -> None:
    run_benchmark(fake_cfg("episodes=2"), tmp_path)
    other = run_benchmark(fake_cfg("episodes=2", "task.env_kwargs.units_target=3"), tmp_path)
    assert other.ran == 2
    again = run_benchmark(fake_cfg("episodes=2", "runner.resume=false"), tmp_path)
    assert again.ran == 2  # simulated again, the store keeps the first copy
    with ResultsStore(tmp_path / DB_NAME) as store:
        assert len(store.episodes()) == 4


def test_same_seed_same_record(fake_cfg, tmp_path: Path) -> None:
    a = run_benchmark(fake_cfg("episodes=3"), tmp_path / "a")
    b = run_benchmark(fake_cfg("episodes=3"), tmp_path / "b")
    assert [comparable(r) for r in a.records] == [comparable(r) for r in b.records]


def test_config_hash_ignores_seed_episodes_runner(fake_cfg, tmp_path: Path) -> None:
    base = config_hash(fake_cfg())
    assert config_hash(fake_cfg("seed=5", "episodes=99", "runner.progress=on", "runner.resume=false")) == base
    assert config_hash(fake_cfg("task.env_kwargs.units_target=3")) != base
    assert config_hash(fake_cfg("sim.control_hz=20")) != base
    assert config_hash(fake_cfg("policy.scale=0.5")) != base
    assert "seed" not in hashed_config(fake_cfg()) and "runner" not in hashed_config(fake_cfg())


def test_config_hash_follows_checkpoint_contents(compose_cfg, tmp_path: Path) -> None:
    ckpt = tmp_path / "checkpoint.zip"
    ckpt.write_bytes(b"one")
    cfg = compose_cfg(["policy=sb3", f"policy.checkpoint={ckpt}"])
    h1 = config_hash(cfg)
    ckpt.write_bytes(b"two")
    assert config_hash(cfg) != h1


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["task.env_id=nosuch_ns/Nothing-v0"], "not registered"),
        (["+task.env_kwargs.bogus=1"], "bogus"),
        (["policy._target_=humanoid_bench.policies.nosuch.Policy"], "cannot be imported"),
        (["episodes=0"], "episodes must be at least 1"),
        (["sim.control_hz=500"], "control_hz"),
    ],
)
def test_bad_config_raises_config_error(fake_cfg, tmp_path: Path, overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_benchmark(fake_cfg(*overrides), tmp_path)


def test_training_config_is_refused_by_run(fake_cfg, tmp_path: Path) -> None:
    with pytest.raises(HumanoidBenchError, match="training config"):
        run_benchmark(fake_cfg("policy=ppo"), tmp_path)


def test_progress_quiet_in_ci_and_when_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    tty = Console(force_terminal=True)
    piped = Console(force_terminal=False)
    monkeypatch.setenv("CI", "true")
    assert not progress_enabled("auto", tty)
    monkeypatch.delenv("CI")
    assert progress_enabled("auto", tty) and not progress_enabled("auto", piped)
    assert progress_enabled("on", piped) and not progress_enabled("off", tty)


# ------------------------------------------------------------------------------------- real env
@requires_real_env
@pytest.mark.parametrize("policy", ["scripted", "random"])
def test_real_env_end_to_end(compose_cfg, tmp_path: Path, policy: str) -> None:
    cfg = compose_cfg([f"policy={policy}", "episodes=2", "seed=3", *REAL_SMALL])
    result = run_benchmark(cfg, tmp_path)
    assert len(result.records) == 2 and result.summary["episodes"] == 2
    for rec in result.records:
        assert rec.task == "part_picking" and rec.policy == policy and rec.units_target == 1
        assert rec.end_reason in END_REASONS
        assert 0 < rec.sim_time_s <= 8.0 + 1e-6
        if rec.end_reason == "success":
            assert rec.success and rec.success_at_end and rec.units_completed >= rec.units_target
        assert (rec.cycle_time_s is None) == (rec.units_completed == 0 and not rec.cycle_times_s)
        assert rec.energy_j >= 0 and rec.peak_contact_force_n >= 0
    with ResultsStore(tmp_path / DB_NAME) as store:
        stored = store.episodes()
        assert sum(len(r.events) for r in stored) == sum(sum(r.events_by_severity.values()) for r in stored)


@requires_real_env
def test_real_env_same_seed_same_record(compose_cfg, tmp_path: Path) -> None:
    cfg = compose_cfg(["episodes=1", "seed=5", *REAL_SMALL])
    a = run_benchmark(cfg, tmp_path / "a")
    b = run_benchmark(cfg, tmp_path / "b")
    assert comparable(a.records[0]) == comparable(b.records[0])
