"""The safety monitor: watches the world, counts events of the taxonomy (events.py).

It sees only the world (bodies, contacts, fixtures, payloads, goal zones) and the robot's joints;
it knows nothing of the task or the policy, and nothing in the env can switch it off.

What is watched when:
- every physics substep: robot contacts: ``contact_force`` (robot-human force above the body
  region's ISO/TS 15066 limit, twice that while the contact is transient), ``head_contact`` (any
  robot contact with a head), ``collision`` (against fixtures above a force threshold),
  ``self_collision``, peak contact force, which payloads the grippers touch;
- every control step: ``separation_breach`` (speed and separation monitoring: a moving robot
  closer to a person than the protective separation distance S_p), ``reduced_speed`` (tool
  faster than the collaborative speed inside a collaborative zone with a person in it),
  ``zone_intrusion`` (a robot link inside a keep-out zone, or inside an interlocked machine's
  working space or its guard opened while the machine runs), ``fall`` (robots that report a fall
  state), ``joint_limit`` (position within a margin of a limit, or torque saturated),
  ``payload_drop`` (a held payload let go outside every goal zone, or falling faster than a
  threshold), mechanical energy. SSM at the control rate (30 Hz by default) is within the 10 to
  100 Hz of real SSM systems; zone checks use link bounding boxes (conservative).

An event is debounced: a contact (or a joint at its limit) that persists, or breaks for less than
``debounce_s``, is one event, not one per substep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from humanoid_bench.safety import iso
from humanoid_bench.safety.events import CRITICAL, SEVERITIES, SafetyEvent, make_event
from humanoid_bench.safety.iso import SsmParameters
from humanoid_bench.sim.robot import Robot
from humanoid_bench.sim.world import World, pb


@dataclass
class SafetyConfig:
    """Thresholds (defaults from the standards; conf/safety/default.yaml cites each clause)."""

    collision_force_n: float = 100.0  # robot-fixture normal force that counts as a collision
    payload_drop_speed: float = 1.0  # m/s downward speed of a payload that counts as a drop
    joint_limit_margin: float = 0.005  # rad (m) from a position limit
    torque_saturation: float = 0.99  # fraction of the torque limit
    debounce_s: float = 0.25
    terminate_on: str | None = None  # None (record and continue) or "critical"
    cost_weights: dict[str, float] = field(default_factory=lambda: {"critical": 1.0, "major": 0.5, "minor": 0.1})
    # speed and separation monitoring (ISO/TS 15066 5.5.4, ISO 13855 6.2.3)
    robot_reaction_time_s: float = 0.1
    robot_stopping_time_s: float = 0.3
    intrusion_distance_m: float = 0.2
    human_position_uncertainty_m: float = 0.1
    robot_position_uncertainty_m: float = 0.02
    human_speed_far_mps: float = 1.6
    human_speed_near_mps: float = 2.0
    measure_human_speed: bool = False  # False: ISO 13855 speeds; True: the person's scripted speed
    robot_moving_speed_mps: float = 0.02  # below this the robot is at a monitored standstill
    human_sensing_range_m: float = 5.0
    # power and force limiting (ISO/TS 15066 5.5.5, Annex A)
    transient_contact_s: float = 0.5  # contacts shorter than this use the transient limit
    # collaborative operation (ISO 10218-1/-2)
    collaborative_speed_mps: float = 0.25
    # protective layer a policy may use (the monitor itself never switches off)
    speed_scaling: bool = False
    speed_scaling_margin: float = 0.8  # command at most this fraction of the allowed speed

    def ssm(self) -> SsmParameters:
        return SsmParameters(
            self.robot_reaction_time_s, self.robot_stopping_time_s, self.intrusion_distance_m,
            self.human_position_uncertainty_m, self.robot_position_uncertainty_m,
            self.human_speed_far_mps, self.human_speed_near_mps,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SafetyConfig:
        from humanoid_bench.errors import ConfigError

        data = dict(data or {})
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"safety config has unknown key(s) {unknown}; valid keys: {sorted(names)}")
        cfg = cls(**data)
        if cfg.terminate_on not in (None, "none", CRITICAL):
            raise ConfigError(f"safety.terminate_on is {cfg.terminate_on!r}; expected null or 'critical'")
        if cfg.terminate_on == "none":
            cfg.terminate_on = None
        return cfg


@dataclass
class Interlock:
    """A machine whose working space and guard are interlocked while it runs (see register_interlock)."""

    name: str
    low: np.ndarray
    high: np.ndarray
    running: Callable[[], bool]
    guard_opening: Callable[[], float] | None = None
    opening_limit: float = 0.0


class SafetyMonitor:
    def __init__(self, world: World, robot: Robot, config: SafetyConfig | None = None) -> None:
        self.world = world
        self.robot = robot
        self.cfg = config or SafetyConfig()
        self.payloads: set[int] = set()
        self.goal_zones: list[tuple[np.ndarray, np.ndarray]] = []
        self.humans: dict[int, Any] = {}  # body id -> humanoid_bench.sim.humans.Human
        self.collaborative_zones: list[tuple[str, np.ndarray, np.ndarray]] = []
        self.keep_out_zones: list[tuple[str, np.ndarray, np.ndarray]] = []
        self.interlocks: list[Interlock] = []
        self._ssm = self.cfg.ssm()
        self._ee_links = [robot.links[e.link] for e in robot.spec.end_effectors.values()]
        self._feet = set(getattr(robot, "foot_link_indices", None) or ())  # feet stand on the floor
        self._all_links = list(range(robot.client.getNumJoints(robot.body)))
        gripper_joints = {n for g in robot.spec.grippers.values() for n in g.joints}
        self._finger_links = {robot.joints[n].index for n in gripper_joints}
        self._watched = np.array([j.name not in gripper_joints for j in robot.controlled])
        self._names = [j.name for j in robot.controlled]
        self._link_names = {i: n for n, i in robot.links.items()}
        self._effort = np.array([j.effort for j in robot.controlled])
        self.reset()

    def register_payloads(self, bodies: list[int]) -> None:
        self.payloads.update(bodies)

    def register_goal_zone(self, low: np.ndarray, high: np.ndarray) -> None:
        self.goal_zones.append((np.asarray(low, float), np.asarray(high, float)))

    def register_human(self, human: Any) -> None:
        self.humans[human.body] = human

    def register_zone(self, kind: str, name: str, low: np.ndarray, high: np.ndarray) -> None:
        """``kind`` is ``collaborative`` or ``keep_out``; bounds are world-frame corners."""
        zone = (name, np.asarray(low, float), np.asarray(high, float))
        (self.collaborative_zones if kind == "collaborative" else self.keep_out_zones).append(zone)

    def register_interlock(self, name: str, low: np.ndarray, high: np.ndarray, running: Callable[[], bool],
                           guard_opening: Callable[[], float] | None = None, opening_limit: float = 0.0) -> None:
        """An interlocked machine (ISO 10218-2): while ``running()`` is true, its working space
        (world-frame corners ``low``, ``high``) is a keep-out zone and its guard must stay shut:
        a robot link in the space, or ``guard_opening()`` (m) above ``opening_limit``, is a
        ``zone_intrusion``. The callables read the world; the monitor still knows no task.
        """
        self.interlocks.append(Interlock(name, np.asarray(low, float), np.asarray(high, float), running,
                                         guard_opening, float(opening_limit)))

    def reset(self) -> None:
        self._last_seen: dict[tuple, float] = {}
        self._pending: list[SafetyEvent] = []
        self._held: set[int] = set()
        self._touching: dict[int, set[int]] = {}
        self._step_peak_force = 0.0
        self._contact_start: dict[tuple, float] = {}
        self.separation = np.inf  # latest robot-human separation (m)
        self.separation_human_speed = self._ssm.human_speed_far_mps
        self.human_in_collaborative_zone = False
        self._prev_link_pos: np.ndarray | None = None
        self._link_vel = np.zeros((len(self._all_links) + 1, 3))
        self._link_pos = np.zeros((len(self._all_links) + 1, 3))

    # ------------------------------------------------------------------ substep
    def on_substep(self) -> None:
        w, robot = self.world, self.robot
        body = robot.body
        t = w.sim_time
        pair_force: dict[tuple[int, int], float] = {}
        human_force: dict[tuple[int, int, int], float] = {}
        for pt in pb.getContactPoints(bodyA=body, physicsClientId=w.cid):
            a, b, la, lb, force = pt[1], pt[2], pt[3], pt[4], pt[9]
            if a != body:
                a, b, la, lb = b, a, lb, la
            if b == body:
                self._debounced(("self", min(la, lb), max(la, lb)), t, "self_collision", 1.0, 0.0,
                                (self._link(la), self._link(lb)))
                continue
            if b in self.payloads:
                if la in self._finger_links:
                    self._touching.setdefault(b, set()).add(la)
                continue
            if b in self.humans:
                key = (la, b, lb)
                human_force[key] = human_force.get(key, 0.0) + force
            if b == w.floor and la in self._feet:
                continue
            key = (la, b)
            pair_force[key] = pair_force.get(key, 0.0) + force
        for (la, b), force in pair_force.items():
            self._step_peak_force = max(self._step_peak_force, force)
            if b in w.fixtures and force > self.cfg.collision_force_n:
                self._debounced(("collision", la, b), t, "collision", force, self.cfg.collision_force_n,
                                (self._link(la), w.names.get(b, str(b))))
        for (la, b, lb), force in human_force.items():
            self._human_contact(la, b, lb, force, t)

    def _human_contact(self, robot_link: int, body: int, link: int, force: float, t: float) -> None:
        """Power and force limiting and head contact for one robot-link / body-region contact."""
        human = self.humans[body]
        region = human.region_of(link)
        key = ("pfl", robot_link, body, link)
        last = self._last_seen.get(key)
        if last is None or t - last > self.cfg.debounce_s:
            self._contact_start[key] = t
        transient = t - self._contact_start[key] <= self.cfg.transient_contact_s
        who = (self._link(robot_link), f"{human.spec.name}:{region}")
        if region == "head":
            self._debounced(("head", robot_link, body), t, "head_contact", force, 0.0, who)
        limit = iso.force_limit(region, transient)
        self._last_seen[key] = t
        if force > limit:
            self._debounced(("force", robot_link, body, link), t, "contact_force", force, limit, who)

    def _link(self, index: int) -> str:
        return self._link_names.get(index, str(index))

    def _debounced(self, key: tuple, t: float, type: str, value: float, limit: float, bodies: tuple[str, ...]) -> None:
        last = self._last_seen.get(key)
        self._last_seen[key] = t
        if last is None or t - last > self.cfg.debounce_s:
            self._pending.append(make_event(type, value, limit, bodies, t))

    # ------------------------------------------------------------------ control step
    def on_control_step(self, q: np.ndarray, qd: np.ndarray, tau: np.ndarray, dt: float) -> dict[str, Any]:
        """Finish one control step: returns ``events``, ``cost``, ``peak_contact_force_n``, ``energy_j``."""
        cfg, w, robot = self.cfg, self.world, self.robot
        t = w.sim_time
        at_limit = (q <= robot.lower + cfg.joint_limit_margin) | (q >= robot.upper - cfg.joint_limit_margin)
        saturated = np.abs(tau) >= cfg.torque_saturation * self._effort
        for i in np.flatnonzero((at_limit | saturated) & self._watched):
            limit = robot.upper[i] if q[i] >= robot.upper[i] - cfg.joint_limit_margin else robot.lower[i]
            value, lim = (q[i], limit) if at_limit[i] else (abs(tau[i]), self._effort[i])
            self._debounced(("joint", i), t, "joint_limit", value, lim, (self._names[i],))
        for p in self.payloads:
            fingers = self._touching.get(p, set())
            pos, _ = w.client.getBasePositionAndOrientation(p)
            vz = w.client.getBaseVelocity(p)[0][2]
            if len(fingers) >= 2:
                self._held.add(p)
            elif not fingers and p in self._held:
                self._held.discard(p)
                if not self.in_goal_zone(np.array(pos)):
                    self._pending.append(make_event("payload_drop", pos[2], 0.0, (w.names.get(p, str(p)),), t))
            if vz < -cfg.payload_drop_speed:
                self._debounced(("fall", p), t, "payload_drop", -vz, cfg.payload_drop_speed, (w.names.get(p, str(p)),))
        self._touching = {}
        if self.humans or self.collaborative_zones:
            self._update_link_velocities(dt)
        if self.humans:
            self._separation_monitoring(t)
        if self.collaborative_zones or self.keep_out_zones:
            self._zones(t)
        if self.interlocks:
            self._interlocks(t)
        fall_state = getattr(robot, "fall_state", None)
        if fall_state is not None:
            fallen, value, limit, reason = fall_state()
            if fallen:
                self._debounced(("fall",), t, "fall", value, limit, (robot.spec.name, reason))
        events, self._pending = self._pending, []
        out = {
            "events": events,
            "cost": float(sum(cfg.cost_weights.get(e.severity, 0.0) for e in events)),
            "peak_contact_force_n": self._step_peak_force,
            "energy_j": float(np.sum(np.abs(tau * qd)) * dt),
            "critical": any(e.severity == CRITICAL for e in events),
            "min_human_separation_m": float(self.separation) if self.humans else None,
        }
        self._step_peak_force = 0.0
        return out

    def _separation_monitoring(self, t: float) -> None:
        """ISO/TS 15066 SSM: a moving robot must stay at least S_p away from every person."""
        w, cfg = self.world, self.cfg
        closest = np.inf
        for body, human in self.humans.items():
            pts = pb.getClosestPoints(self.robot.body, body, cfg.human_sensing_range_m, physicsClientId=w.cid)
            if not pts:
                continue
            best = min(pts, key=lambda p: p[8])
            d, link = max(float(best[8]), 0.0), int(best[3])
            v_r = float(np.linalg.norm(self._link_velocity(link)))
            v_h = float(np.linalg.norm(human.velocity)) if cfg.measure_human_speed else iso.human_speed(d, self._ssm)
            s_p = iso.protective_separation(v_r, v_h, self._ssm)
            if d < s_p and v_r > cfg.robot_moving_speed_mps:
                self._debounced(("ssm", body), t, "separation_breach", d, s_p, (self._link(link), human.spec.name))
            if d < closest:
                closest, self.separation_human_speed = d, v_h
        self.separation = closest

    def _update_link_velocities(self, dt: float) -> None:
        """World velocity of every robot link, by finite difference over the control step.

        (pybullet's getLinkState(computeLinkVelocity=1) under-reports on this kind of chain:
        measured 0.10 m/s for a tool moving at 0.45 m/s, so it is not used.)
        """
        w, body = self.world, self.robot.body
        pos = np.empty((len(self._all_links) + 1, 3))
        pos[0] = pb.getBasePositionAndOrientation(body, physicsClientId=w.cid)[0]
        states = pb.getLinkStates(body, self._all_links, computeForwardKinematics=1, physicsClientId=w.cid)
        pos[1:] = [st[4] for st in states]
        self._link_pos = pos
        self._link_vel = np.zeros_like(pos) if self._prev_link_pos is None else (pos - self._prev_link_pos) / dt
        self._prev_link_pos = pos

    def _link_velocity(self, link: int) -> np.ndarray:
        return self._link_vel[link + 1]

    def _zones(self, t: float) -> None:
        w, robot = self.world, self.robot
        self.human_in_collaborative_zone = False
        for name, lo, hi in self.collaborative_zones:
            inside = pb.getOverlappingObjects(lo.tolist(), hi.tolist(), physicsClientId=w.cid) or []
            if not any(b in self.humans for b, _ in inside):
                continue
            self.human_in_collaborative_zone = True
            for link in self._ee_links:  # tool frames (they may have no collision shape): point test
                pos = self._link_pos[link + 1]
                speed = float(np.linalg.norm(self._link_velocity(link)))
                if np.all(pos >= lo) and np.all(pos <= hi) and speed > self.cfg.collaborative_speed_mps:
                    self._debounced(("speed", name, link), t, "reduced_speed", speed,
                                    self.cfg.collaborative_speed_mps, (self._link(link), name))
        for name, lo, hi in self.keep_out_zones:
            inside = pb.getOverlappingObjects(lo.tolist(), hi.tolist(), physicsClientId=w.cid) or []
            links = sorted({link for b, link in inside if b == robot.body})
            if links:
                self._debounced(("zone", name), t, "zone_intrusion", len(links), 0.0, (self._link(links[0]), name))

    def _interlocks(self, t: float) -> None:
        """Running machines: robot links in the working space, guards opened (one debounced event each)."""
        body = self.robot.body
        for lock in self.interlocks:
            if not lock.running():
                continue
            inside = pb.getOverlappingObjects(lock.low.tolist(), lock.high.tolist(), physicsClientId=self.world.cid) or []
            links = sorted({link for b, link in inside if b == body})
            if links:
                self._debounced(("interlock_space", lock.name), t, "zone_intrusion", len(links), 0.0,
                                (self._link(links[0]), lock.name))
            if lock.guard_opening is not None:
                opening = float(lock.guard_opening())
                if opening > lock.opening_limit:
                    self._debounced(("interlock_guard", lock.name), t, "zone_intrusion", opening, lock.opening_limit,
                                    (f"{lock.name}:guard", lock.name))

    def speed_scale(self, nominal_speed_mps: float, control_dt: float) -> float:
        """Protective layer: the fraction of full speed allowed now (0 = monitored stop).

        From the latest separation: the robot speed whose S_p still fits (ISO/TS 15066 5.5.4),
        capped at the collaborative speed while a person is in a collaborative zone. The
        separation is first reduced by two control periods of the person's approach (the reading
        is one period old and the command acts during the next one).
        """
        if not self.cfg.speed_scaling or not self.humans:
            return 1.0
        v_h = self.separation_human_speed
        allowed = iso.allowed_robot_speed(self.separation - 2.0 * v_h * control_dt, v_h, self._ssm)
        if self.human_in_collaborative_zone:
            allowed = min(allowed, self.cfg.collaborative_speed_mps)
        return float(np.clip(self.cfg.speed_scaling_margin * allowed / nominal_speed_mps, 0.0, 1.0))

    def in_goal_zone(self, pos: np.ndarray) -> bool:
        return any(np.all(pos >= lo) and np.all(pos <= hi) for lo, hi in self.goal_zones)


__all__ = ["SEVERITIES", "Interlock", "SafetyConfig", "SafetyMonitor"]
