"""Palletizing-v0: cases from an infeed conveyor stacked onto a pallet in a layer pattern.

Description
    Cases (closed cartons, 16 x 6 x 10 cm, 1 to 3.5 kg) arrive one at a time at the end stop of a
    roller conveyor to the robot's right; the next case is released onto the end stop when the
    previous one has been carried away and its arrival time has come. A pallet stands in front
    of the robot and to its left on a lift table that keeps the deck at working height (0.80 m).
    The robot picks each case from above with one parallel gripper (fingers across the 6 cm
    width, friction only: no attach constraints), drives its holonomic base to the slot and
    sets the case down in the slot of the stacking pattern, layer by layer. One unit of work is
    one case resting in its pattern slot: within ``tolerance`` (xy) of the slot centre, its yaw
    within ``yaw_tolerance`` of the pattern's, at the slot's layer height, upright, at rest and
    released. The pattern leaves 5 cm between columns (the fingers go down beside each case) and
    2 cm between rows; upper layers stand on the cases below (column stack). An episode is a
    shift segment: the whole pattern (``units_target`` cases) in the time budget.

Action space
    That of the control mode (``humanoid_bench.sim.controllers``); ``ee_delta_pose`` on
    ``wheeled_humanoid``: base (vx, vy, wz), torso (2), left EE (6), left gripper, right EE (6),
    right gripper. ``env.unwrapped.action_layout`` names the slices.

Observation space
    Robot part as in every task. Task part (privileged state): ``case_pos`` (N x 3, base frame;
    a case not yet arrived reads as parked off the cell), ``case_quat`` (N x 4, base frame),
    ``case_arrived`` (N), ``case_placed`` (N), ``slot_pos`` (N x 3, base frame, centre of the
    slot's bottom face, in stacking order), ``slot_yaw`` (N, base frame), ``slot_filled`` (N),
    ``infeed_pos`` (3, base frame, the end stop where cases are picked).
    ``env.unwrapped.obs_layout`` names the slices of the flat vector.

Rewards (``reward_mode="dense"``; each term is in ``info`` as ``reward_<term>``)
    ``reach``  = w * (1 - tanh(5 d)), d = distance of the nearest TCP to the next arrived case, while
    it is not held; ``grasp`` = w while a gripper holds it with both fingers; ``place`` =
    w * (1 - tanh(3 d_slot)) while held, d_slot = distance of the case to the next free slot
    (bottom layer first); ``units`` = w * units_completed; ``action`` = -w |a|^2.
    ``reward_mode="sparse"``: +1 for each unit completed this step.

Success
    Every slot of the pattern filled (``units_completed >= units_target``) and the stack stable:
    the condition holds without a break, no robot link touching any case, for ``stable_s``
    (1 s). The episode then terminates (``end_reason="success"``).

Failure
    ``case_dropped``: a case lies below the infeed and pallet heights (on the floor), so the
    pattern can no longer be completed. ``stack_toppled``: a case that had been counted in its
    slot has been pushed more than three tolerances away from it or tilted beyond 30 degrees.
    Truncation at ``time_budget_s`` (``end_reason="timeout"``).

Randomization (from the seed)
    Each case's pose at the end stop (+-1 cm along x, +-0.5 cm along y, yaw +-``yaw_jitter``),
    mass and friction within the difficulty's ranges, and the arrival times (gaps between
    consecutive arrivals uniform in ``arrival_gap_s``; the first case is there at reset).

Difficulty (pattern: rows along x x columns along y, layers; gap: between arrivals)
    ======  ===========  =========  ==========  =======  ==========  =========  ======
    level   pattern      mass (kg)  friction    tol xy   tol yaw     gap (s)    budget
    ======  ===========  =========  ==========  =======  ==========  =========  ======
    easy    2 x 1, 1     1.0-1.5    0.8-1.0     3.0 cm   10 deg      0-2        60 s
    medium  2 x 1, 2     1.0-2.5    0.7-1.0     2.5 cm   8 deg       1-4        75 s
    hard    2 x 2, 2     2.0-3.5    0.6-0.9     2.0 cm   6 deg       1-5        120 s
    ======  ===========  =========  ==========  =======  ==========  =========  ======
    Masses stop at 3.5 kg: heavier cases creep down between one gripper's pads while the arm
    moves (measured: 5 kg at friction 0.6 slides 4 cm during a 9 cm lift at 0.09 m/s), so they
    would need a two-handed pick, which v0 does not ask for.

Robots
    Any robot with a mobile base (the cell is larger than an arm's reach) and a gripper.

Version history
    v0: first release.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar

import numpy as np
from humanoid_bench.envs.base import FactoryEnv

from humanoid_bench.errors import ConfigError
from humanoid_bench.sim.world import pb

CASE_HALF = (0.08, 0.03, 0.05)  # x (length), y (width: between the fingers), z (height)
INFEED_TOP = 0.80  # roller tops
INFEED_X, INFEED_Y = 0.45, -0.55  # end stop: where a case waits to be picked
INFEED_LENGTH = 0.75  # conveyor runs from the end stop away from the robot (-y)
PALLET_TOP = 0.80  # deck height on the lift table
PALLET_CENTRE = (0.45, 0.30)
PALLET_HALF = (0.20, 0.15)  # deck half extents (x, y): a display (quarter) pallet
PITCH = (0.18, 0.11)  # slot spacing: rows (x, 2 cm apart) and columns (y, 5 cm for the fingers)
PARK = (-4.0, 4.0)  # where cases wait off the cell before they arrive
UPRIGHT_COS = math.cos(math.radians(10.0))
TOPPLED_COS = math.cos(math.radians(30.0))
REST_SPEED = 0.05  # m/s
SPINNING_FRICTION = 0.01  # m: a cardboard face on a 2.4 x 6.5 cm finger pad
STABLE_S = 1.0  # the full stack must stand untouched this long


def pattern_slots(rows: int, cols: int, layers: int) -> list[tuple[float, float, float]]:
    """Slot (x, y, bottom z) in the world frame, stacking order: layer by layer, far row first."""
    cx, cy = PALLET_CENTRE
    out = []
    for layer in range(layers):
        for r in reversed(range(rows)):
            for c in range(cols):
                x = cx + (r - (rows - 1) / 2) * PITCH[0]
                y = cy + (c - (cols - 1) / 2) * PITCH[1]
                out.append((x, y, PALLET_TOP + layer * 2 * CASE_HALF[2]))
    return out


class PalletizingEnv(FactoryEnv):
    task_name: ClassVar[str] = "palletizing"
    DIFFICULTIES: ClassVar[dict[str, dict[str, Any]]] = {
        "easy": {"units_target": 2, "pattern": (2, 1, 1), "mass": (1.0, 1.5), "friction": (0.8, 1.0), "tolerance": 0.03,
                 "yaw_tolerance": math.radians(10.0), "yaw_jitter": math.radians(5.0), "arrival_gap_s": (0.0, 2.0),
                 "time_budget_s": 60.0},
        "medium": {"units_target": 4, "pattern": (2, 1, 2), "mass": (1.0, 2.5), "friction": (0.7, 1.0), "tolerance": 0.025,
                   "yaw_tolerance": math.radians(8.0), "yaw_jitter": math.radians(8.0), "arrival_gap_s": (1.0, 4.0),
                   "time_budget_s": 75.0},
        "hard": {"units_target": 8, "pattern": (2, 2, 2), "mass": (2.0, 3.5), "friction": (0.6, 0.9), "tolerance": 0.02,
                 "yaw_tolerance": math.radians(6.0), "yaw_jitter": math.radians(12.0), "arrival_gap_s": (1.0, 5.0),
                 "time_budget_s": 120.0},
    }
    CAMERA = ((0.45, -0.1, 0.8), 2.2, 60.0, -35.0)
    REWARD_WEIGHTS: ClassVar[dict[str, float]] = {"reach": 0.25, "grasp": 0.25, "place": 0.5, "units": 1.0, "action": 0.01}

    def __init__(self, **kwargs: Any) -> None:
        """The keywords of ``FactoryEnv``; an unknown one is a ConfigError naming it (not a TypeError)."""
        known = set(inspect.signature(FactoryEnv.__init__).parameters) - {"self"}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ConfigError(f"palletizing got unknown keyword(s) {unknown}; valid keywords: {sorted(known)}")
        super().__init__(**kwargs)

    # ------------------------------------------------------------------ scene
    def build_scene(self) -> None:
        self.require_mobile_base("the robot drives between the infeed and the pallet")
        self.require_gripper()
        n = self.units_target
        rows, cols, layers = self.params["pattern"]
        if n > rows * cols * layers:
            raise ConfigError(f"palletizing at difficulty {self.difficulty!r} stacks {rows} x {cols} cases in {layers} "
                              f"layer(s), at most {rows * cols * layers} (units_target); got {n}")
        self.slots = pattern_slots(rows, cols, layers)[:n]
        self.slot_yaw = 0.0  # every case lies with its length along x
        w = self.world
        self._infeed()
        self._lift_table()
        self.cases = [w.add_box(f"case_{i}", CASE_HALF, (PARK[0] - 0.3 * i, PARK[1], CASE_HALF[2]), mass=2.0,
                                rgba=(0.72, 0.55, 0.35, 1)) for i in range(n)]
        self.monitor.register_payloads(self.cases)
        lo = np.array([PALLET_CENTRE[0] - PALLET_HALF[0], PALLET_CENTRE[1] - PALLET_HALF[1], PALLET_TOP - 0.02])
        hi = np.array([PALLET_CENTRE[0] + PALLET_HALF[0], PALLET_CENTRE[1] + PALLET_HALF[1], PALLET_TOP + 0.5])
        self.monitor.register_goal_zone(lo, hi)
        # setting a case back down on the conveyor (a missed grasp) is not a drop either
        self.monitor.register_goal_zone(np.array([INFEED_X - 0.17, INFEED_Y - 0.15, INFEED_TOP - 0.02]),
                                        np.array([INFEED_X + 0.17, INFEED_Y + 0.07, INFEED_TOP + 0.3]))
        self._arrival = np.zeros(n)
        self._next = 0  # index of the next case to arrive

    def _infeed(self) -> None:
        """A roller conveyor: side frames, drawn rollers, a collision deck and an end stop."""
        w = self.world
        half_w, y0 = 0.17, INFEED_Y + 0.07
        yc = y0 - INFEED_LENGTH / 2
        w.add_box("infeed_deck", (half_w, INFEED_LENGTH / 2, 0.01), (INFEED_X, yc, INFEED_TOP - 0.01), rgba=(0.3, 0.3, 0.32, 1))
        for s in (-1, 1):
            w.add_box("infeed_frame", (0.02, INFEED_LENGTH / 2, 0.04), (INFEED_X + s * (half_w + 0.02), yc, INFEED_TOP - 0.03),
                      rgba=(0.2, 0.35, 0.6, 1))
            for e in (-1, 1):
                w.add_box("infeed_leg", (0.02, 0.02, (INFEED_TOP - 0.06) / 2),  # set back: the robot base passes
                          (INFEED_X + s * (half_w - 0.02), yc + e * (INFEED_LENGTH / 2 - 0.12), (INFEED_TOP - 0.06) / 2),
                          rgba=(0.25, 0.25, 0.27, 1))
        w.add_box("infeed_stop", (half_w, 0.01, 0.03), (INFEED_X, y0 + 0.01, INFEED_TOP + 0.03), rgba=(0.85, 0.7, 0.1, 1))
        c = w.client
        vis = c.createVisualShape(pb.GEOM_CYLINDER, radius=0.015, length=2 * half_w, rgbaColor=(0.7, 0.7, 0.72, 1))
        orn = c.getQuaternionFromEuler((0.0, math.pi / 2, 0.0))
        for k in range(int(INFEED_LENGTH / 0.06)):
            c.createMultiBody(0, -1, vis, basePosition=(INFEED_X, y0 - 0.03 - 0.06 * k, INFEED_TOP - 0.014), baseOrientation=orn)

    def _lift_table(self) -> None:
        """The pallet on a lift table: deck, stringers, and a table top on a scissor base."""
        w = self.world
        (cx, cy), (hx, hy) = PALLET_CENTRE, PALLET_HALF
        table = PALLET_TOP - 0.11
        w.add_box("lift_table", (hx + 0.03, hy + 0.03, 0.02), (cx, cy, table - 0.02), rgba=(0.2, 0.35, 0.6, 1))
        w.add_box("lift_base", (0.10, hy - 0.05, 0.05), (cx + 0.08, cy, 0.05), rgba=(0.2, 0.35, 0.6, 1))
        w.add_box("lift_scissor", (0.02, hy - 0.03, (table - 0.14) / 2), (cx + 0.12, cy, 0.10 + (table - 0.14) / 2),
                  rgba=(0.25, 0.25, 0.27, 1))
        for s in (-1, 0, 1):
            w.add_box("pallet_block", (hx, 0.025, 0.035), (cx, cy + s * (hy - 0.025), table + 0.035), rgba=(0.6, 0.45, 0.28, 1))
        w.add_box("pallet_deck", (hx, hy, 0.02), (cx, cy, PALLET_TOP - 0.02), rgba=(0.7, 0.55, 0.35, 1))
        for i, (x, y, z) in enumerate(self.slots):
            if z == PALLET_TOP:
                w.add_marker(f"slot_{i}", (CASE_HALF[0], CASE_HALF[1], 0.0005), (x, y, PALLET_TOP + 0.0005), (0.2, 0.8, 0.3, 1))

    def initialize_episode(self, rng: np.random.Generator) -> None:
        p = self.params
        c = self.world.client
        self._poses = []
        for case in self.cases:  # everything drawn up front: the draws do not depend on the policy
            x = INFEED_X + rng.uniform(-0.01, 0.01)
            y = INFEED_Y + rng.uniform(-0.005, 0.005)
            yaw = rng.uniform(-p["yaw_jitter"], p["yaw_jitter"])
            self._poses.append((x, y, yaw))
            # Torsional friction of the contact patches (Bullet's point contacts have none): without
            # it a case held by two finger pads swings about the finger axis like a pendulum.
            c.changeDynamics(case, -1, mass=float(rng.uniform(*p["mass"])), lateralFriction=float(rng.uniform(*p["friction"])),
                             spinningFriction=SPINNING_FRICTION)
        gaps = rng.uniform(*p["arrival_gap_s"], size=len(self.cases))
        gaps[0] = 0.0
        self._arrival = np.cumsum(gaps)
        self._arrived = np.zeros(len(self.cases), bool)
        self._ever_placed = np.zeros(len(self.cases), bool)
        self._stable_since: float | None = None
        self._next = 0
        self._present(0)

    def _present(self, i: int) -> None:
        """Case ``i`` arrives at the end stop (the conveyor upstream of the cell is not simulated)."""
        c = self.world.client
        x, y, yaw = self._poses[i]
        c.resetBasePositionAndOrientation(self.cases[i], (x, y, INFEED_TOP + CASE_HALF[2] + 0.001),
                                          c.getQuaternionFromEuler((0, 0, yaw)))
        c.resetBaseVelocity(self.cases[i], (0, 0, 0), (0, 0, 0))
        self._arrived[i] = True
        self._next = i + 1
        self.world.touch()

    def _infeed_clear(self) -> bool:
        pos = self.body_states(self.cases[: self._next])
        return all(math.hypot(p[0] - INFEED_X, p[1] - INFEED_Y) > 0.25 for p, _, _ in pos)

    def step(self, action):
        if self._next < len(self.cases) and self.world.sim_time >= self._arrival[self._next] and self._infeed_clear():
            self._present(self._next)
        return super().step(action)

    # ------------------------------------------------------------------ evaluation
    def _fill(self, states: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[list[bool], list[int]]:
        """Which slots hold a case (xy, yaw, layer height, upright, at rest, untouched); slot index per case or -1."""
        c = self.world.client
        p = self.params
        filled = [False] * len(self.slots)
        slot_of = [-1] * len(self.cases)
        for i, (pos, quat, speed) in enumerate(states):
            m = c.getMatrixFromQuaternion(quat)
            if m[8] < UPRIGHT_COS or speed > REST_SPEED:
                continue
            yaw = math.atan2(m[3], m[0])
            dyaw = abs(math.remainder(yaw - self.slot_yaw, math.pi))  # a case is symmetric under a half turn
            for s, (sx, sy, sz) in enumerate(self.slots):
                if filled[s] or abs(pos[2] - sz - CASE_HALF[2]) > 0.015 or math.hypot(pos[0] - sx, pos[1] - sy) > p["tolerance"]:
                    continue
                if dyaw <= p["yaw_tolerance"] and not c.getContactPoints(bodyA=self.cases[i], bodyB=self.robot.body):
                    filled[s], slot_of[i] = True, s
                break
        return filled, slot_of

    def evaluate(self) -> dict[str, Any]:
        c = self.world.client
        states = self.body_states(self.cases)
        self._states = states
        filled, slot_of = self._fill(states)
        self._filled, self._slot_of = filled, slot_of
        self._ever_placed |= np.array([s >= 0 for s in slot_of])
        units = int(sum(filled))
        dropped = any(self._arrived[i] and pos[2] < min(INFEED_TOP, PALLET_TOP) - 0.2 for i, (pos, _, _) in enumerate(states))
        toppled = False
        for i, (pos, quat, _) in enumerate(states):
            if self._ever_placed[i] and slot_of[i] < 0:
                near = min(math.hypot(pos[0] - sx, pos[1] - sy) for sx, sy, _ in self.slots)
                toppled |= near > 3 * self.params["tolerance"] or c.getMatrixFromQuaternion(quat)[8] < TOPPLED_COS
        complete = units >= self.units_target and not any(
            c.getContactPoints(bodyA=case, bodyB=self.robot.body) for case in self.cases)
        if not complete:
            self._stable_since = None
        elif self._stable_since is None:
            self._stable_since = self.world.sim_time
        success = complete and self.world.sim_time - self._stable_since >= STABLE_S - 1e-9
        reason = "case_dropped" if dropped else "stack_toppled" if toppled else None
        return {"success": bool(success), "units_completed": units, "progress": units / self.units_target,
                "stack_complete": bool(complete), "fail": reason is not None and not success, "fail_reason": reason}

    def next_case(self) -> int | None:
        """The first arrived case not yet in a slot and not on the floor."""
        for i, (pos, _, _) in enumerate(self._states):
            if self._arrived[i] and self._slot_of[i] < 0 and pos[2] > 0.5:
                return i
        return None

    def dense_reward(self, evaluation: dict[str, Any], action: np.ndarray) -> dict[str, float]:
        i = self.next_case()
        free = [np.array([x, y, z + CASE_HALF[2]]) for s, (x, y, z) in enumerate(self.slots) if not self._filled[s]]
        terms = self.pick_place_terms(None if i is None else self._states[i][0],  # the pattern's next slot
                                      i is not None and self.held_by(self.cases[i]) is not None, free[:1], place_rate=3.0)
        return terms

    # ------------------------------------------------------------------ observation
    def task_observation(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "_states"):
            self.evaluate()
        states = self.body_states(self.cases)
        yaw = self.robot.base_pose()[2]
        return {
            "case_pos": self.to_base_frame(np.array([p for p, _, _ in states])),
            "case_quat": self.quats_to_base_frame([q for _, q, _ in states]),
            "case_arrived": self._arrived.astype(float),
            "case_placed": np.array([s >= 0 for s in self._slot_of], dtype=float),
            "slot_pos": self.to_base_frame(np.array(self.slots)),
            "slot_yaw": np.full(len(self.slots), math.remainder(self.slot_yaw - yaw, 2 * math.pi)),
            "slot_filled": np.array(self._filled, dtype=float),
            "infeed_pos": self.to_base_frame(np.array([INFEED_X, INFEED_Y, INFEED_TOP])),
        }


__all__ = ["PalletizingEnv"]
