"""Read record files (JSONL) as untrusted data: every problem is reported as ``file:line: what``.

This module reads lines and JSON objects; what a record must hold is `fuzzgen.records.schema`'s.
Nothing read here is executed.
"""
from __future__ import annotations

import json
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


def open_text(path: Path) -> Iterator[str]:
    path = Path(path)
    if path.is_dir():
        raise RecordError(path, None, "is a directory; give a .jsonl file")
    try:
        handle = open(path, "r", encoding="utf-8")
    except FileNotFoundError:
        raise RecordError(path, None, "does not exist") from None
    except PermissionError:
        raise RecordError(path, None, "cannot be read (permission denied)") from None
    except OSError as error:
        raise RecordError(path, None, f"cannot be opened ({error.strerror})") from None
    return handle


def iter_record_lines(path: Path, *, strict: bool = False,
                      stats: ReadStats | None = None) -> Iterator[tuple[int, str, dict]]:
    """Yield (line number, line text, object) for each JSON object line; blank lines are ignored.

    The text is there for rewriting a file line by line without re-encoding untouched records.
    A malformed line raises `RecordError` when ``strict``; otherwise it is counted in ``stats``
    and skipped. A file with no records at all raises `RecordError` either way.
    """
    stats = stats if stats is not None else ReadStats()
    with open_text(path) as handle:
        try:
            for number, text in enumerate(handle, 1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                    if not isinstance(obj, dict):
                        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
                except ValueError as error:
                    problem = RecordError(path, number, f"malformed JSON line ({_short(error)})")
                    if strict:
                        raise problem from None
                    stats.skipped += 1
                    stats.problems.append(problem)
                    continue
                stats.records += 1
                yield number, text, obj
        except UnicodeDecodeError:
            raise RecordError(path, None, "is not UTF-8 text; give a JSONL file") from None
    if stats.records == 0 and stats.skipped == 0:
        raise RecordError(path, None, "is empty; it holds no records")


def iter_records(path: Path, *, strict: bool = False, stats: ReadStats | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each JSON object line, as `iter_record_lines` reads them."""
    for number, _, obj in iter_record_lines(path, strict=strict, stats=stats):
        yield number, obj


def expand_paths(paths, pattern: str = "*.jsonl") -> list[Path]:
    """Files as given and directories as their ``pattern`` files (sorted), each file once.

    Every file is opened once here, so a missing or unreadable path fails before any work starts.
    """
    found, seen = [], set()
    for path in map(Path, paths):
        if path.is_dir():
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


