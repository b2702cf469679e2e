"""The output directory of a sharded run: shard files, failure files and ``manifest.json``.

    DIR/shard-00000.jsonl            records of indices [0, R), in index order
    DIR/shard-00000.failures.jsonl   failed indices of that range (only when there are some)
    DIR/manifest.json                the run identity and one entry per complete shard

Each file is written whole (temp file, fsync, rename), then entered in the manifest with its
sha256, so an entry always names a whole file. The shards concatenated in manifest order are the
file the local engine writes for the same arguments, byte for byte; so are the failure files.
A manifest is ``{"format", "identity", "shard_size", "shard_count", "complete", "records",
"failures", "shards": [{"index", "file", "start", "stop", "records", "failures", "sha256",
"failures_file", "failures_sha256"}, ...]}``, shards in index order.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ...records.atomic import OutputError, file_sha256, fsync_directory, partial_path, publish, write_atomically
from ...records.manifest import (MANIFEST_FORMAT, MANIFEST_NAME, complete_manifest, manifest_path,  # noqa: F401
                                 read_manifest, sha256_of, verified_entries)

# What this engine writes into DIR, and nothing else: --force removes only these.
OWN_FILE = re.compile(r"(shard-\d{5,}(\.failures)?\.jsonl|manifest\.json)")
OWN_TEMP = re.compile(r"\.(shard-\d{5,}(\.failures)?\.jsonl|manifest\.json)\.tmp-\d+")


@dataclass(frozen=True)
class ShardSpan:
    """Shard ``index``: the contiguous indices [start, stop)."""

    index: int
    start: int
    stop: int

    @property
    def file(self) -> str:
        return f"shard-{self.index:05d}.jsonl"

    @property
    def failures_file(self) -> str:
        return f"shard-{self.index:05d}.failures.jsonl"


def plan_shards(n: int, shard_size: int) -> list[ShardSpan]:
    """[0, n) cut into runs of ``shard_size`` indices (the last one shorter)."""
    if shard_size < 1:
        raise ValueError(f"shard_size={shard_size} must be at least 1")
    return [ShardSpan(i, start, min(start + shard_size, n)) for i, start in enumerate(range(0, n, shard_size))]


def new_manifest(identity: dict, shard_size: int, shard_count: int) -> dict:
    return {"format": MANIFEST_FORMAT, "identity": identity, "shard_size": shard_size, "shard_count": shard_count,
            "complete": False, "records": 0, "failures": 0, "shards": []}


def write_manifest(out_dir: Path, manifest: dict) -> None:
    manifest = {**manifest, "shards": sorted(manifest["shards"], key=lambda entry: entry["index"])}
    manifest["records"] = sum(entry["records"] for entry in manifest["shards"])
    manifest["failures"] = sum(entry["failures"] for entry in manifest["shards"])
    # One shard per line: readable, and a fraction of the size of indented JSON on big runs.
    head = json.dumps({k: v for k, v in manifest.items() if k != "shards"}, indent=1, sort_keys=True)
    shards = "".join(f"{',' if i else ''}\n  {json.dumps(entry, sort_keys=True)}"
                     for i, entry in enumerate(manifest["shards"]))
    write_atomically(manifest_path(out_dir), f'{head[:-2]},\n "shards": [{shards}\n ]\n}}\n')


def _describe_mismatch(stored: dict, wanted: dict) -> str:
    keys = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
    return ", ".join(f"{k}={stored.get(k)!r} there vs {wanted.get(k)!r} now" for k in keys)


def prepare_directory(out_dir: Path, identity: dict, shard_size: int, shard_count: int, *, force: bool) -> dict:
    """Check ``out_dir`` against what the user asked and return the manifest to continue.

    Refusals (an existing file, another run's directory, a directory of other files) raise
    `OutputError` before anything is touched. With ``force`` this engine's files are removed
    and nothing else."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir} is a file; --engine ray writes a directory of shards, give a new path")
    if not out_dir.parent.exists():
        raise OutputError(f"--out {out_dir}: directory {out_dir.parent} does not exist; create it first")
    fresh = new_manifest(identity, shard_size, shard_count)
    if not out_dir.exists():
        out_dir.mkdir()
        return fresh
    if force:
        for entry in out_dir.iterdir():
            if entry.is_file() and (OWN_FILE.fullmatch(entry.name) or OWN_TEMP.fullmatch(entry.name)):
                entry.unlink()
        fsync_directory(out_dir)
        return fresh
    manifest = read_manifest(out_dir)
    if manifest is None:
        if any(out_dir.iterdir()):
            raise OutputError(f"--out {out_dir} holds files but no {MANIFEST_NAME}; give an empty or new directory, "
                              "or pass --force to write this engine's files into it")
        return fresh
    stored = {"shard_size": manifest.get("shard_size"), **(manifest.get("identity") or {})}
    wanted = {"shard_size": shard_size, **identity}
    if stored != wanted:
        raise OutputError(f"--out {out_dir} holds a run with different arguments ({_describe_mismatch(stored, wanted)}); "
                          "rerun with the original arguments, or pass --force to start over")
    for entry in out_dir.iterdir():  # temp files of a driver that died mid-write
        if OWN_TEMP.fullmatch(entry.name):
            entry.unlink(missing_ok=True)
    return manifest


def write_shard(out_dir: Path, span: ShardSpan, lines: list[str], failures: list[str]) -> dict:
    """Write one shard's files whole and return its manifest entry."""
    failure_text = "".join(failures)
    if failures:
        write_atomically(out_dir / span.failures_file, failure_text)
    else:
        (out_dir / span.failures_file).unlink(missing_ok=True)
    text = "".join(lines)
    write_atomically(out_dir / span.file, text)
    return {"index": span.index, "file": span.file, "start": span.start, "stop": span.stop,
            "records": len(lines), "failures": len(failures), "sha256": sha256_of(text.encode("utf-8")),
            "failures_file": span.failures_file if failures else None,
            "failures_sha256": sha256_of(failure_text.encode("utf-8")) if failures else None}


def concatenate_shards(out_dir: Path | str, out: Path | str, *, force: bool = False) -> int:
    """Write the shards of a complete run as one JSONL file with its ``.meta.json`` and failures file:
    what `fuzzgen sample --engine local` writes for the same arguments. Returns the record count."""
    out_dir, out = Path(out_dir), Path(out)
    manifest = complete_manifest(out_dir)
    if out.exists() and not force:
        raise OutputError(f"{out} already exists; pass --force to overwrite it")
    tmp, failure_tmp = partial_path(out), out.with_name(out.name + ".failures.partial")
    with open(tmp, "wb") as sink, open(failure_tmp, "wb") as failure_sink:
        for entry in manifest["shards"]:
            sink.write((out_dir / entry["file"]).read_bytes())
            if entry["failures_file"]:
                failure_sink.write((out_dir / entry["failures_file"]).read_bytes())
        for handle in (sink, failure_sink):
            handle.flush()
            os.fsync(handle.fileno())
    publish(out, tmp, failure_tmp, {"identity": manifest["identity"], "complete": True,
                                     "records": manifest["records"], "failures": manifest["failures"],
                                     "sha256": file_sha256(tmp), "failures_sha256": file_sha256(failure_tmp)})
    return manifest["records"]
