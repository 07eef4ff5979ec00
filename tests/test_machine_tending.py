"""MachineTending env: API contract, reward terms, determinism, the interlock and the scripted baseline."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from humanoid_bench.policies.scripted.skills import SkillContext, slide_handle
from scripted_run import scripted_steps

import humanoid_bench  # noqa: F401
from humanoid_bench.errors import ConfigError
from humanoid_bench.safety.monitor import SafetyMonitor

ENV_ID = "humanoid_bench/MachineTending-v0"


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID, difficulty="easy")
    yield e
    e.close()


def test_bad_input_is_one_config_error():
    with pytest.raises(ConfigError, match="difficulty"):
        gym.make(ENV_ID, difficulty="extreme")
    with pytest.raises(ConfigError, match="units_target"):
        gym.make(ENV_ID, units_target=9)


def test_monitor_interlock_hook(env):
    """A running machine's guard opened is one debounced critical zone_intrusion; an idle one is none."""
    u = env.unwrapped
    env.reset(seed=0)
    state = {"running": False, "opening": 0.05}
    mon = SafetyMonitor(u.world, u.robot)
    mon.register_interlock("press", np.array([5.0, 5.0, 0.0]), np.array([6.0, 6.0, 1.0]),
                           running=lambda: state["running"], guard_opening=lambda: state["opening"], opening_limit=0.01)
    q, qd, tau = u.robot.joint_state()
    assert not [e for e in mon.on_control_step(q, qd, tau, 1 / 30)["events"] if e.type == "zone_intrusion"]
    state["running"] = True
    events = mon.on_control_step(q, qd, tau, 1 / 30)["events"] + mon.on_control_step(q, qd, tau, 1 / 30)["events"]
    hits = [e for e in events if e.type == "zone_intrusion"]
    assert len(hits) == 1 and hits[0].severity == "critical" and hits[0].value == pytest.approx(0.05)


def _run_until(e, seed, stop):
    """The scripted baseline until ``stop(info)`` or the episode's end; the last (obs, info)."""
    for obs, info in scripted_steps(e, seed):
        if stop(info):
            break
    return obs, info


def test_scripted_tends_the_machine_without_safety_events():
    e = gym.make(ENV_ID, difficulty="easy")
    u = e.unwrapped
    try:
        seen = {"door": 0.0, "button": 0.0, "held_high": 0, "events": []}

        def watch(info):
            seen["door"] = max(seen["door"], u.door_opening())
            seen["button"] = max(seen["button"], u.button_depth())
            pos, _ = u.world.client.getBasePositionAndOrientation(u.blanks[0])
            if pos[2] > u.top + 0.12 and u.held_by(u.blanks[0]) is not None:
                seen["held_high"] += 1  # lifted over the machine's roof, between two fingers
            seen["events"] += info["safety_events"]
            return "end_reason" in info

        _, info = _run_until(e, 0, watch)
        assert info["end_reason"] == "success", info
        assert u.machined == [True] and u.cycles_run == 1 and u.cycles_aborted == 0
        assert seen["door"] > 0.15 and seen["button"] > 0.006  # the door slid open, the button went in
        assert seen["held_high"] > 30
        assert not [ev for ev in seen["events"] if ev["severity"] != "minor"], seen["events"]
    finally:
        e.close()


def test_opening_the_door_mid_cycle_trips_the_interlock():
    e = gym.make(ENV_ID, difficulty="easy")
    u = e.unwrapped
    try:
        events = []

        def running(info):
            events.extend(info["safety_events"])
            return u.machine_state == "running"

        obs, info = _run_until(e, 0, running)
        assert u.machine_state == "running"
        assert not [ev for ev in events if ev["type"] == "zone_intrusion"]
        # a faulty policy: slide the door open while the machine runs
        ctx = SkillContext(e)
        ctx.obs, ctx.info = obs, info
        handle = ctx["door_handle_pos"] - np.array([0.0, 0.0, 0.02])
        gen = slide_handle(ctx, "left", handle, -np.pi / 2, np.array([0.08, 0.0, 0.0]), lift=0.04)
        tripped = []
        for action in gen:
            obs, _, _, _, info = e.step(action)
            ctx.obs, ctx.info = obs, info
            tripped += [ev for ev in info["safety_events"] if ev["type"] == "zone_intrusion"]
        assert tripped and tripped[0]["severity"] == "critical", tripped
        assert u.cycles_aborted == 1 and u.machine_state == "idle" and u.machined == [False]
        assert info["cycles_aborted"] == 1 and info["machine_state"] == "idle"  # in the record's info too
    finally:
        e.close()
