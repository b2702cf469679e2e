"""Produce records for an index range, in index order, in-process or in isolated worker processes.

With ``workers >= 1`` each sample runs in a worker process: a sample that raises, runs past the
timeout, or kills its worker (a segfault or abort inside XLA) becomes a failure for that index and
the run goes on with a fresh worker. A failed index is skipped: it has no record, so the output
stays a pure function of (seed, arguments). Results are yielded strictly in index order, so the
file is byte-identical whatever the worker count. Workers clear JAX's caches periodically and
are replaced after a fixed number of samples, which keeps memory bounded on long runs.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import wait

from ..workers import READY, SpawnedWorker, spawn_context
from ..grammar.plugins import load_plugins, plugin_ops
from . import faults as planted_faults
from .draw import SampleConfig, program_for_index, record_line

CLEAR_CACHES_EVERY = 100
RECYCLE_AFTER = 1000


@dataclass(frozen=True)
class SampleResult:
    index: int
    category: str
    line: str | None = None
    canonical_hash: str | None = None
    python: str | None = None
    error: str | None = None
    plugin_ops: tuple[str, ...] = ()  # the plugin ops this program calls


def produce(config: SampleConfig, index: int, faults: dict[int, str] | None = None) -> SampleResult:
    program = program_for_index(config, index)
    if faults:
        planted_faults.strike(faults, index)
    try:
        line, program_hash = record_line(config, index, program)
        return SampleResult(index, program.category, line=line, canonical_hash=program_hash,
                            plugin_ops=tuple(sorted(program.ops & plugin_ops())) if config.plugins else ())
    except Exception as error:  # a lowering failure is data about JAX, logged per index
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return SampleResult(index, program.category, python=program.source, error=detail)


def iter_results(config: SampleConfig, indices: range, *, workers: int = 0, timeout: float = 60.0):
    if workers <= 0:
        yield from _in_process(config, indices)
    else:
        yield from WorkerPool(config, workers, timeout).run(indices)


def clear_caches() -> None:
    """Free what JAX and fuzzgen keep per traced function, so long runs stay bounded in memory."""
    import jax

    from ..lowering import mlir_context

    jax.clear_caches()
    mlir_context.release()


def _in_process(config: SampleConfig, indices: range):
    load_plugins(config.plugins)
    faults = planted_faults.planted()
    for done, index in enumerate(indices, 1):
        yield produce(config, index, faults)
        if done % CLEAR_CACHES_EVERY == 0:
            clear_caches()


def _worker_main(connection, config: SampleConfig) -> None:
    from ..lowering import lower  # noqa: F401  (imports JAX: not part of any sample's time)

    load_plugins(config.plugins)  # the same ops as the parent drew with: a worker rebuilds each program

    faults = planted_faults.planted()
    connection.send((READY, None))
    done = 0
    while True:
        try:
            index = connection.recv()
        except EOFError:
            return
        if index is None:
            return
        connection.send(produce(config, index, faults))
        done += 1
        if done % CLEAR_CACHES_EVERY == 0:
            clear_caches()


class _Worker(SpawnedWorker):
    """A pool worker: the index it is lowering, since when, and how many it has done."""

    def __init__(self, context, config: SampleConfig):
        super().__init__(_worker_main, (config,), context)
        self.index: int | None = None
        self.started_at = 0.0
        self.done = 0

    def assign(self, index: int) -> None:
        self.index, self.started_at = index, time.monotonic()
        self.send(index)


class WorkerPool:
    def __init__(self, config: SampleConfig, workers: int, timeout: float):
        self.config, self.size, self.timeout = config, workers, timeout
        self.context = spawn_context()

    def run(self, indices: range):
        window = 4 * self.size  # results held for reordering stay within this many indices
        ready: dict[int, SampleResult] = {}
        next_to_assign = next_out = indices.start
        outstanding = 0
        workers = [_Worker(self.context, self.config) for _ in range(min(self.size, max(len(indices), 1)))]
        idle: list[_Worker] = []
        try:
            while True:
                for worker in workers:
                    if worker.index is None and worker not in idle and worker.poll_ready():
                        idle.append(worker)
                    elif not worker.ready and not worker.alive:
                        self._replace(workers, worker)  # died while starting: no sample was lost
                while idle and next_to_assign < min(indices.stop, next_out + window):
                    idle.pop().assign(next_to_assign)
                    next_to_assign += 1
                    outstanding += 1
                if outstanding == 0 and next_to_assign >= indices.stop:
                    return
                busy = [w for w in workers if w.index is not None]
                starting = [w for w in workers if not w.ready]
                deadline = min((w.started_at for w in busy), default=None)
                wait([w.connection for w in busy + starting] + [w.sentinel for w in busy + starting],
                     timeout=None if deadline is None else max(0.0, deadline + self.timeout - time.monotonic()))
                for worker in busy:
                    result = self._collect(worker)
                    if result is None:
                        continue
                    outstanding -= 1
                    ready[result.index] = result
                    if worker.alive and worker.done < RECYCLE_AFTER:
                        idle.append(worker)
                    else:
                        self._replace(workers, worker)
                while next_out in ready:
                    yield ready.pop(next_out)
                    next_out += 1
        finally:
            for worker in workers:
                worker.stop(kill=True)

    def _collect(self, worker: _Worker) -> SampleResult | None:
        """The worker's result if it finished, died or overran; None while it is still working."""
        index = worker.index
        hung_up = False
        if worker.connection.poll():
            try:
                result = worker.connection.recv()
                worker.index, worker.done = None, worker.done + 1
                return result
            except (EOFError, OSError):  # it is exiting, even if the OS has not reaped it yet
                hung_up = True
        if hung_up or not worker.alive:
            return self._failed(worker, index, f"WorkerDied: the worker process died ({worker.how_it_ended()}) "
                                               "while lowering")
        if time.monotonic() - worker.started_at > self.timeout:
            worker.process.kill()
            worker.process.join()
            return self._failed(worker, index, f"Timeout: lowering ran past --timeout {self.timeout:g} s")
        return None

    def _failed(self, worker: _Worker, index: int, error: str) -> SampleResult:
        worker.index = None
        program = program_for_index(self.config, index)
        return SampleResult(index, program.category, python=program.source, error=error)

    def _replace(self, workers: list, old: _Worker) -> _Worker:
        old.stop(kill=not old.alive)
        new = _Worker(self.context, self.config)
        workers[workers.index(old)] = new
        return new

