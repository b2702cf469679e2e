"""Read record files (JSONL) as untrusted data: every problem is reported as ``file:line: what``.

This module reads lines and JSON objects; what a record must hold is `fuzzgen.records.schema`'s.
Nothing read here is executed.
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import FuzzgenError



class RecordError(FuzzgenError, ValueError):
    """A bad record or file; ``str()`` is one line naming the file and line."""

    def __init__(self, path, line: int | None, message: str):
        self.path, self.line, self.message = Path(path), line, message
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")


@dataclass
class ReadStats:
    records: int = 0
    skipped: int = 0
    problems: list[RecordError] = field(default_factory=list)


MAX_LINE_CHARS = 64 << 20  # far above any record (every IR kind of a large program), far below memory


def open_text(path: Path):
    """Open a record file for reading, refusing what is not a regular file: a FIFO would block
    forever in ``open``, a device (``/dev/zero``) would be read without end."""
    path = Path(path)
    if path.is_dir():
        raise RecordError(path, None, "is a directory; give a .jsonl file or the directory of a `fuzzgen sample --engine ray` run")
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise RecordError(path, None, "is not a regular file (a FIFO, device or socket); give a .jsonl file")
        handle = open(path, "r", encoding="utf-8")
    except FileNotFoundError:
        raise RecordError(path, None, "does not exist") from None
    except PermissionError:
        raise RecordError(path, None, "cannot be read (permission denied)") from None
    except OSError as error:
        raise RecordError(path, None, f"cannot be opened ({error.strerror})") from None
    return handle


def record_files(path: Path) -> list[Path]:
    """The JSONL files ``path`` stands for: itself, or the verified shard files of a
    `fuzzgen sample --engine ray` output directory (`fuzzgen.records.manifest`)."""
    from .manifest import is_run_directory, shard_files

    path = Path(path)
    if is_run_directory(path):
        try:
            return shard_files(path)
        except FuzzgenError as error:
            raise RecordError(path, None, str(error).removeprefix(f"{path}: ").removeprefix(f"{path} ")) from None
    open_text(path).close()
    return [path]


def iter_record_lines(path: Path, *, strict: bool = False,
                      stats: ReadStats | None = None) -> Iterator[tuple[int, str, dict]]:
    """Yield (line number, line text, object) for each JSON object line; blank lines are ignored.

    ``path`` is a JSONL file or a Ray run directory, whose shards are read in order with line
    numbers counting through them, as in the merged file. The text is there for rewriting a file
    line by line without re-encoding untouched records. A malformed line raises `RecordError`
    when ``strict``; otherwise it is counted in ``stats`` and skipped. A file with no records at
    all raises `RecordError` either way.
    """
    stats = stats if stats is not None else ReadStats()
    offset = 0
    for file in record_files(path):
        offset = yield from _file_lines(file, path, offset, strict, stats)
    if stats.records == 0 and stats.skipped == 0:
        raise RecordError(path, None, "is empty; it holds no records")


def _file_lines(file: Path, path: Path, offset: int, strict: bool, stats: ReadStats):
    """`iter_record_lines` over one file, its line numbers shifted by ``offset``; returns the new offset."""
    number = offset
    with open_text(file) as handle:
        try:
            for number, text in enumerate(_bounded_lines(handle, file), offset + 1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                    if not isinstance(obj, dict):
                        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
                except (ValueError, RecursionError) as error:  # RecursionError: thousands of nested [
                    reason = "nested too deeply" if isinstance(error, RecursionError) else _short(error)
                    problem = RecordError(path, number, f"malformed JSON line ({reason})")
                    if strict:
                        raise problem from None
                    stats.skipped += 1
                    stats.problems.append(problem)
                    continue
                stats.records += 1
                yield number, text, obj
        except UnicodeDecodeError:
            raise RecordError(path, None, "is not UTF-8 text; give a JSONL file") from None
        except OSError as error:  # e.g. /proc/self/mem: a regular file that cannot be read
            raise RecordError(file, None, f"cannot be read ({error.strerror or error})") from None
    return number


def _bounded_lines(handle, file: Path):
    """The lines of ``handle`` (newline kept), refusing one longer than `MAX_LINE_CHARS` before
    it is held in memory whole."""
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise RecordError(file, None, f"has a line longer than {MAX_LINE_CHARS >> 20} Mi characters; "
                                          "it is not a fuzzgen record file")
        yield line


def iter_records(path: Path, *, strict: bool = False, stats: ReadStats | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each JSON object line, as `iter_record_lines` reads them."""
    for number, _, obj in iter_record_lines(path, strict=strict, stats=stats):
        yield number, obj


def expand_paths(paths, pattern: str = "*.jsonl") -> list[Path]:
    """Files as given and directories as their ``pattern`` files (sorted), each file once.

    Every file is opened once here, so a missing or unreadable path fails before any work starts.
    """
    from .manifest import is_run_directory

    found, seen = [], set()
    for path in map(Path, paths):
        if is_run_directory(path):  # a Ray run: its record shards, not its failure files
            files = record_files(path)
        elif path.is_dir():
            files = sorted(p for p in path.glob(pattern) if p.is_file())
            if not files:
                raise RecordError(path, None, f"is a directory with no {pattern} files")
        else:
            files = [path]
        for file in files:
            open_text(file).close()
            if file.resolve() not in seen:
                seen.add(file.resolve())
                found.append(file)
    return found


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


