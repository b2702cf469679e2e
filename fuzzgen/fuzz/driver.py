"""The fuzzing driver: Hypothesis draws programs, the oracles are the property, failures shrink.

Each drawn program is judged by the oracles (in an isolated worker unless ``isolate=False``);
a failing verdict raises an exception whose *class* is made per (oracle, error type), because
Hypothesis tells bugs apart by exception type and location: so each kind of finding shrinks on
its own (fewer statements, smaller shapes, simpler ops and dtypes). Every failure seen along the
way is grouped by `triage`. Each failure Hypothesis shrinks is then reduced further by `reduce`
(structural steps Hypothesis cannot take) and becomes a corpus case (`case_record`), one JSON line
in ``<corpus>/findings.jsonl``, replayable from its python, arg specs and input seed; the case
keeps Hypothesis' own result under ``finding.hypothesis``.
"""
from __future__ import annotations

import contextlib
import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import jax
import jaxlib
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine as hypothesis_engine

from ..extras import EXPORT_SERIALIZATION, require
from ..records.atomic import append_durably, write_atomically
from ..grammar.plugins import load_plugins, plugin_ops
from ..oracles import ORACLE_NAMES
from ..oracles.verdict import Verdict
from ..strategies import programs
from .isolation import Case, CheckResult, InProcessChecker, IsolatedChecker
from .reduce import MAX_JUDGED, Reducer, Reducible
from .reproducer import reproducer, reproduces, unsupported_reason
from .triage import Family, Signature, Triage

FINDINGS_FILE = "findings.jsonl"
PROGRESS_EVERY = 10.0  # seconds between progress lines
INPUT_SEEDS = 2**16  # inputs are drawn from a seed Hypothesis picks, and shrinks towards 0


@dataclass(frozen=True)
class FuzzConfig:
    max_examples: int = 100
    oracles: tuple[str, ...] = ORACLE_NAMES
    seed: int | None = 0  # None: Hypothesis picks one
    corpus: Path | None = Path("fuzzgen-findings")  # None: write no cases
    plugins: tuple[str, ...] = ()
    timeout: float = 60.0
    isolate: bool = True
    strategy_options: dict = field(default_factory=dict)  # passed to fuzzgen.strategies.programs
    report_multiple_bugs: bool = True
    shrink_seconds: float | None = None  # None: shrink until Hypothesis is done, however long
    reduce: bool = True  # reduce Hypothesis' result with `reduce.Reducer`
    max_reduce: int = MAX_JUDGED  # candidates the reducer may judge per finding

    def __post_init__(self):
        if self.max_examples < 1:
            raise ValueError(f"max_examples={self.max_examples} must be at least 1")
        unknown = [o for o in self.oracles if o not in ORACLE_NAMES]
        if unknown or not self.oracles:
            raise ValueError(f"oracles={','.join(self.oracles)}: choose one or more of {','.join(ORACLE_NAMES)}")
        if not self.timeout > 0:
            raise ValueError(f"timeout={self.timeout} must be a positive number of seconds")
        if self.shrink_seconds is not None and not self.shrink_seconds > 0:
            raise ValueError(f"shrink_seconds={self.shrink_seconds} must be a positive number of seconds or None")
        if self.max_reduce < 0:
            raise ValueError(f"max_reduce={self.max_reduce} must be 0 or more")


@dataclass
class Finding:
    """A failure, shrunk and reduced: the minimal program (a `reduce.Reducible`), the verdict it
    fails with, its family, and the program Hypothesis shrank it to (``shrunk``)."""

    program: Reducible
    case: Case
    verdict: Verdict
    signature: Signature
    count: int
    record: dict
    corpus_path: Path | None = None
    shrunk: object = None
    reduce_judged: int = 0


@dataclass
class FuzzReport:
    examples: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)  # (oracle, status) -> count
    plugin_draws: Counter = field(default_factory=Counter)  # plugin op -> programs judged that call it

    @property
    def found(self) -> bool:
        return bool(self.findings or self.families)


class OracleFailure(AssertionError):
    """Raised inside the property; carries what the driver needs to record the finding."""

    def __init__(self, verdict: Verdict, program, case: Case, result: CheckResult):
        super().__init__(f"{verdict.oracle}: {verdict.error}")
        self.verdict, self.program, self.case, self.result = verdict, program, case, result


_FAILURE_TYPES: dict[tuple[str, str], type] = {}


def failure_type(verdict: Verdict) -> type:
    """One exception class per (oracle, error type): Hypothesis shrinks each separately."""
    key = (verdict.oracle, verdict.error_type or "")
    if key not in _FAILURE_TYPES:
        name = "".join(part.capitalize() for part in f"{key[0]}_{key[1]}".split("_") if part) + "Failure"
        _FAILURE_TYPES[key] = type(name, (OracleFailure,), {"__module__": __name__})
    return _FAILURE_TYPES[key]


def run_fuzz(config: FuzzConfig, *, log: Callable[[str], None] | None = None) -> FuzzReport:
    """Fuzz with ``config``; returns the report (findings already written to the corpus)."""
    if "export" in config.oracles:  # a missing package is the environment's problem, not JAX's bug
        require(EXPORT_SERIALIZATION, None, "the export oracle")
    load_plugins(config.plugins)
    log = log or (lambda message: None)
    report, triage = FuzzReport(), Triage()
    strategy = programs(**config.strategy_options)
    began = time.monotonic()
    checker = IsolatedChecker(config.plugins, config.timeout) if config.isolate else InProcessChecker()
    log(f"fuzzing {config.max_examples} programs (seed {config.seed}) with {','.join(config.oracles)}; "
        "starting the oracle worker (it imports JAX)")
    last_line = [began]

    @settings(max_examples=config.max_examples, deadline=None, database=None, verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=config.report_multiple_bugs,
              phases=(Phase.generate, Phase.shrink), print_blob=False)
    @given(program=strategy, input_seed=st.integers(0, INPUT_SEEDS - 1))
    def property_holds(program, input_seed):
        case = Case.from_program(program, config.oracles, input_seed)
        result = checker.check(case)
        report.examples += 1
        report.plugin_draws.update(program.ops & plugin_ops())
        for verdict in result.verdicts:
            report.statuses[verdict.oracle, verdict.status] += 1
        now = time.monotonic()
        if now - last_line[0] >= PROGRESS_EVERY or report.examples == 1:  # a line at least every 10 s
            last_line[0] = now
            log(progress_line(report.examples, config.max_examples, len(triage.families), now - began))
        failures = result.failures
        for verdict in failures:
            triage.add(verdict, result.primitives, program.id, program.source)
        if failures:
            raise failure_type(failures[0])(failures[0], program, case, result)

    if config.seed is not None:
        property_holds = hypothesis_seed(config.seed)(property_holds)
    shrunk: list[OracleFailure] = []
    try:
        with checker, shrink_time_limit(config.shrink_seconds):
            try:
                property_holds()
            except BaseException as error:  # noqa: BLE001 - sorted below: ours are kept, others re-raised
                shrunk = _oracle_failures(error)
                if not shrunk:
                    raise
            for failure in shrunk:
                report.findings.append(_finding(failure, checker, triage, config, log))
    finally:
        report.seconds = time.monotonic() - began
        report.families = triage.families
    return report


def progress_line(judged: int, planned: int, kinds: int, seconds: float) -> str:
    """``N programs judged (R/s), about E s to go if nothing fails, K kinds of failure so far
    (T s)``. A failure ends drawing early and starts shrinking, which has no fixed end, so the
    estimate holds only while nothing fails, and none is given past ``planned``."""
    rate = judged / seconds if seconds > 0 else 0.0
    eta = f", about {(planned - judged) / rate:.0f} s to go if nothing fails" if rate > 0 and judged < planned else ""
    return (f"{judged} programs judged ({rate:.1f}/s){eta}, {kinds} kinds of failure so far "
            f"({seconds:.0f} s)")


@contextlib.contextmanager
def shrink_time_limit(seconds: float | None):
    """Hypothesis stops shrinking after five minutes of wall time, a limit its engine documents as
    monkeypatchable. At about a second per judged program, that cut shrinking short on a loaded
    machine and made the "minimal" program depend on the machine's speed; without it the shrunk
    program depends only on the seed and versions."""
    before = hypothesis_engine.MAX_SHRINKING_SECONDS
    hypothesis_engine.MAX_SHRINKING_SECONDS = math.inf if seconds is None else seconds
    try:
        yield
    finally:
        hypothesis_engine.MAX_SHRINKING_SECONDS = before


def _oracle_failures(error: BaseException) -> list[OracleFailure]:
    if isinstance(error, OracleFailure):
        return [error]
    if isinstance(error, BaseExceptionGroup):
        found = [f for sub in error.exceptions for f in _oracle_failures(sub)]
        return found if len(found) == len(error.exceptions) else []
    return []


def _finding(failure: OracleFailure, checker, triage: Triage, config: FuzzConfig, log) -> Finding:
    family = triage.family_of(failure.verdict)
    shrunk = Reducible.of(failure.program)
    program, case, verdict, result, judged = shrunk, failure.case, failure.verdict, failure.result, 0
    if config.reduce and config.max_reduce:
        log(f"reducing the {failure.verdict.oracle} failure Hypothesis shrank to {shrunk.n_statements} statements")
        reduction = Reducer(checker, failure.verdict, case.input_seed, max_judged=config.max_reduce,
                            log=log).reduce(shrunk)
        judged = reduction.judged
        if reduction.verdict is not None:
            program, verdict, result = reduction.program, reduction.verdict, reduction.result
            case = Case(program.spec, case.oracles, case.input_seed)
    signature = Signature.of(verdict, result.primitives)
    hashes = checker.ir_hashes(case)
    record = case_record(program, case, verdict, signature, hashes, config.plugins,
                         shrunk=shrunk if program is not shrunk else None)
    record["finding"]["reproducer"] = standalone_reproducer(case, verdict, log)
    path = write_case(config.corpus, record) if config.corpus is not None else None
    if path is not None and "script" in record["finding"]["reproducer"]:
        script_path = path.parent / f"reproducer-{record['id']}.py"
        if not script_path.exists():
            write_atomically(script_path, record["finding"]["reproducer"]["script"])
    return Finding(program, case, verdict, signature, family.count if family else 1, record, path,
                   shrunk=failure.program, reduce_judged=judged)


def standalone_reproducer(case: Case, verdict: Verdict, log) -> dict:
    """``{"script": ..., "reproduced": bool}``, the script run once in a fresh interpreter; or
    ``{"none": why}`` where no standalone script can show this finding."""
    why = unsupported_reason(case.spec, verdict.oracle)
    script = None if why else reproducer(case.spec, verdict.oracle, verdict.error, case.input_seed,
                                         {"jax_version": jax.__version__, "jaxlib_version": jaxlib.__version__})
    if script is None:
        return {"none": why or f"no standalone reproducer for a forward-only program's {verdict.oracle} failure"}
    log("running the standalone reproducer in a fresh interpreter")
    return {"script": script, "reproduced": reproduces(script)}


def case_record(program, case: Case, verdict: Verdict, signature: Signature, ir_sha256: dict | None,
                plugins=(), shrunk: Reducible | None = None) -> dict:
    """The corpus case: everything needed to replay the finding without fuzzgen's fuzzer.
    ``program`` is a `Program` or a `reduce.Reducible`; ``shrunk``, where given, is Hypothesis'
    result before reduction, kept under ``finding.hypothesis``."""
    program = program if isinstance(program, Reducible) else Reducible.of(program)
    record = {
        "id": program.id,
        "category": program.category,
        "function_name": program.function_name,
        **program.to_json(),
    }
    if case.spec.forward_only:
        record["forward_only"] = case.spec.forward_only
    if ir_sha256 is not None:
        record["ir_sha256"] = ir_sha256
    record["jax_version"] = jax.__version__
    record["jaxlib_version"] = jaxlib.__version__
    record["finding"] = {
        "oracle": verdict.oracle,
        "error": verdict.error,
        "input_seed": case.input_seed,
        "signature": signature.key,
    }
    if plugins:
        record["finding"]["plugins"] = list(plugins)
    if shrunk is not None:
        record["finding"]["hypothesis"] = {"id": shrunk.id, **shrunk.to_json()}
    return record


def write_case(corpus: Path, record: dict) -> Path:
    """Append ``record`` to ``corpus/findings.jsonl`` unless the same case is already there."""
    corpus = Path(corpus)
    corpus.mkdir(parents=True, exist_ok=True)
    path = corpus / FINDINGS_FILE
    key = (record["id"], record["finding"]["signature"])
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                existing = json.loads(line)
                if (existing.get("id"), existing.get("finding", {}).get("signature")) == key:
                    return path
            except ValueError:
                continue
    append_durably(path, json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
    return path
