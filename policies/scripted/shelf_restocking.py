"""Scripted ShelfRestocking baseline: side-grasp an item in the tote, carry it along the shelf, slide it in.

Built from the shared skills: ``drive_base_profiled``, ``move_to`` / ``move_many``, ``set_gripper``
and the front skills (``front_tool``, ``pick_front``, ``approach_front``, ``place_front``,
``retreat_front``: horizontal moves into and out of an opening). One hand (the one on the tote's
side) does every item; the holonomic base lines it up with the tote cell or the shelf slot and
stands farther back for high slots; for the bottom shelf ``move_torso`` lowers and leans the torso
(the other hand tucked in) before the hand goes down, and raises it again for the tote. Where the item sits in the grip is read again before it goes
into the shelf and once more over the slot (items slip and pivot a little between the pads).
Reads item, slot and landmark data from the observation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from humanoid_bench.policies.scripted.skills import (
    SkillContext,
    SkillGen,
    approach_front,
    base_world,
    drive_base_profiled,
    front_tool,
    move_many,
    move_to,
    move_torso,
    pick_front,
    place_front,
    retreat_front,
    set_gripper,
    to_world,
)
from scipy.spatial.transform import Rotation

WORK_DISTANCE = (0.36, 0.43)  # base centre to the front plane for TCP heights up to 1.06 m / from 1.16 m
GRIP_ABOVE_BOTTOM = 0.08  # grasp this high on the item (above the tote rim, below the shortest top)
CLEARANCE = 0.015  # item bottom above the rim or board it passes over
PLACE_DROP = -0.002  # set the item down this far below its resting height: the board squares it up in the grip
FINGER_REACH = 0.04  # fingertips beyond the TCP, plus margin: the TCP stays this far out of an opening
ITEM_MARGIN = 0.04  # a held item's face stays this far out of an opening while the base drives
SHIFT_SPEED = 0.1  # of the max EE step: 4.5 cm/s for sideways corrections with an item in the grip
DRIVE_TOL = 0.015  # m; the arm takes up what the base leaves (targets are read after the drive)
# The low torso posture, by joint (m, rad), of a lift-and-pitch torso like wheeled_humanoid's: at
# home a forward-pointing tool reaches down to 0.80 m; lowered and leaning it reaches 0.30 m
# (measured with the robot's IK), with the head and chest still 6 cm short of the shelf's front
# plane at the work distance. A robot whose torso lacks these joints keeps its home posture (the
# biped's waist cannot lower its shoulders: the bottom shelf is out of its reach).
HOME_POSTURE_MIN_Z = 0.75  # TCP heights below this are worked with the torso lowered
LOW_POSTURE = {"torso_lift": -0.25, "torso_pitch": 0.3}
IDLE_HAND = (0.25, 1.05, 0.62)  # x, and z at the home and at the low posture, of a hand that is not working


def _work_distance(tcp_z: float) -> float:
    """Stand farther back for high work: near the shoulders the elbow folds onto its limit."""
    lo, hi = WORK_DISTANCE
    return float(np.clip(lo + (tcp_z - 1.06) / 0.10 * (hi - lo), lo, hi))


def _goto(ctx: SkillContext, ee: str, x: float, z: float, **kw: Any) -> SkillGen:
    """Reposition the forward-pointing hand (base frame) in two straight moves that keep the elbow off
    its limit: down before pulling in, out before going up."""
    pos, _ = ctx.ee_target(ee)
    mid = np.array([pos[0], pos[1], z]) if x < pos[0] else np.array([x, pos[1], pos[2]])
    yield from move_to(ctx, ee, mid, front_tool(), tol=0.015, **kw)
    return (yield from move_to(ctx, ee, np.array([x, pos[1], z]), front_tool(), tol=0.01, **kw))


def _shift(ctx: SkillContext, ee: str, y: float) -> SkillGen:
    """Move the hand sideways (along the grip axis) to base-frame ``y``, slowly. The two fingers are
    driven separately and both press at their force limit, so along that axis the item and the
    pads move freely against the finger joints' damping only: a brisk move leaves the item behind
    (up to the fingers' travel, 2 cm for a box), a slow one carries it along."""
    pos, quat = ctx.ee_target(ee)
    if abs(float(pos[1]) - y) < 0.002:
        return True
    return (yield from move_to(ctx, ee, np.array([pos[0], y, pos[2]]), quat, speed=SHIFT_SPEED, tol=0.003,
                               timeout_s=4.0))


def _can_lower(ctx: SkillContext) -> bool:
    """The robot's torso has the joints of ``LOW_POSTURE``."""
    return set(LOW_POSTURE) <= set(ctx.torso_joints)


def _posture(ctx: SkillContext, ee: str, tcp_z: float, hold: np.ndarray) -> SkillGen:
    """Lower the torso for work below ``HOME_POSTURE_MIN_Z`` or raise it back to its home posture,
    while the hand moves to ``hold`` (base frame, pointing forward, out of every opening)."""
    if not _can_lower(ctx):
        return True
    low = tcp_z < HOME_POSTURE_MIN_Z
    goal = np.array([LOW_POSTURE[n] if low else h for n, h in zip(ctx.torso_joints, ctx.torso_home)])
    if np.allclose(ctx["torso_target"], goal, atol=1e-6):
        return True
    # the other hands tucked in close to the body, below the shoulders of the new posture
    idle = {e: (np.array([IDLE_HAND[0], float(ctx.ee_target(e)[0][1]), IDLE_HAND[2 if low else 1]]), front_tool())
            for e in ctx.ee_gripper if e != ee}
    return (yield from move_torso(ctx, goal, hold={ee: (hold, front_tool()), **idle}, timeout_s=6.0))


def _pick(ctx: SkillContext, ee: str, i: int, front: float, support_z: float) -> SkillGen:
    """Side grasp of item ``i`` behind the front plane at base-frame x ``front``; lift it over
    ``support_z`` and pull it out of the opening."""
    pos = ctx["item_pos"].reshape(-1, 3)[i]
    half = ctx["item_size"].reshape(-1, 3)[i]
    bottom = pos[2] - half[2]
    goal = np.array([pos[0], pos[1], bottom + min(GRIP_ABOVE_BOTTOM, 2 * half[2] - 0.03)])
    if not (yield from pick_front(ctx, ee, goal, standoff=max(0.04, goal[0] - (front - FINGER_REACH)),
                                  lift=max(0.0, support_z + CLEARANCE - bottom), back_out=0.0)):
        return False
    # out gently: a brisk pull makes a heavy item pivot in the grip (the pads hold little torque)
    yield from retreat_front(ctx, ee, max(0.0, goal[0] - (front - half[1] - ITEM_MARGIN)), speed=0.4)
    return True


def _let_go(ctx: SkillContext, ee: str, front: float) -> SkillGen:
    """Open and pull the hand out of the opening (after a failed grasp)."""
    yield from set_gripper(ctx, ee, -1.0, settle_s=0.2)
    back = float(ctx.ee_target(ee)[0][0]) - (front - FINGER_REACH)
    if back > 0:
        yield from retreat_front(ctx, ee, back)


def shelf_restocking_script(ctx: SkillContext) -> SkillGen:
    """Restock every item: tote (or a misplaced shelf item) -> nearest free gap of its kind; three tries per item."""
    ee = max(ctx.ee_gripper, key=lambda e: float(ctx.ee_pose(e)[0][1]))  # the hand on the tote's side
    lateral = float(ctx.ee_pose(ee)[0][1])
    attempts: dict[int, int] = {}
    shelf_w, tote_w, rim = (float(v) for v in ctx["landmarks"])
    can_lower = _can_lower(ctx)
    # every hand pointing forward, pulled back, before the base drives up to the shelf
    yield from move_many(ctx, {e: (np.array([0.32, float(ctx.ee_pose(e)[0][1]), rim + 0.08]), front_tool())
                               for e in ctx.ee_gripper}, tol=0.015)
    while True:
        items = ctx["item_pos"].reshape(-1, 3)
        sizes = ctx["item_size"].reshape(-1, 3)
        kinds = ctx["item_kind"].reshape(len(items), -1).argmax(1)
        slots = ctx["slot_pos"].reshape(-1, 3)
        one_hot = ctx["slot_kind"].reshape(len(slots), -1)
        slot_kinds = np.where(one_hot.max(1) > 0.5, one_hot.argmax(1), -1)  # -1: stocked, not in this order
        world = [to_world(ctx, p) for p in items]
        slots_w = [to_world(ctx, p) for p in slots]
        # gaps too low for a torso that cannot lower stay empty: an item let go short of the board falls
        free = [s for s in range(len(slots)) if ctx["slot_filled"][s] < 0.5
                and (can_lower or slots_w[s][2] + GRIP_ABOVE_BOTTOM >= HOME_POSTURE_MIN_Z)]
        upright = [Rotation.from_quat(q).apply([0, 0, 1.0])[2] > 0.95 for q in ctx["item_quat"].reshape(-1, 4)]
        todo = [i for i in range(len(items)) if ctx["item_placed"][i] < 0.5 and upright[i] and world[i][2] > 0.5
                and attempts.get(i, 0) < 3 and any(slot_kinds[s] == kinds[i] for s in free)]
        if not todo:
            yield ctx.blank()
            continue
        _, by, _ = base_world(ctx)
        i = min(todo, key=lambda k: (round(world[k][0] - tote_w, 1), abs(world[k][1] - by - lateral)))  # front row first
        attempts[i] = attempts.get(i, 0) + 1
        in_tote = world[i][1] > max(p[1] for p in slots_w) + 0.12
        front_w, support_z = (tote_w, rim) if in_tote else (shelf_w, world[i][2] - sizes[i][2])
        # --- to the item: hand out of the way, drive, grasp from the side
        grip_z = world[i][2] - sizes[i][2] + min(GRIP_ABOVE_BOTTOM, 2 * sizes[i][2] - 0.03)
        wd = _work_distance(grip_z)
        x = min(float(ctx.ee_target(ee)[0][0]), wd - FINGER_REACH)
        yield from _posture(ctx, ee, grip_z, np.array([x, float(ctx.ee_target(ee)[0][1]), grip_z]))
        yield from _goto(ctx, ee, x, grip_z)
        yield from drive_base_profiled(ctx, np.array([front_w - wd, world[i][1] - lateral]), 0.0, tol=DRIVE_TOL, yaw_tol=0.03)
        front = front_w - base_world(ctx)[0]
        if not (yield from _pick(ctx, ee, i, front, support_z)):
            yield from _let_go(ctx, ee, front)
            continue
        # --- to the nearest free gap of its kind (the torso lowered for the bottom shelf)
        free = [s for s in free if slot_kinds[s] == kinds[i]]
        s = min(free, key=lambda k: abs(slots_w[k][1] - world[i][1]) + 0.5 * abs(slots_w[k][2] - world[i][2]))
        tcp, _ = ctx.ee_pose(ee)
        offset = ctx["item_pos"].reshape(-1, 3)[i] - tcp  # item centre relative to the TCP, as gripped
        place_z = slots_w[s][2] + sizes[i][2] + PLACE_DROP - offset[2]
        wd = _work_distance(place_z)
        x_out = wd - sizes[i][1] - ITEM_MARGIN - offset[0]  # item out of the shelf
        if tcp[0] > x_out:
            yield from retreat_front(ctx, ee, tcp[0] - x_out)
        yield from drive_base_profiled(ctx, np.array([shelf_w - wd, slots_w[s][1] - lateral]), 0.0, tol=DRIVE_TOL, yaw_tol=0.03)
        front = shelf_w - base_world(ctx)[0]
        lift = CLEARANCE + 0.01
        hold_x = min(float(ctx.ee_target(ee)[0][0]), front - sizes[i][1] - 0.02 - offset[0])
        yield from _posture(ctx, ee, place_z, np.array([hold_x, float(ctx.ee_target(ee)[0][1]), place_z + lift]))
        for _ in range(2):  # the item may have slipped or pivoted in the grip on the way: plan from where it is
            offset = ctx["item_pos"].reshape(-1, 3)[i] - ctx.ee_pose(ee)[0]
            slot = ctx["slot_pos"].reshape(-1, 3)[s]
            goal = np.array([slot[0], slot[1], slot[2] + sizes[i][2] + PLACE_DROP]) - offset
            pre_x = front - sizes[i][1] - 0.02 - offset[0]
            yield from _goto(ctx, ee, pre_x, goal[2] + lift)
            yield from _shift(ctx, ee, float(goal[1]))
        yield from approach_front(ctx, ee, goal + np.array([0.0, 0.0, lift]), standoff=goal[0] - pre_x)
        # in over the slot: correct for how the item sits in the grip now, then set it down
        error = ctx["slot_pos"].reshape(-1, 3)[s] - ctx["item_pos"].reshape(-1, 3)[i]
        goal = goal + np.array([error[0], error[1], 0.0])
        yield from _shift(ctx, ee, float(goal[1]))
        yield from place_front(ctx, ee, goal, standoff=0.0, lift=lift, back_out=max(0.0, goal[0] - (front - FINGER_REACH)))
        settled = 0
        for _ in range(30):  # let it come to rest, or it looks misplaced and is picked again
            settled = settled + 1 if ctx["item_placed"][i] > 0.5 else 0
            if settled >= 3:
                break
            yield ctx.blank()
