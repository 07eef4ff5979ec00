"""Statistics over episode records (DESIGN §6): rates with Wilson intervals, bootstrap intervals,
cycle time mean and p95, safety events per simulated hour, and the comparison of two groups of
episodes (two policies or robots on the same cell). Every figure comes with its ``n``.
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
#: above this many values the bootstrap gives way to the normal approximation (the CLT holds there,
#: and the BCa jackknife would need n^2 memory)
BOOTSTRAP_MAX_N = 2000


def wilson_ci(successes: int, n: int, confidence: float = CONFIDENCE) -> list[float] | None:
    """Wilson score interval of a proportion, ``[low, high]``; None when ``n == 0``."""
    if n == 0:
        return None
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return [float(ci.low), float(ci.high)]


def bootstrap_mean_ci(values: Sequence[float], confidence: float = CONFIDENCE,
                      n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> list[float] | None:
    """Bootstrap (BCa, percentile as fallback) interval of the mean; None for fewer than 2 values.

    Deterministic: the resampling generator is seeded with ``seed``. Above
    :data:`BOOTSTRAP_MAX_N` values: the normal approximation ``mean +- z * sd / sqrt(n)``.
    """
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None
    if np.all(data == data[0]):
        return [float(data[0]), float(data[0])]
    if data.size > BOOTSTRAP_MAX_N:
        z = float(stats.norm.ppf(0.5 + confidence / 2))
        half = z * float(data.std(ddof=1)) / math.sqrt(data.size)
        return [float(data.mean()) - half, float(data.mean()) + half]
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
        "success_at_end_ci95": wilson_ci(at_end, n),
        "safe_success_rate": safe / n if n else None,
        "safe_success_ci95": wilson_ci(safe, n),
        "units_completed_total": int(sum(r.units_completed for r in records)),
        "units_completed_mean": _mean([r.units_completed for r in records]),
        "throughput_uph": _mean(uph),
        "throughput_uph_ci95": bootstrap_mean_ci(uph),
        "cycle_time_s_mean": _mean(cycles),
        "cycle_time_s_ci95": bootstrap_mean_ci(cycles),
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


# ----------------------------------------------------------------------------------- comparison
def newcombe_diff_ci(k_a: int, n_a: int, k_b: int, n_b: int,
                     confidence: float = CONFIDENCE) -> list[float] | None:
    """Interval of the difference of two proportions ``k_b/n_b - k_a/n_a`` (Newcombe's hybrid score
    method 10, built from the two Wilson intervals); None when a group is empty."""
    ci_a, ci_b = wilson_ci(k_a, n_a, confidence), wilson_ci(k_b, n_b, confidence)
    if ci_a is None or ci_b is None:
        return None
    p_a, p_b = k_a / n_a, k_b / n_b
    d = p_b - p_a
    low = d - math.sqrt((p_b - ci_b[0]) ** 2 + (ci_a[1] - p_a) ** 2)
    high = d + math.sqrt((ci_b[1] - p_b) ** 2 + (p_a - ci_a[0]) ** 2)
    return [max(-1.0, low), min(1.0, high)]


def barnard_p(k_a: int, n_a: int, k_b: int, n_b: int) -> float | None:
    """Two-sided p-value of Barnard's exact test of equal success rates (fixed group sizes)."""
    if n_a == 0 or n_b == 0:
        return None
    if k_a + k_b in (0, n_a + n_b):
        return 1.0  # both groups all-success or all-failure: no evidence of a difference
    table = [[k_a, k_b], [n_a - k_a, n_b - k_b]]
    return float(stats.barnard_exact(table, alternative="two-sided").pvalue)


def fisher_p(k_a: int, n_a: int, k_b: int, n_b: int) -> float | None:
    """Two-sided p-value of Fisher's exact test (conditional on the margins), for reference."""
    if n_a == 0 or n_b == 0:
        return None
    return float(stats.fisher_exact([[k_a, k_b], [n_a - k_a, n_b - k_b]]).pvalue)


def bootstrap_diff_ci(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE,
                      n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> list[float] | None:
    """Percentile bootstrap interval of ``mean(b) - mean(a)`` (groups resampled independently)."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if xa.size < 2 or xb.size < 2:
        return None
    rng = np.random.default_rng(seed)
    ma = xa[rng.integers(0, xa.size, (n_resamples, xa.size))].mean(axis=1)
    mb = xb[rng.integers(0, xb.size, (n_resamples, xb.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2
    low, high = np.quantile(mb - ma, [alpha, 1.0 - alpha])
    return [float(low), float(high)]


def compare_groups(a: Sequence[EpisodeRecord], b: Sequence[EpisodeRecord]) -> dict[str, Any]:
    """B against A on one cell: success (latched) difference with Newcombe's interval and Barnard's
    exact test (Fisher's for reference), and throughput and cycle-time differences with bootstrap
    intervals. Differences are B minus A."""
    k_a, n_a = sum(r.success for r in a), len(a)
    k_b, n_b = sum(r.success for r in b), len(b)
    uph_a, uph_b = [r.throughput_uph for r in a], [r.throughput_uph for r in b]
    cyc_a = [c for r in a for c in r.cycle_times_s]
    cyc_b = [c for r in b for c in r.cycle_times_s]
    mean_a, mean_b = _mean(uph_a), _mean(uph_b)
    ca, cb = _mean(cyc_a), _mean(cyc_b)
    return {
        "episodes": [n_a, n_b],
        "success_rate": [k_a / n_a if n_a else None, k_b / n_b if n_b else None],
        "success_diff": (k_b / n_b - k_a / n_a) if n_a and n_b else None,
        "success_diff_ci95": newcombe_diff_ci(k_a, n_a, k_b, n_b),
        "success_test": "barnard_exact",
        "success_p_value": barnard_p(k_a, n_a, k_b, n_b),
        "success_fisher_p_value": fisher_p(k_a, n_a, k_b, n_b),
        "throughput_uph": [mean_a, mean_b],
        "throughput_diff": (mean_b - mean_a) if mean_a is not None and mean_b is not None else None,
        "throughput_diff_ci95": bootstrap_diff_ci(uph_a, uph_b),
        "cycle_time_s_mean": [ca, cb],
        "cycle_time_diff": (cb - ca) if ca is not None and cb is not None else None,
        "cycle_time_diff_ci95": bootstrap_diff_ci(cyc_a, cyc_b),
        "critical_events": [sum(r.critical_events for r in a), sum(r.critical_events for r in b)],
    }
