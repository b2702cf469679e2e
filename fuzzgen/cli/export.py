"""`fuzzgen export`: write records in another layout, such as the seed dataset's."""
from __future__ import annotations

from pathlib import Path

from .common import EXIT_OK, file_errors_as_usage


def add_parser(subparsers) -> None:
    from ..dataset.export import FORMATS

    formats = "; ".join(f"{name}: {f.description}" for name, f in sorted(FORMATS.items()))
    p = subparsers.add_parser(
        "export", help="convert sample or corpus JSONL into another layout (e.g. the seed dataset's)",
        description="Read the records of IN (a `fuzzgen sample` file or a corpus) and write them to OUT in "
                    f"another layout. Formats: {formats}. OUT is written beside itself and moved into place "
                    "when whole; the first bad record stops the export and leaves OUT as it was.",
    )
    p.add_argument("source", type=Path, metavar="IN", help="sample or corpus JSONL file to read")
    p.add_argument("out", type=Path, metavar="OUT", help="file to write (a directory for parquet)")
    p.add_argument("--format", required=True, choices=sorted(FORMATS), metavar="FORMAT",
                   help=f"output layout, one of: {', '.join(sorted(FORMATS))}")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..dataset.export import export_records

    with file_errors_as_usage():
        summary = export_records(args.source, args.out, args.format, force=args.force)
    print(summary)
    return EXIT_OK
