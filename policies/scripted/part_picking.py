"""Scripted PartPicking baseline: for each part, approach, grasp, transport, place, release.

Built from the shared skills; reads part and slot poses (base frame) from the observation. A
robot whose hand is described by a grasp in its YAML (``end_effectors.<ee>.grasp``: a
multi-finger hand) is run by ``hand_part_picking`` instead, built from ``hand_grasp``.
"""

from __future__ import annotations

import numpy as np
from humanoid_bench.policies.scripted.hand_grasp import (
    best_yaw,
    choose_pick,
    choose_slot,
    grasp_spec,
    hand_ee,
    lift,
    place_held,
    settle,
)
from humanoid_bench.policies.scripted.skills import (
    SkillContext,
    SkillGen,
    approach,
    clear_grasp_yaw,
    grasp,
    move_to,
    release,
    retreat,
    top_down,
    transport,
    yaw_of,
)
from scipy.spatial.transform import Rotation

PART_HALF_HEIGHT = 0.03
GRIP_BELOW_TOP = 0.03  # TCP this far below the part's top face (fingertips 5 mm above the tray)
CARRY_CLEARANCE = 0.10  # part bottom this far above the tray while carried
PLACE_DROP = 0.004  # release the part this far above its resting height
PART_HALF_WIDTH = 0.02  # the parts are 4 x 4 cm across
HAND_RELEASE = -0.6  # a hand lets go wider than the default partial opening: it holds the part off-centre
UPRIGHT_TILT = 0.35  # rad: a part tilted more than this cannot be picked from above and stood up


def _scene(ctx: SkillContext) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int], set[int]]:
    """Parts (positions, quaternions, placed flags), slots, the free slots, and the parts lying in
    the kitting tray (within 3 cm of a slot), from the observation."""
    parts = ctx["part_pos"].reshape(-1, 3)
    slots = ctx["slot_pos"].reshape(-1, 3)
    free = [s for s in range(len(slots)) if ctx["slot_filled"][s] < 0.5]
    near_slot = {i for i in range(len(parts))
                 if min(np.linalg.norm(parts[i][:2] - slot[:2]) for slot in slots) < 0.03}
    return parts, ctx["part_quat"].reshape(-1, 4), ctx["part_placed"] > 0.5, slots, free, near_slot


def part_picking_script(ctx: SkillContext) -> SkillGen:
    """Fill the kitting tray; retries a failed grasp up to twice per part."""
    if hand_ee(ctx) is not None:
        yield from hand_part_picking(ctx)
        return
    attempts: dict[int, int] = {}
    while True:
        parts, quats, placed, slots, free, near_slot = _scene(ctx)
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




def hand_part_picking(ctx: SkillContext) -> SkillGen:
    """Fill the kitting tray with a hand described by its ``GraspSpec``; up to three tries per part.

    The part and grasp heading are chosen by the opened hand's clearance to the other parts, the
    pick is checked by lifting (the part must come up), and the held part itself is steered onto
    the slot. After a failed try the script waits for the parts to come to rest before choosing again.
    """
    attempts: dict[int, int] = {}

    def part_positions() -> np.ndarray:
        return ctx["part_pos"].reshape(-1, 3)

    while True:
        parts, quats, placed, slots, free, near_slot = _scene(ctx)
        upright = [float(Rotation.from_quat(q).apply([0.0, 0.0, 1.0])[2]) > np.cos(UPRIGHT_TILT) for q in quats]
        todo = [i for i in range(len(parts)) if not placed[i] and parts[i][2] > slots[0][2] and upright[i]
                and attempts.get(i, 0) < 3]
        todo = [i for i in todo if i not in near_slot] or todo  # misplaced ones last, as above
        if not todo or not free:
            yield ctx.blank()
            continue
        hands = [ee for ee in ctx.ee_gripper if ctx.ee_gripper[ee] and grasp_spec(ctx, ee) is not None]
        centre = np.mean([parts[i][:2] for i in todo], axis=0)
        ee = min(hands, key=lambda e: float(np.linalg.norm(ctx.ee_pose(e)[0][:2] - centre)))
        spec = grasp_spec(ctx, ee)
        boxes = [(parts[k], yaw_of(quats[k])) for k in range(len(parts))]
        i, yaw, clearance = choose_pick(spec, boxes, todo, PART_HALF_WIDTH)
        if i in near_slot and clearance < 0.0:
            # A part off its slot among placed ones: the hand cannot reach it without knocking them.
            attempts[i] = 3
            continue
        attempts[i] = attempts.get(i, 0) + 1
        top = parts[i][2] + PART_HALF_HEIGHT
        tray = slots[0][2]
        carry_z = tray + CARRY_CLEARANCE + 2 * PART_HALF_HEIGHT - GRIP_BELOW_TOP

        def held(i: int = i) -> np.ndarray:
            return part_positions()[i]

        yield from release(ctx, ee)
        ok = yield from approach(ctx, ee, parts[i][:2], top - GRIP_BELOW_TOP, yaw)
        ok = ok and (yield from grasp(ctx, ee))
        ok = ok and (yield from lift(ctx, ee, held, carry_z))
        if not ok:
            yield from release(ctx, ee)
            yield from retreat(ctx, ee, max(top + 0.08, carry_z))
            yield from settle(ctx, part_positions)
            continue
        in_tray = [boxes[k] for k in range(len(parts)) if k != i and (placed[k] or k in near_slot)]
        slot = choose_slot(spec, slots, free, in_tray, PART_HALF_WIDTH, parts[i])
        # The part turns with the hand (any yaw stands in the slot): the yaw in reach over the slot
        # nearest the grasp yaw, so that the held part swings as little as possible on the way.
        centre = best_yaw(spec, slots[slot][:2])
        place_yaw = centre + float(np.clip(yaw - centre, -spec.yaw_range, spec.yaw_range))
        yield from transport(ctx, ee, slots[slot][:2], carry_z, place_yaw, speed=0.5)

        def goal(slot: int = slot) -> np.ndarray:
            return ctx["slot_pos"].reshape(-1, 3)[slot] + np.array([0.0, 0.0, PART_HALF_HEIGHT + PLACE_DROP])

        yield from place_held(ctx, ee, held, goal, place_yaw)
        yield from release(ctx, ee, opening=HAND_RELEASE)
        # A hand holds the part off its TCP: centre the opened hand on the part before going up,
        # so that no finger drags it along.
        tcp = ctx.ee_pose(ee)[0]
        yield from move_to(ctx, ee, np.array([*held()[:2], tcp[2]]), top_down(place_yaw), tol=0.003, speed=0.3,
                           timeout_s=1.0)
        yield from retreat(ctx, ee, carry_z)
        yield from settle(ctx, part_positions)
