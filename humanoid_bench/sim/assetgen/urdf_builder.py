"""Build URDF robots from solid primitives with trimesh.

Each link is a list of primitives (box, cylinder, sphere) with a pose and a density. From them the
builder writes one visual OBJ mesh per link (trimesh), takes mass, centre of mass and inertia from
the geometry (trimesh's mass properties of the solid), and uses the primitives themselves as
collision shapes (all convex, which keeps pybullet's contact generation fast and stable).

Output is deterministic: same code, same bytes (a test regenerates the committed models).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import trimesh

Vec3 = tuple[float, float, float]


@dataclass
class Primitive:
    kind: str  # box | cylinder | sphere
    size: tuple[float, ...]  # box: (x, y, z); cylinder: (radius, length); sphere: (radius,)
    xyz: Vec3 = (0.0, 0.0, 0.0)
    rpy: Vec3 = (0.0, 0.0, 0.0)
    collide: bool = True

    def mesh(self) -> trimesh.Trimesh:
        if self.kind == "box":
            m = trimesh.creation.box(extents=self.size)
        elif self.kind == "cylinder":
            m = trimesh.creation.cylinder(radius=self.size[0], height=self.size[1], sections=24)
        elif self.kind == "sphere":
            m = trimesh.creation.icosphere(subdivisions=2, radius=self.size[0])
        else:
            raise ValueError(f"unknown primitive kind {self.kind!r}; expected box, cylinder or sphere")
        tf = trimesh.transformations.euler_matrix(*self.rpy, axes="sxyz")
        tf[:3, 3] = self.xyz
        m.apply_transform(tf)
        return m


@dataclass
class Link:
    name: str
    parts: list[Primitive] = field(default_factory=list)
    density: float = 1000.0  # kg/m^3 of the solid (shells and motors folded into one figure)
    rgba: tuple[float, float, float, float] = (0.7, 0.7, 0.72, 1.0)
    mass: float | None = None  # overrides density-derived mass (virtual links)


@dataclass
class Joint:
    name: str
    type: str  # revolute | continuous | prismatic | fixed
    parent: str
    child: str
    xyz: Vec3 = (0.0, 0.0, 0.0)
    rpy: Vec3 = (0.0, 0.0, 0.0)
    axis: Vec3 = (0.0, 0.0, 1.0)
    lower: float = 0.0
    upper: float = 0.0
    effort: float = 0.0
    velocity: float = 0.0
    damping: float = 0.0


def _num(value: float) -> str:
    # Round away float noise (1e-19 and -0.0) so that the output is the same on every machine.
    return f"{round(float(value), 9) + 0.0:.6g}"


def _fmt(values) -> str:
    return " ".join(_num(v) for v in values)


class UrdfBuilder:
    def __init__(self, robot_name: str) -> None:
        self.robot_name = robot_name
        self.links: list[Link] = []
        self.joints: list[Joint] = []

    def link(self, link: Link) -> Link:
        self.links.append(link)
        return link

    def joint(self, joint: Joint) -> Joint:
        self.joints.append(joint)
        return joint

    def _inertial(self, link: Link) -> tuple[float, np.ndarray, np.ndarray]:
        if not link.parts or link.mass is not None:
            mass = link.mass if link.mass is not None else 0.01
            i = max(mass * 1e-3, 1e-6)
            return mass, np.zeros(3), np.diag([i, i, i])
        mesh = trimesh.util.concatenate([p.mesh() for p in link.parts])
        mesh.density = link.density
        return float(mesh.mass), np.asarray(mesh.center_mass), np.asarray(mesh.moment_inertia)

    def write(self, out_dir: Path) -> Path:
        out_dir = Path(out_dir)
        mesh_dir = out_dir / "meshes"
        mesh_dir.mkdir(parents=True, exist_ok=True)
        root = ET.Element("robot", name=self.robot_name)
        for link in self.links:
            el = ET.SubElement(root, "link", name=link.name)
            mass, com, inertia = self._inertial(link)
            inertial = ET.SubElement(el, "inertial")
            ET.SubElement(inertial, "origin", xyz=_fmt(com), rpy="0 0 0")
            ET.SubElement(inertial, "mass", value=_num(mass))
            ET.SubElement(
                inertial, "inertia",
                ixx=_num(inertia[0, 0]), ixy=_num(inertia[0, 1]), ixz=_num(inertia[0, 2]),
                iyy=_num(inertia[1, 1]), iyz=_num(inertia[1, 2]), izz=_num(inertia[2, 2]),
            )
            if not link.parts:
                continue
            mesh = trimesh.util.concatenate([p.mesh() for p in link.parts])
            mesh_file = mesh_dir / f"{link.name}.obj"
            mesh_file.write_text(trimesh.exchange.obj.export_obj(
                mesh, include_normals=False, include_texture=False, include_color=False,
                digits=6, header=None,
            ))
            visual = ET.SubElement(el, "visual")
            ET.SubElement(visual, "origin", xyz="0 0 0", rpy="0 0 0")
            geom = ET.SubElement(visual, "geometry")
            ET.SubElement(geom, "mesh", filename=f"meshes/{link.name}.obj")
            material = ET.SubElement(visual, "material", name=f"{link.name}_color")
            ET.SubElement(material, "color", rgba=_fmt(link.rgba))
            for p in link.parts:
                if not p.collide:
                    continue
                col = ET.SubElement(el, "collision")
                ET.SubElement(col, "origin", xyz=_fmt(p.xyz), rpy=_fmt(p.rpy))
                g = ET.SubElement(col, "geometry")
                if p.kind == "box":
                    ET.SubElement(g, "box", size=_fmt(p.size))
                elif p.kind == "cylinder":
                    ET.SubElement(g, "cylinder", radius=_num(p.size[0]), length=_num(p.size[1]))
                else:
                    ET.SubElement(g, "sphere", radius=_num(p.size[0]))
        for j in self.joints:
            el = ET.SubElement(root, "joint", name=j.name, type=j.type)
            ET.SubElement(el, "parent", link=j.parent)
            ET.SubElement(el, "child", link=j.child)
            ET.SubElement(el, "origin", xyz=_fmt(j.xyz), rpy=_fmt(j.rpy))
            if j.type != "fixed":
                ET.SubElement(el, "axis", xyz=_fmt(j.axis))
                lim = {"effort": _num(j.effort), "velocity": _num(j.velocity)}
                if j.type != "continuous":
                    lim.update(lower=_num(j.lower), upper=_num(j.upper))
                ET.SubElement(el, "limit", **lim)
                ET.SubElement(el, "dynamics", damping=_num(j.damping), friction="0")
        ET.indent(root, space="  ")
        urdf = out_dir / f"{self.robot_name}.urdf"
        text = ET.tostring(root, encoding="unicode")
        urdf.write_text(
            '<?xml version="1.0"?>\n'
            f"<!-- Generated by humanoid_bench.sim.assetgen; do not edit by hand. -->\n{text}\n"
        )
        return urdf
