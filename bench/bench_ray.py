"""Benchmark `fuzzgen sample --engine ray` against the local worker pool, on the same n and seed.

Run:  JAX_PLATFORMS=cpu python bench/bench_ray.py [--n 800] [--cpus 2] [--shard-size 100] [--rounds 3]

A local Ray instance with --cpus CPUs (loopback only) against `run_sample` with --cpus worker
processes. Rounds alternate the two engines, because this machine is shared and noisy; the
ratio of the median throughputs is printed, measured in this run. Ray's start-up is timed on its
own: a cluster is started once and serves many runs. Every Ray run is also checked to be
byte-identical to the local output.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep the local cluster on loopback

import jax  # noqa: E402
import ray  # noqa: E402

from fuzzgen.sample.ray.engine import run_ray_sample  # noqa: E402
from fuzzgen.sample.ray.manifest import read_manifest  # noqa: E402
from fuzzgen.sample.run import run_sample  # noqa: E402
from fuzzgen.sample.draw import SampleConfig  # noqa: E402

CONFIG = SampleConfig(seed=0)


def local_rate(n: int, workers: int, out: Path) -> float:
    began = time.perf_counter()
    run_sample(out, n, CONFIG, workers=workers, force=True)
    return n / (time.perf_counter() - began)


def ray_rate(n: int, shard_size: int, out_dir: Path, expected: bytes) -> float:
    began = time.perf_counter()
    run_ray_sample(out_dir, n, CONFIG, shard_size=shard_size, force=True)
    rate = n / (time.perf_counter() - began)
    manifest = read_manifest(out_dir)
    written = b"".join((out_dir / entry["file"]).read_bytes() for entry in manifest["shards"])
    assert written == expected, "the Ray shards differ from the local output"
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=800, help="records per run (default 800)")
    parser.add_argument("--cpus", type=int, default=2, help="Ray CPUs and local workers (default 2)")
    parser.add_argument("--shard-size", type=int, default=100, help="indices per Ray task (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per engine (default 3)")
    args = parser.parse_args()

    print(f"jax {jax.__version__}, ray {ray.__version__}, {os.cpu_count()} cores; n={args.n}, "
          f"{args.cpus} CPUs/workers, shard size {args.shard_size}, {args.rounds} rounds")
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        ray.init(address="local", num_cpus=args.cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                 log_to_driver=False)
    print(f"ray.init (local instance): {time.perf_counter() - began:.1f} s, not counted below")
    rates: dict[str, list[float]] = {"local": [], "ray": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local_out, ray_out = Path(tmp) / "local.jsonl", Path(tmp) / "ray"
            for round_ in range(args.rounds):
                rates["local"].append(local_rate(args.n, args.cpus, local_out))
                rates["ray"].append(ray_rate(args.n, args.shard_size, ray_out, local_out.read_bytes()))
                print(f"  round {round_ + 1}: local pool {rates['local'][-1]:.1f} rec/s, "
                      f"ray {rates['ray'][-1]:.1f} rec/s")
    finally:
        ray.shutdown()
    local, on_ray = statistics.median(rates["local"]), statistics.median(rates["ray"])
    print(f"median: local pool ({args.cpus} workers) {local:.1f} rec/s, ray ({args.cpus} CPUs) {on_ray:.1f} rec/s")
    print(f"ray / local throughput: {on_ray / local:.3f}x  (target >= 0.85x); output byte-identical in every round")


if __name__ == "__main__":
    main()
