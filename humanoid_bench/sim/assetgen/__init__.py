"""Code that generates the project's own robot models (URDF + OBJ meshes) with trimesh."""

from __future__ import annotations

from pathlib import Path

from humanoid_bench.sim.assetgen import wheeled_humanoid

GENERATORS = {wheeled_humanoid.NAME: wheeled_humanoid.generate}


def generate_all(robots_dir: Path) -> list[Path]:
    """Generate every reference robot into ``robots_dir/<name>/``; return the URDF paths."""
    return [gen(Path(robots_dir) / name) for name, gen in GENERATORS.items()]
