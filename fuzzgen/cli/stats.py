"""`fuzzgen stats`: what a record file holds, as a report, JSON, or PNG charts."""
from __future__ import annotations

from pathlib import Path

from .common import EXIT_OK, UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "stats", help="counts, distributions and duplicates of a JSONL record file",
        description="Report records per category, arguments per dtype and rank, the primitive histogram, "
                    "statements per program, IR lengths (characters, lines, tokens) per IR kind and direction, "
                    "the duplicate rate by canonical hash, and split counts. Tokens: identifiers, numbers and "
                    "single punctuation characters (fuzzgen.dataset.stats.TOKEN_PATTERN), the same for every IR. "
                    "Malformed lines are skipped and counted unless --strict.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="a JSONL file written by `fuzzgen sample`")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON instead of the report")
    p.add_argument("--plot", type=Path, metavar="DIR",
                   help="also write PNG charts into DIR (needs pip install 'fuzzgen[plot]'); refuses to "
                        "replace existing charts unless --force, and never writes through a symbolic link")
    p.add_argument("--force", action="store_true", help="with --plot: replace chart files that already exist")
    p.add_argument("--strict", action="store_true", help="fail on the first malformed line instead of skipping it")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..dataset.stats import collect_stats, format_json, format_text

    if args.plot is not None:  # fail on a missing extra or a bad DIR before reading a large file
        from ..extras import require
        from ..dataset.plots import check_plot_directory

        require("matplotlib", "plot", "--plot")
        check_plot_directory(args.plot, force=args.force)
    stats = collect_stats(args.file, strict=args.strict)
    print(format_json(stats) if args.json else format_text(stats))
    if args.plot is not None:
        from ..dataset.plots import write_plots

        try:
            written = write_plots(stats, args.plot, force=args.force)
        except OSError as error:
            raise UsageError(f"cannot write charts to {args.plot}: {error.strerror or error}") from None
        if not args.json:  # keep --json output a single JSON document
            print(f"wrote {len(written)} charts to {args.plot}: {', '.join(p.name for p in written)}")
    return EXIT_OK
