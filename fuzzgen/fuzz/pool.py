"""K judges at once: a pool of checkers (isolated worker processes) fed cases in index order.

Results come back in the order the cases went in, whatever order the workers finish them in, so
what the driver makes of them (triage, which failure is shrunk, when to stop) is the same for
any number of workers. The waiting is done in the caller's thread with a short timeout, so it
can say how the run is going at least every ``tick`` seconds even while every worker is busy
with a slow program, and a Ctrl-C lands there at once; `abort` then kills every worker, so the
threads waiting on them return.
"""
from __future__ import annotations

import collections
import queue
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable, Iterable, Iterator

from .isolation import Case, CheckResult, InProcessChecker, IsolatedChecker


class JudgePool:
    """``judged(items)`` yields ``(item, result)`` for each ``(item, case)`` in input order."""

    def __init__(self, checkers):
        self.checkers = list(checkers)
        if not self.checkers:
            raise ValueError("a JudgePool needs at least one checker")
        self.workers = len(self.checkers)
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        for checker in self.checkers:
            self._free.put(checker)
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def of_workers(cls, workers: int, *, plugins: tuple[str, ...] = (), timeout: float = 60.0,
                   isolate: bool = True) -> JudgePool:
        """``workers`` isolated checkers (or, with ``isolate=False``, one in-process checker)."""
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers={workers!r} must be an int of at least 1")
        if not isolate and workers != 1:
            raise ValueError(f"workers={workers}: without isolation the oracles run in this process, one at a time")
        return cls(IsolatedChecker(plugins, timeout) if isolate else InProcessChecker() for _ in range(workers))

    @property
    def first(self):
        """A checker for sequential work (shrinking, reducing) once judging in parallel is done."""
        return self.checkers[0]

    def start(self) -> None:
        """Start every worker now, from this (the main) thread, and wait until each is ready."""
        for checker in self.checkers:
            ensure = getattr(checker, "_ensure_worker", None)
            if ensure is not None:
                ensure()

    def _check(self, case: Case) -> CheckResult:
        checker = self._free.get()
        try:
            return checker.check(case)
        finally:
            self._free.put(checker)

    def judged(self, items: Iterable[tuple[object, Case]], *, tick: float = 1.0,
               on_tick: Callable[[], None] | None = None, keep_going: Callable[[], bool] = lambda: True,
               ) -> Iterator[tuple[object, CheckResult]]:
        """Judge the cases, up to two per worker in flight; stop taking new items once
        ``keep_going()`` is false (what is in flight is still judged and yielded)."""
        items = iter(items)
        self._executor = executor = ThreadPoolExecutor(self.workers, thread_name_prefix="fuzzgen-judge")
        in_flight: collections.deque = collections.deque()
        exhausted = False
        try:
            while True:
                while not exhausted and len(in_flight) < 2 * self.workers and keep_going():
                    try:
                        item, case = next(items)
                    except StopIteration:
                        exhausted = True
                        break
                    in_flight.append((item, executor.submit(self._check, case)))
                if not in_flight:
                    return
                item, future = in_flight[0]
                while not future.done():
                    wait([future], timeout=tick, return_when=FIRST_COMPLETED)
                    if on_tick is not None:
                        on_tick()
                in_flight.popleft()
                yield item, future.result()
        except GeneratorExit:  # the caller has what it needs: finish what is running, start nothing
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        except BaseException:  # Ctrl-C or SIGTERM while waiting: no worker is waited for
            self.abort()
            raise
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def abort(self) -> None:
        """Kill every worker (a Ctrl-C): the threads waiting on them see them die and return."""
        for checker in self.checkers:
            checker.abort()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        for checker in self.checkers:
            checker.close()

    def __enter__(self) -> JudgePool:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None and issubclass(exc_type, BaseException) and not issubclass(exc_type, Exception):
            self.abort()  # Ctrl-C, SIGTERM: no worker is waited for
        self.close()
