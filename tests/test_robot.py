"""Robot models: generated assets are reproducible; robot YAML errors name the element."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest
import yaml

from humanoid_bench.errors import RobotModelError
from humanoid_bench.paths import assets_dir, conf_dir
from humanoid_bench.sim.assetgen import generate_all
from humanoid_bench.sim.robot import Robot
from humanoid_bench.sim.robot_spec import RobotSpec
from humanoid_bench.sim.world import World, pb


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


# ---------------------------------------------------------------------------------- reference robots
@pytest.mark.parametrize("name, base, dof, mass, height", [
    ("torso_humanoid", "fixed", 22, (60.0, 100.0), (1.40, 1.60)),  # pedestal included
    ("biped_humanoid", "floating", 34, (45.0, 80.0), (1.55, 1.70)),
])
def test_reference_robots_match_their_cards(world, name, base, dof, mass, height):
    robot = Robot(world, RobotSpec.load(name))
    assert robot.spec.base.type == base and len(robot.movable) == dof
    assert mass[0] < robot.mass < mass[1]
    top = max(world.client.getAABB(robot.body, i)[1][2] for i in range(-1, world.client.getNumJoints(robot.body)))
    assert height[0] < top < height[1]
    for side in ("left", "right"):
        assert len(robot.group(f"{side}_arm")) == 7 and len(robot.spec.grippers[side].joints) == 2
    if base == "floating":
        for side in ("left", "right"):
            assert len(robot.group(f"{side}_leg")) == 6
        assert robot.spawn_height == pytest.approx(0.88, abs=0.02)  # pelvis at the home pose, feet on the floor


def _stand(robot, seconds: float, push_n: float = 0.0, push_at: float = 1.0, push_s: float = 0.2,
           direction=(1.0, 0.0, 0.0)):
    """Step a robot alone under its stance controller; push its torso; return the first fall (or None)."""
    w, c = robot.world, robot.world.client
    torso = robot.links[robot.spec.base.torso_link]

    def push() -> None:
        if push_at <= w.sim_time < push_at + push_s - 1e-9:
            pos = c.getLinkState(robot.body, torso)[0]
            c.applyExternalForce(robot.body, torso, [push_n * d for d in direction], pos, pb.WORLD_FRAME)

    for _ in range(round(seconds / w.control_dt)):
        robot.apply()
        w.step(push)
        fall = robot.fall_state()
        if fall.fallen:
            return fall
    return None


@pytest.mark.slow
def test_biped_stands_60_s_with_a_50_n_push(world):
    """Acceptance: 60 simulated seconds under the stance controller, 50 N for 0.2 s at the torso."""
    robot = Robot(world, RobotSpec.load("biped_humanoid"))
    assert _stand(robot, 60.0, push_n=50.0, push_at=2.0) is None
    root, _ = robot.root_pose()
    assert abs(root[0]) < 0.05 and abs(root[1]) < 0.05 and root[2] > 0.95 * robot.nominal_base_height


def test_biped_falls_to_a_hard_push_and_fall_state_says_so(world):
    robot = Robot(world, RobotSpec.load("biped_humanoid"))
    fall = _stand(robot, 4.0, push_n=400.0, push_at=0.5, push_s=0.3)
    assert fall is not None and fall.fallen and fall.reason in ("torso_tilt", "base_height") or \
        fall.reason.startswith("link_on_floor:")
    _fallen, value, limit, reason = fall  # unpacks as the safety monitor expects
    assert value > limit if reason != "" else True


def test_fall_state_rules(world):
    robot = Robot(world, RobotSpec.load("biped_humanoid"))
    assert not robot.fall_state().fallen
    h = robot.nominal_base_height
    robot.set_root_pose((0, 0, 0.4 * h))
    state = robot.fall_state()
    assert state.fallen and state.reason == "base_height" and state.limit == pytest.approx(0.5 * h)
    robot.set_root_pose((0, 0, h), world.client.getQuaternionFromEuler((0.9, 0, 0)))
    state = robot.fall_state()
    assert state.fallen and state.reason == "torso_tilt" and state.value == pytest.approx(0.9, abs=0.05)
    robot.reset_home()
    robot.set_root_pose((0, 0, 0.45))  # knees on the floor, pelvis still above 50%
    world.client.performCollisionDetection()
    state = robot.fall_state()
    assert state.fallen and state.reason.startswith("link_on_floor:")
    wheeled = Robot(world, RobotSpec.load("wheeled_humanoid"), position=(3, 0, 0))
    assert not wheeled.fall_state().fallen


def test_stance_holds_balance_while_an_arm_reaches_out(world):
    robot = Robot(world, RobotSpec.load("biped_humanoid"))
    arm = robot.group("right_arm")
    robot.set_targets(arm, [-1.6, 0.0, 0.0, -0.2, 0.0, 0.0, 0.0])  # arm straight out in front
    assert _stand(robot, 4.0) is None
    assert np.linalg.norm(robot.stance.error) < 0.01  # centre of mass back over the feet
    assert abs(robot.stance.offset[0]) > 0.005  # ... because the ankles leaned the body back


def test_assisted_locomotion_moves_the_base_and_is_labelled(world, tmp_path):
    data = yaml.safe_load((conf_dir() / "robot" / "biped_humanoid.yaml").read_text())
    data["urdf"] = str(assets_dir() / "robots/biped_humanoid/biped_humanoid.urdf")
    data["base"]["locomotion"] = "assisted"
    robot = Robot(world, RobotSpec.load(data))
    assert robot.mobile_base and "assisted" in robot.spec.label
    robot.set_base_velocity(0.3, 0.0, 0.2)
    for _ in range(60):
        robot.apply()
        world.step()
    x, _, yaw = robot.base_pose()
    assert x > 0.4 and yaw == pytest.approx(0.4, abs=0.05) and not robot.fall_state().fallen


def test_dynamic_locomotion_leaves_the_legs_to_the_policy(world):
    data = yaml.safe_load((conf_dir() / "robot" / "biped_humanoid.yaml").read_text())
    data["urdf"] = str(assets_dir() / "robots/biped_humanoid/biped_humanoid.urdf")
    data["base"]["locomotion"] = "dynamic"
    robot = Robot(world, RobotSpec.load(data))
    assert robot.stance is None and robot.stance_joints == []
    assert set(robot.policy_leg_joints) == set(robot.group("left_leg") + robot.group("right_leg"))


def test_floating_base_ik_reaches_its_target(world):
    """pybullet's IK works in the root's inertial frame and the link's principal axes: checked by FK."""
    robot = Robot(world, RobotSpec.load("biped_humanoid"))
    c = world.client
    robot.set_root_pose((0.3, -0.2, robot.spawn_height), c.getQuaternionFromEuler((0.0, 0.0, 0.7)))
    arm = robot.group("right_arm")
    target, quat = robot.ee_pose("right")
    target = target + np.array([0.05, -0.03, -0.04])
    for _ in range(6):
        for n, v in zip(arm, robot.ik("right", target, quat, iterations=30)):
            c.resetJointState(robot.body, robot.joints[n].index, float(v))
        world.touch()
    assert np.linalg.norm(robot.ee_pose("right")[0] - target) < 2e-3


def test_assisted_biped_yaml_extends_the_biped_and_names_itself_assisted(tmp_path):
    spec = RobotSpec.load("biped_humanoid_assisted")
    assert spec.base.locomotion == "assisted" and "assisted" in spec.name and spec.label == spec.name
    assert spec.joint_groups == RobotSpec.load("biped_humanoid").joint_groups
    (tmp_path / "a.yaml").write_text("defaults: [b]\nname: a\n")
    (tmp_path / "b.yaml").write_text("defaults: [a]\nname: b\n")
    with pytest.raises(RobotModelError, match="extends itself"):
        RobotSpec.load(tmp_path / "a.yaml")
