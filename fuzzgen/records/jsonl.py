"""Read record files (JSONL) as untrusted data: every problem is reported as ``file:line: what``.

Nothing read here is executed. `parse_arg_specs` turns the ``args`` field into `ArgSpec`s only
after checking names, dtypes and shapes (with a cap on elements, so a file cannot ask for a
terabyte array); the source itself must pass `fuzzgen.trust.checker` before any exec.
"""
from __future__ import annotations

import json
import keyword
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import FuzzgenError
from ..program.spec import ArgSpec
from ..grammar.types import DTYPES
from ..ir import DIRECTIONS

MAX_ELEMENTS_PER_ARG = 1 << 20
MAX_RANK = 8
MAX_ARGS = 32


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


def _short_list(values: list) -> str:
    text = str(values)
    return text if len(text) <= 60 else text[:57] + "..."


def require_keys(path, line: int, obj: dict, keys: dict[str, type | tuple[type, ...]]) -> None:
    for key, kind in keys.items():
        if key not in obj:
            raise RecordError(path, line, f"missing key {key!r}")
        if not isinstance(obj[key], kind) or isinstance(obj[key], bool) and kind is not bool:
            expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise RecordError(path, line, f"key {key!r} must be {expected}, got {type(obj[key]).__name__}")


def parse_arg_specs(path, line: int, value) -> tuple[ArgSpec, ...]:
    """Validate an ``args`` field: a list of {name, shape, dtype} with sane names, dtypes and shapes."""
    if not isinstance(value, list) or not value:
        raise RecordError(path, line, "'args' must be a non-empty list of {name, shape, dtype}")
    if len(value) > MAX_ARGS:
        raise RecordError(path, line, f"'args' has {len(value)} entries; at most {MAX_ARGS} are allowed")
    specs, seen = [], set()
    for position, item in enumerate(value):
        where = f"args[{position}]"
        if not isinstance(item, dict):
            raise RecordError(path, line, f"{where} must be an object with name, shape, dtype")
        name, shape, dtype = item.get("name"), item.get("shape"), item.get("dtype")
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise RecordError(path, line, f"{where}.name {name!r} is not a plain identifier")
        if name in seen or name in ("jnp", "lax"):
            raise RecordError(path, line, f"{where}.name {name!r} is repeated or reserved")
        seen.add(name)
        if dtype not in DTYPES:
            raise RecordError(path, line, f"{where}.dtype {dtype!r} is unknown; use one of {', '.join(DTYPES)}")
        if not isinstance(shape, list) or len(shape) > MAX_RANK or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in shape
        ):
            raise RecordError(path, line, f"{where}.shape {shape!r} must be a list of at most {MAX_RANK} ints")
        if any(d < 0 for d in shape):
            raise RecordError(path, line, f"{where}.shape {shape} has a negative dimension")
        if math.prod(shape) > MAX_ELEMENTS_PER_ARG or any(d > MAX_ELEMENTS_PER_ARG for d in shape):
            raise RecordError(path, line, f"{where}.shape {_short_list(shape)} is too large; the cap is "
                                          f"{MAX_ELEMENTS_PER_ARG} elements")
        specs.append(ArgSpec(name, tuple(shape), dtype))
    return tuple(specs)


def parse_ir_texts(path, line: int, obj: dict, kind: str) -> dict[str, str | None] | None:
    """A stored IR field, ``{"forward": text, "backward": text}``, or None where the record has none.
    ``backward`` is null for programs without reverse mode (lax.while_loop)."""
    if kind not in obj:
        return None
    value = obj[kind]
    if not (isinstance(value, dict) and set(value) == set(DIRECTIONS) and isinstance(value["forward"], str)
            and isinstance(value["backward"], (str, type(None)))):
        raise RecordError(path, line, f"{kind!r} must be an object with exactly 'forward' and 'backward' texts")
    return {d: value[d] for d in DIRECTIONS}


MAX_AXIS_SIZE = 1024


def parse_vmap(path, line: int, value, args) -> tuple[int | None, ...] | None:
    """Validate a ``vmap`` field ({in_axes, axis_size}) against the (batched) argument specs."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("in_axes"), list):
        raise RecordError(path, line, "'vmap' must be an object with in_axes (a list) and axis_size")
    axes, size = value["in_axes"], value.get("axis_size")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_AXIS_SIZE:
        raise RecordError(path, line, f"vmap.axis_size {size!r} must be an int between 1 and {MAX_AXIS_SIZE}")
    if len(axes) != len(args) or all(a is None for a in axes):
        raise RecordError(path, line, f"vmap.in_axes {axes} needs one entry per argument, at least one not null")
    for axis, arg in zip(axes, args):
        if axis is None:
            continue
        if not isinstance(axis, int) or isinstance(axis, bool) or not 0 <= axis < len(arg.shape):
            raise RecordError(path, line, f"vmap.in_axes entry {axis!r} is not an axis of {arg.name}{list(arg.shape)}")
        if arg.shape[axis] != size:
            raise RecordError(path, line, f"{arg.name} has size {arg.shape[axis]} on axis {axis}, not vmap.axis_size {size}")
    return tuple(axes)
