"""Scripted Palletizing baseline: for each case, drive to the infeed, pick, drive to its slot, set down.

Built from the shared skills (``drive_base``, acceleration-limited with ``ramp_s`` while a case is
in hand, ``approach``, ``grasp``, ``retreat``, ``move_to``, ``set_gripper``); reads case, slot and infeed positions (base frame) from the observation.
"""

from __future__ import annotations

import math

import numpy as np
from humanoid_bench.policies.scripted.skills import (
    SkillContext,
    SkillGen,
    approach,
    drive_base,
    grasp,
    grasp_yaw,
    move_many,
    move_to,
    retreat,
    set_gripper,
    to_world,
    top_down,
    yaw_of,
)

CASE_HEIGHT = 0.10
GRIP_BELOW_TOP = 0.035  # TCP this far below the case's top face (fingertips 4 cm above its bottom)
CLEARANCE = 0.06  # carried case bottom this far above the highest thing it passes over
PLACE_DROP = 0.004  # let go this far above the resting height
WORK_X = 0.45  # base-frame x of the TCP when picking or placing (a comfortable reach)
TUCK = (0.45, 0.27, 1.10)  # base-frame TCP of the idle arm (y mirrored): fingertips 7 cm over the stack
LIFT_SPEED = 0.25  # of the EE's top speed: faster lifts let a heavy case creep down between the pads
CARRY_SPEED = 0.6  # fraction of the base's top speed with a case in hand
CARRY_RAMP_S = 1.0  # s from standstill to full speed with a case in hand (the grip holds by friction)


def _base_goal(target_w: np.ndarray, tcp_b: np.ndarray) -> np.ndarray:
    """Base position (world, yaw 0) that puts the base-frame point ``tcp_b`` over ``target_w``."""
    return np.asarray(target_w[:2]) - tcp_b


def palletizing_script(ctx: SkillContext) -> SkillGen:
    """Stack every case in pattern order; retries a failed grasp up to twice per case."""
    infeed_w = to_world(ctx, ctx["infeed_pos"])
    ee = min(ctx.ee_gripper, key=lambda e: abs(ctx.ee_pose(e)[0][1] - ctx["infeed_pos"][1]))  # the arm on the infeed side
    tcp_b = np.array([WORK_X, ctx.ee_pose(ee)[0][1]])
    # the idle arm is tucked up and in: the base drives it over the stack otherwise
    idle = {e: (np.array([TUCK[0], math.copysign(TUCK[1], ctx.ee_pose(e)[0][1]), TUCK[2]]), ctx.ee_pose(e)[1])
            for e in ctx.ee_gripper if e != ee}
    yield from move_many(ctx, idle, tol=0.02)
    attempts: dict[int, int] = {}
    while True:
        cases = ctx["case_pos"].reshape(-1, 3)
        world = [to_world(ctx, p) for p in cases]
        slots = ctx["slot_pos"].reshape(-1, 3)
        slots_w = [to_world(ctx, p) for p in slots]
        free = [s for s in range(len(slots)) if ctx["slot_filled"][s] < 0.5]
        todo = [i for i in range(len(cases)) if ctx["case_arrived"][i] > 0.5 and ctx["case_placed"][i] < 0.5
                and math.hypot(*(world[i][:2] - infeed_w[:2])) < 0.2 and world[i][2] > infeed_w[2]
                and attempts.get(i, 0) < 3]
        if not todo or not free:
            yield ctx.blank()
            continue
        i = todo[0]
        attempts[i] = attempts.get(i, 0) + 1
        slot = free[0]  # pattern order: bottom layer first, far row first
        # --- pick at the infeed
        yield from set_gripper(ctx, ee, -1.0, settle_s=0.1)
        yield from drive_base(ctx, _base_goal(world[i], tcp_b), 0.0, tol=0.008, yaw_tol=0.01)
        case_b = ctx["case_pos"].reshape(-1, 3)[i]
        yaw = grasp_yaw(yaw_of(ctx["case_quat"].reshape(-1, 4)[i]), yaw_of(ctx.ee_pose(ee)[1]), math.pi)
        top = case_b[2] + CASE_HEIGHT / 2
        if not (yield from approach(ctx, ee, case_b[:2], top - GRIP_BELOW_TOP, yaw)):
            yield from retreat(ctx, ee, top + 0.08)
            continue
        if not (yield from grasp(ctx, ee)):
            yield from set_gripper(ctx, ee, -1.0, settle_s=0.2)
            yield from retreat(ctx, ee, top + 0.08)
            continue
        # --- carry over everything in the way: the infeed's end stop and the stack so far
        highest = max([infeed_w[2] + 0.06] + [slots_w[s][2] + CASE_HEIGHT for s in range(len(slots)) if s not in free])
        carry_z = highest + CLEARANCE + CASE_HEIGHT - GRIP_BELOW_TOP
        yield from retreat(ctx, ee, carry_z, speed=LIFT_SPEED)
        yield from drive_base(ctx, _base_goal(slots_w[slot], tcp_b), 0.0, tol=0.006, yaw_tol=0.01,
                                     speed=CARRY_SPEED, ramp_s=CARRY_RAMP_S)
        # --- set it down in the slot and let go
        slot_b = ctx["slot_pos"].reshape(-1, 3)[slot]
        place_yaw = grasp_yaw(float(ctx["slot_yaw"][slot]), yaw_of(ctx.ee_pose(ee)[1]), math.pi)
        place_z = slot_b[2] + CASE_HEIGHT - GRIP_BELOW_TOP + PLACE_DROP
        hover = np.array([slot_b[0], slot_b[1], carry_z])
        yield from move_to(ctx, ee, hover, top_down(place_yaw), tol=0.006, speed=0.5)
        yield from move_to(ctx, ee, np.array([slot_b[0], slot_b[1], place_z]), top_down(place_yaw), tol=0.004, speed=0.35)
        yield from set_gripper(ctx, ee, -1.0, settle_s=0.3)
        # up until the fingertips clear the case just placed (the stack's new top) before driving off
        yield from retreat(ctx, ee, max(carry_z, place_z + GRIP_BELOW_TOP + CLEARANCE))
        for _ in range(3):
            yield ctx.blank()
