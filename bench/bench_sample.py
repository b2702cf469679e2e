"""Benchmark `fuzzgen sample` against bare JAX and a seed-style pipeline, on the same programs.

Run:  JAX_PLATFORMS=cpu python bench/bench_sample.py [--programs 150] [--rounds 3] [--memory 20000]

Everything is measured in one run and reported as ratios against a baseline measured alongside,
because this machine is shared and noisy. Methods are interleaved round by round and each gets
freshly exec'd functions, so no method profits from another's JAX caches.

(a) fuzzgen   : the per-sample work of `fuzzgen sample` (build record, lower, serialize JSON)
(b) bare JAX  : jit(f).trace once per direction, .lower(), as_text() and as_text(dialect="hlo")
(c) seed-style: make_jaxpr(f), jit(f).lower(...), make_jaxpr(grad_f), jit(grad_f).lower(...)
(d) throughput of the worker pool with 1 and 2 workers
(e) peak RSS after 2,000 and after --memory samples (in-process, caches cleared periodically)
(f) records/s of `--mix realistic` against the default mix, per sample, interleaved (--mix-programs)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from fuzzgen.lowering.lower import gradient_function  # noqa: E402
from fuzzgen.lowering.execution import abstract_inputs
from fuzzgen.trust.sandbox import load_function  # noqa: E402
from fuzzgen.sample.run import run_sample  # noqa: E402
from fuzzgen.sample.draw import SampleConfig, make_record, program_for_index  # noqa: E402
from fuzzgen.grammar import mix_categories_and_weights  # noqa: E402

CONFIG = SampleConfig(seed=0)
REALISTIC = SampleConfig(seed=0, **dict(zip(("categories", "weights"), mix_categories_and_weights("realistic"))))


def fuzzgen_way(programs):
    for index, program in programs:
        json.dumps(make_record(CONFIG, index, program))


def bare_jax_way(programs):
    for _, program in programs:
        f = load_function(program.spec.source)
        inputs = abstract_inputs(program.args)
        for function in (f, gradient_function(f, program.float_argnums)):
            traced = jax.jit(function).trace(*inputs)
            str(traced.jaxpr)
            lowered = traced.lower()
            lowered.as_text()
            lowered.as_text(dialect="hlo")


def seed_way(programs):
    for _, program in programs:
        f = load_function(program.spec.source)
        inputs = abstract_inputs(program.args)
        grad_f = jax.grad(lambda *xs: jnp.sum(f(*xs)), argnums=program.float_argnums)
        str(jax.make_jaxpr(f)(*inputs))
        lowered = jax.jit(f).lower(*inputs)
        lowered.as_text()
        lowered.as_text(dialect="hlo")
        str(jax.make_jaxpr(grad_f)(*inputs))
        lowered = jax.jit(grad_f).lower(*inputs)
        lowered.as_text()
        lowered.as_text(dialect="hlo")


def fresh(programs):
    """New Program objects for the same sources, so each method's functions are new to JAX."""
    return [(i, program_for_index(CONFIG, i)) for i, _ in programs]


def per_sample_costs(count: int, rounds: int) -> dict[str, float]:
    programs = [(i, program_for_index(CONFIG, i)) for i in range(count)]
    methods = {"fuzzgen": fuzzgen_way, "bare_jax": bare_jax_way, "seed_style": seed_way}
    for method in methods.values():  # warm-up: first-call costs of every op are not per-sample costs
        method(fresh(programs[:20]))
    times = {name: [] for name in methods}
    for _ in range(rounds):
        for name, method in methods.items():
            batch = fresh(programs)
            jax.clear_caches()
            began = time.perf_counter()
            method(batch)
            times[name].append((time.perf_counter() - began) / count)
    return {name: statistics.median(values) for name, values in times.items()}


def mix_costs(count: int, rounds: int) -> dict[str, float]:
    """Seconds per record (build, lower, serialize) of the default mix and of --mix realistic, on
    the first ``count`` indices of each, interleaved round by round."""
    configs = {"seed": CONFIG, "realistic": REALISTIC}
    times = {name: [] for name in configs}
    for name, config in configs.items():  # warm-up
        for index in range(20):
            json.dumps(make_record(config, index, program_for_index(config, index)))
    for _ in range(rounds):
        for name, config in configs.items():
            batch = [(i, program_for_index(config, i)) for i in range(count)]
            jax.clear_caches()
            began = time.perf_counter()
            for index, program in batch:
                json.dumps(make_record(config, index, program))
            times[name].append((time.perf_counter() - began) / count)
    return {name: statistics.median(values) for name, values in times.items()}


def throughput(workers: int, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        run_sample(Path(tmp) / "t.jsonl", n, CONFIG, workers=workers)
        return n / (time.perf_counter() - began)


MEMORY_PROBE = """
import json, os, resource, sys
os.environ.setdefault("JAX_PLATFORMS", "cpu")
from fuzzgen.sample.pool import _in_process
from fuzzgen.sample.draw import SampleConfig
total, checkpoints = int(sys.argv[1]), {int(c) for c in sys.argv[2].split(",")}
for done, _ in enumerate(_in_process(SampleConfig(seed=0), range(total)), 1):
    if done in checkpoints:
        print(json.dumps({"samples": done, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
"""


def peak_memory(total: int) -> list[dict]:
    checkpoints = sorted({2000, total // 2, total} if total > 2000 else {total})
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(total), ",".join(map(str, checkpoints))],
                         capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=150, help="programs per method per round (default 150)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--throughput-n", type=int, default=400, help="records per throughput run (default 400)")
    parser.add_argument("--memory", type=int, default=0, help="samples for the RSS check, e.g. 20000 (default: skip)")
    parser.add_argument("--mix-programs", type=int, default=150,
                        help="records per mix per round for (f) (default 150; 0 skips it)")
    args = parser.parse_args()

    print(f"jax {jax.__version__}, {os.cpu_count()} cores, {args.programs} programs x {args.rounds} rounds")
    costs = per_sample_costs(args.programs, args.rounds)
    for name, seconds in costs.items():
        print(f"  {name:<11} {seconds * 1000:7.2f} ms/sample")
    print(f"fuzzgen / bare JAX per sample:             {costs['fuzzgen'] / costs['bare_jax']:.3f}x  (target <= 1.10x)")
    print(f"fuzzgen throughput / seed-style throughput: {costs['seed_style'] / costs['fuzzgen']:.3f}x  (target >= 1.15x)")

    one = throughput(1, args.throughput_n)
    two = throughput(2, args.throughput_n)
    print(f"worker pool, {args.throughput_n} records: 1 worker {one:.1f} rec/s, 2 workers {two:.1f} rec/s, "
          f"ratio {two / one:.2f}x  (target >= 1.8x)")

    if args.mix_programs:
        mixes = mix_costs(args.mix_programs, args.rounds)
        print(f"  --mix seed {1 / mixes['seed']:.1f} rec/s, --mix realistic {1 / mixes['realistic']:.1f} rec/s "
              f"(one process)")
        print(f"realistic / seed records per second:        {mixes['seed'] / mixes['realistic']:.3f}x  (target >= 0.5x)")

    if args.memory:
        rows = peak_memory(args.memory)
        for row in rows:
            print(f"  after {row['samples']:>6} samples: peak RSS {row['peak_rss_mb']:.0f} MiB")
        print(f"peak RSS ratio {rows[-1]['samples']} / {rows[0]['samples']} samples: "
              f"{rows[-1]['peak_rss_mb'] / rows[0]['peak_rss_mb']:.3f}x  (target <= 1.2x)")


if __name__ == "__main__":
    main()
