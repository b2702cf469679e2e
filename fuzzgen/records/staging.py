"""A new version of a file, written beside it and renamed over it only when whole.

`output.write_atomically` does this for text held in memory; `StagedFile` does it for files
written in a stream (a rewritten corpus, an export of millions of records): readers see the old
file or the new one, and an error, an interrupt or bad input leaves the old file as it was.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .atomic import fsync_directory


class StagedFile:
    def __init__(self, destination: Path | str):
        self.destination = Path(destination)
        self.temp = self.destination.with_name(f".{self.destination.name}.tmp-{os.getpid()}")
        self.committed = False

    def open(self):
        """The temporary file, for writing text exactly as given (no newline translation)."""
        return open(self.temp, "w", encoding="utf-8", newline="")

    def commit(self) -> None:
        with open(self.temp, "rb+") as handle:
            os.fsync(handle.fileno())
        if self.destination.exists():
            shutil.copymode(self.destination, self.temp)
        os.replace(self.temp, self.destination)
        fsync_directory(self.destination.parent)
        self.committed = True

    def discard(self) -> None:
        if not self.committed:
            self.temp.unlink(missing_ok=True)

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()
