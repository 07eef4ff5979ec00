"""A robot in the world, built from a ``RobotSpec``: joint groups, end effectors, grippers, base.

Tasks and controllers use this API and never index pybullet joint arrays themselves.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from humanoid_bench.errors import RobotModelError
from humanoid_bench.sim.robot_spec import RobotSpec
from humanoid_bench.sim.world import World, pb, quiet_stdout


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


class Robot:
    def __init__(self, world: World, spec: RobotSpec, position: Sequence[float] = (0, 0, 0)) -> None:
        self.world = world
        self.spec = spec
        c = self.client = world.client
        flags = pb.URDF_USE_INERTIA_FROM_FILE
        if spec.self_collision:
            flags |= pb.URDF_USE_SELF_COLLISION | pb.URDF_USE_SELF_COLLISION_EXCLUDE_PARENT
        fixed = spec.base.type in ("fixed", "wheeled")
        try:
            with quiet_stdout():
                self.body = c.loadURDF(spec.urdf, basePosition=position, useFixedBase=fixed, flags=flags)
        except pb.error as exc:
            raise RobotModelError(f"{spec.urdf}: pybullet could not load the URDF ({exc})") from None
        world.names[self.body] = spec.name
        self.joints: dict[str, JointInfo] = {}
        self.links: dict[str, int] = {c.getBodyInfo(self.body)[0].decode(): -1}
        for i in range(c.getNumJoints(self.body)):
            info = c.getJointInfo(self.body, i)
            name, link = info[1].decode(), info[12].decode()
            effort = float(spec.torque_limits.get(name, info[10]))
            velocity = float(spec.velocity_limits.get(name, info[11]))
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
        self._forces = [j.effort for j in self.controlled]
        group_of = {n: g for g, names in spec.joint_groups.items() for n in names}
        self._kp = [spec.gains_for(group_of.get(j.name, "default")).position_gain for j in self.controlled]
        self._kd = [spec.gains_for(group_of.get(j.name, "default")).velocity_gain for j in self.controlled]
        self._lower = np.array([j.lower for j in self.controlled])
        self._upper = np.array([j.upper for j in self.controlled])
        default_home = {n: o for g in spec.grippers.values() for n, o in zip(g.joints, g.open)}  # grippers open
        default_home.update(spec.home)
        self.home = np.array([default_home.get(j.name, float(np.clip(0.0, j.lower, j.upper))) for j in self.controlled])
        self.targets = self.home.copy()
        self._base_cmd = np.zeros(3)
        # Per-joint IK damping: a stiffer shoulder roll keeps the elbow out, away from the torso.
        self._ik_damping = {n: 0.05 for n in (n for g in spec.joint_groups.values() for n in g)}
        self._ik_damping.update({n: float(v) for n, v in spec.ik_damping.items()})
        for g in spec.grippers.values():  # make finger friction grippy and contacts stable
            for n in g.joints:
                c.changeDynamics(self.body, self.joints[n].index, lateralFriction=1.5, frictionAnchor=1)
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

    # ------------------------------------------------------------------ state
    def reset_home(self) -> None:
        c = self.client
        for j in self.base_joints:
            c.resetJointState(self.body, j.index, 0.0, 0.0)
        for j, q in zip(self.controlled, self.home):
            c.resetJointState(self.body, j.index, float(q), 0.0)
        self.world.touch()
        self.targets = self.home.copy()
        self._base_cmd[:] = 0.0
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

    def ctrl_slots(self, names: Sequence[str]) -> list[int]:
        """Positions of these joints in the controlled-joint vector (for target arrays)."""
        return [self._ctrl_pos[n] for n in names]

    @property
    def lower(self) -> np.ndarray:
        return self._lower

    @property
    def upper(self) -> np.ndarray:
        return self._upper

    # ------------------------------------------------------------------ poses
    def link_pose(self, link: str) -> tuple[np.ndarray, np.ndarray]:
        idx = self.links[link]
        if idx == -1:
            pos, orn = self.client.getBasePositionAndOrientation(self.body)
        else:
            st = self.client.getLinkState(self.body, idx, computeForwardKinematics=1)
            pos, orn = st[4], st[5]
        return np.array(pos), np.array(orn)

    def ee_pose(self, ee: str) -> tuple[np.ndarray, np.ndarray]:
        """World position and quaternion (x, y, z, w) of an end effector's link."""
        return self.link_pose(self.spec.end_effectors[ee].link)

    def link_velocity(self, link: str) -> np.ndarray:
        idx = self.links[link]
        if idx == -1:
            return np.array(self.client.getBaseVelocity(self.body)[0])
        return np.array(self.client.getLinkState(self.body, idx, computeLinkVelocity=1)[6])

    def base_pose(self) -> np.ndarray:
        """(x, y, yaw) of a wheeled base; the root pose projected to the plane otherwise."""
        if self.base_joints:
            return self.positions([j.name for j in self.base_joints])
        pos, orn = self.client.getBasePositionAndOrientation(self.body)
        yaw = self.client.getEulerFromQuaternion(orn)[2]
        return np.array([pos[0], pos[1], yaw])

    def base_frame(self) -> tuple[np.ndarray, np.ndarray]:
        """World pose of the planar base frame (z = 0, yaw only) as position and quaternion."""
        x, y, yaw = self.base_pose()
        return np.array([x, y, 0.0]), np.array(self.client.getQuaternionFromEuler((0.0, 0.0, yaw)))

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
        """Send the current targets to the motors (one pybullet call per control mode)."""
        c = self.client
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

    # ------------------------------------------------------------------ kinematics
    def ik(self, ee: str, position: Sequence[float], orientation: Sequence[float], iterations: int = 30) -> np.ndarray:
        """Joint positions of the end effector's arm group that reach the world pose (pybullet IK).

        Joints outside the arm are held by giving them a large damping in pybullet's damped
        least-squares solver, warm-started from the current posture. (pybullet's null-space
        variant, with limits and rest poses, fails to converge on this chain: measured 0.3-0.5 m
        errors; joint limits are applied when the targets are set.)
        """
        spec = self.spec.end_effectors[ee]
        arm = self.group(spec.arm)
        arm_set = set(arm)
        c = self.client
        current = self._state()[0].tolist()
        damping = [self._ik_damping.get(j.name, 0.05) if j.name in arm_set else 100.0 for j in self.movable]
        sol = c.calculateInverseKinematics(
            self.body, self.links[spec.link], list(position), list(orientation),
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
        return float(np.mean((q - np.array(g.open)) / np.where(span == 0, 1, span)))

    def gripper_links(self, name: str) -> list[int]:
        return [self.joints[n].index for n in self.spec.grippers[name].joints]

