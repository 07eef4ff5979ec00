"""Suites, episode scheduling (serial, process pool, Ray), the results store and resume."""

from humanoid_bench.runner.runner import CellResult, RunResult, run_benchmark
from humanoid_bench.runner.store import DB_NAME, Keyframe, ResultsStore
from humanoid_bench.runner.worker import run_episode

__all__ = ["DB_NAME", "CellResult", "Keyframe", "ResultsStore", "RunResult", "run_benchmark", "run_episode"]
