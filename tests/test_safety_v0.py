"""Safety v0: planted violations raise their events; clean scripted runs raise none of them."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from humanoid_bench.policies.scripted import ScriptedPolicy
from humanoid_bench.policies.scripted.skills import (
    SkillContext,
    approach,
    grasp,
    move_to,
    release,
    retreat,
    top_down,
)

import humanoid_bench  # noqa: F401
from humanoid_bench.safety.events import EVENT_TYPES, TAXONOMY

ENV_ID = "humanoid_bench/PartPicking-v0"
EVENT_KEYS = {"type", "severity", "value", "limit", "standard", "bodies", "sim_time"}


def run_script(env, script, seed=0, max_steps=600):
    ctx = SkillContext(env)
    obs, info = env.reset(seed=seed)
    ctx.obs = obs
    events, cost = [], 0.0
    gen = script(ctx)
    for _ in range(max_steps):
        try:
            action = next(gen)
        except StopIteration:
            break
        obs, _, term, trunc, info = env.step(action)
        ctx.obs = obs
        events += info["safety_events"]
        cost += info["cost"]
        if term or trunc:
            break
    return events, cost


def types(events):
    return {e["type"] for e in events}


def test_joint_limits_and_self_collision_planted():
    env = gym.make(ENV_ID, control_mode="joint_position")
    try:
        env.reset(seed=0)
        events = []
        for _ in range(45):
            _, _, _, _, info = env.step(np.ones(env.action_space.shape, np.float32))
            events += info["safety_events"]
        assert {"joint_limit", "self_collision"} <= types(events)
        for e in events:
            assert EVENT_KEYS <= set(e)
            assert e["severity"] == TAXONOMY[e["type"]][0] and e["standard"]
        # debounced: a joint held at its limit gives a handful of events, not one per substep
        jl = [e["bodies"][0] for e in events if e["type"] == "joint_limit"]
        assert len(jl) <= 3 * len(set(jl)) < 45 * 8
    finally:
        env.close()


def _press_into_tray(ctx):
    slot = ctx["slot_pos"].reshape(-1, 3)[0]
    yield from move_to(ctx, "right", np.array([slot[0], slot[1], slot[2] + 0.06]), top_down(0.0), tol=0.01)
    for _ in range(40):
        a = ctx.blank()
        a[ctx.action_layout["right_ee"]][2] = -1.0
        yield a


@pytest.mark.parametrize("threshold, expected", [(100.0, True), (1e6, False)])
def test_collision_with_fixture_planted_and_threshold_matters(threshold, expected):
    env = gym.make(ENV_ID, safety={"collision_force_n": threshold})
    try:
        events, cost = run_script(env.unwrapped, _press_into_tray)
    finally:
        env.close()
    hits = [e for e in events if e["type"] == "collision"]
    assert bool(hits) is expected
    if expected:
        assert hits[0]["severity"] == "major" and hits[0]["value"] > threshold
        assert hits[0]["bodies"][1] in {"kitting_tray", "supply_tray", "workbench"} and cost >= 0.5


def _drop_part_on_supply(ctx):
    part = ctx["part_pos"].reshape(-1, 3)[0]
    yield from release(ctx, "right")
    yield from approach(ctx, "right", part[:2], part[2] + 0.005, 0.0)
    assert (yield from grasp(ctx, "right"))
    yield from retreat(ctx, "right", part[2] + 0.15)
    yield from release(ctx, "right")  # let go 12 cm above the supply tray: outside every goal zone
    for _ in range(15):
        yield ctx.blank()


def test_payload_drop_planted():
    env = gym.make(ENV_ID, difficulty="easy")
    try:
        events, _ = run_script(env.unwrapped, _drop_part_on_supply)
    finally:
        env.close()
    drops = [e for e in events if e["type"] == "payload_drop"]
    assert drops and drops[0]["severity"] == "major" and drops[0]["bodies"][0].startswith("part_")


def test_terminate_on_critical_config_is_validated():
    from humanoid_bench.errors import ConfigError

    with pytest.raises(ConfigError, match="terminate_on"):
        gym.make(ENV_ID, safety={"terminate_on": "major"})


def test_scripted_baseline_clean_of_major_and_critical_events():
    env = gym.make(ENV_ID)
    policy = ScriptedPolicy(env)
    try:
        for seed in (0, 1):
            obs, info = env.reset(seed=seed)
            policy.reset(seed)
            events = []
            while True:
                obs, _, term, trunc, info = env.step(policy.act(obs, info))
                events += info["safety_events"]
                if term or trunc:
                    break
            assert info["end_reason"] == "success"
            assert not [e for e in events if e["severity"] in ("critical", "major")], events
            assert set(types(events)) <= set(EVENT_TYPES)
    finally:
        env.close()
