"""Episode records (DESIGN §6) and the accumulator that builds one from the per-step ``info``.

The accumulator is fed every ``info`` dict of an episode (the one from ``reset`` and each one from
``step``) and turns them into one :class:`EpisodeRecord`. It needs nothing but the info contract,
so it works for any env that honours it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, fields
from typing import Any

from humanoid_bench.safety.events import EVENT_TYPES, SEVERITIES

log = logging.getLogger(__name__)

#: window of the human separation trace (simulated seconds); each window keeps its minimum
SEPARATION_SAMPLE_S = 0.5


@dataclass
class EpisodeRecord:
    """One row of the ``episodes`` table. Times are simulated seconds unless named ``wall_``."""

    run_id: str
    task: str
    robot: str
    policy: str
    seed: int
    episode: int
    success: bool  # the success condition held at some step
    success_at_end: bool
    safe_success: bool  # success with zero critical safety events
    units_completed: int
    units_target: int
    sim_time_s: float
    wall_time_s: float
    throughput_uph: float  # units per simulated hour
    cycle_time_s: float | None  # mean simulated time per completed unit; None when no unit
    min_human_separation_m: float | None
    peak_contact_force_n: float
    energy_j: float
    end_reason: str
    config_hash: str
    steps: int = 0
    cost: float = 0.0  # summed safety cost (Safety-Gymnasium style)
    return_: float = 0.0  # summed reward
    events_by_type: dict[str, int] = field(default_factory=dict)
    events_by_severity: dict[str, int] = field(default_factory=dict)
    cycle_times_s: list[float] = field(default_factory=list)  # per unit, in completion order
    events: list[dict[str, Any]] = field(default_factory=list)  # every safety event of the episode
    suite: str | None = None
    version: str | None = None  # humanoid_bench version that ran the episode
    suite_version: str | None = None
    difficulty: str | None = None
    site: str | None = None  # site profile name
    #: [sim_time_s, min separation in the preceding SEPARATION_SAMPLE_S window] (empty without humans)
    separation_trace: list[list[float]] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        """Flat column -> value mapping for the results store (``events_<type>``, ``events_<severity>``)."""
        row: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("events_by_type", "events_by_severity", "events"):
                continue
            row[f.name] = getattr(self, f.name)
        for t in EVENT_TYPES:
            row[f"events_{t}"] = int(self.events_by_type.get(t, 0))
        for s in SEVERITIES:
            row[f"events_{s}"] = int(self.events_by_severity.get(s, 0))
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any], events: list[dict[str, Any]] | None = None) -> EpisodeRecord:
        """Inverse of :meth:`to_row` (booleans and lists restored)."""
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in row.items() if k in names}
        for k in ("success", "success_at_end", "safe_success"):
            kwargs[k] = bool(kwargs[k])
        kwargs["events_by_type"] = {t: int(row.get(f"events_{t}") or 0) for t in EVENT_TYPES}
        kwargs["events_by_severity"] = {s: int(row.get(f"events_{s}") or 0) for s in SEVERITIES}
        kwargs["events"] = list(events or [])
        return cls(**kwargs)

    @property
    def critical_events(self) -> int:
        return int(self.events_by_severity.get("critical", 0))


class EpisodeAccumulator:
    """Folds the ``info`` dicts of one episode into an :class:`EpisodeRecord`.

    Call :meth:`start` with the ``info`` from ``env.reset``, :meth:`update` with each step's
    ``info`` and reward, and :meth:`finish` once the episode ended.
    """

    def __init__(self, *, run_id: str, task: str, robot: str, policy: str, seed: int, episode: int,
                 config_hash: str, suite: str | None = None, version: str | None = None,
                 suite_version: str | None = None, difficulty: str | None = None, site: str | None = None) -> None:
        self._ids = {"run_id": run_id, "task": task, "robot": robot, "policy": policy, "seed": int(seed),
                     "episode": int(episode), "config_hash": config_hash, "suite": suite, "version": version,
                     "suite_version": suite_version, "difficulty": difficulty, "site": site}
        self.steps = 0
        self.ever_success = False
        self.units_best = 0  # highest units_completed seen; a unit completes when this increments
        self.completion_times: list[float] = []
        self.t0 = 0.0
        self.cost = 0.0
        self.return_ = 0.0
        self.energy_j = 0.0
        self.peak_force = 0.0
        self.min_sep: float | None = None
        self.sep_trace: list[list[float]] = []
        self._sep_window: tuple[int, float] | None = None  # (window index, minimum so far)
        self.events: list[dict[str, Any]] = []
        self.by_type = {t: 0 for t in EVENT_TYPES}
        self.by_severity = {s: 0 for s in SEVERITIES}
        self.last_info: dict[str, Any] = {}

    def start(self, info: dict[str, Any]) -> None:
        """Reset-time info: sets the time origin and the units already done (normally 0)."""
        self.t0 = float(info.get("sim_time", 0.0))
        self.units_best = int(info.get("units_completed", 0))
        self.last_info = dict(info)

    def update(self, info: dict[str, Any], reward: float = 0.0) -> None:
        """One step's info (DESIGN §6 contract)."""
        self.steps += 1
        self.return_ += float(reward)
        self.last_info = info
        t = float(info["sim_time"]) - self.t0
        if info.get("success"):
            self.ever_success = True
        units = int(info["units_completed"])
        if units > self.units_best:
            self.completion_times.extend([t] * (units - self.units_best))
            self.units_best = units
        self.cost += float(info.get("cost", 0.0))
        self.energy_j += float(info.get("energy_j", 0.0))
        self.peak_force = max(self.peak_force, float(info.get("peak_contact_force_n", 0.0)))
        sep = info.get("min_human_separation_m")
        if sep is not None and math.isfinite(float(sep)):
            self.min_sep = float(sep) if self.min_sep is None else min(self.min_sep, float(sep))
            self._trace_separation(t, float(sep))
        for event in info.get("safety_events") or ():
            self._add_event(event)

    def _trace_separation(self, t: float, sep: float) -> None:
        window = int(t // SEPARATION_SAMPLE_S)
        if self._sep_window is not None and self._sep_window[0] != window:
            self._flush_separation()
        if self._sep_window is None:
            self._sep_window = (window, sep)
        else:
            self._sep_window = (window, min(self._sep_window[1], sep))

    def _flush_separation(self) -> None:
        if self._sep_window is not None:
            window, sep = self._sep_window
            self.sep_trace.append([round((window + 1) * SEPARATION_SAMPLE_S, 6), sep])
            self._sep_window = None

    def _add_event(self, event: dict[str, Any]) -> None:
        etype, severity = str(event.get("type")), str(event.get("severity"))
        if etype in self.by_type:
            self.by_type[etype] += 1
        else:
            log.warning("safety event type %r is not in the taxonomy %s; stored, not counted by type",
                        etype, list(EVENT_TYPES))
        if severity in self.by_severity:
            self.by_severity[severity] += 1
        else:
            log.warning("safety event severity %r is not one of %s", severity, list(SEVERITIES))
        self.events.append(dict(event))

    def finish(self, *, terminated: bool, truncated: bool, wall_time_s: float) -> EpisodeRecord:
        """Close the episode; ``end_reason`` comes from the final info (``timeout`` if truncated)."""
        self._flush_separation()
        info = self.last_info
        end_reason = info.get("end_reason") or ("terminated" if terminated and not truncated else "timeout")
        units = int(info.get("units_completed", 0))
        sim_time = float(info.get("sim_time", self.t0)) - self.t0
        intervals = [b - a for a, b in zip([0.0, *self.completion_times[:-1]], self.completion_times)]
        ever = self.ever_success
        critical = self.by_severity["critical"]
        return EpisodeRecord(
            **self._ids,  # type: ignore[arg-type]
            success=ever,
            success_at_end=bool(info.get("success", False)),
            safe_success=ever and critical == 0,
            units_completed=units,
            units_target=int(info.get("units_target", 0)),
            sim_time_s=sim_time,
            wall_time_s=float(wall_time_s),
            throughput_uph=units / sim_time * 3600.0 if sim_time > 0 else 0.0,
            cycle_time_s=sum(intervals) / len(intervals) if intervals else None,
            min_human_separation_m=self.min_sep,
            peak_contact_force_n=self.peak_force,
            energy_j=self.energy_j,
            end_reason=str(end_reason),
            steps=self.steps,
            cost=self.cost,
            return_=self.return_,
            events_by_type=dict(self.by_type),
            events_by_severity=dict(self.by_severity),
            cycle_times_s=intervals,
            events=list(self.events),
            separation_trace=list(self.sep_trace),
        )
