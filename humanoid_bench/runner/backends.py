"""Where episodes run: ``serial`` (this process), ``process`` (a pool of worker processes) or ``ray``.

Every backend runs the same function (:func:`humanoid_bench.runner.worker.run_job`) on the same
jobs, so records are identical across backends for the same config and seeds. Results come back
to the caller's ``on_result`` in this process, which alone writes the results store.

A worker that dies mid-episode (killed, out of memory, a crash in native code) loses that episode
only: it is returned as *lost*, a fresh worker takes the remaining jobs, and rerunning the same
command completes the lost episodes (the store skips what it has).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from typing import Any

from humanoid_bench.errors import ConfigError
from humanoid_bench.runner.worker import EpisodeJob, EpisodeResult, close_all, run_job

log = logging.getLogger(__name__)

OnResult = Callable[[EpisodeResult], None]


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def execute(jobs: Sequence[EpisodeJob], on_result: OnResult, *, backend: str = "serial", workers: int | None = None,
            ray_address: str | None = None) -> list[EpisodeJob]:
    """Run ``jobs``, calling ``on_result`` for each finished episode; returns the jobs lost to dead workers."""
    if not jobs:
        return []
    n = default_workers() if workers is None else int(workers)
    if backend == "ray":
        return _run_ray(jobs, on_result, workers, ray_address)
    if backend == "serial" or n == 1 or len(jobs) == 1:
        return _run_serial(jobs, on_result)
    if backend == "process":
        return _run_processes(jobs, on_result, min(n, len(jobs)))
    raise ConfigError(f"runner.backend {backend!r} is not supported; valid: serial, process, ray")


# ----------------------------------------------------------------------------------------- serial
def _run_serial(jobs: Sequence[EpisodeJob], on_result: OnResult) -> list[EpisodeJob]:
    try:
        for job in jobs:
            on_result(run_job(job))
    finally:
        close_all()
    return []


# ---------------------------------------------------------------------------------------- process
def _worker_main(conn: Connection) -> None:
    """Pool worker: receive a job, send back ``("ok", result)`` or ``("error", exception)``; None stops."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        while True:
            job = conn.recv()
            if job is None:
                break
            try:
                conn.send(("ok", run_job(job)))
            except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
                conn.send(("error", _picklable(exc)))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        close_all()


def _picklable(exc: Exception) -> Exception:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")


@contextmanager
def _standard_start_method() -> Iterator[None]:
    """A spawned child re-applies its parent's default start method; inside a joblib/loky job that is
    ``loky``, unknown to a fresh interpreter. Present ``spawn`` while starting a worker."""
    method = mp.get_start_method(allow_none=True)
    if method in (None, "spawn", "fork", "forkserver"):
        yield
        return
    mp.set_start_method("spawn", force=True)
    try:
        yield
    finally:
        mp.set_start_method(method, force=True)


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True, name="humanoid-bench-worker")
        with _standard_start_method():
            self.proc.start()
        child.close()
        self.job: EpisodeJob | None = None

    def give(self, job: EpisodeJob) -> bool:
        """Hand over a job; False when the worker is already gone (the job was not started)."""
        self.job = job
        try:
            self.conn.send(job)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.job = None
            return False
        return True

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=5)


def _run_processes(jobs: Sequence[EpisodeJob], on_result: OnResult, n: int) -> list[EpisodeJob]:
    # spawn: a fresh interpreter per worker (no pybullet or Ray state inherited from this process)
    ctx = mp.get_context("spawn")
    queue = deque(jobs)
    lost: list[EpisodeJob] = []
    busy: list[_Worker] = []
    log.info("process backend: %d workers for %d episodes", n, len(jobs))

    def assign(worker: _Worker | None = None) -> None:
        """Give the next job to ``worker`` (or a fresh one); a worker found dead is replaced."""
        while queue:
            worker = worker or _Worker(ctx)
            job = queue.popleft()
            if worker.give(job):
                busy.append(worker)
                return
            queue.appendleft(job)
            worker.kill()
            worker = None

    try:
        for _ in range(n):
            assign()
        while busy:
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy]))
            for w in list(busy):
                if w.conn not in ready and w.proc.sentinel not in ready:
                    continue
                message = None
                if w.conn in ready:
                    try:
                        message = w.conn.recv()
                    except (EOFError, OSError):
                        message = None
                if message is None:  # the worker died with a job in hand
                    assert w.job is not None
                    w.proc.join(timeout=5)
                    log.error("worker %s died (exit code %s) running seed %d of %s; that episode is lost, "
                              "rerun the same command to complete it", w.proc.pid, w.proc.exitcode, w.job.seed,
                              w.job.ids.get("task"))
                    lost.append(w.job)
                    busy.remove(w)
                    assign()
                    continue
                status, payload = message
                if status == "error":
                    raise payload
                on_result(payload)
                busy.remove(w)
                w.job = None
                if queue:
                    assign(w)
                else:
                    w.stop()
                    w.proc.join(timeout=30)
    finally:
        for w in busy:
            w.kill()
    return lost


# -------------------------------------------------------------------------------------------- ray
def _run_ray(jobs: Sequence[EpisodeJob], on_result: OnResult, num_cpus: int | None,
             address: str | None) -> list[EpisodeJob]:
    try:
        import ray
    except ImportError:
        raise ConfigError("runner.backend=ray needs Ray: pip install 'humanoid-bench[ray]'") from None
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            kwargs["address"] = address
        else:
            kwargs["num_cpus"] = num_cpus or default_workers()
        ray.init(**kwargs)
        started = True
    lost: list[EpisodeJob] = []
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_job)
        pending = {remote.remote(job): job for job in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                job = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    cause = exc.as_instanceof_cause()
                    raise (exc.cause if isinstance(getattr(exc, "cause", None), Exception) else cause) from None
                except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                        ray.exceptions.ObjectLostError) as exc:
                    log.error("Ray worker lost seed %d of %s (%s); rerun the same command to complete it",
                              job.seed, job.ids.get("task"), type(exc).__name__)
                    lost.append(job)
                    continue
                on_result(result)
    finally:
        if started:
            ray.shutdown()
    return lost
