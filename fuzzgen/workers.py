"""A spawned worker process and its pipe: what the sample pool and the fuzz isolation share.

Spawned, not forked: forking a process that has started JAX's threads can deadlock. A worker's
``target(connection, *args)`` first sends ``("ready", None)`` once it has imported what it needs
(JAX, plugins), or ``("error", message)``; only then does it take work, so start-up is never
counted against a job's timeout.
"""
from __future__ import annotations

import multiprocessing
import os
import signal

READY, ERROR = "ready", "error"


def quiet_worker(target, connection, *args) -> None:
    """Run ``target(connection, *args)`` as a worker: Ctrl-C is the parent's to handle (it stops
    the workers itself), and a parent that has gone away ends the worker without a traceback."""
    ignore_interrupts()
    try:
        target(connection, *args)
    except (BrokenPipeError, EOFError, ConnectionResetError):  # the parent was killed or closed the pipe
        os._exit(0)


def ignore_interrupts() -> None:
    """For worker processes: SIGINT (Ctrl-C reaches the whole process group) is left to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def spawn_context():
    return multiprocessing.get_context("spawn")


class SpawnedWorker:
    def __init__(self, target, args=(), context=None):
        context = context or spawn_context()
        parent_end, child_end = context.Pipe()
        self.process = context.Process(target=quiet_worker, args=(target, child_end, *args), daemon=True)
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
        """``signal N`` or ``exit status N`` of a worker that has exited."""
        self.process.join(timeout=5)
        code = self.process.exitcode
        return f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"

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
