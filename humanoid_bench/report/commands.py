"""``humanoid-bench report`` and ``humanoid-bench export``: argument parsing and the exports.

    humanoid-bench report RUN_DIR [RUN_DIR ...] [--out DIR] [report=NAME] [report.lang=ko] [report.KEY=VALUE ...]
    humanoid-bench export RUN_DIR [RUN_DIR ...] [--format csv|parquet] [--out DIR]

Several RUN_DIRs are merged (e.g. the jobs of a multirun); when they hold more than one robot /
policy pair the report compares them cell by cell.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from humanoid_bench.errors import ConfigError
from humanoid_bench.paths import available, conf_dir

log = logging.getLogger(__name__)

EXPORT_FORMATS = ("csv", "parquet")
#: tables exported, with the columns left out (keyframe images stay in the store)
EXPORT_TABLES = ("runs", "cells", "episodes", "events")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, like the rest of the CLI
        raise ConfigError(f"{self.prog}: {message}")


def report_settings(overrides: Sequence[str]) -> DictConfig:
    """``conf/report/<name>.yaml`` (``report=NAME``, default ``default``) with ``report.KEY=VALUE`` applied."""
    name = "default"
    rest = []
    for o in overrides:
        key, _, value = o.partition("=")
        if key == "report":
            name = value
        else:
            rest.append(o)
    if name not in available("report"):
        raise ConfigError(f"unknown report {name!r}; valid report options: {', '.join(available('report'))}")
    cfg = OmegaConf.load(conf_dir() / "report" / f"{name}.yaml")
    assert isinstance(cfg, DictConfig)
    for o in rest:
        key, sep, value = o.partition("=")
        key = key.removeprefix("report.")
        if not sep or not key:
            raise ConfigError(f"bad argument {o!r}; expected RUN_DIR, --out DIR or report.KEY=VALUE")
        open_map = key.rpartition(".")[0] == "thresholds.throughput_uph_min"  # one entry per task
        if not open_map and OmegaConf.select(cfg, key, default="__missing__") == "__missing__":
            raise ConfigError(f"unknown report setting {key!r}; valid keys: {', '.join(_keys(cfg))}")
        OmegaConf.update(cfg, key, yaml_value(value), merge=True, force_add=open_map)
    return cfg


def yaml_value(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _keys(cfg: DictConfig, prefix: str = "") -> list[str]:
    out = []
    for k, v in cfg.items():
        full = f"{prefix}{k}"
        out += _keys(v, full + ".") if isinstance(v, DictConfig) and v else [full]
    return out


def report_command(args: Sequence[str]) -> None:
    """``humanoid-bench report``: write report.html, report.json and report.csv."""
    from humanoid_bench.report.pilot import write_report

    parser = _Parser(prog="humanoid-bench report", add_help=True)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--out", default=None, help="output folder (default: the run folder, or ./report-<time>)")
    ns = parser.parse_intermixed_args(list(args))
    dirs = [p for p in ns.paths if "=" not in p]
    overrides = [p for p in ns.paths if "=" in p]
    if not dirs:
        raise ConfigError("humanoid-bench report needs at least one RUN_DIR (a folder with results.db)")
    cfg = report_settings(overrides)
    if ns.out:
        out = Path(ns.out)
    elif len(dirs) == 1 and Path(dirs[0]).is_dir():
        out = Path(dirs[0])
    else:
        out = Path(f"report-{datetime.now():%Y-%m-%d_%H-%M-%S}")
    path = write_report(dirs, out, cfg)
    print(f"report: {path}")


def export_command(args: Sequence[str]) -> None:
    """``humanoid-bench export``: the runs, cells, episodes and events tables as CSV or Parquet files."""
    from humanoid_bench.report.pilot import resolve_store

    parser = _Parser(prog="humanoid-bench export", add_help=True)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--format", default="csv", choices=EXPORT_FORMATS)
    parser.add_argument("--out", default=None, help="output folder (default: the first run folder)")
    ns = parser.parse_intermixed_args(list(args))
    stores = [resolve_store(p) for p in ns.paths]
    out = Path(ns.out) if ns.out else stores[0].parent
    written = export(stores, out, ns.format)
    for path in written:
        print(f"wrote {path}")


def _table(conn: sqlite3.Connection, name: str) -> tuple[list[str], list[tuple]]:
    cur = conn.execute(f"SELECT * FROM {name}")
    cols = [c[0] for c in cur.description]
    return cols, cur.fetchall()


def export(stores: Sequence[Path], out: Path, fmt: str = "csv") -> list[Path]:
    """Write ``<table>.<fmt>`` for every table of :data:`EXPORT_TABLES` (rows of all stores, with a
    ``source`` column when there are several); returns the files written."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"export format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError("Parquet export needs pyarrow: pip install 'humanoid-bench[export]'") from None
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in EXPORT_TABLES:
        columns: list[str] = []
        rows: list[tuple] = []
        for store in stores:
            conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
            try:
                cols, data = _table(conn, name)
            except sqlite3.OperationalError:
                cols, data = [], []  # an older store without this table
            finally:
                conn.close()
            if len(stores) > 1:
                cols, data = ["source", *cols], [(str(store), *r) for r in data]
            columns = columns or cols
            rows += data
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            with open(path, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(columns)
                writer.writerows(rows)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
            pq.write_table(table, path)
        written.append(path)
    return written

