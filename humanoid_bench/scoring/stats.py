"""Statistics over episode records (DESIGN §6): rates with Wilson intervals, bootstrap intervals,
cycle time mean and p95, safety events per simulated hour. Every figure comes with its ``n``.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from humanoid_bench.safety.events import EVENT_TYPES, SEVERITIES
from humanoid_bench.scoring.record import EpisodeRecord

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 9999
BOOTSTRAP_SEED = 0  # fixed: the same records give the same interval


def wilson_ci(successes: int, n: int, confidence: float = CONFIDENCE) -> list[float] | None:
    """Wilson score interval of a proportion, ``[low, high]``; None when ``n == 0``."""
    if n == 0:
        return None
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return [float(ci.low), float(ci.high)]


def bootstrap_mean_ci(values: Sequence[float], confidence: float = CONFIDENCE,
                      n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> list[float] | None:
    """Bootstrap (BCa, percentile as fallback) interval of the mean; None for fewer than 2 values.

    Deterministic: the resampling generator is seeded with ``seed``.
    """
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None
    if np.all(data == data[0]):
        return [float(data[0]), float(data[0])]
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.bootstrap((data,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                                  method=method, rng=np.random.default_rng(seed))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            return [low, high]
    return None  # pragma: no cover - percentile is finite for finite data


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def group_stats(records: Sequence[EpisodeRecord]) -> dict[str, Any]:
    """Summary statistics of a set of episodes (normally one task, robot and policy)."""
    n = len(records)
    succ = sum(r.success for r in records)
    safe = sum(r.safe_success for r in records)
    at_end = sum(r.success_at_end for r in records)
    uph = [r.throughput_uph for r in records]
    cycles = [c for r in records for c in r.cycle_times_s]
    sim_s = float(sum(r.sim_time_s for r in records))
    hours = sim_s / 3600.0
    by_sev = {s: sum(r.events_by_severity.get(s, 0) for r in records) for s in SEVERITIES}
    by_type = {t: sum(r.events_by_type.get(t, 0) for r in records) for t in EVENT_TYPES}
    seps = [r.min_human_separation_m for r in records if r.min_human_separation_m is not None]

    def per_hour(count: int) -> float | None:
        return count / hours if hours > 0 else None

    return {
        "episodes": n,
        "success_rate": succ / n if n else None,
        "success_ci95": wilson_ci(succ, n),
        "success_at_end_rate": at_end / n if n else None,
        "safe_success_rate": safe / n if n else None,
        "safe_success_ci95": wilson_ci(safe, n),
        "units_completed_total": int(sum(r.units_completed for r in records)),
        "units_completed_mean": _mean([r.units_completed for r in records]),
        "throughput_uph": _mean(uph),
        "throughput_uph_ci95": bootstrap_mean_ci(uph),
        "cycle_time_s_mean": _mean(cycles),
        "cycle_time_s_p95": float(np.percentile(cycles, 95)) if cycles else None,
        "cycle_time_units": len(cycles),
        "sim_time_s_total": sim_s,
        "wall_time_s_total": float(sum(r.wall_time_s for r in records)),
        "safety_events": {"by_severity": by_sev, "by_type": by_type},
        "safety_events_per_hour": {
            "by_severity": {k: per_hour(v) for k, v in by_sev.items()},
            "by_type": {k: per_hour(v) for k, v in by_type.items()},
        },
        "min_human_separation_m": min(seps) if seps else None,
        "peak_contact_force_n": max((r.peak_contact_force_n for r in records), default=None),
        "energy_j_mean": _mean([r.energy_j for r in records]),
        "end_reasons": dict(sorted(Counter(r.end_reason for r in records).items())),
    }


def summarize(records: Sequence[EpisodeRecord]) -> dict[str, Any]:
    """Statistics over all records, plus the same per task under ``tasks``."""
    out = group_stats(records)
    tasks = sorted({r.task for r in records})
    out["tasks"] = {t: group_stats([r for r in records if r.task == t]) for t in tasks}
    return out
