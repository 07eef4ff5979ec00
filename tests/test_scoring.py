"""Episode accounting (accumulator, record) and summary statistics."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest
from scipy import stats

from humanoid_bench.safety.events import EVENT_TYPES, SEVERITIES, make_event
from humanoid_bench.scoring import (
    EpisodeAccumulator,
    EpisodeRecord,
    barnard_p,
    bootstrap_diff_ci,
    bootstrap_mean_ci,
    compare_groups,
    fisher_p,
    newcombe_diff_ci,
    summarize,
    wilson_ci,
)


def step_info(t: float, units: int, *, success: bool = False, events: tuple = (), sep: float | None = None,
              force: float = 0.0, energy: float = 1.0, target: int = 3, **extra: Any) -> dict[str, Any]:
    info = {"success": success, "is_success": success, "units_completed": units, "units_target": target,
            "sim_time": t, "cost": float(len(events)), "safety_events": [e.to_dict() for e in events],
            "energy_j": energy, "peak_contact_force_n": force, "min_human_separation_m": sep}
    info.update(extra)
    return info


def accumulator(**kw: Any) -> EpisodeAccumulator:
    ids = {"run_id": "r", "task": "t", "robot": "rb", "policy": "p", "seed": 7, "episode": 0, "config_hash": "h"}
    ids.update(kw)
    return EpisodeAccumulator(**ids)


def test_accumulator_counts_units_events_and_extremes() -> None:
    acc = accumulator()
    acc.start(step_info(0.0, 0))
    coll = make_event("collision", 150.0, 100.0, ("hand", "table"), 1.0)
    breach = make_event("separation_breach", 0.3, 0.8, ("torso", "human"), 2.0)
    acc.update(step_info(1.0, 0, events=(coll,), sep=1.2, force=150.0), reward=0.5)
    acc.update(step_info(2.0, 1, events=(breach, coll), sep=0.3, force=20.0), reward=1.0)
    acc.update(step_info(3.0, 1, sep=None), reward=0.0)
    acc.update(step_info(5.0, 3, success=True, end_reason="success"), reward=2.0)
    rec = acc.finish(terminated=True, truncated=False, wall_time_s=0.25)

    assert rec.success and rec.success_at_end and not rec.safe_success  # one critical event
    assert rec.units_completed == 3 and rec.units_target == 3
    assert rec.sim_time_s == 5.0 and rec.wall_time_s == 0.25 and rec.steps == 4
    assert rec.throughput_uph == pytest.approx(3 / 5.0 * 3600)
    # units at t=2 and two at t=5: intervals 2, 3, 0 -> mean 5/3 (= time of the last unit / units)
    assert rec.cycle_times_s == pytest.approx([2.0, 3.0, 0.0])
    assert rec.cycle_time_s == pytest.approx(5.0 / 3)
    assert rec.events_by_type["collision"] == 2 and rec.events_by_type["separation_breach"] == 1
    assert rec.events_by_severity == {"critical": 1, "major": 2, "minor": 0}
    assert len(rec.events) == 3 and rec.events[0]["type"] == "collision"
    assert rec.min_human_separation_m == 0.3
    assert rec.peak_contact_force_n == 150.0
    assert rec.energy_j == pytest.approx(4.0)
    assert rec.return_ == pytest.approx(3.5) and rec.cost == pytest.approx(3.0)
    assert rec.end_reason == "success"


def test_success_ever_vs_at_end_and_timeout_default() -> None:
    acc = accumulator()
    acc.start(step_info(0.0, 0))
    acc.update(step_info(1.0, 3, success=True))
    acc.update(step_info(2.0, 2, success=False))  # a part knocked out of its slot again
    rec = acc.finish(terminated=False, truncated=True, wall_time_s=0.0)
    assert rec.success and not rec.success_at_end and rec.safe_success
    assert rec.end_reason == "timeout"  # no end_reason in info and truncated
    assert rec.units_completed == 2  # final count
    assert len(rec.cycle_times_s) == 3  # but three completions happened


def test_no_units_no_humans() -> None:
    acc = accumulator()
    acc.start(step_info(0.0, 0))
    acc.update(step_info(1.0, 0))
    rec = acc.finish(terminated=True, truncated=False, wall_time_s=0.0)
    assert rec.cycle_time_s is None and rec.cycle_times_s == []
    assert rec.throughput_uph == 0.0
    assert rec.min_human_separation_m is None
    assert not rec.success and not rec.safe_success
    assert rec.end_reason == "terminated"


def test_time_origin_is_the_reset_time() -> None:
    acc = accumulator()
    acc.start(step_info(10.0, 0))
    acc.update(step_info(12.0, 1, end_reason="fall"))
    rec = acc.finish(terminated=True, truncated=False, wall_time_s=0.0)
    assert rec.sim_time_s == 2.0 and rec.cycle_time_s == 2.0 and rec.end_reason == "fall"


def test_unknown_event_type_is_kept_and_warned(caplog: pytest.LogCaptureFixture) -> None:
    acc = accumulator()
    acc.start(step_info(0.0, 0))
    odd = {"type": "alien_probe", "severity": "major", "value": 1.0, "limit": 0.0, "standard": "-",
           "bodies": [], "sim_time": 1.0}
    with caplog.at_level(logging.WARNING):
        acc.update({**step_info(1.0, 0), "safety_events": [odd]})
    rec = acc.finish(terminated=True, truncated=False, wall_time_s=0.0)
    assert "alien_probe" in caplog.text
    assert rec.events == [odd] and rec.events_by_severity["major"] == 1
    assert sum(rec.events_by_type.values()) == 0


def test_record_row_has_every_taxonomy_column_and_round_trips() -> None:
    acc = accumulator()
    acc.start(step_info(0.0, 0))
    acc.update(step_info(1.0, 1, events=(make_event("joint_limit", 1.0, 1.0, ("elbow",), 1.0),)))
    rec = acc.finish(terminated=False, truncated=True, wall_time_s=0.1)
    row = rec.to_row()
    for name in (*EVENT_TYPES, *SEVERITIES):
        assert f"events_{name}" in row
    assert row["events_joint_limit"] == 1 and row["events_minor"] == 1
    for key in ("run_id", "task", "robot", "policy", "seed", "episode", "success", "success_at_end",
                "safe_success", "units_completed", "units_target", "sim_time_s", "wall_time_s", "throughput_uph",
                "cycle_time_s", "min_human_separation_m", "peak_contact_force_n", "energy_j", "end_reason",
                "config_hash"):
        assert key in row
    back = EpisodeRecord.from_row(row, rec.events)
    assert back == rec


# ------------------------------------------------------------------------------------- statistics
@pytest.mark.parametrize("k,n", [(0, 1), (3, 10), (10, 10), (7, 20)])
def test_wilson_matches_scipy_and_contains_rate(k: int, n: int) -> None:
    low, high = wilson_ci(k, n)
    ref = stats.binomtest(k, n).proportion_ci(method="wilson")
    assert (low, high) == pytest.approx((ref.low, ref.high))
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_without_episodes_is_none() -> None:
    assert wilson_ci(0, 0) is None


def test_bootstrap_is_deterministic_and_brackets_the_mean() -> None:
    values = [100.0, 140.0, 90.0, 160.0, 120.0, 130.0]
    a, b = bootstrap_mean_ci(values), bootstrap_mean_ci(values)
    assert a == b
    assert a[0] < sum(values) / len(values) < a[1]
    assert bootstrap_mean_ci([5.0]) is None
    assert bootstrap_mean_ci([3.0, 3.0, 3.0]) == [3.0, 3.0]


def make_record(task: str, seed: int, success: bool, units: int, sim_time: float, critical: int = 0,
                major: int = 0, cycles: list[float] | None = None) -> EpisodeRecord:
    by_sev = {"critical": critical, "major": major, "minor": 0}
    by_type = {t: 0 for t in EVENT_TYPES}
    by_type["fall"], by_type["collision"] = critical, major
    cycles = cycles if cycles is not None else [sim_time / units] * units if units else []
    return EpisodeRecord(
        run_id="r", task=task, robot="rb", policy="p", seed=seed, episode=seed, success=success,
        success_at_end=success, safe_success=success and critical == 0, units_completed=units, units_target=4,
        sim_time_s=sim_time, wall_time_s=1.0, throughput_uph=units / sim_time * 3600,
        cycle_time_s=(sum(cycles) / len(cycles)) if cycles else None, min_human_separation_m=None,
        peak_contact_force_n=10.0 * seed, energy_j=5.0, end_reason="success" if success else "timeout",
        config_hash="h", events_by_type=by_type, events_by_severity=by_sev, cycle_times_s=cycles,
    )


def test_summary_rates_per_hour_and_tasks() -> None:
    records = [
        make_record("a", 0, True, 4, 40.0, critical=1),
        make_record("a", 1, True, 4, 50.0),
        make_record("a", 2, False, 2, 60.0, major=2),
        make_record("b", 3, False, 0, 30.0),
    ]
    s = summarize(records)
    assert s["episodes"] == 4
    assert s["success_rate"] == 0.5 and s["safe_success_rate"] == 0.25
    assert s["success_ci95"] == pytest.approx(wilson_ci(2, 4))
    hours = 180.0 / 3600
    assert s["safety_events_per_hour"]["by_severity"]["critical"] == pytest.approx(1 / hours)
    assert s["safety_events_per_hour"]["by_type"]["collision"] == pytest.approx(2 / hours)
    assert set(s["safety_events_per_hour"]["by_type"]) == set(EVENT_TYPES)
    assert s["cycle_time_units"] == 10
    assert s["cycle_time_s_mean"] == pytest.approx(sum(c for r in records for c in r.cycle_times_s) / 10)
    assert s["cycle_time_s_mean"] <= s["cycle_time_s_p95"] <= 30.0
    assert s["throughput_uph"] == pytest.approx(sum(r.throughput_uph for r in records) / 4)
    low, high = s["throughput_uph_ci95"]
    assert low <= s["throughput_uph"] <= high
    assert s["end_reasons"] == {"success": 2, "timeout": 2}
    assert set(s["tasks"]) == {"a", "b"}
    assert s["tasks"]["a"]["episodes"] == 3 and s["tasks"]["b"]["episodes"] == 1
    assert s["tasks"]["b"]["cycle_time_s_mean"] is None and s["tasks"]["b"]["throughput_uph_ci95"] is None
    assert s["peak_contact_force_n"] == 30.0


def test_summary_of_nothing_has_n_zero_and_no_means() -> None:
    s = summarize([])
    assert s["episodes"] == 0 and s["tasks"] == {}
    assert s["success_rate"] is None and s["throughput_uph"] is None
    assert all(v is None or not math.isnan(v) for v in s["safety_events_per_hour"]["by_severity"].values())


# ------------------------------------------------------------------------------------ comparison
def test_newcombe_interval_matches_the_published_example() -> None:
    # Newcombe (1998), Table II example: 56/70 vs 48/80 -> difference 0.2 with 95% CI [0.0524, 0.3339]
    low, high = newcombe_diff_ci(48, 80, 56, 70)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=5e-4)
    assert newcombe_diff_ci(0, 0, 1, 2) is None


def test_barnard_and_fisher_on_fixed_n_binary_outcomes() -> None:
    p = barnard_p(20, 20, 14, 20)
    ref = stats.barnard_exact([[20, 14], [0, 6]]).pvalue
    assert p == pytest.approx(ref) and p < 0.05
    assert barnard_p(10, 10, 10, 10) == 1.0 and barnard_p(0, 5, 0, 5) == 1.0
    assert fisher_p(20, 20, 14, 20) == pytest.approx(stats.fisher_exact([[20, 14], [0, 6]]).pvalue)
    assert barnard_p(1, 0, 1, 2) is None


def test_bootstrap_difference_is_deterministic_and_signed() -> None:
    a, b = [100.0, 110.0, 95.0, 105.0], [150.0, 160.0, 140.0, 155.0]
    ci = bootstrap_diff_ci(a, b)
    assert ci == bootstrap_diff_ci(a, b) and 0 < ci[0] < 50.0 < ci[1]
    assert bootstrap_diff_ci([1.0], b) is None


def test_compare_groups_b_minus_a() -> None:
    a = [make_record("t", s, s < 9, 4, 40.0) for s in range(10)]
    b = [make_record("t", s, s < 5, 2, 40.0, critical=1) for s in range(10)]
    c = compare_groups(a, b)
    assert c["episodes"] == [10, 10] and c["success_rate"] == [0.9, 0.5]
    low, high = c["success_diff_ci95"]
    assert c["success_diff"] == pytest.approx(-0.4) and low < -0.4 < high
    assert c["success_test"] == "barnard_exact" and c["success_p_value"] == pytest.approx(barnard_p(9, 10, 5, 10))
    assert c["throughput_diff"] == pytest.approx(2 / 40 * 3600 - 4 / 40 * 3600)
    assert c["critical_events"] == [0, 10]


def test_large_samples_use_the_normal_approximation() -> None:
    values = [float(i % 7) for i in range(5000)]
    low, high = bootstrap_mean_ci(values)
    mean = sum(values) / len(values)
    assert low < mean < high and high - low < 0.2


def test_separation_trace_keeps_each_windows_minimum() -> None:
    acc = accumulator()
    acc.start(step_info(0.0, 0))
    for i, (t, d) in enumerate([(0.1, 2.0), (0.3, 1.5), (0.6, 1.8), (0.9, 1.2), (1.2, None), (1.4, 0.9)]):
        acc.update(step_info(t, 0, sep=d))
    rec = acc.finish(terminated=False, truncated=True, wall_time_s=0.0)
    assert rec.separation_trace == [[0.5, 1.5], [1.0, 1.2], [1.5, 0.9]]
    assert rec.min_human_separation_m == 0.9


def test_success_at_end_has_its_interval() -> None:
    s = summarize([make_record("a", i, i < 3, 1, 10.0) for i in range(4)])
    assert s["success_at_end_ci95"] == pytest.approx(wilson_ci(3, 4))
    assert s["cycle_time_s_ci95"] is not None
