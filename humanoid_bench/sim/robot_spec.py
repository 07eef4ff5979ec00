"""Robot YAML schema (DESIGN §4): a typed, validated description of a humanoid.

A robot is a URDF plus one YAML file (``conf/robot/<name>.yaml``). ``RobotSpec.from_dict`` checks
the structure and the types of every field; ``urdf_check.check_spec_names`` checks the names
against the parsed URDF before pybullet sees it. Errors name the file, the field and the fix.
The README's "Bring your own robot" section is the user's manual of this schema.
"""

from __future__ import annotations

import os
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Union

import yaml

from humanoid_bench.errors import RobotModelError
from humanoid_bench.paths import assets_dir, conf_dir

BASE_TYPES = ("fixed", "wheeled", "floating")
DRIVES = ("holonomic", "differential")
LOCOMOTION = ("stance", "assisted", "dynamic")
ASSETS_PREFIX = "assets://"


@dataclass
class BaseSpec:
    """How the robot stands in the world."""

    type: str = "fixed"  # fixed | wheeled | floating
    drive: str = "holonomic"  # wheeled: holonomic | differential
    #: virtual planar joints of a wheeled base: {"x": ..., "y": ..., "yaw": ...}
    joints: dict[str, str] = field(default_factory=dict)
    max_linear_speed: float = 1.0  # m/s (wheeled, and floating with assisted locomotion)
    max_angular_speed: float = 1.5  # rad/s
    #: height of the root link above the floor (m): the mount height of a fixed base (default 0);
    #: the standing height of a floating base (null: from the foot links at the home pose)
    height: float | None = None
    #: floating base: stance (stance controller holds balance, base stays put), assisted (stance
    #: plus planar base motion driven by a constraint; marked as assisted), dynamic (policy drives legs)
    locomotion: str = "stance"
    foot_links: list[str] = field(default_factory=list)  # floating: links allowed to touch the floor
    torso_link: str | None = None  # link whose tilt the fall rule watches (default: the root link)


@dataclass
class GripperSpec:
    """Any number of finger joints driven by one scalar: 0 = ``open``, 1 = ``closed``."""

    joints: list[str]
    open: list[float]
    closed: list[float]
    max_force: float = 40.0  # N (or N m) per finger joint
    #: links that must all touch an object for it to count as held (default: the finger joints' links)
    contact_links: list[str] | None = None


@dataclass
class GraspSpec:
    """How a hand picks a small part from above, for the scripted baselines (optional).

    A parallel gripper needs none of this. A multi-finger hand whose thumb and fingers reach well
    past the TCP, or whose wrist reaches the bench only around one heading, describes it here; the
    scripts then choose the part, the grasp heading and the slot by the hand's clearance to the
    neighbouring parts, and steer the held part (not the TCP) over its goal when placing.
    """

    #: base-frame tool yaw (rad) the wrist reaches best palm down, for a part straight ahead of ``pivot``:
    #: the centre of the grasp yaws tried
    yaw: float = 0.0
    #: base-frame point [x, y] (m; the shoulder) whose bearing to the part turns that centre with it
    #: (the hand points away from the shoulder); null: the centre is ``yaw`` everywhere
    pivot: list[float] | None = None
    yaw_range: float = 0.8  # rad either side of the centre
    #: rectangles [x_min, x_max, y_min, y_max] (m, tool frame; y is the closing axis) that the
    #: opened hand occupies around the part below the part's top, at the grip height
    footprint: list[list[float]] = field(default_factory=list)


@dataclass
class EndEffectorSpec:
    """A tool frame: a URDF link plus an optional fixed offset (the TCP).

    Convention of the tool frame: the tool points along -z; a two-sided grip closes along y.
    """

    link: str
    arm: str  # joint group moved by IK for this end effector
    gripper: str | None = None
    xyz: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # TCP offset in the link frame (m)
    rpy: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # TCP rotation in the link frame (rad)
    grasp: GraspSpec | None = None  # hand-specific top-down grasp (None: the scripts' defaults)


@dataclass
class GainSpec:
    position_gain: float = 0.3  # pybullet POSITION_CONTROL gains (dimensionless)
    velocity_gain: float = 1.0


@dataclass
class StanceSpec:
    """Stance controller of a floating base (humanoid_bench.sim.stance)."""

    ankle_pitch: list[str] = field(default_factory=list)  # one per leg
    ankle_roll: list[str] = field(default_factory=list)
    #: hip roll joints (one per leg, optional): turned against the ankle roll so that the pelvis stays
    #: level when the legs lean sideways (two planted feet and the hips form a parallelogram)
    hip_roll: list[str] = field(default_factory=list)
    com_gain: float = 0.6  # rad of ankle correction per m of centre-of-mass error
    com_damping: float = 0.08  # rad per m/s of centre-of-mass velocity
    max_correction: float = 0.25  # rad
    integral_rate: float = 0.5  # 1/s: slow integral term that trims steady leans


@dataclass
class WorkcellSpec:
    """Where a robot's bench is, so that every robot gets a reachable workcell."""

    table_top: float = 0.85  # m, height of the bench top
    offset: list[float] = field(default_factory=lambda: [0.0, 0.0])  # m, layout shift (x forward, y left)


@dataclass
class RobotSpec:
    name: str
    urdf: str
    base: BaseSpec = field(default_factory=BaseSpec)
    joint_groups: dict[str, list[str]] = field(default_factory=dict)
    end_effectors: dict[str, EndEffectorSpec] = field(default_factory=dict)
    grippers: dict[str, GripperSpec] = field(default_factory=dict)
    gains: dict[str, GainSpec] = field(default_factory=dict)  # per group; "default" for the rest
    torque_limits: dict[str, float] = field(default_factory=dict)  # joint or group -> N m (or N); URDF otherwise
    velocity_limits: dict[str, float] = field(default_factory=dict)  # joint or group -> rad/s (or m/s)
    home: dict[str, float] = field(default_factory=dict)
    ik_damping: dict[str, float] = field(default_factory=dict)  # joint -> DLS damping (default 0.05)
    nominal_height: float = 1.5  # m, standing height of the robot (top of the head)
    camera_link: str | None = None
    package_paths: list[str] = field(default_factory=list)  # folders holding ROS packages (package:// URIs)
    self_collision: bool = True
    self_collision_exclude: list[list[str]] = field(default_factory=list)  # link pairs that may touch
    drop_missing_visual_meshes: bool = False  # load anyway, with a warning, when a visual mesh is missing
    stance: StanceSpec = field(default_factory=StanceSpec)
    workcell: WorkcellSpec = field(default_factory=WorkcellSpec)
    source: str = "<dict>"  # where the spec came from, for messages

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, robot: str | Path | dict[str, Any] | RobotSpec, urdf: str | Path | None = None) -> RobotSpec:
        """From a name in ``conf/robot/``, a YAML path, a mapping, or a spec; ``urdf`` overrides its URDF path."""
        if isinstance(robot, RobotSpec):
            return robot
        if isinstance(robot, dict):
            data = dict(robot)
            if urdf is not None:
                data["urdf"] = str(urdf)
            return cls.from_dict(data, source=f"robot config {robot.get('name', '<unnamed>')!r}")
        path = robot_yaml_path(robot)
        data = _read_yaml(path)
        if urdf is not None:
            data["urdf"] = str(Path(urdf).resolve())
        return cls.from_dict(data, source=str(path), base_dir=path.parent)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>", base_dir: Path | None = None) -> RobotSpec:
        def need(cond: bool, what: str) -> None:
            if not cond:
                raise RobotModelError(f"{source}: {what}")

        known = {f.name for f in fields(cls)} - {"source"}
        unknown = sorted(set(data) - known)
        need(not unknown, f"unknown field(s) {unknown}; valid fields: {sorted(known)}")
        for key in ("name", "urdf"):
            need(isinstance(data.get(key), str) and data[key], f"field '{key}' is required (a string)")
        spec = _build(cls, {k: v for k, v in data.items() if v is not None}, source, "")
        base = spec.base
        need(base.type in BASE_TYPES, f"base.type is {base.type!r}; expected one of {BASE_TYPES}")
        need(base.drive in DRIVES, f"base.drive is {base.drive!r}; expected one of {DRIVES}")
        need(base.locomotion in LOCOMOTION, f"base.locomotion is {base.locomotion!r}; expected one of {LOCOMOTION}")
        if base.type == "wheeled":
            need(set(base.joints) >= {"x", "y", "yaw"},
                 "a wheeled base needs base.joints with keys x, y and yaw (virtual planar joints)")
        if base.type == "floating":
            need(bool(base.foot_links), "a floating base needs base.foot_links (the links that stand on the floor)")
            if base.locomotion in ("stance", "assisted"):
                st = spec.stance
                need(bool(st.ankle_pitch) and len(st.ankle_pitch) == len(st.ankle_roll),
                     f"base.locomotion {base.locomotion!r} needs stance.ankle_pitch and stance.ankle_roll "
                     "(one ankle joint per leg, same length); or set base.locomotion: dynamic")
                need(not st.hip_roll or len(st.hip_roll) == len(st.ankle_roll),
                     "stance.hip_roll needs one joint per leg, in the order of stance.ankle_roll")
        if base.height is not None:
            need(base.height >= 0.0, f"base.height is {base.height}; expected a height >= 0 m")
        for k, g in spec.grippers.items():
            need(len(g.joints) == len(g.open) == len(g.closed) and bool(g.joints),
                 f"grippers.{k}: joints, open and closed must be lists of the same non-zero length "
                 f"(got {len(g.joints)}, {len(g.open)}, {len(g.closed)})")
            need(g.max_force > 0, f"grippers.{k}.max_force is {g.max_force}; expected a force > 0")
        for k, ee in spec.end_effectors.items():
            need(ee.arm in spec.joint_groups,
                 f"end_effectors.{k}.arm names group {ee.arm!r}, which is not in joint_groups {sorted(spec.joint_groups)}")
            need(ee.gripper is None or ee.gripper in spec.grippers,
                 f"end_effectors.{k}.gripper names {ee.gripper!r}, which is not in grippers {sorted(spec.grippers)}")
            need(len(ee.xyz) == 3 and len(ee.rpy) == 3, f"end_effectors.{k}: xyz and rpy need 3 numbers each")
            if ee.grasp is not None:
                need(ee.gripper is not None, f"end_effectors.{k}.grasp describes a grasp, but the end effector has no gripper")
                need(0.0 < ee.grasp.yaw_range <= 3.1416,
                     f"end_effectors.{k}.grasp.yaw_range is {ee.grasp.yaw_range}; expected an angle in (0, pi] rad")
                need(ee.grasp.pivot is None or len(ee.grasp.pivot) == 2,
                     f"end_effectors.{k}.grasp.pivot needs 2 numbers (x, y in m, base frame)")
                for r in ee.grasp.footprint:
                    need(len(r) == 4 and r[0] < r[1] and r[2] < r[3],
                         f"end_effectors.{k}.grasp.footprint entries are rectangles [x_min, x_max, y_min, y_max] "
                         f"(m, tool frame) with min < max; got {r}")
        need(len(spec.workcell.offset) == 2, "workcell.offset needs 2 numbers (x forward, y left, in m)")
        need(spec.nominal_height > 0, f"nominal_height is {spec.nominal_height}; expected a height > 0 m")
        for pair in spec.self_collision_exclude:
            need(len(pair) == 2, f"self_collision_exclude entries are pairs of link names; got {pair}")
        for table in ("torque_limits", "velocity_limits"):
            for k, v in getattr(spec, table).items():
                need(v > 0, f"{table}.{k} is {v}; expected a limit > 0")
        seen: dict[str, str] = {}
        for g, names in spec.joint_groups.items():
            for n in names:
                need(n not in seen, f"joint {n!r} is in joint_groups {seen.get(n)!r} and {g!r}; "
                                    "a joint belongs to one group")
                seen[n] = g
        spec.urdf = str(resolve_path(spec.urdf, base_dir))
        spec.package_paths = [str(resolve_path(p, base_dir)) for p in spec.package_paths]
        spec.source = source
        if not Path(spec.urdf).is_file():
            hint = ""
            if "$" in spec.urdf:
                var = spec.urdf[spec.urdf.index("$"):].split("/")[0].strip("${}")
                hint = f"; set the environment variable {var} (it is not set) or pass the URDF path (--urdf)"
            raise RobotModelError(f"{source}: urdf file {spec.urdf} does not exist (field 'urdf'){hint}")
        return spec

    # ------------------------------------------------------------------ queries
    def gains_for(self, group: str) -> GainSpec:
        return self.gains.get(group) or self.gains.get("default") or GainSpec()

    def group_of(self, joint: str) -> str | None:
        for g, names in self.joint_groups.items():
            if joint in names:
                return g
        return None

    @property
    def assisted(self) -> bool:
        """True when base motion is driven by a constraint (assisted locomotion of a floating base)."""
        return self.base.type == "floating" and self.base.locomotion == "assisted"

    @property
    def label(self) -> str:
        """Name for records and reports; assisted locomotion is always visible in it."""
        return f"{self.name} [assisted locomotion]" if self.assisted and "assisted" not in self.name else self.name


def robot_yaml_path(robot: str | Path) -> Path:
    """The YAML file of a robot name (``conf/robot/<name>.yaml``) or path."""
    text = str(robot)
    path = Path(text)
    if not text.endswith((".yaml", ".yml")):
        path = conf_dir() / "robot" / f"{text}.yaml"
        if not path.is_file():
            from humanoid_bench.paths import available

            raise RobotModelError(
                f"unknown robot {text!r}; valid robots: {', '.join(available('robot'))} "
                "(or give the path of a robot YAML file)"
            )
    if not path.is_file():
        raise RobotModelError(f"robot YAML {path} does not exist")
    return path


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A robot YAML as a mapping; a Hydra-style ``defaults: [other, _self_]`` list extends robot
    YAMLs of the same folder (their values first, this file's on top)."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RobotModelError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RobotModelError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    defaults = data.pop("defaults", None) or []
    if not isinstance(defaults, list):
        raise RobotModelError(f"{path}: defaults must be a list of robot names in {path.parent}")
    merged: dict[str, Any] = {}
    for entry in defaults:
        if entry == "_self_":
            continue
        base = path.parent / f"{entry}.yaml"
        if not isinstance(entry, str) or not base.is_file() or base in seen:
            raise RobotModelError(f"{path}: defaults entry {entry!r} is not a robot YAML in {path.parent} "
                                  "(or it extends itself)")
        merged = _deep_merge(merged, _read_yaml(base, (*seen, path)))
    return _deep_merge(merged, data)


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def resolve_path(text: str, base_dir: Path | None) -> Path:
    """``assets://x`` -> packaged assets; ``$VARS`` and ``~`` expanded; relative to the YAML's folder."""
    text = os.path.expanduser(os.path.expandvars(str(text)))
    if text.startswith(ASSETS_PREFIX):
        return assets_dir() / text[len(ASSETS_PREFIX):]
    path = Path(text)
    if not path.is_absolute() and base_dir is not None and "$" not in text:
        path = base_dir / path
    return path


# ---------------------------------------------------------------------------------- typed build
def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, source: str, where: str) -> Any:
    """Check ``value`` against the annotation ``tp`` (and build nested dataclasses)."""
    def bad(expected: str) -> RobotModelError:
        return RobotModelError(f"{source}: {where} should be {expected}, got {value!r} ({type(value).__name__})")

    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, args[0], source, where)
    if isinstance(tp, type) and hasattr(tp, "__dataclass_fields__"):
        return _build(tp, value, source, where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise bad("a string")
        return value
    if origin is list:
        (item,) = typing.get_args(tp)
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise bad(f"a list of {_type_name(item)}")
        return [_convert(v, item, source, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, item = typing.get_args(tp)
        if not isinstance(value, dict):
            raise bad(f"a mapping of name to {_type_name(item)}")
        return {str(k): _convert(v, item, source, f"{where}.{k}") for k, v in value.items()}
    return value


def _build(cls: type, data: Any, source: str, where: str):
    """A dataclass from a mapping; unknown keys, missing keys and wrong types name the field."""
    label = where or "the robot YAML"
    if not isinstance(data, dict):
        raise RobotModelError(f"{source}: {label} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    flds = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(flds))
    if unknown:
        raise RobotModelError(f"{source}: {label} has unknown field(s) {unknown}; valid: {sorted(flds)}")
    kwargs = {}
    for name, f in flds.items():
        key = f"{where}.{name}" if where else name
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], source, key)
        elif f.default is MISSING and f.default_factory is MISSING:  # type: ignore[misc]
            raise RobotModelError(f"{source}: {key} is required")
    return cls(**kwargs)
