"""`fuzzgen fuzz`: hunt JAX/XLA bugs with the oracles as Hypothesis properties; shrink what fails."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..grammar.categories import ALL_CATEGORY_NAMES, EXTRA_CATEGORY_NAMES, MIX_NAMES
from ..oracles import ORACLE_NAMES
from .common import (EXIT_FOUND, EXIT_OK, UsageError, bounded_int, comma_list, duration, load_plugins_or_fail,
                     positive_float)

# Not ./corpus: run from a clone, that is the project's own regression corpus, which findings
# must not mix with unless asked for (--corpus corpus).
DEFAULT_CORPUS = "fuzzgen-findings"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "fuzz", help="fuzz JAX with oracles; shrink failures into corpus cases",
        description="Draw programs from the grammar and judge each with the oracles, K at once, each in an isolated "
                    "worker (a segfault or hang is a finding). The first program of each kind of failure is shrunk "
                    "by Hypothesis and reduced by fuzzgen to a minimal program, printed, and written to "
                    "CORPUS/findings.jsonl. The same seed finds the same failures for any --workers. Exit status: "
                    "1 if anything failed, 0 if not, 2 on bad arguments, 130/143 interrupted (the report so far is "
                    f"printed). Oracles: {', '.join(ORACLE_NAMES)}.",
    )
    p.add_argument("--max-examples", type=bounded_int("--max-examples", 1, 10_000_000), default=100, metavar="N",
                   help="programs to judge before stopping, not counting shrinking (default: 100)")
    p.add_argument("--time-budget", type=duration("--time-budget"), default=None, metavar="DURATION",
                   help="stop drawing programs after this long (90, 90s, 15m, 2h), or at --max-examples if that "
                        "comes first; shrinking what was found follows (bound it with --shrink-seconds). Which "
                        "programs fit in the budget depends on the machine's speed (default: no budget)")
    p.add_argument("--workers", type=bounded_int("--workers", 1, 256), default=os.cpu_count() or 1, metavar="K",
                   help="programs judged at once, each in a worker process of its own (default: the number of "
                        f"cores, {os.cpu_count() or 1} here)")
    p.add_argument("--oracles", type=comma_list(ORACLE_NAMES, "--oracles"), default=ORACLE_NAMES, metavar="LIST",
                   help=f"comma-separated oracles to run (default: all: {','.join(ORACLE_NAMES)})")
    drawn = p.add_mutually_exclusive_group()
    drawn.add_argument("--categories", type=comma_list(ALL_CATEGORY_NAMES, "--categories"), default=None,
                       metavar="LIST", help="aim the run at these program categories, comma-separated, drawn "
                       f"equally often (default: the ten of the default mix; also: {', '.join(EXTRA_CATEGORY_NAMES)})")
    drawn.add_argument("--mix", choices=MIX_NAMES, default=None,
                       help="draw from a named mix of categories with its shares, as `fuzzgen sample --mix` "
                            "does: seed (the default ten) or realistic (model code: layers, norms, attention, "
                            "losses, optimizer updates, training steps)")
    p.add_argument("--ops", type=op_names, default=None, metavar="NAMES",
                   help="aim the run at these ops (op record names, comma-separated; plugins' too): every program "
                        "calls at least one of them, and they are picked 32 times as often wherever the grammar "
                        "chooses an op. Drawn from every category, the opt-in ones too, unless --categories narrows "
                        "it (default: no aim)")
    p.add_argument("--seed", type=bounded_int("--seed", 0, 2**63 - 1), default=0, metavar="S",
                   help="the run's seed: program i is drawn from (seed, i), so the same seed, versions and plugins judge "
                        "the same programs and shrink them the same way (default: 0)")
    p.add_argument("--corpus", type=Path, default=Path(DEFAULT_CORPUS), metavar="DIR",
                   help=f"directory for shrunk failing cases (default: {DEFAULT_CORPUS}/)")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE, which registers extra ops with fuzzgen.grammar.plugins.register; repeatable")
    p.add_argument("--timeout", type=positive_float("--timeout"), default=60.0, metavar="SECONDS",
                   help="a program whose oracles run longer is a finding (a hang) (default: 60)")
    p.add_argument("--shrink-seconds", type=positive_float("--shrink-seconds"), default=None, metavar="SECONDS",
                   help="stop shrinking a failure after this long and report it as it is then (default: no "
                        "limit, so the minimal program depends only on the seed and versions)")
    p.add_argument("--no-reduce", dest="reduce", action="store_false",
                   help="report Hypothesis' shrunk program as it is, without fuzzgen's reducer (which removes "
                        "statements, operands, arguments and dimensions Hypothesis cannot)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..fuzz.driver import FuzzConfig, FuzzReport, run_fuzz

    if args.corpus.exists() and not args.corpus.is_dir():
        raise UsageError(f"--corpus {args.corpus} is a file; give a directory")
    load_plugins_or_fail(args.plugin)
    options = {"categories": args.categories} if args.categories else {"mix": args.mix} if args.mix else {}
    if args.ops:
        options["ops"] = check_op_names(args.ops)
    config = FuzzConfig(max_examples=args.max_examples, oracles=args.oracles, seed=args.seed, corpus=args.corpus,
                        plugins=tuple(args.plugin), timeout=args.timeout, shrink_seconds=args.shrink_seconds,
                        reduce=args.reduce, workers=args.workers, time_budget=args.time_budget,
                        strategy_options=options)
    bar = None
    if not args.quiet and sys.stderr.isatty():  # a bar on a terminal; plain lines every 10 s otherwise
        from tqdm import tqdm

        bar = tqdm(total=config.max_examples, unit="prog", desc="fuzzing", file=sys.stderr, dynamic_ncols=True,
                   smoothing=0.1)

    def log(message: str) -> None:
        if args.quiet:
            return
        if bar is not None:
            bar.write(message, file=sys.stderr)  # above the bar, which stays at the bottom
        else:
            print(message, file=sys.stderr, flush=True)

    report = FuzzReport()
    try:
        run_fuzz(config, log=log, bar=bar, report=report)
    except BaseException:  # Ctrl-C or SIGTERM: the report so far, then main's one line and exit status
        if bar is not None:
            bar.close()
        if not isinstance(sys.exc_info()[1], Exception):
            print_report(report, config, interrupted=True)
        raise
    print_report(report, config)
    return EXIT_FOUND if report.found else EXIT_OK


def op_names(text: str) -> tuple[str, ...]:
    """``--ops``' syntax; the names are checked by `check_op_names` once plugins are loaded."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",")))
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r} has an empty name; give op names separated by commas")
    return names


def check_op_names(names: tuple[str, ...]) -> tuple[str, ...]:
    from hypothesis.errors import InvalidArgument

    from ..strategies import check_op_names as check

    try:
        return check(names)
    except InvalidArgument as error:
        raise UsageError(f"--ops: {error}") from None


def _share_of_programs(report, op: str) -> str:
    drawn = report.op_draws.get(op, 0)
    share = 100.0 * drawn / report.examples if report.examples else 0.0
    return f"op {op} in {drawn} of {report.examples} programs ({share:.1f}%)"


def print_report(report, config, interrupted: bool = False) -> None:
    shrinking = f", {report.shrink_examples} more while shrinking" if report.shrink_examples else ""
    stopped = " before it was interrupted" if interrupted else ""
    print(f"judged {report.examples} programs{shrinking} in {report.seconds:.0f} s{stopped} (seed {report.seed}, "
          f"{config.workers} worker{'s' if config.workers > 1 else ''}), oracles: {','.join(config.oracles)}")
    total = sum(report.oracle_seconds.values()) or 1.0
    for oracle in config.oracles:
        counts = {status: report.statuses[oracle, status] for status in ("passed", "failed", "skipped")}
        seconds = report.oracle_seconds[oracle]
        print(f"  {oracle:<20} {counts['passed']:>6} passed {counts['failed']:>6} failed {counts['skipped']:>6} skipped"
              f" {seconds:>8.1f} s ({100 * seconds / total:4.1f}% of judging)")
    for plugin in config.plugins:
        from ..grammar.plugins import load_plugin

        for op in load_plugin(plugin):
            print(f"  plugin {plugin}: {_share_of_programs(report, op)}")
    for op in config.strategy_options.get("ops", ()):
        print(f"  --ops: {_share_of_programs(report, op)}")
    if not report.found:
        print("no failures found")
        return
    print(f"\n{len(report.families)} kind(s) of failure, by signature (oracle, error type, message, primitives):")
    for family in report.families:
        print(f"  [{family.signature.key}] x{family.count}  {family.oracle}: {family.error_type}: {family.message}")
        print(f"      primitives in every occurrence: {', '.join(sorted(family.primitives)) or '-'}")
    for number, finding in enumerate(report.findings, 1):
        print(f"\nminimal failing program {number} of {len(report.findings)}: {finding.verdict.oracle} "
              f"[{finding.signature.key}], seen {finding.count}x while fuzzing")
        print(f"  error: {finding.verdict.error}")
        if finding.shrunk is not None and finding.reduce_judged:
            print(f"  reduced from Hypothesis' {finding.shrunk.n_statements}-statement program "
                  f"({finding.reduce_judged} candidates judged)")
        print(f"  args: {', '.join(f'{a.name}: {a.dtype}{list(a.shape)}' for a in finding.program.args)}; "
              f"input seed {finding.case.input_seed}")
        print("\n" + finding.program.source)
        standalone = finding.record["finding"].get("reproducer", {})
        if "script" in standalone and finding.corpus_path is not None:
            shown_as = "reproduces the failure" if standalone["reproduced"] else "did NOT reproduce it (the oracle's " \
                "float64 judgement is finer than its plain tolerance)"
            print(f"  standalone reproducer (plain JAX): {finding.corpus_path.parent / ('reproducer-' + finding.record['id'] + '.py')}"
                  f"; it {shown_as}")
        elif "none" in standalone:
            print(f"  no standalone reproducer: {standalone['none']}")
        if finding.corpus_path is not None:
            plugin_flags = "".join(f" --plugin {name}" for name in config.plugins)
            print(f"  written to {finding.corpus_path} (id {finding.record['id']}); "
                  f"replay it with: fuzzgen replay {finding.corpus_path}{plugin_flags}")
