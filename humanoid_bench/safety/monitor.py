"""The safety monitor: watches the world, counts events of the taxonomy (events.py).

It sees only the world (bodies, contacts, fixtures, payloads, goal zones) and the robot's joints;
it knows nothing of the task or the policy, and nothing in the env can switch it off.

What is watched when:
- every physics substep: robot contacts (``collision`` against fixtures above a force threshold,
  ``self_collision``, peak contact force, which payloads the grippers touch);
- every control step: ``joint_limit`` (position within a margin of a limit, or torque saturated),
  ``payload_drop`` (a held payload let go outside every goal zone, or falling faster than a
  threshold), mechanical energy.

An event is debounced: a contact (or a joint at its limit) that persists, or breaks for less than
``debounce_s``, is one event, not one per substep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from humanoid_bench.safety.events import CRITICAL, SEVERITIES, SafetyEvent, make_event
from humanoid_bench.sim.robot import Robot
from humanoid_bench.sim.world import World, pb


@dataclass
class SafetyConfig:
    collision_force_n: float = 100.0  # robot-fixture normal force that counts as a collision
    payload_drop_speed: float = 1.0  # m/s downward speed of a payload that counts as a drop
    joint_limit_margin: float = 0.005  # rad (m) from a position limit
    torque_saturation: float = 0.99  # fraction of the torque limit
    debounce_s: float = 0.25
    terminate_on: str | None = None  # None (record and continue) or "critical"
    cost_weights: dict[str, float] = field(default_factory=lambda: {"critical": 1.0, "major": 0.5, "minor": 0.1})

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


class SafetyMonitor:
    def __init__(self, world: World, robot: Robot, config: SafetyConfig | None = None) -> None:
        self.world = world
        self.robot = robot
        self.cfg = config or SafetyConfig()
        self.payloads: set[int] = set()
        self.goal_zones: list[tuple[np.ndarray, np.ndarray]] = []
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

    def reset(self) -> None:
        self._last_seen: dict[tuple, float] = {}
        self._pending: list[SafetyEvent] = []
        self._held: set[int] = set()
        self._touching: dict[int, set[int]] = {}
        self._step_peak_force = 0.0

    # ------------------------------------------------------------------ substep
    def on_substep(self) -> None:
        w, robot = self.world, self.robot
        body = robot.body
        t = w.sim_time
        pair_force: dict[tuple[int, int], float] = {}
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
            key = (la, b)
            pair_force[key] = pair_force.get(key, 0.0) + force
        for (la, b), force in pair_force.items():
            if force > self._step_peak_force:
                self._step_peak_force = force
            if b in w.fixtures and force > self.cfg.collision_force_n:
                self._debounced(("collision", la, b), t, "collision", force, self.cfg.collision_force_n,
                                (self._link(la), w.names.get(b, str(b))))

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
        events, self._pending = self._pending, []
        out = {
            "events": events,
            "cost": float(sum(cfg.cost_weights.get(e.severity, 0.0) for e in events)),
            "peak_contact_force_n": self._step_peak_force,
            "energy_j": float(np.sum(np.abs(tau * qd)) * dt),
            "critical": any(e.severity == CRITICAL for e in events),
        }
        self._step_peak_force = 0.0
        return out

    def in_goal_zone(self, pos: np.ndarray) -> bool:
        return any(np.all(pos >= lo) and np.all(pos <= hi) for lo, hi in self.goal_zones)


__all__ = ["SafetyConfig", "SafetyMonitor", "SEVERITIES"]
