"""A spawned worker process and its pipe: what the sample pool and the fuzz isolation share.

Spawned, not forked: forking a process that has started JAX's threads can deadlock. A worker's
``target(connection, *args)`` first sends ``("ready", None)`` once it has imported what it needs
(JAX, plugins), or ``("error", message)``; only then does it take work, so start-up is never
counted against a job's timeout.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading

READY, ERROR = "ready", "error"

_UNPICKLING_IN_A_CHILD = getattr(multiprocessing.current_process(), "_inheriting", False)
if (_UNPICKLING_IN_A_CHILD or multiprocessing.parent_process() is not None) and (
        threading.current_thread() is threading.main_thread()):
    # Imported while a spawned child unpickles its target, first (the target is `quiet_worker`)
    # and before anything heavy: a worker started from a thread other than the main one did not
    # inherit SIGINT ignored (see `interrupts_ignored_by_children`), and Ctrl-C while it imports
    # JAX printed a traceback. `parent_process()` is set only after unpickling, so the spawn
    # module's own flag for "unpickling in a child" (`_inheriting`) is what says so here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def quiet_worker(target, connection, *args) -> None:
    """Run ``target(connection, *args)`` as a worker: Ctrl-C is the parent's to handle (it stops
    the workers itself), and a parent that has gone away ends the worker without a traceback."""
    ignore_interrupts()
    no_core_dumps()
    if hasattr(signal, "pthread_sigmask"):  # `signals_held` blocked them while starting this process
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        target(connection, *args)
    except (BrokenPipeError, EOFError, ConnectionResetError):  # the parent was killed or closed the pipe
        os._exit(0)


def no_core_dumps() -> None:
    """A worker's crash is a per-case result, reported in one line: a core dump of a process that
    has JAX loaded is gigabytes, and writing it took seconds of the case's time budget."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # not POSIX, or not allowed: dumps stay as they were
        pass


def ignore_interrupts() -> None:
    """For worker processes: SIGINT (Ctrl-C reaches the whole process group) is left to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def spawn_context():
    return multiprocessing.get_context("spawn")


@contextlib.contextmanager
def signals_held():
    """Hold Ctrl-C and SIGTERM while a worker is being started. A signal that interrupts
    ``Process.start`` mid-handshake closes the pipe the child is still reading its start-up data
    from, and the child prints a traceback (``EOFError: Ran out of input``) beside our one line.
    Held, the signal arrives a moment later, once the child exists and can be stopped.

    Blocking the signals in this thread is not enough: a signal sent to the process is taken by
    any thread that does not block it (JAX's, a thread pool's), and Python then runs the handler
    in the main thread at its next instruction, in the middle of ``start``. So the Python-level
    handlers are also swapped for one that only remembers the signal, which is raised again,
    for the handler that was there, once the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = (signal.SIGINT, signal.SIGTERM)
    remembered: list[int] = []
    handlers = {number: signal.signal(number, lambda number, frame: remembered.append(number)) for number in held}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, set(held)) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        if before is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)  # one pending here goes to its own handler
        for number in dict.fromkeys(remembered):
            signal.raise_signal(number)


@contextlib.contextmanager
def interrupts_ignored_by_children():
    """Start children with SIGINT ignored. A terminal's Ctrl-C reaches the whole process group,
    and a child that has not yet reached `quiet_worker` (it is still importing, a second or more
    with JAX) would die of it with a traceback. An ignored disposition survives exec, and Python
    keeps an inherited SIG_IGN at start-up, so the child is deaf to it from its first instruction.
    Only the main thread may change handlers; `signals_held` keeps the parent's own SIGINT pending
    meanwhile, so it is handled once the handler is back."""
    if threading.current_thread() is not threading.main_thread() or (
            hasattr(signal, "sigpending") and signal.SIGINT in signal.sigpending()):
        yield  # (setting SIG_IGN would discard a pending Ctrl-C: the parent must still see it)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


class SpawnedWorker:
    def __init__(self, target, args=(), context=None):
        context = context or spawn_context()
        parent_end, child_end = context.Pipe()
        self.process = context.Process(target=quiet_worker, args=(target, child_end, *args), daemon=True)
        with signals_held(), interrupts_ignored_by_children():
            self.process.start()
        child_end.close()
        self.connection = parent_end
        self.ready = False
        self.start_error: str | None = None

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def sentinel(self):
        return self.process.sentinel

    def poll_ready(self, timeout: float = 0.0) -> bool:
        """True once the worker has said it is ready (reading that message, waiting up to
        ``timeout``); a start-up failure is kept in ``start_error``."""
        if not self.ready and self.start_error is None and self.connection.poll(timeout):
            try:
                message, payload = self.connection.recv()
            except (EOFError, OSError):
                self.start_error = f"the worker exited at start ({self.how_it_ended()})"
                return False
            self.ready = message == READY
            if not self.ready:
                self.start_error = str(payload)
        return self.ready

    def send(self, message) -> None:
        self.connection.send(message)

    def how_it_ended(self) -> str:
        """``signal N`` or ``exit status N`` of a worker that has exited or hung up its pipe. A
        dying process closes its files before the OS can reap it (longer when it has gigabytes
        mapped), so a hung-up pipe is waited on: it is the worker's end, not a hang."""
        self.process.join(timeout=30)
        code = self.process.exitcode
        if code is None:
            return "it hung up its pipe but did not exit"
        return f"signal {-code}" if code < 0 else f"exit status {code}"

    def stop(self, *, kill: bool = False, goodbye=None) -> None:
        """End the worker: ask it to return (sending ``goodbye``) or kill it; then reap it."""
        try:
            if kill:
                self.process.kill()
            else:
                self.connection.send(goodbye)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def _call_worker(connection, function, setup, setup_args, memory_mb) -> None:
    if memory_mb:  # before JAX is imported: an allocation past the budget fails cleanly inside XLA
        import resource

        limit = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        if setup is not None:
            setup(*setup_args)
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises it
        connection.send((ERROR, f"{type(error).__name__}: {error}"))
        return
    connection.send((READY, None))
    while True:
        args = connection.recv()
        if args is None:
            return
        try:
            connection.send(("done", function(*args)))
        except Exception as error:  # noqa: BLE001 - the call's own failure, returned as one line
            text = " ".join(str(error).split())[:300]
            connection.send(("raised", f"{type(error).__name__}: {text}" if text else type(error).__name__))


class IsolatedCalls:
    """Calls of one module-level ``function`` in a spawned worker, each within ``timeout``
    seconds and ``memory_mb`` of address space: a call that overruns, raises (an allocation past
    the budget raises inside XLA), or kills the worker (a segfault or abort inside XLA)
    comes back as ``(False, one line)``, and a fresh worker takes the next call. The worker is
    kept between calls, so JAX's caches stay warm. Use as a context manager."""

    def __init__(self, function, *, timeout: float, memory_mb: int | None = None, setup=None, setup_args=(),
                 start_timeout: float = 300.0):
        self.function, self.timeout, self.setup, self.setup_args = function, timeout, setup, tuple(setup_args)
        self.memory_mb = memory_mb  # address-space budget of the worker (RLIMIT_AS), None for none
        self.start_timeout = start_timeout
        self.worker: SpawnedWorker | None = None

    def __enter__(self) -> IsolatedCalls:
        return self

    def __exit__(self, *exc) -> None:
        if self.worker is not None:
            self.worker.stop(kill=not self.worker.alive)
            self.worker = None

    def __call__(self, *args):
        from multiprocessing.connection import wait

        worker = self._ready_worker()
        worker.send(args)
        ready = wait([worker.connection, worker.sentinel], timeout=self.timeout)
        hung_up = False
        if worker.connection in ready or worker.connection.poll():
            try:
                kind, payload = worker.connection.recv()
                return kind == "done", payload
            except (EOFError, OSError):
                hung_up = True
        if hung_up or worker.sentinel in ready or not worker.alive:  # exiting, if not yet reaped
            how = worker.how_it_ended()
            self._discard()
            return False, f"the isolated worker died ({how})"
        self._discard()
        return False, f"ran past its {self.timeout:g} s budget (--timeout)"

    def kill(self) -> None:
        """Kill the worker process now (from any thread): a call waiting on it returns at once."""
        worker = self.worker
        if worker is not None and worker.alive:
            worker.process.kill()

    def _ready_worker(self) -> SpawnedWorker:
        if self.worker is not None and self.worker.alive:
            return self.worker
        self._discard()
        self.worker = SpawnedWorker(_call_worker, (self.function, self.setup, self.setup_args, self.memory_mb))
        if not self.worker.poll_ready(self.start_timeout):
            problem = self.worker.start_error or f"the isolated worker did not start within {self.start_timeout:g} s"
            self._discard()
            raise RuntimeError(problem)
        return self.worker

    def _discard(self) -> None:
        if self.worker is not None:
            self.worker.stop(kill=True)
            self.worker = None
