"""Export records into other layouts; each layout is one `ExportFormat` in `FORMATS`.

A format owns its whole export, so a JSONL layout (`jsonl_format`: one object per record) and a
directory of Parquet shards register the same way. Input is read as untrusted data and never
executed; output is staged beside OUT and moved into place only when whole, and an existing OUT
is replaced only when asked.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..records.corpus import Case, corpus_record, parse_case
from ..records.atomic import OutputError
from ..records.jsonl import RecordError, iter_records, record_files
from ..records.atomic import StagedFile

# The seed dataset's separator between the forward and the backward text of one IR kind.
BACKWARD_MARKER = "=== BACKWARD ==="


def write_jsonl(objects: Iterable[dict], staged: StagedFile) -> int:
    count = 0
    with staged.open() as handle:
        for obj in objects:
            handle.write(json.dumps(obj, ensure_ascii=False) + "\n")
            count += 1
    return count


@dataclass(frozen=True)
class ExportFormat:
    """One output layout. ``export(source, out, force)`` writes it and returns a one-line summary;
    it raises `RecordError` for bad input and `OutputError` for an unusable OUT, having touched
    nothing. `jsonl_format` builds the export of a one-object-per-record JSONL layout."""

    name: str
    description: str
    export: Callable[[Path, Path, bool], str]


def join_directions(pair: dict[str, str | None]) -> str:
    """Forward, a blank line, the marker line, backward: the seed dataset's one-field layout.
    A program without reverse mode (lax.while_loop) has its forward text alone."""
    if pair["backward"] is None:
        return pair["forward"]
    return f"{pair['forward'].rstrip(chr(10))}\n\n{BACKWARD_MARKER}\n{pair['backward']}"


def seed_record(position: int, case: Case) -> dict:
    return {
        "id": position,
        "function_name": case.function_name,
        "python": case.python,
        "jaxpr": join_directions(case.texts["jaxpr"]),
        "hlo": join_directions(case.texts["hlo"]),
        "type": case.category,
    }


FORMATS: dict[str, ExportFormat] = {}


def register_format(export_format: ExportFormat) -> ExportFormat:
    if export_format.name in FORMATS:
        raise ValueError(f"an export format named {export_format.name!r} is already registered")
    FORMATS[export_format.name] = export_format
    return export_format


def read_cases(path: Path, name: str, needs_texts: tuple[str, ...]) -> Iterator[Case]:
    """Every record of ``path`` as a case; the first bad record stops the export."""
    for number, obj in iter_records(path, strict=True):
        case = parse_case(path, number, obj)
        missing = [kind for kind in needs_texts if kind not in case.texts]
        if missing:
            raise RecordError(path, number, f"stores no {missing[0]!r} text; the {name} format needs "
                                            f"{' and '.join(needs_texts)} texts")
        yield case


def check_destination(source: Path, out: Path, *, force: bool) -> None:
    if out.is_dir():
        raise OutputError(f"{out} is a directory; give a file path such as {out / 'export.jsonl'}")
    if not out.parent.is_dir():
        raise OutputError(f"{out}: directory {out.parent} does not exist; create it first")
    if out.exists() and out.resolve() == source.resolve():
        raise OutputError(f"{out} is the input file; export into a new file")
    if out.exists() and not force:
        raise OutputError(f"{out} already exists; pass --force to overwrite it")


def jsonl_format(name: str, description: str, convert: Callable[[int, Case], dict],
                 needs_texts: tuple[str, ...] = ()) -> ExportFormat:
    """A layout of one JSON object per record: ``convert(position, case)``, staged beside OUT."""

    def export(source: Path, out: Path, force: bool) -> str:
        record_files(source)  # a missing or unreadable input (or an unfinished Ray run) is heard of first
        check_destination(source, out, force=force)
        with StagedFile(out) as staged:
            cases = read_cases(source, name, needs_texts)
            count = write_jsonl((convert(i, case) for i, case in enumerate(cases)), staged)
            staged.commit()
        return f"exported {count} records from {source} to {out} ({name} format)"

    return ExportFormat(name, description, export)


def _parquet(source: Path, out: Path, force: bool) -> str:
    from .parquet import export_parquet

    return export_parquet(source, out, force=force, strict=True).describe()


register_format(jsonl_format(
    "seed", "the seed dataset's flat JSONL: id, function_name, python, jaxpr, hlo, type, with forward "
            f"and backward joined by a '{BACKWARD_MARKER}' line", seed_record, needs_texts=("jaxpr", "hlo"),
))
register_format(jsonl_format(
    "corpus", "replayable corpus cases: sha256 of every stored IR text, the texts, and JAX versions "
              "(see corpus/README.md)", lambda position, case: corpus_record(case),
))
register_format(jsonl_format(
    "corpus-hashes", "corpus cases storing only the sha256 of each IR text: small, but replay cannot show "
                     "a diff", lambda position, case: corpus_record(case, texts=False),
))
register_format(ExportFormat(
    "parquet", "a Hugging Face-style Parquet dataset directory (OUT/data/*.parquet and a dataset card; "
               "needs pyarrow)", _parquet,
))


def export_records(source: Path | str, out: Path | str, format_name: str, *, force: bool = False) -> str:
    """Write every record of ``source`` to ``out`` in the named format; returns a summary line."""
    if format_name not in FORMATS:
        raise ValueError(f"unknown export format {format_name!r}; choose from {', '.join(sorted(FORMATS))}")
    return FORMATS[format_name].export(Path(source), Path(out), force)
