"""`fuzzgen sample` as a library call: draw, lower and write records for an index range."""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .pool import SampleResult, iter_results
from ..records.atomic import (
    OutputError, RecordWriter, append_durably, check_replaceable, create_new, exclusive_run, failures_path,
    fsync_directory, meta_path, partial_path, read_meta, recover_partial, truncate_to, verified_prefix, write_meta,
)
from .progress import Progress
from .draw import SampleConfig

CHECKPOINT_EVERY = 50  # records between fsyncs of the partial file


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: the contiguous index range [n*index//count, n*(index+1)//count)."""

    index: int
    count: int

    def __post_init__(self):
        if not (self.count >= 1 and 0 <= self.index < self.count):
            raise ValueError(f"shard {self.index}/{self.count} is out of range; use I/N with 0 <= I < N")

    def range(self, n: int) -> range:
        return range(n * self.index // self.count, n * (self.index + 1) // self.count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass
class Summary:
    out: Path
    records: int = 0
    failures: int = 0
    resumed_from: int = 0
    seconds: float = 0.0
    per_category: Counter = field(default_factory=Counter)
    already_complete: bool = False
    plugin_draws: Counter = field(default_factory=Counter)  # plugin op -> records (of this call) calling it
    duplicates: int = 0  # records whose canonical program appeared at an earlier index
    skipped_duplicates: int = 0  # of those, the ones --dedup left out
    seen: set = field(default_factory=set, repr=False)

    def tally(self, program_hash: str | None, category: str, *, dedup: bool = False) -> bool:
        """Count one record of the run; False where ``dedup`` leaves it out (its canonical program
        appeared at an earlier index). The one place records are tallied, for every engine."""
        if program_hash in self.seen:
            self.duplicates += 1
            if dedup:
                self.skipped_duplicates += 1
                return False
        self.seen.add(program_hash)
        self.per_category[category] += 1
        return True

    @property
    def duplicate_rate(self) -> float:
        drawn = self.records + self.skipped_duplicates
        return self.duplicates / drawn if drawn else 0.0

    @property
    def rate(self) -> float:
        produced = self.records - self.resumed_from
        return produced / self.seconds if self.seconds > 0 else 0.0


def run_identity(config: SampleConfig, n: int, shard: Shard | None) -> dict:
    return {**config.identity(), "n": n, "shard": None if shard is None else [shard.index, shard.count]}


def _describe_mismatch(stored: dict, wanted: dict) -> str:
    keys = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
    return ", ".join(f"{k}={stored.get(k)!r} there vs {wanted.get(k)!r} now" for k in keys)


def prepare_output(out: Path, identity: dict, *, force: bool, resume: bool) -> int:
    """Check ``out`` against what the user asked; return the next index to produce, or -1 if the
    run is already complete. Nothing is modified unless the run may go ahead."""
    if out.exists() and out.is_dir():
        raise OutputError(f"--out {out} is a directory; give a file path such as {out / 'data.jsonl'}")
    if not out.parent.exists():
        raise OutputError(f"--out {out}: directory {out.parent} does not exist; create it first")
    if not out.parent.is_dir():
        raise OutputError(f"--out {out}: {out.parent} is a file, not a directory")
    for path in (out, partial_path(out), failures_path(out), meta_path(out)):
        check_replaceable(path, "--out" if path == out else "")
    partial = partial_path(out)
    meta = None if force else read_meta(out)
    if resume and not force:
        if meta is not None:
            stored = meta.get("identity", {})
            if stored != identity:
                raise OutputError(
                    f"--resume: {out} was started with different arguments ({_describe_mismatch(stored, identity)}); "
                    "rerun with the original arguments, or use --force to start over"
                )
            if meta.get("complete") and out.exists():
                return -1
        elif out.exists() or partial.exists():
            raise OutputError(f"--resume: {out} has no {meta_path(out).name}, so its arguments are unknown; "
                              "use --force to start over")
        if partial.exists():
            checkpoint = (meta or {}).get("checkpoint")
            if checkpoint is not None:
                return continue_from(out, checkpoint)
            recovered = recover_partial(partial)  # a run from before checkpoints were kept
            return -2 if recovered.last_index is None else recovered.last_index + 1
        return -2
    if out.exists() and not force:
        raise OutputError(f"--out {out} already exists; pass --force to overwrite it or --resume to continue it")
    if partial.exists() and not force:
        raise OutputError(f"{partial} holds an interrupted run; pass --resume to continue it or --force to start over")
    return -2


def continue_from(out: Path, checkpoint: dict) -> int:
    """Verify a partial run against its last checkpoint and cut it back to it; return the next
    index. Everything written after the checkpoint is recomputed (the run is deterministic), so
    the finished file is byte for byte an uninterrupted run's; anything changed before it is
    refused, never published."""
    partial, failures = partial_path(out), failures_path(out)
    try:
        next_index, size, digest = checkpoint["next_index"], checkpoint["bytes"], checkpoint["sha256"]
        failures_size, failures_digest = checkpoint["failures_bytes"], checkpoint["failures_sha256"]
        valid = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (next_index, size, failures_size))
    except (KeyError, TypeError):
        valid = False
    if not valid:
        raise OutputError(f"{meta_path(out)} has a malformed checkpoint; pass --force to start over")
    if verified_prefix(partial, size, digest) is None:
        raise OutputError(f"{partial} changed since its last checkpoint (its first {size} bytes no longer match "
                          "their sha256); pass --force to start over")
    if failures_size and verified_prefix(failures, failures_size, failures_digest) is None:
        raise OutputError(f"{failures} changed since the last checkpoint; pass --force to start over")
    truncate_to(partial, size)
    if failures.exists():
        truncate_to(failures, failures_size)
    return next_index


def _checkpoint(out: Path, identity: dict, writer: RecordWriter, failures: Path, next_index: int) -> None:
    """Make everything so far durable and record what it is: where a resume may continue from."""
    writer.checkpoint()
    failure_bytes = failures.read_bytes() if failures.exists() else b""
    write_meta(out, {"identity": identity, "complete": False, "checkpoint": {
        "next_index": next_index, "bytes": writer.size, "sha256": writer.digest.hexdigest(),
        "failures_bytes": len(failure_bytes), "failures_sha256": hashlib.sha256(failure_bytes).hexdigest()}})


def run_sample(
    out: Path | str,
    n: int,
    config: SampleConfig,
    *,
    force: bool = False,
    resume: bool = False,
    shard: Shard | None = None,
    workers: int = 1,
    timeout: float = 60.0,
    progress: Progress | None = None,
) -> Summary:
    out = Path(out)
    if n < 0:
        raise ValueError(f"n={n} must be non-negative")
    identity = run_identity(config, n, shard)
    indices = shard.range(n) if shard else range(n)
    if out.exists() and out.is_dir() or not out.parent.is_dir():
        prepare_output(out, identity, force=force, resume=resume)  # says what is wrong with the path
    with exclusive_run(out):
        return _run_locked(out, n, config, identity, indices, force=force, resume=resume, workers=workers,
                           timeout=timeout, progress=progress)


def _run_locked(out: Path, n: int, config: SampleConfig, identity: dict, indices: range, *, force: bool,
                resume: bool, workers: int, timeout: float, progress: Progress | None) -> Summary:
    start = prepare_output(out, identity, force=force, resume=resume)
    summary = Summary(out=out)
    if start == -1:
        summary.already_complete = True
        summary.records = scan_records(out, summary)
        return summary
    partial = partial_path(out)
    failures = failures_path(out)
    if start == -2:  # a fresh run
        start = indices.start
        partial.unlink(missing_ok=True)
        failures.unlink(missing_ok=True)
    else:
        summary.resumed_from = scan_records(partial, summary)
        drop_failures_after(failures, start - 1)
    todo = range(max(start, indices.start), indices.stop)
    summary.records = summary.resumed_from
    began = time.monotonic()
    writer = RecordWriter(partial, _digest_of(partial))
    _checkpoint(out, identity, writer, failures, todo.start)
    progress = progress or Progress(total=len(indices), quiet=True)
    progress.start(initial=len(indices) - len(todo))
    try:
        for result in iter_results(config, todo, workers=workers, timeout=timeout):
            _take(result, writer, failures, summary, config)
            progress.advance(failed=summary.failures)
            if (summary.records + summary.failures) % CHECKPOINT_EVERY == 0:
                _checkpoint(out, identity, writer, failures, result.index + 1)
    finally:
        writer.close()
        progress.close()
    os.replace(partial, out)
    fsync_directory(out.parent)
    summary.seconds = time.monotonic() - began
    failure_bytes = failures.read_bytes() if failures.exists() else b""
    write_meta(out, {"identity": identity, "complete": True, "records": summary.records,
                     "failures": count_lines(failures), "sha256": writer.digest.hexdigest(),
                     "failures_sha256": hashlib.sha256(failure_bytes).hexdigest()})
    summary.failures = count_lines(failures)
    return summary


def _take(result: SampleResult, writer: RecordWriter, failures: Path, summary: Summary, config) -> None:
    if result.line is not None:
        if summary.tally(result.canonical_hash, result.category, dedup=config.dedup):
            writer.write(result.line)
            summary.records += 1
            summary.plugin_draws.update(result.plugin_ops)
        return
    summary.failures += 1
    entry = {"seed": config.seed, "index": result.index, "python": result.python, "error": result.error}
    append_durably(failures, json.dumps(entry) + "\n")


def scan_records(path: Path, summary: Summary) -> int:
    """Count the records already written to ``path`` (a previous, maybe partial, run or shard)
    into ``summary``, duplicates included; returns how many there are."""
    count = 0
    with open(path, "rb") as handle:
        for line in handle:
            record = json.loads(line)
            summary.tally(record["meta"].get("canonical_hash"), record["category"])
            count += 1
    return count


def _digest_of(path: Path):
    """The running sha256 of ``path`` as it is (the verified prefix a resume continues)."""
    digest = hashlib.sha256()
    if path.exists():
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def drop_failures_after(path: Path, last_index: int) -> None:
    """On resume, forget failures logged for indices that will be produced again."""
    if not path.exists():
        return
    kept = []
    with open(path, "rb") as handle:
        for line in handle:
            try:
                if line.endswith(b"\n") and json.loads(line)["index"] <= last_index:
                    kept.append(line)
            except (ValueError, KeyError, TypeError):
                pass
    tmp = path.with_name(path.name + ".tmp")
    with create_new(tmp, "wb") as handle:
        handle.write(b"".join(kept))
    os.replace(tmp, path)
