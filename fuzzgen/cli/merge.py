"""`fuzzgen merge`: join shard files into one file, identical to the unsharded run."""
from __future__ import annotations

from pathlib import Path

from .common import EXIT_OK


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "merge", help="join shard files from `sample --shard` into one file",
        description="Join the shard files of one `fuzzgen sample --shard I/N` run, in shard order, into OUT: "
                    "byte-identical to the unsharded run. Refuses shards of different runs, duplicates and gaps.",
    )
    p.add_argument("out", type=Path, metavar="OUT", help="merged output file")
    p.add_argument("shards", type=Path, nargs="+", metavar="SHARD_FILE", help="the shard files, in any order")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..sample.merge import merge_shards

    records = merge_shards(args.out, args.shards, force=args.force)
    print(f"merged {len(args.shards)} shards into {args.out}: {records} records")
    return EXIT_OK
