"""The record fields that dataset tools (`stats`, Parquet export) read, checked before use.

A record file is untrusted: a line can be valid JSON yet lack a field or hold the wrong type.
`iter_dataset_records` skips (or, when strict, raises on) such lines exactly as `iter_records`
does for malformed JSON, so both tools count the same records and never stop half-way on a
`KeyError`. IR texts are optional per kind, and ``backward`` may be null or absent where a
program has no reverse mode.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..program.canonical import canonical_hash
from ..trust import UntrustedSourceError, check_source
from ..ir import ALL_IR_KINDS, DIRECTIONS
from .jsonl import ReadStats, RecordError, iter_records, parse_arg_specs, require_keys

DEFAULT_SPLIT = "train"
SPLIT_ORDER = ("train", "valid", "test")
# A split name becomes part of a file name and a Hugging Face split name (which must match \w+).
SPLIT_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
CANONICAL_HASH = re.compile(r"[0-9a-f]{16}")
INT64_MAX, INT32_MAX = 2**63 - 1, 2**31 - 1  # the Parquet columns' types

RECORD_FIELDS = {"id": str, "seed": int, "index": int, "category": str, "function_name": str,
                 "python": str, "args": list, "meta": dict}
META_FIELDS = {"jax_version": str, "primitives": list, "n_statements": int}


def check_record(path, line: int, record: dict) -> None:
    """Raise `RecordError` unless ``record`` has every field the dataset tools read, well typed."""
    require_keys(path, line, record, RECORD_FIELDS)
    for key in ("seed", "index"):
        if not 0 <= record[key] <= INT64_MAX:
            raise RecordError(path, line, f"{key!r} is {record[key]}; it must be between 0 and 2**63-1")
    parse_arg_specs(path, line, record["args"])
    meta = record["meta"]
    for key, kind in META_FIELDS.items():
        if key not in meta:
            raise RecordError(path, line, f"missing key 'meta.{key}'")
        if not isinstance(meta[key], kind) or isinstance(meta[key], bool):
            raise RecordError(path, line, f"key 'meta.{key}' must be {kind.__name__}, "
                                          f"got {type(meta[key]).__name__}")
    if not all(isinstance(p, str) for p in meta["primitives"]):
        raise RecordError(path, line, "'meta.primitives' must be a list of strings")
    if not 0 <= meta["n_statements"] <= INT32_MAX:
        raise RecordError(path, line, f"'meta.n_statements' is {meta['n_statements']}; "
                                      f"it must be between 0 and 2**31-1")
    if "canonical_hash" in meta and not (isinstance(meta["canonical_hash"], str)
                                         and CANONICAL_HASH.fullmatch(meta["canonical_hash"])):
        raise RecordError(path, line, "'meta.canonical_hash' must be 16 lowercase hex characters")
    if "split" in meta and not (isinstance(meta["split"], str) and SPLIT_NAME.fullmatch(meta["split"])):
        raise RecordError(path, line, f"'meta.split' {str(meta['split'])[:40]!r} must be a name of "
                                      f"letters, digits and underscores, such as train, valid or test")
    for kind in ALL_IR_KINDS:
        if kind in record:
            value = record[kind]
            if not isinstance(value, dict) or not isinstance(value.get("forward"), str):
                raise RecordError(path, line, f"{kind!r} must be an object with a 'forward' text")
            if not isinstance(value.get("backward"), (str, type(None))):
                raise RecordError(path, line, f"'{kind}.backward' must be a text or null")
    if "io" in record and not isinstance(record["io"], dict):
        raise RecordError(path, line, "'io' must be an object")
    if "forward_only" in meta and not isinstance(meta["forward_only"], str):
        raise RecordError(path, line, "'meta.forward_only' must be a text (why reverse mode does not exist)")
    if "vmap" in record:
        _check_vmap(path, line, record["vmap"], len(record["args"]))
    if "canonical_hash" not in meta:  # the hash will be computed from python, which must be checked first
        try:
            check_source(record["python"], parse_arg_specs(path, line, record["args"]), record["function_name"])
        except UntrustedSourceError as error:
            raise RecordError(path, line, f"python rejected by the grammar checker: {error}") from None


def _check_vmap(path, line: int, vmap, n_args: int) -> None:
    """``{"in_axes": [int or null per arg], "axis_size": int}``: how ``jax.vmap`` wraps the function."""
    def small_int(value, low):
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= INT32_MAX

    in_axes = vmap.get("in_axes") if isinstance(vmap, dict) else None
    if not (isinstance(in_axes, list) and len(in_axes) == n_args
            and all(a is None or small_int(a, -INT32_MAX) for a in in_axes)):
        raise RecordError(path, line, "'vmap.in_axes' must list an axis (int) or null for each argument")
    if not small_int(vmap.get("axis_size"), 1):
        raise RecordError(path, line, "'vmap.axis_size' must be a positive int")


def iter_dataset_records(path: Path, *, strict: bool = False,
                         stats: ReadStats | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record) for records that pass `check_record`; others as bad lines."""
    stats = stats if stats is not None else ReadStats()
    for line, record in iter_records(path, strict=strict, stats=stats):
        try:
            check_record(path, line, record)
        except RecordError as problem:
            if strict:
                raise
            stats.records -= 1  # iter_records counted it as a record; it is a skipped line after all
            stats.skipped += 1
            stats.problems.append(problem)
            continue
        yield line, record
    if stats.records == 0:
        first = f"; the first: {stats.problems[0]}" if stats.problems else ""
        raise RecordError(path, None, f"holds no usable records ({stats.skipped} bad lines skipped{first})")


def split_of(record: dict) -> str:
    return record["meta"].get("split", DEFAULT_SPLIT)


def split_sort_key(split: str) -> tuple:
    """train, valid, test first (in that order), then any other split by name."""
    return (SPLIT_ORDER.index(split) if split in SPLIT_ORDER else len(SPLIT_ORDER), split)


def program_hash(record: dict) -> str:
    """The canonical hash: stored in ``meta`` by newer runs, computed here for older files.

    A record without a stored hash reached here through `check_record`, whose grammar check of
    its python is what makes parsing it with libcst safe."""
    stored = record["meta"].get("canonical_hash")
    if stored is not None:
        return stored
    checked = check_source(record["python"], parse_arg_specs("<record>", None, record["args"]),
                           record["function_name"])
    return canonical_hash(checked, record["args"], record.get("vmap", {}).get("in_axes"))


def ir_kinds_in(record: dict) -> tuple[str, ...]:
    return tuple(kind for kind in ALL_IR_KINDS if kind in record)


def ir_text(record: dict, kind: str, direction: str) -> str | None:
    assert direction in DIRECTIONS
    value = record.get(kind)
    return None if value is None else value.get(direction)
