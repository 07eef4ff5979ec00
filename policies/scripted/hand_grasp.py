"""Top-down picking with a multi-finger hand described by ``end_effectors.<ee>.grasp`` in the robot YAML.

A parallel gripper closes symmetrically about its TCP and fits between neighbouring parts. A
humanoid hand does not: its thumb and fingers stand well past the part on both sides of the
closing axis, its fingers are wider than the part, and its wrist reaches the bench palm down only
around one heading. These skills use the hand's own description (``GraspSpec``: the heading the
wrist reaches best, and the footprint of the opened hand around the part) to

- choose which part to pick and at which of its four face-aligned headings, by the clearance of
  the hand's footprint to the neighbouring parts (``choose_pick``) and, likewise, the slot
  (``choose_slot``);
- check that the part actually came up with the hand (``lift``): a pinch that missed leaves it;
- place by steering the held part itself over the slot and down to just above the tray
  (``place_held``), since a hand holds a part off its TCP by up to a centimetre.

They act through the env's action space only and read state from the observation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from humanoid_bench.policies.scripted.skills import SkillContext, SkillGen, ee_action, top_down

#: spacing (m) of the points that sample the footprint rectangles
FOOTPRINT_STEP = 0.005


def grasp_spec(ctx: SkillContext, ee: str) -> Any | None:
    """The end effector's ``GraspSpec`` from the robot YAML, or None (the scripts' default grasp)."""
    spec = ctx.robot_spec
    if ee not in spec.end_effectors:
        return None
    return spec.end_effectors[ee].grasp


def hand_ee(ctx: SkillContext) -> str | None:
    """An end effector with a hand grasp description (None when the robot describes none)."""
    return next((ee for ee in ctx.ee_gripper if ctx.ee_gripper[ee] and grasp_spec(ctx, ee) is not None), None)


def _wrap(a: float) -> float:
    return math.atan2(math.sin(a), math.cos(a))


def footprint_points(grasp: Any) -> np.ndarray:
    """Points (tool frame x, y) sampling the footprint rectangles, edges included."""
    pts = []
    for x0, x1, y0, y1 in grasp.footprint:
        xs = np.linspace(x0, x1, max(2, math.ceil((x1 - x0) / FOOTPRINT_STEP) + 1))
        ys = np.linspace(y0, y1, max(2, math.ceil((y1 - y0) / FOOTPRINT_STEP) + 1))
        pts.append(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2))
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def box_clearance(points: np.ndarray, centre: np.ndarray, yaw: float, half: float) -> float:
    """Smallest signed distance (m) of ``points`` to an upright square part (negative: inside it)."""
    c, s = math.cos(yaw), math.sin(yaw)
    d = points - centre
    local = np.abs(np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]], -1)) - half
    outside = np.linalg.norm(np.maximum(local, 0.0), axis=1)
    inside = np.minimum(np.max(local, axis=1), 0.0)
    return float(np.min(outside + inside))


def hand_clearance(grasp: Any, xy: np.ndarray, tool_yaw: float, obstacles: list[tuple[np.ndarray, float]],
                   half: float) -> float:
    """Clearance (m) of the opened hand, TCP over ``xy`` at ``tool_yaw``, to upright square parts."""
    if not obstacles:
        return math.inf
    c, s = math.cos(tool_yaw), math.sin(tool_yaw)
    local = footprint_points(grasp)
    world = np.asarray(xy, float)[:2] + local @ np.array([[c, s], [-s, c]])
    return min(box_clearance(world, np.asarray(o, float)[:2], oyaw, half) for o, oyaw in obstacles)


def best_yaw(grasp: Any, xy: np.ndarray) -> float:
    """The tool yaw the wrist reaches best over ``xy`` (base frame): ``yaw`` turned by the bearing from ``pivot``."""
    if grasp.pivot is None:
        return float(grasp.yaw)
    return float(grasp.yaw) + math.atan2(float(xy[1]) - grasp.pivot[1], float(xy[0]) - grasp.pivot[0])


def candidate_yaws(grasp: Any, xy: np.ndarray, object_yaw: float, symmetry: float = math.pi / 4) -> list[float]:
    """Grasp yaws (object yaw + k * symmetry) within the hand's yaw range over ``xy``, nearest the centre first."""
    centre = best_yaw(grasp, xy)
    yaws = [centre + _wrap(object_yaw + k * symmetry - centre) for k in range(math.ceil(2 * math.pi / symmetry))]
    yaws.sort(key=lambda y: abs(y - centre))
    inside = [y for y in yaws if abs(y - centre) <= grasp.yaw_range]
    return inside or yaws[:1]  # none in range: the one nearest to it


def choose_pick(grasp: Any, parts: list[tuple[np.ndarray, float]], todo: list[int], half: float,
                yaw_weight: float = 0.01) -> tuple[int, float, float]:
    """(part, grasp yaw, clearance) whose opened hand lands farthest from the other parts.

    Clearances are compared in 5 mm steps; among equals, the yaw nearest the wrist's best heading
    wins (``yaw_weight`` m of clearance per rad), so the hand never trades reach for a millimetre.
    """
    best: tuple[float, int, float, float] | None = None
    for i in todo:
        others = [parts[k] for k in range(len(parts)) if k != i]
        centre = best_yaw(grasp, parts[i][0])
        for yaw in candidate_yaws(grasp, parts[i][0], parts[i][1]):
            clear = hand_clearance(grasp, parts[i][0], yaw, others, half)
            score = 0.005 * math.floor(min(clear, 0.05) / 0.005) - yaw_weight * abs(yaw - centre)
            if best is None or score > best[0]:
                best = (score, i, yaw, clear)
    assert best is not None
    return best[1], best[2], best[3]


def choose_slot(grasp: Any, slots: np.ndarray, free: list[int], occupied: list[tuple[np.ndarray, float]],
                half: float, start: np.ndarray) -> int:
    """The free slot where the hand, at its best yaw there, clears the parts already in the tray best;
    then the nearest. (A held part turns with the hand: any yaw places it.)"""
    def key(s: int) -> tuple[float, float]:
        clear = hand_clearance(grasp, slots[s][:2], best_yaw(grasp, slots[s][:2]), occupied, half)
        return (-0.005 * math.floor(min(clear, 0.05) / 0.005), float(np.linalg.norm(slots[s][:2] - start[:2])))
    return min(free, key=key)


def lift(ctx: SkillContext, ee: str, held: Callable[[], np.ndarray], z: float, min_rise: float = 0.01,
         speed: float = 0.4, timeout_s: float = 3.0) -> SkillGen:
    """Raise the TCP straight up to ``z``; True when the held part rose with it by ``min_rise``."""
    start = float(held()[2])
    pos, quat = ctx.ee_target(ee)
    goal = np.array([pos[0], pos[1], z])
    budget = timeout_s
    while budget > 0.0 and float(np.linalg.norm(ctx.ee_pose(ee)[0] - goal)) > 0.01:
        yield ee_action(ctx, ee, goal, quat, speed)
        budget -= ctx.control_dt * ctx.speed_scale
    rose = float(held()[2]) - start
    tcp_rose = float(ctx.ee_pose(ee)[0][2]) - pos[2]
    return rose >= min(min_rise, 0.5 * tcp_rose)


def place_held(ctx: SkillContext, ee: str, held: Callable[[], np.ndarray], goal: Callable[[], np.ndarray], yaw: float,
               tol: float = 0.003, speed: float = 0.4, timeout_s: float = 4.0, max_offset: float = 0.05) -> SkillGen:
    """Steer the held part's centre to ``goal()`` (x, y, z; base frame, read at every step: a legged
    robot's base sways while it balances): across first, then down.

    The TCP moves by the part's error, so an off-centre hold does not become a placing error; it
    descends only while the part is within a few ``tol`` of the goal in the plane. Done when the part
    is within ``tol`` of the goal in the plane and 3 mm of its height; False at the timeout, or at
    once when the part is farther than ``max_offset`` from the TCP (it fell out of the hand).
    """
    quat = top_down(yaw)
    budget = timeout_s
    while budget > 0.0:
        part = np.asarray(held(), float)
        tcp = ctx.ee_pose(ee)[0]
        if float(np.linalg.norm(part - tcp)) > max_offset:
            return False  # the part is no longer in the hand: do not chase it
        err = np.asarray(goal(), float) - part
        planar = float(np.linalg.norm(err[:2]))
        if planar <= tol and abs(err[2]) <= 0.003:
            return True
        dz = err[2] if planar <= 3 * tol else max(err[2], 0.0)
        yield ee_action(ctx, ee, np.array([tcp[0] + err[0], tcp[1] + err[1], tcp[2] + dz]), quat, speed)
        budget -= ctx.control_dt * ctx.speed_scale
    return False


def settle(ctx: SkillContext, positions: Callable[[], np.ndarray], still: float = 5e-4, steps: int = 3,
           timeout_s: float = 2.0) -> SkillGen:
    """Hold still until ``positions()`` (e.g. every part) moved less than ``still`` m per step ``steps`` times in a row."""
    last = np.asarray(positions(), float).copy()
    calm = 0
    for _ in range(int(timeout_s / ctx.control_dt)):
        yield ctx.blank()
        now = np.asarray(positions(), float)
        calm = calm + 1 if float(np.max(np.abs(now - last), initial=0.0)) < still else 0
        last = now.copy()
        if calm >= steps:
            return True
    return False
