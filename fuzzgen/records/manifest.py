"""Reading the output directory of a sharded (`--engine ray`) run: ``manifest.json`` and the
shard files it lists. The writing side lives with the Ray engine (`fuzzgen.sample.ray.manifest`).

Every reader that takes a JSONL file takes such a directory too (`shard_files`): its records are
the complete run's shards in manifest order, each checked against its recorded sha256 first, so
a reader never continues from a torn or altered shard. Concatenated, they are byte for byte the
file the local engine writes; line numbers count through them as through that file.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .atomic import OutputError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "fuzzgen-ray-manifest/1"


def manifest_path(out_dir: Path) -> Path:
    return out_dir / MANIFEST_NAME


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_run_directory(path: Path) -> bool:
    return path.is_dir() and manifest_path(path).is_file()


def read_manifest(out_dir: Path) -> dict | None:
    path = manifest_path(out_dir)
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise OutputError(f"{path} is not a fuzzgen manifest ({error}); move it away or pass --force") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise OutputError(f"{path} is not a {MANIFEST_FORMAT} file; move it away or pass --force")
    return manifest


def verified_entries(out_dir: Path, manifest: dict) -> dict[int, dict]:
    """The manifest's shard entries whose files are there with the recorded sha256."""
    verified = {}
    for entry in manifest["shards"]:
        records = out_dir / entry["file"]
        failures = out_dir / entry["failures_file"] if entry["failures_file"] else None
        try:
            if sha256_of(records.read_bytes()) != entry["sha256"]:
                continue
            if failures is not None and sha256_of(failures.read_bytes()) != entry["failures_sha256"]:
                continue
        except OSError:
            continue
        verified[entry["index"]] = entry
    return verified


def complete_manifest(out_dir: Path) -> dict:
    """The manifest of a complete run whose every shard matches its sha256, or `OutputError`."""
    manifest = read_manifest(out_dir)
    if manifest is None or not manifest.get("complete"):
        raise OutputError(f"{out_dir} holds no complete run; finish it by rerunning the same `fuzzgen sample` command")
    if len(verified_entries(out_dir, manifest)) != manifest["shard_count"]:
        raise OutputError(f"{out_dir}: a shard file does not match its sha256 in {MANIFEST_NAME}; "
                          "rerun the `fuzzgen sample` command")
    return manifest


def shard_files(out_dir: Path) -> list[Path]:
    """The record files of a complete run directory, in manifest (index) order."""
    return [out_dir / entry["file"] for entry in complete_manifest(out_dir)["shards"]]
