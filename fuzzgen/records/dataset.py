"""Records as the dataset tools (`stats`, Parquet export) read them: checked, split, hashed.

A record file is untrusted: a line can be valid JSON yet lack a field or hold the wrong type.
`iter_dataset_records` checks each with the schema (`check_record`) and skips (or, when strict,
raises on) a bad one exactly as `iter_records` does for malformed JSON, so both tools count the
same records and never stop half-way on a `KeyError`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..program.canonical import canonical_hash
from ..trust import UntrustedSourceError, check_source
from ..ir import ALL_IR_KINDS, DIRECTIONS
from .jsonl import ReadStats, RecordError, iter_records
from .schema import SchemaError, check_sample_record, located, parse_args

DEFAULT_SPLIT = "train"
SPLIT_ORDER = ("train", "valid", "test")

def check_record(record: dict) -> None:
    """Raise `SchemaError` unless ``record`` is a well-formed sample record whose hash can be
    taken: its python must pass the grammar check where ``meta.canonical_hash`` is not stored,
    since the hash is then computed from it."""
    args = check_sample_record(record)
    if "canonical_hash" not in record["meta"]:
        try:
            check_source(record["python"], args, record["function_name"])
        except UntrustedSourceError as error:
            raise SchemaError(f"python rejected by the grammar checker: {error}") from None


def iter_dataset_records(path: Path, *, strict: bool = False,
                         stats: ReadStats | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record) for records that pass `check_record`; others as bad lines."""
    stats = stats if stats is not None else ReadStats()
    for line, record in iter_records(path, strict=strict, stats=stats):
        try:
            with located(path, line):
                check_record(record)
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
    checked = check_source(record["python"], parse_args(record["args"]), record["function_name"])
    return canonical_hash(checked, record["args"], record.get("vmap", {}).get("in_axes"))


def ir_kinds_in(record: dict) -> tuple[str, ...]:
    return tuple(kind for kind in ALL_IR_KINDS if kind in record)


def ir_text(record: dict, kind: str, direction: str) -> str | None:
    assert direction in DIRECTIONS
    value = record.get(kind)
    return None if value is None else value.get(direction)
