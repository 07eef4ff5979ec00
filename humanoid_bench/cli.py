"""``humanoid-bench`` command line: ``run``, ``train``, ``list``, ``report``, ``export`` (Hydra underneath).

``humanoid-bench run [hydra args and overrides]`` strips the subcommand and hands the rest to a
Hydra main with ``conf/run.yaml`` (``train``: ``conf/train.yaml``), so every Hydra feature works:
overrides, ``-m`` multirun, ``hydra.run.dir=DIR``, launchers. Before launching, the overrides are
composed once with Hydra's compose API (each value of a sweep at least once) so a bad override or
an unknown task, robot or policy gets one line on stderr and exit status 2, not a traceback.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from omegaconf import DictConfig, OmegaConf

from humanoid_bench.errors import HumanoidBenchError
from humanoid_bench.paths import available, conf_dir

#: config groups whose options are files under conf/<group>/
GROUPS = ("task", "robot", "policy", "safety", "sim", "runner", "site", "suite", "report")
COMMANDS = ("run", "train", "list", "report", "export", "robot")
USAGE = """usage: humanoid-bench <command> [hydra options] [key=value ...]

commands:
  run     evaluate a policy: the pilot suite (or one task) -> results.db, summary.json, report.html
  train   train a stable-baselines3 agent (policy=ppo) -> checkpoint.zip
  list    show the available tasks, robots and policies
  report  pilot report of stored runs: humanoid-bench report RUN_DIR... [--out DIR] [report.lang=ko]
  export  episodes and events as CSV or Parquet: humanoid-bench export RUN_DIR [--format parquet]
  robot   robot model tools: humanoid-bench robot check ROBOT [--urdf PATH] (exit 1 on errors)

examples:
  humanoid-bench run                                  (the pilot suite, scripted baselines)
  humanoid-bench run policy=random runner.workers=2
  humanoid-bench run task=part_picking policy=random episodes=5 seed=100
  humanoid-bench run -m seed=0,1 episodes=1
  humanoid-bench train policy=ppo train.total_timesteps=4096 hydra.run.dir=outputs/ppo
  humanoid-bench run policy=sb3 policy.checkpoint=outputs/ppo/checkpoint.zip
  humanoid-bench run --help        (Hydra's help: config groups and options)"""


def fail(message: str, status: int = 2) -> NoReturn:
    """Print ``error: <message>`` as one line on stderr and exit (status 2: bad input)."""
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    sys.exit(status)


# ---------------------------------------------------------------------------------- validation
def _exception_line(exc: BaseException) -> str:
    """One readable line from a Hydra/OmegaConf composition error and its causes."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 3:
        lines = [ln.strip() for ln in str(seen).strip().splitlines() if ln.strip()]
        # omegaconf appends "full_key: ..." / "object_type=..." lines; keep the sentence
        lines = [ln for ln in lines if not ln.startswith(("full_key:", "object_type=", "reference_type="))]
        if lines and lines[0] not in parts:
            parts.append(" ".join(lines[:2]))
        seen = seen.__cause__
    return ": ".join(parts) or type(exc).__name__


def _group_error(group: str, value: str) -> str | None:
    options = available(group)
    if value in options:
        return None
    return f"unknown {group} {value!r}; valid {group} options: {', '.join(options) or '(none)'}"


def _value_sets(overrides: Sequence[str], multirun: bool) -> list[list[str]]:
    """Override lists to compose: the first value of every sweep, then each sweep value once."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    choices: list[list[str]] = []
    for text, ov in zip(overrides, parsed):
        if ov.is_sweep_override():
            if not multirun:
                fail(f"{text!r} is a sweep: add -m (--multirun) to run one job per value, or write "
                     f"key=[a,b] for a list or key='a,b' for a string")
            try:
                values = list(ov.sweep_string_iterator())
            except Exception:  # noqa: BLE001 - glob and other sweeps that need the config: left to Hydra
                values = []
            prefix = text.split("=", 1)[0]
            choices.append([f"{prefix}={v}" for v in values] or [])
        else:
            choices.append([text])
        if ov.key_or_group in GROUPS and not ov.is_delete():
            for value in choices[-1]:
                err = _group_error(ov.key_or_group, value.split("=", 1)[1])
                if err:
                    fail(err)
    base = [c[0] for c in choices if c]
    sets = [base]
    for i, c in enumerate(choices):
        for v in c[1:]:
            sets.append([v if j == i else (cj[0] if cj else None) for j, cj in enumerate(choices)])
    return [[o for o in s if o is not None] for s in sets]


def validate_overrides(command: str, args: Sequence[str]) -> None:
    """Compose the config for ``args`` with Hydra's compose API and run the semantic checks.

    Exits with status 2 and one line on stderr on the first problem; returns when all is well.
    """
    from hydra import compose, initialize_config_dir
    from hydra._internal.utils import get_args_parser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from humanoid_bench.runner.config import validate

    ns = get_args_parser().parse_args(list(args))
    if ns.help or ns.hydra_help or ns.shell_completion or ns.config_path or ns.config_name or ns.config_dir:
        return  # Hydra's own business
    overrides = [o for o in ns.overrides if not o.lstrip("+~").startswith("hydra")]
    try:
        sets = _value_sets(overrides, multirun=bool(ns.multirun))
        for combo in itertools.islice(sets, 64):
            with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3", job_name=command):
                cfg = compose(config_name=command, overrides=combo)
            validate(cfg, command)
    except HumanoidBenchError as exc:
        fail(str(exc))
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        fail(f"bad override: {_exception_line(exc)} (valid keys: humanoid-bench {command} --cfg job)")


# ---------------------------------------------------------------------------------- commands
def _output_dir() -> Path:
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def run_task(cfg: DictConfig) -> None:
    """Hydra task function of ``humanoid-bench run``."""
    from hydra.core.hydra_config import HydraConfig
    from rich.console import Console

    from humanoid_bench.report.summary import results_table
    from humanoid_bench.runner.runner import run_benchmark

    try:
        overrides = list(HydraConfig.get().overrides.task)
        result = run_benchmark(cfg, _output_dir(), console=Console(stderr=True), overrides=overrides)
    except HumanoidBenchError as exc:
        fail(str(exc))
    console = Console() if sys.stdout.isatty() else Console(width=200)
    if cfg.runner.table:
        console.print(results_table([result.summary]))
    resumed = f" ({result.skipped} resumed from the store)" if result.skipped else ""
    console.print(f"{result.ran + result.skipped} episodes{resumed}; results in {result.output_dir}", soft_wrap=True)
    if result.lost:
        fail(f"{len(result.lost)} episode(s) lost to a dead worker; rerun the same command to complete them",
             status=1)


def train_task(cfg: DictConfig) -> None:
    """Hydra task function of ``humanoid-bench train``."""
    from humanoid_bench.train import train

    try:
        checkpoint = train(cfg, _output_dir())
    except HumanoidBenchError as exc:
        fail(str(exc))
    print(f"checkpoint: {checkpoint}")
    print(f"evaluate it: humanoid-bench run task={cfg.task.name} policy=sb3 policy.checkpoint={checkpoint}")


def list_options(args: Sequence[str]) -> None:
    """``humanoid-bench list``: tasks (with env ids), robots, policies and the other groups."""
    if args:
        fail(f"`humanoid-bench list` takes no arguments, got {' '.join(args)!r}")
    folder = conf_dir()
    print("tasks:")
    for name in available("task"):
        data = OmegaConf.load(folder / "task" / f"{name}.yaml")
        print(f"  {name:<20} {data.get('env_id', '')}")
    print("robots:")
    for name in available("robot"):
        print(f"  {name}")
    print("policies:")
    for name in available("policy"):
        data = OmegaConf.load(folder / "policy" / f"{name}.yaml")
        use = "train" if data.get("kind") == "train" else "run"
        print(f"  {name:<20} ({use}) {data.get('_target_', '')}")
    for group in ("safety", "sim", "runner", "site", "suite", "report"):
        print(f"{group}: {', '.join(available(group))}")


def _suite_default(args: Sequence[str]) -> list[str]:
    """``run`` naming neither a suite nor a task (``task=...`` or a ``task.`` key) runs the pilot suite."""
    from humanoid_bench.runner.config import DEFAULT_SUITE

    keys = [a.lstrip("+~").split("=", 1)[0] for a in args if not a.startswith("-")]
    if any(k == "suite" for k in keys) or any(k == "task" or k.startswith("task.") for k in keys):
        return list(args)
    return [*args, f"suite={DEFAULT_SUITE}"]


def _launch(command: str, task_function: Callable[[DictConfig], None], args: Sequence[str]) -> None:
    import hydra

    from humanoid_bench.runner.config import register_configs

    register_configs()
    if command == "run":
        args = _suite_default(args)
    validate_overrides(command, args)
    sys.argv = [f"humanoid-bench {command}", *args]
    hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name=command)(task_function)()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``humanoid-bench`` and ``python -m humanoid_bench``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    command, rest = args[0], args[1:]
    if command in ("-h", "--help", "help"):
        print(USAGE)
        return
    if command == "--version":
        from humanoid_bench import __version__

        print(__version__)
        return
    if command == "list":
        list_options(rest)
    elif command == "run":
        _launch("run", run_task, rest)
    elif command == "train":
        _launch("train", train_task, rest)
    elif command in ("report", "export"):
        from humanoid_bench.report.commands import export_command, report_command

        try:
            (report_command if command == "report" else export_command)(rest)
        except HumanoidBenchError as exc:
            fail(str(exc))
    elif command == "robot":
        from humanoid_bench.robot_check import main as robot_main

        sys.exit(robot_main(rest))
    else:
        fail(f"unknown command {command!r}; expected one of {', '.join(COMMANDS)} (see humanoid-bench --help)")


if __name__ == "__main__":  # pragma: no cover
    main()
