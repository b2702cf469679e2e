"""`fuzzgen sample --engine ray`: the index range as Ray tasks, one shard file per task.

[0, n) is cut into shards of ``shard_size`` indices (`ray_manifest.plan_shards`). Each shard is
one Ray task running the local engine's per-sample code on its range (`ray_task`); it returns
the lines, and the driver writes the shards in index order, each whole (temp file, fsync,
rename), and enters them in ``DIR/manifest.json`` with their sha256. Records are a pure function
of (seed, index), so the shards concatenated in manifest order are byte-identical to the local
engine's output, and so are the failure files.

Results travel through Ray's object store and only the driver writes files, so the workers need
no shared filesystem. A task whose worker process dies (a crashing or hung sample, a kill, the
OOM killer, a lost node) is retried by Ray up to ``max_retries`` times, with every sample
isolated; a task has no side effects, so a retry cannot leave a gap or a duplicate. ``--dedup``
works as in a local run: shards are taken in index order and a record is dropped when its
canonical program is at an earlier index, whichever shard that was. If the driver dies, the
same call again verifies the manifest's shards by sha256, keeps them and computes only the
rest. Ray is imported only here, and only when this engine is asked for.
"""
from __future__ import annotations

import logging
import os
import socket
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ...errors import FuzzgenError
from ...extras import require
from ..progress import Progress
from .manifest import (
    ShardSpan, plan_shards, prepare_directory, verified_entries, write_manifest, write_shard,
)
from .. import faults
from .task import ShardResult, produce_shard
from ..run import Summary, run_identity, scan_records
from ..draw import SampleConfig

__all__ = ["DEFAULT_SHARD_SIZE", "RayEngineError", "connect", "run_ray_sample"]

DEFAULT_SHARD_SIZE = 500
MAX_RETRIES = 3
MANIFEST_EVERY_SECONDS = 5.0  # a driver killed in between recomputes at most this much of finished work
IN_FLIGHT_PER_CPU = 4  # shards submitted ahead of the next one to write, per cluster CPU
LOOPBACK_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": Ray's node address is 127.0.0.1


class RayEngineError(FuzzgenError):
    """The cluster could not finish the run; the message says what failed and how to continue."""


def import_ray(local: bool = False):
    """Import Ray, or raise `MissingExtraError` naming ``pip install 'fuzzgen[ray]'``."""
    if local and "ray" not in sys.modules:
        # Keep a local instance on loopback: on Linux Ray otherwise advertises (and its processes
        # connect through) the host's network address. Ray reads this once, at import.
        os.environ.setdefault(LOOPBACK_ONLY_ENV, "0")
    return require("ray", "ray", "--engine ray")


def is_loopback(address: str) -> bool:
    """Whether a Ray address names this machine's loopback (a head started with
    ``--node-ip-address=127.0.0.1``), where the driver must stay on loopback too."""
    host = address.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    return host == "localhost" or host == "::1" or host.startswith("127.")


def check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail fast, in one line, when nothing listens at ``host:port``: ray.init would retry for minutes."""
    host, colon, port = address.split("://")[-1].rpartition(":")
    if not colon or not port.isdigit():
        return  # "auto" and other forms Ray resolves itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise RayEngineError(f"nothing answers at --ray-address {address} ({error.strerror or error}); start the "
                             "head with `ray start --head` and pass the address it prints") from None


def connect(address: str | None, num_cpus: int, *, quiet: bool = False):
    """Import Ray and connect: to ``address`` (or $RAY_ADDRESS) if given, else to a new local
    instance on loopback with ``num_cpus`` CPUs. Returns (ray, whether we started it). With
    ``quiet``, Ray's own warnings (e.g. its token-authentication notice) are not printed."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    ray = import_ray(local=address is None or is_loopback(address))
    if ray.is_initialized():
        return ray, False
    level = logging.ERROR if quiet else logging.WARNING
    logging.getLogger("ray").setLevel(level)  # some notices are logged before ray.init applies its level
    try:
        with warnings.catch_warnings():
            # JAX warns on any fork; Ray's fork is followed by exec at once, which is safe.
            warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
            if address is None:
                ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                         logging_level=level)
            else:
                ray.init(address=address, logging_level=level)
    except (ConnectionError, ValueError, RuntimeError) as error:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        hint = "" if address is None or os.environ.get("RAY_AUTH_MODE") else (
            " (a cluster with token authentication, Ray's default, also needs RAY_AUTH_MODE=token and its token "
            "in RAY_AUTH_TOKEN or ~/.ray/auth_token)")
        raise RayEngineError(f"could not connect to {where}: {str(error).splitlines()[0]}{hint}") from None
    return ray, True


def run_ray_sample(
    out_dir: Path | str,
    n: int,
    config: SampleConfig,
    *,
    shard_size: int = DEFAULT_SHARD_SIZE,
    address: str | None = None,
    num_cpus: int = 2,
    force: bool = False,
    timeout: float = 60.0,
    max_retries: int = MAX_RETRIES,
    manifest_every: float = MANIFEST_EVERY_SECONDS,
    progress: Progress | None = None,
) -> Summary:
    """Write ``n`` records into ``out_dir`` as shards computed on Ray; continue a run found there.

    Uses the Ray connection of this process if there is one, else `connect(address, num_cpus)`
    (and shuts down what it started)."""
    out_dir = Path(out_dir)
    if n < 0:
        raise ValueError(f"n={n} must be non-negative")
    spans = plan_shards(n, shard_size)
    wanted = address or os.environ.get("RAY_ADDRESS")
    import_ray(local=not wanted or is_loopback(wanted))  # refusals come before anything is touched
    if wanted:
        check_reachable(wanted)
    identity = run_identity(config, n, None)
    manifest = prepare_directory(out_dir, identity, shard_size, len(spans), force=force)
    done = verified_entries(out_dir, manifest)
    manifest["shards"] = list(done.values())
    summary = Summary(out=out_dir)
    if manifest.get("complete") and len(done) == len(spans):
        summary.already_complete = True
        for span in spans:
            _absorb_written(out_dir, done[span.index], summary)
        return summary
    manifest["complete"] = False
    write_manifest(out_dir, manifest)
    run = _Run(out_dir, config, spans, manifest, done, summary, timeout, max_retries, manifest_every,
               progress or Progress(total=n, quiet=True))
    began = time.monotonic()
    ray, started = connect(address, num_cpus, quiet=run.progress.quiet)
    try:
        _Driver(ray, run).run()
    finally:
        if started:
            ray.shutdown()
    summary.seconds = time.monotonic() - began  # the run as the user waits for it: Ray's start-up included
    return summary


@dataclass
class _Run:
    """One call's work: what to compute, and the shards written so far (``done``: index -> entry)."""

    out_dir: Path
    config: SampleConfig
    spans: list[ShardSpan]
    manifest: dict
    done: dict[int, dict]
    summary: Summary
    timeout: float
    max_retries: int
    manifest_every: float
    progress: Progress


class _Driver:
    def __init__(self, ray, run: _Run):
        self.ray = ray
        self.out_dir, self.config, self.spans, self.manifest = run.out_dir, run.config, run.spans, run.manifest
        self.done, self.summary, self.timeout, self.progress = run.done, run.summary, run.timeout, run.progress
        self.manifest_every = run.manifest_every
        self.task = ray.remote(produce_shard).options(num_cpus=1, max_retries=run.max_retries, retry_exceptions=False)
        self.hooks = faults.from_environment()
        self.pending: dict[int, object] = {}  # shard index -> ObjectRef of its ShardResult
        self.last_manifest = time.monotonic()

    def run(self) -> None:
        summary, spans = self.summary, self.spans
        resumed = sum(e["stop"] - e["start"] for e in self.done.values())
        window = max(2, IN_FLIGHT_PER_CPU * int(self.ray.cluster_resources().get("CPU", 1)))
        began = time.monotonic()
        self.progress.start(initial=resumed)
        next_submit = 0
        try:
            for span in spans:  # written strictly in index order: dedup and the statistics need it
                while next_submit < len(spans) and len(self.pending) < window:
                    if next_submit not in self.done:
                        self.pending[next_submit] = self.task.remote(
                            self.config, spans[next_submit], self.timeout, self.hooks)
                    next_submit += 1
                if span.index in self.done:
                    summary.resumed_from += _absorb_written(self.out_dir, self.done[span.index], summary)
                    continue
                self._write(span, self._fetch(span))
            self.manifest["complete"] = True
        finally:
            self._cancel_pending()
            write_manifest(self.out_dir, self.manifest)
            self.progress.close()
        summary.seconds = time.monotonic() - began

    def _fetch(self, span: ShardSpan) -> ShardResult:
        ref = self.pending.pop(span.index)
        try:
            result = self.ray.get(ref)
        except self.ray.exceptions.RayError as error:
            cause = getattr(error, "cause", None)  # a RayTaskError wraps the task's own exception
            if cause is not None:
                first = f"{type(cause).__name__}: {cause}".splitlines()[0]
            else:
                first = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
            raise RayEngineError(f"shard {span.index} (indices {span.start}..{span.stop - 1}) failed on Ray: {first}; "
                                 "finished shards are kept, rerun the same command to continue") from None
        wanted = self.manifest["identity"]["jax_version"]
        if result.jax_version != wanted:
            raise RayEngineError(f"worker {result.host} has jax {result.jax_version} but this run is for jax {wanted}; "
                                 "install the same versions on every node")
        return result

    def _write(self, span: ShardSpan, result: ShardResult) -> None:
        summary, kept = self.summary, []
        for line, program_hash, category in zip(result.lines, result.hashes, result.categories):
            if summary.tally(program_hash, category, dedup=self.config.dedup):
                kept.append(line)
        entry = write_shard(self.out_dir, span, kept, list(result.failures))
        summary.records += len(kept)
        summary.failures += len(result.failures)
        self.done[span.index] = entry
        self.manifest["shards"].append(entry)
        for _ in range(span.stop - span.start):
            self.progress.advance(failed=summary.failures)
        if time.monotonic() - self.last_manifest >= self.manifest_every:
            write_manifest(self.out_dir, self.manifest)
            self.last_manifest = time.monotonic()

    def _cancel_pending(self) -> None:
        for ref in self.pending.values():
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # already finished or the cluster is gone; nothing to stop
                pass
        self.pending.clear()


def _absorb_written(out_dir: Path, entry: dict, summary: Summary) -> int:
    """Count a shard written by an earlier call into ``summary`` (records, categories, hashes);
    returns its record count."""
    summary.records += scan_records(out_dir / entry["file"], summary)
    summary.failures += entry["failures"]
    return entry["records"]


