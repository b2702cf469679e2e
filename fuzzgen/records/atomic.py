"""Atomic files. Crash-safe JSONL output: records go to ``<out>.partial``, which becomes ``<out>``
only when whole. `write_atomically` publishes text held in memory, `StagedFile` a file written in
a stream (a rewritten corpus, an export of millions of records): readers see the old file or the
new one, and an error, an interrupt or bad input leaves the old file as it was.

Beside the output lives ``<out>.meta.json``, the run's identity (seed, IR kinds, categories,
grammar settings, JAX version, n, shard): resume and merge compare it before touching anything.
A kill -9 can leave at most a torn last line in the partial file; `recover_partial` drops it.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import FuzzgenError

META_FORMAT = "fuzzgen-run/1"


class OutputError(FuzzgenError):
    """A problem with the output path or a previous run's files; the message says how to fix it."""


def partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def meta_path(out: Path) -> Path:
    return out.with_name(out.name + ".meta.json")


def failures_path(out: Path) -> Path:
    return out.with_name(out.name + ".failures.jsonl")


def check_replaceable(path: Path, what: str = "") -> None:
    """Raise `OutputError` unless ``path`` is absent or a regular file. Outputs are published by a
    rename, which would replace a symbolic link, a device or a FIFO instead of writing where it
    leads; fuzzgen refuses, and never follows a link it did not make."""
    label = f"{what} {path}".strip()
    if path.is_symlink():
        raise OutputError(f"{label} is a symbolic link; fuzzgen does not write through links: give the path it "
                          "points to, or remove the link")
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file (a device, FIFO or socket)"
        raise OutputError(f"{label} is {kind}; give the path of a regular file")


def create_new(path: Path, mode: str = "w"):
    """Open a fresh temporary file at ``path`` for writing, never through a link: a stale file or
    link of that name is removed first (unlinking a link leaves its target alone)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    return open(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""}))


def append_durably(path: Path, text: str) -> None:
    """Append ``text`` to ``path`` in one write and fsync it; never through a link."""
    check_replaceable(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with open(fd, "a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a mix."""
    check_replaceable(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with create_new(tmp) as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(out: Path, records_tmp: Path, failures_tmp: Path, meta: dict) -> None:
    """Move a fully written (and fsync'd) records file and its failures file into place as
    ``out`` and ``out.failures.jsonl`` (an empty failures file means none), then record ``meta``."""
    check_replaceable(out)
    check_replaceable(failures_path(out))
    if failures_tmp.stat().st_size:
        os.replace(failures_tmp, failures_path(out))
    else:
        failures_tmp.unlink()
        failures_path(out).unlink(missing_ok=True)
    os.replace(records_tmp, out)
    fsync_directory(out.parent)
    write_meta(out, meta)


def read_meta(out: Path) -> dict | None:
    path = meta_path(out)
    if not path.exists():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise OutputError(f"{path} is not a fuzzgen run file ({error}); move it away or pass --force") from None
    if not isinstance(meta, dict) or meta.get("format") != META_FORMAT:
        raise OutputError(f"{path} is not a {META_FORMAT} file; move it away or pass --force")
    if not isinstance(meta.get("identity", {}), dict) or not isinstance(meta.get("checkpoint", {}), dict):
        raise OutputError(f"{path} has been edited (its identity or checkpoint is not an object); "
                          "move it away or pass --force")
    return meta


def write_meta(out: Path, meta: dict) -> None:
    write_atomically(meta_path(out), json.dumps({"format": META_FORMAT, **meta}, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Recovered:
    """What a partial file holds after its torn tail is dropped."""

    records: int
    last_index: int | None
    valid_bytes: int


def scan_complete_lines(path: Path) -> Recovered:
    """Count whole records in ``path``; a last line without its newline (or unparsable) is torn."""
    records, last_index, valid = 0, None, 0
    with open(path, "rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break
            try:
                index = json.loads(line)["index"]
            except (ValueError, KeyError, TypeError, RecursionError):
                break
            if type(index) is not int or (last_index is not None and index <= last_index):
                break  # an edited line: what follows cannot be trusted as this run's order
            records, last_index, valid = records + 1, index, valid + len(line)
    return Recovered(records, last_index, valid)


def recover_partial(path: Path) -> Recovered:
    """Truncate ``path`` to its whole records and report them."""
    recovered = scan_complete_lines(path)
    if path.stat().st_size != recovered.valid_bytes:
        with open(path, "r+b") as handle:
            handle.truncate(recovered.valid_bytes)
            handle.flush()
            os.fsync(handle.fileno())
    return recovered


@contextlib.contextmanager
def exclusive_run(out: Path):
    """Hold ``<out>.lock`` for the block: a second run on the same output is refused at once,
    instead of both appending to one partial file."""
    lock = out.with_name(out.name + ".lock")
    check_replaceable(lock, "lock file")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise OutputError(f"{out} is being written by another fuzzgen run (process {holder}); wait for it to "
                              "finish, or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in chunks (shards and datasets can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_prefix(path: Path, size: int, sha256: str):
    """The sha256 state of ``path``'s first ``size`` bytes if they hash to ``sha256``, else None
    (the file is shorter, or was changed): what a resume may continue from."""
    digest = hashlib.sha256()
    if not path.exists() or path.stat().st_size < size:
        return None
    with open(path, "rb") as handle:
        left = size
        while left:
            chunk = handle.read(min(left, 1 << 20))
            if not chunk:
                return None
            digest.update(chunk)
            left -= len(chunk)
    return digest if digest.hexdigest() == sha256 else None


def truncate_to(path: Path, size: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(size)
        handle.flush()
        os.fsync(handle.fileno())


class RecordWriter:
    """Appends whole lines to the partial file, keeping the sha256 of everything in it (from
    ``digest``, the verified prefix's, on resume); `checkpoint` makes them durable."""

    def __init__(self, path: Path, digest=None):
        self.path = path
        check_replaceable(path)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        self._handle = open(fd, "ab")
        self.digest = digest or hashlib.sha256()
        self.size = os.fstat(self._handle.fileno()).st_size

    def write(self, line: str) -> None:
        # One write per record: an interrupted run leaves at most one torn, newline-less line.
        data = line.encode("utf-8")
        self._handle.write(data)
        self._handle.flush()
        self.digest.update(data)
        self.size += len(data)

    def checkpoint(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if not self._handle.closed:
            self.checkpoint()
            self._handle.close()


class StagedFile:
    def __init__(self, destination: Path | str):
        self.destination = Path(destination)
        check_replaceable(self.destination)
        self.temp = self.destination.with_name(f".{self.destination.name}.tmp-{os.getpid()}")
        self.committed = False

    def open(self):
        """The temporary file, for writing text exactly as given (no newline translation)."""
        return create_new(self.temp)

    def commit(self) -> None:
        check_replaceable(self.destination)  # it may have changed since the staging began
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
