"""The upper body shared by the reference humanoids: torso link, head with camera, two 7-DoF arms.

The arms and head are those of the wheeled humanoid (``wheeled_humanoid._arm``), so every
reference robot has the same 0.73 m reach and parallel-jaw grippers; only what carries the torso
differs (lift column, pedestal, legs).
"""

from __future__ import annotations

import math

from humanoid_bench.sim.assetgen.urdf_builder import Joint, Link, Primitive, UrdfBuilder
from humanoid_bench.sim.assetgen.wheeled_humanoid import DARK, WHITE, _arm

SHOULDER_ABOVE_TORSO = 0.34  # m: shoulder joints above the torso_link origin (set by _arm)


def torso_and_head(b: UrdfBuilder, parent: str, xyz: tuple[float, float, float], yaw_limit: float = 1.2) -> None:
    """``torso_yaw`` and ``torso_pitch`` joints on ``parent`` at ``xyz``, the torso, head and both arms."""
    b.link(Link("waist_link", [Primitive("cylinder", (0.07, 0.05), (0, 0, 0.02), collide=False)], 1200, DARK))
    b.link(Link("torso_link", [Primitive("box", (0.22, 0.30, 0.38), (0, 0, 0.22))], 600, WHITE))
    b.link(Link("head_pan_link", [Primitive("cylinder", (0.03, 0.06), (0, 0, 0.03), collide=False)], 1200, DARK))
    b.link(Link("head_link", [Primitive("box", (0.14, 0.18, 0.14), (0.0, 0, 0.08))], 600, WHITE))
    b.link(Link("camera_link", mass=0.05))
    b.joint(Joint("torso_yaw", "revolute", parent, "waist_link", xyz, axis=(0, 0, 1), lower=-yaw_limit, upper=yaw_limit,
                  effort=300, velocity=1.0, damping=2.0))
    b.joint(Joint("torso_pitch", "revolute", "waist_link", "torso_link", (0, 0, 0.04), axis=(0, 1, 0), lower=-0.2,
                  upper=0.8, effort=600, velocity=1.0, damping=2.0))
    b.joint(Joint("head_pan", "revolute", "torso_link", "head_pan_link", (0, 0, 0.41), axis=(0, 0, 1), lower=-1.5,
                  upper=1.5, effort=10, velocity=2.0, damping=0.1))
    b.joint(Joint("head_tilt", "revolute", "head_pan_link", "head_link", (0, 0, 0.06), axis=(0, 1, 0), lower=-0.5,
                  upper=1.0, effort=10, velocity=2.0, damping=0.1))
    b.joint(Joint("camera_joint", "fixed", "head_link", "camera_link", (0.075, 0, 0.09)))
    _arm(b, "left")
    _arm(b, "right")


HALF_PI = math.pi / 2
