"""Reusable manipulation skills for scripted baselines.

A skill is a generator that yields one action per control step and reads the newest observation
from the shared ``SkillContext``; it finishes by returning ``True`` (done) or ``False`` (gave up).
Skills act only through the env's action space and read privileged state from the observation
(``env.unwrapped.obs_layout`` names its pieces); they never call the simulator.

Library:
- arms: ``move_to`` (Cartesian move of one end effector), ``move_many`` (several at once),
  ``approach`` / ``retreat`` (vertical moves), ``transport`` (carry at a safe height),
  ``move_by`` (relative move);
- grippers: ``set_gripper`` (one or several), ``grasp`` (close and check the grip), ``release``;
- torso: ``move_torso`` (lower or lean the torso; the hands keep their base-frame targets);
- base: ``drive_base`` (proportional law, optionally acceleration-limited), ``drive_base_profiled``
  (trapezoid-like profile with braking), ``base_world`` / ``to_world``;
- front work (shelves, openings): ``front_tool``, ``approach_front`` / ``retreat_front``,
  ``pick_front`` / ``place_front``;
- fixtures: ``servo_place`` (steer a held part over a nest), ``slide_handle``, ``press_button``;
- waiting: ``wait_until`` (for events the robot does not cause).
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
        self.max_torso_step = float(cfg.max_torso_step)
        #: names of the action's torso joints and where they are in ``joint_pos``
        self.torso_joints: list[str] = list(u.controller.torso_names)
        self.torso_dof = u.robot.ctrl_slots(self.torso_joints)
        self.torso_home = u.robot.home[self.torso_dof].copy()
        self.control_dt = float(u.world.control_dt)
        self.ee_gripper = {ee: s.gripper for ee, s in u.robot.spec.end_effectors.items()}
        #: the robot's YAML description (robot-specific skill parameters, e.g. a hand's ``grasp``)
        self.robot_spec = u.robot.spec
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


def move_torso(ctx: SkillContext, goal: Any, tol: float = 0.01, speed: float = 1.0, timeout_s: float = 5.0,
               hold: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> SkillGen:
    """Drive the torso joints (``ctx.torso_joints`` order) to ``goal``; done when each is within ``tol``.

    The hands keep their base-frame targets (the controller solves their IK for the new torso
    posture), or move to the ``hold`` poses at the same time. False without a torso in the action.
    """
    if not ctx.torso_joints:
        return False
    goal = np.asarray(goal, float)
    budget = timeout_s
    while budget > 0.0:
        measured = ctx["joint_pos"][ctx.torso_dof]
        if np.all(np.abs(measured - goal) <= tol):
            return True
        a = ctx.blank()
        a[ctx.action_layout["torso"]] = np.clip((goal - ctx["torso_target"]) / ctx.max_torso_step, -speed, speed)
        for ee, (pos, quat) in (hold or {}).items():
            ee_action(ctx, ee, pos, quat, out=a)
        yield a
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
               gain: float = 2.0, yaw_tol: float = 0.02, speed: float = 1.0, ramp_s: float | None = None) -> SkillGen:
    """Drive a mobile base to a planar goal (world frame) with a proportional law, at most ``speed`` of full.

    With ``ramp_s`` the command changes by at most 1/``ramp_s`` of full speed per second, for
    driving with a payload held by friction: a step in the base velocity is an acceleration spike
    the grip has to take (full speed 0.8 m/s, ``ramp_s`` 1 s: 0.8 m/s^2). Near the goal the
    proportional law slows the base down at about ``gain`` / s.
    """
    if "base" not in ctx.action_layout:
        return False
    cmd = np.zeros(3)  # normalized base command, robot frame
    budget = timeout_s
    while budget > 0.0:
        budget -= ctx.control_dt * ctx.speed_scale
        x, y, c, s = ctx["base_pose"]
        yaw = math.atan2(s, c)
        dx, dy = goal_xy[0] - x, goal_xy[1] - y
        dyaw = math.atan2(math.sin(goal_yaw - yaw), math.cos(goal_yaw - yaw))
        if math.hypot(dx, dy) < tol and abs(dyaw) < yaw_tol:
            return True
        # world -> robot frame
        want = np.clip(gain * np.array([c * dx + s * dy, -s * dx + c * dy, dyaw]), -speed, speed)
        if ramp_s is None:
            cmd = want
        else:
            step = ctx.control_dt / ramp_s
            cmd = cmd + np.clip(want - cmd, -step, step)
        a = ctx.blank()
        a[ctx.action_layout["base"]] = cmd
        yield a
    return False


def wait_until(ctx: SkillContext, condition: Any, timeout_s: float = 10.0) -> SkillGen:
    """Hold still (arms at their targets, base stopped, grippers as commanded) until ``condition()``.

    For events the robot does not cause: a part arriving on a conveyor, a machine finishing its
    cycle, a person leaving. ``condition`` reads ``ctx`` (the newest observation) and returns
    True (done), False (keep waiting) or None (give up: it can no longer happen). The timeout
    counts time at full speed, as in ``move_to``.
    """
    budget = timeout_s
    while budget > 0.0:
        state = condition()
        if state is None:
            return False
        if state:
            return True
        yield ctx.blank()
        budget -= ctx.control_dt * max(ctx.speed_scale, 1e-3)
    return False



# ------------------------------------------------------------------ front (horizontal) work
# Shelves, racks and machine openings are entered from the front: the tool points horizontally and
# moves in and out along its heading, since a top-down approach cannot pass under the board above.


def front_tool(yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    """Quaternion of a tool pointing horizontally along heading ``yaw`` (base frame), ``pitch`` rad down.

    The fingers close horizontally (along the tool's y axis): a side grasp of an upright object.
    """
    return (Rotation.from_euler("z", yaw) * Rotation.from_euler("y", pitch - math.pi / 2)).as_quat()


def tool_heading(quat: np.ndarray) -> np.ndarray:
    """Horizontal unit direction (base frame) the tool points along (its -z axis on the floor plane)."""
    d = Rotation.from_quat(quat).apply([0.0, 0.0, -1.0])
    d[2] = 0.0
    n = float(np.linalg.norm(d))
    return d / n if n > 1e-6 else np.array([1.0, 0.0, 0.0])


def move_by(ctx: SkillContext, ee: str, delta: np.ndarray, speed: float = 0.5, tol: float = 0.004, **kw: Any) -> SkillGen:
    """Move the tool by a base-frame offset from its commanded pose, keeping the orientation."""
    pos, quat = ctx.ee_target(ee)
    return (yield from move_to(ctx, ee, pos + np.asarray(delta, float), quat, tol=tol, speed=speed, **kw))


def approach_front(ctx: SkillContext, ee: str, pos: np.ndarray, yaw: float = 0.0, standoff: float = 0.10,
                   pitch: float = 0.0, speed: float = 0.5, **kw: Any) -> SkillGen:
    """Horizontal approach: to ``standoff`` short of ``pos`` along the heading ``yaw``, then straight in."""
    quat = front_tool(yaw, pitch)
    heading = np.array([math.cos(yaw), math.sin(yaw), 0.0])
    pos = np.asarray(pos, float)
    if not (yield from move_to(ctx, ee, pos - standoff * heading, quat, tol=0.01, **kw)):
        return False
    return (yield from move_to(ctx, ee, pos, quat, speed=speed, **kw))


def retreat_front(ctx: SkillContext, ee: str, distance: float, speed: float = 0.7, **kw: Any) -> SkillGen:
    """Straight back out along the tool's heading by ``distance``, keeping height and orientation."""
    pos, quat = ctx.ee_target(ee)
    return (yield from move_to(ctx, ee, pos - distance * tool_heading(quat), quat, tol=0.01, speed=speed, **kw))


def pick_front(ctx: SkillContext, ee: str, pos: np.ndarray, yaw: float = 0.0, standoff: float = 0.10,
               lift: float = 0.02, back_out: float = 0.10, opening: float = -1.0, pitch: float = 0.0,
               **kw: Any) -> SkillGen:
    """Side grasp through a front opening: open, approach horizontally to the TCP goal ``pos``, close,
    lift by ``lift`` and back out by ``back_out``. False when the approach or the grasp fails (the
    hand is then still in the opening: open it and ``retreat_front``)."""
    yield from set_gripper(ctx, ee, opening, settle_s=0.1)
    if not (yield from approach_front(ctx, ee, pos, yaw, standoff, pitch, **kw)):
        return False
    if not (yield from grasp(ctx, ee)):
        return False
    if lift > 0.0:
        yield from move_by(ctx, ee, np.array([0.0, 0.0, lift]), speed=0.4, tol=0.008)
    if back_out > 0.0:
        yield from retreat_front(ctx, ee, back_out)
    return True


def place_front(ctx: SkillContext, ee: str, pos: np.ndarray, yaw: float = 0.0, lift: float = 0.02,
                standoff: float = 0.12, back_out: float = 0.12, opening: float = -1.0, pitch: float = 0.0,
                **kw: Any) -> SkillGen:
    """Set a held object down through a front opening: in ``lift`` above the TCP goal ``pos``, down,
    let go (``opening``), back out by ``back_out``."""
    pos = np.asarray(pos, float)
    if not (yield from approach_front(ctx, ee, pos + np.array([0.0, 0.0, lift]), yaw, standoff, pitch, **kw)):
        return False
    yield from move_to(ctx, ee, pos, front_tool(yaw, pitch), speed=0.3, timeout_s=1.5)
    yield from set_gripper(ctx, ee, opening, settle_s=0.3)
    return (yield from retreat_front(ctx, ee, back_out))


def drive_base_profiled(ctx: SkillContext, goal_xy: np.ndarray, goal_yaw: float, tol: float = 0.01,
                        yaw_tol: float = 0.02, ramp_s: float = 0.5, brake: float = 2.0, end_gain: float = 10.0,
                        timeout_s: float = 20.0, speed: float = 1.0) -> SkillGen:
    """Drive a mobile base to a planar goal (world frame) on a trapezoid-like speed profile.

    The command (a fraction of full speed) rises by at most 1/``ramp_s`` per second, falls as
    sqrt(2 ``brake`` d) (a deceleration of ``brake`` * v_max^2: 1.3 m/s^2 at 0.8 m/s) and ends as
    ``end_gain`` * d, so a drive takes about distance / top speed plus the ramps instead of the
    long exponential tail of the proportional law in ``drive_base``; the bounded acceleration also
    spares a payload held by friction. Yaw (d in rad) follows the same law.
    """
    if "base" not in ctx.action_layout:
        return False
    cmd = np.zeros(3)  # normalized command, robot frame
    budget = timeout_s
    while budget > 0.0:
        budget -= ctx.control_dt * ctx.speed_scale
        x, y, c, s = ctx["base_pose"]
        yaw = math.atan2(s, c)
        d = np.array([c * (goal_xy[0] - x) + s * (goal_xy[1] - y), -s * (goal_xy[0] - x) + c * (goal_xy[1] - y)])
        dist = float(np.linalg.norm(d))
        dyaw = math.atan2(math.sin(goal_yaw - yaw), math.cos(goal_yaw - yaw))
        if dist < tol and abs(dyaw) < yaw_tol:
            return True
        want = np.zeros(3)
        if dist > 1e-9:
            want[:2] = min(speed, math.sqrt(2.0 * brake * dist), end_gain * dist) * d / dist
        want[2] = math.copysign(min(speed, math.sqrt(2.0 * brake * abs(dyaw)), end_gain * abs(dyaw)), dyaw)
        rise = ctx.control_dt / ramp_s
        up = np.abs(want) > np.abs(cmd)  # speeding up is ramped; slowing down follows the profile
        cmd = np.where(up, cmd + np.clip(want - cmd, -rise, rise), want)
        a = ctx.blank()
        a[ctx.action_layout["base"]] = cmd
        yield a
    return False


# ---------------------------------------------------------------- fixtures: placing in a nest, handles, buttons
def servo_place(ctx: SkillContext, ee: str, held: Any, goal_xy: np.ndarray, z: float, yaw: float,
                speed: float = 0.4, tol: float = 0.002, timeout_s: float = 3.0) -> SkillGen:
    """Lower a held object to TCP height ``z`` keeping the object itself (not the TCP) over ``goal_xy``.

    Parallel grippers whose fingers are driven separately hold a part by equal and opposite forces,
    so the part can shift along the fingers' travel while carried; reading where the part is
    (``held()``, base frame) at every step and steering the TCP by the error places it where the
    fixture is. Done when the TCP is at ``z`` and the part within ``tol`` of the goal.
    """
    budget = timeout_s
    while budget > 0.0:
        tcp, _ = ctx.ee_pose(ee)
        err = np.asarray(goal_xy, float) - np.asarray(held(), float)[:2]
        if abs(tcp[2] - z) <= 0.003 and float(np.linalg.norm(err)) <= tol:
            return True
        target_z = max(z, tcp[2] - 0.01) if float(np.linalg.norm(err)) <= 4 * tol else tcp[2]  # descend once aligned
        yield ee_action(ctx, ee, np.array([tcp[0] + err[0], tcp[1] + err[1], target_z]), top_down(yaw), speed)
        budget -= ctx.control_dt * ctx.speed_scale
    return False



def slide_handle(ctx: SkillContext, ee: str, grip: np.ndarray, yaw: float, displacement: np.ndarray,
                 lift: float = 0.05, speed: float = 0.5, timeout_s: float = 4.0) -> SkillGen:
    """Pinch a handle at ``grip`` (TCP position, base frame) from above and slide it by ``displacement``.

    For doors, drawers and slides on a prismatic joint: approach, close on the handle, move the
    hand (the joint's friction is overcome by the pinch's friction), let go, lift by ``lift``.
    Returns whether the hand reached the end of the slide.
    """
    yield from set_gripper(ctx, ee, -0.6, settle_s=0.2)
    grip = np.asarray(grip, float)
    yield from retreat(ctx, ee, max(float(ctx.ee_pose(ee)[0][2]), float(grip[2]) + lift))
    ok = yield from move_to(ctx, ee, grip + np.array([0.0, 0.0, lift]), top_down(yaw), tol=0.01)
    if not (ok and (yield from move_to(ctx, ee, grip, top_down(yaw), speed=0.5))):
        yield from retreat(ctx, ee, float(grip[2]) + lift)
        return False
    if not (yield from grasp(ctx, ee)):
        yield from set_gripper(ctx, ee, -0.6, settle_s=0.2)
        yield from retreat(ctx, ee, float(grip[2]) + lift)
        return False
    length = float(np.linalg.norm(displacement))
    overshoot = np.asarray(displacement, float) * (1.0 + 0.003 / length) if length > 0 else displacement
    ok = yield from move_to(ctx, ee, grip + overshoot, top_down(yaw), tol=0.004, speed=speed, timeout_s=timeout_s)
    yield from set_gripper(ctx, ee, -1.0, settle_s=0.2)
    yield from retreat(ctx, ee, float(ctx.ee_target(ee)[0][2]) + 1.5 * lift)
    return ok


def press_button(ctx: SkillContext, ee: str, cap_top: np.ndarray, depth: Any, press_depth: float,
                 hover: float = 0.06, speed: float = 0.15, max_push: float = 0.08) -> SkillGen:
    """Press a push button from above with the closed fingers until ``depth()`` reads ``press_depth``.

    The fingertips' offset below the TCP differs between robots, so the hand comes down slowly from
    ``hover`` above the cap and stops on the button's own reading (its joint displacement), not at
    a computed height. ``depth`` is a callable returning the current reading (m); it then lifts back to the hover height.
    """
    above = np.asarray(cap_top, float) + np.array([0.0, 0.0, hover])
    yaw = yaw_of(ctx.ee_pose(ee)[1])
    over = np.array([above[0], above[1], max(above[2], float(ctx.ee_pose(ee)[0][2]))])  # across first, then down
    if not (yield from move_to(ctx, ee, over, top_down(yaw), tol=0.01)):
        return False
    yield from set_gripper(ctx, ee, 1.0, settle_s=0.2)  # closed fingers press (closed only here: nothing to catch)
    if not (yield from move_to(ctx, ee, above, top_down(yaw), tol=0.006)):
        return False
    bottom = above - np.array([0.0, 0.0, hover + max_push])
    pressed = False
    budget = (hover + max_push) / (speed * ctx.max_pos_step / ctx.control_dt) + 1.0
    while budget > 0.0 and not pressed:
        yield ee_action(ctx, ee, bottom, top_down(yaw), speed)
        budget -= ctx.control_dt * ctx.speed_scale
        pressed = depth() >= press_depth
    yield from move_to(ctx, ee, above, top_down(yaw), tol=0.01)
    return pressed
