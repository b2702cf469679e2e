"""Measure each oracle's false-positive rate on stock JAX: every failure here is a false alarm
(or a real JAX bug, to be confirmed by hand and kept in corpus/).

Run:  JAX_PLATFORMS=cpu python bench/oracle_false_positives.py [--programs 5000] [--seed 0] [--workers 2]
                                                               [--mix realistic]

Programs are the deterministic `fuzzgen sample` programs (index i of --seed), all ten categories
in equal shares (or a named mix's, `--mix realistic`), each judged by every oracle in an isolated worker with input seed i. Prints, per
oracle, passed / failed / skipped counts and the failure rate; failures (with source) go to
bench/results/oracle_false_positives.jsonl.

    python bench/oracle_false_positives.py --recheck bench/results/oracle_false_positives.jsonl

re-judges only the logged failures with the current code: when an oracle is changed only to be
more lenient, that gives its exact count over the whole run without rerunning it.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

from fuzzgen.grammar import mix_categories_and_weights  # noqa: E402
from fuzzgen.oracles import ORACLE_NAMES  # noqa: E402
from fuzzgen.fuzz.isolation import Case, IsolatedChecker  # noqa: E402
from fuzzgen.sample.draw import SampleConfig, program_for_index  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=5000)
    parser.add_argument("--start", type=int, default=0, help="first program index")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--oracles", default=",".join(ORACLE_NAMES))
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--mix", default=None, help="a named category mix (as `fuzzgen sample --mix`)")
    group.add_argument("--categories", default=None, help="comma-separated categories, drawn equally often")
    parser.add_argument("--out", type=Path, default=RESULTS / "oracle_false_positives.jsonl")
    parser.add_argument("--recheck", type=Path, default=None, metavar="FAILURES_JSONL")
    args = parser.parse_args(argv)
    if args.recheck:
        return recheck(args.recheck)
    oracles = tuple(args.oracles.split(","))
    if args.mix:
        names, weights = mix_categories_and_weights(args.mix)
        config = SampleConfig(seed=args.seed, categories=names, weights=weights)
    elif args.categories:
        config = SampleConfig(seed=args.seed, categories=tuple(args.categories.split(",")), weights=None)
    else:
        config = SampleConfig(seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    counts = collections.Counter()
    skip_reasons = collections.Counter()
    lock = threading.Lock()
    indices = iter(range(args.start, args.start + args.programs))
    began = time.monotonic()
    done = [0]
    last_report = [began]

    with open(args.out, "w", encoding="utf-8") as failures:
        def work():
            with IsolatedChecker(timeout=args.timeout) as checker:
                while True:
                    with lock:
                        index = next(indices, None)
                    if index is None:
                        return
                    program = program_for_index(config, index)
                    result = checker.check(Case.from_program(program, oracles, input_seed=index))
                    with lock:
                        done[0] += 1
                        for verdict in result.verdicts:
                            counts[verdict.oracle, verdict.status] += 1
                            if verdict.status == "skipped":
                                skip_reasons[verdict.oracle, verdict.details[:70]] += 1
                            if verdict.failed:
                                failures.write(json.dumps({"index": index, "category": program.category,
                                                           "python": program.source,
                                                           "args": [a.to_json() for a in program.args],
                                                           **verdict.to_json()}) + "\n")
                                failures.flush()
                                print(f"[{index}] {verdict.oracle}: {verdict.error[:300]}\n{program.source}",
                                      file=sys.stderr, flush=True)
                        if done[0] % 100 == 0 or time.monotonic() - last_report[0] >= 10.0:
                            last_report[0] = time.monotonic()
                            rate = done[0] / (time.monotonic() - began)
                            print(f"{done[0]}/{args.programs} programs, {rate:.2f}/s", file=sys.stderr, flush=True)
                            if done[0] % 100 == 0:
                                print(summary(done[0], counts, oracles), file=sys.stderr, flush=True)

        threads = [threading.Thread(target=work) for _ in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    seconds = time.monotonic() - began
    print(f"{done[0]} programs (seed {args.seed}, mix {args.mix or args.categories or 'default'}, indices {args.start}..{args.start + args.programs - 1}), "
          f"{seconds:.0f} s, {args.workers} workers")
    print(f"{'oracle':<20}{'passed':>8}{'failed':>8}{'skipped':>9}  false-positive rate")
    for oracle in oracles:
        p, f, s = (counts[oracle, k] for k in ("passed", "failed", "skipped"))
        judged = p + f
        print(f"{oracle:<20}{p:>8}{f:>8}{s:>9}  {f}/{judged} = {100.0 * f / judged if judged else 0:.2f}%")
    print("skip reasons:")
    for (oracle, reason), n in skip_reasons.most_common(20):
        print(f"  {oracle:<20}{n:>6}  {reason}")
    return 1 if any(counts[o, "failed"] for o in oracles) else 0


def summary(done: int, counts, oracles) -> str:
    """Cumulative counts, printed as the run goes: an interrupted run still has its numbers."""
    return f"after {done} programs: " + "; ".join(
        f"{o} {counts[o, 'passed']}/{counts[o, 'failed']}/{counts[o, 'skipped']}" for o in oracles
    ) + " (passed/failed/skipped)"


def recheck(path: Path) -> int:
    from fuzzgen.program.spec import ArgSpec
    from fuzzgen.trust import check_program

    still = 0
    with IsolatedChecker(timeout=300) as checker:
        for line in path.read_text(encoding="utf-8").splitlines():
            logged = json.loads(line)
            args = tuple(ArgSpec(a["name"], tuple(a["shape"]), a["dtype"], tuple(a.get("path", ()))) for a in logged["args"])
            name = re.findall(r"^def (\w+)\(", logged["python"], re.M)[-1]  # the program's own, after any helpers
            case = Case(check_program(logged["python"], name, args), (logged["oracle"],), logged["index"])
            (verdict,) = checker.check(case).verdicts
            still += verdict.failed
            print(f"[{logged['index']}] {logged['oracle']}: was failed, now {verdict.status} {verdict.error[:200]}")
    print(f"{still} of the logged failures still fail")
    return 1 if still else 0


if __name__ == "__main__":
    sys.exit(main())
