"""ConveyorSorting-v0: sort mixed parts off a moving belt into one tray per part type.

Description
    A belt conveyor runs across the front of a humanoid from its left to its right (belt top
    5 cm above the robot's workcell bench height, 0.90 m on ``wheeled_humanoid``); three sorting
    trays sit on a shelf between the robot and the belt, one per part type. Parts of three types
    arrive at the upstream end of the belt at seeded, irregular times and ride it downstream;
    a part that reaches the downstream end unsorted falls into a reject tub (``missed``). One
    unit of work is one part picked off the belt by a physical friction grasp (no attach
    constraints) and released so that it comes to rest in the tray of its own type, touched by
    no robot link. A part that comes to rest in another tray is ``missorted``. Throughput is
    bounded by the arrival rate, so the fraction of the episode's parts sorted correctly is
    reported as well (``sorted_fraction``). The robot does not need to drive: the pick window
    (about y = -0.35 .. -0.05 m on the belt) and all trays are in reach of its right arm.

    Part types (one-hot ``part_type`` in the observation)
        0: red box 4 x 4 x 5 cm; 1: blue cylinder, 4 cm diameter, 5 cm tall; 2: green bar
        3 x 6 x 4 cm, its long side along the belt. Tray i takes type i.

    The belt is a static, frictionless slab; each physics substep, every part that rests on it
    and touches no robot link gets the belt's velocity (see ``task_substep`` for why). A part
    the robot touches is no longer driven: it keeps its momentum and slides freely, so grasping
    stays a matter of finger friction and the belt never pulls a part out of the fingers.

Action space
    That of the control mode; ``ee_delta_pose`` on ``wheeled_humanoid``: base (vx, vy, wz), torso
    (2), left EE (6), left gripper, right EE (6), right gripper. ``env.unwrapped.action_layout``.

Observation space
    Robot part as in every task. Task part (base frame, privileged state), N = ``units_target``
    parts in arrival order: ``part_pos`` (N x 3), ``part_quat`` (N x 4), ``part_type`` (N x 3,
    one-hot), ``part_arrived`` (N, on the belt or later), ``part_sorted`` (N, at rest in its own
    tray), ``part_resolved`` (N, sorted, missorted or missed: nothing more to do), ``bin_pos``
    (3 x 3, centre of each tray's floor), ``belt_velocity`` (3), ``belt_ends`` (2 x 3, the
    entry and the end of the belt's centre line on its top surface).
    Parts that have not arrived yet are parked off the cell; their positions mean nothing.

Rewards (``reward_<term>`` in ``info``)
    ``reach``  = w * (1 - tanh(5 d)), d = TCP distance to the most downstream unresolved part on
    the belt, while no part is held; ``grasp`` = w while a part is held by two fingers;
    ``place`` = w * (1 - tanh(5 d_bin)) for the held part and its own tray; ``units`` = w *
    sorted parts; ``errors`` = -w * (missed + missorted parts); ``action`` = -w |a|^2.
    Sparse: +1 per unit completed.

Success
    Every part of the episode is resolved (sorted, missorted or missed) and at least
    ``required_fraction`` of them are sorted into their own tray (easy 100 %, medium 90 %, hard
    80 %, rounded up to whole parts); terminates with ``end_reason="success"``.

Failure
    ``missed`` or ``missorted`` (whichever is more frequent; ``missed`` on ties): so many parts
    were missed (reject tub, floor) or missorted that the required fraction can no longer be
    reached; terminates. Truncation at ``time_budget_s``. ``evaluate()`` and ``info`` carry
    ``missed``, ``missorted`` and ``sorted_fraction`` (correctly sorted / N).

Randomization (from the seed)
    The type sequence (a shuffled, balanced mix: type counts differ by at most one), arrival
    times (first in 0.2-1.0 s, gaps ``arrival_period_s`` x U(1 - j, 1 + j), never closer than
    0.1 m of belt), lateral offset on the belt, yaw, mass and friction of every part.

Difficulty
    ======  =====  ======  ======  =======  =======  =========  =========  ========  ======
    level   parts  period  jitter  belt     lateral  yaw        mass (kg)  required  budget
    ======  =====  ======  ======  =======  =======  =========  =========  ========  ======
    easy    4      7.0 s   30 %    0.08m/s  1.0 cm   5 deg      0.05-0.15  100 %     60 s
    medium  10     5.5 s   40 %    0.10m/s  1.5 cm   15 deg     0.05-0.30  90 %      90 s
    hard    12     4.5 s   50 %    0.12m/s  2.0 cm   25 deg     0.10-0.50  80 %      90 s
    ======  =====  ======  ======  =======  =======  =========  =========  ========  ======
    Friction: easy 0.8-1.0, medium 0.6-1.0, hard 0.45-0.8. ``arrival_period_s`` and
    ``belt_speed_mps`` override the level's period and belt speed; ``units_target`` (at most
    12: four parts per tray) the number of parts.

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

N_TYPES = 3
MAX_PARTS = 12  # four per tray
BELT_RISE = 0.05  # belt top above the workcell's bench height (the arm's comfortable pick height)
BELT_X, BELT_HALF_WIDTH = 0.44, 0.06
BELT_ENTRY_Y, BELT_END_Y = 0.55, -0.55  # parts ride toward -y
TRAY_X, TRAY_Y = 0.275, (0.03, -0.15, -0.33)
TRAY_INNER = (0.075, 0.08)  # half extents of a tray's floor (x, y): 2 x 2 parts
TRAY_DROP, TRAY_RIM = 0.03, 0.025  # tray floor below the belt top; wall height above the floor
WALL = 0.005  # half thickness of tray and tub walls
CHUTE_SLOPE, CHUTE_LEN = math.radians(30), 0.22  # reject chute from the belt's end down to the tub
CHUTE_FRICTION = 0.3  # parts slide down it slowly enough to land in the tub under 1 m/s
TUB_LEN, TUB_RIM = 0.2, 0.03
PARK = (12.0, 12.0)  # parts wait off the cell until they arrive
REST_SPEED = 0.05  # m/s
PART_SHAPES: tuple[dict[str, Any], ...] = (
    {"name": "box", "geom": "box", "half": (0.02, 0.02, 0.025), "rgba": (0.85, 0.15, 0.1, 1)},
    {"name": "cylinder", "geom": "cylinder", "radius": 0.02, "height": 0.05, "rgba": (0.15, 0.35, 0.85, 1)},
    {"name": "bar", "geom": "box", "half": (0.015, 0.03, 0.02), "rgba": (0.15, 0.7, 0.25, 1)},
)


def part_half_height(kind: int) -> float:
    s = PART_SHAPES[kind]
    return s["half"][2] if s["geom"] == "box" else s["height"] / 2


class ConveyorSortingEnv(FactoryEnv):
    task_name: ClassVar[str] = "conveyor_sorting"
    MAX_UNITS: ClassVar[int | None] = MAX_PARTS  # four per tray
    INFO_KEYS: ClassVar[tuple[str, ...]] = ("sorted_fraction", "missed", "missorted")
    DIFFICULTIES: ClassVar[dict[str, dict[str, Any]]] = {
        "easy": {"units_target": 4, "arrival_period_s": 7.0, "arrival_jitter": 0.3, "belt_speed_mps": 0.08,
                 "lateral": 0.01, "yaw": math.radians(5), "mass": (0.05, 0.15), "friction": (0.8, 1.0),
                 "required_fraction": 1.0, "time_budget_s": 60.0},
        "medium": {"units_target": 10, "arrival_period_s": 5.5, "arrival_jitter": 0.4, "belt_speed_mps": 0.10,
                   "lateral": 0.015, "yaw": math.radians(15), "mass": (0.05, 0.3), "friction": (0.6, 1.0),
                   "required_fraction": 0.9, "time_budget_s": 90.0},
        "hard": {"units_target": 12, "arrival_period_s": 4.5, "arrival_jitter": 0.5, "belt_speed_mps": 0.12,
                 "lateral": 0.02, "yaw": math.radians(25), "mass": (0.1, 0.5), "friction": (0.45, 0.8),
                 "required_fraction": 0.8, "time_budget_s": 90.0},
    }
    CAMERA = ((0.35, -0.1, 0.9), 1.7, 60.0, -40.0)
    REWARD_WEIGHTS: ClassVar[dict[str, float]] = {"reach": 0.25, "grasp": 0.25, "place": 0.5, "units": 1.0,
                                                  "errors": 1.0, "action": 0.01}

    def __init__(self, arrival_period_s: float | None = None, belt_speed_mps: float | None = None, **kwargs: Any) -> None:
        valid = [p for p in inspect.signature(FactoryEnv.__init__).parameters if p != "self"]
        unknown = sorted(set(kwargs) - set(valid))
        if unknown:
            raise ConfigError(f"conveyor_sorting got unknown argument(s) {unknown}; valid: "
                              f"{', '.join(valid + ['arrival_period_s', 'belt_speed_mps'])}")
        for name, value in (("arrival_period_s", arrival_period_s), ("belt_speed_mps", belt_speed_mps)):
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(f"{name} must be a positive number of {name.rsplit('_', 1)[1]}, got {value!r}")
        self._overrides = {k: float(v) for k, v in (("arrival_period_s", arrival_period_s),
                                                     ("belt_speed_mps", belt_speed_mps)) if v is not None}
        super().__init__(**kwargs)

    # ------------------------------------------------------------------ scene
    def build_scene(self) -> None:
        self.params.update(self._overrides)
        n = self.units_target
        w = self.world
        wc = self.robot.spec.workcell
        dx, dy = wc.offset
        self.belt_top = top = wc.table_top + BELT_RISE
        self.belt_x = BELT_X + dx
        self.belt_y = (BELT_ENTRY_Y + dy, BELT_END_Y + dy)
        self.bins = [np.array([TRAY_X + dx, y + dy, top - TRAY_DROP]) for y in TRAY_Y]
        # belt: a static slab (its top is the belt surface) on a frame, with drive drums at both ends
        half_len = (self.belt_y[0] - self.belt_y[1]) / 2
        mid_y = (self.belt_y[0] + self.belt_y[1]) / 2
        self.belt = w.add_box("belt", (BELT_HALF_WIDTH, half_len, 0.02), (self.belt_x, mid_y, top - 0.02),
                              rgba=(0.12, 0.12, 0.13, 1), friction=0.0)
        for y in self.belt_y:
            w.add_box("belt_leg", (0.03, 0.03, (top - 0.04) / 2), (self.belt_x, y - math.copysign(0.05, y - mid_y),
                                                                    (top - 0.04) / 2), rgba=(0.35, 0.35, 0.38, 1))
        w.add_marker("belt_stripe", (0.004, half_len, 0.0005), (self.belt_x, mid_y, top + 0.0005), (0.9, 0.75, 0.1, 1))
        # sorting trays on a shelf bracketed to the belt frame (it clears the robot base below 0.35 m)
        shelf_top = top - TRAY_DROP - 0.01
        w.add_box("tray_shelf", (0.09, 0.29, 0.01), (TRAY_X + dx, TRAY_Y[1] + dy, shelf_top - 0.01), rgba=(0.45, 0.38, 0.3, 1))
        w.add_box("tray_shelf_bracket", (0.02, 0.29, 0.01), (TRAY_X + dx + 0.11, TRAY_Y[1] + dy, shelf_top - 0.01),
                  rgba=(0.45, 0.38, 0.3, 1))
        for k, centre in enumerate(self.bins):
            self._open_box(f"tray_{k}", centre, TRAY_INNER, TRAY_RIM, PART_SHAPES[k]["rgba"])
        # Unsorted parts tip off the belt's end onto a chute and slide into a reject tub: a free
        # fall to a tub would be a payload drop faster than 1 m/s (safety monitor), a tub right
        # under the end would leave parts leaning on the belt's edge.
        normal = np.array([0.0, -math.sin(CHUTE_SLOPE), math.cos(CHUTE_SLOPE)])
        upper = np.array([self.belt_x, self.belt_y[1], top - 0.01])
        along = np.array([0.0, -math.cos(CHUTE_SLOPE), -math.sin(CHUTE_SLOPE)])
        w.add_box("reject_chute", (0.07, CHUTE_LEN / 2, 0.005), (upper + along * CHUTE_LEN / 2 - normal * 0.005).tolist(),
                  rgba=(0.55, 0.55, 0.58, 1), orientation=pb.getQuaternionFromEuler((CHUTE_SLOPE, 0, 0)),
                  friction=CHUTE_FRICTION)
        lower = upper + along * CHUTE_LEN
        tub_centre = np.array([self.belt_x, lower[1] - TUB_LEN / 2 - 0.005, lower[2] - 0.015])
        self._open_box("reject_tub", tub_centre, (0.09, TUB_LEN / 2), TUB_RIM, (0.3, 0.3, 0.3, 1))
        w.add_box("reject_tub_stand", (0.08, TUB_LEN / 2, (tub_centre[2] - 0.01) / 2),
                  (tub_centre[0], tub_centre[1], (tub_centre[2] - 0.01) / 2), rgba=(0.35, 0.35, 0.38, 1))
        # a pool of parts per type (a balanced mix needs at most ceil(N / 3) of each), parked off the cell
        per_type = math.ceil(n / N_TYPES)
        self.pool: list[list[int]] = [[self._part(k, j) for j in range(per_type)] for k in range(N_TYPES)]
        self.monitor.register_payloads([b for bodies in self.pool for b in bodies])
        for centre in self.bins:  # releasing a part over its tray is not a payload drop
            self.monitor.register_goal_zone(centre - np.array([TRAY_INNER[0] + 0.02, TRAY_INNER[1] + 0.02, 0.01]),
                                            centre + np.array([TRAY_INNER[0] + 0.02, TRAY_INNER[1] + 0.02, 0.25]))
        self.parts: list[int] = [self.pool[k % N_TYPES][k // N_TYPES] for k in range(n)]
        self.types = np.arange(n) % N_TYPES
        self.arrivals = np.zeros(n)
        self._next_arrival = n

    def _open_box(self, name: str, floor_centre: np.ndarray, inner: tuple[float, float], rim: float,
                  rgba: tuple[float, ...]) -> int:
        """A static open box (floor plus four walls) whose floor top is at ``floor_centre``."""
        hx, hy = inner
        h = rim / 2
        halves = [(hx + 2 * WALL, hy + 2 * WALL, WALL), (WALL, hy, h), (WALL, hy, h), (hx + 2 * WALL, WALL, h),
                  (hx + 2 * WALL, WALL, h)]
        centres = [(0, 0, -WALL), (hx + WALL, 0, h), (-hx - WALL, 0, h), (0, hy + WALL, h), (0, -hy - WALL, h)]
        c = self.world.client
        col = c.createCollisionShapeArray([pb.GEOM_BOX] * 5, halfExtents=halves, collisionFramePositions=centres)
        vis = c.createVisualShapeArray([pb.GEOM_BOX] * 5, halfExtents=halves, visualFramePositions=centres,
                                       rgbaColors=[rgba] * 5)
        body = c.createMultiBody(0.0, col, vis, basePosition=floor_centre.tolist())
        c.changeDynamics(body, -1, lateralFriction=0.8)
        self.world.fixtures.add(body)
        self.world.names[body] = name
        return body

    def _part(self, kind: int, j: int) -> int:
        s = PART_SHAPES[kind]
        c = self.world.client
        if s["geom"] == "box":
            col = c.createCollisionShape(pb.GEOM_BOX, halfExtents=s["half"])
            vis = c.createVisualShape(pb.GEOM_BOX, halfExtents=s["half"], rgbaColor=s["rgba"])
        else:
            col = c.createCollisionShape(pb.GEOM_CYLINDER, radius=s["radius"], height=s["height"])
            vis = c.createVisualShape(pb.GEOM_CYLINDER, radius=s["radius"], length=s["height"], rgbaColor=s["rgba"])
        pos = (PARK[0] + 0.3 * j, PARK[1] + 0.3 * kind, part_half_height(kind))
        return self.world.add_body(f"{s['name']}_{j}", col, vis, pos, mass=0.1)

    def initialize_episode(self, rng: np.random.Generator) -> None:
        p = self.params
        n = self.units_target
        c = self.world.client
        self.types = rng.permutation(np.arange(n) % N_TYPES)
        used = [0] * N_TYPES
        self.parts = []
        for kind in self.types:
            self.parts.append(self.pool[kind][used[kind]])
            used[kind] += 1
        speed = float(p["belt_speed_mps"])
        min_gap = 0.10 / speed  # parts never enter closer than 10 cm of belt
        gaps = p["arrival_period_s"] * rng.uniform(1 - p["arrival_jitter"], 1 + p["arrival_jitter"], n - 1)
        self.arrivals = np.concatenate([[rng.uniform(0.2, 1.0)], np.maximum(gaps, min_gap)]).cumsum()
        self._entry: list[tuple[tuple[float, float, float], tuple[float, ...]]] = []
        for body, kind in zip(self.parts, self.types):
            x = self.belt_x + rng.uniform(-p["lateral"], p["lateral"])
            yaw = rng.uniform(-p["yaw"], p["yaw"])
            z = self.belt_top + part_half_height(kind) + 0.0005
            self._entry.append(((x, self.belt_y[0], z), c.getQuaternionFromEuler((0, 0, yaw))))
            c.changeDynamics(body, -1, mass=float(rng.uniform(*p["mass"])), lateralFriction=float(rng.uniform(*p["friction"])))
        self.belt_velocity = np.array([0.0, -speed, 0.0])
        self._next_arrival = 0
        self._arrived = np.zeros(n, bool)
        self._latched = np.full(n, -1)  # tray in which each part came to rest, -1 for none

    # ------------------------------------------------------------------ belt
    def task_substep(self) -> None:
        """Spawn parts whose arrival time has come; carry the parts resting on the belt.

        Why velocities and not a moving body: pybullet has no conveyor surface (no tangential
        contact velocity), and a kinematic slab would have to jump back. Setting the velocity of
        each part that touches the belt and no robot link every substep (240 Hz) gives the part
        exactly the belt's speed, as static friction on a real belt does, and is deterministic.
        The slab itself is frictionless: with friction the solver would take up to mu * g * dt
        off that speed in every substep (measured: 0.05 instead of 0.08 m/s). A part touched by
        the robot is no longer driven, so the fingers never fight a scripted velocity and
        grasping stays physical. Spin about z is stopped (a belt's friction would stop it);
        tipping is left to physics.
        """
        w = self.world
        cid = w.cid
        while self._next_arrival < len(self.parts) and w.sim_time >= self.arrivals[self._next_arrival] - 1e-9:
            k = self._next_arrival
            pos, quat = self._entry[k]
            pb.resetBasePositionAndOrientation(self.parts[k], pos, quat, physicsClientId=cid)
            pb.resetBaseVelocity(self.parts[k], self.belt_velocity.tolist(), (0, 0, 0), physicsClientId=cid)
            self._arrived[k] = True
            self._next_arrival += 1
        on_belt = {pt[2] for pt in pb.getContactPoints(bodyA=self.belt, physicsClientId=cid)}
        if not on_belt:
            return
        touched = {pt[2] for pt in pb.getContactPoints(bodyA=self.robot.body, physicsClientId=cid)}
        vx, vy, _ = self.belt_velocity
        for body in self.parts:
            if body in on_belt and body not in touched:
                lin, ang = pb.getBaseVelocity(body, physicsClientId=cid)
                pb.resetBaseVelocity(body, (vx, vy, lin[2]), (ang[0], ang[1], 0.0), physicsClientId=cid)

    # ------------------------------------------------------------------ evaluation
    def _in_box(self, pos: np.ndarray, centre: np.ndarray, inner: tuple[float, float], above: float) -> bool:
        return (abs(pos[0] - centre[0]) <= inner[0] + 0.01 and abs(pos[1] - centre[1]) <= inner[1] + 0.01
                and centre[2] - 0.01 <= pos[2] <= centre[2] + above)

    def evaluate(self) -> dict[str, Any]:
        c = self.world.client
        states = self.body_states(self.parts)
        contacts = c.getContactPoints(bodyA=self.robot.body)
        touching: dict[int, set[int]] = {}
        for pt in contacts:
            touching.setdefault(pt[2], set()).add(pt[3])
        n = len(self.parts)
        status = np.zeros(n, int)  # 0 pending/on the belt/held, 1 sorted, 2 missorted, 3 missed
        self._held: dict[int, str] = {}
        for i, (body, (pos, _, speed)) in enumerate(zip(self.parts, states)):
            links = touching.get(body, set())
            for g, fingers in self.finger_links.items():
                if fingers <= links:
                    self._held[i] = g
            if not self._arrived[i]:
                continue
            tray = next((k for k, centre in enumerate(self.bins) if self._in_box(pos, centre, TRAY_INNER, 0.08)), None)
            if tray is not None and tray == self._latched[i]:
                # once at rest in a tray a part stays counted while it is in there, so that fingers
                # brushing it while a neighbour is placed do not make the count flicker
                status[i] = 1 if tray == self.types[i] else 2
                continue
            self._latched[i] = -1
            if links:
                continue
            if tray is not None:
                if speed < REST_SPEED:
                    status[i] = 1 if tray == self.types[i] else 2
                    self._latched[i] = tray
            elif pos[2] < self.belt_top - 0.02 and not any(
                    abs(pos[0] - b[0]) <= TRAY_INNER[0] + 0.03 and abs(pos[1] - b[1]) <= TRAY_INNER[1] + 0.03
                    for b in self.bins):
                status[i] = 3  # off the belt and not over a tray: reject tub or floor
        self._states, self._status = states, status
        units = int(np.sum(status == 1))
        missorted, missed = int(np.sum(status == 2)), int(np.sum(status == 3))
        required = math.ceil(self.params["required_fraction"] * n - 1e-9)
        resolved = bool(np.all(status > 0))
        fail = n - missed - missorted < required
        return {
            "success": resolved and units >= required,
            "units_completed": units,
            "progress": units / n,
            "sorted_fraction": units / n,
            "missed": missed,
            "missorted": missorted,
            "fail": bool(fail),
            "fail_reason": ("missorted" if missorted > missed else "missed") if fail else None,
        }

    @property
    def arrived_count(self) -> int:
        """Parts of the episode that have arrived on the belt so far."""
        return int(self._next_arrival)

    def next_part(self) -> int | None:
        """The most downstream unresolved part on the belt (or held), the one to work on now."""
        todo = [i for i in range(len(self.parts)) if self._arrived[i] and self._status[i] == 0]
        return min(todo, key=lambda i: self._states[i][0][1], default=None)

    def dense_reward(self, evaluation: dict[str, Any], action: np.ndarray) -> dict[str, float]:
        w = self.REWARD_WEIGHTS
        held = [i for i in self._held if self._status[i] == 0]
        i = held[0] if held else self.next_part()  # a held part first, then the next one on the belt
        terms = self.pick_place_terms(None if i is None else self._states[i][0], bool(held),
                                      [] if i is None else [self.bins[self.types[i]]])
        terms["errors"] = -w["errors"] * (evaluation["missed"] + evaluation["missorted"])
        return terms

    # ------------------------------------------------------------------ observation
    def task_observation(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "_status"):
            self.evaluate()
        states = self.body_states(self.parts)
        yaw = self.robot.base_pose()[2]
        c, s = math.cos(yaw), math.sin(yaw)
        vx, vy, _ = self.belt_velocity
        ends = np.array([(self.belt_x, y, self.belt_top) for y in self.belt_y])
        return {
            "part_pos": self.to_base_frame(np.array([p for p, _, _ in states])),
            "part_quat": self.quats_to_base_frame([q for _, q, _ in states]),
            "part_type": np.eye(N_TYPES)[self.types],
            "part_arrived": self._arrived.astype(float),
            "part_sorted": (self._status == 1).astype(float),
            "part_resolved": (self._status > 0).astype(float),
            "bin_pos": self.to_base_frame(np.array(self.bins)),
            "belt_velocity": np.array([c * vx + s * vy, -s * vx + c * vy, 0.0]),
            "belt_ends": self.to_base_frame(ends),
        }
