"""Controllers: turn a normalized action in [-1, 1] into joint targets and base velocity.

Modes (``control_mode=``):
- ``ee_delta_pose`` (default): per end effector, a position step (m) and a rotation-vector step
  (rad) in the base frame, added to the commanded target pose; pybullet IK turns the target into
  arm joint targets. The commanded target is part of the observation and stays within
  ``max_lead`` of the measured pose, so a blocked arm does not wind up.
- ``joint_position``: absolute targets over each joint's range.
- ``joint_delta``: joint target steps of at most ``max_joint_step`` rad (or m).
Every mode adds base velocity (x, y, yaw; for a wheeled base, and for a legged base with assisted
locomotion) and one scalar per gripper (-1 open .. +1 closed). Legs under a stance controller are
not in the action; with dynamic locomotion ``ee_delta_pose`` adds ``legs`` (joint steps).
``ee_delta_pose`` also has ``torso`` (joint steps of at most ``max_torso_step`` for the robot's
``torso`` joint group, when it has one): lowering or leaning the torso is how a humanoid reaches a
bottom shelf. End-effector targets are in the base frame, so they stay put while the torso moves:
the arms' IK is solved again for the torso's commanded posture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from humanoid_bench.errors import ConfigError
from humanoid_bench.sim.robot import Robot

CONTROL_MODES = ("ee_delta_pose", "joint_position", "joint_delta")


@dataclass
class ControllerConfig:
    max_pos_step: float = 0.015  # m per control step (0.45 m/s at 30 Hz)
    max_rot_step: float = 0.10  # rad per control step
    max_joint_step: float = 0.05  # rad (or m) per control step
    max_lead: float = 0.05  # m: how far the commanded EE target may lead the measured pose
    max_torso_step: float = 0.01  # rad (or m) per control step for the torso joints (0.3 rad/s at 30 Hz)
    ik_iterations: int = 8


def _quat_from_rotvec(v: np.ndarray, q: np.ndarray) -> np.ndarray:
    return (Rotation.from_rotvec(v) * Rotation.from_quat(q)).as_quat()


class Controller:
    def __init__(self, robot: Robot, mode: str, config: ControllerConfig | None = None) -> None:
        if mode not in CONTROL_MODES:
            raise ConfigError(f"control_mode {mode!r} is not known; valid modes: {', '.join(CONTROL_MODES)}")
        self.robot = robot
        self.mode = mode
        self.cfg = config or ControllerConfig()
        spec = robot.spec
        self.ees = list(spec.end_effectors)
        self.grippers = list(spec.grippers)
        gripper_joints = {n for g in spec.grippers.values() for n in g.joints}
        stance_joints = set(robot.stance_joints)  # legs under a stance controller are not the policy's
        self.joint_names = [j.name for j in robot.controlled if j.name not in gripper_joints | stance_joints]
        self.leg_names = list(robot.policy_leg_joints)  # dynamic legged locomotion: the policy drives the legs
        torso = spec.joint_groups.get("torso", [])
        self.torso_names = [n for n in torso if n in self.joint_names] if mode == "ee_delta_pose" else []
        self._joint_slots = robot.ctrl_slots(self.joint_names)
        layout: dict[str, slice] = {}
        n = 0

        def add(name: str, size: int) -> None:
            nonlocal n
            layout[name] = slice(n, n + size)
            n += size

        if robot.mobile_base:
            add("base", 3)
        if mode == "ee_delta_pose":
            if self.leg_names:
                add("legs", len(self.leg_names))
            if self.torso_names:
                add("torso", len(self.torso_names))
            for ee in self.ees:
                add(f"{ee}_ee", 6)
                g = spec.end_effectors[ee].gripper
                if g:
                    add(f"{g}_gripper", 1)
            for g in self.grippers:
                if f"{g}_gripper" not in layout:
                    add(f"{g}_gripper", 1)
        else:
            add("joints", len(self.joint_names))
            for g in self.grippers:
                add(f"{g}_gripper", 1)
        self.layout = layout
        self.action_dim = n
        self.ee_targets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._ik_cache: dict[str, np.ndarray] = {}
        self._torso_slots = robot.ctrl_slots(self.torso_names)
        #: whether the policy has moved the torso since reset: from then on the arms' IK solves for the
        #: torso's targets (until then it starts from the measured posture, as without a torso action)
        self._torso_moved = False

    # ------------------------------------------------------------------
    def reset(self) -> None:
        self.ee_targets = {ee: self.measured_ee(ee) for ee in self.ees}
        self._ik_cache = {}
        self._torso_moved = False

    def torso_targets(self) -> np.ndarray:
        """Commanded positions of the torso joints of the action (empty without a torso slice)."""
        return self.robot.targets[self._torso_slots].copy()

    def measured_ee(self, ee: str) -> tuple[np.ndarray, np.ndarray]:
        """End-effector pose in the base frame."""
        c = self.robot.client
        bpos, bquat = self.robot.base_frame()
        pos, quat = self.robot.ee_pose(ee)
        inv_p, inv_q = c.invertTransform(bpos, bquat)
        p, q = c.multiplyTransforms(inv_p, inv_q, pos, quat)
        return np.array(p), np.array(q)

    def nominal_speed(self, control_dt: float) -> float:
        """Fastest Cartesian speed an action can command (m/s): the EE step or the base speed."""
        base = self.robot.spec.base.max_linear_speed if self.robot.mobile_base else 0.0
        return max(self.cfg.max_pos_step / control_dt, base)

    def apply(self, action: np.ndarray, speed_scale: float = 1.0) -> None:
        """Apply a normalized action; ``speed_scale`` in [0, 1] slows every motion (0 holds still)."""
        robot, cfg = self.robot, self.cfg
        lay = self.layout
        if speed_scale <= 0.0:
            self.hold()
            for g in self.grippers:
                robot.set_gripper(g, (float(action[lay[f"{g}_gripper"]][0]) + 1.0) / 2.0)
            robot.apply()
            return
        if speed_scale < 1.0:
            action = action.copy()
            for name, sl in lay.items():
                if not name.endswith("_gripper") and self.mode != "joint_position":
                    action[sl] *= speed_scale
        if "base" in lay:
            a = action[lay["base"]]
            b = robot.spec.base
            robot.set_base_velocity(a[0] * b.max_linear_speed, a[1] * b.max_linear_speed, a[2] * b.max_angular_speed)
        for g in self.grippers:
            robot.set_gripper(g, (float(action[lay[f"{g}_gripper"]][0]) + 1.0) / 2.0)
        if self.mode == "ee_delta_pose":
            if "legs" in lay:
                legs = robot.ctrl_slots(self.leg_names)
                robot.set_targets(self.leg_names, robot.targets[legs] + action[lay["legs"]] * cfg.max_joint_step)
            if "torso" in lay and np.any(action[lay["torso"]] != 0.0):
                step = action[lay["torso"]] * cfg.max_torso_step
                robot.set_targets(self.torso_names, robot.targets[self._torso_slots] + step)
                self._torso_moved = True
            for ee in self.ees:
                self._ee_step(ee, action[lay[f"{ee}_ee"]])
        elif self.mode == "joint_position":
            lo, hi = robot.lower[self._joint_slots], robot.upper[self._joint_slots]
            goal = lo + (action[lay["joints"]] + 1.0) / 2.0 * (hi - lo)
            current = robot.targets[self._joint_slots]
            robot.set_targets(self.joint_names, current + speed_scale * (goal - current))
        else:
            current = robot.targets[self._joint_slots]
            robot.set_targets(self.joint_names, current + action[lay["joints"]] * cfg.max_joint_step)
        robot.apply()

    def hold(self) -> None:
        """Protective stop: every motion target becomes the measured state (arms halt where they are)."""
        q, _, _ = self.robot.joint_state()
        self.robot.set_targets(self.joint_names, q[self._joint_slots])
        self.robot.set_base_velocity(0.0, 0.0, 0.0)
        self.ee_targets = {ee: self.measured_ee(ee) for ee in self.ees}
        self._ik_cache = {ee: self._ik_key(*self.ee_targets[ee]) for ee in self.ees}

    def _posture(self) -> dict[str, float] | None:
        """The torso posture the arms' IK solves for (None: the measured one)."""
        if not self._torso_moved:
            return None
        return dict(zip(self.torso_names, self.robot.targets[self._torso_slots].tolist()))

    def _ik_key(self, pos: np.ndarray, quat: np.ndarray) -> np.ndarray:
        """What an arm's IK solution depends on: its base-frame target and the torso's commanded posture."""
        if not self._torso_moved:
            return np.concatenate([pos, quat])
        return np.concatenate([pos, quat, self.robot.targets[self._torso_slots]])

    def _ee_step(self, ee: str, a: np.ndarray) -> None:
        cfg = self.cfg
        pos, quat = self.ee_targets[ee]
        if np.any(a != 0.0):
            pos = pos + a[:3] * cfg.max_pos_step
            measured, _ = self.measured_ee(ee)
            lead = pos - measured
            dist = float(np.linalg.norm(lead))
            if dist > cfg.max_lead:
                pos = measured + lead * (cfg.max_lead / dist)
            if np.any(a[3:] != 0.0):
                quat = _quat_from_rotvec(a[3:] * cfg.max_rot_step, quat)
            self.ee_targets[ee] = (pos, quat)
        key = self._ik_key(pos, quat)
        cached = self._ik_cache.get(ee)
        if cached is not None and np.array_equal(cached, key):
            return  # same target in the base frame and same torso posture: the arm's joint targets stand
        c = self.robot.client
        bpos, bquat = self.robot.base_frame()
        wpos, wquat = c.multiplyTransforms(bpos, bquat, pos, quat)
        arm = self.robot.group(self.robot.spec.end_effectors[ee].arm)
        self.robot.set_targets(arm, self.robot.ik(ee, wpos, wquat, iterations=cfg.ik_iterations,
                                                  posture=self._posture()))
        self._ik_cache[ee] = key
