"""Robot models: generated assets are reproducible; robot YAML errors name the element."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
import yaml

from humanoid_bench.errors import RobotModelError
from humanoid_bench.paths import assets_dir, conf_dir
from humanoid_bench.sim.assetgen import generate_all
from humanoid_bench.sim.robot import Robot
from humanoid_bench.sim.robot_spec import RobotSpec
from humanoid_bench.sim.world import World


def test_regenerated_assets_match_committed(tmp_path: Path):
    generate_all(tmp_path)
    committed = assets_dir() / "robots"
    for new in sorted(tmp_path.rglob("*")):
        if new.is_file():
            old = committed / new.relative_to(tmp_path)
            assert old.is_file(), f"{old} is not committed; run python -m humanoid_bench.sim.assetgen"
            assert filecmp.cmp(new, old, shallow=False), f"{old} differs from what the generator writes"


@pytest.fixture()
def world():
    w = World()
    yield w
    w.close()


def test_wheeled_humanoid_matches_its_card(world):
    robot = Robot(world, RobotSpec.load("wheeled_humanoid"))
    assert len(robot.group("left_arm")) == 7 and len(robot.group("right_arm")) == 7
    mass = sum(world.client.getDynamicsInfo(robot.body, i)[0] for i in range(-1, world.client.getNumJoints(robot.body)))
    assert 40.0 < mass < 120.0
    # head top between 1.4 and 1.6 m at the home lift; the arms reach about 0.7 m
    head, _ = robot.link_pose("head_link")
    assert 1.35 < head[2] + 0.15 < 1.7
    shoulder, _ = robot.link_pose("right_shoulder_pitch_link")
    q_arm = robot.group("right_arm")
    robot.set_targets(q_arm, [0.0] * 7)
    for name in q_arm:
        world.client.resetJointState(robot.body, robot.joints[name].index, 0.0)
    tcp, _ = robot.ee_pose("right")
    assert 0.65 < abs(shoulder[2] - tcp[2]) < 0.8
    # payload: 3 kg at full reach needs less than the shoulder's torque limit
    assert robot.joints["right_shoulder_pitch"].effort > 3 * 9.81 * 0.75 + 30
    assert robot.spec.grippers["right"].max_force * 2 * 1.0 > 3 * 9.81  # friction 1: holds 3 kg


def _write_spec(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load((conf_dir() / "robot" / "wheeled_humanoid.yaml").read_text())
    data["urdf"] = str(assets_dir() / "robots/wheeled_humanoid/wheeled_humanoid.urdf")
    for key, value in changes.items():
        data[key] = value
    path = tmp_path / "robot.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_unknown_joint_in_yaml_names_it(tmp_path, world):
    path = _write_spec(tmp_path, home={"right_elbw": 0.1})
    with pytest.raises(RobotModelError, match=r"home: names joint 'right_elbw'.*closest: right_elbow"):
        Robot(world, RobotSpec.load(path))


@pytest.mark.parametrize("changes, match", [
    ({"urdf": "missing.urdf"}, "does not exist"),
    ({"base": {"type": "hovering"}}, "base.type"),
    ({"colour": "red"}, "unknown field"),
    ({"end_effectors": {"right": {"link": "right_tcp", "arm": "right_leg"}}}, "not in joint_groups"),
])
def test_bad_robot_yaml(tmp_path, changes, match):
    with pytest.raises(RobotModelError, match=match):
        RobotSpec.load(_write_spec(tmp_path, **changes))


def test_unknown_robot_name_lists_valid_ones():
    with pytest.raises(RobotModelError, match="valid robots: .*wheeled_humanoid"):
        RobotSpec.load("no_such_robot")
