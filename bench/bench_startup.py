"""How long the CLI takes to answer before any real work, against `import jax` in the same run.

    python bench/bench_startup.py [--runs 9]

Each command runs ``--runs`` times as a fresh process; the minimum is reported (the machine is
shared, and the minimum is the least disturbed run). The baseline is a bare ``python -c "import
jax"``: a command that imported JAX could not be faster than it.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

COMMANDS = {
    "fuzzgen --help": ["-m", "fuzzgen.cli.main", "--help"],
    "fuzzgen merge --help": ["-m", "fuzzgen.cli.main", "merge", "--help"],
    "fuzzgen sample --help": ["-m", "fuzzgen.cli.main", "sample", "--help"],
}
BASELINES = {"python -c pass": ["-c", "pass"], 'python -c "import jax"': ["-c", "import jax"]}


def fastest(argv: list[str], runs: int) -> float:
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, *argv], stdout=subprocess.DEVNULL, check=True, env=env)
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    times = {name: fastest(argv, args.runs) for name, argv in {**BASELINES, **COMMANDS}.items()}
    jax_import = times['python -c "import jax"']
    for name, seconds in times.items():
        print(f"{name:<26} {seconds * 1000:7.0f} ms   {seconds / jax_import:5.2f}x import jax")


if __name__ == "__main__":
    main()
