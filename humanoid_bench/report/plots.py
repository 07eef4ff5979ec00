"""Report plots: matplotlib (Agg) figures as inline ``data:image/png;base64`` URIs.

Each function takes the report's cell results (one :class:`CellView` per cell and subject) and
returns a data URI, or None when there is nothing to draw.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from humanoid_bench.report.i18n import labels
from humanoid_bench.safety.events import EVENT_TYPES
from humanoid_bench.scoring.record import EpisodeRecord
from humanoid_bench.scoring.stats import wilson_ci

log = logging.getLogger(__name__)

DPI = 80
_MPL = tuple(int(x) for x in matplotlib.__version__.split(".")[:2])
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


@dataclass
class CellView:
    """The records of one subject (robot / policy) on one cell."""

    cell_id: str
    subject: int  # index into the report's subjects
    records: list[EpisodeRecord]


@lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """Name of an installed font with Hangul glyphs, if any."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if any(k in font.name for k in ("CJK", "Nanum", "Malgun", "Gothic", "UnDotum", "Baekmuk")):
            return font.name
    return None


@lru_cache(maxsize=1)
def _warn_no_hangul() -> None:
    log.info("no Hangul font for matplotlib (e.g. apt-get install fonts-nanum); plots are labelled in English")


def plot_labels(lang: str) -> dict[str, str]:
    """Labels for plots: ``lang`` when a font can draw it, else English."""
    if lang == "ko" and hangul_font() is None:
        _warn_no_hangul()
        return labels("en")
    return labels(lang)


def _uri(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(width: float, height: float, lang: str) -> plt.Figure:
    """A figure; the caller sets a Hangul font (rc_context) around the plotting for ``lang='ko'``."""
    return plt.figure(figsize=(width, height))


def _cells(views: Sequence[CellView]) -> list[str]:
    return list(dict.fromkeys(v.cell_id for v in views))


def success_plot(views: Sequence[CellView], subjects: Sequence[str], lang: str) -> str | None:
    """Latched success rate per cell and subject with its 95% Wilson interval."""
    views = [v for v in views if v.records]
    if not views:
        return None
    lab = plot_labels(lang)
    cells = _cells(views)
    fig = _figure(7.5, 0.5 + 0.45 * len(cells) * max(1, len(subjects)), lang)
    ax = fig.add_subplot()
    step = 0.8 / max(1, len(subjects))
    for v in views:
        k, n = sum(r.success for r in v.records), len(v.records)
        low, high = wilson_ci(k, n) or [0.0, 0.0]
        y = cells.index(v.cell_id) + (v.subject - (len(subjects) - 1) / 2) * step
        ax.errorbar([k / n], [y], xerr=[[k / n - low], [high - k / n]], fmt="o", capsize=4,
                    color=COLORS[v.subject % len(COLORS)], label=subjects[v.subject])
    ax.set_yticks(range(len(cells)), cells)
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(lab["success_rate"])
    ax.grid(axis="x", alpha=0.3)
    _legend(ax, subjects)
    return _uri(fig)


def _legend(ax: plt.Axes, subjects: Sequence[str]) -> None:
    if len(subjects) > 1:
        handles, names = ax.get_legend_handles_labels()
        unique = dict(zip(names, handles))
        ax.legend(unique.values(), unique.keys(), fontsize=8, loc="best")


def throughput_plot(views: Sequence[CellView], subjects: Sequence[str], lang: str) -> str | None:
    """Per-episode throughput: a box per cell and subject, with the episodes as dots."""
    views = [v for v in views if v.records]
    if not views:
        return None
    lab = plot_labels(lang)
    fig = _figure(7.5, 0.6 + 0.5 * len(views), lang)
    ax = fig.add_subplot()
    data = [[r.throughput_uph for r in v.records] for v in views]
    names = [v.cell_id + (f"  [{subjects[v.subject]}]" if len(subjects) > 1 else "") for v in views]
    horizontal = {"orientation": "horizontal"} if _MPL >= (3, 10) else {"vert": False}
    ax.boxplot(data, widths=0.5, showfliers=False, **horizontal)
    rng = np.random.default_rng(0)
    for i, (v, values) in enumerate(zip(views, data)):
        ax.scatter(values, i + 1 + rng.uniform(-0.15, 0.15, len(values)), s=10, alpha=0.6,
                   color=COLORS[v.subject % len(COLORS)])
    ax.set_yticks(range(1, len(views) + 1), names)
    ax.invert_yaxis()
    ax.set_xlabel(lab["throughput"])
    ax.grid(axis="x", alpha=0.3)
    return _uri(fig)


def cycle_time_plot(views: Sequence[CellView], subjects: Sequence[str], lang: str) -> str | None:
    """Histogram of per-unit cycle times, one panel per cell (subjects overlaid)."""
    cells = [c for c in _cells(views) if any(v.cell_id == c and any(r.cycle_times_s for r in v.records)
                                               for v in views)]
    if not cells:
        return None
    lab = plot_labels(lang)
    cols = min(3, len(cells))
    rows = (len(cells) + cols - 1) // cols
    fig = _figure(3.2 * cols, 2.4 * rows, lang)
    for i, cell in enumerate(cells):
        ax = fig.add_subplot(rows, cols, i + 1)
        for v in views:
            if v.cell_id != cell:
                continue
            values = [c for r in v.records for c in r.cycle_times_s]
            if values:
                ax.hist(values, bins=15, alpha=0.6, color=COLORS[v.subject % len(COLORS)], label=subjects[v.subject])
        ax.set_title(cell, fontsize=8)
        ax.set_xlabel(lab["cycle_time"], fontsize=8)
        ax.tick_params(labelsize=7)
        _legend(ax, subjects)
    fig.tight_layout()
    return _uri(fig)


def events_plot(views: Sequence[CellView], subjects: Sequence[str], lang: str) -> str | None:
    """Safety events per simulated hour by type (all cells of a subject together)."""
    lab = plot_labels(lang)
    rates = []
    for s in range(len(subjects)):
        recs = [r for v in views if v.subject == s for r in v.records]
        hours = sum(r.sim_time_s for r in recs) / 3600.0
        rates.append([sum(r.events_by_type.get(t, 0) for r in recs) / hours if hours > 0 else 0.0
                      for t in EVENT_TYPES])
    if not any(any(r) for r in rates):
        return None
    fig = _figure(7.5, 3.6, lang)
    ax = fig.add_subplot()
    step = 0.8 / len(subjects)
    y = np.arange(len(EVENT_TYPES))
    for s, row in enumerate(rates):
        ax.barh(y + (s - (len(subjects) - 1) / 2) * step, row, height=step, color=COLORS[s % len(COLORS)],
                label=subjects[s])
    ax.set_yticks(y, EVENT_TYPES)
    ax.invert_yaxis()
    ax.set_xlabel(lab["events_per_hour"])
    ax.grid(axis="x", alpha=0.3)
    _legend(ax, subjects)
    return _uri(fig)


def separation_plot(views: Sequence[CellView], subjects: Sequence[str], lang: str) -> str | None:
    """Minimum human separation over simulated time: one line per episode, a panel per cell with people."""
    cells = [c for c in _cells(views) if any(v.cell_id == c and any(r.separation_trace for r in v.records)
                                               for v in views)]
    if not cells:
        return None
    lab = plot_labels(lang)
    cols = min(2, len(cells))
    rows = (len(cells) + cols - 1) // cols
    fig = _figure(4.2 * cols, 2.6 * rows, lang)
    for i, cell in enumerate(cells):
        ax = fig.add_subplot(rows, cols, i + 1)
        for v in views:
            if v.cell_id != cell:
                continue
            for j, r in enumerate(v.records):
                if r.separation_trace:
                    t, d = zip(*r.separation_trace)
                    ax.plot(t, d, lw=0.8, alpha=0.5, color=COLORS[v.subject % len(COLORS)],
                            label=subjects[v.subject] if j == 0 else None)
        ax.set_title(cell, fontsize=8)
        ax.set_xlabel(lab["sim_time_s"], fontsize=8)
        ax.set_ylabel(lab["separation_m"], fontsize=8)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        _legend(ax, subjects)
    fig.tight_layout()
    return _uri(fig)
