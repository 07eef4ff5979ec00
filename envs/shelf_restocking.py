"""ShelfRestocking-v0: restock a front-facing retail shelf from a tote on a cart.

Description
    A mini-site (retail / franchise store) job. A gondola shelf stands in front of the robot
    with four shelf levels, from a bottom shelf near the floor to a top shelf above the
    shoulders; a shallow tote on a cart stands beside it (to the robot's left). The tote holds
    products of a few kinds: cans, small boxes and bottles. The planogram has one gap (an empty
    slot labelled with a kind) per item of the order; every other slot is stocked. An item goes
    into a gap of its kind. At medium and hard there is always a gap on the bottom and one on the
    top shelf. Shelves open to the front only, so items go in and come out horizontally: the
    robot grasps an item from the side with its gripper pointing forward, lifts it over the tote
    rim, drives along the shelf, lowers its torso for the bottom shelf, slides the item in above
    the board, sets it down and backs out.
    One unit of work is one item standing upright in a gap of its kind, within ``tolerance``
    of the slot centre, at rest and released. Grasping is physical only (friction, no attach
    constraints). An episode is a shift segment: ``units_target`` items in the time budget.

Shelf levels and reach
    Board tops at the robot's ``workcell.table_top`` -0.57, -0.05, +0.27 and +0.59 m: 0.28,
    0.80, 1.12 and 1.44 m on ``wheeled_humanoid``; below the bottom board the gondola is a closed
    base cabinet. Reach of ``wheeled_humanoid``, measured with its own IK (forward-pointing tool,
    TCP within 1 cm, 0.45 m in front of the base centre, whose front edge is at 0.28 m): with
    the torso at home (lift 0.22 m) the TCP goes down to 0.80 m; with the lift at -0.25 m and
    the torso pitched 0.3 rad forward (the ``torso`` slice of ``ee_delta_pose``) it goes down to
    about 0.30 m, and items are gripped 8 cm above their bottom, so 0.28 m is the lowest board
    (a retail base deck is often lower, about 0.15 m: out of this robot's reach). In that
    posture the head and chest stay 6 cm behind the shelf's front plane. The top board (1.44 m,
    items gripped at up to 1.56 m) is reached with the base 0.43 m back from the shelf edge.

The scene (world frame = the robot's start frame)
    Shelf front edge at x = 0.60 m (clear of the arms at the home pose; the robot drives up to
    0.36-0.43 m from it), four slot columns at y = 0, 0.15, 0.30, 0.45 m, slots 9 cm behind the
    edge, 0.30 m deep boards. Cart with the tote beside it at y = 0.70-1.20 m, top 0.95 m, tote
    rim 5 cm above the cart top. Everything stays at x < 0.95 m, y > -0.15 m: out of the
    co-worker walkways of ``site=coworkers``.

Action space
    That of the control mode; ``ee_delta_pose`` on ``wheeled_humanoid``: base (vx, vy, wz),
    torso (lift, pitch), left EE (6), left gripper, right EE (6), right gripper
    (``env.unwrapped.action_layout``).

Observation space
    Robot part as in every task. Task part (privileged state; positions in the base frame):
    ``item_pos`` (N x 3), ``item_quat`` (N x 4), ``item_kind`` (N x K one-hot, kinds
    ``KINDS``), ``item_size`` (N x 3: half width across the grip, half depth, half height),
    ``item_placed`` (N), ``slot_pos`` (M x 3, board-top centre of each slot), ``slot_kind``
    (M x K one-hot; an all-zero row is a stocked slot, not part of this order), ``slot_filled``
    (M), ``landmarks`` (3, world frame: x of the shelf's front edge, x of the tote's front wall,
    z of the tote's rim).

Rewards (``reward_<term>`` in ``info``)
    ``reach``  = w * (1 - tanh(5 d)), d = distance of the nearest TCP to the next item, while it
    is not held; ``grasp`` = w while a gripper holds it with both fingers; ``place`` =
    w * (1 - tanh(5 d)), d = distance of the held item to the resting point of the nearest free
    gap of its kind; ``units`` = w * units_completed; ``action`` = -w |a|^2. The reward is their
    sum. ``reward_mode="sparse"``: +1 per unit completed.

Success
    ``units_target`` slots each hold an item of the slot's kind: within ``tolerance`` (xy) of the
    slot centre, on the board (centre within 1 cm of its resting height), tilted at most 15 deg,
    slower than 5 cm/s and touched by no robot link. Terminates with ``end_reason="success"``.

Failure
    ``item_dropped``: items on the floor leave fewer than the target. Truncation at the budget
    (``end_reason="timeout"``).

Randomization (from the seed)
    Each item's tote cell (2 x 3 grid), an xy jitter of +-1 cm (hard +-1.5 cm), yaw (+-10 deg,
    hard +-15 deg), mass and friction within the difficulty's ranges (torsional friction of the
    flat bottom follows the friction), and the planogram (which slots are the order's gaps, on
    the level's shelves, and which item kind each gap is for). Kinds cycle through the level's
    list (item i is kinds[i % K]).
    No arrival times: the whole order is in the tote at the start.

Difficulty
    ======  =====  ================  =========================  =========  =========  ==========  ======
    level   items  kinds             gaps on                    tolerance  mass (kg)  friction    budget
    ======  =====  ================  =========================  =========  =========  ==========  ======
    easy    2      can               the two middle shelves     4 cm       0.15-0.3   0.8-1.0     45 s
    medium  4      can, box, bottle  all four; bottom and top   3 cm       0.2-0.5    0.6-1.0     60 s
    hard    6      can, box, bottle  all four; bottom and top   2 cm       0.3-0.8    0.5-0.9     75 s
    ======  =====  ================  =========================  =========  =========  ==========  ======

Version history
    v0: first release. (Until the torso action was added the gondola had three levels from
    0.80 m up and any free slot of the item's kind counted: records from then are not comparable.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from humanoid_bench.envs.base import FactoryEnv

from humanoid_bench.sim.world import pb


@dataclass(frozen=True)
class ItemShape:
    half_width: float  # across the grip (y when the item faces the robot)
    half_depth: float  # along the approach (x)
    half_height: float
    rgba: tuple[float, float, float, float]


KINDS = ("can", "box", "bottle")
ITEMS = {
    "can": ItemShape(0.033, 0.033, 0.06, (0.72, 0.75, 0.8, 1.0)),
    "box": ItemShape(0.025, 0.035, 0.06, (0.85, 0.3, 0.12, 1.0)),
    "bottle": ItemShape(0.03, 0.03, 0.095, (0.15, 0.55, 0.3, 1.0)),  # body 14 cm + neck 5 cm
}
BOTTLE_BODY = 0.14  # m, height of the bottle's body (the neck is the rest)

SHELF_FRONT = 0.60  # x of the boards' front edge: clear of the arms at the home pose (the robot drives up)
SHELF_DEPTH = 0.30
SLOT_BEHIND_FRONT = 0.09  # slot centre behind the front edge
COLUMNS = (0.0, 0.15, 0.30, 0.45)  # slot centres along y
LEVEL_OFFSETS = (-0.57, -0.05, 0.27, 0.59)  # board tops relative to the workcell's table top
STOCKED = -1  # slot kind of a slot that is not a gap of this order (its product is on the shelf)
BOARD = 0.02  # board thickness
SHELF_HEIGHT = 1.85  # top of the uprights and back panel (relative to the floor, at table_top 0.85)

CART_ABOVE_TABLE = 0.10  # cart top relative to the workcell's table top
CART = ((SHELF_FRONT, SHELF_FRONT + 0.34), (0.70, 1.20))  # x range, y range of the cart top
TOTE_CENTRE = (SHELF_FRONT + 0.16, 0.95)
TOTE_HALF = (0.15, 0.22)  # outer half extents in x, y
TOTE_FLOOR, TOTE_RIM = 0.01, 0.05  # floor thickness and rim height above the cart top
TOTE_WALL = 0.01
TOTE_CELLS = tuple((dx, dy) for dx in (-0.06, 0.06) for dy in (-0.13, 0.0, 0.13))  # front row first

UPRIGHT_COS = math.cos(math.radians(15.0))
REST_SPEED = 0.05  # m/s
Z_TOLERANCE = 0.01
FLOOR_Z = 0.3  # an item centre below this is on the floor


class ShelfRestockingEnv(FactoryEnv):
    task_name: ClassVar[str] = "shelf_restocking"
    MAX_UNITS: ClassVar[int | None] = len(TOTE_CELLS)
    # gap_levels: the boards the order's gaps may be on; required_levels: boards that get a gap
    # in every episode (bottom and top at medium and hard)
    DIFFICULTIES: ClassVar[dict[str, dict[str, Any]]] = {
        "easy": {"units_target": 2, "kinds": ("can",), "tolerance": 0.04, "mass": (0.15, 0.3),
                 "friction": (0.8, 1.0), "jitter": 0.01, "yaw": math.radians(10), "time_budget_s": 45.0,
                 "gap_levels": (1, 2), "required_levels": ()},
        "medium": {"units_target": 4, "kinds": KINDS, "tolerance": 0.03, "mass": (0.2, 0.5),
                   "friction": (0.6, 1.0), "jitter": 0.01, "yaw": math.radians(10), "time_budget_s": 60.0,
                   "gap_levels": (0, 1, 2, 3), "required_levels": (0, 3)},
        "hard": {"units_target": 6, "kinds": KINDS, "tolerance": 0.02, "mass": (0.3, 0.8),
                 "friction": (0.5, 0.9), "jitter": 0.015, "yaw": math.radians(15), "time_budget_s": 75.0,
                 "gap_levels": (0, 1, 2, 3), "required_levels": (0, 3)},
    }
    CAMERA = ((0.45, 0.45, 1.05), 2.3, -55.0, -20.0)
    REWARD_WEIGHTS: ClassVar[dict[str, float]] = {"reach": 0.25, "grasp": 0.25, "place": 0.5, "units": 1.0, "action": 0.01}

    # ------------------------------------------------------------------ scene
    def build_scene(self) -> None:
        n = self.units_target
        self.require_mobile_base("the robot drives between the tote and the shelf")
        w = self.world
        wc = self.robot.spec.workcell
        dx, dy = wc.offset
        self.offset = np.array([dx, dy])
        self.levels = tuple(wc.table_top + o for o in LEVEL_OFFSETS)
        self.cart_top = wc.table_top + CART_ABOVE_TABLE
        self.shelf_front = SHELF_FRONT + dx
        top = SHELF_HEIGHT + wc.table_top - 0.85
        self._gondola(dx, dy, top)
        self._cart(dx, dy)
        # Slots: level-major order; the kind of each slot is drawn per episode (the planogram).
        self.slots_xy = tuple((SHELF_FRONT + SLOT_BEHIND_FRONT + dx, y + dy) for _ in self.levels for y in COLUMNS)
        self.slot_level = np.repeat(np.arange(len(self.levels)), len(COLUMNS))
        self._labels = []
        for s, (x, y) in enumerate(self.slots_xy):
            z = self.levels[self.slot_level[s]]
            self._labels.append(w.add_marker(f"label_{s}", (0.004, 0.05, 0.012), (self.shelf_front - 0.004, y, z - BOARD / 2), (1, 1, 1, 1)))
            self._labels.append(w.add_marker(f"slot_{s}", (0.045, 0.05, 0.0005), (x, y, z + 0.0005), (1, 1, 1, 0.5)))
        kinds = self.params["kinds"]
        self.item_kinds = tuple(kinds[i % len(kinds)] for i in range(n))
        self.items = [self._item(f"{k}_{i}", k, (10.0 + i, 10.0, 0.2)) for i, k in enumerate(self.item_kinds)]
        self.slot_kind = np.zeros(len(self.slots_xy), dtype=int)
        self.monitor.register_payloads(self.items)
        (x0, x1), (y0, y1) = CART
        self.monitor.register_goal_zone(np.array([x0 + dx, y0 + dy, self.cart_top - 0.01]), np.array([x1 + dx, y1 + dy, self.cart_top + 0.4]))
        self.monitor.register_goal_zone(np.array([self.shelf_front - 0.02, COLUMNS[0] - 0.1 + dy, self.levels[0] - 0.01]),
                                        np.array([self.shelf_front + SHELF_DEPTH, COLUMNS[-1] + 0.1 + dy, top]))
        self._kind_index = np.array([KINDS.index(k) for k in self.item_kinds])
        self._sizes = np.array([[ITEMS[k].half_width, ITEMS[k].half_depth, ITEMS[k].half_height] for k in self.item_kinds])

    def _gondola(self, dx: float, dy: float, top: float) -> None:
        """Closed base cabinet, boards, back panel and side uprights; open to the robot (-x)."""
        w = self.world
        x0, x1 = SHELF_FRONT + dx, SHELF_FRONT + SHELF_DEPTH + dx
        y0, y1 = COLUMNS[0] - 0.09 + dy, COLUMNS[-1] + 0.09 + dy
        cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        grey, board = (0.78, 0.8, 0.82, 1.0), (0.92, 0.92, 0.9, 1.0)
        base_h = self.levels[0] - BOARD
        w.add_box("shelf_cabinet", (hx, hy, base_h / 2), (cx, cy, base_h / 2), rgba=grey)
        for i, z in enumerate(self.levels):
            w.add_box(f"shelf_board_{i}", (hx, hy, BOARD / 2), (cx, cy, z - BOARD / 2), rgba=board)
        w.add_box("shelf_back", (0.01, hy + 0.02, top / 2), (x1 + 0.01, cy, top / 2), rgba=grey)
        for s, y in (("left", y1 + 0.01), ("right", y0 - 0.01)):
            w.add_box(f"shelf_upright_{s}", (hx + 0.01, 0.01, top / 2), (cx + 0.01, y, top / 2), rgba=grey)

    def _cart(self, dx: float, dy: float) -> None:
        """Cart (top slab on legs) with a shallow tote fixed on it (the tote is a fixture)."""
        w = self.world
        (x0, x1), (y0, y1) = CART
        cx, cy, hx, hy = (x0 + x1) / 2 + dx, (y0 + y1) / 2 + dy, (x1 - x0) / 2, (y1 - y0) / 2
        w.add_box("cart_top", (hx, hy, 0.015), (cx, cy, self.cart_top - 0.015), rgba=(0.25, 0.3, 0.38, 1))
        leg_h = (self.cart_top - 0.03) / 2
        for sx in (-1, 1):
            for sy in (-1, 1):
                w.add_box("cart_leg", (0.015, 0.015, leg_h), (cx + sx * (hx - 0.03), cy + sy * (hy - 0.03), leg_h), rgba=(0.2, 0.2, 0.22, 1))
        tx, ty = TOTE_CENTRE[0] + dx, TOTE_CENTRE[1] + dy
        thx, thy = TOTE_HALF
        t, z0, rim = TOTE_WALL / 2, self.cart_top, self.cart_top + TOTE_RIM
        wall_h, wall_z = (rim - z0 - TOTE_FLOOR) / 2, (z0 + TOTE_FLOOR + rim) / 2
        blue = (0.15, 0.4, 0.75, 1.0)
        w.add_box("tote_floor", (thx, thy, TOTE_FLOOR / 2), (tx, ty, z0 + TOTE_FLOOR / 2), rgba=blue)
        for sx in (-1, 1):
            w.add_box("tote_wall", (t, thy, wall_h), (tx + sx * (thx - t), ty, wall_z), rgba=blue)
        for sy in (-1, 1):
            w.add_box("tote_wall", (thx - 2 * t, t, wall_h), (tx, ty + sy * (thy - t), wall_z), rgba=blue)
        self.tote_front = tx - thx
        self.tote_rim = rim

    def _item(self, name: str, kind: str, position: tuple[float, float, float]) -> int:
        shape = ITEMS[kind]
        c = self.world.client
        if kind == "box":
            half = (shape.half_depth, shape.half_width, shape.half_height)
            col = c.createCollisionShape(pb.GEOM_BOX, halfExtents=half)
            vis = c.createVisualShape(pb.GEOM_BOX, halfExtents=half, rgbaColor=shape.rgba)
        elif kind == "can":
            col = c.createCollisionShape(pb.GEOM_CYLINDER, radius=shape.half_width, height=2 * shape.half_height)
            vis = c.createVisualShape(pb.GEOM_CYLINDER, radius=shape.half_width, length=2 * shape.half_height, rgbaColor=shape.rgba)
        else:  # bottle: body and neck, origin at the middle of the full height
            h = shape.half_height
            neck = 2 * h - BOTTLE_BODY
            frames = [(0, 0, -h + BOTTLE_BODY / 2), (0, 0, h - neck / 2)]
            radii, lengths = [shape.half_width, 0.012], [BOTTLE_BODY, neck]
            col = c.createCollisionShapeArray([pb.GEOM_CYLINDER] * 2, radii=radii, lengths=lengths, collisionFramePositions=frames)
            vis = c.createVisualShapeArray([pb.GEOM_CYLINDER] * 2, radii=radii, lengths=lengths, visualFramePositions=frames,
                                           rgbaColors=[shape.rgba] * 2)
        return self.world.add_body(name, col, vis, position, mass=0.3)

    def initialize_episode(self, rng: np.random.Generator) -> None:
        p = self.params
        c = self.world.client
        cells = rng.permutation(len(TOTE_CELLS))[: len(self.items)]
        tx, ty = TOTE_CENTRE[0] + self.offset[0], TOTE_CENTRE[1] + self.offset[1]
        for item, kind, cell in zip(self.items, self.item_kinds, cells):
            cx, cy = TOTE_CELLS[cell]
            x, y = tx + cx + rng.uniform(-p["jitter"], p["jitter"]), ty + cy + rng.uniform(-p["jitter"], p["jitter"])
            yaw = rng.uniform(-p["yaw"], p["yaw"])
            z = self.cart_top + TOTE_FLOOR + ITEMS[kind].half_height + 0.0005
            c.resetBasePositionAndOrientation(item, (x, y, z), c.getQuaternionFromEuler((0, 0, yaw)))
            c.resetBaseVelocity(item, (0, 0, 0), (0, 0, 0))
            mu = float(rng.uniform(*p["friction"]))
            # torsional friction of a flat bottom (about mu * 2/3 of its radius): without it a released
            # cylinder keeps spinning on its rim for seconds
            c.changeDynamics(item, -1, mass=float(rng.uniform(*p["mass"])), lateralFriction=mu,
                             spinningFriction=mu * 0.66 * ITEMS[kind].half_width, rollingFriction=0.0005)
        # Planogram: one gap per item, labelled with the item's kind, on the level's gap boards (one
        # on each required board first); every other slot is stocked (not part of this order).
        n = len(self.items)
        candidates = [s for s in range(len(self.slots_xy)) if self.slot_level[s] in p["gap_levels"]]
        gaps: list[int] = []
        for level in p["required_levels"][:n]:
            on_level = [s for s in candidates if self.slot_level[s] == level and s not in gaps]
            gaps.append(int(rng.choice(on_level)))
        rest = [s for s in candidates if s not in gaps]
        gaps += [int(s) for s in rng.choice(rest, n - len(gaps), replace=False)]
        self.slot_kind = np.full(len(self.slots_xy), STOCKED)
        self.slot_kind[gaps] = self._kind_index[rng.permutation(n)]
        for s, k in enumerate(self.slot_kind):
            rgba = (0.55, 0.55, 0.55, 1.0) if k == STOCKED else ITEMS[KINDS[k]].rgba
            c.changeVisualShape(self._labels[2 * s], -1, rgbaColor=rgba)
            c.changeVisualShape(self._labels[2 * s + 1], -1, rgbaColor=(*rgba[:3], 0.45))
        self.world.touch()

    # ------------------------------------------------------------------ evaluation
    def evaluate(self) -> dict[str, Any]:
        tol = self.params["tolerance"]
        states = self.body_states(self.items)
        self._states = states
        filled, placed = [False] * len(self.slots_xy), [False] * len(self.items)
        for k in set(self._kind_index.tolist()):
            items = [i for i in range(len(self.items)) if self._kind_index[i] == k]
            for level, z in enumerate(self.levels):
                slots = [s for s in range(len(self.slots_xy)) if self.slot_kind[s] == k and self.slot_level[s] == level]
                if not slots:
                    continue
                f, pl = self.fill_slots([self.items[i] for i in items], [self.slots_xy[s] for s in slots],
                                        z + ITEMS[KINDS[k]].half_height, tol, Z_TOLERANCE, UPRIGHT_COS, REST_SPEED)
                for s, v in zip(slots, f):
                    filled[s] |= v
                for i, v in zip(items, pl):
                    placed[i] |= v
        self._filled, self._placed = filled, placed
        units = int(sum(filled))
        dropped = sum(1 for pos, _, _ in states if pos[2] < FLOOR_Z)
        fail = len(self.items) - dropped < self.units_target
        return {"success": units >= self.units_target, "units_completed": units, "progress": units / self.units_target,
                "fail": bool(fail), "fail_reason": "item_dropped" if fail else None}

    def dense_reward(self, evaluation: dict[str, Any], action: np.ndarray) -> dict[str, float]:
        todo = [i for i in range(len(self.items)) if not self._placed[i] and self._states[i][0][2] >= FLOOR_Z]
        i = todo[0] if todo else None
        free = [] if i is None else [np.array([x, y, self.levels[self.slot_level[s]] + self._sizes[i][2]])
                                     for s, (x, y) in enumerate(self.slots_xy)
                                     if not self._filled[s] and self.slot_kind[s] == self._kind_index[i]]
        terms = self.pick_place_terms(None if i is None else self._states[i][0],
                                      i is not None and self.held_by(self.items[i]) is not None, free)
        return terms

    # ------------------------------------------------------------------ observation
    def task_observation(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "_states"):
            self.evaluate()
        states = self.body_states(self.items)
        eye = np.vstack([np.eye(len(KINDS)), np.zeros(len(KINDS))])  # row -1 (STOCKED): all zero
        slots = np.array([(x, y, self.levels[lv]) for (x, y), lv in zip(self.slots_xy, self.slot_level)])
        return {
            "item_pos": self.to_base_frame(np.array([p for p, _, _ in states])),
            "item_quat": self.quats_to_base_frame([q for _, q, _ in states]),
            "item_kind": eye[self._kind_index],
            "item_size": self._sizes,
            "item_placed": np.array(self._placed, dtype=float),
            "slot_pos": self.to_base_frame(slots),
            "slot_kind": eye[self.slot_kind],
            "slot_filled": np.array(self._filled, dtype=float),
            "landmarks": np.array([self.shelf_front, self.tote_front, self.tote_rim]),
        }
