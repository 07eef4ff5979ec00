"""Scripted Carrying baseline: drive to a tote, pinch both end walls, carry it around the corner.

Built from the shared skills (bimanual ``move_many``, ``set_gripper`` on both grippers,
``drive_base``); reads tote, drop-slot and aisle positions from the observation.
"""

from __future__ import annotations

import math

import numpy as np
from humanoid_bench.policies.scripted.skills import (
    SkillContext,
    SkillGen,
    base_world,
    drive_base,
    move_many,
    set_gripper,
    to_world,
    top_down,
    yaw_of,
)

TOTE_HALF_LENGTH = 0.22 - 0.006  # tote centre to the middle of an end wall
RIM_ABOVE_CENTRE = 0.075
GRIP_BELOW_RIM = 0.03
LIFT = 0.16  # carried tote clears a delivered one (rim 0.95 m) by 3.5 cm
STAND_OFF = 0.45  # base centre to tote centre when picking or placing
CARRY_SPEED = 0.6  # fraction of the base's top speed with a tote in the hands


def _wall_targets(ctx: SkillContext, centre: np.ndarray, yaw: float, dz: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """TCP targets (base frame) over the two end walls; the left hand takes the wall on the left."""
    axis = np.array([-math.sin(yaw), math.cos(yaw), 0.0])  # tote's y axis in the base frame
    z = centre[2] + RIM_ABOVE_CENTRE - GRIP_BELOW_RIM + dz
    walls = [centre + s * TOTE_HALF_LENGTH * axis for s in (1.0, -1.0)]
    left, right = sorted(ctx.ee_gripper)[:2] if set(ctx.ee_gripper) != {"left", "right"} else ("left", "right")
    quat = top_down(yaw)
    return {left: (np.array([walls[0][0], walls[0][1], z]), quat), right: (np.array([walls[1][0], walls[1][1], z]), quat)}


def _lift_all(ctx: SkillContext, dz: float, speed: float = 0.5) -> SkillGen:
    targets = {}
    for ee in ctx.ee_gripper:
        pos, quat = ctx.ee_target(ee)
        targets[ee] = (pos + np.array([0.0, 0.0, dz]), quat)
    return (yield from move_many(ctx, targets, tol=0.01, speed=speed))


def carrying_script(ctx: SkillContext) -> SkillGen:
    ees = list(ctx.ee_gripper)
    route = ctx["route"].reshape(-1, 2)
    aisle_x, corner_y, drop_y = route[0][0], route[0][1], route[1][1]
    attempts: dict[int, int] = {}
    while True:
        totes = ctx["tote_pos"].reshape(-1, 3)
        world = [to_world(ctx, p) for p in totes]
        free = [s for s in range(len(ctx["drop_filled"])) if ctx["drop_filled"][s] < 0.5]
        todo = [i for i in range(len(totes)) if ctx["tote_delivered"][i] < 0.5 and world[i][2] > 0.6
                and world[i][1] < corner_y + 1.0 and attempts.get(i, 0) < 3]
        if not todo or not free:
            yield ctx.blank()
            continue
        i = min(todo, key=lambda k: abs(world[k][1] - base_world(ctx)[1]))
        attempts[i] = attempts.get(i, 0) + 1
        # --- to the pick-up rack (back down the aisle first if we are at the drop-off side)
        _, y, _ = base_world(ctx)
        if y > corner_y + 0.5:
            yield from drive_base(ctx, np.array([aisle_x, drop_y]), math.pi / 2, tol=0.05, yaw_tol=0.1)
            yield from drive_base(ctx, np.array([aisle_x, corner_y]), math.pi / 2, tol=0.05, yaw_tol=0.1)
        yield from drive_base(ctx, np.array([aisle_x, corner_y]), 0.0, tol=0.05, yaw_tol=0.05)
        yield from drive_base(ctx, np.array([aisle_x, world[i][1]]), 0.0, tol=0.02)
        yield from drive_base(ctx, np.array([world[i][0] - STAND_OFF, world[i][1]]), 0.0, tol=0.01, yaw_tol=0.01)
        # --- pinch both end walls
        centre = ctx["tote_pos"].reshape(-1, 3)[i]
        yaw = yaw_of(ctx["tote_quat"].reshape(-1, 4)[i])
        yield from set_gripper(ctx, ees, -0.3, settle_s=0.2)
        yield from move_many(ctx, _wall_targets(ctx, centre, yaw, 0.08), tol=0.01)
        if not (yield from move_many(ctx, _wall_targets(ctx, centre, yaw, 0.0), speed=0.4)):
            yield from _lift_all(ctx, 0.08)
            continue
        yield from set_gripper(ctx, ees, 1.0)
        if any(ctx.closure(e) > 0.97 for e in ees):  # a hand closed on nothing
            yield from set_gripper(ctx, ees, -0.3, settle_s=0.2)
            yield from _lift_all(ctx, 0.08)
            continue
        yield from _lift_all(ctx, LIFT, speed=0.4)
        # --- carry: back out, to the corner, turn, up the aisle, along the drop-off rack
        drops_w = [to_world(ctx, p) for p in ctx["drop_pos"].reshape(-1, 3)]  # read now: the base has moved
        slot = max(free, key=lambda s: abs(drops_w[s][0] - aisle_x))  # far slots first: keep the aisle end clear
        slot_x = float(drops_w[slot][0])
        yield from drive_base(ctx, np.array([aisle_x, base_world(ctx)[1]]), 0.0, tol=0.03, speed=CARRY_SPEED)
        yield from drive_base(ctx, np.array([aisle_x, corner_y]), 0.0, tol=0.03, speed=CARRY_SPEED)
        yield from drive_base(ctx, np.array([aisle_x, corner_y]), math.pi / 2, tol=0.03, yaw_tol=0.03, speed=CARRY_SPEED)
        yield from drive_base(ctx, np.array([aisle_x, drop_y]), math.pi / 2, tol=0.03, speed=CARRY_SPEED)
        yield from drive_base(ctx, np.array([slot_x, drop_y]), math.pi / 2, tol=0.01, yaw_tol=0.01, speed=CARRY_SPEED)
        # --- set it down and let go
        yield from _lift_all(ctx, -LIFT + 0.005, speed=0.3)
        yield from set_gripper(ctx, ees, -0.3, settle_s=0.3)
        yield from _lift_all(ctx, 0.10)
        for _ in range(5):
            yield ctx.blank()
