"""Check a real-world URDF and its robot YAML before pybullet sees them.

pybullet answers a broken model with a bare "Cannot load URDF file." (or loads it wrong, quietly).
This module parses the URDF with ``xml.etree``, resolves every mesh (``package://`` URIs through
the YAML's ``package_paths`` and ``ROS_PACKAGE_PATH``, ``file://`` URIs, paths relative to the
URDF), and reports each problem with the file, the element and the fix: missing meshes,
unsupported mesh formats, non-positive masses, inertias that are not positive definite, joints
without limits or with inverted ones, duplicate names, links that are not in one tree, and names
in the YAML that the URDF does not have. ``prepare_urdf`` runs the checks, raises one
``RobotModelError`` listing the errors, and returns the path pybullet should load: the URDF
itself, or a resolved copy (absolute mesh paths, dropped missing visuals when the YAML allows it,
1 g for frame links without ``<inertial>``, which pybullet would load as 1 kg).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np

from humanoid_bench.errors import RobotModelError

log = logging.getLogger(__name__)

MESH_FORMATS = (".stl", ".obj", ".dae")
JOINT_TYPES = ("revolute", "continuous", "prismatic", "fixed", "floating", "planar")
MOVABLE = ("revolute", "continuous", "prismatic")
XACRO_NS = "http://www.ros.org/wiki/xacro"
FRAME_MASS = 0.001  # kg given to frame links that have no <inertial>


@dataclass
class Problem:
    """One finding: ``severity`` is ``error`` (the model cannot be used) or ``warning``."""

    severity: str
    file: str
    element: str  # e.g. "link 'pelvis'", "joint 'left_knee'", "field home.left_knee"
    message: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"{self.file}: {self.element}: {self.message}{fix}"


@dataclass
class MeshRef:
    link: str
    kind: str  # visual | collision
    uri: str
    path: Path | None  # resolved file (None when unresolvable)
    element: ET.Element


@dataclass
class UrdfJoint:
    name: str
    type: str
    parent: str
    child: str
    lower: float | None = None
    upper: float | None = None
    effort: float | None = None
    velocity: float | None = None
    has_limit: bool = False


@dataclass
class UrdfLink:
    name: str
    mass: float | None  # None: no <inertial>
    has_geometry: bool
    element: ET.Element


@dataclass
class UrdfModel:
    """The parsed URDF: names, tree and meshes, plus every problem found while reading it."""

    path: Path
    name: str = ""
    links: dict[str, UrdfLink] = field(default_factory=dict)
    joints: dict[str, UrdfJoint] = field(default_factory=dict)
    meshes: list[MeshRef] = field(default_factory=list)
    root: str | None = None
    problems: list[Problem] = field(default_factory=list)
    tree: ET.ElementTree | None = None
    changed: bool = False  # the resolved copy differs from the file

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def movable_joints(self) -> list[str]:
        return [n for n, j in self.joints.items() if j.type in MOVABLE]

    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for j in self.joints.values():
            out.setdefault(j.parent, []).append(j.child)
        return out

    def _add(self, severity: str, element: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(severity, str(self.path), element, message, fix))


# ---------------------------------------------------------------------------------- packages
def package_roots(package_paths: Sequence[str] = ()) -> list[Path]:
    """Folders searched for ``package://`` URIs: the YAML's package paths, then ``ROS_PACKAGE_PATH``."""
    roots = [Path(p) for p in package_paths]
    roots += [Path(p) for p in os.environ.get("ROS_PACKAGE_PATH", "").split(os.pathsep) if p]
    return roots


def find_package(name: str, roots: Iterable[Path], max_depth: int = 3) -> Path | None:
    """The folder of ROS package ``name``: a root named so, ``root/name``, or a folder below a root
    holding a ``package.xml`` that declares the name (searched ``max_depth`` levels deep)."""
    for root in roots:
        if not root.is_dir():
            continue
        if root.name == name:
            return root
        if (root / name).is_dir():
            return root / name
        frontier = [root]
        for _ in range(max_depth):
            nxt: list[Path] = []
            for folder in frontier:
                try:
                    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
                except OSError:
                    continue
                for sub in subdirs:
                    manifest = sub / "package.xml"
                    if manifest.is_file() and _package_name(manifest) == name:
                        return sub
                nxt += subdirs
            frontier = nxt
    return None


def _package_name(manifest: Path) -> str | None:
    try:
        el = ET.parse(manifest).getroot().find("name")
    except (ET.ParseError, OSError):
        return None
    return el.text.strip() if el is not None and el.text else None


def resolve_uri(uri: str, urdf_dir: Path, roots: Sequence[Path]) -> tuple[Path | None, str]:
    """A mesh ``filename`` as a file path; ``(None, reason)`` when a package cannot be found."""
    if uri.startswith("package://"):
        rest = uri[len("package://"):]
        pkg, _, rel = rest.partition("/")
        folder = find_package(pkg, roots)
        if folder is None:
            where = ", ".join(str(r) for r in roots) or "none given"
            return None, f"ROS package {pkg!r} is not found (package paths searched: {where})"
        return folder / rel, ""
    uri = uri.removeprefix("file://")
    path = Path(os.path.expanduser(uri))
    return (path if path.is_absolute() else urdf_dir / path), ""


# ---------------------------------------------------------------------------------- parsing
def _floats(text: str | None, n: int) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        return None
    return values if len(values) == n else None


def _attr_float(el: ET.Element | None, name: str) -> float | None:
    if el is None or el.get(name) is None:
        return None
    try:
        return float(el.get(name))  # type: ignore[arg-type]
    except ValueError:
        return None


def parse_urdf(path: str | Path, package_paths: Sequence[str] = (), drop_missing_visuals: bool = False,
               deep: bool = False, base_type: str | None = None) -> UrdfModel:
    """Parse and check a URDF; every problem goes to ``model.problems`` (nothing is raised).

    ``deep`` also loads every mesh with trimesh (slow for big models; ``robot check`` does it).
    ``base_type`` (the YAML's ``base.type``) lets a fixed base have a massless root link.
    """
    path = Path(path)
    model = UrdfModel(path=path)
    if not path.is_file():
        model._add("error", "file", "the URDF file does not exist", "fix the 'urdf' path in the robot YAML")
        return model
    if path.suffix == ".xacro":
        model._add("error", "file", "this is a xacro file; pybullet reads plain URDF only",
                   f"run `xacro {path.name} > {path.stem}` and point 'urdf' at the result")
        return model
    try:
        tree = ET.parse(path)
    except ET.ParseError as exc:
        model._add("error", f"XML line {exc.position[0]}", f"not well-formed XML ({exc})", "repair the XML")
        return model
    root = tree.getroot()
    model.tree = tree
    if root.tag != "robot":
        model._add("error", f"<{root.tag}>", "the top element is not <robot>", "is this a URDF file?")
        return model
    if any(el.tag.startswith(f"{{{XACRO_NS}}}") for el in root.iter()):
        model._add("error", "file", "contains xacro macros; pybullet reads plain URDF only",
                   f"expand it first: `xacro {path.name} > expanded.urdf`")
        return model
    model.name = root.get("name", "")
    roots = package_roots(package_paths)
    _parse_links(model, root, path.parent, roots, drop_missing_visuals)
    _parse_joints(model, root)
    _check_tree(model)
    _check_masses(model, base_type)
    if deep:
        check_mesh_files(model)
    return model


def _parse_links(model: UrdfModel, root: ET.Element, urdf_dir: Path, roots: Sequence[Path],
                 drop_missing_visuals: bool) -> None:
    for el in root.findall("link"):
        name = el.get("name")
        if not name:
            model._add("error", "<link>", "a link has no name attribute", "give every <link> a unique name")
            continue
        if name in model.links:
            model._add("error", f"link {name!r}", "the name is used by two <link> elements",
                       "rename one of them (and the joints that name it)")
            continue
        inertial = el.find("inertial")
        mass = None
        if inertial is not None:
            mass_el = inertial.find("mass")
            mass = _attr_float(mass_el, "value")
            if mass is None:
                model._add("error", f"link {name!r}", "<inertial> has no valid <mass value=...>",
                           "add <mass value=\"KG\"/> to the link's <inertial>")
                mass = float("nan")
            _check_inertia(model, name, inertial)
        geometry = False
        for kind in ("visual", "collision"):
            for sub in list(el.findall(kind)):
                geom = sub.find("geometry")
                if geom is None or len(geom) == 0:
                    model._add("error", f"link {name!r}", f"a <{kind}> has no <geometry>", "add its geometry or remove it")
                    continue
                geometry = True
                mesh = geom.find("mesh")
                if mesh is None:
                    continue
                uri = mesh.get("filename", "")
                resolved, reason = resolve_uri(uri, urdf_dir, roots) if uri else (None, "no filename attribute")
                ref = MeshRef(name, kind, uri, resolved, mesh)
                ext = Path(uri).suffix.lower()
                if resolved is None or not resolved.is_file():
                    why = reason or f"file {resolved} does not exist"
                    if kind == "visual" and drop_missing_visuals:
                        model._add("warning", f"link {name!r}", f"visual mesh {uri!r} dropped: {why}",
                                   "restore the mesh file to see this link drawn")
                        el.remove(sub)
                        model.changed = True
                        continue
                    fix = ("add the folder that contains the package to package_paths in the robot YAML "
                           "(or to ROS_PACKAGE_PATH)") if reason and uri.startswith("package://") else \
                        "restore the file or fix the filename"
                    if kind == "visual":
                        fix += "; or set drop_missing_visual_meshes: true to load without this visual"
                    model._add("error", f"link {name!r}", f"{kind} mesh {uri!r}: {why}", fix)
                elif ext not in MESH_FORMATS:
                    model._add("error", f"link {name!r}", f"{kind} mesh {uri!r}: pybullet cannot read {ext or 'this'} files",
                               "convert it to STL or OBJ (e.g. with trimesh) and update the filename")
                else:
                    new = str(resolved.resolve())
                    mesh.set("filename", new)  # absolute: the resolved copy may live elsewhere
                    if uri.startswith(("package://", "file://")):
                        model.changed = True
                model.meshes.append(ref)
        model.links[name] = UrdfLink(name, mass, geometry, el)


def _check_inertia(model: UrdfModel, link: str, inertial: ET.Element) -> None:
    el = inertial.find("inertia")
    if el is None:
        model._add("error", f"link {link!r}", "<inertial> has no <inertia>",
                   "add <inertia ixx= iyy= izz= ixy= ixz= iyz=/> (e.g. from the CAD model or trimesh)")
        return
    vals = {k: _attr_float(el, k) for k in ("ixx", "iyy", "izz", "ixy", "ixz", "iyz")}
    if vals["ixx"] is None or vals["iyy"] is None or vals["izz"] is None:
        model._add("error", f"link {link!r}", "<inertia> lacks ixx, iyy or izz", "give all six inertia values")
        return
    g = {k: (v or 0.0) for k, v in vals.items()}
    inertia = np.array([[g["ixx"], g["ixy"], g["ixz"]], [g["ixy"], g["iyy"], g["iyz"]], [g["ixz"], g["iyz"], g["izz"]]])
    eig = np.linalg.eigvalsh(inertia)
    mass = _attr_float(inertial.find("mass"), "value")
    if mass is not None and mass <= 0:
        return  # the mass error says it all
    if eig.min() <= 0:
        model._add("error", f"link {link!r}",
                   f"inertia matrix is not positive definite (principal moments {', '.join(f'{e:.3g}' for e in eig)})",
                   "use the link's real inertia (all principal moments > 0), e.g. trimesh's moment_inertia of its mesh")
        return
    a, b, c = sorted(eig)
    if a + b < c * (1 - 1e-6):
        model._add("warning", f"link {link!r}",
                   f"principal moments {a:.3g}, {b:.3g}, {c:.3g} break the triangle inequality (no rigid body has them)",
                   "recompute the inertia from the geometry")


def _parse_joints(model: UrdfModel, root: ET.Element) -> None:
    for el in root.findall("joint"):
        name = el.get("name")
        jtype = el.get("type", "")
        if not name:
            model._add("error", "<joint>", "a joint has no name attribute", "give every <joint> a unique name")
            continue
        where = f"joint {name!r}"
        if name in model.joints:
            model._add("error", where, "the name is used by two <joint> elements", "rename one of them")
            continue
        if jtype not in JOINT_TYPES:
            model._add("error", where, f"type {jtype!r} is not a URDF joint type", f"use one of {', '.join(JOINT_TYPES)}")
            continue
        parent_el, child_el = el.find("parent"), el.find("child")
        parent = parent_el.get("link", "") if parent_el is not None else ""
        child = child_el.get("link", "") if child_el is not None else ""
        for role, link in (("parent", parent), ("child", child)):
            if not link:
                model._add("error", where, f"has no <{role} link=...>", f"add the {role} link")
            elif link not in model.links:
                close = _close(link, model.links)
                model._add("error", where, f"{role} link {link!r} is not defined", f"define it or fix the name{close}")
        joint = UrdfJoint(name, jtype, parent, child)
        if jtype in ("floating", "planar"):
            model._add("error", where, f"pybullet does not simulate {jtype} joints between links",
                       "remove the joint; a floating base is set with base.type: floating in the robot YAML")
        if jtype in MOVABLE:
            axis = _floats(el.find("axis").get("xyz") if el.find("axis") is not None else "1 0 0", 3)
            if axis is None or float(np.linalg.norm(axis)) < 1e-9:
                model._add("error", where, "the <axis xyz=...> is not a non-zero 3-vector", "give the axis, e.g. xyz=\"0 0 1\"")
            if el.find("mimic") is not None:
                model._add("warning", where, "pybullet ignores <mimic>: this joint moves on its own",
                           "list it in a gripper (all finger joints follow one open/close scalar)")
        lim = el.find("limit")
        if lim is not None:
            joint.has_limit = True
            joint.lower, joint.upper = _attr_float(lim, "lower"), _attr_float(lim, "upper")
            joint.effort, joint.velocity = _attr_float(lim, "effort"), _attr_float(lim, "velocity")
        if jtype in ("revolute", "prismatic"):
            if lim is None or joint.lower is None or joint.upper is None:
                model._add("error", where, f"a {jtype} joint needs <limit lower=... upper=...>",
                           "add its limits (or make it continuous if it turns without end)")
            elif joint.lower > joint.upper:
                model._add("error", where, f"inverted limit: lower {joint.lower:g} > upper {joint.upper:g}",
                           "swap lower and upper")
            elif joint.lower == joint.upper:
                model._add("warning", where, f"zero range (lower = upper = {joint.lower:g}): the joint cannot move",
                           "make it a fixed joint or give it its real range")
        if jtype in MOVABLE:
            if joint.effort is None or joint.effort <= 0:
                model._add("warning", where, f"effort limit is {joint.effort}; its motor has no force",
                           "give <limit effort=...> or set torque_limits in the robot YAML")
            if joint.velocity is not None and joint.velocity <= 0:
                model._add("warning", where, f"velocity limit is {joint.velocity:g}", "give the real velocity limit")
        model.joints[name] = joint


def _check_tree(model: UrdfModel) -> None:
    parent_of: dict[str, str] = {}
    for j in model.joints.values():
        if j.child in parent_of and j.child in model.links:
            model._add("error", f"link {j.child!r}",
                       f"has two parent joints ({parent_of[j.child]!r} and {j.name!r}); a URDF is a tree",
                       "remove one of the joints (closed chains are not supported)")
        parent_of.setdefault(j.child, j.name)
    roots = [n for n in model.links if n not in parent_of]
    if not model.links:
        model._add("error", "file", "the URDF has no links", "is this the right file?")
        return
    if not roots:
        model._add("error", "file", "every link has a parent joint: the joints form a cycle", "remove the joint that closes the loop")
        return
    if len(roots) > 1:
        model._add("error", f"links {', '.join(repr(r) for r in roots)}",
                   f"the links form {len(roots)} separate trees (each of these has no parent joint)",
                   "connect them to the robot with joints (fixed if rigid), or remove the stray links")
    model.root = roots[0]
    children = model.children()
    seen, stack = set(), [model.root]
    while stack:
        link = stack.pop()
        if link in seen:
            continue
        seen.add(link)
        stack += children.get(link, [])
    stray = [n for n in model.links if n not in seen and n not in roots]
    if stray and len(roots) == 1:
        model._add("error", f"links {', '.join(repr(s) for s in stray[:5])}", "not reachable from the root link "
                   f"{model.root!r} (a cycle)", "make the joints a tree")


def _check_masses(model: UrdfModel, base_type: str | None) -> None:
    for name, link in model.links.items():
        where = f"link {name!r}"
        if link.mass is None:
            if link.has_geometry and not (name == model.root and base_type in ("fixed", "wheeled")):
                model._add("warning", where, "has geometry but no <inertial>: pybullet loads it as 1 kg with a "
                           "1 kg m^2 inertia", "give the link its real mass and inertia")
            elif not link.has_geometry:
                # A pure frame (sensor, tool point). pybullet would make it 1 kg; the copy gets 1 g.
                inertial = ET.SubElement(link.element, "inertial")
                ET.SubElement(inertial, "mass", value=str(FRAME_MASS))
                ET.SubElement(inertial, "inertia", ixx="1e-7", iyy="1e-7", izz="1e-7", ixy="0", ixz="0", iyz="0")
                model.changed = True
            continue
        if np.isnan(link.mass):
            continue
        if link.mass <= 0:
            if name == model.root and base_type in ("fixed", "wheeled"):
                continue  # a static root on a fixed base is fine
            model._add("error", where, f"mass is {link.mass:g} kg; a moving link needs a positive mass",
                       "give the link its real mass in <inertial><mass value=...>, or remove <inertial> from a "
                       "frame link without geometry")


def check_mesh_files(model: UrdfModel) -> None:
    """Load every mesh (trimesh for STL/OBJ, XML for DAE): unreadable or empty meshes are errors."""
    import trimesh

    seen: dict[Path, str] = {}
    for ref in model.meshes:
        if ref.path is None or not ref.path.is_file() or ref.path in seen:
            continue
        ext = ref.path.suffix.lower()
        message = ""
        try:
            if ext == ".dae":
                ET.parse(ref.path)
            else:
                mesh = trimesh.load(ref.path, force="mesh")
                if len(getattr(mesh, "faces", [])) == 0:
                    message = "has no triangles"
        except Exception as exc:  # noqa: BLE001 - trimesh raises many types on a bad file; reported, not hidden
            message = f"cannot be read ({type(exc).__name__}: {exc})"
        seen[ref.path] = message
        if message:
            model._add("error", f"link {ref.link!r}", f"{ref.kind} mesh {ref.uri!r} {message}",
                       "re-export the mesh as binary STL or OBJ")


# ---------------------------------------------------------------------------------- spec
def _close(name: str, options: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.5)
    return f" (closest: {', '.join(close)})" if close else ""


def check_spec_names(spec, model: UrdfModel) -> list[Problem]:
    """Names in the robot YAML that the URDF lacks, fixed joints used as movable, bad home values."""
    problems: list[Problem] = []
    movable = set(model.movable_joints())

    def add(where: str, message: str, fix: str) -> None:
        problems.append(Problem("error", spec.source, f"field {where}", message, fix))

    def joint(name: str, where: str, need_movable: bool = True) -> None:
        if name not in model.joints:
            add(where, f"names joint {name!r}, which is not in {model.path.name}",
                f"use a joint of the URDF{_close(name, model.joints)}")
        elif need_movable and name not in movable:
            add(where, f"joint {name!r} is {model.joints[name].type} in the URDF; this field needs a movable joint",
                "remove it here, or list a revolute/prismatic/continuous joint")

    def link(name: str, where: str) -> None:
        if name not in model.links:
            add(where, f"names link {name!r}, which is not in {model.path.name}",
                f"use a link of the URDF{_close(name, model.links)}")

    for g, names in spec.joint_groups.items():
        for n in names:
            joint(n, f"joint_groups.{g}")
    for k, g in spec.grippers.items():
        for i, n in enumerate(g.joints):
            joint(n, f"grippers.{k}.joints")
            j = model.joints.get(n)
            if j is not None and j.type != "continuous" and j.lower is not None and j.upper is not None:
                for label, v in (("open", g.open[i]), ("closed", g.closed[i])):
                    if not j.lower - 1e-9 <= v <= j.upper + 1e-9:
                        add(f"grippers.{k}.{label}", f"{v:g} for {n!r} is outside its limits [{j.lower:g}, {j.upper:g}]",
                            "give a value within the joint's range")
        for n in g.contact_links or []:
            link(n, f"grippers.{k}.contact_links")
    for k, ee in spec.end_effectors.items():
        link(ee.link, f"end_effectors.{k}.link")
    for k, n in spec.base.joints.items():
        joint(n, f"base.joints.{k}")
    for n in spec.base.foot_links:
        link(n, "base.foot_links")
    if spec.base.torso_link:
        link(spec.base.torso_link, "base.torso_link")
    for n, v in spec.home.items():
        joint(n, "home")
        j = model.joints.get(n)
        if j is not None and j.type in ("revolute", "prismatic") and j.lower is not None and j.upper is not None \
                and j.lower <= j.upper and not j.lower - 1e-9 <= v <= j.upper + 1e-9:
            add(f"home.{n}", f"{v:g} is outside the joint's limits [{j.lower:g}, {j.upper:g}]", "give a value within them")
    if spec.camera_link:
        link(spec.camera_link, "camera_link")
    groups = set(spec.joint_groups)
    for table in ("torque_limits", "velocity_limits", "ik_damping"):
        for n in getattr(spec, table):
            if table != "ik_damping" and n in groups:
                continue
            joint(n, table)
    for field_name in ("ankle_pitch", "ankle_roll", "hip_roll"):
        for n in getattr(spec.stance, field_name):
            joint(n, f"stance.{field_name}")
    for a, b in spec.self_collision_exclude:
        link(a, "self_collision_exclude")
        link(b, "self_collision_exclude")
    for g in spec.gains:
        if g != "default" and g not in groups:
            add(f"gains.{g}", f"names group {g!r}, which is not in joint_groups {sorted(groups)}",
                "use a group name or 'default'")
    return problems


# ---------------------------------------------------------------------------------- loader entry
def check_robot(spec, deep: bool = False) -> UrdfModel:
    """Parse the spec's URDF and check the spec's names against it; problems in ``model.problems``."""
    model = parse_urdf(spec.urdf, spec.package_paths, spec.drop_missing_visual_meshes, deep=deep,
                       base_type=spec.base.type)
    if model.tree is not None and not model.errors:
        model.problems += check_spec_names(spec, model)
    return model


def prepare_urdf(spec, deep: bool = False) -> tuple[Path, UrdfModel]:
    """Check the robot; raise one ``RobotModelError`` listing the errors, or return the path to load.

    Warnings are logged. The path is the URDF itself when nothing needed resolving, else a resolved
    copy in a cache folder (absolute mesh paths).
    """
    model = check_robot(spec, deep=deep)
    errors = model.errors
    if errors:
        head = f"robot {spec.name!r}: {len(errors)} problem(s) in the model" if len(errors) > 1 else None
        lines = [str(e) for e in errors]
        raise RobotModelError("\n".join([head, *(f"  {ln}" for ln in lines)]) if head else lines[0])
    for w in model.warnings:
        log.warning("%s", w)
    if not model.changed or model.tree is None:
        return model.path, model
    return write_resolved(model), model


def write_resolved(model: UrdfModel) -> Path:
    """Write the resolved URDF to the cache folder (atomic; the name is the content's hash)."""
    assert model.tree is not None
    text = ET.tostring(model.tree.getroot(), encoding="unicode")
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    folder = Path(os.environ.get("HUMANOID_BENCH_CACHE", Path(tempfile.gettempdir()) / "humanoid_bench_urdf"))
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{model.path.stem}-{digest}.urdf"
    if not out.is_file():
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(f"<?xml version=\"1.0\"?>\n<!-- resolved copy of {model.path} -->\n{text}\n")
        os.replace(tmp, out)
    return out
