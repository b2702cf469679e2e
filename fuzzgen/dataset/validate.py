"""`fuzzgen validate`: check every IR text of every record in a file.

Per record: the schema and argument specs; the source against the grammar (before anything is
executed); the id; each jaxpr against a fresh trace; each StableHLO text parsed with jaxlib's
MLIR bindings and compiled on CPU; each HLO text parsed by XLA's HLO parser, converted back to
MLIR and compiled on CPU; optimized HLO parsed; exported StableHLO parsed and compiled; stored
execution data re-run; and for every ``roundtrip_every``-th record a `jax.export`
serialize/deserialize/call round trip compared with the Python function.
"""
from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..extras import EXPORT_SERIALIZATION, require
from ..grammar.plugins import load_plugins
from ..ir import IR_KIND_TABLE
from ..records.jsonl import ReadStats, iter_records
from ..workers import IsolatedCalls
from ..records.schema import (FIELDS, SchemaError, parse_args, parse_forward_only, parse_io, parse_vmap,
                              require_fields)



@dataclass(frozen=True)
class Failure:
    path: str
    line: int
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.check}: {self.message}"


@dataclass
class ValidationReport:
    records: int = 0
    roundtrips: int = 0
    checks: dict = field(default_factory=dict)  # check name -> times run
    failures: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def validate_record(path: str, line: int, record: dict, roundtrip: bool) -> tuple[list[Failure], list[str]]:
    """Failures found in one record, and the names of the checks that ran. A check that raises
    (a grammar-valid program JAX refuses, a program over its budget) is that check's failure."""
    from ..lowering import checks

    ran: list[str] = []
    spec, problem = _stored_spec(record, ran)
    if problem is not None:
        return [Failure(path, line, *problem)], ran
    program = checks.StoredProgram(spec)
    failures = []

    def check(name: str, run) -> None:
        ran.append(name)
        try:
            problem = run()
        except Exception as error:  # noqa: BLE001 - JAX raising on a stored program is this record's failure
            problem = f"raised {type(error).__name__}: {_first_line(error)}"
        if problem is not None:
            failures.append(Failure(path, line, name, problem))

    check("id", lambda: checks.check_id(record, spec.args))
    for kind in IR_KIND_TABLE:
        texts = record.get(kind.name)
        if texts is None:
            continue
        if not (isinstance(texts, dict) and all(isinstance(texts.get(d), str) for d in program.directions)):
            failures.append(Failure(path, line, kind.name, f"{kind.name!r} must hold forward and backward texts"))
            continue
        check(kind.name, lambda kind=kind, texts=texts: kind.checker()(texts, program))
    if "io" in record:
        check("io", lambda: checks.check_io(record["io"], program))
    if roundtrip:
        check("roundtrip", lambda: checks.check_export_roundtrip(program, checks.roundtrip_seed(record["id"])))
    return failures, ran


def _stored_spec(record: dict, ran: list[str]):
    """(the record's `ProgramSpec`, None), or (None, (check, problem)) where its schema or source is bad."""
    from ..program.spec import ProgramSpec
    from ..trust import UntrustedSourceError, check_source

    try:
        require_fields(record, FIELDS, required="corpus")  # every field present well typed; a case's required
        args = parse_args(record["args"])
        if "io" in record:
            parse_io(record["io"])
    except SchemaError as error:
        return None, ("schema", str(error))
    ran.append("source")
    try:
        checked = check_source(record["python"], args, record["function_name"])
    except UntrustedSourceError as error:
        return None, ("source", f"python rejected by the grammar checker: {error}")
    try:
        vmap_axes = parse_vmap(record.get("vmap"), args)
        forward_only = parse_forward_only(record)
    except SchemaError as error:
        return None, ("schema", str(error))
    return ProgramSpec(checked, args, vmap_axes, forward_only), None


def _first_line(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _validate_job(job):
    return validate_record(*job)


DEFAULT_MEMORY_MB = 8192  # address space per isolated worker: JAX runs in 4 GiB; a 120 GB ask fails at once


def validate_file(path: Path, *, roundtrip_every: int = 10, workers: int = 1, on_record=None,
                  plugins: tuple[str, ...] = (), timeout: float | None = None,
                  memory_mb: int | None = DEFAULT_MEMORY_MB) -> ValidationReport:
    """Validate every record of ``path``. Raises `RecordError` for a file that cannot be read at
    all; a malformed line is a failure of the ``json`` check.

    Records are read here, in this process, and handed to the workers a chunk at a time: reading
    errors surface in the caller, and memory stays bounded on large files. With ``timeout`` (or
    more than one worker) each record is checked in an isolated worker within that many seconds:
    a record that overruns or kills its worker fails the ``budget`` check, and the run goes on."""
    if roundtrip_every > 0:  # a missing package is the environment's problem, not a bad record
        require(EXPORT_SERIALIZATION, None, "validate's jax.export round trip (--roundtrip-every 0 skips it)")
    report = ValidationReport()
    stats = ReadStats()
    load_plugins(plugins)
    with _checkers(workers, timeout, plugins, memory_mb) as run:
        for chunk in _chunks(iter_records(path, stats=stats), CHUNK):
            jobs = [(str(path), line, record, roundtrip_every > 0 and k % roundtrip_every == 0)
                    for k, (line, record) in chunk]
            for failures, ran in run(jobs):
                report.records += 1
                report.failures.extend(failures)
                for check in ran:
                    report.checks[check] = report.checks.get(check, 0) + 1
                if on_record is not None:
                    on_record()
    report.roundtrips = report.checks.get("roundtrip", 0)
    for problem in stats.problems:
        report.failures.append(Failure(str(problem.path), problem.line, "json", problem.message))
    report.failures.sort(key=lambda failure: failure.line)
    return report


@contextlib.contextmanager
def _checkers(workers: int, timeout: float | None, plugins: tuple[str, ...], memory_mb: int | None):
    """``run(jobs) -> results in order``: in this process, or on ``workers`` isolated workers
    (one thread each feeds its own), each record within ``timeout`` seconds."""
    if timeout is None and workers <= 1:
        yield lambda jobs: [_validate_job(job) for job in jobs]
        return
    from ..lowering.lower import prepare_worker

    budget = timeout if timeout is not None else DEFAULT_TIMEOUT
    local = threading.local()
    isolated: list[IsolatedCalls] = []

    def check(job):
        if not hasattr(local, "calls"):
            local.calls = IsolatedCalls(_validate_job, timeout=budget, memory_mb=memory_mb, setup=prepare_worker,
                                        setup_args=(plugins,))
            isolated.append(local.calls)
        ok, payload = local.calls(job)
        return payload if ok else ([Failure(job[0], job[1], "budget", payload)], ["budget"])

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        yield lambda jobs: list(pool.map(check, jobs))
    finally:
        for calls in isolated:  # first, so that threads waiting on a worker (Ctrl-C mid-record) wake at once
            calls.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        for calls in isolated:
            calls.__exit__(None, None, None)


DEFAULT_TIMEOUT = 300.0  # seconds per record: every IR kind compiled, the io re-run and a round trip


CHUNK = 32


def _chunks(records, size):
    chunk = []
    for item in enumerate(records):
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
