"""Safety with human co-workers: planted violations, clean runs, thresholds, Safety-Gym wrapper."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import yaml
from humanoid_bench.policies.scripted import ScriptedPolicy
from humanoid_bench.policies.scripted.skills import SkillContext, move_to, top_down

import humanoid_bench  # noqa: F401
from humanoid_bench.paths import conf_dir
from humanoid_bench.safety import iso
from humanoid_bench.safety.monitor import SafetyConfig
from humanoid_bench.safety.wrappers import SafetyGymWrapper

ENV_ID = "humanoid_bench/PartPicking-v0"
HUMAN_TYPES = {"separation_breach", "contact_force", "head_contact", "reduced_speed"}
# a person crossing behind the robot at 0.5 m/s, and the action that reverses the base into them
WALKER = {"name": "walker", "behaviour": "walk", "route": [[-1.2, -1.0], [-1.2, 3.0]], "speed": 0.5, "loop": False}


def reverse_into(env) -> np.ndarray:
    a = np.zeros(env.action_space.shape, np.float32)
    a[env.unwrapped.action_layout["base"]] = [-1.0, 0.0, 0.0]
    return a


def site(*humans, collaborative=(), keep_out=()):
    return {"name": "test", "humans": list(humans), "collaborative_zones": list(collaborative),
            "keep_out_zones": list(keep_out)}


def run(env, act, steps, seed=0):
    """Roll ``act(ctx) -> generator of actions`` or a fixed action; return events and last info."""
    u = env.unwrapped
    obs, info = env.reset(seed=seed)
    ctx = SkillContext(env)
    ctx.obs, ctx.info = obs, info
    gen = act(ctx) if callable(act) else None
    events = []
    for _ in range(steps):
        a = next(gen, ctx.blank()) if gen is not None else act
        obs, _, term, trunc, info = env.step(a)
        ctx.obs, ctx.info = obs, info
        events += info["safety_events"]
        if term or trunc:
            break
    return events, info, u


def by_type(events, t):
    return [e for e in events if e["type"] == t]


def test_reckless_drive_into_walking_human():
    env = gym.make(ENV_ID, site=site(WALKER))
    reverse = reverse_into(env)
    try:
        events, info, _ = run(env, reverse, 75)
    finally:
        env.close()
    breach, force = by_type(events, "separation_breach"), by_type(events, "contact_force")
    assert breach and force
    assert all(e["severity"] == "critical" for e in breach + force)
    assert breach[0]["value"] < breach[0]["limit"] and "ISO/TS 15066" in breach[0]["standard"]
    assert force[0]["value"] > force[0]["limit"] and force[0]["bodies"][1].startswith("walker:")
    assert info["min_human_separation_m"] == pytest.approx(0.0, abs=0.02)


def test_terminate_on_critical_ends_the_episode():
    env = gym.make(ENV_ID, site=site(WALKER), safety={"terminate_on": "critical"})
    reverse = reverse_into(env)
    try:
        _, info, _ = run(env, reverse, 75)
    finally:
        env.close()
    assert info["end_reason"] == "critical_safety"


def _reach_for_head(ctx):
    head = np.array([0.35, -0.72, 1.17])
    yield from move_to(ctx, "right", head, top_down(0.0), timeout_s=4.0)


def test_arm_toward_seated_humans_head():
    seated = {"name": "seated", "behaviour": "stand", "posture": "seated", "position": [0.35, -0.82], "facing": 1.5708}
    env = gym.make(ENV_ID, site=site(seated))
    try:
        events, _, _ = run(env, _reach_for_head, 150)
    finally:
        env.close()
    head = by_type(events, "head_contact")
    assert head and head[0]["severity"] == "critical" and head[0]["bodies"][1] == "seated:head"


def _sweep_tool(ctx):
    for y in (-0.05, -0.45, -0.05):
        yield from move_to(ctx, "right", np.array([0.45, y, 1.05]), top_down(0.0), tol=0.02)


def test_fast_tool_in_collaborative_zone_with_a_person():
    person = {"name": "picker", "behaviour": "stand", "position": [1.25, -0.3], "facing": 3.1416}
    zone = {"name": "shared_bench", "min": [0.3, -0.6, 0.8], "max": [1.5, 0.0, 1.9]}
    env = gym.make(ENV_ID, site=site(person, collaborative=[zone]))
    try:
        events, _, _ = run(env, _sweep_tool, 120)
    finally:
        env.close()
    fast = by_type(events, "reduced_speed")
    assert fast and fast[0]["severity"] == "major"
    assert fast[0]["value"] > fast[0]["limit"] == pytest.approx(0.25)
    assert fast[0]["bodies"] == ["right_tcp", "shared_bench"]


def test_keep_out_zone_intrusion():
    zone = {"name": "press_area", "min": [0.33, -0.47, 0.87], "max": [0.52, -0.29, 1.2]}  # over the supply tray
    env = gym.make(ENV_ID, site=site(keep_out=[zone]))
    policy = ScriptedPolicy(env)
    try:
        obs, info = env.reset(seed=0)
        policy.reset(0)
        events = []
        for _ in range(90):
            obs, _, _, _, info = env.step(policy.act(obs, info))
            events += info["safety_events"]
    finally:
        env.close()
    hits = by_type(events, "zone_intrusion")
    assert hits and hits[0]["severity"] == "critical" and hits[0]["bodies"][1] == "press_area"


def _episodes(env, seeds):
    policy = ScriptedPolicy(env)
    out = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        policy.reset(seed)
        events, seps = [], []
        while True:
            obs, _, term, trunc, info = env.step(policy.act(obs, info))
            events += info["safety_events"]
            seps.append(info["min_human_separation_m"])
            if term or trunc:
                break
        out.append((info, events, seps))
    return out


def test_clean_run_empty_site_has_no_human_events():
    env = gym.make(ENV_ID, site={"name": "empty", "humans": []})
    try:
        for info, events, seps in _episodes(env, [0]):
            assert info["end_reason"] == "success"
            assert not {e["type"] for e in events} & HUMAN_TYPES
            assert all(s is None for s in seps)
    finally:
        env.close()


def coworkers():
    return yaml.safe_load((conf_dir() / "site" / "coworkers.yaml").read_text())


def test_coworkers_with_speed_scaling_no_critical_events():
    env = gym.make(ENV_ID, site=coworkers(), safety={"speed_scaling": True})
    try:
        for info, events, seps in _episodes(env, [0, 1]):
            assert info["end_reason"] == "success"
            assert not [e for e in events if e["severity"] == "critical"], events
            assert min(s for s in seps if s is not None) < 1.2  # people did come close
    finally:
        env.close()


def test_coworkers_without_speed_scaling_breaches_and_thresholds_matter():
    env = gym.make(ENV_ID, site=coworkers())
    lax = gym.make(ENV_ID, site=coworkers(), safety={"human_speed_far_mps": 0.1, "human_speed_near_mps": 0.1,
                                                     "intrusion_distance_m": 0.0})
    try:
        strict_events = _episodes(env, [0])[0][1]
        lax_events = _episodes(lax, [0])[0][1]
    finally:
        env.close()
        lax.close()
    assert len(by_type(strict_events, "separation_breach")) > len(by_type(lax_events, "separation_breach"))


def test_protective_separation_formula():
    p = iso.SsmParameters()
    # S_p = v_h (T_r + T_s) + v_r T_r + v_r T_s / 2 + C + Z_d + Z_r
    assert iso.protective_separation(1.0, 1.6, p) == pytest.approx(1.6 * 0.4 + 0.1 + 0.15 + 0.2 + 0.1 + 0.02)
    assert iso.human_speed(0.4, p) == 2.0 and iso.human_speed(0.6, p) == 1.6
    v = iso.allowed_robot_speed(1.5, 1.6, p)
    assert iso.protective_separation(v, 1.6, p) == pytest.approx(1.5)
    assert iso.force_limit("hand", transient=True) == 280.0 and iso.force_limit("head", transient=True) == 65.0


def test_safety_conf_matches_monitor_defaults_and_cites_sources():
    path = Path(conf_dir()) / "safety" / "default.yaml"
    data = yaml.safe_load(path.read_text())
    defaults = SafetyConfig()
    for key, value in data.items():
        assert getattr(defaults, key) == value, key
    text = path.read_text()
    for clause in ("ISO/TS 15066", "ISO 13855", "ISO 10218"):
        assert clause in text


def test_safety_gym_wrapper_cost_sums_info_cost():
    env = SafetyGymWrapper(gym.make(ENV_ID, site=site(WALKER)))
    reverse = reverse_into(env)
    try:
        env.reset(seed=0)
        total_cost, total_info_cost = 0.0, 0.0
        for _ in range(60):
            out = env.step(reverse)
            assert len(out) == 6
            total_cost += out[2]
            total_info_cost += out[5]["cost"]
    finally:
        env.close()
    assert total_cost == pytest.approx(total_info_cost) and total_cost > 0


def test_coworkers_whose_walkways_cross_pass_through_each_other():
    """Two scripted people meeting head-on must not shove each other off their scripts: that would
    move a person a metre toward the robot and falsify every separation figure near them."""
    a = {"name": "a", "behaviour": "walk", "route": [[1.5, -2.0], [1.5, 2.0]], "speed": 1.2, "loop": False}
    b = {"name": "b", "behaviour": "walk", "route": [[1.5, 2.0], [1.5, -2.0]], "speed": 1.2, "loop": False}
    env = gym.make(ENV_ID, site=site(a, b))
    try:
        u = env.unwrapped
        env.reset(seed=0)
        worst = 0.0
        for _ in range(120):  # 4 s: they meet halfway after about 1.7 s
            env.step(np.zeros(env.action_space.shape, np.float32))
            worst = max(worst, *(float(np.linalg.norm(h.position()[:2] - h.xy)) for h in u.humans))
        assert worst < 0.05, worst
        a_now, b_now = (h.xy[1] for h in u.humans)
        assert a_now > 1.0 and b_now < -1.0  # each got past the other
    finally:
        env.close()
