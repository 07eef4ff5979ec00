"""Figures and formulas from the collaborative-robot standards, kept apart from the monitor.

- Speed and separation monitoring, ISO/TS 15066:2016 clause 5.5.4.2.3 (formula 1):
  S_p = S_h + S_r + S_s + C + Z_d + Z_r with S_h = v_h (T_r + T_s), S_r = v_r T_r and, for a
  constant deceleration, S_s = v_r T_s / 2.
- Human approach speed, ISO 13855:2010 clause 6.2.3: 2.0 m/s when the separation is at most
  0.5 m, 1.6 m/s beyond.
- Power and force limiting, ISO/TS 15066:2016 Annex A, Table A.2: permissible quasi-static
  contact forces per body region; transient contact may reach twice that (A.3.3), except on the
  head and face, where no transient allowance applies.
"""

from __future__ import annotations

from dataclasses import dataclass

#: ISO/TS 15066:2016 Table A.2, maximum permissible quasi-static force (N), grouped to the body
#: regions of humanoid_bench.sim.humans. Where one region of the model covers several of the
#: table's (the torso box: chest 140, abdomen 110, pelvis 180, back and shoulders 210), the lowest
#: figure is used.
QUASI_STATIC_FORCE_N: dict[str, float] = {
    "head": 65.0,  # face 65 (skull and forehead 130): any head contact is a head_contact event anyway
    "neck": 150.0,
    "torso": 110.0,
    "upper_arm": 150.0,
    "lower_arm": 160.0,
    "hand": 140.0,
    "thigh": 220.0,
    "lower_leg": 130.0,
}
TRANSIENT_FACTOR = 2.0  # ISO/TS 15066 A.3.3: transient contact up to twice the quasi-static limit


@dataclass(frozen=True)
class SsmParameters:
    """Terms of the protective separation distance (SI units)."""

    robot_reaction_time_s: float = 0.1  # T_r
    robot_stopping_time_s: float = 0.3  # T_s
    intrusion_distance_m: float = 0.2  # C (ISO 13855 body-part intrusion before detection)
    human_position_uncertainty_m: float = 0.1  # Z_d (sensing)
    robot_position_uncertainty_m: float = 0.02  # Z_r
    human_speed_far_mps: float = 1.6  # v_h beyond 0.5 m (ISO 13855 6.2.3)
    human_speed_near_mps: float = 2.0  # v_h within 0.5 m
    near_distance_m: float = 0.5


def human_speed(separation_m: float, p: SsmParameters) -> float:
    """ISO 13855 approach speed for a separation (used when the human's speed is not measured)."""
    return p.human_speed_near_mps if separation_m <= p.near_distance_m else p.human_speed_far_mps


def protective_separation(robot_speed_mps: float, human_speed_mps: float, p: SsmParameters) -> float:
    """S_p of ISO/TS 15066 formula (1), with S_s = v_r T_s / 2 (constant deceleration)."""
    t_r, t_s = p.robot_reaction_time_s, p.robot_stopping_time_s
    s_h = human_speed_mps * (t_r + t_s)
    s_r = robot_speed_mps * t_r
    s_s = robot_speed_mps * t_s / 2.0
    return s_h + s_r + s_s + p.intrusion_distance_m + p.human_position_uncertainty_m + p.robot_position_uncertainty_m


def allowed_robot_speed(separation_m: float, human_speed_mps: float, p: SsmParameters) -> float:
    """Largest robot speed whose S_p still fits in ``separation_m`` (<= 0 means stop)."""
    rest = protective_separation(0.0, human_speed_mps, p)
    return (separation_m - rest) / (p.robot_reaction_time_s + p.robot_stopping_time_s / 2.0)


def force_limit(region: str, transient: bool) -> float:
    qs = QUASI_STATIC_FORCE_N.get(region, min(QUASI_STATIC_FORCE_N.values()))
    return qs * TRANSIENT_FACTOR if transient and region != "head" else qs
