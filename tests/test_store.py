"""The SQLite results store: schema, WAL, one transaction per episode, no duplicates, migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from humanoid_bench.runner.store import ResultsStore, episode_columns
from humanoid_bench.safety.events import EVENT_TYPES, SEVERITIES, make_event
from humanoid_bench.scoring import EpisodeAccumulator, EpisodeRecord


def record(seed: int, config_hash: str = "h1", n_events: int = 2) -> EpisodeRecord:
    acc = EpisodeAccumulator(run_id="run-1", task="t", robot="rb", policy="p", seed=seed, episode=seed,
                             config_hash=config_hash)
    acc.start({"sim_time": 0.0, "units_completed": 0})
    events = [make_event("collision", 120.0 + i, 100.0, ("hand", "bench"), 0.5 * i).to_dict() for i in range(n_events)]
    acc.update({"success": True, "units_completed": 1, "units_target": 1, "sim_time": 1.5, "cost": 0.5,
                "safety_events": events, "energy_j": 2.0, "peak_contact_force_n": 121.0,
                "min_human_separation_m": None, "end_reason": "success"})
    return acc.finish(terminated=True, truncated=False, wall_time_s=0.01)


@pytest.fixture
def store(tmp_path: Path):
    with ResultsStore(tmp_path / "results.db") as s:
        yield s


def test_schema_and_wal(store: ResultsStore) -> None:
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "episodes", "events"} <= tables
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cols = {r["name"] for r in store.conn.execute("PRAGMA table_info(episodes)")}
    assert {f"events_{t}" for t in EVENT_TYPES} <= cols
    assert {f"events_{s}" for s in SEVERITIES} <= cols
    assert {"config_hash", "seed", "success", "safe_success", "throughput_uph", "cycle_time_s", "end_reason"} <= cols


def test_episode_and_its_events_round_trip(store: ResultsStore) -> None:
    rec = record(3)
    assert store.add_episode(rec)
    (back,) = store.episodes("h1")
    assert back == rec
    ep_id = store.conn.execute("SELECT id FROM episodes WHERE seed=3").fetchone()[0]
    rows = store.conn.execute('SELECT type, severity, value, "limit" FROM events WHERE episode_id=?', (ep_id,)).fetchall()
    assert [tuple(r) for r in rows] == [("collision", "major", 120.0, 100.0), ("collision", "major", 121.0, 100.0)]
    assert back.events[1]["bodies"] == ["hand", "bench"]


def test_same_config_and_seed_is_stored_once(store: ResultsStore) -> None:
    assert store.add_episode(record(1))
    assert not store.add_episode(record(1))
    assert store.add_episode(record(1, config_hash="h2"))  # another config: another episode
    assert store.conn.execute("SELECT COUNT(*) FROM episodes").fetchone()[0] == 2
    assert store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 4  # no orphan events
    assert store.stored_seeds("h1") == {1} and store.stored_seeds("nope") == set()


def test_seed_filter_and_order(store: ResultsStore) -> None:
    for seed in (5, 2, 9):
        store.add_episode(record(seed))
    assert [r.seed for r in store.episodes("h1")] == [2, 5, 9]
    assert [r.seed for r in store.episodes("h1", seeds=[9, 5, 100])] == [5, 9]


def test_failed_episode_write_leaves_nothing(store: ResultsStore) -> None:
    rec = record(4)
    rec.events.append({"type": "collision", "severity": "major", "value": "not a number", "limit": 1.0,
                       "standard": "-", "bodies": [], "sim_time": 0.0})
    with pytest.raises(ValueError):
        store.add_episode(rec)
    assert store.conn.execute("SELECT COUNT(*) FROM episodes").fetchone()[0] == 0
    assert store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    assert store.add_episode(record(4))  # and the episode can be stored afterwards


def test_runs_table(store: ResultsStore) -> None:
    store.begin_run("run-1", "h1", {"task": {"name": "t"}}, task="t", robot="rb", policy="p", seed=0, episodes=3,
                    version="0.1.0", started_at="2026-01-01T00:00:00+00:00")
    store.finish_run("run-1", "2026-01-01T00:01:00+00:00")
    row = store.conn.execute("SELECT * FROM runs").fetchone()
    assert row["config_hash"] == "h1" and row["episodes"] == 3 and row["finished_at"].startswith("2026")
    assert '"name": "t"' in row["config_json"]


def test_reopen_adds_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    ResultsStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE episodes DROP COLUMN events_joint_limit")  # as if written before the type existed
    conn.commit()
    conn.close()
    with ResultsStore(path) as s:
        cols = {r["name"] for r in s.conn.execute("PRAGMA table_info(episodes)")}
        assert set(episode_columns()) <= cols
        assert s.add_episode(record(0))


def test_two_connections_see_each_others_episodes(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    with ResultsStore(path) as a, ResultsStore(path) as b:
        a.add_episode(record(0))
        assert not b.add_episode(record(0))
        b.add_episode(record(1))
        assert a.stored_seeds("h1") == {0, 1}


# ------------------------------------------------------------------------- keyframes, cells, runs
def test_keyframes_are_stored_with_their_episode(store: ResultsStore) -> None:
    from humanoid_bench.runner.store import Keyframe

    frames = [Keyframe("start", 0.0, b"\xff\xd8jpeg-1"), Keyframe("end: success", 1.5, b"\xff\xd8jpeg-2")]
    assert store.add_episode(record(2), frames)
    assert not store.add_episode(record(2), frames)  # a duplicate adds no frames either
    ep = store.episode_id("h1", 2)
    assert store.keyframes(ep) == frames
    assert store.conn.execute("SELECT COUNT(*) FROM keyframes").fetchone()[0] == 2
    assert store.episode_id("h1", 99) is None


def test_cells_and_run_metadata(store: ResultsStore) -> None:
    store.begin_run("run-2", "h1", {"suite_modified": ["episodes=2"]}, task="t", robot="rb", policy="p", seed=0,
                    episodes=2, version="0.1.0", started_at="2026-01-01T00:00:00+00:00", suite="s", suite_version="1.0",
                    software={"python": "3.11"})
    store.add_cell("run-2", "t/medium/empty", config_hash="h1", task="t", difficulty="medium", site="empty",
                   seeds=[0, 1], status="run")
    store.add_cell("run-2", "t/medium/coworkers", config_hash=None, task="t", difficulty="medium", site="coworkers",
                   seeds=[0, 1], status="skipped", reason="no site")
    (run,) = store.runs()
    assert run["suite"] == "s" and run["suite_version"] == "1.0" and run["software"] == {"python": "3.11"}
    assert run["config"] == {"suite_modified": ["episodes=2"]}
    cells = store.cells("run-2")
    assert [c["cell_id"] for c in cells] == ["t/medium/empty", "t/medium/coworkers"]
    assert cells[0]["seeds"] == [0, 1] and cells[1]["status"] == "skipped" and cells[1]["reason"] == "no site"


def _older_store(path: Path) -> None:
    """A store as an older version wrote it: without the run columns and one episode column added since."""
    ResultsStore(path).close()
    conn = sqlite3.connect(path)
    for col in ("suite", "suite_version", "software_json"):
        conn.execute(f"ALTER TABLE runs DROP COLUMN {col}")
    conn.execute("ALTER TABLE episodes DROP COLUMN separation_trace")
    conn.commit()
    conn.close()


def test_store_of_an_older_version_gains_the_new_run_columns(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    _older_store(path)
    with ResultsStore(path) as s:
        s.begin_run("r", "h1", {}, task="t", robot="rb", policy="p", seed=0, episodes=1, version="0", started_at="x",
                    suite="s")
        assert s.runs()[0]["suite"] == "s"
        assert s.add_episode(record(0))


def _writer(path: str, seeds: list[int]) -> None:
    with ResultsStore(path) as s:
        for seed in seeds:
            s.add_episode(record(seed))


def test_two_processes_write_one_store_safely(tmp_path: Path) -> None:
    """Multirun jobs sharing runner.store: overlapping seeds, each episode stored once, no lost rows."""
    import multiprocessing as mp

    path = str(tmp_path / "shared.db")
    ResultsStore(path).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, list(range(30)))),
             ctx.Process(target=_writer, args=(path, list(range(15, 45))))]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with ResultsStore(path) as s:
        assert s.stored_seeds("h1") == set(range(45))
        assert s.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 45 * 2


def _opener(path: str, barrier) -> None:
    barrier.wait(timeout=30)
    ResultsStore(path).close()


@pytest.mark.parametrize("older", [False, True])
def test_processes_opening_one_store_at_once_migrate_it_once(tmp_path: Path, older: bool) -> None:
    """Parallel multirun jobs open the same store together: creating it (or adding the columns an older
    version lacked) must happen once, not fail with 'duplicate column name' in the job that came second."""
    import multiprocessing as mp

    path = tmp_path / "shared.db"
    if older:
        _older_store(path)
    ctx = mp.get_context("spawn")
    n = 6
    barrier = ctx.Barrier(n)
    procs = [ctx.Process(target=_opener, args=(str(path), barrier)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * n
    with ResultsStore(path) as s:
        run_cols = [r["name"] for r in s.conn.execute("PRAGMA table_info(runs)")]
        assert run_cols.count("software_json") == 1
        assert set(episode_columns()) <= {r["name"] for r in s.conn.execute("PRAGMA table_info(episodes)")}
