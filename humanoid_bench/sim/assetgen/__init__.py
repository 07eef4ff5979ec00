"""Code that generates the project's own robot models (URDF + OBJ meshes) with trimesh."""

from __future__ import annotations

from pathlib import Path

from humanoid_bench.sim.assetgen import biped_humanoid, torso_humanoid, wheeled_humanoid

GENERATORS = {m.NAME: m.generate for m in (wheeled_humanoid, torso_humanoid, biped_humanoid)}


def generate_all(robots_dir: Path) -> list[Path]:
    """Generate every reference robot into ``robots_dir/<name>/``; return the URDF paths."""
    return [gen(Path(robots_dir) / name) for name, gen in GENERATORS.items()]
