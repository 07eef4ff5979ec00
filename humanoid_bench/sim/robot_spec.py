"""Robot YAML schema (DESIGN §4): a typed, validated description of a humanoid.

A robot is a URDF plus one YAML file (``conf/robot/<name>.yaml``). ``RobotSpec.from_dict`` checks
the structure and types; ``Robot`` (robot.py) checks the names against the loaded URDF. Errors name
the file and the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from humanoid_bench.errors import RobotModelError
from humanoid_bench.paths import assets_dir, conf_dir

BASE_TYPES = ("fixed", "wheeled", "floating")
DRIVES = ("holonomic", "differential")
ASSETS_PREFIX = "assets://"


@dataclass
class BaseSpec:
    type: str = "fixed"
    drive: str = "holonomic"
    #: virtual planar joints of a wheeled base: {"x": ..., "y": ..., "yaw": ...}
    joints: dict[str, str] = field(default_factory=dict)
    max_linear_speed: float = 1.0  # m/s
    max_angular_speed: float = 1.5  # rad/s


@dataclass
class GripperSpec:
    joints: list[str]
    open: list[float]
    closed: list[float]
    max_force: float = 40.0  # N per finger


@dataclass
class EndEffectorSpec:
    link: str
    arm: str  # joint group moved by IK for this end effector
    gripper: str | None = None


@dataclass
class GainSpec:
    position_gain: float = 0.3  # pybullet POSITION_CONTROL gains (dimensionless)
    velocity_gain: float = 1.0


@dataclass
class RobotSpec:
    name: str
    urdf: str
    base: BaseSpec = field(default_factory=BaseSpec)
    joint_groups: dict[str, list[str]] = field(default_factory=dict)
    end_effectors: dict[str, EndEffectorSpec] = field(default_factory=dict)
    grippers: dict[str, GripperSpec] = field(default_factory=dict)
    gains: dict[str, GainSpec] = field(default_factory=dict)  # per group; "default" for the rest
    torque_limits: dict[str, float] = field(default_factory=dict)  # joint -> N m (or N); URDF otherwise
    velocity_limits: dict[str, float] = field(default_factory=dict)
    home: dict[str, float] = field(default_factory=dict)
    ik_damping: dict[str, float] = field(default_factory=dict)  # joint -> DLS damping (default 0.05)
    nominal_height: float = 1.5
    camera_link: str | None = None
    package_paths: list[str] = field(default_factory=list)
    self_collision: bool = True
    source: str = "<dict>"  # where the spec came from, for messages

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, robot: str | Path | dict[str, Any] | RobotSpec) -> RobotSpec:
        """From a name in ``conf/robot/``, a YAML path, a mapping, or a spec."""
        if isinstance(robot, RobotSpec):
            return robot
        if isinstance(robot, dict):
            return cls.from_dict(robot, source=f"robot config {robot.get('name', '<unnamed>')!r}")
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
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise RobotModelError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise RobotModelError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
        return cls.from_dict(data, source=str(path), base_dir=path.parent)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>", base_dir: Path | None = None) -> RobotSpec:
        def need(cond: bool, what: str) -> None:
            if not cond:
                raise RobotModelError(f"{source}: {what}")

        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        need(not unknown, f"unknown field(s) {unknown}; valid fields: {sorted(known - {'source'})}")
        for key in ("name", "urdf"):
            need(isinstance(data.get(key), str) and data[key], f"field '{key}' is required (a string)")
        base_data = dict(data.get("base") or {})
        base = _build(BaseSpec, base_data, source, "base")
        need(base.type in BASE_TYPES, f"base.type is {base.type!r}; expected one of {BASE_TYPES}")
        need(base.drive in DRIVES, f"base.drive is {base.drive!r}; expected one of {DRIVES}")
        if base.type == "wheeled":
            need(set(base.joints) >= {"x", "y", "yaw"},
                 "a wheeled base needs base.joints with keys x, y and yaw (virtual planar joints)")
        groups = data.get("joint_groups") or {}
        need(isinstance(groups, dict) and all(isinstance(v, list) for v in groups.values()),
             "joint_groups must map a group name to a list of joint names")
        ees = {k: _build(EndEffectorSpec, v, source, f"end_effectors.{k}") for k, v in (data.get("end_effectors") or {}).items()}
        grippers = {k: _build(GripperSpec, v, source, f"grippers.{k}") for k, v in (data.get("grippers") or {}).items()}
        for k, g in grippers.items():
            need(len(g.joints) == len(g.open) == len(g.closed) and g.joints,
                 f"grippers.{k}: joints, open and closed must be lists of the same non-zero length")
        for k, ee in ees.items():
            need(ee.arm in groups, f"end_effectors.{k}.arm names group {ee.arm!r}, which is not in joint_groups {sorted(groups)}")
            need(ee.gripper is None or ee.gripper in grippers,
                 f"end_effectors.{k}.gripper names {ee.gripper!r}, which is not in grippers {sorted(grippers)}")
        gains = {k: _build(GainSpec, v, source, f"gains.{k}") for k, v in (data.get("gains") or {}).items()}
        urdf = resolve_path(data["urdf"], base_dir)
        spec = cls(
            name=data["name"], urdf=str(urdf), base=base, joint_groups={k: list(v) for k, v in groups.items()},
            end_effectors=ees, grippers=grippers, gains=gains,
            torque_limits=dict(data.get("torque_limits") or {}), velocity_limits=dict(data.get("velocity_limits") or {}),
            home={k: float(v) for k, v in (data.get("home") or {}).items()},
            ik_damping={k: float(v) for k, v in (data.get("ik_damping") or {}).items()},
            nominal_height=float(data.get("nominal_height", 1.5)), camera_link=data.get("camera_link"),
            package_paths=[str(resolve_path(p, base_dir)) for p in data.get("package_paths") or []],
            self_collision=bool(data.get("self_collision", True)), source=source,
        )
        need(Path(spec.urdf).is_file(), f"urdf file {spec.urdf} does not exist (field 'urdf')")
        return spec

    # ------------------------------------------------------------------ queries
    def gains_for(self, group: str) -> GainSpec:
        return self.gains.get(group) or self.gains.get("default") or GainSpec()


def resolve_path(text: str, base_dir: Path | None) -> Path:
    """``assets://x`` -> packaged assets; ``$VARS`` and ``~`` expanded; relative to the YAML's folder."""
    text = os.path.expanduser(os.path.expandvars(str(text)))
    if text.startswith(ASSETS_PREFIX):
        return assets_dir() / text[len(ASSETS_PREFIX):]
    path = Path(text)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def _build(cls: type, data: Any, source: str, where: str):
    if not isinstance(data, dict):
        raise RobotModelError(f"{source}: {where} must be a mapping, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise RobotModelError(f"{source}: {where} has unknown field(s) {unknown}; valid: {sorted(names)}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise RobotModelError(f"{source}: {where}: {exc}") from None
