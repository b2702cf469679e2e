"""Run oracles in a child process, so that a segfault or a hang in XLA is a finding, not the end.

One long-lived worker (spawned, not forked: forking a process that runs JAX's threads can
deadlock) judges case after case, keeping JAX's per-primitive compilation caches warm. Before
each oracle it says which one it starts, so a worker that dies or overruns ``timeout`` is blamed
on that oracle; it is then replaced and the run goes on.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from ..program.spec import ProgramSpec
from ..grammar import OPS
from ..oracles.verdict import FAILED, Verdict
from ..workers import ERROR, READY, SpawnedWorker, spawn_context

# JAX's caches keep compiled code for every primitive and shape seen: eager execution of the next
# program is ~5x faster with them warm, so they are never cleared. A worker whose memory passes
# this limit finishes its case and is replaced instead.
MEMORY_LIMIT_MB = 3000
STARTUP_TIMEOUT = 300.0  # importing JAX and the plugins, on a loaded machine
DIED, TIMEOUT = "ProcessDied", "Timeout"


@dataclass(frozen=True)
class Case:
    """What a worker needs to judge one program: its spec, the oracles and the input seed."""

    spec: ProgramSpec
    oracles: tuple[str, ...]
    input_seed: int = 0

    @classmethod
    def from_program(cls, program, oracles, input_seed: int = 0) -> Case:
        return cls(program.spec, tuple(oracles), input_seed)


@dataclass(frozen=True)
class CheckResult:
    verdicts: tuple[Verdict, ...]
    primitives: tuple[str, ...] = ()
    seconds: float = 0.0
    ir_sha256: dict | None = field(default=None, compare=False)
    # (oracle, seconds) in the order run; the first includes building the subject (tracing)
    oracle_seconds: tuple[tuple[str, float], ...] = field(default=(), compare=False)

    @property
    def failures(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.failed)


def check_case(case: Case, on_start=None) -> CheckResult:
    """Judge ``case`` in this process."""
    from ..lowering.mlir_context import shared_context
    from ..oracles import Subject, run_oracles

    began = time.monotonic()
    timings: list[list] = []

    def starting(name):
        now = time.monotonic()
        if timings:
            timings[-1][1] = now - timings[-1][1]
        timings.append([name, now if timings else began])
        if on_start is not None:
            on_start(name)

    subject = Subject(case.spec)
    # Every jit, eager op and export lowers a module, and JAX builds a new MLIR context (every
    # dialect loaded and registered) for each: ~12 ms, about 30 times per program. One shared
    # context, as sampling uses (`mlir_context`), leaves the IR byte for byte the same.
    with shared_context():
        verdicts = run_oracles(subject, case.oracles, case.input_seed, on_start=starting)
    if timings:
        timings[-1][1] = time.monotonic() - timings[-1][1]
    primitives = _primitives(subject, case)  # traced already by the oracles, almost always
    return CheckResult(tuple(verdicts), primitives, time.monotonic() - began,
                       oracle_seconds=tuple(map(tuple, timings)))


def ir_hashes(case: Case) -> dict | None:
    """sha256 of every IR text, ``{kind: {forward, backward}}``; None when lowering raises."""
    from ..lowering.lower import lower_spec

    try:
        lowered = lower_spec(case.spec)
    except Exception:  # noqa: BLE001 - a case whose lowering crashes has no hashes
        return None
    return {kind: {d: hashlib.sha256(text.encode()).hexdigest() for d, text in texts.items()}
            for kind, texts in lowered.ir.items()}


def _primitives(subject, case: Case) -> tuple[str, ...]:
    """The program's jaxpr primitives; where tracing fails, those its ops usually become."""
    try:
        return tuple(sorted(subject.primitives))
    except Exception:  # noqa: BLE001
        return static_primitives(case.spec.text)


def static_primitives(source: str) -> tuple[str, ...]:
    """Primitives named by the op records whose render target appears in ``source``."""
    found = set()
    for op in OPS:
        target = getattr(op.render, "target", None)
        if target and f"{target}(" in source:
            found.update(op.primitives)
    return tuple(sorted(found))


def _worker_main(connection, plugins: tuple[str, ...]) -> None:
    from ..grammar.plugins import load_plugins

    try:
        load_plugins(plugins)
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises it
        connection.send((ERROR, str(error)))
        return
    connection.send((READY, None))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        kind, case = request
        if kind == "hashes":
            connection.send(("done", ir_hashes(case)))
            continue
        if kind == "types":
            from .reduce import abstract_types

            connection.send(("done", abstract_types(*case)))
            continue
        result = check_case(case, on_start=lambda name: connection.send(("start", name)))
        retire = resident_megabytes() > MEMORY_LIMIT_MB
        connection.send(("done", result) if not retire else ("last", result))
        if retire:
            return


def resident_megabytes() -> float:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0  # not Linux: never recycle


class WorkerClosed(RuntimeError):
    """A checker asked to judge after `IsolatedChecker.abort` or `close`."""


class IsolatedChecker:
    """Judges cases in a worker process; use as a context manager, or call `close`."""

    def __init__(self, plugins: tuple[str, ...] = (), timeout: float = 60.0):
        self.plugins, self.timeout = tuple(plugins), timeout
        self.context = spawn_context()
        self.worker: SpawnedWorker | None = None
        self.restarts = 0
        self.closed = False
        self._lock = threading.Lock()

    def __enter__(self) -> IsolatedChecker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def check(self, case: Case) -> CheckResult:
        began = time.monotonic()
        outcome, running = self._ask(("check", case))
        if isinstance(outcome, CheckResult):
            return outcome
        blame = running or (case.oracles[0] if case.oracles else "crash")
        verdict = Verdict(blame, FAILED, outcome, DIED if outcome.startswith("the process") else TIMEOUT)
        return CheckResult((verdict,), static_primitives(case.spec.text), time.monotonic() - began)

    def ir_hashes(self, case: Case) -> dict | None:
        outcome, _ = self._ask(("hashes", case))
        return outcome if isinstance(outcome, dict) else None

    def types(self, source, args) -> tuple | str:
        """`reduce.abstract_types` in the worker: tracing a candidate can crash too."""
        outcome, _ = self._ask(("types", (source, tuple(args))))
        return outcome

    def _ask(self, request):
        """Send ``request``; return (the worker's answer or a one-line failure, the oracle running)."""
        worker = self._ensure_worker()
        worker.send(request)
        deadline = time.monotonic() + self.timeout
        running = None
        while True:
            ready = wait([worker.connection, worker.sentinel], timeout=max(0.0, deadline - time.monotonic()))
            message = ""
            if worker.connection in ready or worker.connection.poll():
                try:
                    message, payload = worker.connection.recv()
                except (EOFError, OSError):  # hung up: it is exiting, even if not yet reaped
                    message = None
                if message == "start":
                    running = payload
                    continue
                if message == "done":
                    return payload, running
                if message == "last":  # the worker retires after this answer (memory)
                    self._discard()
                    return payload, running
            if message is None or worker.sentinel in ready or not worker.alive:  # exiting, if not yet reaped
                how = worker.how_it_ended()
                self._discard()
                return f"the process running the oracles died ({how})" + (f" in {running}" if running else ""), running
            if time.monotonic() >= deadline:
                self._discard()
                return f"the oracles ran past the {self.timeout:g} s timeout" + (f" in {running}" if running else ""), running

    def _ensure_worker(self) -> SpawnedWorker:
        if self.worker is not None and self.worker.alive:
            return self.worker
        self._discard()
        if self.closed:
            raise WorkerClosed("the oracle worker was stopped")
        self.worker = SpawnedWorker(_worker_main, (self.plugins,), self.context)
        self.restarts += 1
        if not self.worker.poll_ready(STARTUP_TIMEOUT):
            problem = self.worker.start_error
            self._discard()
            if problem is None:
                raise RuntimeError(f"the oracle worker did not start within {STARTUP_TIMEOUT:g} s")
            from ..grammar.plugins import PluginError
            raise PluginError(problem)
        return self.worker

    def _discard(self) -> None:
        # Taken under the lock, so that one thread stops it: `abort` (from the main thread) and a
        # judge thread that saw the worker die may both get here, and closing its pipe twice
        # closes whatever file has taken the descriptor number meanwhile, or raises EBADF.
        with self._lock:
            worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop(kill=True)

    def abort(self) -> None:
        """Kill the worker now and start no other: another thread waiting on it returns at once."""
        self.closed = True
        self._discard()

    def close(self) -> None:
        with self._lock:
            worker, self.worker = self.worker, None
        if worker is not None and worker.alive:
            worker.stop()  # asks it to return; kills it if it has not within 5 s


class InProcessChecker:
    """The same interface without isolation: faster to start, but a crash ends the caller."""

    def __enter__(self) -> InProcessChecker:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def check(self, case: Case) -> CheckResult:
        return check_case(case)

    def ir_hashes(self, case: Case) -> dict | None:
        return ir_hashes(case)

    def types(self, source, args) -> tuple | str:
        from .reduce import abstract_types

        return abstract_types(source, args)

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass
