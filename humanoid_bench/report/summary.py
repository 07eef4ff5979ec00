"""Report v0: ``summary.json`` and the results table printed by ``humanoid-bench run``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

SUMMARY_NAME = "summary.json"


def _clean(x: Any) -> Any:
    """JSON-safe copy: NaN/inf become null (strict JSON has no NaN)."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Write ``summary`` as indented, strict JSON; returns the path."""
    path = Path(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_clean(summary), indent=2, allow_nan=False) + "\n")
    tmp.replace(path)  # atomic: a reader never sees half a file
    return path


def load_summary(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def _fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _rate(rate: float | None, ci: Sequence[float] | None) -> str:
    if rate is None:
        return "-"
    text = f"{100 * rate:.0f}"
    return text if ci is None else f"{text} [{100 * ci[0]:.0f}, {100 * ci[1]:.0f}]"


def _with_ci(mean: float | None, ci: Sequence[float] | None, digits: int = 1) -> str:
    if mean is None:
        return "-"
    text = _fmt(mean, digits)
    return text if ci is None else f"{text} [{_fmt(ci[0], digits)}, {_fmt(ci[1], digits)}]"


def _rows(summary: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None, str | None]]:
    """(task, site, statistics, skip reason) per cell of a summary (per task for older summaries)."""
    if "cells" in summary:
        return [(c["task"], f"{c.get('site') or '-'}", c if c.get("status") != "skipped" else None, c.get("reason"))
                for c in summary["cells"]]
    return [(task, "-", s, None) for task, s in summary.get("tasks", {}).items()]


def results_table(summaries: Sequence[dict[str, Any]], title: str = "humanoid_bench results") -> Table:
    """One row per cell (task, site) of each summary; rates with 95% CIs, events per simulated hour."""
    table = Table(title=title, title_justify="left")
    for col, justify in (
        ("task", "left"), ("site", "left"), ("robot", "left"), ("policy", "left"), ("n", "right"),
        ("success % [95% CI]", "right"), ("safe %", "right"), ("units/h [95% CI]", "right"),
        ("cycle s mean/p95", "right"), ("events/h crit/maj/min", "right"), ("end reasons", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for summary in summaries:
        for task, site, s, reason in _rows(summary):
            if s is None:
                table.add_row(task, site, str(summary.get("robot", "-")), str(summary.get("policy", "-")), "0",
                              "skipped", "", "", "", "", str(reason))
                continue
            per_h = s["safety_events_per_hour"]["by_severity"]
            table.add_row(
                task, site, str(summary.get("robot", "-")), str(summary.get("policy", "-")), str(s["episodes"]),
                _rate(s["success_rate"], s["success_ci95"]),
                _rate(s["safe_success_rate"], None),
                _with_ci(s["throughput_uph"], s["throughput_uph_ci95"]),
                f"{_fmt(s['cycle_time_s_mean'])} / {_fmt(s['cycle_time_s_p95'])}",
                " / ".join(_fmt(per_h.get(k)) for k in ("critical", "major", "minor")),
                ", ".join(f"{k} {v}" for k, v in s["end_reasons"].items()),
            )
    return table
