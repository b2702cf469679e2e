"""`fuzzgen replay`: re-lower a corpus and say, case by case, whether its IR is still the same."""
from __future__ import annotations

import sys
from pathlib import Path

from .common import bounded_int, file_errors_as_usage, load_plugins_or_fail, positive_float, shown


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "replay", help="re-lower corpus cases and compare their IR with what is stored",
        description="Re-lower every case in PATH (JSONL files, or directories of *.jsonl: corpus cases or "
                    "`fuzzgen sample` output) with the installed JAX and compare each stored IR text or sha256. "
                    "Sources are checked against the grammar before anything runs. Prints same / changed / "
                    "rejected / error per case. Exit status: 0 all same, 1 any changed, rejected or error, "
                    "2 bad input.",
    )
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="corpus or sample JSONL files, or "
                   "directories holding *.jsonl files")
    p.add_argument("--diff", action="store_true",
                   help="print a unified diff of each changed IR text whose old text is stored")
    p.add_argument("--update", action="store_true",
                   help="after a deliberate JAX upgrade: rewrite the stored hashes, texts and versions of changed "
                        "cases; each file is replaced atomically, only if the whole run read cleanly and the file "
                        "holds no rejected or failed case")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE, which registers extra ops, before checking any case: for fuzz cases "
                        "found with --plugin (their finding.plugins names it); repeatable")
    p.add_argument("--timeout", type=positive_float("--timeout"), default=120.0, metavar="SECONDS",
                   help="each case is lowered in an isolated worker within this budget; one that overruns or "
                        "crashes the worker is an error for that case, not the end of the run (default: 120)")
    p.add_argument("--memory", type=bounded_int("--memory", 1024), default=8192, metavar="MB",
                   help="address-space budget of the isolated worker; a case asking for more is an error (default: 8192)")
    p.add_argument("--strict", action="store_true",
                   help="stop at the first malformed line or invalid case (default: report it as file:line, "
                        "skip it, replay the rest, and exit 2)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..records.corpus import running_versions
    from ..replay import Status, replay_paths

    load_plugins_or_fail(args.plugin)
    jax_version = running_versions()["jax_version"]

    def show(result) -> None:
        case = result.case
        detail = ", ".join(c.label for c in result.changes) or result.message
        line = f"{result.status:<8}  {case.where}  {case.function_name} [{case.id}]" + (f": {detail}" if detail else "")
        print(shown(line), flush=True)
        if args.diff:
            for change in result.changes:
                sys.stdout.write(change.diff(jax_version))

    def complain(problem) -> None:
        print(shown(f"fuzzgen: error: {problem}; skipped"), file=sys.stderr, flush=True)

    with file_errors_as_usage():
        report = replay_paths(args.paths, strict=args.strict, update=args.update, on_result=show,
                              on_problem=complain, timeout=args.timeout, plugins=tuple(args.plugin),
                              memory_mb=args.memory)
    counts = ", ".join(f"{report.counts[s]} {s}" for s in Status)
    versions = running_versions()
    print(f"replayed {report.cases} cases from {len(report.files)} file(s) with jax {versions['jax_version']} / "
          f"jaxlib {versions['jaxlib_version']}: {counts}"
          + (f"; {len(report.problems)} bad line(s) skipped" if report.problems else ""))
    if report.other_versions:
        stored = ", ".join(f"{v} ({n})" for v, n in sorted(report.other_versions.items()))
        print(f"note: cases stored with another JAX ({stored}); after a deliberate upgrade, --update records "
              "the new IR")
    if args.update:
        print(update_summary(report))
    return report.exit_status


def update_summary(report) -> str:
    if report.problems:
        return "--update: nothing written, because of the bad lines above"
    parts = []
    if report.updated:
        parts.append(f"rewrote {', '.join(map(str, report.updated))}")
    if report.kept:
        parts.append(f"left {', '.join(map(str, report.kept))} as it was (it holds rejected or failed cases)")
    return "--update: " + ("; ".join(parts) or "nothing to rewrite")
