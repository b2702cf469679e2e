"""Progress on long runs: a tqdm bar on a terminal, plain periodic lines otherwise, or nothing."""
from __future__ import annotations

import sys
import time

PLAIN_EVERY_SECONDS = 10.0


class Progress:
    def __init__(self, total: int | None, *, quiet: bool = False, stream=None, description: str = "sampling"):
        self.total, self.quiet, self.description = total, quiet, description
        self.stream = stream or sys.stderr
        self._bar = None
        self._done = 0
        self._failed = 0
        self._began = self._last_line = 0.0

    def start(self, initial: int = 0) -> None:
        self._done = initial
        self._began = self._last_line = time.monotonic()
        self._initial = initial
        if self.quiet:
            return
        if self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=initial, unit="rec", desc=self.description,
                             file=self.stream, dynamic_ncols=True, smoothing=0.1)

    def advance(self, failed: int = 0) -> None:
        self._done += 1
        self._failed = failed
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(1)
            if failed:
                self._bar.set_postfix(failed=failed, refresh=False)
            return
        now = time.monotonic()
        if now - self._last_line >= PLAIN_EVERY_SECONDS:
            self._last_line = now
            self._print_line(now)

    def _print_line(self, now: float) -> None:
        produced = self._done - self._initial
        rate = produced / max(now - self._began, 1e-9)
        if not self.total:
            print(f"{self.description}: {self._done} done, {rate:.1f} rec/s, {self._failed} failed",
                  file=self.stream, flush=True)
            return
        remaining = (self.total - self._done) / rate if rate > 0 else float("inf")
        percent = 100.0 * self._done / self.total
        eta = f"{remaining:.0f}s" if remaining != float("inf") else "?"
        print(f"{self.description}: {self._done}/{self.total} ({percent:.1f}%) {rate:.1f} rec/s, "
              f"ETA {eta}, {self._failed} failed", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
