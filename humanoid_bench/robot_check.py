"""``humanoid-bench robot check ROBOT``: a validation report for a robot YAML and its URDF.

Prints the DoF table by joint group, total mass, the sampled reach envelope of each arm, the
reach of the workcell's bench layout, gripper ranges, self-collision pairs at the home pose, the
load time, a short stand test for legged robots, and every problem found (errors and warnings,
each naming the file, the element and the fix). Exit status: 0 when there is no error, 1 when the
model has errors, 2 on bad usage.

    humanoid-bench robot check biped_humanoid
    humanoid-bench robot check conf/robot/g1_dual_arm.yaml --urdf ../shared/robots/unitree_g1/g1_dual_arm.urdf
    humanoid-bench robot check my_robot.yaml --json report.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from humanoid_bench.errors import HumanoidBenchError, RobotModelError

USAGE = "humanoid-bench robot check ROBOT [--urdf PATH] [--samples N] [--stand SECONDS] [--json FILE]"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="humanoid-bench robot", description="Robot model tools.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="validate a robot YAML and its URDF; exit status 1 on errors")
    c.add_argument("robot", help="a robot name in conf/robot/ or the path of a robot YAML file")
    c.add_argument("--urdf", help="URDF path (overrides the YAML's 'urdf', e.g. for a model kept outside the project)")
    c.add_argument("--samples", type=int, default=2000, help="random arm postures for the reach envelope (default 2000)")
    c.add_argument("--stand", type=float, default=3.0, help="seconds of the stand test of a legged robot (0: skip)")
    c.add_argument("--json", dest="json_path", help="also write the report as JSON to this file")
    return p


# ---------------------------------------------------------------------------------- measurements
def dof_table(robot) -> list[dict[str, Any]]:
    spec = robot.spec
    rows = []
    grouped = set()
    for g, names in spec.joint_groups.items():
        grouped.update(names)
        rows.append(_dof_row(robot, g, names))
    for k, grip in spec.grippers.items():
        grouped.update(grip.joints)
        rows.append(_dof_row(robot, f"gripper:{k}", grip.joints))
    base = set(spec.base.joints.values()) if spec.base.type == "wheeled" else set()
    rest = [j.name for j in robot.movable if j.name not in grouped and j.name not in base]
    if rest:
        rows.append(_dof_row(robot, "(no group)", rest))
    return rows


def _dof_row(robot, group: str, names: Sequence[str]) -> dict[str, Any]:
    joints = [robot.joints[n] for n in names]
    return {
        "group": group, "dof": len(joints), "joints": list(names),
        "min_effort": min((j.effort for j in joints), default=0.0),
        "max_effort": max((j.effort for j in joints), default=0.0),
    }


def reach_envelope(robot, ee: str, samples: int, rng: np.random.Generator) -> dict[str, Any]:
    """TCP positions (base frame) over random postures of the end effector's arm, other joints at home."""
    c, body = robot.client, robot.body
    arm = robot.group(robot.spec.end_effectors[ee].arm)
    joints = [robot.joints[n] for n in arm]
    lo = np.array([j.lower if np.isfinite(j.lower) else -math.pi for j in joints])
    hi = np.array([j.upper if np.isfinite(j.upper) else math.pi for j in joints])
    shoulder = np.array(c.getLinkState(body, joints[0].index, computeForwardKinematics=1)[4])
    bpos, bquat = robot.base_frame()
    inv = c.invertTransform(bpos.tolist(), bquat.tolist())
    pts = np.empty((samples, 3))
    for k in range(samples):
        q = lo + rng.random(len(joints)) * (hi - lo)
        for j, v in zip(joints, q):
            c.resetJointState(body, j.index, float(v))
        pts[k] = c.multiplyTransforms(*inv, robot.ee_pose(ee)[0].tolist(), (0, 0, 0, 1))[0]
    robot.reset_home()
    sh = np.array(c.multiplyTransforms(*inv, shoulder.tolist(), (0, 0, 0, 1))[0])
    dist = np.linalg.norm(pts - sh, axis=1)
    return {
        "end_effector": ee, "samples": samples, "shoulder": sh.round(3).tolist(),
        "reach_max_m": round(float(dist.max()), 3), "reach_p95_m": round(float(np.percentile(dist, 95)), 3),
        "x_range_m": [round(float(pts[:, 0].min()), 3), round(float(pts[:, 0].max()), 3)],
        "y_range_m": [round(float(pts[:, 1].min()), 3), round(float(pts[:, 1].max()), 3)],
        "z_range_m": [round(float(pts[:, 2].min()), 3), round(float(pts[:, 2].max()), 3)],
    }


def workcell_reach(robot, tol: float = 0.01) -> dict[str, Any]:
    """Top-down IK reach of the PartPicking bench layout (supply cells and slots, at a part's
    centre above the trays) from the robot's workcell. Each point goes to the end effector nearest
    to it and counts as reached when some tool yaw (0, +-90, 180 deg) gets the TCP within ``tol``
    and the tool within 10 deg of straight down."""
    from humanoid_bench.envs import part_picking as pp

    spec = robot.spec
    dx, dy = spec.workcell.offset
    z = spec.workcell.table_top + (pp.TRAY_TOP - pp.TABLE_TOP) + pp.PART_HALF[2]
    points = [(x + dx, y + dy, z) for x, y in (*pp.SUPPLY_CELLS, *pp.SLOTS)]
    bpos, bquat = robot.base_frame()
    _, _, base_yaw = robot.base_pose()
    c = robot.client
    reached, worst = 0, 0.0
    for p in points:
        world = c.multiplyTransforms(bpos.tolist(), bquat.tolist(), p, (0, 0, 0, 1))[0]
        ee = min(spec.end_effectors, key=lambda e: float(np.linalg.norm(robot.ee_pose(e)[0] - world)))
        arm = robot.group(spec.end_effectors[ee].arm)
        best = math.inf
        for yaw in (0.0, math.pi / 2, -math.pi / 2, math.pi):
            down = c.getQuaternionFromEuler((0.0, 0.0, base_yaw + yaw))  # tool -z along world -z
            for _ in range(4):  # IK is warm-started from the posture it reached
                sol = robot.ik(ee, world, down, iterations=100)
                for n, v in zip(arm, sol):
                    j = robot.joints[n]
                    c.resetJointState(robot.body, j.index, float(np.clip(v, j.lower, j.upper)))
                robot.world.touch()
            pos, quat = robot.ee_pose(ee)
            err = float(np.linalg.norm(pos - world))
            tilt = float(np.degrees(np.arccos(np.clip(c.getMatrixFromQuaternion(quat.tolist())[8], -1, 1))))
            best = min(best, err if tilt <= 10.0 else math.inf)
            robot.reset_home()
        worst = max(worst, best)
        reached += best <= tol
    return {"table_top_m": spec.workcell.table_top, "offset_m": list(spec.workcell.offset),
            "points": len(points), "reached": reached, "worst_error_m": round(worst, 4) if math.isfinite(worst) else None}


def gripper_ranges(robot) -> list[dict[str, Any]]:
    c = robot.client
    out = []
    for k, g in robot.spec.grippers.items():
        links = robot.gripper_links(k)
        widths = []
        for closure in (0.0, 1.0):
            values = [o + closure * (cl - o) for o, cl in zip(g.open, g.closed)]
            for n, v in zip(g.joints, values):
                c.resetJointState(robot.body, robot.joints[n].index, float(v))
            pos = [np.array(c.getLinkState(robot.body, i, computeForwardKinematics=1)[4]) for i in links]
            widths.append(max((float(np.linalg.norm(a - b)) for a in pos for b in pos), default=0.0))
        robot.reset_home()
        out.append({"gripper": k, "joints": len(g.joints), "open": g.open, "closed": g.closed,
                    "max_force": g.max_force, "contact_links": [robot.link_name(i) for i in links],
                    "span_open_m": round(widths[0], 4), "span_closed_m": round(widths[1], 4)})
    return out


def self_collisions(robot) -> list[dict[str, Any]]:
    """Link pairs in contact (or penetrating) at the home pose, with the deepest penetration."""
    c = robot.client
    robot.reset_home()
    c.performCollisionDetection()
    pairs: dict[tuple[str, str], float] = {}
    for pt in c.getContactPoints(bodyA=robot.body, bodyB=robot.body):
        a, b = sorted((robot.link_name(pt[3]), robot.link_name(pt[4])))
        pairs[(a, b)] = min(pairs.get((a, b), 0.0), float(pt[8]))
    return [{"links": list(k), "penetration_m": round(-v, 4)} for k, v in sorted(pairs.items())]


def stand_test(robot, seconds: float) -> dict[str, Any]:
    """Step the robot alone under its controller (stance controller for legged robots)."""
    w = robot.world
    robot.reset_home()
    fell = None
    for _ in range(round(seconds / w.control_dt)):
        robot.apply()
        w.step()
        fs = robot.fall_state()
        if fs.fallen:
            fell = fs
            break
    root, _ = robot.root_pose()
    out = {"seconds": round(w.sim_time, 2), "fallen": fell is not None,
           "reason": fell.reason if fell else "", "root_height_m": round(float(root[2]), 3),
           "nominal_root_height_m": round(robot.nominal_base_height, 3)}
    robot.reset_home()
    return out


# ---------------------------------------------------------------------------------- report
def check(robot_name: str, urdf: str | None = None, samples: int = 2000, stand_s: float = 3.0) -> dict[str, Any]:
    """Everything ``robot check`` reports, as a dict (``problems`` holds errors and warnings)."""
    from humanoid_bench.sim.robot import Robot
    from humanoid_bench.sim.robot_spec import RobotSpec
    from humanoid_bench.sim.urdf_check import Problem, check_robot
    from humanoid_bench.sim.world import World

    report: dict[str, Any] = {"robot": str(robot_name), "problems": []}
    try:
        spec = RobotSpec.load(robot_name, urdf=urdf)
    except RobotModelError as exc:
        report["problems"].append(asdict(Problem("error", str(robot_name), "robot YAML", str(exc))))
        return report
    report.update(name=spec.name, label=spec.label, yaml=spec.source, urdf=spec.urdf, base=asdict(spec.base))
    model = check_robot(spec, deep=True)
    report["problems"] += [asdict(p) for p in model.problems]
    if model.errors:
        return report
    world = World()
    try:
        t0 = time.perf_counter()
        try:
            robot = Robot(world, spec)
        except RobotModelError as exc:
            report["problems"].append(asdict(Problem("error", spec.urdf, "load", str(exc))))
            return report
        report["load_time_s"] = round(time.perf_counter() - t0, 3)
        report["links"] = len(robot.links)
        report["movable_joints"] = len(robot.movable)
        report["total_mass_kg"] = round(robot.mass, 3)
        report["dof"] = dof_table(robot)
        rng = np.random.default_rng(0)
        report["reach"] = [reach_envelope(robot, ee, samples, rng) for ee in spec.end_effectors]
        if spec.end_effectors:
            try:
                report["workcell"] = workcell_reach(robot)
            except ImportError:
                pass
        report["grippers"] = gripper_ranges(robot)
        report["self_collisions"] = self_collisions(robot)
        for pair in report["self_collisions"]:
            report["problems"].append(asdict(Problem(
                "warning", spec.source, f"links {pair['links'][0]!r} and {pair['links'][1]!r}",
                f"in contact at the home pose (penetration {pair['penetration_m'] * 1000:.1f} mm): the safety "
                "monitor will report self_collision events",
                f"change the home pose, or add [{pair['links'][0]}, {pair['links'][1]}] to self_collision_exclude")))
        top = max(robot.client.getAABB(robot.body, i)[1][2] for i in range(-1, robot.client.getNumJoints(robot.body)))
        report["height_m"] = round(float(top), 3)
        if abs(top - spec.nominal_height) > 0.15 * spec.nominal_height:
            report["problems"].append(asdict(Problem(
                "warning", spec.source, "field nominal_height",
                f"{spec.nominal_height:g} m, but the robot's top is at {top:.2f} m at the home pose",
                f"set nominal_height: {top:.2f}")))
        if not spec.end_effectors:
            report["problems"].append(asdict(Problem("warning", spec.source, "field end_effectors",
                                                     "none: ee_delta_pose control and the scripted baselines need one",
                                                     "name a TCP link and its arm group")))
        elif not spec.grippers:
            report["problems"].append(asdict(Problem("warning", spec.source, "field grippers",
                                                     "none: the robot cannot grasp, so pick-and-place tasks cannot succeed",
                                                     "map the hand's finger joints to a gripper")))
        if spec.base.type == "floating" and stand_s > 0:
            report["stand"] = stand_test(robot, stand_s)
            if report["stand"]["fallen"]:
                report["problems"].append(asdict(Problem(
                    "error", spec.source, "stand test", f"fell within {report['stand']['seconds']} s "
                    f"({report['stand']['reason']}) under base.locomotion {spec.base.locomotion!r}",
                    "check the home pose (feet flat, centre of mass over the feet), the leg gains and the stance section")))
    finally:
        world.close()
    return report


def print_report(r: dict[str, Any]) -> None:
    print(f"robot: {r.get('label', r['robot'])}")
    for key in ("yaml", "urdf"):
        if key in r:
            print(f"  {key}: {r[key]}")
    if "base" in r:
        b = r["base"]
        extra = f", locomotion {b['locomotion']}" if b["type"] == "floating" else ""
        print(f"  base: {b['type']}{extra}")
    if "total_mass_kg" in r:
        print(f"  links {r['links']}, movable joints {r['movable_joints']}, total mass {r['total_mass_kg']:.2f} kg, "
              f"height {r['height_m']:.2f} m, load time {r['load_time_s']:.2f} s")
        print("\nDoF by group")
        print(f"  {'group':<16}{'dof':>4}  {'effort (N m | N)':<18} joints")
        for row in r["dof"]:
            eff = f"{row['min_effort']:g}-{row['max_effort']:g}"
            print(f"  {row['group']:<16}{row['dof']:>4}  {eff:<18} {', '.join(row['joints'])}")
        print(f"  {'total':<16}{sum(row['dof'] for row in r['dof']):>4}")
        if r["reach"]:
            print("\nreach envelope (TCP, base frame, m)")
            for e in r["reach"]:
                print(f"  {e['end_effector']:<8} max {e['reach_max_m']:.3f}  p95 {e['reach_p95_m']:.3f}  "
                      f"x {e['x_range_m']}  y {e['y_range_m']}  z {e['z_range_m']}  ({e['samples']} postures)")
        if "workcell" in r:
            w = r["workcell"]
            print(f"  bench layout (table top {w['table_top_m']:.2f} m, offset {w['offset_m']}): "
                  f"{w['reached']}/{w['points']} points reached top-down" + (
                      f" (worst error {w['worst_error_m'] * 100:.1f} cm)" if w["worst_error_m"] is not None else ""))
        if r["grippers"]:
            print("\ngrippers")
            for g in r["grippers"]:
                print(f"  {g['gripper']:<8} {g['joints']} joints, span {g['span_open_m'] * 100:.1f} -> "
                      f"{g['span_closed_m'] * 100:.1f} cm (contact links), max force {g['max_force']:g}")
        print(f"\nself-collision pairs at home: {len(r['self_collisions'])}")
        for p in r["self_collisions"]:
            print(f"  {p['links'][0]} - {p['links'][1]} ({p['penetration_m'] * 1000:.1f} mm)")
        if "stand" in r:
            s = r["stand"]
            verdict = f"FELL ({s['reason']})" if s["fallen"] else "stands"
            print(f"\nstand test: {verdict} after {s['seconds']} s; root at {s['root_height_m']:.3f} m "
                  f"(nominal {s['nominal_root_height_m']:.3f} m)")
    errors = [p for p in r["problems"] if p["severity"] == "error"]
    warnings = [p for p in r["problems"] if p["severity"] == "warning"]
    print(f"\nproblems: {len(errors)} error(s), {len(warnings)} warning(s)")
    for p in errors + warnings:
        fix = f"; fix: {p['fix']}" if p["fix"] else ""
        print(f"  {p['severity']}: {p['file']}: {p['element']}: {p['message']}{fix}")
    print("result: " + ("FAIL" if errors else "PASS"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``humanoid-bench robot ...``; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        ns = _parser().parse_args(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    if ns.samples < 1:
        print(f"error: --samples must be at least 1, got {ns.samples}", file=sys.stderr)
        return 2
    try:
        report = check(ns.robot, ns.urdf, ns.samples, ns.stand)
    except HumanoidBenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_report(report)
    if ns.json_path:
        Path(ns.json_path).write_text(json.dumps(report, indent=2, default=str))
    return 1 if any(p["severity"] == "error" for p in report["problems"]) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
