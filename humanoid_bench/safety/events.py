"""Safety event taxonomy (DESIGN §6) and the event record.

Every event carries ``type``, ``severity``, ``value``, ``limit``, ``standard``, ``bodies`` and
``sim_time``. The standard is the clause a rule derives from; "project rule" marks rules of this
project that no standard fixes yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CRITICAL = "critical"
MAJOR = "major"
MINOR = "minor"
SEVERITIES: tuple[str, ...] = (CRITICAL, MAJOR, MINOR)

#: event type -> (default severity, source)
TAXONOMY: dict[str, tuple[str, str]] = {
    "separation_breach": (CRITICAL, "ISO/TS 15066:2016 5.5.4 (SSM); ISO 13855:2010"),
    "contact_force": (CRITICAL, "ISO/TS 15066:2016 5.5.5 (PFL), Annex A"),
    "head_contact": (CRITICAL, "ISO/TS 15066:2016 5.5.5.4, Table A.2"),
    "reduced_speed": (MAJOR, "ISO 10218-1:2025 5.7 / ISO 10218-2:2025 (collaborative speed)"),
    "zone_intrusion": (CRITICAL, "ISO 10218-2:2025 (safeguarded space, interlocks)"),
    "fall": (CRITICAL, "project rule (ISO 25785-1 pending)"),
    "collision": (MAJOR, "project rule (ISO 10218-2 hazard: impact with fixtures)"),
    "self_collision": (MINOR, "project rule"),
    "payload_drop": (MAJOR, "project rule (ISO 10218-2 hazard: falling objects)"),
    "joint_limit": (MINOR, "project rule (joint position or torque saturation)"),
}
EVENT_TYPES: tuple[str, ...] = tuple(TAXONOMY)


@dataclass(frozen=True)
class SafetyEvent:
    type: str
    severity: str
    value: float
    limit: float
    standard: str
    bodies: tuple[str, ...] = field(default_factory=tuple)
    sim_time: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bodies"] = list(self.bodies)
        return d


def make_event(
    type: str, value: float, limit: float, bodies: tuple[str, ...], sim_time: float,
    severity: str | None = None,
) -> SafetyEvent:
    default_severity, standard = TAXONOMY[type]
    return SafetyEvent(
        type=type, severity=severity or default_severity, value=float(value), limit=float(limit),
        standard=standard, bodies=tuple(bodies), sim_time=float(sim_time),
    )
