"""The embedded results store: one SQLite file per output folder (DESIGN §8).

Tables:
- ``runs``: one row per invocation (run_id, config hash, the resolved config as JSON, times).
- ``episodes``: one row per episode (the columns of :meth:`EpisodeRecord.to_row`), unique on
  ``(config_hash, seed)`` so a resumed or retried run never stores an episode twice.
- ``events``: every safety event, with the id of its episode row.
- ``keyframes``: a few JPEG frames per episode (start, first critical event, end) for the report.
- ``cells``: the cells of each run (task, difficulty, site, seeds), with the reason a cell was
  skipped.

WAL mode; each episode (its row and its events) is written in one transaction, so a worker that
dies loses at most the episode it was running and never leaves half an episode behind.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Self, get_type_hints

from humanoid_bench.safety.events import EVENT_TYPES, SEVERITIES
from humanoid_bench.scoring.record import EpisodeRecord

log = logging.getLogger(__name__)

DB_NAME = "results.db"
EVENT_COLUMNS = ("type", "severity", "value", "limit", "standard", "bodies", "sim_time")
_JSON_COLUMNS = ("cycle_times_s", "separation_trace")
#: columns of ``runs`` beyond the first version's, added to older stores on open
_RUN_EXTRA_COLUMNS = {"suite": "TEXT", "suite_version": "TEXT", "software_json": "TEXT"}
CELL_COLUMNS = ("run_id", "cell_id", "config_hash", "task", "difficulty", "site", "seeds", "status", "reason")


@dataclass(frozen=True)
class Keyframe:
    """One image of an episode: what happened (``label``), when, and the JPEG bytes."""

    label: str
    sim_time: float
    jpeg: bytes


def _sql_type(py_type: Any) -> str:
    text = str(py_type)
    if "float" in text:
        return "REAL"
    if "int" in text or "bool" in text:
        return "INTEGER"
    return "TEXT"


def episode_columns() -> dict[str, str]:
    """Column name -> SQLite type of the ``episodes`` table, derived from :class:`EpisodeRecord`."""
    hints = get_type_hints(EpisodeRecord)
    cols: dict[str, str] = {}
    for f in fields(EpisodeRecord):
        if f.name in ("events_by_type", "events_by_severity", "events"):
            continue
        cols[f.name] = "TEXT" if f.name in _JSON_COLUMNS else _sql_type(hints[f.name])
    for name in (*EVENT_TYPES, *SEVERITIES):
        cols[f"events_{name}"] = "INTEGER"
    return cols


class ResultsStore:
    """SQLite results store. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=60.0)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._create()

    # ------------------------------------------------------------------ schema
    def _create(self) -> None:
        cols = episode_columns()
        col_sql = ",\n  ".join(f'"{k}" {v}' for k, v in cols.items())
        with self.conn:
            # Parallel multirun jobs open one store together. Python's sqlite3 runs DDL in autocommit, so two
            # jobs could both read table_info, both miss a column and both ALTER; the second then failed with
            # "duplicate column name". BEGIN IMMEDIATE takes the write lock first (waiting up to the connection
            # timeout), so checking and migrating the schema is one step per process.
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                """CREATE TABLE IF NOT EXISTS runs (
                  run_id TEXT PRIMARY KEY, config_hash TEXT NOT NULL, task TEXT, robot TEXT, policy TEXT,
                  seed INTEGER, episodes INTEGER, config_json TEXT, version TEXT,
                  started_at TEXT, finished_at TEXT)"""
            )
            self.conn.execute(
                f"""CREATE TABLE IF NOT EXISTS episodes (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  {col_sql},
                  UNIQUE (config_hash, seed))"""
            )
            self.conn.execute(
                """CREATE TABLE IF NOT EXISTS events (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
                  type TEXT, severity TEXT, value REAL, "limit" REAL, standard TEXT, bodies TEXT,
                  sim_time REAL)"""
            )
            self.conn.execute("CREATE INDEX IF NOT EXISTS events_episode ON events(episode_id)")
            self.conn.execute(
                """CREATE TABLE IF NOT EXISTS keyframes (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
                  label TEXT, sim_time REAL, jpeg BLOB)"""
            )
            self.conn.execute("CREATE INDEX IF NOT EXISTS keyframes_episode ON keyframes(episode_id)")
            self.conn.execute(
                """CREATE TABLE IF NOT EXISTS cells (
                  run_id TEXT NOT NULL, cell_id TEXT NOT NULL, config_hash TEXT, task TEXT, difficulty TEXT,
                  site TEXT, seeds TEXT, status TEXT, reason TEXT, PRIMARY KEY (run_id, cell_id))"""
            )
            have_runs = {r["name"] for r in self.conn.execute("PRAGMA table_info(runs)")}
            for name, sql_type in _RUN_EXTRA_COLUMNS.items():
                if name not in have_runs:
                    self.conn.execute(f'ALTER TABLE runs ADD COLUMN "{name}" {sql_type}')
            # a store written by an older version may lack columns (e.g. a new event type)
            have = {r["name"] for r in self.conn.execute("PRAGMA table_info(episodes)")}
            for name, sql_type in cols.items():
                if name not in have:
                    self.conn.execute(f'ALTER TABLE episodes ADD COLUMN "{name}" {sql_type}')

    # ------------------------------------------------------------------ writing
    def begin_run(self, run_id: str, config_hash: str, config: dict[str, Any], *, task: str, robot: str,
                  policy: str, seed: int, episodes: int, version: str, started_at: str, suite: str | None = None,
                  suite_version: str | None = None, software: dict[str, str] | None = None) -> None:
        """One row per invocation. A suite run stores its first cell's hash; ``cells`` has them all."""
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO runs (run_id, config_hash, task, robot, policy, seed, episodes,"
                " config_json, version, started_at, suite, suite_version, software_json)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, config_hash, task, robot, policy, seed, episodes,
                 json.dumps(config, sort_keys=True, default=str), version, started_at, suite, suite_version,
                 json.dumps(software or {}, sort_keys=True)),
            )

    def add_cell(self, run_id: str, cell_id: str, *, config_hash: str | None, task: str, difficulty: str | None,
                 site: str | None, seeds: list[int], status: str, reason: str | None = None) -> None:
        """Record a cell of a run: ``status`` is ``run`` or ``skipped`` (with the ``reason``)."""
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO cells (run_id, cell_id, config_hash, task, difficulty, site, seeds, status,"
                " reason) VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, cell_id, config_hash, task, difficulty, site, json.dumps(list(seeds)), status, reason),
            )

    def finish_run(self, run_id: str, finished_at: str) -> None:
        with self.conn:
            self.conn.execute("UPDATE runs SET finished_at=? WHERE run_id=?", (finished_at, run_id))

    def add_episode(self, record: EpisodeRecord, keyframes: Iterable[Keyframe] = ()) -> bool:
        """Store one episode, its events and keyframes in one transaction; False if it was already stored."""
        row = record.to_row()
        for k in _JSON_COLUMNS:
            row[k] = json.dumps(row[k])
        names = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join("?" for _ in row)
        with self.conn:
            cur = self.conn.execute(
                f"INSERT OR IGNORE INTO episodes ({names}) VALUES ({marks})", tuple(row.values())
            )
            if cur.rowcount == 0:
                log.info("episode with seed %d is already stored under config %s; kept the stored one",
                         record.seed, record.config_hash[:12])
                return False
            episode_id = cur.lastrowid
            self.conn.executemany(
                'INSERT INTO events (episode_id, type, severity, value, "limit", standard, bodies, sim_time)'
                " VALUES (?,?,?,?,?,?,?,?)",
                [
                    (episode_id, e.get("type"), e.get("severity"), _num(e.get("value")), _num(e.get("limit")),
                     e.get("standard"), json.dumps(list(e.get("bodies") or [])), _num(e.get("sim_time")))
                    for e in record.events
                ],
            )
            self.conn.executemany(
                "INSERT INTO keyframes (episode_id, label, sim_time, jpeg) VALUES (?,?,?,?)",
                [(episode_id, k.label, float(k.sim_time), sqlite3.Binary(k.jpeg)) for k in keyframes],
            )
        return True

    # ------------------------------------------------------------------ reading
    def stored_seeds(self, config_hash: str) -> set[int]:
        cur = self.conn.execute("SELECT seed FROM episodes WHERE config_hash=?", (config_hash,))
        return {int(r[0]) for r in cur}

    def episodes(self, config_hash: str | None = None, seeds: Iterable[int] | None = None) -> list[EpisodeRecord]:
        """Stored records (with their events), ordered by seed; filtered by config hash and seeds."""
        sql, args = "SELECT * FROM episodes", []
        if config_hash is not None:
            sql += " WHERE config_hash=?"
            args.append(config_hash)
        sql += " ORDER BY config_hash, seed"
        wanted = None if seeds is None else {int(s) for s in seeds}
        out = []
        for r in self.conn.execute(sql, args).fetchall():
            row = dict(r)
            if wanted is not None and int(row["seed"]) not in wanted:
                continue
            for k in _JSON_COLUMNS:
                row[k] = json.loads(row[k]) if row[k] else []
            out.append(EpisodeRecord.from_row(row, self.events(int(row["id"]))))
        return out

    def episode_id(self, config_hash: str, seed: int) -> int | None:
        row = self.conn.execute("SELECT id FROM episodes WHERE config_hash=? AND seed=?",
                                (config_hash, int(seed))).fetchone()
        return None if row is None else int(row[0])

    def keyframes(self, episode_id: int) -> list[Keyframe]:
        cur = self.conn.execute("SELECT label, sim_time, jpeg FROM keyframes WHERE episode_id=? ORDER BY id",
                                (episode_id,))
        return [Keyframe(str(r[0]), float(r[1]), bytes(r[2])) for r in cur]

    def runs(self) -> list[dict[str, Any]]:
        """Every invocation, oldest first, with ``config`` and ``software`` decoded."""
        out = []
        for r in self.conn.execute("SELECT * FROM runs ORDER BY started_at, run_id").fetchall():
            row = dict(r)
            row["config"] = json.loads(row.pop("config_json") or "{}")
            row["software"] = json.loads(row.pop("software_json", None) or "{}")
            out.append(row)
        return out

    def cells(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Cells of one run (or of every run), in the order they were planned."""
        sql, args = "SELECT * FROM cells", []
        if run_id is not None:
            sql += " WHERE run_id=?"
            args.append(run_id)
        rows = [dict(r) for r in self.conn.execute(sql + " ORDER BY rowid", args).fetchall()]
        for row in rows:
            row["seeds"] = json.loads(row["seeds"] or "[]")
        return rows

    def events(self, episode_id: int) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            'SELECT type, severity, value, "limit", standard, bodies, sim_time FROM events'
            " WHERE episode_id=? ORDER BY id", (episode_id,),
        )
        return [dict(zip(EVENT_COLUMNS, (*r[:5], json.loads(r[5] or "[]"), r[6]))) for r in cur]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _num(x: Any) -> float | None:
    return None if x is None else float(x)
