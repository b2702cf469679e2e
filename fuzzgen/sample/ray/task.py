"""The body of one shard task on a Ray worker: the local engine on the shard's index range.

A first attempt runs the samples in the Ray worker's own process, which keeps JAX loaded from
one task to the next. If that process dies — a sample crashed it, a watchdog ended a sample that
ran past the timeout, or it was killed — Ray retries the task, and every retry runs each sample
in an isolated child process (`engine.iter_results` with one worker), as the local engine does:
a sample that crashes or hangs then becomes the same failure line it is in a local run. A task
writes nothing and returns whole lines, so a retry can leave no gap and no duplicate.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass

from .. import faults
from ..pool import CLEAR_CACHES_EVERY, clear_caches, iter_results
from .manifest import ShardSpan
from ..draw import SampleConfig

WATCHDOG_EXIT = 124  # the status a first attempt exits with when a sample ran past the timeout
_since_cleared = 0  # samples this Ray worker ran in-process since JAX's caches were last cleared


@dataclass(frozen=True)
class ShardResult:
    """What a shard task returns: the whole lines of its records and failures, in index order."""

    index: int
    lines: tuple[str, ...]
    hashes: tuple[str, ...]
    categories: tuple[str, ...]
    failures: tuple[str, ...]
    jax_version: str
    host: str


def produce_shard(config: SampleConfig, span: ShardSpan, timeout: float, hooks: dict | None = None) -> ShardResult:
    """Run the samples of ``span``; ``hooks`` are the driver's planted faults (`faults`), tests only."""
    import jax

    from ...grammar.plugins import load_plugins

    load_plugins(config.plugins)  # the worker draws with the driver's grammar
    hooks = hooks or {}
    faults.install(hooks)
    isolated = attempt_number() > 0
    watchdog = None if isolated else Watchdog(timeout)
    lines, hashes, categories, failures = [], [], [], []
    try:
        results = iter_results(config, range(span.start, span.stop), workers=1 if isolated else 0, timeout=timeout)
        for done, result in enumerate(results, 1):
            if watchdog:
                watchdog.reset()
            if result.line is not None:
                lines.append(result.line)
                hashes.append(result.canonical_hash)
                categories.append(result.category)
            else:  # the local engine's failure line, byte for byte
                entry = {"seed": config.seed, "index": result.index, "python": result.python, "error": result.error}
                failures.append(json.dumps(entry) + "\n")
            faults.maybe_die(hooks, span.index, done)
    finally:
        if watchdog:
            watchdog.stop()
    if not isolated:
        _count_in_process(span.stop - span.start)
    return ShardResult(span.index, tuple(lines), tuple(hashes), tuple(categories), tuple(failures),
                       jax.__version__, socket.gethostname())


def _count_in_process(samples: int) -> None:
    """Keep a long-lived Ray worker bounded in memory across many small shards: the local engine
    clears JAX's caches every CLEAR_CACHES_EVERY samples of one range, which a small shard never reaches."""
    global _since_cleared
    _since_cleared += samples
    if _since_cleared >= CLEAR_CACHES_EVERY:
        clear_caches()
        _since_cleared = 0


def attempt_number() -> int:
    """Which try of the running Ray task this is, 0 for the first. Ray 2.60 has no public call for
    it; where the private one is missing, every try counts as a retry: correct, only slower."""
    try:
        import ray

        return int(ray._private.worker.global_worker.core_worker.get_current_task_attempt_number())
    except Exception:  # an older or newer Ray without this call
        return 1


class Watchdog:
    """Ends this process when a sample runs past ``timeout`` seconds: in a first attempt a hung
    sample cannot be interrupted in-process, and the retry isolates it."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="fuzzgen-watchdog", daemon=True)
        self._thread.start()

    def reset(self) -> None:
        self.deadline = time.monotonic() + self.timeout

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stopped.wait(min(1.0, self.timeout / 4)):
            if time.monotonic() > self.deadline:
                os._exit(WATCHDOG_EXIT)
