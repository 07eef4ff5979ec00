"""Broken robot models get one clear error naming the file and the element, before pybullet sees them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trimesh
import yaml

from humanoid_bench.errors import RobotModelError
from humanoid_bench.robot_check import main as robot_check_main
from humanoid_bench.sim.robot import Robot
from humanoid_bench.sim.robot_spec import RobotSpec
from humanoid_bench.sim.urdf_check import find_package, parse_urdf
from humanoid_bench.sim.world import World

INERTIA = '<inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/>'


def _urdf(mesh: str = "meshes/arm.obj", mass: str = "1.0", lower: str = "-1.0", upper: str = "1.0",
          extra: str = "", limit: bool = True) -> str:
    lim = f'<limit lower="{lower}" upper="{upper}" effort="10" velocity="2"/>' if limit else ""
    return f"""<?xml version="1.0"?>
<robot name="tiny">
  <link name="base"><inertial><mass value="2.0"/>{INERTIA}</inertial>
    <collision><geometry><box size="0.2 0.2 0.2"/></geometry></collision></link>
  <link name="arm"><inertial><mass value="{mass}"/>{INERTIA}</inertial>
    <visual><geometry><mesh filename="{mesh}"/></geometry></visual>
    <collision><geometry><cylinder radius="0.03" length="0.3"/></geometry></collision></link>
  <link name="tool"><inertial><mass value="0.1"/>{INERTIA}</inertial></link>
  <joint name="shoulder" type="revolute"><parent link="base"/><child link="arm"/>
    <origin xyz="0 0 0.2"/><axis xyz="0 1 0"/>{lim}</joint>
  <joint name="tool_joint" type="fixed"><parent link="arm"/><child link="tool"/><origin xyz="0 0 0.3"/></joint>
  {extra}
</robot>
"""


def _model(tmp_path: Path, urdf_text: str, mesh_at: str | None = "meshes/arm.obj", **yaml_changes) -> Path:
    """Write a URDF (plus a mesh at ``mesh_at``) and its robot YAML; return the YAML path."""
    if mesh_at:
        mesh = tmp_path / mesh_at
        mesh.parent.mkdir(parents=True, exist_ok=True)
        mesh.write_text(trimesh.exchange.obj.export_obj(trimesh.creation.box(extents=(0.05, 0.05, 0.3))))
    (tmp_path / "tiny.urdf").write_text(urdf_text)
    data = {"name": "tiny", "urdf": "tiny.urdf", "base": {"type": "fixed"},
            "joint_groups": {"arm": ["shoulder"]}, "end_effectors": {"tool": {"link": "tool", "arm": "arm"}}}
    data.update(yaml_changes)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture()
def world():
    w = World()
    yield w
    w.close()


def _load_error(world: World, yaml_path: Path) -> str:
    with pytest.raises(RobotModelError) as info:
        Robot(world, RobotSpec.load(yaml_path))
    assert world.client.getNumBodies() == 1  # only the floor: pybullet never saw the model
    message = str(info.value)
    assert "\n" not in message  # one error, one line
    return message


def test_valid_model_loads(tmp_path, world):
    robot = Robot(world, RobotSpec.load(_model(tmp_path, _urdf())))
    assert robot.group("arm") == ["shoulder"] and robot.mass == pytest.approx(3.1)


def test_missing_mesh_names_link_and_file(tmp_path, world):
    msg = _load_error(world, _model(tmp_path, _urdf(mesh="meshes/gone.obj")))
    assert "tiny.urdf: link 'arm': visual mesh 'meshes/gone.obj'" in msg and "does not exist" in msg
    assert "drop_missing_visual_meshes" in msg  # the fix is offered


def test_missing_visual_mesh_can_be_dropped_with_a_warning(tmp_path, world, caplog):
    path = _model(tmp_path, _urdf(mesh="meshes/gone.obj"), drop_missing_visual_meshes=True)
    robot = Robot(world, RobotSpec.load(path))
    assert "arm" in robot.links
    assert any("visual mesh 'meshes/gone.obj' dropped" in r.getMessage() for r in caplog.records)


def test_missing_collision_mesh_is_never_dropped(tmp_path, world):
    extra_urdf = _urdf().replace('<cylinder radius="0.03" length="0.3"/>', '<mesh filename="meshes/hull.stl"/>')
    msg = _load_error(world, _model(tmp_path, extra_urdf, drop_missing_visual_meshes=True))
    assert "link 'arm': collision mesh 'meshes/hull.stl'" in msg


def test_package_uri_without_package_path(tmp_path, world, monkeypatch):
    monkeypatch.delenv("ROS_PACKAGE_PATH", raising=False)
    urdf = _urdf(mesh="package://tiny_description/meshes/arm.obj")
    msg = _load_error(world, _model(tmp_path, urdf, mesh_at="src/tiny_description/meshes/arm.obj"))
    assert "link 'arm'" in msg and "ROS package 'tiny_description' is not found" in msg
    assert "package_paths" in msg


def test_package_uri_resolves_through_package_paths_and_ros_package_path(tmp_path, world, monkeypatch):
    urdf = _urdf(mesh="package://tiny_description/meshes/arm.obj")
    path = _model(tmp_path, urdf, mesh_at="src/tiny_description/meshes/arm.obj", package_paths=["src"])
    robot = Robot(world, RobotSpec.load(path))
    assert robot.model.changed  # loaded from a resolved copy with absolute mesh paths
    monkeypatch.setenv("ROS_PACKAGE_PATH", str(tmp_path / "src"))
    assert parse_urdf(tmp_path / "tiny.urdf").errors == []


def test_package_found_by_its_manifest(tmp_path):
    pkg = tmp_path / "ws" / "src" / "renamed_folder"
    pkg.mkdir(parents=True)
    (pkg / "package.xml").write_text("<package><name>tiny_description</name></package>")
    assert find_package("tiny_description", [tmp_path / "ws"]) == pkg


def test_zero_mass_link(tmp_path, world):
    msg = _load_error(world, _model(tmp_path, _urdf(mass="0")))
    assert "link 'arm': mass is 0 kg" in msg


def test_inverted_joint_limit(tmp_path, world):
    msg = _load_error(world, _model(tmp_path, _urdf(lower="1.0", upper="-1.0")))
    assert "joint 'shoulder': inverted limit: lower 1 > upper -1" in msg and "swap" in msg


def test_yaml_naming_a_joint_that_does_not_exist(tmp_path, world):
    msg = _load_error(world, _model(tmp_path, _urdf(), joint_groups={"arm": ["sholder"]}))
    assert "tiny.yaml: field joint_groups.arm: names joint 'sholder'" in msg and "closest: shoulder" in msg


@pytest.mark.parametrize("urdf, element, words", [
    (_urdf(limit=False), "joint 'shoulder'", "needs <limit"),
    (_urdf(extra='<link name="stray"><inertial><mass value="1"/>' + INERTIA + "</inertial></link>"),
     "links 'base', 'stray'", "separate trees"),
    (_urdf(extra='<link name="arm"/>'), "link 'arm'", "used by two"),
    (_urdf(extra='<joint name="shoulder" type="fixed"><parent link="base"/><child link="tool"/></joint>'),
     "joint 'shoulder'", "used by two"),
    (_urdf().replace('ixx="0.01" iyy="0.01" izz="0.01" ixy="0"', 'ixx="0.01" iyy="0.01" izz="0.01" ixy="0.5"', 1),
     "link 'base'", "not positive definite"),
    (_urdf().replace("<robot name", '<robot xmlns:xacro="http://www.ros.org/wiki/xacro" name').replace(
        "</robot>", '<xacro:property name="x" value="1"/></robot>'), "file", "xacro"),
])
def test_other_broken_models(tmp_path, world, urdf, element, words):
    msg = _load_error(world, _model(tmp_path, urdf))
    assert f": {element}: " in msg and words in msg


def test_frame_links_without_inertial_get_a_gram(tmp_path, world):
    urdf = _urdf(extra='<link name="imu"/><joint name="imu_joint" type="fixed"><parent link="base"/>'
                       '<child link="imu"/></joint>')
    robot = Robot(world, RobotSpec.load(_model(tmp_path, urdf)))
    assert robot.mass == pytest.approx(3.101)  # pybullet alone would add 1 kg


def test_bad_yaml_types_name_the_field(tmp_path):
    with pytest.raises(RobotModelError, match=r"tiny.yaml: base.height should be a number, got 'tall'"):
        RobotSpec.load(_model(tmp_path, _urdf(), base={"type": "fixed", "height": "tall"}))
    with pytest.raises(RobotModelError, match=r"grippers.g: joints, open and closed .* same non-zero length"):
        RobotSpec.load(_model(tmp_path, _urdf(), grippers={"g": {"joints": ["shoulder"], "open": [0], "closed": []}}))


def test_urdf_from_an_unset_environment_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SUCH_ROBOT_DIR", raising=False)
    with pytest.raises(RobotModelError, match="set the environment variable NO_SUCH_ROBOT_DIR"):
        RobotSpec.load(_model(tmp_path, _urdf(), urdf="$NO_SUCH_ROBOT_DIR/tiny.urdf"))
    monkeypatch.setenv("NO_SUCH_ROBOT_DIR", str(tmp_path))
    assert RobotSpec.load(tmp_path / "tiny.yaml").urdf == os.path.join(str(tmp_path), "tiny.urdf")


def test_robot_check_exit_status(tmp_path, capsys):
    good = _model(tmp_path, _urdf())
    assert robot_check_main(["check", str(good), "--samples", "50"]) == 0
    out = capsys.readouterr().out
    assert "result: PASS" in out and "arm" in out and "total mass 3.10 kg" in out
    bad = _model(tmp_path, _urdf(mass="0"))
    assert robot_check_main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "error:" in out and "link 'arm': mass is 0 kg" in out and "result: FAIL" in out
    assert robot_check_main(["check", str(bad), "--samples", "0"]) == 2


def test_readme_robot_yaml_example_is_valid(tmp_path, monkeypatch):
    """The README's complete robot YAML passes the schema (names are checked against its own URDF)."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = text.split("# conf/robot/ax2.yaml", 1)[1].split("\n", 1)[1].split("```", 1)[0]
    (tmp_path / "ax2.urdf").write_text(_urdf())
    monkeypatch.setenv("AX2_DESCRIPTION", str(tmp_path))
    data = yaml.safe_load(block)
    data["urdf"] = str(tmp_path / "ax2.urdf")
    spec = RobotSpec.from_dict(data, source="README")
    assert spec.base.type == "floating" and len(spec.grippers["left"].joints) == 5
    assert spec.stance.hip_roll == ["l_hip_r", "r_hip_r"] and spec.workcell.table_top == 0.82


def test_stl_obj_and_dae_meshes_load(tmp_path, world):
    import shutil

    import pybullet_data

    meshes = tmp_path / "meshes"
    meshes.mkdir()
    box = trimesh.creation.box(extents=(0.05, 0.05, 0.3))
    (meshes / "arm.stl").write_bytes(trimesh.exchange.stl.export_stl(box))
    shutil.copy(Path(pybullet_data.getDataPath()) / "racecar" / "meshes" / "cone.dae", meshes / "cone.dae")
    urdf = _urdf(mesh="meshes/arm.stl").replace(
        '<link name="tool">', '<link name="tool"><visual><geometry><mesh filename="meshes/cone.dae"/></geometry></visual>')
    path = _model(tmp_path, urdf)
    spec = RobotSpec.load(path)
    from humanoid_bench.sim.urdf_check import check_robot

    assert check_robot(spec, deep=True).errors == []  # trimesh reads the STL and OBJ, the DAE parses
    robot = Robot(world, spec)
    assert {"arm", "tool"} <= set(robot.links)
    (meshes / "arm.stl").write_bytes(b"not a mesh")
    problems = check_robot(spec, deep=True).errors
    assert len(problems) == 1 and "link 'arm': visual mesh 'meshes/arm.stl'" in str(problems[0])
