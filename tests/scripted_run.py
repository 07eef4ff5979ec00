"""Helpers for tests that play a task's scripted baseline (imported like ``fake_env``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from humanoid_bench.policies.scripted import ScriptedPolicy


def scripted_steps(env: Any, seed: int = 0) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Play the scripted baseline on ``env`` from ``reset(seed)``; yield each step's ``(obs, info)``.

    Asserts after every step that no constraint was added to those present at reset (people and
    assisted locomotion use some): grasps are friction only. Stops after the episode's last step.
    """
    u = env.unwrapped
    client = u.world.client
    policy = ScriptedPolicy(env)
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    constraints = client.getNumConstraints()
    while True:
        obs, _, term, trunc, info = env.step(policy.act(obs, info))
        assert client.getNumConstraints() == constraints  # no attach constraints, ever
        yield obs, info
        if term or trunc:
            return


def fingers(u: Any) -> set[int]:
    """Every finger link of the robot."""
    return set().union(*u.finger_links.values())


def held_in_the_air(u: Any, body: int, min_fingers: int = 2) -> bool:
    """``body`` touches nothing but the robot, and at least ``min_fingers`` of its finger links."""
    contacts = u.world.client.getContactPoints(bodyA=body)
    touching = {c[4] for c in contacts if c[2] == u.robot.body}
    return bool(contacts) and all(c[2] == u.robot.body for c in contacts) and len(touching & fingers(u)) >= min_fingers
