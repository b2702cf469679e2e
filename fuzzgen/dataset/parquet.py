"""Records as a Hugging Face–style Parquet dataset: ``OUT/data/<split>-0000i-of-0000N.parquet`` + card.

Layout: one set of shards per split (``meta.split``; ``train`` where absent), at most
``rows_per_shard`` rows each, named the way the hub expects, and ``OUT/README.md``, the dataset
card (`dataset_card`). ``datasets.load_dataset("parquet", data_dir="OUT/data")`` or
``load_dataset("OUT")`` loads it.

Columns are flat: ``id, seed, index, category, function_name, python, args``, then
``vmap_in_axes, vmap_axis_size`` (only when the file has vmap programs), ``<kind>_forward`` and
``<kind>_backward`` (strings) for each IR kind the file stores, ``forward_only`` (only when some
record lacks reverse mode), ``io`` (JSON text, only when records carry execution data),
``jax_version, primitives, n_statements, canonical_hash``. Flat string columns rather than ``jaxpr: {forward, backward}`` structs,
because a training job reads one or two texts: it can select those columns alone (Parquet reads
only them), and the hub's viewer shows each text in its own column. ``args`` stays a list of
``{name, shape, dtype}`` structs, as in the JSONL, with ``path`` (a list of strings: dict keys,
list positions in decimal; null for a plain argument) where the file has tree arguments. A
``backward`` without reverse mode is null.
Fields outside this schema are not exported; the summary lists them.

The input is read twice (tallies and shard counts first, rows second), so memory holds one row
group per split, not the file. Everything is written into a temporary directory beside OUT and
renamed into place when whole; an existing OUT is replaced only with ``force`` and only if it
holds nothing but a previous export.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..ir import ALL_IR_KINDS, DIRECTIONS
from ..records.dataset import ir_kinds_in, ir_text, iter_dataset_records, program_hash, split_of, split_sort_key
from ..extras import require
from ..records.atomic import OutputError, fsync_directory, read_meta, write_atomically
from ..records.jsonl import ReadStats
from ..records.manifest import is_run_directory, read_manifest
from ..records.schema import META_FIELD_NAMES, SAMPLE_FIELD_NAMES
from .stats import DatasetStats

DEFAULT_ROWS_PER_SHARD = 50_000
ROW_GROUP_ROWS = 1_000  # small row groups let readers (and the hub's viewer) fetch a few rows cheaply
COMPRESSION = "zstd"
KNOWN_FIELDS = set(SAMPLE_FIELD_NAMES)
KNOWN_META = set(META_FIELD_NAMES)
EXPORT_ENTRIES = {"README.md", "data"}  # all that a previous export holds; force replaces only that


@dataclass
class SplitInfo:
    name: str
    num_examples: int = 0
    num_bytes: int = 0  # Arrow (in-memory) bytes, what the hub's dataset_info calls num_bytes
    files: list[Path] = field(default_factory=list)  # relative to the output directory
    file_bytes: int = 0  # Parquet bytes on disk, the hub's download_size


@dataclass
class ParquetExport:
    """What `export_parquet` wrote."""

    out_dir: Path
    records: int
    skipped_lines: int
    splits: dict[str, SplitInfo]
    columns: tuple[str, ...]
    dropped_fields: tuple[str, ...]
    stats: DatasetStats

    def describe(self) -> str:
        """One line for people: what was written where, and what was left out."""
        splits = ", ".join(f"{s.name} {s.num_examples}" for s in self.splits.values())
        files = sum(len(s.files) for s in self.splits.values())
        line = (f"exported {self.records} records ({splits}) to {self.out_dir / 'data'} in {files} Parquet "
                f"file{'s' if files != 1 else ''}, with a dataset card {self.out_dir / 'README.md'}")
        if self.skipped_lines:
            line += f"; {self.skipped_lines} bad lines skipped"
        if self.dropped_fields:
            line += f"; fields not exported: {', '.join(self.dropped_fields)}"
        return line


def export_parquet(in_path: Path | str, out_dir: Path | str, *, rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
                   force: bool = False, strict: bool = False) -> ParquetExport:
    """Write the records of ``in_path`` as Parquet shards and a dataset card under ``out_dir``.

    Raises `MissingExtraError` without pyarrow, `RecordError` for bad input (bad lines are
    skipped and counted unless ``strict``), `OutputError` if ``out_dir`` exists and is not empty
    (without ``force``) or holds anything but a previous export (even with ``force``).
    """
    pa = require("pyarrow", "parquet", "Parquet export")
    pq = require("pyarrow.parquet", "parquet", "Parquet export")
    from .card import render_card

    if rows_per_shard < 1:
        raise ValueError(f"rows_per_shard={rows_per_shard} must be at least 1")
    in_path, out_dir = Path(in_path), Path(out_dir)
    if out_dir.name in ("", ".", ".."):  # "." or "..": the staging directory must sit beside OUT, not in it
        out_dir = out_dir.resolve()
    _check_destination(out_dir, force)
    scan = _scan(in_path, strict)
    schema = arrow_schema(pa, scan.columns)
    splits = {name: SplitInfo(name) for name in sorted(scan.split_counts, key=split_sort_key)}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_directory_beside(out_dir, "tmp")
    try:
        (staging / "data").mkdir()
        writers = {name: _ShardWriter(pa, pq, staging, splits[name], schema, rows_per_shard,
                                      scan.split_counts[name]) for name in splits}
        for line, record in iter_dataset_records(in_path, strict=strict):
            split = split_of(record)
            if split not in writers or line not in scan.hashes:
                raise OutputError(f"{in_path} changed while it was exported; export it again")
            writers[split].add(record_row(record, scan.hashes[line], scan.columns))
        for writer in writers.values():
            writer.close()
        if any(splits[n].num_examples != scan.split_counts[n] for n in splits):
            raise OutputError(f"{in_path} changed while it was exported; export it again")
        export = ParquetExport(out_dir, scan.stats.records, scan.stats.skipped_lines, splits,
                               tuple(schema.names), tuple(sorted(scan.dropped)), scan.stats)
        write_atomically(staging / "README.md", render_card(export, schema, _run_identity(in_path)))
        _check_destination(out_dir, force)  # again: something may have appeared there meanwhile
        _move_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return export


@dataclass(frozen=True)
class Columns:
    """Which optional columns a file needs: IR kinds it stores, and fields only some categories have."""

    ir_kinds: tuple[str, ...] = ()
    vmap: bool = False  # vmap_in_axes, vmap_axis_size
    forward_only: bool = False
    io: bool = False
    trees: bool = False  # args[].path



def arrow_schema(pa, columns: Columns):
    """The export's columns, in order; optional ones only where some record has the field."""
    fields = [("id", pa.string()), ("seed", pa.int64()), ("index", pa.int64()), ("category", pa.string()),
              ("function_name", pa.string()), ("python", pa.string()),
              ("args", pa.list_(pa.struct([("name", pa.string()), ("shape", pa.list_(pa.int32())),
                                           ("dtype", pa.string())]
                                          + ([("path", pa.list_(pa.string()))] if columns.trees else []))))]
    if columns.vmap:
        fields += [("vmap_in_axes", pa.list_(pa.int32())), ("vmap_axis_size", pa.int32())]
    fields += [(f"{kind}_{direction}", pa.string()) for kind in columns.ir_kinds for direction in DIRECTIONS]
    if columns.forward_only:
        fields.append(("forward_only", pa.string()))
    if columns.io:
        fields.append(("io", pa.string()))
    fields += [("jax_version", pa.string()), ("primitives", pa.list_(pa.string())),
               ("n_statements", pa.int32()), ("canonical_hash", pa.string())]
    return pa.schema(fields)


def record_row(record: dict, canonical: str | None, columns: Columns) -> dict:
    """One checked record as one row of `arrow_schema`."""
    meta = record["meta"]
    row = {key: record[key] for key in ("id", "seed", "index", "category", "function_name", "python")}
    row["args"] = [{"name": a["name"], "shape": a["shape"], "dtype": a["dtype"]} for a in record["args"]]
    if columns.trees:  # keys as they are, positions in decimal (a key is an identifier, so never "0")
        for entry, arg in zip(row["args"], record["args"]):
            entry["path"] = [str(key) for key in arg["path"]] if "path" in arg else None
    if columns.vmap:
        vmap = record.get("vmap") or {}
        row.update(vmap_in_axes=vmap.get("in_axes"), vmap_axis_size=vmap.get("axis_size"))
    for kind in columns.ir_kinds:
        for direction in DIRECTIONS:
            row[f"{kind}_{direction}"] = ir_text(record, kind, direction)
    if columns.forward_only:
        row["forward_only"] = meta.get("forward_only")
    if columns.io:
        row["io"] = json.dumps(record["io"], ensure_ascii=False) if "io" in record else None
    row.update(jax_version=meta["jax_version"], primitives=meta["primitives"],
               n_statements=meta["n_statements"], canonical_hash=canonical)
    return row


@dataclass
class _Scan:
    stats: DatasetStats
    split_counts: Counter
    hashes: dict[int, str | None]  # line -> canonical hash, so the second pass need not parse again
    columns: Columns
    dropped: set[str]


def _scan(in_path: Path, strict: bool) -> _Scan:
    read, stats = ReadStats(), DatasetStats(path=str(in_path))
    split_counts, hashes, kinds, fields, meta_fields = Counter(), {}, set(), set(), set()
    trees = False
    for line, record in iter_dataset_records(in_path, strict=strict, stats=read):
        hashes[line] = program_hash(record)
        stats.add(record, hashes[line])
        split_counts[split_of(record)] += 1
        kinds.update(ir_kinds_in(record))
        fields.update(record)
        meta_fields.update(record["meta"])
        trees = trees or any("path" in arg for arg in record["args"])
    stats.skipped_lines = read.skipped
    dropped = fields - KNOWN_FIELDS | {f"meta.{k}" for k in meta_fields - KNOWN_META}
    columns = Columns(tuple(k for k in ALL_IR_KINDS if k in kinds), vmap="vmap" in fields,
                      forward_only="forward_only" in meta_fields, io="io" in fields, trees=trees)
    return _Scan(stats, split_counts, hashes, columns, dropped)


class _ShardWriter:
    """Rows of one split into ``data/<split>-0000i-of-0000N.parquet``, ``rows_per_shard`` each."""

    def __init__(self, pa, pq, root: Path, info: SplitInfo, schema, rows_per_shard: int, expected_rows: int):
        self.pa, self.pq, self.root, self.info, self.schema = pa, pq, root, info, schema
        self.rows_per_shard = rows_per_shard
        self.shards = max(1, math.ceil(expected_rows / rows_per_shard))
        self.pending: list[dict] = []
        self.writer = None
        self.rows_in_shard = 0

    def add(self, row: dict) -> None:
        self.pending.append(row)
        if len(self.pending) >= ROW_GROUP_ROWS or self.rows_in_shard + len(self.pending) >= self.rows_per_shard:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        if self.writer is None:
            if len(self.info.files) >= self.shards:
                raise OutputError("the input changed while it was exported; export it again")
            relative = Path("data") / f"{self.info.name}-{len(self.info.files):05d}-of-{self.shards:05d}.parquet"
            self.info.files.append(relative)
            self.writer = self.pq.ParquetWriter(self.root / relative, self.schema, compression=COMPRESSION)
        table = self.pa.Table.from_pylist(self.pending, schema=self.schema)
        self.writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        self.info.num_examples += table.num_rows
        self.info.num_bytes += table.nbytes
        self.rows_in_shard += table.num_rows
        self.pending = []
        if self.rows_in_shard >= self.rows_per_shard:
            self._close_shard()

    def _close_shard(self) -> None:
        self.writer.close()
        self.writer, self.rows_in_shard = None, 0
        path = self.root / self.info.files[-1]
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
        self.info.file_bytes += path.stat().st_size

    def close(self) -> None:
        self._flush()
        if self.writer is not None:
            self._close_shard()


def _check_destination(out_dir: Path, force: bool) -> None:
    if not out_dir.name:
        raise OutputError(f"{out_dir} cannot be replaced; give a directory below it")
    if out_dir.is_symlink():  # the export is renamed into place, which would replace the link itself
        raise OutputError(f"{out_dir} is a symbolic link; fuzzgen does not write through links: give the path it "
                          "points to, or remove the link")
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise OutputError(f"{out_dir} is a file; give a directory for the Parquet dataset")
    entries = sorted(p.name for p in out_dir.iterdir())
    if not entries:
        return
    if not force:
        raise OutputError(f"{out_dir} is not empty; pass --force to replace a previous export, "
                          f"or choose another directory")
    data = out_dir / "data"
    foreign = [name for name in entries if name not in EXPORT_ENTRIES]
    if data.is_dir():
        foreign += [f"data/{p.name}" for p in sorted(data.iterdir()) if p.suffix != ".parquet" or not p.is_file()]
    elif data.exists():
        foreign.append("data")
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise OutputError(f"{out_dir} holds files that are not a fuzzgen export ({shown}); "
                          f"--force replaces only a previous export, so choose another directory")


def _new_directory_beside(out_dir: Path, purpose: str) -> Path:
    """A fresh hidden directory next to ``out_dir``, with the umask's permissions (unlike mkdtemp's 0700)."""
    while True:
        path = out_dir.parent / f".{out_dir.name}.{purpose}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Rename ``staging`` to ``out_dir``; an old export is renamed away first and removed after."""
    old = None
    if out_dir.exists() and any(out_dir.iterdir()):
        old = _new_directory_beside(out_dir, "old")
        os.replace(out_dir, old)
    os.replace(staging, out_dir)  # replaces an empty directory too
    fsync_directory(out_dir.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _run_identity(in_path: Path) -> dict | None:
    """The `fuzzgen sample` arguments kept beside the input (or in a Ray run's manifest), for the
    card; None if not there."""
    try:
        meta = read_manifest(in_path) if is_run_directory(in_path) else read_meta(in_path)
    except OutputError:
        return None
    return meta.get("identity") if isinstance(meta, dict) and isinstance(meta.get("identity"), dict) else None
