"""`fuzzgen validate`: check every IR text of every record, naming file:line and the check."""
from __future__ import annotations

import os
from pathlib import Path

from .common import EXIT_FOUND, EXIT_OK, EXIT_USAGE, bounded_int, load_plugins_or_fail, positive_float, shown


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "validate", help="check every IR text of every record in a JSONL file",
        description="Check each record: its python against the grammar (before any exec), its id, each jaxpr "
                    "against a fresh trace, each StableHLO text parsed with jaxlib's MLIR bindings and compiled on "
                    "CPU, each HLO text parsed by XLA's HLO parser and compiled on CPU, optimized HLO parsed, stored "
                    "execution data re-run, and a jax.export serialize/deserialize/call round trip on a sample. "
                    "Exit 1 naming file:line and the failed check; 0 when all pass.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="a JSONL file written by `fuzzgen sample`")
    p.add_argument("--roundtrip-every", type=bounded_int("--roundtrip-every", 0), default=10, metavar="K",
                   help="run the jax.export round trip on every K-th record (default: 10; 0: never)")
    p.add_argument("--workers", type=bounded_int("--workers", 1, 256), default=os.cpu_count() or 1, metavar="K",
                   help="worker processes (default: the number of cores)")
    p.add_argument("--timeout", type=positive_float("--timeout"), default=300.0, metavar="SECONDS",
                   help="each record is checked in an isolated worker within this budget; one that overruns or "
                        "crashes its worker fails the budget check, and the run goes on (default: 300)")
    p.add_argument("--memory", type=bounded_int("--memory", 1024), default=8192, metavar="MB",
                   help="address-space budget of each isolated worker; a record asking for more fails its check "
                        "(default: 8192)")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE, which registers extra ops, here and in every worker: for records drawn "
                        "with `fuzzgen sample --plugin` (their meta.plugins names it); repeatable")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..sample.progress import Progress
    from ..dataset.validate import validate_file

    load_plugins_or_fail(args.plugin)
    progress = Progress(total=None, quiet=args.quiet, description="validating")
    progress.start()
    try:
        report = validate_file(args.file, roundtrip_every=args.roundtrip_every, workers=args.workers,
                               on_record=progress.advance, plugins=tuple(args.plugin), timeout=args.timeout,
                               memory_mb=args.memory)
    finally:
        progress.close()
    for failure in report.failures:
        print(shown(str(failure)))
    checks = ", ".join(f"{name} x{count}" for name, count in sorted(report.checks.items()))
    if report.ok:
        print(f"{args.file}: {report.records} records valid ({checks})")
        return EXIT_OK
    print(f"{args.file}: {len(report.failures)} failed checks in {report.records} records ({checks})")
    # A line that is not a JSON object is bad input (2); a record whose IR fails a check is a finding (1).
    return EXIT_USAGE if any(failure.check == "json" for failure in report.failures) else EXIT_FOUND
