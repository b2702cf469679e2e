"""Sampling speed per record of this tree against another revision's, in one run.

Run:  JAX_PLATFORMS=cpu python bench/bench_grammar_speed.py [--baseline REV] [--n 300] [--rounds 3]

A grammar change changes what each record costs (bigger programs, jitted jax.nn helpers that
lower to nested functions), so the question "is sampling still as fast?" is answered against the
revision before the change, on this machine, now: the baseline revision is checked out into a
temporary git worktree, and both trees run the real CLI (`fuzzgen sample --n N --workers 1`,
default IR kinds) in alternating rounds, so machine noise hits both alike. Reported: the median
wall time of each, and current / baseline per record (the issue's bound is 1.3x).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sample_seconds(tree: Path, out: Path, n: int, seed: int) -> float:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(tree)}
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fuzzgen.cli.main", "sample", "--n", str(n), "--seed", str(seed),
                    "--workers", "1", "--out", str(out), "--force", "--quiet"],
                   cwd=tree, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="3d2a1d8", help="git revision to compare with (default: the last "
                        "commit before issue 13's grammar work)")
    parser.add_argument("--n", type=int, default=300, help="records per run (default 300)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        baseline = Path(scratch) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.baseline],
                       check=True, capture_output=True)
        try:
            times = {"current": [], "baseline": []}
            for round_number in range(args.rounds):
                order = ("current", "baseline") if round_number % 2 == 0 else ("baseline", "current")
                for name in order:
                    tree = ROOT if name == "current" else baseline
                    seconds = sample_seconds(tree, Path(scratch) / f"{name}.jsonl", args.n, args.seed)
                    times[name].append(seconds)
                    print(f"round {round_number + 1}/{args.rounds}: {name:<8} {seconds:6.1f} s "
                          f"({args.n / seconds:.1f} records/s)", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)],
                           check=False, capture_output=True)
    current, old = statistics.median(times["current"]), statistics.median(times["baseline"])
    print(f"median per record: current {1000 * current / args.n:.1f} ms, baseline ({args.baseline}) "
          f"{1000 * old / args.n:.1f} ms; current / baseline = {current / old:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
