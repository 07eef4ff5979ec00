"""The physics world: one pybullet ``BulletClient`` per env, never the global connection."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from humanoid_bench.errors import ConfigError


@contextlib.contextmanager
def quiet_stdout(fds: tuple[int, ...] = (1,)) -> Iterator[None]:
    """Silence pybullet's C-level prints around a call by redirecting file descriptors.

    fd 1 by default (URDF warnings); ``fds=(1, 2)`` also silences stderr, used only around the
    import (build-time banner) and connect, where pybullet says nothing a user needs.
    """
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except (AttributeError, ValueError):
        pass
    saved: list[tuple[int, int]] = []
    try:
        with open(os.devnull, "w") as devnull:
            for fd in fds:
                try:
                    saved.append((fd, os.dup(fd)))
                except OSError:
                    continue
                os.dup2(devnull.fileno(), fd)
            yield
            _libc_fflush()  # C stdio buffers what pybullet printed; flush it into /dev/null
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


def _libc_fflush() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library handle on this platform
        pass


with quiet_stdout((1, 2)):  # pybullet prints its build time on import
    import pybullet as pb
    from pybullet_utils import bullet_client


@dataclass
class Camera:
    width: int = 320
    height: int = 240
    fov_deg: float = 60.0
    near: float = 0.02
    far: float = 10.0


class World:
    """Owns the physics client, time and props; steps physics with per-substep callbacks."""

    def __init__(
        self, physics_hz: float = 240.0, control_hz: float = 30.0, gui: bool = False,
        solver_iterations: int = 50,
    ) -> None:
        if physics_hz <= 0 or control_hz <= 0:
            raise ConfigError(f"physics_hz and control_hz must be positive, got {physics_hz} and {control_hz}")
        ratio = physics_hz / control_hz
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise ConfigError(
                f"physics_hz ({physics_hz}) must be a whole multiple of control_hz ({control_hz}); "
                "e.g. physics_hz=240 control_hz=30"
            )
        self.physics_dt = 1.0 / physics_hz
        self.substeps = round(ratio)
        self.control_dt = self.physics_dt * self.substeps
        with quiet_stdout((1, 2)):  # connect prints "argv[0]="
            self.client = bullet_client.BulletClient(connection_mode=pb.GUI if gui else pb.DIRECT)
        # Hot paths call pybullet with this id directly (BulletClient's wrapper costs ~1.5 us a call).
        self.cid: int = self.client._client
        #: bumped whenever physics state may have changed; readers cache per epoch
        self.epoch = 0
        self._solver_iterations = solver_iterations
        self.clear()

    def clear(self) -> None:
        """Empty the simulation and set it up as a new world: floor only, body ids from 0 again.

        The client stays connected, so a caller holding ``world.client`` keeps a working handle.
        """
        c = self.client
        c.resetSimulation()
        c.setGravity(0, 0, -9.81)
        c.setTimeStep(self.physics_dt)
        # deterministicOverlappingPairs sorts the broadphase pairs, so their order does not depend on the tree.
        c.setPhysicsEngineParameter(
            numSolverIterations=self._solver_iterations, deterministicOverlappingPairs=1, numSubSteps=0,
        )
        plane = c.createCollisionShape(pb.GEOM_PLANE)
        self.floor = c.createMultiBody(0, plane)
        c.changeDynamics(self.floor, -1, lateralFriction=0.9)
        self.sim_time = 0.0
        self.fixtures: set[int] = {self.floor}  # static bodies (tables, racks, walls)
        self.movables: list[int] = []  # dynamic props (parts, totes)
        self.names: dict[int, str] = {self.floor: "floor"}
        self._state_id: int | None = None
        self.touch()

    # ----------------------------------------------------------------- props
    def add_box(
        self, name: str, half_extents: Sequence[float], position: Sequence[float], mass: float = 0.0,
        rgba: Sequence[float] = (0.6, 0.6, 0.6, 1.0), orientation: Sequence[float] = (0, 0, 0, 1),
        friction: float = 0.8, collide: bool = True,
    ) -> int:
        """A box body; ``mass=0`` makes a static fixture."""
        c = self.client
        col = c.createCollisionShape(pb.GEOM_BOX, halfExtents=half_extents) if collide else -1
        vis = c.createVisualShape(pb.GEOM_BOX, halfExtents=half_extents, rgbaColor=rgba)
        body = self.add_body(name, col, vis, position, mass, orientation)
        if collide:
            c.changeDynamics(body, -1, lateralFriction=friction)
        return body

    def add_body(self, name: str, collision: int, visual: int, position: Sequence[float], mass: float,
                 orientation: Sequence[float] = (0, 0, 0, 1)) -> int:
        """A body from shapes the caller made (compound props: totes, bottles), registered by name as
        a fixture (``mass=0``, colliding) or a movable prop (parked at ``restore()``)."""
        body = self.client.createMultiBody(mass, collision, visual, basePosition=position, baseOrientation=orientation)
        if mass == 0.0 and collision != -1:
            self.fixtures.add(body)
        elif mass > 0.0:
            self.movables.append(body)
        self.names[body] = name
        return body

    def add_marker(self, name: str, half_extents: Sequence[float], position: Sequence[float], rgba: Sequence[float]) -> int:
        """Visual-only box (slot outlines, floor markings)."""
        return self.add_box(name, half_extents, position, rgba=rgba, collide=False)

    # ----------------------------------------------------------------- state
    def save(self) -> None:
        """Remember the current state; ``restore()`` returns to it (cheap reset, no reload)."""
        self._state_id = self.client.saveState()

    def restore(self) -> None:
        if self._state_id is None:
            raise RuntimeError("World.restore() called before World.save()")
        c = self.client
        # restoreState does not clear Bullet's contact caches (persistent manifolds), which warm-
        # start the solver: park every movable prop far apart and run collision detection so that
        # most old contact pairs are dropped, then restore. Not all of them: every body stays paired
        # with the infinite floor plane, and the broadphase keeps counters no API resets, so a reused
        # world can still differ in low bits from a fresh one (a G1 episode did at step 213). The
        # envs therefore rebuild with clear() on every reset after the first (FactoryEnv fresh_reset).
        for k, body in enumerate(self.movables):
            c.resetBasePositionAndOrientation(body, (100.0 + 3.0 * k, 100.0, 100.0), (0, 0, 0, 1))
        c.performCollisionDetection()
        c.restoreState(self._state_id)
        self.sim_time = 0.0
        self.touch()

    def touch(self) -> None:
        """Note that state changed outside ``step`` (resets, teleports): cached reads are stale."""
        self.epoch += 1

    def step(self, on_substep: Callable[[], None] | None = None) -> None:
        """Advance one control period: ``substeps`` physics steps, calling ``on_substep`` after each."""
        cid = self.cid
        for _ in range(self.substeps):
            pb.stepSimulation(physicsClientId=cid)
            self.sim_time += self.physics_dt
            if on_substep is not None:
                on_substep()
        self.epoch += 1

    def settle(self, steps: int) -> None:
        for _ in range(steps):
            pb.stepSimulation(physicsClientId=self.cid)
        self.epoch += 1

    # ----------------------------------------------------------------- rendering
    def render(
        self, target: Sequence[float], distance: float = 2.2, yaw: float = 50.0, pitch: float = -30.0,
        camera: Camera | None = None,
    ) -> np.ndarray:
        """RGB image (H, W, 3) uint8 from an orbit camera, TinyRenderer (no GPU needed)."""
        cam = camera or Camera()
        c = self.client
        view = c.computeViewMatrixFromYawPitchRoll(target, distance, yaw, pitch, 0.0, 2)
        proj = c.computeProjectionMatrixFOV(cam.fov_deg, cam.width / cam.height, cam.near, cam.far)
        return self._image(view, proj, cam)[0]

    def render_from(self, eye: Sequence[float], target: Sequence[float], up: Sequence[float], camera: Camera) -> tuple[np.ndarray, np.ndarray]:
        """RGB (H, W, 3) and metric depth (H, W) from a camera at ``eye`` looking at ``target``."""
        c = self.client
        view = c.computeViewMatrix(eye, target, up)
        proj = c.computeProjectionMatrixFOV(camera.fov_deg, camera.width / camera.height, camera.near, camera.far)
        return self._image(view, proj, camera)

    def _image(self, view, proj, cam: Camera) -> tuple[np.ndarray, np.ndarray]:
        _, _, rgba, depth, _ = self.client.getCameraImage(
            cam.width, cam.height, view, proj, renderer=pb.ER_TINY_RENDERER,
        )
        rgb = np.asarray(rgba, dtype=np.uint8).reshape(cam.height, cam.width, 4)[..., :3]
        zbuf = np.asarray(depth, dtype=np.float32).reshape(cam.height, cam.width)
        metric = cam.far * cam.near / (cam.far - (cam.far - cam.near) * zbuf)
        return rgb, metric.astype(np.float32)

    def close(self) -> None:
        with contextlib.suppress(pb.error):
            self.client.disconnect()
