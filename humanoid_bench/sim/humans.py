"""Human co-workers: adult body models with ISO/TS 15066 body regions, moved by script.

Body (a 50th-percentile adult, stature about 1.75 m; segment sizes after ISO 7250-1 / DIN
33402-2 tables): pelvis-and-torso base, neck, head, two upper arms with a shoulder joint (for
reaching), lower arms, hands, thighs and lower legs. Every link carries the name of its ISO/TS
15066 body region, which the safety monitor uses to pick the force limit.

A human is a dynamic body (75 kg) held by a fixed constraint whose pivot the behaviour script
moves every control step (walking at 0.5-1.6 m/s, approaching, standing, reaching into a zone,
stopping). The constraint's force is bounded, so a robot that pushes into a person meets a
heavy, yielding body and the contact forces are physical. Humans do not touch the floor (their
gait is not simulated; the legs glide).

Behaviours (``behaviour:`` in a site profile):
- ``walk``: follow ``route`` (list of [x, y] waypoints, robot base frame at reset) at ``speed``
  m/s, looping when ``loop`` is true, pausing ``pause_s`` at each waypoint;
- ``approach``: walk from ``start`` to ``stop_at`` at ``speed`` and stay there;
- ``stand``: stand at ``position`` facing ``facing`` (rad);
- ``reach``: stand, and every ``period_s`` reach the right arm forward for ``reach_s`` seconds
  (into a shared zone in front of the person).
``posture: seated`` lowers the body by 0.45 m (a person on a work stool).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from humanoid_bench.errors import ConfigError
from humanoid_bench.sim.world import World, pb

BEHAVIOURS = ("walk", "approach", "stand", "reach")
POSTURES = ("standing", "seated")
SEATED_DROP = 0.45  # m
MASS = 75.0  # kg
ARM_TORQUE = 250.0  # N m: arms follow the script and do not swing loose when the person turns
TURN_RATE = 3.0  # rad/s: people turn around at walkway ends, they do not flip
HOLD_FORCE = 1500.0  # N: carries the body weight (736 N) and leaves ~760 N to resist a push

# Region names follow ISO/TS 15066:2016 Table A.2, grouped to the regions the monitor uses.
_SKIN = (0.93, 0.76, 0.62, 1.0)
_CLOTH = (0.2, 0.35, 0.6, 1.0)
_VEST = (0.95, 0.75, 0.1, 1.0)


@dataclass
class HumanSpec:
    name: str
    behaviour: str = "stand"
    posture: str = "standing"
    position: list[float] = field(default_factory=lambda: [1.5, 0.0])
    facing: float = math.pi
    route: list[list[float]] = field(default_factory=list)
    speed: float = 1.0
    loop: bool = True
    pause_s: float = 0.0
    start: list[float] | None = None
    stop_at: list[float] | None = None
    period_s: float = 6.0
    reach_s: float = 2.0
    speed_jitter: float = 0.1  # +- fraction of speed drawn per episode from the seed
    start_delay_s: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any], index: int) -> HumanSpec:
        data = dict(data)
        data.setdefault("name", f"human_{index}")
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"site human {data['name']!r}: unknown key(s) {unknown}; valid keys: {sorted(names)}")
        spec = cls(**data)
        if spec.behaviour not in BEHAVIOURS:
            raise ConfigError(f"site human {spec.name!r}: behaviour {spec.behaviour!r}; expected one of {BEHAVIOURS}")
        if spec.posture not in POSTURES:
            raise ConfigError(f"site human {spec.name!r}: posture {spec.posture!r}; expected one of {POSTURES}")
        if spec.behaviour == "walk" and len(spec.route) < 2:
            raise ConfigError(f"site human {spec.name!r}: behaviour walk needs a route of at least two [x, y] points")
        if spec.behaviour == "approach" and (spec.start is None or spec.stop_at is None):
            raise ConfigError(f"site human {spec.name!r}: behaviour approach needs start and stop_at")
        if not 0.0 < spec.speed <= 2.0:
            raise ConfigError(f"site human {spec.name!r}: speed {spec.speed} m/s is outside (0, 2]")
        return spec


def pass_through_each_other(humans: list[Human]) -> None:
    """Co-workers do not collide with one another: real people step aside, while two scripted bodies
    held by constraints would shove each other and spring back and forth by up to a metre (seen
    where two walkways cross), which falsifies every separation measured near them."""
    for i, a in enumerate(humans):
        c = a.world.client
        for b in humans[i + 1:]:
            for la in range(-1, c.getNumJoints(a.body)):
                for lb in range(-1, c.getNumJoints(b.body)):
                    c.setCollisionFilterPair(a.body, b.body, la, lb, 0)


class Human:
    """One person in the world, with its body regions and a behaviour script."""

    def __init__(self, world: World, spec: HumanSpec) -> None:
        self.world = world
        self.spec = spec
        self.regions: dict[int, str] = {}  # link index -> region
        self.body = self._build()
        world.names[self.body] = spec.name
        c = world.client
        c.setCollisionFilterPair(self.body, world.floor, -1, -1, 0)
        for link in range(-1, c.getNumJoints(self.body)):
            c.setCollisionFilterPair(self.body, world.floor, link, -1, 0)
        self._z = SEATED_DROP if spec.posture == "seated" else 0.0
        pos, orn = self._pose_at(np.array(spec.start or spec.position or spec.route[0], float), spec.facing)
        c.resetBasePositionAndOrientation(self.body, pos, orn)
        self.constraint = c.createConstraint(self.body, -1, -1, -1, pb.JOINT_FIXED, (0, 0, 0), (0, 0, 0), pos, childFrameOrientation=orn)
        c.changeConstraint(self.constraint, maxForce=HOLD_FORCE)
        self.speed = spec.speed
        self.xy = np.zeros(2)
        self.heading = spec.facing
        self.velocity = np.zeros(2)

    # ------------------------------------------------------------------ model
    def _build(self) -> int:
        c = self.world.client
        # (region, geom, size, position relative to the parent's joint frame, mass, parent (0 = base),
        #  color, joint type). Capsules hang down from their joint.
        links: list[tuple[str, int, list[float], list[float], float, int, tuple, int]] = []

        def add(region: str, geom: int, size: list[float], pos: list[float], mass: float, parent: int,
                color: tuple, joint: int = pb.JOINT_FIXED) -> int:
            links.append((region, geom, size, pos, mass, parent, color, joint))
            return len(links)  # this link's index + 1, as parent indices count the base as 0

        neck = add("neck", pb.GEOM_CYLINDER, [0.055, 0.10], [0, 0, 0.35], 1.0, 0, _SKIN)
        add("head", pb.GEOM_SPHERE, [0.10], [0, 0, 0.15], 5.0, neck, _SKIN)
        for side in (1.0, -1.0):
            upper = add("upper_arm", pb.GEOM_CAPSULE, [0.045, 0.22], [0, side * 0.225, 0.26], 2.0, 0, _VEST,
                        pb.JOINT_REVOLUTE)
            lower = add("lower_arm", pb.GEOM_CAPSULE, [0.04, 0.20], [0, 0, -0.31], 1.5, upper, _SKIN)
            add("hand", pb.GEOM_BOX, [0.02, 0.045, 0.08], [0, 0, -0.36], 0.5, lower, _SKIN)
            thigh = add("thigh", pb.GEOM_CAPSULE, [0.075, 0.30], [0, side * 0.1, -0.30], 9.0, 0, _CLOTH)
            add("lower_leg", pb.GEOM_CAPSULE, [0.055, 0.32], [0, 0, -0.46], 4.0, thigh, _CLOTH)
        cols = [self._shape(g, size, True) for _, g, size, *_ in links]
        vis = [self._shape(g, size, False, lk[6]) for lk in links for g, size in [(lk[1], lk[2])]]
        half = [0.11, 0.18, 0.30]
        body = c.createMultiBody(
            baseMass=MASS - sum(lk[4] for lk in links),
            baseCollisionShapeIndex=c.createCollisionShape(pb.GEOM_BOX, halfExtents=half),
            baseVisualShapeIndex=c.createVisualShape(pb.GEOM_BOX, halfExtents=half, rgbaColor=_VEST),
            basePosition=[0, 0, 0],
            linkMasses=[lk[4] for lk in links],
            linkCollisionShapeIndices=cols, linkVisualShapeIndices=vis,
            linkPositions=[lk[3] for lk in links], linkOrientations=[[0, 0, 0, 1]] * len(links),
            linkInertialFramePositions=[[0, 0, 0]] * len(links),
            linkInertialFrameOrientations=[[0, 0, 0, 1]] * len(links),
            linkParentIndices=[lk[5] for lk in links], linkJointTypes=[lk[7] for lk in links],
            linkJointAxis=[[0, 1, 0]] * len(links),  # shoulders swing the arm forward about y
        )
        self.regions = {i: lk[0] for i, lk in enumerate(links)}
        self.regions[-1] = "torso"
        self.arm_joints = [i for i, lk in enumerate(links) if lk[7] == pb.JOINT_REVOLUTE]  # left, right
        for j in self.arm_joints:
            c.setJointMotorControl2(body, j, pb.POSITION_CONTROL, targetPosition=0.0, force=ARM_TORQUE)
        return body

    def _shape(self, geom: int, size: list[float], collision: bool, color: tuple = (1, 1, 1, 1)) -> int:
        c = self.world.client
        frame = [0.0, 0.0, 0.0]
        kw: dict[str, Any] = {}
        if geom == pb.GEOM_BOX:
            kw["halfExtents"] = size
        elif geom == pb.GEOM_SPHERE:
            kw["radius"] = size[0]
        else:  # capsule or cylinder: radius, length
            kw["radius"] = size[0]
            kw["height" if collision else "length"] = size[1]
            if geom == pb.GEOM_CAPSULE:
                frame = [0.0, 0.0, -size[1] / 2 - size[0]]
        if collision:
            return c.createCollisionShape(geom, collisionFramePosition=frame, **kw)
        return c.createVisualShape(geom, rgbaColor=color, visualFramePosition=frame, **kw)

    # ------------------------------------------------------------------ pose & script
    def _pose_at(self, xy: np.ndarray, heading: float) -> tuple[list[float], list[float]]:
        z = 1.12 - self._z  # base (torso centre) height of a standing adult
        return [float(xy[0]), float(xy[1]), z], list(self.world.client.getQuaternionFromEuler((0, 0, heading)))

    def reset(self, rng: np.random.Generator) -> None:
        s = self.spec
        self.speed = s.speed * (1.0 + rng.uniform(-s.speed_jitter, s.speed_jitter))
        start = s.start if s.behaviour == "approach" else (s.route[0] if s.behaviour == "walk" else s.position)
        self.xy = np.array(start, float)
        self.heading = s.facing
        self._waypoint = 1
        self._pause = 0.0
        self.velocity = np.zeros(2)
        self._t = -s.start_delay_s
        if s.behaviour == "walk":
            d = np.array(s.route[1], float) - self.xy
            self.heading = math.atan2(d[1], d[0])
        pos, orn = self._pose_at(self.xy, self.heading)
        c = self.world.client
        c.resetBasePositionAndOrientation(self.body, pos, orn)
        c.resetBaseVelocity(self.body, (0, 0, 0), (0, 0, 0))
        for j in self.arm_joints:
            c.resetJointState(self.body, j, 0.0, 0.0)
            c.setJointMotorControl2(self.body, j, pb.POSITION_CONTROL, targetPosition=0.0, force=ARM_TORQUE)
        c.changeConstraint(self.constraint, pos, jointChildFrameOrientation=orn, maxForce=HOLD_FORCE)

    def update(self, dt: float) -> None:
        """Advance the behaviour script by ``dt`` and move the constraint pivot."""
        s = self.spec
        self._t += dt
        self.velocity = np.zeros(2)
        if self._t >= 0.0:
            if s.behaviour == "walk":
                self._walk(dt)
            elif s.behaviour == "approach":
                self._go_to(np.array(s.stop_at, float), dt)
            elif s.behaviour == "reach":
                phase = self._t % s.period_s
                target = -1.3 if phase < s.reach_s else 0.0  # right arm forward (about the y axis)
                self.world.client.setJointMotorControl2(self.body, self.arm_joints[1], pb.POSITION_CONTROL,
                                                        targetPosition=target, force=ARM_TORQUE, maxVelocity=1.5)
        pos, orn = self._pose_at(self.xy, self.heading)
        self.world.client.changeConstraint(self.constraint, pos, jointChildFrameOrientation=orn, maxForce=HOLD_FORCE)

    def _go_to(self, goal: np.ndarray, dt: float) -> bool:
        """Walk toward ``goal`` (turning on the spot first when facing away); True on arrival."""
        d = goal - self.xy
        dist = float(np.linalg.norm(d))
        if dist < 1e-6:
            return True
        want = math.atan2(d[1], d[0])
        turn = math.atan2(math.sin(want - self.heading), math.cos(want - self.heading))
        if abs(turn) > 0.2:
            self.heading += math.copysign(min(abs(turn), TURN_RATE * dt), turn)
            return False
        self.heading = want
        step = min(dist, self.speed * dt)
        self.velocity = d / dist * (step / dt)
        self.xy = self.xy + d / dist * step
        return step >= dist

    def _walk(self, dt: float) -> None:
        s = self.spec
        if self._pause > 0.0:
            self._pause -= dt
            return
        if self._waypoint >= len(s.route):
            if not s.loop:
                return
            self._waypoint = 0
        if self._go_to(np.array(s.route[self._waypoint], float), dt):
            self._waypoint += 1
            self._pause = s.pause_s

    # ------------------------------------------------------------------ state
    def position(self) -> np.ndarray:
        return np.array(self.world.client.getBasePositionAndOrientation(self.body)[0])

    def region_of(self, link: int) -> str:
        return self.regions.get(link, "torso")
