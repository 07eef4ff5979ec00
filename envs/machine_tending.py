"""MachineTending-v0: load a CNC-style machine, run its cycle, unload the finished part.

Description
    A humanoid stands at a machining cell (bench top at the robot's workcell height, 0.85 m on
    ``wheeled_humanoid``). To its right an infeed tray holds raw blanks (4 x 4 x 6 cm boxes); in
    front of it a machine enclosure (10 cm tall, so a forearm clears it) holds a nest fixture (a
    plate with four 6 mm walls, the blank's size plus a clearance); the enclosure's roof opening
    (loaded from above, as roof-door machines are by robots) is closed by a sliding door (a
    physical prismatic joint with sliding friction, slid back by pinching its handle bar); a
    cycle-start button (a physical prismatic push button on a spring) stands on a pendant at the
    front left; an outfeed tray with four slots is on the left. One unit of work: take a blank,
    open the door, load the blank in the nest, close the door, press start, wait for the cycle,
    open, unload the machined part and leave it upright in a free outfeed slot, released.
    All grasps are friction grasps (no attach constraints).

    The machine (state in this env): ``idle`` -> ``running`` when the button is pressed (its
    joint pushed in more than ``BUTTON_TRIGGER``) with the door shut and a raw blank seated in
    the nest; ``running`` -> ``done`` after the cycle time, which marks the blank machined (it
    turns steel grey); ``done`` -> ``idle`` once the nest is empty. Opening the door while the
    machine runs trips the interlock: the cycle is aborted (the blank stays raw) and the safety
    monitor records a critical ``zone_intrusion`` (ISO 10218-2), as it does for any robot link
    inside the machine's working space while it runs (``SafetyMonitor.register_interlock``).

Action space
    That of the control mode (``humanoid_bench.sim.controllers``). ``ee_delta_pose`` on
    ``wheeled_humanoid``: base (vx, vy, wz), torso (2), left EE (6), left gripper, right EE (6),
    right gripper; ``env.unwrapped.action_layout`` names the slices.

Observation space
    Robot part as in every task. Task part (base frame, privileged state): ``blank_pos``
    (N x 3), ``blank_quat`` (N x 4), ``blank_machined`` (N), ``blank_delivered`` (N),
    ``nest_pos`` (3, the blank's resting centre in the nest), ``door_handle_pos`` (3, top centre
    of the handle), ``door_opening`` (1, m), ``door_travel`` (1, m, fully open),
    ``button_pos`` (3, top centre of the cap at rest), ``button_depth`` (1, m pushed in),
    ``machine_state`` (3, one-hot idle/running/done), ``cycle_remaining`` (1, s),
    ``outfeed_pos`` (4 x 3), ``outfeed_filled`` (4). ``env.unwrapped.obs_layout`` names slices.

Rewards (``reward_mode="dense"``; each term is in ``info`` as ``reward_<term>``)
    ``reach``   = w * (1 - tanh(5 d)), d = distance of the nearest TCP to the next blank
                  (the one in the machine once machined, else a raw one), while it is not held
    ``grasp``   = w while that blank is held by two fingers
    ``place``   = w * (1 - tanh(5 d)) while held, d = distance to the nest (raw) or to the
                  nearest free outfeed slot (machined)
    ``machine`` = w * (stage / 4), stage: 0 nothing in the nest, 1 raw blank seated, 2 and the
                  door shut, 3 running, 4 done (a machined part waiting)
    ``units``   = w * units_completed;  ``action`` = -w |a|^2.
    reward = sum of the terms. ``reward_mode="sparse"``: +1 for each unit completed this step.

Success
    ``units_completed >= units_target``: that many machined parts each rest upright (tilt under
    15 deg) in an outfeed slot, within 3 cm of its centre, at rest and touched by no robot link.
    Terminates with ``end_reason="success"``.

Failure
    ``part_lost``: blanks that fell off the bench leave fewer than the target. Truncation at
    ``time_budget_s``. ``evaluate()`` also reports ``machine_state``, ``cycles_run``,
    ``cycles_aborted`` (interlock trips) and ``start_refused`` (button pressed with the door open
    or no raw blank seated in the nest).

Randomization (from the seed)
    Each blank's cell on the infeed tray (2 x 2 grid) and a jitter of +-1 cm, yaw within the
    difficulty's range, blank mass and friction, the door's sliding friction (3-8 N) and the
    machine's cycle time within the difficulty's range.

Difficulty
    ======  ======  ===============  =========  ==========  =========  =======  ======
    level   blanks  nest clearance   mass (kg)  friction    cycle (s)  yaw      budget
    ======  ======  ===============  =========  ==========  =========  =======  ======
    easy    1       8 mm             0.2-0.4    0.8-1.0     4-5        22 deg   60 s
    medium  2       6 mm             0.3-0.6    0.7-1.0     5-7        30 deg   100 s
    hard    3       4 mm             0.5-1.0    0.6-0.9     6-8        45 deg   150 s
    ======  ======  ===============  =========  ==========  =========  =======  ======

    The whole cell is within reach of both arms from the start pose: the baseline never drives.

Version history
    v0: first release.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from humanoid_bench.envs.base import FactoryEnv

from humanoid_bench.sim.world import pb

# Layout in the robot's start frame (x forward, y left), heights above the bench top; the robot's
# workcell (robot YAML ``workcell:``) sets the bench height and shifts the layout in xy.
BLANK_HALF = (0.02, 0.02, 0.03)
NEST_XY = (0.40, 0.0)
NEST_PLATE = 0.02  # plate top above the bench
NEST_WALL = 0.006  # nest walls above the plate (the fingertips pass above them)
ENCLOSURE = ((0.30, 0.74), (-0.14, 0.14))  # outer x and y extents
ENCLOSURE_H = 0.10  # roof underside above the bench
APERTURE = ((0.31, 0.47), (-0.10, 0.10))  # roof opening closed by the door
DOOR_HALF = (0.09, 0.13, 0.005)
DOOR_TRAVEL = 0.17  # m, fully open (the door slides back, +x, over the rear roof)
HANDLE_HALF = (0.0075, 0.03, 0.025)  # a bar across the door (along y), pinched along x: the fingers push it
HANDLE_XY = (-0.07, 0.10)  # handle centre from the door centre (towards the tending hand)
BUTTON_XY = (0.41, 0.20)
PENDANT_TOP = 0.10
BUTTON_RADIUS, BUTTON_HALF_H = 0.015, 0.01
BUTTON_TRAVEL = 0.012
BUTTON_TRIGGER = 0.006  # pushed in this far = pressed
BUTTON_SPRING_N = 12.0
INFEED_CELLS = ((0.41, -0.30), (0.49, -0.30), (0.41, -0.39), (0.49, -0.39))
OUTFEED_SLOTS = ((0.41, 0.34), (0.49, 0.34), (0.41, 0.43), (0.49, 0.43))
OUTFEED_TOLERANCE = 0.03
DOOR_SHUT = 0.008  # door opening (m) below which it counts as closed
GUARD_LIMIT = 0.01  # door opening (m) that trips the interlock while running
TRAY_H = 0.01
UPRIGHT_COS = math.cos(math.radians(15.0))
REST_SPEED = 0.05
RAW_RGBA = (0.85, 0.45, 0.1, 1.0)
MACHINED_RGBA = (0.72, 0.75, 0.8, 1.0)
STATES = ("idle", "running", "done")


class MachineTendingEnv(FactoryEnv):
    task_name: ClassVar[str] = "machine_tending"
    MAX_UNITS: ClassVar[int | None] = len(INFEED_CELLS)
    INFO_KEYS: ClassVar[tuple[str, ...]] = ("machine_state", "cycles_run", "cycles_aborted", "start_refused")
    DIFFICULTIES: ClassVar[dict[str, dict[str, Any]]] = {
        "easy": {"units_target": 1, "clearance": 0.008, "mass": (0.2, 0.4), "friction": (0.8, 1.0),
                 "cycle_s": (4.0, 5.0), "yaw": math.radians(22.0), "time_budget_s": 60.0},
        "medium": {"units_target": 2, "clearance": 0.006, "mass": (0.3, 0.6), "friction": (0.7, 1.0),
                   "cycle_s": (5.0, 7.0), "yaw": math.radians(30.0), "time_budget_s": 100.0},
        "hard": {"units_target": 3, "clearance": 0.004, "mass": (0.5, 1.0), "friction": (0.6, 0.9),
                 "cycle_s": (6.0, 8.0), "yaw": math.radians(45.0), "time_budget_s": 150.0},
    }
    CAMERA = ((0.45, 0.0, 0.9), 1.7, 60.0, -40.0)
    REWARD_WEIGHTS: ClassVar[dict[str, float]] = {"reach": 0.2, "grasp": 0.2, "place": 0.4, "machine": 0.4,
                                                  "units": 1.0, "action": 0.01}

    # ------------------------------------------------------------------ scene
    def build_scene(self) -> None:
        n = self.units_target
        self.require_gripper()
        wc = self.robot.spec.workcell
        self._dx, self._dy = float(wc.offset[0]), float(wc.offset[1])
        top = self.top = float(wc.table_top)
        w = self.world
        xy = self._xy
        w.add_box("bench", (0.245, 0.60, top / 2), xy(0.535, 0.0) + (top / 2,), rgba=(0.45, 0.38, 0.3, 1))
        # enclosure: four walls and a roof with an opening, closed by the sliding door
        (x0, x1), (y0, y1) = ENCLOSURE
        t, h = 0.01, ENCLOSURE_H
        grey = (0.3, 0.45, 0.4, 1)
        for name, (cx, cy), half in (
            ("machine_front", ((x0 + t / 2), 0.0), (t / 2, (y1 - y0) / 2, h / 2)),
            ("machine_rear", ((x1 - t / 2), 0.0), (t / 2, (y1 - y0) / 2, h / 2)),
            ("machine_left", ((x0 + x1) / 2, y1 - t / 2), ((x1 - x0) / 2, t / 2, h / 2)),
            ("machine_right", ((x0 + x1) / 2, y0 + t / 2), ((x1 - x0) / 2, t / 2, h / 2)),
        ):
            w.add_box(name, half, xy(cx, cy) + (top + h / 2,), rgba=grey)
        (ax0, ax1), (ay0, ay1) = APERTURE
        roof_z = top + h + t / 2
        self._roof = []
        for name, (lx, hx), (ly, hy) in (
            ("roof_front", (x0, ax0), (y0, y1)), ("roof_rear", (ax1, x1), (y0, y1)),
            ("roof_left", (ax0, ax1), (ay1, y1)), ("roof_right", (ax0, ax1), (y0, ay0)),
        ):
            self._roof.append(w.add_box(name, ((hx - lx) / 2, (hy - ly) / 2, t / 2), xy((lx + hx) / 2, (ly + hy) / 2) + (roof_z,), rgba=grey))
        # the nest: a plate with four low walls; the clearance is the difficulty's tolerance
        nx, ny = NEST_XY
        w.add_box("nest_plate", (0.05, 0.05, NEST_PLATE / 2), xy(nx, ny) + (top + NEST_PLATE / 2,), rgba=(0.25, 0.25, 0.28, 1))
        inner = BLANK_HALF[0] + self.params["clearance"]
        wt = 0.006
        wz = top + NEST_PLATE + NEST_WALL / 2
        for sx, sy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            half = (wt / 2, inner + wt, NEST_WALL / 2) if sx else (inner + wt, wt / 2, NEST_WALL / 2)
            w.add_box("nest_wall", half, xy(nx + sx * (inner + wt / 2), ny + sy * (inner + wt / 2)) + (wz,), rgba=(0.5, 0.5, 0.55, 1))
        # pendant with the start button; infeed and outfeed trays
        bx, by = BUTTON_XY
        self._pendant = w.add_box("pendant", (0.03, 0.03, PENDANT_TOP / 2), xy(bx, by) + (top + PENDANT_TOP / 2,), rgba=(0.9, 0.8, 0.1, 1))
        w.add_box("infeed_tray", (0.085, 0.095, TRAY_H / 2), xy(0.45, -0.345) + (top + TRAY_H / 2,), rgba=(0.25, 0.35, 0.6, 1))
        w.add_box("outfeed_tray", (0.085, 0.095, TRAY_H / 2), xy(0.45, 0.385) + (top + TRAY_H / 2,), rgba=(0.2, 0.2, 0.22, 1))
        for i, (sx, sy) in enumerate(OUTFEED_SLOTS):
            w.add_marker(f"outfeed_{i}", (0.024, 0.024, 0.0005), xy(sx, sy) + (top + TRAY_H + 0.0005,), (0.2, 0.8, 0.3, 1))
        self._mechanism()
        self.blanks = [w.add_box(f"blank_{i}", BLANK_HALF, (2.0 + i, 3.0, BLANK_HALF[2]), mass=0.3, rgba=RAW_RGBA)
                       for i in range(n)]
        self.monitor.register_payloads(self.blanks)
        # letting go of a blank in the nest or on the outfeed tray is not a payload drop
        self.monitor.register_goal_zone(np.array(xy(nx - 0.05, ny - 0.05) + (top,)), np.array(xy(nx + 0.05, ny + 0.05) + (top + 0.2,)))
        self.monitor.register_goal_zone(np.array(xy(0.36, 0.29) + (top,)), np.array(xy(0.54, 0.48) + (top + 0.2,)))
        self.monitor.register_interlock(
            "machine", np.array(xy(x0 + t, y0 + t) + (top + NEST_PLATE + NEST_WALL + 0.005,)),
            np.array(xy(x1 - t, y1 - t) + (top + h,)),
            running=lambda: self.machine_state == "running", guard_opening=self.door_opening, opening_limit=GUARD_LIMIT)
        self.machine_state = "idle"

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return (x + self._dx, y + self._dy)

    def _mechanism(self) -> None:
        """One fixed-base multibody with two prismatic links: the roof door and the start button."""
        c, w, top = self.world.client, self.world, self.top
        door_z = top + ENCLOSURE_H + 0.01 + DOOR_HALF[2] + 0.0005
        hz = DOOR_HALF[2] + HANDLE_HALF[2]
        door_col = c.createCollisionShapeArray([pb.GEOM_BOX] * 2, halfExtents=[DOOR_HALF, HANDLE_HALF],
                                               collisionFramePositions=[(0, 0, 0), HANDLE_XY + (hz,)])
        door_vis = c.createVisualShapeArray([pb.GEOM_BOX] * 2, halfExtents=[DOOR_HALF, HANDLE_HALF],
                                            visualFramePositions=[(0, 0, 0), HANDLE_XY + (hz,)],
                                            rgbaColors=[(0.6, 0.75, 0.85, 0.6), (0.15, 0.15, 0.15, 1)])
        cap_col = c.createCollisionShape(pb.GEOM_CYLINDER, radius=BUTTON_RADIUS, height=2 * BUTTON_HALF_H)
        cap_vis = c.createVisualShape(pb.GEOM_CYLINDER, radius=BUTTON_RADIUS, length=2 * BUTTON_HALF_H, rgbaColor=(0.1, 0.75, 0.2, 1))
        ax = (APERTURE[0][0] + APERTURE[0][1]) / 2
        bx, by = BUTTON_XY
        body = c.createMultiBody(
            0.0, -1, -1, basePosition=(self._dx, self._dy, 0.0),
            linkMasses=[2.0, 0.05], linkCollisionShapeIndices=[door_col, cap_col], linkVisualShapeIndices=[door_vis, cap_vis],
            linkPositions=[(ax, 0.0, door_z), (bx, by, top + PENDANT_TOP + BUTTON_HALF_H + 0.0005)],
            linkOrientations=[(0, 0, 0, 1)] * 2, linkInertialFramePositions=[(0, 0, 0)] * 2,
            linkInertialFrameOrientations=[(0, 0, 0, 1)] * 2, linkParentIndices=[0, 0],
            linkJointTypes=[pb.JOINT_PRISMATIC] * 2, linkJointAxis=[(1, 0, 0), (0, 0, 1)],
        )
        self.DOOR, self.BUTTON = 0, 1
        c.changeDynamics(body, self.DOOR, jointLowerLimit=0.0, jointUpperLimit=DOOR_TRAVEL, lateralFriction=0.9)
        c.changeDynamics(body, self.BUTTON, jointLowerLimit=-BUTTON_TRAVEL, jointUpperLimit=0.0)
        self.mechanism = body
        # the door slides on the roof and the button cap sinks into the pendant: guided, not colliding
        for roof in self._roof:
            c.setCollisionFilterPair(roof, body, -1, self.DOOR, 0)
        c.setCollisionFilterPair(self._pendant, body, -1, self.BUTTON, 0)
        w.fixtures.add(body)
        w.names[body] = "machine"
        self.door_z = door_z

    def initialize_episode(self, rng: np.random.Generator) -> None:
        p = self.params
        c = self.world.client
        cells = rng.permutation(len(INFEED_CELLS))
        for blank, cell in zip(self.blanks, cells):
            cx, cy = self._xy(*INFEED_CELLS[cell])
            x, y = cx + rng.uniform(-0.01, 0.01), cy + rng.uniform(-0.01, 0.01)
            yaw = rng.uniform(-p["yaw"], p["yaw"])
            c.resetBasePositionAndOrientation(blank, (x, y, self.top + TRAY_H + BLANK_HALF[2] + 0.0005), c.getQuaternionFromEuler((0, 0, yaw)))
            c.resetBaseVelocity(blank, (0, 0, 0), (0, 0, 0))
            c.changeDynamics(blank, -1, mass=float(rng.uniform(*p["mass"])), lateralFriction=float(rng.uniform(*p["friction"])))
            c.changeVisualShape(blank, -1, rgbaColor=RAW_RGBA)
        # joint motors are not part of the saved state: set them every episode
        c.resetJointState(self.mechanism, self.DOOR, 0.0, 0.0)
        c.resetJointState(self.mechanism, self.BUTTON, 0.0, 0.0)
        c.setJointMotorControl2(self.mechanism, self.DOOR, pb.VELOCITY_CONTROL, targetVelocity=0.0,
                                force=float(rng.uniform(3.0, 8.0)))  # sliding friction of the door
        c.setJointMotorControl2(self.mechanism, self.BUTTON, pb.POSITION_CONTROL, targetPosition=0.0,
                                force=BUTTON_SPRING_N, positionGain=0.3, velocityGain=1.0)  # the spring
        self.cycle_s = float(rng.uniform(*p["cycle_s"]))
        self.machine_state = "idle"
        self.machined = [False] * len(self.blanks)
        self._cycle_end = 0.0
        self._button_was_down = False
        self._clock = -1.0
        self.cycles_aborted = 0
        self.start_refused = 0
        self.cycles_run = 0

    # ------------------------------------------------------------------ machine
    def door_opening(self) -> float:
        return float(self.world.client.getJointState(self.mechanism, self.DOOR)[0])

    def button_depth(self) -> float:
        return float(-self.world.client.getJointState(self.mechanism, self.BUTTON)[0])

    def _in_nest(self) -> int | None:
        """The blank seated in the nest (at rest, upright, released), if any."""
        nx, ny = self._xy(*NEST_XY)
        tol = self.params["clearance"] + 0.002
        _, placed = self.fill_slots(self.blanks, [(nx, ny)], self.top + NEST_PLATE + BLANK_HALF[2], tol, 0.006,
                                    UPRIGHT_COS, REST_SPEED)
        return next((i for i, p in enumerate(placed) if p), None)

    def _near_nest(self) -> int | None:
        """A blank anywhere inside the nest walls (held or not)."""
        nx, ny = self._xy(*NEST_XY)
        for i, (pos, _, _) in enumerate(self.body_states(self.blanks)):
            if abs(pos[0] - nx) < 0.04 and abs(pos[1] - ny) < 0.04 and pos[2] < self.top + NEST_PLATE + 0.06:
                return i
        return None

    def _update_machine(self) -> None:
        """The machine's state machine, advanced once per simulated instant (evaluate may be called more often)."""
        now = self.world.sim_time
        if now == self._clock:
            return
        self._clock = now
        door = self.door_opening()
        down = self.button_depth() > BUTTON_TRIGGER
        pressed = down and not self._button_was_down
        self._button_was_down = down
        if self.machine_state == "running":
            if door > GUARD_LIMIT:  # the interlock stops the machine; the monitor records the event
                self.machine_state = "idle"
                self.cycles_aborted += 1
            elif now >= self._cycle_end:
                i = self._near_nest()
                if i is not None:
                    self.machined[i] = True
                    self.world.client.changeVisualShape(self.blanks[i], -1, rgbaColor=MACHINED_RGBA)
                self.machine_state = "done"
        elif self.machine_state == "done" and self._near_nest() is None:
            self.machine_state = "idle"
        if pressed and self.machine_state == "idle":
            i = self._in_nest()
            if door < DOOR_SHUT and i is not None and not self.machined[i]:
                self.machine_state = "running"
                self._cycle_end = now + self.cycle_s
                self.cycles_run += 1
            else:
                self.start_refused += 1

    # ------------------------------------------------------------------ evaluation
    def evaluate(self) -> dict[str, Any]:
        self._update_machine()
        states = self.body_states(self.blanks)
        self._states = states
        slots = [self._xy(*s) for s in OUTFEED_SLOTS]
        filled, placed = self.fill_slots(self.blanks, slots, self.top + TRAY_H + BLANK_HALF[2], OUTFEED_TOLERANCE, 0.01,
                                         UPRIGHT_COS, REST_SPEED)
        delivered = [bool(p and m) for p, m in zip(placed, self.machined)]
        self._filled, self._delivered = filled, delivered
        units = int(sum(delivered))
        lost = sum(1 for pos, _, _ in states if pos[2] < self.top - 0.1)
        fail = len(self.blanks) - lost < self.units_target
        return {
            "success": units >= self.units_target, "units_completed": units, "progress": units / self.units_target,
            "fail": bool(fail), "fail_reason": "part_lost" if fail else None,
            "machine_state": self.machine_state, "cycles_run": self.cycles_run,
            "cycles_aborted": self.cycles_aborted, "start_refused": self.start_refused,
        }

    def _stage(self) -> int:
        if self.machine_state == "running":
            return 3
        if self.machine_state == "done":
            return 4
        i = self._in_nest()
        if i is None or self.machined[i]:
            return 0
        return 2 if self.door_opening() < DOOR_SHUT else 1

    def next_blank(self) -> int | None:
        """The blank to work on: a machined one not yet delivered, else a raw one still on the bench."""
        alive = [i for i, (pos, _, _) in enumerate(self._states) if pos[2] > self.top - 0.1 and not self._delivered[i]]
        done = [i for i in alive if self.machined[i]]
        raw = [i for i in alive if not self.machined[i]]
        return (done or raw or [None])[0]

    def dense_reward(self, evaluation: dict[str, Any], action: np.ndarray) -> dict[str, float]:
        w = self.REWARD_WEIGHTS
        i = self.next_blank()
        if i is not None and self.machined[i]:
            goals = [np.array(self._xy(*s) + (self.top + TRAY_H + BLANK_HALF[2],))
                     for s, f in zip(OUTFEED_SLOTS, self._filled) if not f]
        else:
            goals = [np.array(self._xy(*NEST_XY) + (self.top + NEST_PLATE + BLANK_HALF[2],))]
        terms = self.pick_place_terms(None if i is None else self._states[i][0],
                                      i is not None and self.held_by(self.blanks[i]) is not None, goals)
        terms["machine"] = w["machine"] * self._stage() / 4.0
        return terms

    # ------------------------------------------------------------------ observation
    def handle_pos(self) -> np.ndarray:
        ax = (APERTURE[0][0] + APERTURE[0][1]) / 2
        x, y = self._xy(ax + HANDLE_XY[0] + self.door_opening(), HANDLE_XY[1])
        return np.array([x, y, self.door_z + DOOR_HALF[2] + 2 * HANDLE_HALF[2]])

    def task_observation(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "_states"):
            self.evaluate()
        states = self.body_states(self.blanks)
        remaining = max(self._cycle_end - self.world.sim_time, 0.0) if self.machine_state == "running" else 0.0
        return {
            "blank_pos": self.to_base_frame(np.array([p for p, _, _ in states])),
            "blank_quat": self.quats_to_base_frame([q for _, q, _ in states]),
            "blank_machined": np.array(self.machined, dtype=float),
            "blank_delivered": np.array(self._delivered, dtype=float),
            "nest_pos": self.to_base_frame(np.array(self._xy(*NEST_XY) + (self.top + NEST_PLATE + BLANK_HALF[2],))),
            "door_handle_pos": self.to_base_frame(self.handle_pos()),
            "door_opening": np.array([self.door_opening()]),
            "door_travel": np.array([DOOR_TRAVEL]),
            "button_pos": self.to_base_frame(np.array(self._xy(*BUTTON_XY) + (self.top + PENDANT_TOP + 2 * BUTTON_HALF_H,))),
            "button_depth": np.array([self.button_depth()]),
            "machine_state": np.array([float(self.machine_state == s) for s in STATES]),
            "cycle_remaining": np.array([remaining]),
            "outfeed_pos": self.to_base_frame(np.array([self._xy(*s) + (self.top + TRAY_H,) for s in OUTFEED_SLOTS])),
            "outfeed_filled": np.array(self._filled, dtype=float),
        }
