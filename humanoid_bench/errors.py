"""Exceptions with messages meant for people: what was expected, what was found, how to fix."""

from __future__ import annotations


class HumanoidBenchError(Exception):
    """Base class; the CLI prints these as one line (no traceback) and exits with status 2."""


class ConfigError(HumanoidBenchError, ValueError):
    """A configuration value, override or name is wrong."""


class RobotModelError(HumanoidBenchError, ValueError):
    """A robot YAML or URDF is broken; the message names the file and the element."""


class PhysicsError(HumanoidBenchError, RuntimeError):
    """The simulation produced non-finite state (exploded)."""
