"""Fuzzing throughput: programs judged per second one at a time (the driver before `--workers`)
and with K workers (`fuzzgen fuzz --workers K`), on the same programs, in one run.

Run:  JAX_PLATFORMS=cpu python bench/bench_fuzz.py [--programs 60] [--workers 2] [--rounds 2] [--seed 0]

Programs 0..N-1 of the seed are drawn as `fuzzgen fuzz` draws them (`fuzz.drawing`), with their
input seeds, and judged by every oracle. The baseline is what the driver did before: draw a
program, judge it in the one isolated worker, draw the next. The new way is `fuzz.pool.JudgePool`
with K workers, drawing while they judge. Each round starts fresh workers (start-up is not
timed: both ways pay it once per run) and runs the baseline and the new way back to back; the
machine is shared and noisy, so the ratio is taken per round and the best round is reported.
Every program's verdicts (oracle, status, error type) must be the same both ways.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

from fuzzgen.fuzz.drawing import ProgramDrawer  # noqa: E402
from fuzzgen.fuzz.isolation import Case, IsolatedChecker  # noqa: E402
from fuzzgen.fuzz.pool import JudgePool  # noqa: E402
from fuzzgen.oracles import ORACLE_NAMES  # noqa: E402
from fuzzgen.strategies import programs  # noqa: E402


def drawn_cases(seed: int, count: int, oracles) -> list[tuple[int, Case]]:
    drawer, cases, index = ProgramDrawer(programs(), seed), [], 0
    while len(cases) < count:
        drawn = drawer.draw(index)
        index += 1
        if drawn is not None:
            cases.append((drawn.index, Case.from_program(drawn.program, oracles, drawn.input_seed)))
    return cases


def verdicts(result) -> tuple:
    return tuple((v.oracle, v.status, v.error_type) for v in result.verdicts)


def one_at_a_time(seed: int, count: int, oracles) -> tuple[float, dict, dict]:
    """Draw, judge, draw, judge, in one worker: the driver before --workers."""
    drawer = ProgramDrawer(programs(), seed)
    seen, per_oracle = {}, {}
    with IsolatedChecker(timeout=300) as checker:
        checker._ensure_worker()  # start-up is not timed
        began, index = time.monotonic(), 0
        while len(seen) < count:
            drawn = drawer.draw(index)
            index += 1
            if drawn is None:
                continue
            result = checker.check(Case.from_program(drawn.program, oracles, drawn.input_seed))
            seen[drawn.index] = verdicts(result)
            for oracle, seconds in result.oracle_seconds:
                per_oracle[oracle] = per_oracle.get(oracle, 0.0) + seconds
        return time.monotonic() - began, seen, per_oracle


def in_parallel(seed: int, count: int, oracles, workers: int) -> tuple[float, dict]:
    drawer = ProgramDrawer(programs(), seed)

    def cases():
        index = produced = 0
        while produced < count:
            drawn = drawer.draw(index)
            index += 1
            if drawn is not None:
                produced += 1
                yield drawn.index, Case.from_program(drawn.program, oracles, drawn.input_seed)

    seen = {}
    with JudgePool.of_workers(workers, timeout=300) as pool:
        pool.start()  # start-up is not timed
        began = time.monotonic()
        for index, result in pool.judged(cases()):
            seen[index] = verdicts(result)
        return time.monotonic() - began, seen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oracles", default=",".join(ORACLE_NAMES))
    args = parser.parse_args(argv)
    oracles = tuple(args.oracles.split(","))
    print(f"{args.programs} programs (seed {args.seed}), oracles {','.join(oracles)}; "
          f"baseline: 1 worker, one program at a time; new: {args.workers} workers", flush=True)
    ratios, same = [], True
    for round_number in range(1, args.rounds + 1):
        base_seconds, base_seen, per_oracle = one_at_a_time(args.seed, args.programs, oracles)
        new_seconds, new_seen = in_parallel(args.seed, args.programs, oracles, args.workers)
        agree = base_seen == new_seen
        same &= agree
        ratio = base_seconds / new_seconds
        ratios.append(ratio)
        print(f"round {round_number}: baseline {args.programs / base_seconds:.2f} programs/s "
              f"({base_seconds:.0f} s), {args.workers} workers {args.programs / new_seconds:.2f} programs/s "
              f"({new_seconds:.0f} s): {ratio:.2f}x; verdicts {'identical' if agree else 'DIFFER'}", flush=True)
        total = sum(per_oracle.values()) or 1.0
        shares = ", ".join(f"{o} {100 * s / total:.0f}%" for o, s in sorted(per_oracle.items(), key=lambda kv: -kv[1]))
        print(f"  where the baseline's judging time went: {shares}", flush=True)
    print(f"best round: {max(ratios):.2f}x the baseline's throughput; verdicts "
          f"{'identical on every program' if same else 'DIFFER'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
