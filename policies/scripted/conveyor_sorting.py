"""Scripted ConveyorSorting baseline: intercept each part on the belt, sort it into its tray.

One arm works the belt (the right one on ``wheeled_humanoid``: the pick window and all three
trays are in its reach). For the most downstream part it can still catch, it plans an intercept
point ahead of the part, sets the open fingers down across the belt there (finger travel across
the belt, so the part rides in between them), closes when the part's centre reaches the TCP,
lifts, carries the part to a free cell of its type's tray and lets go just above the tray floor.
Built from the shared skills (``move_to``, ``grasp``, ``release``, ``retreat``, ``wait_until``);
reads part, tray and belt state from the observation.
"""

from __future__ import annotations

import math

import numpy as np
from humanoid_bench.policies.scripted.skills import (
    SkillContext,
    SkillGen,
    grasp,
    grasp_yaw,
    move_to,
    release,
    retreat,
    set_gripper,
    top_down,
    wait_until,
    yaw_of,
)

TCP_ABOVE_BELT = 0.035  # grasp height: fingertips 1 cm above the belt, the hand clears 5 cm parts
HOVER = 0.08  # above the grasp height while moving over the belt
LIFT = 0.07  # a lifted part's bottom clears the belt and the parts in the trays
WINDOW = (-0.36, -0.05)  # intercept points along the belt (y, base frame) in the arm's comfortable reach
REACH_SPEED = 0.35  # m/s, planning speed of the TCP for a move to the intercept point
DESCEND_S = 0.4  # time to set the fingers down from the hover height
CLOSE_LEAD_S = 0.15  # close this long before the part's centre reaches the TCP
CELL = (0.04, 0.04)  # a tray holds 2 x 2 parts at these offsets from its centre
MAX_ATTEMPTS = 2


def _pick_arm(ctx: SkillContext) -> str:
    """The arm on the downstream side of the belt (the right one when there is one)."""
    return "right" if "right" in ctx.ee_gripper else next(iter(ctx.ee_gripper))


def _free_cell(centre: np.ndarray, occupants: list[np.ndarray]) -> np.ndarray:
    """The tray cell farthest from the parts already in the tray."""
    cells = [centre + np.array([sx * CELL[0], sy * CELL[1], 0.0]) for sx in (1, -1) for sy in (1, -1)]  # far side first
    if not occupants:
        return cells[0]
    return max(cells, key=lambda c: min(float(np.linalg.norm(c[:2] - o[:2])) for o in occupants))


def conveyor_sorting_script(ctx: SkillContext) -> SkillGen:
    ee = _pick_arm(ctx)
    attempts: dict[int, int] = {}
    belt = ctx["belt_ends"].reshape(2, 3)
    belt_top = float(belt[0][2])
    belt_x = float(np.mean(belt[:, 0]))
    grasp_z = belt_top + TCP_ABOVE_BELT
    yaw = grasp_yaw(math.pi / 2, yaw_of(ctx.ee_pose(ee)[1]), symmetry=math.pi)  # fingers travel across the belt
    quat = top_down(yaw)
    while True:
        parts = ctx["part_pos"].reshape(-1, 3)
        types = np.argmax(ctx["part_type"].reshape(-1, 3), axis=1)
        speed = float(np.linalg.norm(ctx["belt_velocity"]))
        live = ctx["part_arrived"] > 0.5
        todo = [i for i in range(len(parts)) if live[i] and ctx["part_resolved"][i] < 0.5
                and parts[i][2] > belt_top and abs(parts[i][0] - belt_x) < 0.08 and parts[i][1] > WINDOW[0]
                and attempts.get(i, 0) < MAX_ATTEMPTS]
        tcp = ctx.ee_pose(ee)[0]
        plan = None
        for i in sorted(todo, key=lambda k: parts[k][1]):  # most downstream first
            y_int = WINDOW[1]
            for _ in range(3):  # where the part is by the time the fingers are down there
                t_ready = np.linalg.norm(tcp - np.array([parts[i][0], y_int, grasp_z + HOVER])) / REACH_SPEED + DESCEND_S
                y_int = min(WINDOW[1], parts[i][1] - speed * t_ready - 0.03)
            if y_int >= WINDOW[0]:
                plan = (i, y_int)
                break
            attempts[i] = MAX_ATTEMPTS  # out of reach before we could be there: let it go
        if plan is None:  # wait for the next part above the upstream end of the window
            ready = np.array([belt_x, WINDOW[1], grasp_z + HOVER])
            if np.linalg.norm(tcp - ready) > 0.01:
                yield from move_to(ctx, ee, ready, quat, tol=0.01, timeout_s=1.0)
            else:
                yield ctx.blank()
            continue
        i, y_int = plan
        attempts[i] = attempts.get(i, 0) + 1
        x = float(parts[i][0])
        ctx.gripper_cmd[ctx.ee_gripper[ee]] = -1.0  # the fingers open on the way
        if not (yield from move_to(ctx, ee, np.array([x, y_int, grasp_z + HOVER]), quat, tol=0.01, timeout_s=2.0)):
            yield ctx.blank()
            continue
        gap = ctx["part_pos"].reshape(-1, 3)[i][1] - y_int
        if gap < speed * DESCEND_S + 0.02:  # too close: the fingers would land on it; plan again
            attempts[i] = MAX_ATTEMPTS if gap < 0.0 else attempts[i] - 1
            yield ctx.blank()  # (every pass of the loop acts at least once)
            continue
        yield from wait_until(ctx, lambda: ctx.closure(ee) < 0.05, timeout_s=1.0)
        yield from move_to(ctx, ee, np.array([x, y_int, grasp_z]), quat, speed=0.6, tol=0.006)

        def arrived(i: int = i, speed: float = speed) -> bool | None:
            p = ctx["part_pos"].reshape(-1, 3)[i]
            if ctx["part_resolved"][i] > 0.5 or p[1] < ctx.ee_pose(ee)[0][1] - 0.03:
                return None  # gone past
            return bool(p[1] - ctx.ee_pose(ee)[0][1] <= speed * CLOSE_LEAD_S)

        if not (yield from wait_until(ctx, arrived, timeout_s=15.0)):
            yield from retreat(ctx, ee, grasp_z + HOVER)
            continue
        held = yield from grasp(ctx, ee)
        yield from retreat(ctx, ee, grasp_z + LIFT)
        p = ctx["part_pos"].reshape(-1, 3)[i]
        if not held or p[2] < belt_top + 0.03:  # closed on nothing, or it stayed on the belt
            yield from set_open(ctx, ee)
            continue
        # --- to a free cell of its tray, down to just above the tray floor, let go
        bins = ctx["bin_pos"].reshape(-1, 3)
        tray = bins[types[i]]
        parts = ctx["part_pos"].reshape(-1, 3)
        occupants = [parts[k] for k in range(len(parts)) if k != i and live[k]
                     and np.all(np.abs(parts[k][:2] - tray[:2]) < 0.09)]
        cell = _free_cell(tray, occupants)
        carry_z = max(grasp_z + LIFT, ctx.ee_pose(ee)[0][2])
        yield from move_to(ctx, ee, np.array([cell[0], cell[1], carry_z]), quat, tol=0.008)
        yield from move_to(ctx, ee, np.array([cell[0], cell[1], grasp_z]), quat, speed=0.5, tol=0.006, timeout_s=1.5)
        yield from release(ctx, ee)
        # up out of the tray; close to the body the arm may stop a centimetre short, which is fine here
        yield from move_to(ctx, ee, np.array([cell[0], cell[1], grasp_z + LIFT]), quat, tol=0.02, rot_tol=0.2,
                            timeout_s=0.8)


def set_open(ctx: SkillContext, ee: str) -> SkillGen:
    """Open the gripper fully (wide enough for a part riding in) unless it already is."""
    if ctx.gripper_cmd[ctx.ee_gripper[ee]] > -1.0 or ctx.closure(ee) > 0.05:
        yield from set_gripper(ctx, ee, -1.0, settle_s=0.2)
    return True
