"""Scripted PartPicking baseline: for each part, approach, grasp, transport, place, release.

Built from the shared skills; reads part and slot poses (base frame) from the observation.
"""

from __future__ import annotations

import numpy as np
from humanoid_bench.policies.scripted.skills import (
    SkillContext,
    SkillGen,
    approach,
    clear_grasp_yaw,
    grasp,
    release,
    retreat,
    transport,
    yaw_of,
)

PART_HALF_HEIGHT = 0.03
GRIP_BELOW_TOP = 0.03  # TCP this far below the part's top face (fingertips 5 mm above the tray)
CARRY_CLEARANCE = 0.10  # part bottom this far above the tray while carried
PLACE_DROP = 0.004  # release the part this far above its resting height


def part_picking_script(ctx: SkillContext) -> SkillGen:
    """Fill the kitting tray; retries a failed grasp up to twice per part."""
    attempts: dict[int, int] = {}
    while True:
        parts = ctx["part_pos"].reshape(-1, 3)
        quats = ctx["part_quat"].reshape(-1, 4)
        placed = ctx["part_placed"] > 0.5
        slots = ctx["slot_pos"].reshape(-1, 3)
        free = [s for s in range(len(slots)) if ctx["slot_filled"][s] < 0.5]
        near_slot = {i for i in range(len(parts))
                     if min(np.linalg.norm(parts[i][:2] - slot[:2]) for slot in slots) < 0.03}
        todo = [i for i in range(len(parts)) if not placed[i] and parts[i][2] > slots[0][2]
                and attempts.get(i, 0) < 3]
        # Misplaced parts in the kitting tray are picked again only when the supply is empty.
        todo = [i for i in todo if i not in near_slot] or todo
        if not todo or not free:
            yield ctx.blank()
            continue
        ee = min(ctx.ee_gripper, key=lambda e: float(np.linalg.norm(ctx.ee_pose(e)[0] - parts[todo[0]])))
        i = min(todo, key=lambda k: float(np.linalg.norm(ctx.ee_pose(ee)[0][:2] - parts[k][:2])))
        attempts[i] = attempts.get(i, 0) + 1
        tool_yaw = yaw_of(ctx.ee_pose(ee)[1])
        others = np.array([parts[k][:2] for k in range(len(parts)) if k != i])
        yaw = clear_grasp_yaw(parts[i][:2], yaw_of(quats[i]), tool_yaw, others)
        top = parts[i][2] + PART_HALF_HEIGHT
        yield from release(ctx, ee)
        if not (yield from approach(ctx, ee, parts[i][:2], top - GRIP_BELOW_TOP, yaw)):
            yield from retreat(ctx, ee, top + 0.08)
            continue
        if not (yield from grasp(ctx, ee)):
            yield from release(ctx, ee)
            yield from retreat(ctx, ee, top + 0.08)
            continue
        slot = min(free, key=lambda s: float(np.linalg.norm(slots[s][:2] - parts[i][:2])))
        tray = slots[slot][2]
        carry_z = tray + CARRY_CLEARANCE + 2 * PART_HALF_HEIGHT - GRIP_BELOW_TOP
        if not (yield from transport(ctx, ee, slots[slot][:2], carry_z, yaw)):
            continue
        place_z = tray + 2 * PART_HALF_HEIGHT - GRIP_BELOW_TOP + PLACE_DROP
        yield from approach(ctx, ee, slots[slot][:2], place_z, yaw)
        yield from release(ctx, ee)
        yield from retreat(ctx, ee, carry_z)
        for _ in range(5):  # let the part come to rest before the next decision
            yield ctx.blank()


