"""Fuzzing throughput: programs judged per second the way fuzzgen judged them before (one
worker, one program at a time, the oracles of a baseline revision) and the new way
(`fuzzgen fuzz --workers K`, this tree's oracles), on the same programs, in one run.

Run:  JAX_PLATFORMS=cpu python bench/bench_fuzz.py [--programs 40] [--workers 2] [--rounds 2] [--seed 0]
                                                   [--baseline 9a963ba]

Programs 0..N-1 of the seed are drawn as `fuzzgen fuzz` draws them (`fuzz.drawing`), with their
input seeds, and judged by every oracle. The baseline revision (default: the last one before
`--workers` and the cheaper judging) is checked out into a temporary git worktree, and its own
`IsolatedChecker` judges the programs one after another in one worker, as its driver did (the
time to draw them is added). The new way is this tree's `fuzz.pool.JudgePool` with K workers,
drawing while they judge. Worker start-up is not timed (both ways pay it once per run). Each
round runs both ways back to back; the machine is shared and noisy, so every round's ratio is
printed. Every program's verdicts (oracle, status, error type) must be the same both ways.
"""
from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

from fuzzgen.fuzz.drawing import ProgramDrawer  # noqa: E402
from fuzzgen.fuzz.isolation import Case  # noqa: E402
from fuzzgen.fuzz.pool import JudgePool  # noqa: E402
from fuzzgen.oracles import ORACLE_NAMES  # noqa: E402
from fuzzgen.strategies import programs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Run by the baseline tree's interpreter: judge the pickled cases one at a time in one worker.
BASELINE_JUDGE = """
import pickle, sys, time
from fuzzgen.fuzz.isolation import IsolatedChecker
cases = pickle.load(open(sys.argv[1], "rb"))
with IsolatedChecker(timeout=300) as checker:
    checker._ensure_worker()  # start-up is not timed
    began = time.monotonic()
    verdicts = [tuple((v.oracle, v.status, v.error_type) for v in checker.check(case).verdicts) for case in cases]
    seconds = time.monotonic() - began
pickle.dump((seconds, verdicts), open(sys.argv[2], "wb"))
"""


def drawn_cases(seed: int, count: int, oracles) -> tuple[list[Case], float]:
    """The first ``count`` programs of ``seed`` as cases, and the seconds drawing them took."""
    began = time.monotonic()
    cases = [Case.from_program(drawn.program, oracles, drawn.input_seed)
             for drawn in ProgramDrawer(programs(), seed).programs(count)]
    return cases, time.monotonic() - began


def verdicts(result) -> tuple:
    return tuple((v.oracle, v.status, v.error_type) for v in result.verdicts)


def baseline(tree: Path, cases: list[Case], scratch: Path) -> tuple[float, list]:
    """The baseline tree judges ``cases`` one at a time in one worker: (seconds, verdicts)."""
    (scratch / "cases.pkl").write_bytes(pickle.dumps(cases))
    env = {**os.environ, "PYTHONPATH": str(tree), "JAX_PLATFORMS": "cpu"}
    subprocess.run([sys.executable, "-c", BASELINE_JUDGE, str(scratch / "cases.pkl"), str(scratch / "out.pkl")],
                   cwd=tree, env=env, check=True)
    return pickle.loads((scratch / "out.pkl").read_bytes())


def in_parallel(seed: int, count: int, oracles, workers: int) -> tuple[float, list]:
    """This tree's way: draw while K workers judge, results in index order."""
    cases = ((drawn.index, Case.from_program(drawn.program, oracles, drawn.input_seed))
             for drawn in ProgramDrawer(programs(), seed).programs(count))
    seen = []
    with JudgePool.of_workers(workers, timeout=300) as pool:
        pool.start()  # start-up is not timed
        began = time.monotonic()
        for _, result in pool.judged(cases):
            seen.append(verdicts(result))
        return time.monotonic() - began, seen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oracles", default=",".join(ORACLE_NAMES))
    parser.add_argument("--baseline", default="9a963ba",
                        help="git revision to compare with (default: the last before --workers and cheaper judging)")
    args = parser.parse_args(argv)
    oracles = tuple(args.oracles.split(","))
    print(f"{args.programs} programs (seed {args.seed}), oracles {','.join(oracles)}; "
          f"baseline: revision {args.baseline}, 1 worker, one program at a time; new: this tree, "
          f"{args.workers} worker{'s' if args.workers > 1 else ''}", flush=True)
    ratios, same = [], True
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.baseline],
                       check=True, capture_output=True)
        try:
            cases, draw_seconds = drawn_cases(args.seed, args.programs, oracles)
            for round_number in range(1, args.rounds + 1):
                judge_seconds, base_seen = baseline(tree, cases, Path(scratch))
                base_seconds = judge_seconds + draw_seconds
                new_seconds, new_seen = in_parallel(args.seed, args.programs, oracles, args.workers)
                agree = list(base_seen) == new_seen
                same &= agree
                ratios.append(base_seconds / new_seconds)
                print(f"round {round_number}: baseline {args.programs / base_seconds:.2f} programs/s "
                      f"({base_seconds:.0f} s), new way {args.programs / new_seconds:.2f} programs/s "
                      f"({new_seconds:.0f} s): {ratios[-1]:.2f}x; verdicts {'identical' if agree else 'DIFFER'}",
                      flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    print(f"rounds: {', '.join(f'{r:.2f}x' for r in ratios)} the baseline's throughput; verdicts "
          f"{'identical on every program' if same else 'DIFFER'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
