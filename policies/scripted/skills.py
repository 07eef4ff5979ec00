"""Reusable manipulation skills for scripted baselines.

A skill is a generator that yields one action per control step and reads the newest observation
from the shared ``SkillContext``; it finishes by returning ``True`` (done) or ``False`` (gave up).
Skills act only through the env's action space and read privileged state from the observation
(``env.unwrapped.obs_layout`` names its pieces); they never call the simulator.

Library: ``move_to`` (Cartesian move of one end effector), ``approach`` / ``retreat`` (vertical
moves), ``grasp`` (close and check the grip), ``release`` (open and wait), ``transport`` (carry at
a safe height), ``drive_base`` (base velocity toward a planar goal).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

SkillGen = Generator[np.ndarray, None, bool]


class SkillContext:
    """What skills share: the env's layouts, controller scales, the current observation, the action."""

    def __init__(self, env: Any) -> None:
        u = env.unwrapped
        self.obs_layout: dict[str, slice] = dict(u.obs_layout)
        self.action_layout: dict[str, slice] = dict(u.action_layout)
        self.action_dim = int(env.action_space.shape[0])
        cfg = u.controller.cfg
        self.max_pos_step = float(cfg.max_pos_step)
        self.max_rot_step = float(cfg.max_rot_step)
        self.control_dt = float(u.world.control_dt)
        self.ee_gripper = {ee: s.gripper for ee, s in u.robot.spec.end_effectors.items()}
        self.obs: np.ndarray | dict[str, np.ndarray] = np.zeros(0)
        self.info: dict[str, Any] = {}
        self.gripper_cmd = {g: -1.0 for g in u.robot.spec.grippers}  # held between skills

    def __getitem__(self, name: str) -> np.ndarray:
        if isinstance(self.obs, dict):
            return np.asarray(self.obs[name])
        return self.obs[self.obs_layout[name]]

    @property
    def speed_scale(self) -> float:
        """The env's protective speed scale of the last step (1 = full speed, 0 = monitored stop)."""
        return float(self.info.get("speed_scale", 1.0))

    def blank(self) -> np.ndarray:
        """An action that holds every arm and stops the base, with the gripper commands held."""
        a = np.zeros(self.action_dim, dtype=np.float32)
        for g, cmd in self.gripper_cmd.items():
            a[self.action_layout[f"{g}_gripper"]] = cmd
        return a

    def ee_pose(self, ee: str) -> tuple[np.ndarray, np.ndarray]:
        v = self[f"{ee}_ee_pose"]
        return v[:3], v[3:]

    def ee_target(self, ee: str) -> tuple[np.ndarray, np.ndarray]:
        v = self[f"{ee}_ee_target"]
        return v[:3], v[3:]

    def closure(self, ee: str) -> float:
        return float(self[f"{self.ee_gripper[ee]}_gripper_closure"][0])


def yaw_of(quat: np.ndarray) -> float:
    return float(Rotation.from_quat(quat).as_euler("xyz")[2])


def top_down(yaw: float) -> np.ndarray:
    """Quaternion of a tool pointing down (-z) with its fingers rotated ``yaw`` about z."""
    return Rotation.from_euler("z", yaw).as_quat()


def grasp_yaw(object_yaw: float, current_yaw: float, symmetry: float = math.pi / 2) -> float:
    """The object's yaw plus a multiple of ``symmetry`` that is closest to the tool's current yaw."""
    k = round((current_yaw - object_yaw) / symmetry)
    return object_yaw + k * symmetry


def clear_grasp_yaw(xy: np.ndarray, object_yaw: float, current_yaw: float, obstacles: np.ndarray,
                    finger_offset: float = 0.045, symmetry: float = math.pi / 2, max_yaw: float = 0.6 * math.pi) -> float:
    """Grasp yaw (object yaw + k * symmetry) whose fingers land farthest from neighbouring objects.

    Only yaws within ``max_yaw`` of the base frame's forward direction are considered (beyond it
    the wrist runs into its limits); ties (within 5 mm) go to the yaw closest to the current one.
    """
    best, best_key = object_yaw, (-math.inf, 0.0)
    base = grasp_yaw(object_yaw, current_yaw, symmetry)
    for k in (0, 1, -1, 2):
        yaw = base + k * symmetry
        if abs(yaw) > max_yaw:
            continue
        axis = np.array([-math.sin(yaw), math.cos(yaw)])  # tool y axis: the fingers' travel
        fingers = np.array([xy + finger_offset * axis, xy - finger_offset * axis])
        clearance = min((float(np.min(np.linalg.norm(fingers - o, axis=1))) for o in obstacles), default=1.0)
        key = (round(clearance / 0.005), -abs(yaw - current_yaw))
        if key > best_key:
            best, best_key = yaw, key
    return best


def ee_action(ctx: SkillContext, ee: str, pos: np.ndarray, quat: np.ndarray, speed: float = 1.0,
              out: np.ndarray | None = None) -> np.ndarray:
    """Action that moves the commanded target of ``ee`` toward (pos, quat) at most ``speed`` of the max step."""
    a = ctx.blank() if out is None else out
    tpos, tquat = ctx.ee_target(ee)
    dpos = (np.asarray(pos) - tpos) / ctx.max_pos_step
    rot = (Rotation.from_quat(quat) * Rotation.from_quat(tquat).inv()).as_rotvec() / ctx.max_rot_step
    scale = max(1.0, float(np.max(np.abs(dpos))) / speed)  # keep the direction of a clipped move
    a[ctx.action_layout[f"{ee}_ee"]] = np.concatenate([dpos / scale, np.clip(rot, -1.0, 1.0)])
    return a


def move_to(ctx: SkillContext, ee: str, pos: np.ndarray, quat: np.ndarray, tol: float = 0.004,
            speed: float = 1.0, timeout_s: float = 3.0, rot_tol: float = 0.05) -> SkillGen:
    """Move the end effector to a pose; done when the measured pose is within ``tol`` (m) and ``rot_tol`` (rad).

    The timeout counts time at full speed: while the env's protective layer slows or stops the
    robot (``info["speed_scale"]``), the skill waits instead of giving up.
    """
    budget = timeout_s
    while budget > 0.0:
        mpos, mquat = ctx.ee_pose(ee)
        rot_err = (Rotation.from_quat(quat) * Rotation.from_quat(mquat).inv()).magnitude()
        if np.linalg.norm(mpos - pos) <= tol and rot_err <= rot_tol:
            return True
        yield ee_action(ctx, ee, pos, quat, speed)
        budget -= ctx.control_dt * ctx.speed_scale
    return False


def move_many(ctx: SkillContext, targets: dict[str, tuple[np.ndarray, np.ndarray]], tol: float = 0.006,
              speed: float = 1.0, timeout_s: float = 3.0, rot_tol: float = 0.05) -> SkillGen:
    """Move several end effectors at once (bimanual work); done when all are within tolerance."""
    budget = timeout_s
    while budget > 0.0:
        done = True
        for ee, (pos, quat) in targets.items():
            mpos, mquat = ctx.ee_pose(ee)
            rot_err = (Rotation.from_quat(quat) * Rotation.from_quat(mquat).inv()).magnitude()
            done &= bool(np.linalg.norm(mpos - pos) <= tol and rot_err <= rot_tol)
        if done:
            return True
        a = ctx.blank()
        for ee, (pos, quat) in targets.items():
            ee_action(ctx, ee, pos, quat, speed, out=a)
        yield a
        budget -= ctx.control_dt * ctx.speed_scale
    return False


def approach(ctx: SkillContext, ee: str, xy: np.ndarray, z: float, yaw: float, **kw: Any) -> SkillGen:
    """Move above a point, then straight down to height ``z``."""
    hover = np.array([xy[0], xy[1], max(z + 0.08, ctx.ee_pose(ee)[0][2])])
    ok = yield from move_to(ctx, ee, hover, top_down(yaw), tol=0.01, **kw)
    if not ok:
        return False
    return (yield from move_to(ctx, ee, np.array([xy[0], xy[1], z]), top_down(yaw), speed=0.5, **kw))


def retreat(ctx: SkillContext, ee: str, z: float, speed: float = 0.7) -> SkillGen:
    """Straight up to height ``z`` keeping the orientation."""
    pos, quat = ctx.ee_target(ee)
    return (yield from move_to(ctx, ee, np.array([pos[0], pos[1], z]), quat, tol=0.01, speed=speed))


def set_gripper(ctx: SkillContext, ee: str | list[str], command: float, settle_s: float = 0.4,
                timeout_s: float = 1.5) -> SkillGen:
    """Command one gripper or several (-1 open .. +1 closed) and wait until the fingers stop moving."""
    ees = [ee] if isinstance(ee, str) else list(ee)
    for e in ees:
        ctx.gripper_cmd[ctx.ee_gripper[e]] = float(command)
    last = np.array([ctx.closure(e) for e in ees])
    min_steps = int(settle_s / ctx.control_dt)
    for k in range(int(timeout_s / ctx.control_dt)):
        yield ctx.blank()
        now = np.array([ctx.closure(e) for e in ees])
        if k >= min_steps and np.all(np.abs(now - last) < 2e-3):
            break
        last = now
    return True


def grasp(ctx: SkillContext, ee: str, empty_closure: float = 0.97) -> SkillGen:
    """Close the gripper; succeed if the fingers stopped on something (not fully closed)."""
    yield from set_gripper(ctx, ee, 1.0)
    return ctx.closure(ee) < empty_closure


def release(ctx: SkillContext, ee: str, opening: float = -0.3) -> SkillGen:
    """Open the gripper to a partial opening (so the fingers clear neighbouring parts)."""
    return (yield from set_gripper(ctx, ee, opening, settle_s=0.3))


def transport(ctx: SkillContext, ee: str, xy: np.ndarray, carry_z: float, yaw: float, speed: float = 0.8) -> SkillGen:
    """Carry at a safe height: up, across, ready to lower."""
    ok = yield from retreat(ctx, ee, carry_z)
    if not ok:
        return False
    return (yield from move_to(ctx, ee, np.array([xy[0], xy[1], carry_z]), top_down(yaw), tol=0.008, speed=speed))


def base_world(ctx: SkillContext) -> tuple[float, float, float]:
    """(x, y, yaw) of the base in the world frame."""
    x, y, c, s = ctx["base_pose"]
    return float(x), float(y), math.atan2(s, c)


def to_world(ctx: SkillContext, p_base: np.ndarray) -> np.ndarray:
    """A base-frame point (x, y, z) in the world frame."""
    x, y, yaw = base_world(ctx)
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([x + c * p_base[0] - s * p_base[1], y + s * p_base[0] + c * p_base[1], p_base[2]])


def drive_base(ctx: SkillContext, goal_xy: np.ndarray, goal_yaw: float, tol: float = 0.02, timeout_s: float = 20.0,
               gain: float = 2.0, yaw_tol: float = 0.02, speed: float = 1.0) -> SkillGen:
    """Drive a wheeled base to a planar goal (world frame) with a proportional law, at most ``speed`` of full."""
    if "base" not in ctx.action_layout:
        return False
    budget = timeout_s
    while budget > 0.0:
        budget -= ctx.control_dt * ctx.speed_scale
        x, y, c, s = ctx["base_pose"]
        yaw = math.atan2(s, c)
        dx, dy = goal_xy[0] - x, goal_xy[1] - y
        dyaw = math.atan2(math.sin(goal_yaw - yaw), math.cos(goal_yaw - yaw))
        if math.hypot(dx, dy) < tol and abs(dyaw) < yaw_tol:
            return True
        a = ctx.blank()
        # world -> robot frame
        a[ctx.action_layout["base"]] = np.clip(gain * np.array([c * dx + s * dy, -s * dx + c * dy, dyaw]), -speed, speed)
        yield a
    return False
