"""Carrying-v0: totes from a pick-up rack to a drop-off rack, through an aisle with a turn.

Description
    Totes (open plastic containers, 44 x 30 x 15 cm, several kg) stand on a pick-up rack in front
    of the robot. The drop-off rack is around a corner: the robot backs out, turns, drives up an
    aisle between a wall and a pillar and places the tote on the drop-off rack. One unit of work
    is one tote resting upright on the drop-off rack within ``tolerance`` of a free drop slot,
    released. The tote is carried with both arms, each gripper pinching one end wall by friction
    (no attach constraints). An episode is a shift segment: ``units_target`` totes in the budget.

Action space
    That of the control mode; ``ee_delta_pose`` on ``wheeled_humanoid``: base (vx, vy, wz), torso
    (2), left EE (6), left gripper, right EE (6), right gripper. ``env.unwrapped.action_layout``.

Observation space
    Robot part as in every task. Task part: ``tote_pos`` (N x 3, base frame), ``tote_quat``
    (N x 4, base frame), ``tote_delivered`` (N), ``drop_pos`` (M x 3, base frame),
    ``drop_filled`` (M), ``route`` (K x 2, the aisle's waypoints in the world frame, i.e. the
    robot's start frame), ``pickup_x`` (1, world x of the pick-up rack's front edge).

Rewards (``reward_<term>`` in ``info``)
    ``reach`` = w * (1 - tanh(3 d)), d = mean distance of the two TCPs to the next tote's end walls,
    while it is not held; ``grasp`` = w while both grippers pinch it; ``carry`` =
    w * (1 - tanh(d_slot / 2)) while held; ``units`` = w * delivered totes; ``action`` = -w |a|^2.
    Sparse: +1 per unit completed.

Success
    ``units_target`` totes delivered (each on its own drop slot, tilt under 10 deg, at rest,
    touched by no robot link); terminates with ``end_reason="success"``.

Failure
    ``tote_lost``: totes on the floor leave fewer than the target. Truncation at the budget.

Randomization (from the seed)
    Tote positions on the pick-up rack (+-2 cm along x, +-3 cm along y), yaw (+-4 deg), mass and
    friction within the difficulty's ranges.

Difficulty
    ======  =====  =========  =========  ======
    level   totes  mass (kg)  tolerance  budget
    ======  =====  =========  =========  ======
    easy    1      2-3        8 cm       60 s
    medium  2      3-5        5 cm       90 s
    hard    3      4-7        4 cm       120 s
    ======  =====  =========  =========  ======

Version history
    v0: first release.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from humanoid_bench.envs.base import FactoryEnv

from humanoid_bench.errors import ConfigError
from humanoid_bench.sim.world import pb

RACK_TOP = 0.80
TOTE_HALF = (0.15, 0.22, 0.075)  # x (width), y (length, between the end walls), z (height)
WALL = 0.012
PICKUP_X = 0.78  # centre of the pick-up rack (its front edge at 0.56)
PICKUP_Y = (-0.6, 0.0, 0.6)
DROP_Y = 2.3  # centre line of the drop-off rack (long axis along x)
DROP_X = (-1.6, -1.0, -0.4)
ROUTE = ((-0.25, 0.0), (-0.25, 1.85))  # aisle centre line; the robot faces +y from the turn on
UPRIGHT_COS = math.cos(math.radians(10.0))
REST_SPEED = 0.05


class CarryingEnv(FactoryEnv):
    task_name: ClassVar[str] = "carrying"
    MAX_UNITS: ClassVar[int | None] = len(PICKUP_Y)  # drop-off rack slots
    DIFFICULTIES: ClassVar[dict[str, dict[str, Any]]] = {
        "easy": {"units_target": 1, "mass": (2.0, 3.0), "friction": (0.8, 1.0), "tolerance": 0.08, "time_budget_s": 60.0},
        "medium": {"units_target": 2, "mass": (3.0, 5.0), "friction": (0.7, 1.0), "tolerance": 0.05, "time_budget_s": 90.0},
        "hard": {"units_target": 3, "mass": (4.0, 7.0), "friction": (0.6, 0.9), "tolerance": 0.04, "time_budget_s": 120.0},
    }
    CAMERA = ((-0.4, 1.1, 0.6), 4.2, 30.0, -50.0)
    REWARD_WEIGHTS: ClassVar[dict[str, float]] = {"reach": 0.25, "grasp": 0.25, "carry": 0.5, "units": 1.0, "action": 0.01}

    # ------------------------------------------------------------------ scene
    def build_scene(self) -> None:
        n = self.units_target
        self.require_mobile_base("totes are carried around a corner")
        if len(self.robot.spec.end_effectors) < 2:
            raise ConfigError(f"carrying needs a robot with two end effectors; {self.robot.spec.name!r} has "
                              f"{len(self.robot.spec.end_effectors)}")
        w = self.world
        self._rack("pickup_rack", (PICKUP_X, 0.0), (0.22, 0.95), inset=(0.03, 0.03))
        self._rack("dropoff_rack", (-1.0, DROP_Y), (0.95, 0.22), inset=(0.03, 0.08))
        w.add_box("aisle_wall", (0.05, 0.4, 0.6), (0.45, 1.5, 0.6), rgba=(0.6, 0.6, 0.62, 1))
        w.add_box("pillar", (0.15, 0.15, 1.2), (-0.95, 1.0, 1.2), rgba=(0.75, 0.72, 0.2, 1))
        w.add_box("pallet_stack", (0.4, 0.4, 0.35), (1.3, 2.6, 0.35), rgba=(0.55, 0.4, 0.25, 1))
        for i, x in enumerate(DROP_X):
            w.add_marker(f"drop_{i}", (0.15, 0.22, 0.0005), (x, DROP_Y, RACK_TOP + 0.0005), (0.2, 0.8, 0.3, 1))
        self.totes = [self._tote(f"tote_{i}", (3.0 + i, -3.0, 0.2)) for i in range(n)]
        self.monitor.register_payloads(self.totes)
        self.monitor.register_goal_zone(np.array([-1.95, DROP_Y - 0.3, RACK_TOP - 0.02]), np.array([-0.05, DROP_Y + 0.3, RACK_TOP + 0.4]))

    def _rack(self, name: str, centre: tuple[float, float], half: tuple[float, float],
              inset: tuple[float, float]) -> None:
        """A rack: a top slab on four legs (a robot base can roll under the slab's edge)."""
        w = self.world
        x, y = centre
        w.add_box(name, (half[0], half[1], 0.02), (x, y, RACK_TOP - 0.02), rgba=(0.35, 0.45, 0.6, 1))
        leg_h = (RACK_TOP - 0.04) / 2
        for sx in (-1, 1):
            for sy in (-1, 1):
                w.add_box(f"{name}_leg", (0.025, 0.025, leg_h), (x + sx * (half[0] - inset[0]), y + sy * (half[1] - inset[1]), leg_h),
                          rgba=(0.3, 0.3, 0.32, 1))

    def _tote(self, name: str, position: tuple[float, float, float]) -> int:
        hx, hy, hz = TOTE_HALF
        t = WALL / 2
        halves = [(hx, hy, t), (t, hy, hz), (t, hy, hz), (hx, t, hz), (hx, t, hz)]
        centres = [(0, 0, -hz + t), (hx - t, 0, 0), (-hx + t, 0, 0), (0, hy - t, 0), (0, -hy + t, 0)]
        c = self.world.client
        col = c.createCollisionShapeArray([pb.GEOM_BOX] * 5, halfExtents=halves, collisionFramePositions=centres)
        vis = c.createVisualShapeArray([pb.GEOM_BOX] * 5, halfExtents=halves, visualFramePositions=centres,
                                       rgbaColors=[(0.15, 0.4, 0.75, 1)] * 5)
        return self.world.add_body(name, col, vis, position, mass=4.0)

    def initialize_episode(self, rng: np.random.Generator) -> None:
        p = self.params
        c = self.world.client
        slots = rng.permutation(len(PICKUP_Y))[: len(self.totes)] if len(self.totes) < len(PICKUP_Y) else np.arange(len(PICKUP_Y))
        for tote, slot in zip(self.totes, sorted(slots)):
            x = PICKUP_X + rng.uniform(-0.02, 0.02)
            y = PICKUP_Y[slot] + rng.uniform(-0.03, 0.03)
            yaw = rng.uniform(-0.07, 0.07)
            c.resetBasePositionAndOrientation(tote, (x, y, RACK_TOP + TOTE_HALF[2] + 0.001), c.getQuaternionFromEuler((0, 0, yaw)))
            c.resetBaseVelocity(tote, (0, 0, 0), (0, 0, 0))
            c.changeDynamics(tote, -1, mass=float(rng.uniform(*p["mass"])), lateralFriction=float(rng.uniform(*p["friction"])))

    # ------------------------------------------------------------------ evaluation
    def _tote_states(self) -> list[tuple[np.ndarray, np.ndarray, float]]:
        return self.body_states(self.totes)

    def evaluate(self) -> dict[str, Any]:
        tol = self.params["tolerance"]
        states = self._tote_states()
        filled, delivered = self.fill_slots(self.totes, [(x, DROP_Y) for x in DROP_X], RACK_TOP + TOTE_HALF[2], tol,
                                            0.015, UPRIGHT_COS, REST_SPEED)
        self._filled, self._delivered = filled, delivered
        units = int(sum(delivered))
        lost = sum(1 for pos, _, _ in states if pos[2] < RACK_TOP - 0.2)
        fail = len(self.totes) - lost < self.units_target
        return {"success": units >= self.units_target, "units_completed": units,
                "progress": units / self.units_target, "fail": bool(fail), "fail_reason": "tote_lost" if fail else None}

    def dense_reward(self, evaluation: dict[str, Any], action: np.ndarray) -> dict[str, float]:
        w = self.REWARD_WEIGHTS
        terms = {"reach": 0.0, "grasp": 0.0, "carry": 0.0}
        states = self._tote_states()
        todo = [i for i in range(len(self.totes)) if not self._delivered[i] and states[i][0][2] > RACK_TOP - 0.2]
        if todo:
            i = todo[0]
            pos, quat, _ = states[i]
            if len(self.holding_grippers(self.totes[i])) >= 2:
                free = [np.array([x, DROP_Y]) for s, x in enumerate(DROP_X) if not self._filled[s]]
                d = min((float(np.linalg.norm(pos[:2] - f)) for f in free), default=0.0)
                terms["grasp"] = w["grasp"]
                terms["carry"] = w["carry"] * (1.0 - math.tanh(d / 2.0))
            else:
                walls = self.end_walls(pos, quat)
                d = float(np.mean([min(np.linalg.norm(self.robot.ee_pose(ee)[0] - p) for ee in self.controller.ees) for p in walls]))
                terms["reach"] = w["reach"] * (1.0 - math.tanh(3.0 * d))
        return terms

    @staticmethod
    def end_walls(pos: np.ndarray, quat: np.ndarray) -> list[np.ndarray]:
        """World centres of the tops of the two end walls (the grasp points)."""
        rot = np.array(pb.getMatrixFromQuaternion(quat)).reshape(3, 3)
        return [pos + rot @ np.array([0.0, s * (TOTE_HALF[1] - WALL / 2), TOTE_HALF[2]]) for s in (1.0, -1.0)]

    # ------------------------------------------------------------------ observation
    def task_observation(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "_delivered"):
            self.evaluate()
        states = self._tote_states()
        return {
            "tote_pos": self.to_base_frame(np.array([p for p, _, _ in states])),
            "tote_quat": self.quats_to_base_frame([q for _, q, _ in states]),
            "tote_delivered": np.array(self._delivered, dtype=float),
            "drop_pos": self.to_base_frame(np.array([(x, DROP_Y, RACK_TOP) for x in DROP_X])),
            "drop_filled": np.array(self._filled, dtype=float),
            "route": np.array(ROUTE, dtype=float),
            "pickup_x": np.array([PICKUP_X - 0.22]),
        }
