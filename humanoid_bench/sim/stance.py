"""Stance controller of a legged (floating-base) robot: hold balance while the arms work.

Ankle strategy. The leg joints hold the home posture (stiff position control, feet flat); the
ankle pitch and roll joints get an offset that moves the whole-body centre of mass (CoM) back
over the centre of the support polygon (the middle of the feet):

    e = CoM_xy - support_xy,   d = -(com_gain e + com_damping v_CoM) - integral
    offset = S^-1 d            (S: CoM shift per radian of ankle pitch/roll, from the joint axes)

``S`` is computed each step from the ankle axes and the CoM's lever arm (with the feet planted,
turning an ankle by ``dq`` turns everything above it by ``-dq``), so the controller works for any
leg whose ankle pitch and roll joints the robot YAML names (``stance.ankle_pitch/ankle_roll``),
whatever the axis signs. The slow integral term trims a steady lean (an arm held out). Runs once
per control step from ``Robot.apply``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from humanoid_bench.sim.robot import Robot


class StanceController:
    def __init__(self, robot: Robot) -> None:
        self.robot = robot
        self.cfg = robot.spec.stance
        self.legs = list(robot.leg_joints)
        slots = robot.ctrl_slots(self.legs)
        self.home = {n: float(robot.home[s]) for n, s in zip(self.legs, slots)}
        self.pitch = list(self.cfg.ankle_pitch)
        self.roll = list(self.cfg.ankle_roll)
        self.hip_roll = list(self.cfg.hip_roll)
        c = robot.client
        self._axis = {n: np.array(c.getJointInfo(robot.body, robot.joints[n].index)[13])
                      for n in self.pitch + self.roll + self.hip_roll}
        self._hip_sign = [self._relative_sign(h, a) for h, a in zip(self.hip_roll, self.roll)]
        self._feet = sorted(robot._foot_indices)
        self.integral = np.zeros(2)
        self.offset = np.zeros(2)  # ankle pitch, roll offsets (rad) of the last update
        self.error = np.zeros(2)  # CoM - support centre (m, world xy) of the last update
        self._last_time: float | None = None

    def reset(self) -> None:
        self.integral[:] = 0.0
        self.offset[:] = 0.0
        self.error[:] = 0.0
        self._last_time = None

    def _world_axis(self, name: str) -> np.ndarray:
        c, body = self.robot.client, self.robot.body
        orn = c.getLinkState(body, self.robot.joints[name].index, computeForwardKinematics=1)[5]
        return np.array(c.getMatrixFromQuaternion(orn)).reshape(3, 3) @ self._axis[name]

    def _relative_sign(self, hip: str, ankle: str) -> float:
        """+1 when the hip and ankle roll axes point the same way in the world (at the home pose)."""
        return 1.0 if float(np.dot(self._world_axis(hip), self._world_axis(ankle))) >= 0 else -1.0

    def support_center(self) -> np.ndarray:
        """World xy of the middle of the feet (mean of the foot links' bounding-box centres)."""
        c, body = self.robot.client, self.robot.body
        centres = [np.add(*c.getAABB(body, i)) / 2.0 for i in self._feet]
        return np.mean(centres, axis=0)[:2]

    def _sensitivity(self, com: np.ndarray) -> np.ndarray:
        """2x2 matrix: CoM xy shift per radian of (common) ankle pitch and roll offset."""
        c, body = self.robot.client, self.robot.body
        cols = []
        for names in (self.pitch, self.roll):
            shifts = []
            for n in names:
                idx = self.robot.joints[n].index
                pos, orn = c.getLinkState(body, idx, computeForwardKinematics=1)[4:6]
                rot = np.array(c.getMatrixFromQuaternion(orn)).reshape(3, 3)
                axis = rot @ self._axis[n]
                shifts.append(-np.cross(axis, com - np.array(pos))[:2])
            cols.append(np.mean(shifts, axis=0))
        return np.array(cols).T

    def update(self) -> dict[str, float]:
        """Leg joint targets for this control step."""
        cfg, robot = self.cfg, self.robot
        t = robot.world.sim_time
        dt = 0.0 if self._last_time is None else max(0.0, t - self._last_time)
        self._last_time = t
        com, vel = robot.center_of_mass()
        self.error = com[:2] - self.support_center()
        self.integral += cfg.integral_rate * self.error * dt
        self.integral = np.clip(self.integral, -0.1, 0.1)
        desired = -(cfg.com_gain * self.error + cfg.com_damping * vel[:2] + self.integral)
        sens = self._sensitivity(com)
        try:
            offset = np.linalg.solve(sens, desired)
        except np.linalg.LinAlgError:
            offset = np.zeros(2)
        self.offset = np.clip(offset, -cfg.max_correction, cfg.max_correction)
        targets = dict(self.home)
        for n in self.pitch:
            targets[n] = self.home[n] + float(self.offset[0])
        for n in self.roll:
            targets[n] = self.home[n] + float(self.offset[1])
        for n, sign in zip(self.hip_roll, self._hip_sign):
            targets[n] = self.home[n] - sign * float(self.offset[1])
        return targets
