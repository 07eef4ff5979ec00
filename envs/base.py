"""FactoryEnv: the Gymnasium base shared by every factory task.

It owns the world, the robot, the controller and the safety monitor, and runs the step flow of
DESIGN §3. A task subclass supplies the hooks ``build_scene``, ``initialize_episode(rng)``,
``evaluate() -> dict``, ``dense_reward(evaluation, action) -> dict`` (the task's shaping terms;
the base adds ``units`` and ``action`` to every task's) and ``task_observation()``, plus
``DIFFICULTIES`` (per-level parameters) and ``REWARD_WEIGHTS`` (one weight per term).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from humanoid_bench.errors import ConfigError
from humanoid_bench.safety.monitor import SafetyConfig, SafetyMonitor
from humanoid_bench.sim.controllers import Controller, ControllerConfig
from humanoid_bench.sim.humans import Human, pass_through_each_other
from humanoid_bench.sim.robot import Robot
from humanoid_bench.sim.robot_spec import RobotSpec
from humanoid_bench.sim.site import Site
from humanoid_bench.sim.world import World

OBS_MODES = ("state", "dict")
REWARD_MODES = ("dense", "sparse")


class FactoryEnv(gym.Env):
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["human", "rgb_array"], "render_fps": 30}
    task_name: ClassVar[str] = "base"
    DIFFICULTIES: ClassVar[dict[str, dict[str, Any]]] = {"medium": {"units_target": 1, "time_budget_s": 30.0}}
    #: the most units the scene has room for (None: no limit beyond the difficulty's own)
    MAX_UNITS: ClassVar[int | None] = None
    #: keys of ``evaluate()`` that ``info`` carries too (beyond success, units and progress)
    INFO_KEYS: ClassVar[tuple[str, ...]] = ()
    #: (target, distance, yaw, pitch) of the overview camera used by render()
    CAMERA: ClassVar[tuple[tuple[float, float, float], float, float, float]] = ((0.4, 0.0, 0.8), 2.0, 50.0, -30.0)

    def __init__(
        self,
        robot: str | dict[str, Any] | RobotSpec = "wheeled_humanoid",
        control_mode: str = "ee_delta_pose",
        obs_mode: str = "state",
        render_mode: str | None = None,
        difficulty: str = "medium",
        reward_mode: str = "dense",
        physics_hz: float = 240.0,
        control_hz: float = 30.0,
        time_budget_s: float | None = None,
        units_target: int | None = None,
        safety: dict[str, Any] | None = None,
        controller: dict[str, Any] | None = None,
        settle_s: float = 0.1,
        solver_iterations: int = 50,
        site: dict[str, Any] | None = None,
        fresh_reset: bool = True,
    ) -> None:
        if difficulty not in self.DIFFICULTIES:
            raise ConfigError(f"difficulty {difficulty!r} is not known; valid levels: {', '.join(self.DIFFICULTIES)}")
        if obs_mode not in OBS_MODES:
            raise ConfigError(f"obs_mode {obs_mode!r} is not known; valid modes: {', '.join(OBS_MODES)}")
        if reward_mode not in REWARD_MODES:
            raise ConfigError(f"reward_mode {reward_mode!r} is not known; valid modes: {', '.join(REWARD_MODES)}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode {render_mode!r} is not known; valid: {self.metadata['render_modes']}")
        self.difficulty = difficulty
        self.params: dict[str, Any] = dict(self.DIFFICULTIES[difficulty])
        if units_target is not None:
            if int(units_target) < 1:
                raise ConfigError(f"units_target must be at least 1, got {units_target}")
            self.params["units_target"] = int(units_target)
        if time_budget_s is not None:
            if float(time_budget_s) <= 0:
                raise ConfigError(f"time_budget_s must be positive, got {time_budget_s}")
            self.params["time_budget_s"] = float(time_budget_s)
        self.units_target = int(self.params["units_target"])
        if self.MAX_UNITS is not None and self.units_target > self.MAX_UNITS:
            raise ConfigError(f"{self.task_name} has room for at most {self.MAX_UNITS} units (units_target), "
                              f"got {self.units_target}")
        self.time_budget_s = float(self.params["time_budget_s"])
        self.obs_mode, self.reward_mode, self.render_mode = obs_mode, reward_mode, render_mode
        try:
            ctrl_cfg = ControllerConfig(**(controller or {}))
        except TypeError as exc:
            raise ConfigError(f"controller config: {exc}") from None
        safety_cfg = SafetyConfig.from_dict(safety)
        if not isinstance(fresh_reset, bool):
            raise ConfigError(f"fresh_reset must be true or false, got {fresh_reset!r}")
        # A reset on a world that already ran is not bit for bit a fresh world's reset: Bullet keeps
        # broadphase and contact-manifold state that restoreState does not touch (the order in which
        # the solver visits contacts, and when stale pairs are dropped). Measured: a G1 episode played
        # after another diverged from the same seed in a fresh env at step 213 (the reference robots'
        # checks happened to match). So by default every reset but the first rebuilds the world in the same
        # client (resetSimulation, then the same construction: the same body ids). A reset then takes
        # 26-47 ms on the reference robots (6-14 ms reused) and 1.07 s on the G1 (its meshes), and makes an episode depend
        # on its seed only, whichever worker runs it after whichever seeds. fresh_reset=False reuses it.
        self.fresh_reset = fresh_reset
        self.spec_robot = RobotSpec.load(robot)
        self._build_args = {"control_mode": control_mode, "ctrl_cfg": ctrl_cfg, "safety_cfg": safety_cfg,
                            "physics_hz": physics_hz, "control_hz": control_hz,
                            "solver_iterations": solver_iterations, "site": site, "settle_s": settle_s}
        self._build(**self._build_args)
        self._make_spaces()

    def _build(self, control_mode, ctrl_cfg, safety_cfg, physics_hz, control_hz, solver_iterations, site,
               settle_s) -> None:
        """Everything in the simulator: world, robot, controller, monitor, scene, site, and the
        warm-up reset that the saved state is taken before."""
        if getattr(self, "world", None) is None:
            self.world = World(physics_hz, control_hz, gui=self.render_mode == "human",
                               solver_iterations=solver_iterations)
        else:  # a rebuild: the same client (handles held by callers stay valid), emptied
            self.world.clear()
        self._world_used = False  # set by the first reset: the next one rebuilds (fresh_reset)
        try:
            self.robot = Robot(self.world, self.spec_robot)
            self.controller = Controller(self.robot, control_mode, ctrl_cfg)
            self.monitor = SafetyMonitor(self.world, self.robot, safety_cfg)
            # finger links per gripper: an object touched by all of a gripper's fingers is held by it
            self.finger_links = {g: set(self.robot.gripper_links(g)) for g in self.robot.spec.grippers}
            self.build_scene()
            self.site = Site.from_dict(site)
            self.humans = [Human(self.world, h) for h in self.site.humans]
            pass_through_each_other(self.humans)
            # what runs after every physics substep: the monitor, after the task's physics if it has any
            overridden = type(self).task_substep is not FactoryEnv.task_substep
            self._substep_fn = self._on_substep if overridden else self.monitor.on_substep
            for h in self.humans:
                self.monitor.register_human(h)
                self.world.movables.append(h.body)
            for kind, zones in (("collaborative", self.site.collaborative_zones), ("keep_out", self.site.keep_out_zones)):
                for z in zones:
                    self.monitor.register_zone(kind, z.name, z.low, z.high)
        except Exception:
            self.world.close()
            raise
        self.world.save()
        self._settle_steps = round(settle_s / self.world.physics_dt)
        self._nominal_speed = self.controller.nominal_speed(self.world.control_dt)
        self._units_prev = 0
        self._ended = False
        self._body_cache: dict[tuple[int, ...], tuple[int, list]] = {}
        self._reset_world(np.random.default_rng(0))

    def _make_spaces(self) -> None:
        """Action and observation spaces, made once: a rebuilt world keeps them (and their RNG)."""
        obs_mode = self.obs_mode
        self.action_space = spaces.Box(-1.0, 1.0, (self.controller.action_dim,), np.float32)
        self.action_layout = dict(self.controller.layout)
        sample = self._observation_parts()
        self.obs_layout: dict[str, slice] = {}
        n = 0
        for k, v in sample.items():
            self.obs_layout[k] = slice(n, n + v.size)
            n += v.size
        if obs_mode == "state":
            self.observation_space = spaces.Box(-np.inf, np.inf, (n,), np.float32)
        else:
            self.observation_space = spaces.Dict(
                {k: spaces.Box(-np.inf, np.inf, v.shape, np.float32) for k, v in sample.items()}
            )

    # ------------------------------------------------------------------ task hooks
    def build_scene(self) -> None:
        raise NotImplementedError

    def initialize_episode(self, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def evaluate(self) -> dict[str, Any]:
        """``success``, ``units_completed``, ``progress`` (0..1), ``fail`` and ``fail_reason``."""
        raise NotImplementedError

    def dense_reward(self, evaluation: dict[str, Any], action: np.ndarray) -> dict[str, float]:
        raise NotImplementedError

    def holding_grippers(self, body: int) -> list[str]:
        """The grippers whose fingers all touch ``body`` (a friction grasp; no constraint is made)."""
        touching = {pt[4] for pt in self.world.client.getContactPoints(bodyA=body, bodyB=self.robot.body)}
        return [g for g, fingers in self.finger_links.items() if fingers <= touching]

    def held_by(self, body: int) -> str | None:
        """The first gripper holding ``body``, or None."""
        return next(iter(self.holding_grippers(body)), None)

    def pick_place_terms(self, pos: np.ndarray | None, held: bool, goals: list[np.ndarray],
                         place_rate: float = 5.0) -> dict[str, float]:
        """Dense shaping shared by pick-and-place tasks, for the object worked on now at ``pos``
        (None: nothing left to do): while it is held, ``grasp`` = w and ``place`` =
        w * (1 - tanh(place_rate * d)), d = its distance to the nearest of ``goals``; otherwise
        ``reach`` = w * (1 - tanh(5 d)), d = distance from the nearest TCP to it."""
        w = self.REWARD_WEIGHTS
        terms = {"reach": 0.0, "grasp": 0.0, "place": 0.0}
        if pos is None:
            return terms
        if held:
            d = min((float(np.linalg.norm(pos - g)) for g in goals), default=0.0)
            terms["grasp"] = w["grasp"]
            terms["place"] = w["place"] * (1.0 - math.tanh(place_rate * d))
        else:
            d = min(float(np.linalg.norm(self.robot.ee_pose(ee)[0] - pos)) for ee in self.controller.ees)
            terms["reach"] = w["reach"] * (1.0 - math.tanh(5.0 * d))
        return terms

    def require_gripper(self) -> None:
        """One clear error for a task that grasps, on a robot with no gripper."""
        if not self.robot.spec.grippers:
            from humanoid_bench.errors import ConfigError

            raise ConfigError(f"{self.task_name} needs a robot with a gripper; {self.robot.spec.name!r} has none "
                              "(map a hand's finger joints to a gripper in its YAML)")

    def require_mobile_base(self, why: str) -> None:
        """One clear error for a task that drives the base on a robot that cannot (fixed base, or a
        legged one without assisted locomotion)."""
        if not self.robot.mobile_base:
            from humanoid_bench.errors import ConfigError

            spec = self.robot.spec
            raise ConfigError(f"{self.task_name} needs a mobile base ({why}): wheeled, or legged with "
                              f"base.locomotion: assisted; robot {spec.name!r} has a {spec.base.type} base with no "
                              "base command in its actions (for the biped: robot=biped_humanoid_assisted)")

    def task_substep(self) -> None:
        """Optional: task physics run after every physics substep of ``step`` (a conveyor belt, a
        machine's cycle), before the safety monitor sees the substep. Not run while resetting."""

    def _on_substep(self) -> None:
        self.task_substep()
        self.monitor.on_substep()

    def task_observation(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers for tasks
    @property
    def sim_time(self) -> float:
        return self.world.sim_time

    def to_base_frame(self, position: np.ndarray) -> np.ndarray:
        """World position(s), shape (3,) or (n, 3), in the robot's planar base frame."""
        x, y, yaw = self.robot.base_pose()
        d = np.asarray(position, float) - np.array([x, y, 0.0])
        c, s = math.cos(yaw), math.sin(yaw)
        rot = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # world -> base
        return d @ rot.T

    def body_states(self, bodies: list[int]) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """World position, quaternion and speed of props, read once per world change."""
        key = tuple(bodies)
        cached = self._body_cache.get(key)
        if cached is not None and cached[0] == self.world.epoch:
            return cached[1]
        c = self.world.client
        out = []
        for body in bodies:
            pos, quat = c.getBasePositionAndOrientation(body)
            out.append((np.array(pos), np.array(quat), float(np.linalg.norm(c.getBaseVelocity(body)[0]))))
        self._body_cache[key] = (self.world.epoch, out)
        return out

    def fill_slots(
        self, bodies: list[int], slots_xy: list[tuple[float, float]], rest_z: float, tolerance: float,
        z_tolerance: float, upright_cos: float, rest_speed: float,
    ) -> tuple[list[bool], list[bool]]:
        """Which slots hold an object, and which objects sit in a slot.

        An object counts in a slot when it is within ``tolerance`` (xy) of the slot centre, at its
        resting height (within ``z_tolerance``), upright (its z axis within ``acos(upright_cos)``),
        slower than ``rest_speed`` and touched by no robot link. One object per slot.
        """
        c = self.world.client
        filled = [False] * len(slots_xy)
        placed = [False] * len(bodies)
        for i, (pos, quat, speed) in enumerate(self.body_states(bodies)):
            up = c.getMatrixFromQuaternion(quat)[8]  # z component of the object's z axis
            if up < upright_cos or speed > rest_speed or abs(pos[2] - rest_z) > z_tolerance:
                continue
            for s, (sx, sy) in enumerate(slots_xy):
                if not filled[s] and math.hypot(pos[0] - sx, pos[1] - sy) <= tolerance:
                    if not c.getContactPoints(bodyA=bodies[i], bodyB=self.robot.body):
                        filled[s] = placed[i] = True
                    break
        return filled, placed

    def quats_to_base_frame(self, quats: list[np.ndarray]) -> np.ndarray:
        """World orientations (x, y, z, w) in the robot's planar base frame."""
        c = self.world.client
        inv_yaw = c.getQuaternionFromEuler((0, 0, -self.robot.base_pose()[2]))
        return np.array([c.multiplyTransforms((0, 0, 0), inv_yaw, (0, 0, 0), q)[1] for q in quats])

    # ------------------------------------------------------------------ gymnasium API
    def _reset_world(self, rng: np.random.Generator) -> None:
        self.robot.reset_home()  # out of every contact before the world drops its contact caches
        # ... and away from every fixture: a hand that ended the last episode on a tray near its
        # home pose would otherwise keep that contact's cached points (restore puts it back)
        self.world.client.resetBasePositionAndOrientation(self.robot.body, (-100.0, -100.0, 100.0), (0, 0, 0, 1))
        self.world.restore()
        self.robot.reset_home()
        self.initialize_episode(rng)
        if self.humans:
            # a child stream: adding people to a site does not change the task's randomization
            human_rng = np.random.default_rng(rng.integers(2**63))
            for h in self.humans:
                h.reset(human_rng)
        self.world.settle(self._settle_steps)
        self.world.sim_time = 0.0
        self.controller.reset()
        self.monitor.reset()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if self._world_used and self.fresh_reset:
            self._build(**self._build_args)
        self._world_used = True
        self._reset_world(self.np_random)
        evaluation = self.evaluate()
        self._units_prev = int(evaluation["units_completed"])
        self._ended = False
        info = self._info(evaluation, {"events": [], "cost": 0.0, "peak_contact_force_n": 0.0, "energy_j": 0.0}, {})
        return self._observation(), info

    def step(self, action):
        action = self._check_action(action)
        scale = self.monitor.speed_scale(self._nominal_speed, self.world.control_dt)
        self.controller.apply(action, scale)
        for h in self.humans:
            h.update(self.world.control_dt)
        self.world.step(self._substep_fn)
        q, qd, tau = self.robot.joint_state()
        finite = bool(np.all(np.isfinite(q)) and np.all(np.isfinite(qd)))
        safety = self.monitor.on_control_step(q, qd, tau, self.world.control_dt) if finite else {
            "events": [], "cost": 0.0, "peak_contact_force_n": 0.0, "energy_j": 0.0, "critical": False}
        safety["speed_scale"] = scale
        evaluation = self.evaluate()
        units = int(evaluation["units_completed"])
        if self.reward_mode == "dense":
            w = self.REWARD_WEIGHTS
            terms = self.dense_reward(evaluation, action)
            terms["units"] = w["units"] * units  # the work done so far, and a small effort penalty
            terms["action"] = -w["action"] * float(np.dot(action, action))
        else:
            terms = {"units": float(units - self._units_prev)}
        self._units_prev = units
        reward = float(sum(terms.values()))
        end_reason = None
        if not finite:
            end_reason = "physics_error"
        elif evaluation["success"]:
            end_reason = "success"
        elif any(e.type == "fall" for e in safety["events"]):
            end_reason = "fall"  # a fallen legged robot cannot go on working
        elif evaluation.get("fail"):
            end_reason = str(evaluation.get("fail_reason") or "task_failed")
        elif safety["critical"] and self.monitor.cfg.terminate_on == "critical":
            end_reason = "critical_safety"
        terminated = end_reason is not None
        truncated = not terminated and self.world.sim_time >= self.time_budget_s - 1e-9
        if truncated:
            end_reason = "timeout"
        info = self._info(evaluation, safety, terms)
        if end_reason is not None:
            info["end_reason"] = end_reason
        obs = self._observation()
        if self.render_mode == "human":
            self.render()
        return obs, reward, terminated, truncated, info

    def _check_action(self, action) -> np.ndarray:
        a = np.asarray(action, dtype=np.float64)
        if a.shape != self.action_space.shape:
            raise ValueError(
                f"action has shape {a.shape}, expected {self.action_space.shape} "
                f"(layout: {', '.join(f'{k}[{s.start}:{s.stop}]' for k, s in self.action_layout.items())})"
            )
        if not np.all(np.isfinite(a)):
            bad = np.flatnonzero(~np.isfinite(a)).tolist()
            raise ValueError(f"action contains NaN or inf at indices {bad}; actions must be finite numbers in [-1, 1]")
        return np.clip(a, -1.0, 1.0)

    def _info(self, evaluation: dict[str, Any], safety: dict[str, Any], terms: dict[str, float]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "success": bool(evaluation["success"]),
            "is_success": bool(evaluation["success"]),
            "units_completed": int(evaluation["units_completed"]),
            "units_target": self.units_target,
            "progress": float(evaluation.get("progress", 0.0)),
            "sim_time": float(self.world.sim_time),
            "cost": float(safety["cost"]),
            "safety_events": [e.to_dict() for e in safety["events"]],
            "energy_j": float(safety["energy_j"]),
            "peak_contact_force_n": float(safety["peak_contact_force_n"]),
            "min_human_separation_m": safety.get("min_human_separation_m"),
            "speed_scale": float(safety.get("speed_scale", 1.0)),
        }
        for k in self.INFO_KEYS:
            v = evaluation[k]
            info[k] = v.item() if isinstance(v, np.generic) else v
        for k, v in terms.items():
            info[f"reward_{k}"] = float(v)
        return info

    # ------------------------------------------------------------------ observation
    def robot_observation(self) -> dict[str, np.ndarray]:
        robot, ctrl = self.robot, self.controller
        q, qd, _ = robot.joint_state()
        x, y, yaw = robot.base_pose()
        parts = {
            "joint_pos": q, "joint_vel": qd,
            "base_pose": np.array([x, y, math.cos(yaw), math.sin(yaw)]),
        }
        for ee in ctrl.ees:
            pos, quat = ctrl.measured_ee(ee)
            tpos, tquat = ctrl.ee_targets[ee]
            parts[f"{ee}_ee_pose"] = np.concatenate([pos, quat])
            parts[f"{ee}_ee_target"] = np.concatenate([tpos, tquat])
        if ctrl.torso_names:
            parts["torso_target"] = ctrl.torso_targets()
        for g in ctrl.grippers:
            parts[f"{g}_gripper_closure"] = np.array([robot.gripper_closure(g)])
        return parts

    def _observation_parts(self) -> dict[str, np.ndarray]:
        parts = self.robot_observation()
        parts.update(self.task_observation())
        return {k: np.asarray(v, np.float32).ravel() for k, v in parts.items()}

    def _observation(self):
        # Non-finite values (an exploded simulation) are clamped so the observation stays in its
        # space; the step that saw them ends the episode with end_reason="physics_error".
        parts = self._observation_parts()
        if self.obs_mode == "state":
            return np.nan_to_num(np.concatenate(list(parts.values())), posinf=1e6, neginf=-1e6)
        return {k: np.nan_to_num(v, posinf=1e6, neginf=-1e6) for k, v in parts.items()}

    # ------------------------------------------------------------------ render / close
    def render(self):
        if self.render_mode == "rgb_array":
            target, dist, yaw, pitch = self.CAMERA
            x, y, _ = self.robot.base_pose()
            return self.world.render((target[0] + x, target[1] + y, target[2]), dist, yaw, pitch)
        return None

    def close(self) -> None:
        world = getattr(self, "world", None)
        if world is not None:
            world.close()
            self.world = None  # type: ignore[assignment]
