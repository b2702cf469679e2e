"""Join shard files into the file the unsharded run would have written, byte for byte."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


from ..records.atomic import (OutputError, create_new, failures_path, file_sha256, meta_path, partial_path, publish,
                              read_meta, scan_complete_lines)
from ..records.manifest import is_run_directory
from .ray.manifest import concatenate_shards


def _shard_meta(path: Path) -> dict:
    if not path.is_file():
        raise OutputError(f"shard {path} does not exist or is not a file")
    meta = read_meta(path)
    if meta is None:
        raise OutputError(f"shard {path} has no {meta_path(path).name}; merge takes files written by `fuzzgen sample --shard`")
    identity = meta.get("identity")
    if not isinstance(identity, dict) or not identity.get("shard"):
        raise OutputError(f"{path} was not written with --shard")
    shard = identity["shard"]
    if not (isinstance(shard, list) and len(shard) == 2 and all(type(v) is int for v in shard)
            and 0 <= shard[0] < shard[1]):
        raise OutputError(f"{meta_path(path)}: shard {shard!r} is not [I, N] with 0 <= I < N; rerun that shard")
    if meta.get("complete") is not True:
        raise OutputError(f"shard {path} is incomplete; finish it with `fuzzgen sample ... --resume` first")
    if type(meta.get("records")) is not int:
        raise OutputError(f"{meta_path(path)}: 'records' is not a count; rerun that shard")
    return meta


def _one_run(metas: dict[Path, dict]) -> tuple[dict, dict[int, Path]]:
    """The shards' common identity (without ``shard``) and the shard files by index; refuses
    shards of different runs, a shard given twice, and gaps."""
    base, total, by_index = None, 0, {}
    for path, meta in metas.items():
        identity = dict(meta["identity"])
        index, count = identity.pop("shard")
        if base is None:
            base, total = identity, count
        elif identity != base or count != total:
            differing = sorted(k for k in set(identity) | set(base) if identity.get(k) != base.get(k))
            what = ", ".join(differing) or f"shard count {count} vs {total}"
            raise OutputError(f"shard {path} comes from a different run ({what} differ); merge shards of one run only")
        if index in by_index:
            raise OutputError(f"shard {index}/{total} given twice: {by_index[index]} and {path}")
        by_index[index] = path
    missing = [i for i in range(total) if i not in by_index]
    if missing:
        raise OutputError(f"missing shard(s) {', '.join(f'{i}/{total}' for i in missing)}; the merged file would have a gap")
    return base, by_index


EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _check_content(path: Path, meta: dict) -> None:
    """A shard is merged only as it was written: its sha256 (and its failures file's) as recorded."""
    if "sha256" not in meta:  # shards from before fuzzgen recorded hashes: lines and sizes at least
        whole = scan_complete_lines(path)
        if whole.valid_bytes != path.stat().st_size or whole.records != meta.get("records"):
            raise OutputError(f"shard {path} does not match its meta file (torn or edited); rerun that shard")
        return
    if file_sha256(path) != meta["sha256"]:
        raise OutputError(f"shard {path} changed since it was written (its sha256 differs from "
                          f"{meta_path(path).name}); rerun that shard")
    failures = file_sha256(failures_path(path)) if failures_path(path).exists() else EMPTY_SHA256
    if failures != meta.get("failures_sha256"):
        raise OutputError(f"{failures_path(path)} changed since the shard was written; rerun that shard")


def _copy_unseen(path: Path, sink, seen: set) -> int:
    """Copy the records of a --dedup shard whose program no earlier shard had: each shard only
    deduplicated against itself, so this finishes the job the unsharded run does in one pass."""
    kept = 0
    with open(path, "rb") as source:
        for line in source:
            program_hash = json.loads(line)["meta"]["canonical_hash"]
            if program_hash not in seen:
                seen.add(program_hash)
                sink.write(line)
                kept += 1
    return kept


def merge_shards(out: Path, shards: list[Path], *, force: bool = False) -> int:
    """Write ``out`` from ``shards`` (any order); returns the record count. Refuses mixed runs and gaps."""
    out = Path(out)
    if not out.parent.is_dir():
        raise OutputError(f"{out}: {out.parent} is not a directory; merge into a file in an existing directory")
    if not shards:
        raise OutputError("no shard files given; pass the files written by `fuzzgen sample --shard I/N`")
    runs = [Path(s) for s in shards if is_run_directory(Path(s))]
    if runs:  # an `--engine ray` directory is a whole run already: merging it is concatenating its shards
        if len(shards) > 1:
            raise OutputError(f"{runs[0]} is a whole `--engine ray` run; merge it alone, not with other shards")
        return concatenate_shards(runs[0], out, force=force)
    for existing in (out, partial_path(out), meta_path(out), failures_path(out)):
        if existing.exists() and not force:  # never clobber an interrupted run's files beside OUT
            raise OutputError(f"{existing} already exists; pass --force to overwrite it")
    if out.resolve() in {Path(s).resolve() for s in shards}:
        raise OutputError(f"{out} is also one of the shards; merge into a new file")
    resolved = [Path(s).resolve() for s in shards]
    repeated = sorted({str(s) for s in shards if resolved.count(Path(s).resolve()) > 1})
    if repeated:
        raise OutputError(f"shard file {repeated[0]} is given twice; pass each shard once")
    metas = {Path(s): _shard_meta(Path(s)) for s in shards}
    base, by_index = _one_run(metas)
    total = len(by_index)
    for path, meta in metas.items():
        _check_content(path, meta)
    tmp = out.with_name(f".{out.name}.merge-{os.getpid()}")
    failure_tmp = out.with_name(f".{out.name}.merge-failures-{os.getpid()}")
    records = failures = 0
    with create_new(tmp, "wb") as sink, create_new(failure_tmp, "wb") as failure_sink:
        seen: set[str] = set()
        for index in range(total):
            path = by_index[index]
            if base.get("dedup"):
                records += _copy_unseen(path, sink, seen)
            else:
                with open(path, "rb") as source:
                    shutil.copyfileobj(source, sink)
                records += metas[path]["records"]
            if failures_path(path).exists():
                failure_sink.write(failures_path(path).read_bytes())
                failures += metas[path].get("failures", 0)
        sink.flush()
        os.fsync(sink.fileno())
        failure_sink.flush()
        os.fsync(failure_sink.fileno())
    publish(out, tmp, failure_tmp, {"identity": {**base, "shard": None}, "complete": True, "records": records,
                                    "failures": failures, "sha256": file_sha256(tmp),
                                    "failures_sha256": file_sha256(failure_tmp)})
    return records

