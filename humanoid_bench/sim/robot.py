"""A robot in the world, built from a ``RobotSpec``: joint groups, end effectors, grippers, base.

Tasks and controllers use this API and never index pybullet joint arrays themselves. The URDF is
checked (``urdf_check``) before pybullet loads it, so a broken model gets one message naming the
file, the element and the fix. Bases: ``fixed`` (mounted at ``base.height``), ``wheeled``
(virtual planar joints), ``floating`` (legged; a stance controller holds balance in ``stance``
and ``assisted`` locomotion, the policy drives the legs in ``dynamic``).
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from humanoid_bench.errors import RobotModelError
from humanoid_bench.sim.robot_spec import RobotSpec
from humanoid_bench.sim.urdf_check import prepare_urdf
from humanoid_bench.sim.world import World, pb, quiet_stdout

log = logging.getLogger(__name__)

FALL_HEIGHT_FRACTION = 0.5  # DESIGN §6: base height below 50% of nominal
FALL_TILT = math.radians(45.0)  # DESIGN §6: torso tilt above 45 deg
ASSIST_FORCE_FACTOR = 5.0  # assisted locomotion: constraint force limit, in robot weights


@dataclass(frozen=True)
class JointInfo:
    index: int
    name: str
    type: int  # pb.JOINT_REVOLUTE / PRISMATIC / FIXED
    lower: float
    upper: float
    effort: float
    velocity: float
    link_name: str


@dataclass(frozen=True)
class FallState:
    """Result of ``Robot.fall_state()``: DESIGN §6's fall rule (value and limit in SI units)."""

    fallen: bool
    value: float
    limit: float
    reason: str  # "" | base_height | torso_tilt | link_on_floor:<link>

    def __iter__(self):  # unpacks as (fallen, value, limit, reason)
        return iter((self.fallen, self.value, self.limit, self.reason))


class Robot:
    def __init__(self, world: World, spec: RobotSpec, position: Sequence[float] = (0, 0, 0)) -> None:
        self.world = world
        self.spec = spec
        c = self.client = world.client
        urdf_path, self.model = prepare_urdf(spec)
        flags = pb.URDF_USE_INERTIA_FROM_FILE
        if spec.self_collision:
            flags |= pb.URDF_USE_SELF_COLLISION | pb.URDF_USE_SELF_COLLISION_EXCLUDE_PARENT
        self.floating = spec.base.type == "floating"
        height = spec.base.height if spec.base.height is not None else 0.0
        try:
            with quiet_stdout():
                self.body = c.loadURDF(str(urdf_path), basePosition=(position[0], position[1], position[2] + height),
                                       useFixedBase=not self.floating, flags=flags)
        except pb.error as exc:
            raise RobotModelError(f"{spec.urdf}: pybullet could not load the URDF ({exc})") from None
        world.names[self.body] = spec.name
        self.joints: dict[str, JointInfo] = {}
        self.links: dict[str, int] = {c.getBodyInfo(self.body)[0].decode(): -1}
        group_limit = {n: g for g, names in spec.joint_groups.items() for n in names}
        for i in range(c.getNumJoints(self.body)):
            info = c.getJointInfo(self.body, i)
            name, link = info[1].decode(), info[12].decode()
            g = group_limit.get(name, "")
            effort = float(spec.torque_limits.get(name, spec.torque_limits.get(g, info[10])))
            velocity = float(spec.velocity_limits.get(name, spec.velocity_limits.get(g, info[11])))
            lower, upper = float(info[8]), float(info[9])
            if lower > upper:  # pybullet reports continuous joints as (0, -1)
                lower, upper = -math.inf, math.inf
            self.joints[name] = JointInfo(i, name, info[2], lower, upper, effort, velocity, link)
            self.links[link] = i
        self._validate()
        self.movable = [j for j in self.joints.values() if j.type != pb.JOINT_FIXED]
        self.dof_index = {j.name: k for k, j in enumerate(self.movable)}  # IK / state order
        self._movable_indices = [j.index for j in self.movable]
        self._state_epoch = -1
        self._state_cache = np.zeros((3, len(self.movable)))
        base_joint_names = set(spec.base.joints.values()) if spec.base.type == "wheeled" else set()
        self.base_joints = [self.joints[spec.base.joints[k]] for k in ("x", "y", "yaw")] if base_joint_names else []
        self.controlled = [j for j in self.movable if j.name not in base_joint_names]
        self._ctrl_indices = [j.index for j in self.controlled]
        self._ctrl_dof = [self.dof_index[j.name] for j in self.controlled]
        self._ctrl_pos = {j.name: k for k, j in enumerate(self.controlled)}
        finger_force = {n: g.max_force for g in spec.grippers.values() for n in g.joints}
        self._forces = [finger_force.get(j.name, j.effort) for j in self.controlled]
        self._kp = [spec.gains_for(group_limit.get(j.name, "default")).position_gain for j in self.controlled]
        self._kd = [spec.gains_for(group_limit.get(j.name, "default")).velocity_gain for j in self.controlled]
        self._lower = np.array([j.lower for j in self.controlled])
        self._upper = np.array([j.upper for j in self.controlled])
        default_home = {n: o for g in spec.grippers.values() for n, o in zip(g.joints, g.open)}  # grippers open
        default_home.update(spec.home)
        self.home = np.array([default_home.get(j.name, float(np.clip(0.0, j.lower, j.upper))) for j in self.controlled])
        self.targets = self.home.copy()
        self._base_cmd = np.zeros(3)
        #: joints of the groups whose name contains "leg" (driven by the stance controller unless dynamic)
        self.leg_joints = [n for g, names in spec.joint_groups.items() if "leg" in g for n in names]
        # Per-joint IK damping: a stiffer shoulder roll keeps the elbow out, away from the torso.
        self._ik_damping = {n: 0.05 for n in (n for g in spec.joint_groups.values() for n in g)}
        self._ik_damping.update({n: float(v) for n, v in spec.ik_damping.items()})
        # TCP offsets of the end effectors (identity offsets are skipped: no float noise added)
        self._tcp = {k: (tuple(ee.xyz), tuple(c.getQuaternionFromEuler(ee.rpy)))
                     for k, ee in spec.end_effectors.items() if any(ee.xyz) or any(ee.rpy)}
        self._tcp_inv = {k: c.invertTransform(*v) for k, v in self._tcp.items()}
        for g in spec.grippers.values():  # make finger friction grippy and contacts stable
            for n in g.joints:
                c.changeDynamics(self.body, self.joints[n].index, lateralFriction=1.5, frictionAnchor=1)
        for n in spec.base.foot_links:  # soles grip the floor
            c.changeDynamics(self.body, self.links[n], lateralFriction=1.0)
        for a, b in spec.self_collision_exclude:
            c.setCollisionFilterPair(self.body, self.body, self.links[a], self.links[b], 0)
        self._masses = np.array([c.getDynamicsInfo(self.body, i)[0] for i in range(-1, c.getNumJoints(self.body))])
        self.mass = float(self._masses.sum())  # pybullet reports 0 kg for the root of a fixed base
        root = self.model.links.get(self.model.root or "")
        if not self.floating and root is not None and root.mass and root.mass > 0:
            self.mass += root.mass
        inertial = c.getDynamicsInfo(self.body, -1)
        self._root_inertial = (tuple(inertial[3]), tuple(inertial[4]))  # root link frame -> its inertial frame
        self._foot_indices = {self.links[n] for n in spec.base.foot_links}
        self._torso_index = self.links[spec.base.torso_link] if spec.base.torso_link else -1
        self._constraint: int | None = None
        self._inertial_orn: dict[int, tuple[float, ...]] = {}  # link -> local inertial frame rotation
        self._assist_pose = np.zeros(3)  # x, y, yaw driven by assisted locomotion
        self.stance = None
        self.spawn_height = height
        if self.floating:
            self.spawn_height = spec.base.height if spec.base.height is not None else self._standing_height()
        self.nominal_base_height = self.spawn_height
        if self.floating and spec.base.locomotion in ("stance", "assisted"):
            from humanoid_bench.sim.stance import StanceController

            self.stance = StanceController(self)
        self.reset_home()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        spec = self.spec
        def check(name: str, where: str, table: dict) -> None:
            if name not in table:
                close = difflib.get_close_matches(name, list(table), n=3, cutoff=0.0)
                raise RobotModelError(
                    f"{spec.source}: {where} names {name!r}, which is not in {spec.urdf}; closest: {close}"
                )
        for g, names in spec.joint_groups.items():
            for n in names:
                check(n, f"joint_groups.{g}", self.joints)
        for k, g in spec.grippers.items():
            for n in g.joints:
                check(n, f"grippers.{k}.joints", self.joints)
        for k, ee in spec.end_effectors.items():
            check(ee.link, f"end_effectors.{k}.link", self.links)
        for k, n in spec.base.joints.items():
            check(n, f"base.joints.{k}", self.joints)
        for n in spec.home:
            check(n, "home", self.joints)
        if spec.camera_link:
            check(spec.camera_link, "camera_link", self.links)

    # ------------------------------------------------------------------ properties
    @property
    def mobile_base(self) -> bool:
        """The action carries a base velocity command (wheeled base, or assisted legged locomotion)."""
        return bool(self.base_joints) or self.spec.assisted

    @property
    def stance_joints(self) -> list[str]:
        """Joints driven by the stance controller (not by the policy)."""
        return list(self.leg_joints) if self.stance is not None else []

    @property
    def foot_link_indices(self) -> set[int]:
        """pybullet link indices of the feet (a legged robot's feet on the floor are not a collision)."""
        return set(self._foot_indices)

    @property
    def policy_leg_joints(self) -> list[str]:
        """Leg joints the policy drives (dynamic locomotion of a floating base)."""
        return list(self.leg_joints) if self.floating and self.stance is None else []

    # ------------------------------------------------------------------ root frame
    def root_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """World pose of the root link's URDF frame (pybullet reports the root's inertial frame)."""
        c = self.client
        pos, orn = c.getBasePositionAndOrientation(self.body)
        inv_p, inv_q = c.invertTransform(*self._root_inertial)
        p, q = c.multiplyTransforms(pos, orn, inv_p, inv_q)
        return np.array(p), np.array(q)

    def set_root_pose(self, position: Sequence[float], orientation: Sequence[float] = (0, 0, 0, 1)) -> None:
        c = self.client
        p, q = c.multiplyTransforms(position, orientation, *self._root_inertial)
        c.resetBasePositionAndOrientation(self.body, p, q)
        c.resetBaseVelocity(self.body, (0, 0, 0), (0, 0, 0))
        self.world.touch()

    def _standing_height(self) -> float:
        """Root height that puts the lowest point of the foot links on the floor at the home pose."""
        c = self.client
        self.set_root_pose((0, 0, 0))
        for j, q in zip(self.controlled, self.home):
            c.resetJointState(self.body, j.index, float(q), 0.0)
        low = min(c.getAABB(self.body, i)[0][2] for i in self._foot_indices)
        return float(-low + 1e-4)

    # ------------------------------------------------------------------ state
    def reset_home(self) -> None:
        c = self.client
        for j in self.base_joints:
            c.resetJointState(self.body, j.index, 0.0, 0.0)
        if self.floating:
            self.set_root_pose((0.0, 0.0, self.spawn_height))
            self._assist_pose[:] = 0.0
        for j, q in zip(self.controlled, self.home):
            c.resetJointState(self.body, j.index, float(q), 0.0)
        self.world.touch()
        self.targets = self.home.copy()
        self._base_cmd[:] = 0.0
        if self.spec.assisted:
            self._update_assist(0.0)
        if self.stance is not None:
            self.stance.reset()
        self.apply()

    def _state(self) -> np.ndarray:
        """(3, n_movable) positions, velocities, applied torques; read once per world change."""
        if self._state_epoch != self.world.epoch:
            states = pb.getJointStates(self.body, self._movable_indices, physicsClientId=self.world.cid)
            self._state_cache = np.array([(s[0], s[1], s[3]) for s in states]).T
            self._state_epoch = self.world.epoch
        return self._state_cache

    def joint_state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions, velocities and applied torques of the controlled joints."""
        st = self._state()[:, self._ctrl_dof]
        return st[0], st[1], st[2]

    def positions(self, names: Sequence[str]) -> np.ndarray:
        return self._state()[0, [self.dof_index[n] for n in names]]

    def group(self, name: str) -> list[str]:
        try:
            return self.spec.joint_groups[name]
        except KeyError:
            raise KeyError(f"robot {self.spec.name!r} has no joint group {name!r}; groups: {sorted(self.spec.joint_groups)}") from None

    def link_name(self, index: int) -> str:
        """Name of the link with this pybullet index (-1: the root)."""
        if not hasattr(self, "_link_names"):
            self._link_names = {i: n for n, i in self.links.items()}
        return self._link_names.get(index, str(index))

    def ctrl_slots(self, names: Sequence[str]) -> list[int]:
        """Positions of these joints in the controlled-joint vector (for target arrays)."""
        return [self._ctrl_pos[n] for n in names]

    @property
    def lower(self) -> np.ndarray:
        return self._lower

    @property
    def upper(self) -> np.ndarray:
        return self._upper

    def center_of_mass(self) -> tuple[np.ndarray, np.ndarray]:
        """World position and velocity of the whole robot's centre of mass."""
        c = self.client
        pos, _ = c.getBasePositionAndOrientation(self.body)
        vel = c.getBaseVelocity(self.body)[0]
        n = c.getNumJoints(self.body)
        states = c.getLinkStates(self.body, list(range(n)), computeLinkVelocity=1)
        p = np.array([pos] + [s[0] for s in states])
        v = np.array([vel] + [s[6] for s in states])
        m = self._masses[:, None]
        return (m * p).sum(0) / self.mass, (m * v).sum(0) / self.mass

    # ------------------------------------------------------------------ poses
    def link_pose(self, link: str) -> tuple[np.ndarray, np.ndarray]:
        idx = self.links[link]
        if idx == -1:
            return self.root_pose()
        st = self.client.getLinkState(self.body, idx, computeForwardKinematics=1)
        return np.array(st[4]), np.array(st[5])

    def ee_pose(self, ee: str) -> tuple[np.ndarray, np.ndarray]:
        """World position and quaternion (x, y, z, w) of an end effector's tool frame (TCP)."""
        pos, orn = self.link_pose(self.spec.end_effectors[ee].link)
        if ee not in self._tcp:
            return pos, orn
        p, q = self.client.multiplyTransforms(pos, orn, *self._tcp[ee])
        return np.array(p), np.array(q)

    def link_velocity(self, link: str) -> np.ndarray:
        idx = self.links[link]
        if idx == -1:
            return np.array(self.client.getBaseVelocity(self.body)[0])
        return np.array(self.client.getLinkState(self.body, idx, computeLinkVelocity=1)[6])

    def base_pose(self) -> np.ndarray:
        """(x, y, yaw) of a wheeled base; the root pose projected to the plane otherwise."""
        if self.base_joints:
            return self.positions([j.name for j in self.base_joints])
        pos, orn = self.root_pose()
        yaw = self.client.getEulerFromQuaternion(orn)[2]
        return np.array([pos[0], pos[1], yaw])

    def base_frame(self) -> tuple[np.ndarray, np.ndarray]:
        """World pose of the planar base frame (z = 0, yaw only) as position and quaternion."""
        x, y, yaw = self.base_pose()
        return np.array([x, y, 0.0]), np.array(self.client.getQuaternionFromEuler((0.0, 0.0, yaw)))

    # ------------------------------------------------------------------ falls
    def fall_state(self) -> FallState:
        """DESIGN §6 fall rule for a legged (floating) base, checked in this order: root height below
        50% of its standing height (m), torso tilt above 45 deg (rad), a link other than a foot on
        the floor. Fixed and wheeled bases never fall (their base is held by the simulation)."""
        if not self.floating:
            return FallState(False, 0.0, 0.0, "")
        c = self.client
        pos, _ = self.root_pose()
        limit = FALL_HEIGHT_FRACTION * self.nominal_base_height
        if pos[2] < limit:
            return FallState(True, float(pos[2]), limit, "base_height")
        _, orn = self.root_pose() if self._torso_index == -1 else self.link_pose(self.spec.base.torso_link or "")
        up = c.getMatrixFromQuaternion(orn)[8]
        tilt = math.acos(max(-1.0, min(1.0, up)))
        if tilt > FALL_TILT:
            return FallState(True, tilt, FALL_TILT, "torso_tilt")
        for pt in c.getContactPoints(bodyA=self.body, bodyB=self.world.floor):
            if pt[3] not in self._foot_indices:
                return FallState(True, 1.0, 0.0, f"link_on_floor:{self.link_name(pt[3])}")
        return FallState(False, tilt, FALL_TILT, "")

    # ------------------------------------------------------------------ commands
    def set_targets(self, names: Sequence[str], values: Sequence[float]) -> None:
        slots = self.ctrl_slots(names)
        self.targets[slots] = np.clip(values, self._lower[slots], self._upper[slots])

    def set_base_velocity(self, vx: float, vy: float, wz: float) -> None:
        """Base velocity command in the robot frame (m/s, m/s, rad/s), clipped to the spec's limits."""
        b = self.spec.base
        if b.drive == "differential":
            vy = 0.0
        v = np.clip([vx, vy], -b.max_linear_speed, b.max_linear_speed)
        self._base_cmd[:] = (v[0], v[1], np.clip(wz, -b.max_angular_speed, b.max_angular_speed))

    def apply(self) -> None:
        """Send the current targets to the motors (one pybullet call per control mode).

        A stance controller first overwrites the leg targets; assisted locomotion moves its
        constraint by one control period of the base command.
        """
        c = self.client
        if self.stance is not None:
            legs = self.stance.update()
            self.targets[self.ctrl_slots(list(legs))] = list(legs.values())
        if self.spec.assisted:
            self._update_assist(self.world.control_dt)
        c.setJointMotorControlArray(
            self.body, self._ctrl_indices, pb.POSITION_CONTROL, targetPositions=self.targets.tolist(),
            forces=self._forces, positionGains=self._kp, velocityGains=self._kd,
        )
        if self.base_joints:
            yaw = self.positions([self.base_joints[2].name])[0]
            vx, vy, wz = self._base_cmd
            cy, sy = math.cos(yaw), math.sin(yaw)
            c.setJointMotorControlArray(
                self.body, [j.index for j in self.base_joints], pb.VELOCITY_CONTROL,
                targetVelocities=[cy * vx - sy * vy, sy * vx + cy * vy, wz],
                forces=[j.effort for j in self.base_joints],
            )

    def _update_assist(self, dt: float) -> None:
        """Assisted locomotion: a constraint carries the root at standing height along the base command."""
        c = self.client
        x, y, yaw = self._assist_pose
        vx, vy, wz = self._base_cmd
        cy, sy = math.cos(yaw), math.sin(yaw)
        self._assist_pose[:] = (x + dt * (cy * vx - sy * vy), y + dt * (sy * vx + cy * vy), yaw + dt * wz)
        x, y, yaw = self._assist_pose
        orn = c.getQuaternionFromEuler((0.0, 0.0, yaw))
        pos, q = c.multiplyTransforms((x, y, self.spawn_height), orn, *self._root_inertial)
        force = ASSIST_FORCE_FACTOR * self.mass * 9.81
        if self._constraint is None:
            self._constraint = c.createConstraint(self.body, -1, -1, -1, pb.JOINT_FIXED, (0, 0, 0), (0, 0, 0), pos,
                                                  childFrameOrientation=q)
        c.changeConstraint(self._constraint, jointChildPivot=pos, jointChildFrameOrientation=q, maxForce=force)

    # ------------------------------------------------------------------ kinematics
    def ik(self, ee: str, position: Sequence[float], orientation: Sequence[float], iterations: int = 30,
           posture: dict[str, float] | None = None) -> np.ndarray:
        """Joint positions of the end effector's arm group that put its TCP at the world pose (pybullet IK).

        Joints outside the arm are held by giving them a large damping in pybullet's damped
        least-squares solver, warm-started from the current posture; ``posture`` replaces the
        measured position of some of them (a torso on its way to its commanded posture: the arm is
        solved for where the torso will be). (pybullet's null-space
        variant, with limits and rest poses, fails to converge on this chain: measured 0.3-0.5 m
        errors; joint limits are applied when the targets are set.)
        """
        spec = self.spec.end_effectors[ee]
        arm = self.group(spec.arm)
        arm_set = set(arm)
        c = self.client
        if ee in self._tcp_inv:  # TCP target -> link target
            position, orientation = c.multiplyTransforms(position, orientation, *self._tcp_inv[ee])
        # pybullet's IK solves in the frame of the root's inertial (centre-of-mass) frame: express
        # the target there (measured: world targets are off by the root's pose otherwise).
        base_pos, base_orn = c.getBasePositionAndOrientation(self.body)
        if any(base_pos) or tuple(base_orn) != (0.0, 0.0, 0.0, 1.0):
            position, orientation = c.multiplyTransforms(*c.invertTransform(base_pos, base_orn), position, orientation)
        # ... and it matches the orientation of the link's inertial (principal-axes) frame, not of
        # the link frame: turn the target by the link's local inertial rotation.
        link = self.links[spec.link]
        inertial_orn = self._inertial_orn.get(link)
        if inertial_orn is None:
            inertial_orn = self._inertial_orn[link] = tuple(c.getDynamicsInfo(self.body, link)[4])
        if inertial_orn != (0.0, 0.0, 0.0, 1.0):
            orientation = c.multiplyTransforms((0, 0, 0), orientation, (0, 0, 0), inertial_orn)[1]
        current = self._state()[0].tolist()
        for name, value in (posture or {}).items():
            current[self.dof_index[name]] = value
        damping = [self._ik_damping.get(j.name, 0.05) if j.name in arm_set else 100.0 for j in self.movable]
        sol = c.calculateInverseKinematics(
            self.body, link, list(position), list(orientation),
            jointDamping=damping, maxNumIterations=iterations, residualThreshold=1e-4,
            currentPositions=current,
        )
        return np.array([sol[self.dof_index[n]] for n in arm])

    # ------------------------------------------------------------------ grippers
    def set_gripper(self, name: str, closure: float) -> None:
        """0 = open, 1 = closed (position targets between the spec's open and closed values)."""
        g = self.spec.grippers[name]
        closure = float(np.clip(closure, 0.0, 1.0))
        values = [o + closure * (cl - o) for o, cl in zip(g.open, g.closed)]
        self.set_targets(g.joints, values)

    def gripper_closure(self, name: str) -> float:
        """Measured closure, 0 = fully open, 1 = fully closed (mean over fingers)."""
        g = self.spec.grippers[name]
        q = self.positions(g.joints)
        span = np.array(g.closed) - np.array(g.open)
        moving = span != 0  # joints whose open and closed positions are equal do not count
        if not moving.any():
            return 0.0
        return float(np.mean((q[moving] - np.array(g.open)[moving]) / span[moving]))

    def gripper_links(self, name: str) -> list[int]:
        """Link indices that must all touch an object for the gripper to hold it."""
        g = self.spec.grippers[name]
        if g.contact_links:
            return [self.links[n] for n in g.contact_links]
        return [self.joints[n].index for n in g.joints]
