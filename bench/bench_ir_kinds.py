"""What each IR kind (and --io) costs per sample, measured on the same programs in one run.

Run:  JAX_PLATFORMS=cpu python bench/bench_ir_kinds.py [--programs 60] [--rounds 3]

Configurations are interleaved round by round on fresh Program objects (so no JAX cache carries
over); each kind's cost is the difference between two configurations that differ only by it,
and every figure is also given as a ratio to the default set (jaxpr, stablehlo, hlo).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

from fuzzgen.sample.draw import SampleConfig, make_record, program_for_index  # noqa: E402

DEFAULT = ("jaxpr", "stablehlo", "hlo")
CONFIGS = {
    "jaxpr": (("jaxpr",), False),
    "jaxpr+stablehlo": (("jaxpr", "stablehlo"), False),
    "default": (DEFAULT, False),
    "default+hlo_opt": (DEFAULT + ("hlo_opt",), False),
    "default+stablehlo_export": (DEFAULT + ("stablehlo_export",), False),
    "default+io": (DEFAULT, True),
}
MARGINAL = {
    "jaxpr (trace both directions)": ("jaxpr", None),
    "stablehlo": ("jaxpr+stablehlo", "jaxpr"),
    "hlo": ("default", "jaxpr+stablehlo"),
    "hlo_opt": ("default+hlo_opt", "default"),
    "stablehlo_export": ("default+stablehlo_export", "default"),
    "--io": ("default+io", "default"),
}


def time_config(ir, io, count) -> float:
    config = SampleConfig(seed=0, ir=ir, io=io)
    programs = [(i, program_for_index(config, i)) for i in range(count)]
    jax.clear_caches()
    began = time.perf_counter()
    for index, program in programs:
        json.dumps(make_record(config, index, program))
    return (time.perf_counter() - began) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for ir, io in CONFIGS.values():  # warm-up
        time_config(ir, io, 10)
    times = {name: [] for name in CONFIGS}
    for _ in range(args.rounds):
        for name, (ir, io) in CONFIGS.items():
            times[name].append(time_config(ir, io, args.programs))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"jax {jax.__version__}, {os.cpu_count()} cores, {args.programs} programs x {args.rounds} rounds")
    print(f"default set (jaxpr, stablehlo, hlo): {median['default'] * 1000:.1f} ms/sample")
    for label, (with_it, without) in MARGINAL.items():
        cost = median[with_it] - (median[without] if without else 0.0)
        print(f"  {label:<30} {cost * 1000:7.1f} ms/sample  ({cost / median['default']:.2f}x the default set)")


if __name__ == "__main__":
    main()
