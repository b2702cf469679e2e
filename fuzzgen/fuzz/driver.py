"""The fuzzing driver: programs drawn by index, judged K at once, failures shrunk and reduced.

Program ``i`` of a run comes from the seed and ``i`` alone (`drawing`), so ``config.workers``
isolated workers (`pool`) judge the programs of any run in any order and the driver takes the
results in index order: the findings are the same for any K. Every failure is grouped by
`triage`. The first program of each kind of failure (oracle, error type) is then handed to
Hypothesis through an example database; in the property that shrinks it, a failing verdict
raises an exception whose *class* is made per (oracle, error type), because Hypothesis tells
bugs apart by exception type and location, so each kind shrinks on its own (fewer statements,
smaller shapes, simpler ops and dtypes). `reduce` then takes the structural steps Hypothesis
cannot, and the result becomes a corpus case (`cases`), one JSON line in
``<corpus>/findings.jsonl``, replayable from its python, arg specs and input seed; the case keeps
Hypothesis' own result under ``finding.hypothesis``.
"""
from __future__ import annotations

import contextlib
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import InMemoryExampleDatabase
from hypothesis.internal.conjecture import engine as hypothesis_engine

from ..extras import EXPORT_SERIALIZATION, require
from ..records.atomic import write_atomically
from ..grammar.plugins import load_plugins
from ..oracles import ORACLE_NAMES
from ..oracles.verdict import Verdict
from ..strategies import programs
from .drawing import Drawn, ProgramDrawer, example_arguments
from .isolation import Case, CheckResult
from .pool import JudgePool
from .reduce import MAX_JUDGED, Reducer, Reducible
from .cases import case_record, standalone_reproducer, write_case
from .triage import Family, Signature, Triage

PROGRESS_EVERY = 10.0  # seconds between progress lines


@dataclass(frozen=True)
class FuzzConfig:
    max_examples: int = 100
    oracles: tuple[str, ...] = ORACLE_NAMES
    seed: int | None = 0  # None: a random one, reported in FuzzReport.seed
    corpus: Path | None = Path("fuzzgen-findings")  # None: write no cases
    plugins: tuple[str, ...] = ()
    timeout: float = 60.0
    isolate: bool = True
    strategy_options: dict = field(default_factory=dict)  # passed to fuzzgen.strategies.programs
    report_multiple_bugs: bool = True
    shrink_seconds: float | None = None  # None: shrink until Hypothesis is done, however long
    reduce: bool = True  # reduce Hypothesis' result with `reduce.Reducer`
    max_reduce: int = MAX_JUDGED  # candidates the reducer may judge per finding
    workers: int = 1  # programs judged at once, each worker a process of its own
    time_budget: float | None = None  # seconds of judging, after which no new program is drawn

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
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers={self.workers!r} must be an int of at least 1")
        if not self.isolate and self.workers != 1:
            raise ValueError(f"workers={self.workers}: isolate=False judges in this process, so workers must be 1")
        if self.time_budget is not None and not self.time_budget > 0:
            raise ValueError(f"time_budget={self.time_budget} must be a positive number of seconds or None")


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
    examples: int = 0  # drawn programs judged
    shrink_examples: int = 0  # candidates judged while Hypothesis shrank
    seed: int | None = None  # the run's seed (chosen at random where the config gave none)
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)  # (oracle, status) -> count
    op_draws: Counter = field(default_factory=Counter)  # op name -> drawn programs judged that call it
    oracle_seconds: Counter = field(default_factory=Counter)  # oracle -> seconds its workers spent on it

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


def run_fuzz(config: FuzzConfig, *, log: Callable[[str], None] | None = None, bar=None,
             report: FuzzReport | None = None) -> FuzzReport:
    """Fuzz with ``config``; returns the report (findings already written to the corpus).

    Two phases. Judging: programs 0, 1, 2, ... of the run (`drawing`) are judged by
    ``config.workers`` isolated workers at once and taken in index order, so the findings are the
    same for any number of workers. Shrinking: the first program of each kind of failure (oracle,
    error type) is handed to Hypothesis, which shrinks it as it shrinks any failing example of
    the strategy, and `reduce` reduces the result further. ``bar``, where given, is a tqdm-like
    bar advanced per judged program (otherwise ``log`` gets a line at least every 10 s). Pass
    ``report`` to see what was done so far when a Ctrl-C ends the run (the exception propagates).
    """
    if "export" in config.oracles:  # a missing package is the environment's problem, not JAX's bug
        require(EXPORT_SERIALIZATION, None, "the export oracle")
    load_plugins(config.plugins)
    log = log or (lambda message: None)
    report = report if report is not None else FuzzReport()
    triage = Triage()
    report.seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**32)
    strategy = programs(**config.strategy_options)
    began = time.monotonic()
    pool = JudgePool.of_workers(config.workers, plugins=config.plugins, timeout=config.timeout, isolate=config.isolate)
    log(f"fuzzing {config.max_examples} programs (seed {report.seed}) with {','.join(config.oracles)} on "
        f"{config.workers} worker{'s' if config.workers > 1 else ''}; starting the oracle workers (each imports JAX)")
    try:
        with pool, shrink_time_limit(config.shrink_seconds):
            if config.strategy_options.get("ops"):  # can they be drawn? Say so before the workers start
                log(f"drawing a first program that calls {','.join(config.strategy_options['ops'])} "
                    f"(an op no category reaches takes about 20 s to give up on)")
                next(ProgramDrawer(strategy, report.seed).programs(1))
            pool.start()
            to_shrink = _judge_drawn(config, report, triage, pool, strategy, began, log, bar)
            if bar is not None:
                bar.close()
            if to_shrink:
                log(f"{report.examples} programs judged; shrinking {len(to_shrink)} failing program(s) with Hypothesis")
                for failure in _shrink(config, report, triage, pool.first, strategy, to_shrink, began, log):
                    report.findings.append(_finding(failure, pool.first, triage, config, log))
    finally:
        report.seconds = time.monotonic() - began
        report.families = triage.families
    return report


def _judge_drawn(config: FuzzConfig, report: FuzzReport, triage: Triage, pool: JudgePool, strategy, began: float,
                 log, bar) -> list[Drawn]:
    """Judge programs 0, 1, ... until ``max_examples`` are judged (or the time budget is spent, or
    with ``report_multiple_bugs`` off, one fails); return, for each kind of failure (oracle,
    error type), the first program that failed with it first."""
    drawer = ProgramDrawer(strategy, report.seed)
    deadline = None if config.time_budget is None else began + config.time_budget
    last_line = [began]

    cases = ((drawn, Case.from_program(drawn.program, config.oracles, drawn.input_seed))
             for drawn in drawer.programs(config.max_examples))

    def tick(force=False):
        now = time.monotonic()
        if bar is not None:
            bar.refresh()
        elif force or now - last_line[0] >= PROGRESS_EVERY:  # a line at least every 10 s
            last_line[0] = now
            log(progress_line(report.examples, config.max_examples, len(triage.families), now - began))

    first: dict[tuple[str, str], Drawn] = {}
    keep_going = (lambda: True) if deadline is None else (lambda: time.monotonic() < deadline)
    for drawn, result in pool.judged(cases, on_tick=tick, keep_going=keep_going):
        report.examples += 1
        report.op_draws.update(drawn.program.ops)
        _count(report, drawn.program, result)
        for verdict in result.failures:
            triage.add(verdict, result.primitives, drawn.program.id, drawn.program.source)
        if result.failures:
            first.setdefault(_kind(result.failures[0]), drawn)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(failures=len(triage.families), refresh=False)
        tick(force=report.examples == 1)
        if result.failures and not config.report_multiple_bugs:
            break
    if deadline is not None and report.examples < config.max_examples:
        log(f"the --time-budget of {config.time_budget:g} s is spent: {report.examples} programs judged")
    return list(first.values())


def _count(report: FuzzReport, program, result: CheckResult) -> None:
    for verdict in result.verdicts:
        report.statuses[verdict.oracle, verdict.status] += 1
    for oracle, seconds in result.oracle_seconds:
        report.oracle_seconds[oracle] += seconds


def _kind(verdict: Verdict) -> tuple[str, str]:
    return verdict.oracle, verdict.error_type or ""


def _shrink(config: FuzzConfig, report: FuzzReport, triage: Triage, checker, strategy, failing: list[Drawn],
            began: float, log) -> list[OracleFailure]:
    """Hypothesis shrinks each failing program: its bytes go into an example database (through
    ``fuzz_one_input``, which judges it once more and saves it because it fails), and a run that
    only reuses the database and shrinks does the rest, each kind of failure separately."""
    database = InMemoryExampleDatabase()
    last_line = [time.monotonic()]

    @given(**example_arguments(strategy))
    @settings(max_examples=max(2, len(failing)), deadline=None, database=database, verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=config.report_multiple_bugs,
              phases=(Phase.reuse, Phase.shrink), print_blob=False)
    @hypothesis_seed(report.seed)  # below @settings, so that its database stays: shrinking is seeded too
    def property_holds(program, input_seed):
        case = Case.from_program(program, config.oracles, input_seed)
        result = checker.check(case)
        report.shrink_examples += 1
        _count(report, program, result)
        now = time.monotonic()
        if now - last_line[0] >= PROGRESS_EVERY:
            last_line[0] = now
            log(f"shrinking: {report.shrink_examples} candidates judged ({now - began:.0f} s)")
        failures = result.failures
        for verdict in failures:
            triage.add(verdict, result.primitives, program.id, program.source)
        if failures:
            raise failure_type(failures[0])(failures[0], program, case, result)

    replayed = 0
    for drawn in failing:
        try:
            property_holds.hypothesis.fuzz_one_input(drawn.buffer)
        except OracleFailure:
            replayed += 1
        else:  # judged again, it passed: a flaky failure (a hang near the timeout, say) stays in triage
            log(f"program {drawn.index} ({drawn.program.id}) did not fail when judged again; it is not shrunk")
    if not replayed:
        return []
    try:
        property_holds()
    except BaseException as error:  # noqa: BLE001 - sorted below: ours are kept, others re-raised
        shrunk = _oracle_failures(error)
        if not shrunk:
            raise
        return shrunk
    return []


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
