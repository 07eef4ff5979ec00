"""Episode scheduling, the results store and resume (v0: serial backend)."""

from humanoid_bench.runner.runner import RunResult, run_benchmark, run_episode
from humanoid_bench.runner.store import DB_NAME, ResultsStore

__all__ = ["DB_NAME", "ResultsStore", "RunResult", "run_benchmark", "run_episode"]
