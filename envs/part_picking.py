"""PartPicking-v0: kitting at a workbench.

Description
    A humanoid stands at a workbench (top at 0.86 m). Parts (boxes 4 x 4 x 6 cm) stand on a
    supply tray to its right; a kitting tray in front of it has four slots (2 x 2, 9-10 cm
    apart). One unit of work is one part picked by a physical friction grasp (no attach
    constraints, no teleporting) and left standing upright in a free slot, within the tolerance
    of the slot's centre, at rest and released. An episode is a shift segment: fill the tray
    (``units_target`` parts) within the time budget.

Action space
    That of the control mode (``humanoid_bench.sim.controllers``). ``ee_delta_pose`` on
    ``wheeled_humanoid``: 19 numbers in [-1, 1]: base (vx, vy, wz), torso (lift, pitch), left EE
    (dx, dy, dz, rx, ry, rz), left gripper, right EE, right gripper. ``env.unwrapped.action_layout`` names the slices.

Observation space
    ``state``: a flat float32 vector; ``dict``: the same pieces by name. Robot part: joint
    positions and velocities, base pose, EE poses and commanded targets (base frame), the torso's
    commanded joint positions (``torso_target``), gripper closures. Task part (base frame, privileged state): ``part_pos`` (N x 3), ``part_quat``
    (N x 4), ``part_placed`` (N), ``slot_pos`` (4 x 3), ``slot_filled`` (4).
    ``env.unwrapped.obs_layout`` names the slices of the flat vector.

Rewards (``reward_mode="dense"``; each term is in ``info`` as ``reward_<term>``)
    ``reach``   = w_reach * (1 - tanh(5 d_tcp_part)) for the next part while it is not held
    ``grasp``   = w_grasp while the next part is held by two fingers
    ``place``   = w_place * (1 - tanh(5 d_part_slot)) while it is held
    ``units``   = w_units * units_completed
    ``action``  = -w_action * |a|^2
    reward = sum of the terms. ``reward_mode="sparse"``: +1 for each unit completed this step.

Success
    ``units_completed >= units_target``: that many slots each hold a part within ``tolerance``
    (xy) of the slot centre, tilted at most 15 degrees, at rest on the tray and touched by no
    robot link. The episode then terminates (``end_reason="success"``).

Failure
    ``part_lost``: parts fell off the bench so that the target can no longer be reached.
    Truncation at ``time_budget_s`` (``end_reason="timeout"``).

Randomization (from the seed)
    Each part's cell on the supply tray (2 x 2 grid), a jitter of +-1.5 cm (easy +-1 cm,
    hard +-2 cm), yaw, mass and friction within the difficulty's ranges.

Difficulty
    ===========  =====  =========  =========  ==========  ======
    level        parts  tolerance  mass (kg)  friction    budget
    ===========  =====  =========  =========  ==========  ======
    easy         2      3.0 cm     0.1-0.3    0.8-1.0     60 s
    medium       4      2.0 cm     0.1-0.5    0.6-1.0     60 s
    hard         4      1.5 cm     0.3-1.0    0.45-0.8    45 s
    ===========  =====  =========  =========  ==========  ======

Version history
    v0: first release.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from humanoid_bench.envs.base import FactoryEnv

TABLE_TOP = 0.85
TRAY_TOP = TABLE_TOP + 0.01
PART_HALF = (0.02, 0.02, 0.03)
SUPPLY_CELLS = ((0.38, -0.415), (0.455, -0.415), (0.38, -0.335), (0.455, -0.335))
SLOTS = ((0.365, -0.24), (0.455, -0.24), (0.365, -0.145), (0.455, -0.145))
UPRIGHT_COS = math.cos(math.radians(15.0))
REST_SPEED = 0.05  # m/s


class PartPickingEnv(FactoryEnv):
    task_name: ClassVar[str] = "part_picking"
    MAX_UNITS: ClassVar[int | None] = len(SUPPLY_CELLS)
    DIFFICULTIES: ClassVar[dict[str, dict[str, Any]]] = {
        "easy": {"units_target": 2, "tolerance": 0.03, "mass": (0.1, 0.3), "friction": (0.8, 1.0),
                 "jitter": 0.01, "yaw": math.pi / 8, "time_budget_s": 60.0},
        "medium": {"units_target": 4, "tolerance": 0.02, "mass": (0.1, 0.5), "friction": (0.6, 1.0),
                   "jitter": 0.015, "yaw": math.pi / 4, "time_budget_s": 60.0},
        "hard": {"units_target": 4, "tolerance": 0.015, "mass": (0.3, 1.0), "friction": (0.45, 0.8),
                 "jitter": 0.02, "yaw": math.pi / 4, "time_budget_s": 45.0},
    }
    CAMERA = ((0.4, -0.25, 0.85), 1.6, 60.0, -35.0)
    REWARD_WEIGHTS: ClassVar[dict[str, float]] = {"reach": 0.25, "grasp": 0.25, "place": 0.5, "units": 1.0, "action": 0.01}

    # ------------------------------------------------------------------ scene
    def build_scene(self) -> None:
        n = self.units_target
        w = self.world
        # The robot's workcell (robot YAML ``workcell:``) sets the bench height and shifts the layout.
        wc = self.robot.spec.workcell
        dx, dy = wc.offset
        self.table_top, self.tray_top = wc.table_top, wc.table_top + (TRAY_TOP - TABLE_TOP)
        self.supply_cells = tuple((x + dx, y + dy) for x, y in SUPPLY_CELLS)
        self.slots = tuple((x + dx, y + dy) for x, y in SLOTS)
        top = self.table_top
        w.add_box("workbench", (0.30, 0.60, top / 2), (0.60 + dx, dy, top / 2), rgba=(0.45, 0.38, 0.3, 1))
        w.add_box("supply_tray", (0.085, 0.095, 0.005), (0.43 + dx, -0.375 + dy, top + 0.005), rgba=(0.25, 0.35, 0.6, 1))
        w.add_box("kitting_tray", (0.08, 0.085, 0.005), (0.41 + dx, -0.19 + dy, top + 0.005), rgba=(0.2, 0.2, 0.22, 1))
        for i, (x, y) in enumerate(self.slots):
            w.add_marker(f"slot_{i}", (0.024, 0.024, 0.0005), (x, y, self.tray_top + 0.0005), (0.2, 0.8, 0.3, 1))
        self.parts = [
            w.add_box(f"part_{i}", PART_HALF, (2.0 + i, 2.0, PART_HALF[2]), mass=0.2, rgba=(0.85, 0.15, 0.1, 1))
            for i in range(n)
        ]
        self.monitor.register_payloads(self.parts)
        self.monitor.register_goal_zone(np.array([0.32 + dx, -0.28 + dy, self.tray_top - 0.01]),
                                        np.array([0.50 + dx, -0.10 + dy, self.tray_top + 0.25]))

    def initialize_episode(self, rng: np.random.Generator) -> None:
        p = self.params
        cells = rng.permutation(len(self.supply_cells))
        c = self.world.client
        for part, cell in zip(self.parts, cells):
            cx, cy = self.supply_cells[cell]
            x, y = cx + rng.uniform(-p["jitter"], p["jitter"]), cy + rng.uniform(-p["jitter"], p["jitter"])
            yaw = rng.uniform(-p["yaw"], p["yaw"])
            c.resetBasePositionAndOrientation(part, (x, y, self.tray_top + PART_HALF[2] + 0.0005), c.getQuaternionFromEuler((0, 0, yaw)))
            c.resetBaseVelocity(part, (0, 0, 0), (0, 0, 0))
            c.changeDynamics(part, -1, mass=float(rng.uniform(*p["mass"])), lateralFriction=float(rng.uniform(*p["friction"])))

    # ------------------------------------------------------------------ evaluation
    def _part_states(self) -> list[tuple[np.ndarray, np.ndarray, float]]:
        return self.body_states(self.parts)

    def evaluate(self) -> dict[str, Any]:
        tol = self.params["tolerance"]
        states = self._part_states()
        self._states = states
        filled, placed = self.fill_slots(self.parts, list(self.slots), self.tray_top + PART_HALF[2], tol, 0.01,
                                         UPRIGHT_COS, REST_SPEED)
        self._filled, self._placed = filled, placed
        units = int(sum(filled))
        lost = sum(1 for pos, _, _ in states if pos[2] < self.table_top - 0.1)
        fail = len(self.parts) - lost < self.units_target
        return {
            "success": units >= self.units_target,
            "units_completed": units,
            "progress": units / self.units_target,
            "fail": bool(fail),
            "fail_reason": "part_lost" if fail else None,
        }

    def next_part(self) -> int | None:
        for i, placed in enumerate(self._placed):
            if not placed and self._states[i][0][2] > self.table_top - 0.1:
                return i
        return None

    def dense_reward(self, evaluation: dict[str, Any], action: np.ndarray) -> dict[str, float]:
        i = self.next_part()
        free = [np.array([x, y, self.tray_top + PART_HALF[2]]) for s, (x, y) in enumerate(self.slots) if not self._filled[s]]
        terms = self.pick_place_terms(None if i is None else self._states[i][0],
                                      i is not None and self.held_by(self.parts[i]) is not None, free)
        return terms

    # ------------------------------------------------------------------ observation
    def task_observation(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "_states"):
            self.evaluate()
        states = self._part_states()
        slots = self.to_base_frame(np.array([(x, y, self.tray_top) for x, y in self.slots]))
        return {
            "part_pos": self.to_base_frame(np.array([p for p, _, _ in states])),
            "part_quat": self.quats_to_base_frame([q for _, q, _ in states]),
            "part_placed": np.array(self._placed, dtype=float),
            "slot_pos": slots,
            "slot_filled": np.array(self._filled, dtype=float),
        }
