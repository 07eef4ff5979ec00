"""Scripted MachineTending baseline: the right hand feeds blanks, the left hand tends the machine.

Each decision is taken afresh from the observation (machine state, door opening, where the
blanks are), so a failed grasp or an interrupted step is simply tried again. While the machine
runs, the right hand fetches the next blank and holds it ready above the infeed, so loading
follows unloading at once. Built from the shared skills (``approach``, ``grasp``, ``release``,
``retreat``, ``transport``, ``move_to``) and three skills added to the library for fixtures:
``servo_place`` (lower a held part keeping the part itself over the nest: this robot's fingers
are driven separately, so a part shifts along their travel while carried), ``slide_handle``
(the door) and ``press_button`` (the start button, stopped by the button's own reading).
"""

from __future__ import annotations

import math

import numpy as np
from humanoid_bench.policies.scripted.skills import (
    SkillContext,
    SkillGen,
    approach,
    clear_grasp_yaw,
    grasp,
    grasp_yaw,
    move_to,
    press_button,
    release,
    retreat,
    servo_place,
    slide_handle,
    top_down,
    transport,
    yaw_of,
)
from scipy.spatial.transform import Rotation

BLANK_HALF_HEIGHT = 0.03
GRIP_BELOW_TOP = 0.024  # near the centre of mass (no swinging), fingertips still clear the nest walls
CARRY_Z = 1.03  # TCP height while carrying a blank over the machine's roof (base frame)
PLACE_DROP = 0.003  # release this far above the resting height
HANDLE_GRIP = 0.015  # TCP this far below the handle's top
DOOR_OPEN_MARGIN = 0.01  # door counts as open when within this of full travel
NEAR_HANDLE_X = 0.42  # handle closer than this (base frame x) is grasped with the wrist turned -90 deg
FEEDER_PARK = (0.42, -0.24)  # hands wait here (base frame), clear of the machine's aperture
TENDER_PARK = (0.42, 0.26)
# Tool yaw for work in the nest, under the roof. The hand (collision box 5 x 12 cm, its long side
# along the fingers' travel) turned +-90 deg spans 12 cm of the aperture's 16 cm along x, and with
# the nest 3 cm behind the aperture's centre and the blank's slip in the fingers it reached the
# aperture's rear edge (roof_rear, and the open door's front edge): 88 collisions above 100 N
# in 21 of 50 medium seeds, where clear_grasp_yaw's infeed grasp (+-90 deg, away from the
# neighbouring blank) was kept into the nest. Near 0 deg its long side lies along the aperture's
# 20 cm side instead: 0 feeder collisions in the same 50 seeds.
ROOF_YAW = 0.0
IN_MACHINE_R = 0.15  # a blank this close to the nest (xy) lies in the machine's aperture (16 x 20 cm)


def _wrap(angle: float, period: float = math.pi / 2) -> float:
    """Angle folded into [-period/2, period/2) (a square blank is the same every quarter turn)."""
    return (angle + period / 2) % period - period / 2


def _hands(ctx: SkillContext) -> tuple[str, str]:
    """(feeder, tender): the hand nearest the infeed (right, -y) feeds; the other tends the machine."""
    ees = sorted(ctx.ee_gripper, key=lambda e: float(ctx.ee_pose(e)[0][1]))
    return ees[0], ees[-1]


def _holding(ctx: SkillContext, ee: str, blank: np.ndarray) -> bool:
    """The hand's fingers are closed on something and the blank sits between them."""
    pos, _ = ctx.ee_pose(ee)
    return ctx.closure(ee) < 0.97 and ctx.gripper_cmd[ctx.ee_gripper[ee]] > 0.5 and bool(np.linalg.norm(blank - pos) < 0.06)


def _seated(pos: np.ndarray, quat: np.ndarray, nest: np.ndarray) -> bool:
    """Flat in the nest at its resting height (not propped on a wall)."""
    up = Rotation.from_quat(quat).apply([0.0, 0.0, 1.0])[2]
    return abs(float(pos[2] - nest[2])) < 0.003 and up > math.cos(math.radians(5.0))


def _pick(ctx: SkillContext, ee: str, i: int, under_roof: bool = False) -> SkillGen:
    """Grasp blank ``i`` from above and lift it to the carrying height."""
    blanks = ctx["blank_pos"].reshape(-1, 3)
    quats = ctx["blank_quat"].reshape(-1, 4)
    others = np.array([blanks[k][:2] for k in range(len(blanks)) if k != i]).reshape(-1, 2)
    if under_roof:
        # in the nest: fingers across y (tool yaw near 0), so the hand's long side lies along the
        # aperture's long side (see ROOF_YAW); no neighbour is near the nest to steer the fingers away from
        yaw = grasp_yaw(yaw_of(quats[i]), ROOF_YAW)
    else:
        yaw = clear_grasp_yaw(blanks[i][:2], yaw_of(quats[i]), 0.0, others)
    top = blanks[i][2] + BLANK_HALF_HEIGHT
    yield from release(ctx, ee, opening=-0.6)
    if not (yield from approach(ctx, ee, blanks[i][:2], top - GRIP_BELOW_TOP, yaw)):
        yield from retreat(ctx, ee, CARRY_Z)
        return False
    if not (yield from grasp(ctx, ee)):
        yield from release(ctx, ee)
        yield from retreat(ctx, ee, CARRY_Z)
        return False
    yield from retreat(ctx, ee, CARRY_Z, speed=0.6)
    return True


def _place(ctx: SkillContext, ee: str, i: int, goal: np.ndarray, rest_z: float, under_roof: bool = False) -> SkillGen:
    """Carry the held blank ``i`` over ``goal`` (xy), square to the frame, set it down, let go."""
    blank = ctx["blank_pos"].reshape(-1, 3)[i]
    tcp, quat = ctx.ee_pose(ee)
    offset = blank[:2] - tcp[:2]  # where the blank sits in the hand
    tool_yaw = yaw_of(quat)
    yaw = tool_yaw - _wrap(yaw_of(ctx["blank_quat"].reshape(-1, 4)[i]))
    if under_roof:  # the square blank is square to the frame every quarter turn: turn the hand to ROOF_YAW
        yaw = ROOF_YAW + _wrap(yaw - ROOF_YAW)
    c, s = math.cos(yaw - tool_yaw), math.sin(yaw - tool_yaw)
    offset = np.array([c * offset[0] - s * offset[1], s * offset[0] + c * offset[1]])
    xy = goal[:2] - offset
    if not (yield from transport(ctx, ee, xy, CARRY_Z, yaw, speed=0.6)):
        return False
    tcp_z = rest_z + BLANK_HALF_HEIGHT - GRIP_BELOW_TOP + PLACE_DROP
    yield from servo_place(ctx, ee, lambda: ctx["blank_pos"].reshape(-1, 3)[i], goal[:2], tcp_z, yaw)
    yield from release(ctx, ee, opening=-0.6)
    if under_roof:
        # servo_place steers the TCP by the part's position; a part stuck on a nest wall can leave the
        # TCP centimetres off it, an open finger still pressing it, and lifting then flips it out of
        # the nest (seed 25 at ROOF_YAW: 2.6 cm, the blank ended under the roof, out of reach): centre first
        tcp = ctx.ee_pose(ee)[0]
        rest = ctx["blank_pos"].reshape(-1, 3)[i]
        if float(np.linalg.norm(rest[:2] - tcp[:2])) > 0.008:
            yield from move_to(ctx, ee, np.array([rest[0], rest[1], tcp[2]]), top_down(yaw), tol=0.004,
                               speed=0.3, timeout_s=0.6)
    yield from retreat(ctx, ee, CARRY_Z)
    return True


def _door(ctx: SkillContext, ee: str, opening: float) -> SkillGen:
    """Slide the roof door to ``opening`` (m) by its handle."""
    handle = ctx["door_handle_pos"]
    delta = opening - float(ctx["door_opening"][0])
    direction = np.array([1.0, 0.0, 0.0])  # the door slides along the machine's x axis
    # the handle bar is pinched across x; of the two equivalent wrist turns, the one the arm reaches
    # from its side: measured on wheeled_humanoid, -90 deg near the body, +90 deg far out
    # (a wrist already turned one way keeps that way: turning it through 180 deg is slow)
    current = yaw_of(ctx.ee_pose(ee)[1])
    if abs(current) > 0.6:
        yaw = math.copysign(math.pi / 2, current)
    else:
        yaw = -math.pi / 2 if float(handle[0]) < NEAR_HANDLE_X else math.pi / 2
    ok = yield from slide_handle(ctx, ee, handle - np.array([0.0, 0.0, HANDLE_GRIP]), yaw, direction * delta,
                                 lift=0.045)
    return ok


def _park(ctx: SkillContext, ee: str, xy: tuple[float, float]) -> SkillGen:
    """Out of the other hand's way: up to the carrying height, then over a parking point beside the machine."""
    yield from retreat(ctx, ee, CARRY_Z)
    return (yield from move_to(ctx, ee, np.array([xy[0], xy[1], CARRY_Z]), top_down(yaw_of(ctx.ee_pose(ee)[1])), tol=0.02))


def machine_tending_script(ctx: SkillContext) -> SkillGen:
    feeder, tender = _hands(ctx)
    staged: int | None = None  # blank held by the feeder, ready to load
    attempts: dict[int, int] = {}
    while True:
        state = ["idle", "running", "done"][int(np.argmax(ctx["machine_state"]))]
        blanks = ctx["blank_pos"].reshape(-1, 3)
        machined = ctx["blank_machined"] > 0.5
        nest = ctx["nest_pos"]
        travel = float(ctx["door_travel"][0])
        door = float(ctx["door_opening"][0])
        in_nest = [k for k in range(len(blanks)) if np.linalg.norm(blanks[k][:2] - nest[:2]) < 0.03
                   and abs(blanks[k][2] - nest[2]) < 0.02]
        quats = ctx["blank_quat"].reshape(-1, 4)
        if in_nest and not machined[in_nest[0]] and not _seated(blanks[in_nest[0]], quats[in_nest[0]], nest):
            i = in_nest[0]  # resting on a nest wall: lift it out and set it down again
            attempts[i] = attempts.get(i, 0) + 1
            if door < travel - DOOR_OPEN_MARGIN:
                yield from _door(ctx, tender, travel)
            elif (yield from _pick(ctx, feeder, i, under_roof=True)):
                yield from _place(ctx, feeder, i, nest, nest[2], under_roof=True)
                yield from _park(ctx, feeder, FEEDER_PARK)
            continue
        if staged is not None and not _holding(ctx, feeder, blanks[staged]):
            staged = None
        raw = [k for k in range(len(blanks)) if not machined[k] and k not in in_nest and k != staged
               and blanks[k][2] > nest[2] - 0.1 and attempts.get(k, 0) < 3]
        if state == "running":
            # fetch the next blank while the machine works, never one lying in the machine: reaching
            # for it pushed the closed door open and tripped the interlock (seed 2002 of the default
            # suite, a blank behind the nest at 8 cm from it)
            outside = [k for k in raw if float(np.linalg.norm(blanks[k][:2] - nest[:2])) > IN_MACHINE_R]
            if staged is None and outside:
                i = min(outside, key=lambda k: float(np.linalg.norm(blanks[k][:2] - ctx.ee_pose(feeder)[0][:2])))
                attempts[i] = attempts.get(i, 0) + 1
                if (yield from _pick(ctx, feeder, i)):
                    staged = i
                continue
            yield ctx.blank()
            continue
        if in_nest and machined[in_nest[0]]:  # done: open and unload to the outfeed
            if door < travel - DOOR_OPEN_MARGIN:
                yield from _door(ctx, tender, travel)
                continue
            i = in_nest[0]
            free = [s for s in range(len(ctx["outfeed_filled"])) if ctx["outfeed_filled"][s] < 0.5]
            slots = ctx["outfeed_pos"].reshape(-1, 3)
            if not free:
                yield ctx.blank()
                continue
            if not (yield from _pick(ctx, tender, i)):
                continue
            slot = min(free, key=lambda s: float(np.linalg.norm(slots[s][:2] - ctx.ee_pose(tender)[0][:2])))
            yield from _place(ctx, tender, i, slots[slot], slots[slot][2] + BLANK_HALF_HEIGHT)
            continue
        if in_nest and not machined[in_nest[0]]:  # loaded: shut the door and start
            if door > 0.006:
                yield from _door(ctx, tender, 0.0)
                continue
            yield from press_button(ctx, tender, ctx["button_pos"], lambda: float(ctx["button_depth"][0]), 0.008)
            yield from _park(ctx, tender, TENDER_PARK)
            for _ in range(3):
                yield ctx.blank()
            continue
        # the nest is empty: load a blank
        if staged is None:
            if not raw:
                yield ctx.blank()
                continue
            i = min(raw, key=lambda k: float(np.linalg.norm(blanks[k][:2] - ctx.ee_pose(feeder)[0][:2])))
            attempts[i] = attempts.get(i, 0) + 1
            if (yield from _pick(ctx, feeder, i)):
                staged = i
            continue
        if door < travel - DOOR_OPEN_MARGIN:
            yield from _door(ctx, tender, travel)
            continue
        i, staged = staged, None
        yield from _place(ctx, feeder, i, nest, nest[2], under_roof=True)
        yield from _park(ctx, feeder, FEEDER_PARK)
