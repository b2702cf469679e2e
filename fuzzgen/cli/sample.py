"""`fuzzgen sample`: write Python -> IR training records as JSONL."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..grammar import ALL_CATEGORY_NAMES, CATEGORY_NAMES, MIX_NAMES, MODEL_CATEGORY_NAMES, mix, mix_categories_and_weights
from ..ir import ALL_IR_KINDS, IR_KINDS
from .common import (EXIT_FOUND, EXIT_OK, UsageError, bounded_int, comma_list, load_plugins_or_fail,
                     positive_float)

DEFAULT_OUT = "fuzzgen-samples.jsonl"


def shard_spec(text: str):
    from ..sample.run import Shard

    index, slash, count = text.partition("/")
    try:
        if not slash:
            raise ValueError
        return Shard(int(index), int(count))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard {text!r} is not I/N with 0 <= I < N, e.g. 0/4") from None


def split_spec(text: str):
    from ..sample.draw import validate_splits

    pairs = []
    try:
        for item in text.split(","):
            name, equals, share = item.partition("=")
            if not equals:
                raise ValueError(f"{item!r} is not NAME=SHARE")
            pairs.append((name.strip(), float(share)))
        validate_splits(pairs)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--split {text!r}: {error}; e.g. train=0.98,valid=0.01,test=0.01") from None
    return tuple(pairs)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "sample", help="write Python->IR training records (JSONL)",
        description="Draw valid JAX programs and write each, with its forward and gradient IR, as one JSON line. "
                    "Record i is a pure function of (--seed, i): reruns, worker counts and shards give the same bytes.",
    )
    p.add_argument("--n", type=bounded_int("--n", 1, 100_000_000), default=100, metavar="N",
                   help="number of records to draw (default: 100)")
    p.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), metavar="PATH",
                   help=f"output JSONL file (default: {DEFAULT_OUT}); written as PATH.partial and renamed when whole")
    p.add_argument("--seed", type=bounded_int("--seed", 0, 2**63 - 1), default=0, metavar="S",
                   help="seed; the same seed and versions give byte-identical output (default: 0)")
    p.add_argument("--ir", type=comma_list(ALL_IR_KINDS, "--ir"), default=IR_KINDS, metavar="LIST",
                   help=f"IR kinds to store, comma-separated, from {','.join(ALL_IR_KINDS)} "
                        f"(default: {','.join(IR_KINDS)}; hlo_opt is XLA's optimized CPU HLO, stablehlo_export "
                        "is jax.export's StableHLO for cpu, cuda and tpu at once)")
    p.add_argument("--io", action="store_true",
                   help="also store execution data: the seed that regenerates the inputs, and the forward outputs "
                        "and gradients (values up to 64 elements, else sha256 and statistics)")
    drawn = p.add_mutually_exclusive_group()
    drawn.add_argument("--categories", type=comma_list(ALL_CATEGORY_NAMES, "--categories"), default=None,
                       metavar="LIST", help="program categories, comma-separated, drawn equally often "
                       f"(default: the ten: {','.join(CATEGORY_NAMES)}; opt-in: control_flow (lax.cond, switch, "
                       "fori_loop, scan, while_loop), vmap (programs under jax.vmap) and the model-code "
                       f"categories {','.join(MODEL_CATEGORY_NAMES)})")
    drawn.add_argument("--mix", choices=MIX_NAMES, default=None,
                       help="a named mix of categories with shares: seed (the default ten at 10%% each) or "
                            f"realistic ({describe_mix('realistic')})")
    p.add_argument("--workers", type=bounded_int("--workers", 0, 256), default=os.cpu_count() or 1, metavar="K",
                   help="worker processes (default: the number of cores); 0 runs in this process without "
                        "crash isolation")
    p.add_argument("--timeout", type=positive_float("--timeout"), default=60.0, metavar="SECONDS",
                   help="a sample running longer is logged as failed and skipped (default: 60)")
    p.add_argument("--shard", type=shard_spec, default=None, metavar="I/N",
                   help="write only shard I of N: the contiguous indices [n*I//N, n*(I+1)//N); "
                        "`fuzzgen merge` joins the shards")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    mode.add_argument("--resume", action="store_true",
                      help="continue an interrupted run with the same arguments (starts it if absent)")
    p.add_argument("--dedup", action="store_true",
                   help="skip records whose canonical program (variables renamed, literals normalized) appeared at "
                        "an earlier index; deterministic for any worker count, shard split and resume")
    p.add_argument("--split", type=split_spec, default=(), metavar="NAME=SHARE,...",
                   help="assign each record a split in meta.split by its canonical hash, e.g. "
                        "train=0.98,valid=0.01,test=0.01: renamed copies of a program always share a split")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE, which registers extra ops (fuzzgen.grammar.plugins.register), in this process "
                        "and every worker, so that its ops are drawn into the dataset; repeatable. Records name it in "
                        "meta.plugins; replay and validate them with the same flag")
    p.add_argument("--max-failures", type=bounded_int("--max-failures", 0), default=0, metavar="K",
                   help="exit status 1 when more than K samples failed (they are logged and skipped either way; "
                        "default: 0, so any failure is a non-zero exit). Exit status: 0 done, 1 too many failed "
                        "samples, 2 bad arguments or files, 130/143 interrupted")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_ray_arguments(p)
    p.set_defaults(handler=run, resume_hint=True)


def describe_mix(name: str) -> str:
    """``layer 12.5%, norm 8.3%, ...``: a mix's shares, for --help (argparse needs %% for %)."""
    shares = mix(name)
    total = sum(weight for _, weight in shares)
    return ", ".join(f"{category} {100 * weight / total:.1f}%%" for category, weight in shares)


def categories_and_weights(args) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """What ``--categories`` or ``--mix`` asks for: the categories and their weights (none:
    equal shares). ``--mix seed`` is the default ten, exactly as no flag at all."""
    if args.categories is not None:
        return tuple(args.categories), ()
    if args.mix is None or args.mix == "seed":
        return CATEGORY_NAMES, ()
    return mix_categories_and_weights(args.mix)


def run(args) -> int:
    from ..sample.progress import Progress
    from ..sample.run import run_sample
    from ..sample.draw import SampleConfig

    load_plugins_or_fail(args.plugin)
    categories, weights = categories_and_weights(args)
    args.categories = categories
    config = SampleConfig(seed=args.seed, ir=args.ir, categories=categories, io=args.io, weights=weights,
                          splits=args.split, dedup=args.dedup, plugins=tuple(dict.fromkeys(args.plugin)))
    total = len(args.shard.range(args.n)) if args.shard else args.n
    failures_file = f"{args.out}.failures.jsonl"
    if args.engine == "ray":
        args.out, summary = run_on_ray(args, config, Progress(args.n, quiet=args.quiet))
        failures_file = f"{args.out}/shard-*.failures.jsonl"
    else:
        if args.ray_address is not None or args.shard_size is not None:
            raise UsageError("--ray-address and --shard-size need --engine ray")
        summary = run_sample(
            args.out, args.n, config, force=args.force, resume=args.resume, shard=args.shard,
            workers=args.workers, timeout=args.timeout, progress=Progress(total, quiet=args.quiet),
        )
    if summary.already_complete:
        print(f"{args.out} is already complete ({summary.records} records); nothing to do")
        return EXIT_OK
    resumed = f", resumed after {summary.resumed_from}" if summary.resumed_from else ""
    print(f"wrote {summary.records} records to {args.out} in {summary.seconds:.1f} s "
          f"({summary.rate:.1f} records/s{resumed}); {summary.failures} failed"
          + (f", see {failures_file}" if summary.failures else ""))
    dedup = f"; {summary.skipped_duplicates} skipped (--dedup)" if args.dedup else ""
    print(f"duplicate rate {100 * summary.duplicate_rate:.2f}% "
          f"({summary.duplicates} canonical duplicates of earlier programs{dedup})")
    width = max(len(c) for c in ALL_CATEGORY_NAMES)
    for category in args.categories:
        count = summary.per_category.get(category, 0)
        share = 100.0 * count / summary.records if summary.records else 0.0
        print(f"  {category:<{width}}  {count:>8}  {share:5.1f}%")
    if args.engine == "local":  # Ray's shard results do not carry the ops drawn (yet)
        print_plugin_draws(config.plugins, summary.plugin_draws, summary.records - summary.resumed_from)
    if summary.failures > args.max_failures:
        print(f"fuzzgen: {summary.failures} samples failed, more than --max-failures {args.max_failures}; exit status 1",
              file=sys.stderr)
        return EXIT_FOUND
    return EXIT_OK


# --- --engine ray (issue 8): its flags and the branch that calls fuzzgen/pipeline/ray_engine.py ---
DEFAULT_RAY_OUT = "fuzzgen-samples"


def add_ray_arguments(p) -> None:
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: this machine's worker processes (default); ray: shards run as Ray tasks and "
                        f"--out is a directory (default: {DEFAULT_RAY_OUT}/) of shard-NNNNN.jsonl files and a "
                        "manifest.json; rerunning the same command continues it (needs pip install 'fuzzgen[ray]')")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="with --engine ray: the cluster to use, e.g. 10.0.0.1:6379 from `ray start --head` "
                        "(default: $RAY_ADDRESS, else a local Ray instance with --workers CPUs)")
    p.add_argument("--shard-size", type=bounded_int("--shard-size", 1, 100_000_000), default=None, metavar="R",
                   help="with --engine ray: indices per shard and Ray task (default: 500)")


def run_on_ray(args, config, progress):
    """Run ``fuzzgen sample --engine ray``; returns (the output directory, the Summary)."""
    from ..sample.ray.engine import DEFAULT_SHARD_SIZE, run_ray_sample

    if args.shard is not None:
        raise UsageError("--shard is for the local engine; --engine ray shards the run itself (see --shard-size)")
    out = Path(DEFAULT_RAY_OUT) if args.out == Path(DEFAULT_OUT) else args.out
    return out, run_ray_sample(
        out, args.n, config, shard_size=args.shard_size or DEFAULT_SHARD_SIZE, address=args.ray_address,
        num_cpus=max(1, args.workers), force=args.force, timeout=args.timeout, progress=progress,
    )


def print_plugin_draws(plugins, draws, records: int) -> None:
    """How often each plugin op was drawn: a plugin whose ops never appear is worth knowing about."""
    if not plugins:
        return
    from ..grammar.plugins import load_plugin

    for plugin in plugins:
        for op in load_plugin(plugin):
            share = 100.0 * draws.get(op, 0) / records if records else 0.0
            print(f"plugin {plugin}: op {op} drawn in {draws.get(op, 0)} of {records} records ({share:.1f}%)")
