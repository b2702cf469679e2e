"""Replay a corpus: re-lower every case with today's JAX and compare with what the case stores.

Each case comes out `same`, `changed` (some IR text or hash differs), `rejected` (its source is
not a grammar program, so it was never exec'd) or `error` (lowering raised). ``update`` rewrites
the stored hashes, texts and versions after a deliberate JAX upgrade: each file is rewritten
beside itself and renamed over the original only once the whole run read cleanly, and a file
holding a rejected or failed case is left exactly as it was.
"""
from __future__ import annotations

import difflib
import enum
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .grammar.plugins import loaded_plugins
from .ir import DIRECTIONS
from .lowering.lower import LoweredProgram, lower_spec, prepare_worker
from .trust import UntrustedSourceError
from .workers import IsolatedCalls
from .records.corpus import Case, parse_case, running_versions, sha256_text, updated_record
from .records.jsonl import ReadStats, RecordError, expand_paths, iter_record_lines
from .records.atomic import StagedFile


class Status(str, enum.Enum):
    SAME = "same"
    CHANGED = "changed"
    REJECTED = "rejected"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Change:
    """One IR text that no longer matches. A text of None is a backward that does not exist."""

    kind: str
    direction: str
    new: str | None
    stored: str | None = None
    text_stored: bool = False  # False where the case stores only the text's hash

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.direction}"

    def diff(self, jax_version: str) -> str:
        if not self.text_stored:
            return f"({self.label}: only its sha256 is stored, so there is no diff to show)\n"
        if self.stored == self.new:
            return f"({self.label}: the stored text is today's; only its stored sha256 differs)\n"
        lines = difflib.unified_diff(
            (self.stored or "").splitlines(keepends=True), (self.new or "").splitlines(keepends=True),
            fromfile=f"stored {self.label}", tofile=f"jax {jax_version} {self.label}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class CaseResult:
    case: Case
    status: Status
    changes: tuple[Change, ...] = ()
    message: str = ""
    lowered: LoweredProgram | None = None


def replay_case(case: Case) -> CaseResult:
    """Check, lower and compare one case; never raises for anything the case holds."""
    try:
        lowered = lower_spec(case.checked_spec(), case.kinds)
    except UntrustedSourceError as error:
        return CaseResult(case, Status.REJECTED, message=str(error) + _plugin_hint(case))
    except Exception as error:  # noqa: BLE001 - JAX raises many types; each is this case's failure
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return CaseResult(case, Status.ERROR, message=f"{type(error).__name__}: {first}"[:300])
    changes = tuple(compare(case, lowered))
    return CaseResult(case, Status.CHANGED if changes else Status.SAME, changes, lowered=lowered)


def _plugin_hint(case: Case) -> str:
    """Why a fuzz case that calls a plugin's ops is rejected: that plugin is not loaded."""
    missing = [name for name in case.plugins if name not in loaded_plugins()]
    if not missing:
        return ""
    flags = " ".join(f"--plugin {name}" for name in missing)
    return f" (the case was found with plugin {', '.join(missing)}: replay with {flags})"


def compare(case: Case, lowered: LoweredProgram):
    for kind in case.kinds:
        for direction in DIRECTIONS:
            new = lowered.ir[kind][direction]
            texts, hashes = case.texts.get(kind, {}), case.hashes.get(kind, {})
            if (direction in texts and texts[direction] != new) or (
                    direction in hashes and hashes[direction] != sha256_text(new)):
                yield Change(kind, direction, new, texts.get(direction), direction in texts)


@dataclass
class ReplayReport:
    files: list[Path] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    problems: list[RecordError] = field(default_factory=list)
    other_versions: Counter = field(default_factory=Counter)  # stored jax versions unlike the running one
    updated: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # files --update left alone: rejected/failed cases

    @property
    def cases(self) -> int:
        return sum(self.counts.values())

    @property
    def exit_status(self) -> int:
        if self.problems:
            return 2
        return 0 if self.counts[Status.SAME] == self.cases else 1


def replay_paths(
    paths, *, strict: bool = False, update: bool = False,
    on_result: Callable[[CaseResult], None] | None = None,
    on_problem: Callable[[RecordError], None] | None = None,
    timeout: float | None = None, plugins: tuple[str, ...] = (), memory_mb: int | None = 8192,
) -> ReplayReport:
    """Replay every case in ``paths`` (files, or directories of ``*.jsonl``).

    A malformed line or invalid record raises `RecordError` when ``strict``; otherwise it is
    reported to ``on_problem``, counted, and skipped (and then ``update`` writes nothing).
    Unreadable paths, empty files and non-UTF-8 files raise `RecordError` either way. With a
    ``timeout``, each case is lowered in an isolated worker (with ``plugins`` loaded) within that
    many seconds: a case that overruns or kills the worker is an ``error``, not the end.
    """
    if timeout is None:
        return _replay_all(paths, strict, update, on_result, on_problem, replay_case)
    with IsolatedCalls(replay_case, timeout=timeout, memory_mb=memory_mb, setup=prepare_worker,
                       setup_args=(tuple(plugins),)) as isolated:
        def replay_isolated(case: Case) -> CaseResult:
            ok, payload = isolated(case)
            return payload if ok else CaseResult(case, Status.ERROR, message=payload)

        return _replay_all(paths, strict, update, on_result, on_problem, replay_isolated)


def _replay_all(paths, strict, update, on_result, on_problem, replay) -> ReplayReport:
    report = ReplayReport(files=expand_paths(paths))
    staged: list[StagedFile] = []  # every file being rewritten; discarded unless committed
    ready: list[StagedFile] = []  # those whose cases all lowered and some line changed
    try:
        for path in report.files:
            sink = StagedFile(path) if update else None
            if sink is not None:
                staged.append(sink)  # before writing to it, so that any exception discards it
            clean, dirty = _replay_file(path, report, strict, sink, on_result or _ignore, on_problem or _ignore,
                                        replay)
            if sink is not None and not clean:
                report.kept.append(path)
            elif sink is not None and dirty:
                ready.append(sink)
        if not report.problems:
            for sink in ready:
                sink.commit()
                report.updated.append(sink.destination)
    finally:
        for sink in staged:
            sink.discard()
    return report


def _replay_file(path: Path, report: ReplayReport, strict: bool, sink: StagedFile | None,
                 on_result, on_problem, replay=None) -> tuple[bool, bool]:
    """Replay one file, writing its updated lines to ``sink``; returns (no case rejected or
    failed, some line needs rewriting)."""
    stats = ReadStats()
    clean, dirty = True, False
    handle = sink.open() if sink is not None else None
    try:
        for number, text, obj in iter_record_lines(path, strict=strict, stats=stats):
            _take_problems(stats, report, on_problem)
            try:
                case = parse_case(path, number, obj)
            except RecordError as problem:
                if strict:
                    raise
                report.problems.append(problem)
                on_problem(problem)
                continue
            result = (replay or replay_case)(case)
            report.counts[result.status] += 1
            stored_version = case.versions.get("jax_version")
            if stored_version and stored_version != running_versions()["jax_version"]:
                report.other_versions[stored_version] += 1
            on_result(result)
            clean = clean and result.status in (Status.SAME, Status.CHANGED)
            if handle is not None:
                rewrite = result.lowered is not None and bool(result.changes or case.stale_versions)
                dirty = dirty or rewrite
                line = json.dumps(updated_record(case, result.lowered), ensure_ascii=False) if rewrite else text
                handle.write(line if line.endswith("\n") else line + "\n")
        _take_problems(stats, report, on_problem)
    finally:
        if handle is not None:
            handle.close()
    return clean, dirty


def _take_problems(stats: ReadStats, report: ReplayReport, on_problem) -> None:
    """Move problems found so far in this file into the report, telling ``on_problem`` of each."""
    while stats.problems:
        problem = stats.problems.pop(0)
        report.problems.append(problem)
        on_problem(problem)


def _ignore(_) -> None:
    pass
