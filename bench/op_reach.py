"""How well ``fuzz --ops`` reaches each op: for every op of the grammar (plugins' too, with
``--plugin``), the share of the first N indices of a run aimed at it alone that draw a program
(the rest are skipped), and the drawing time per index.

    python bench/op_reach.py --indices 20            # all ops, about 5 minutes
    python bench/op_reach.py --indices 50 --ops cumsum,axis_index
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fuzzgen.fuzz.drawing import ProgramDrawer  # noqa: E402
from fuzzgen.grammar import OPS  # noqa: E402
from fuzzgen.grammar.plugins import load_plugins  # noqa: E402
from fuzzgen.strategies import programs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indices", type=int, default=20, help="indices drawn per op (default: 20)")
    parser.add_argument("--ops", default=None, help="comma-separated op names (default: every op)")
    parser.add_argument("--plugin", action="append", default=[], help="plugin module to load first; repeatable")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    load_plugins(tuple(args.plugin))
    names = args.ops.split(",") if args.ops else list(dict.fromkeys(op.name for op in OPS))
    rows, began = [], time.monotonic()
    last_line = began
    for number, name in enumerate(names, 1):
        drawer = ProgramDrawer(programs(ops=(name,)), args.seed)
        start = time.monotonic()
        drawn = sum(drawer.draw(index) is not None for index in range(args.indices))
        rows.append((drawn / args.indices, name, (time.monotonic() - start) / args.indices))
        if time.monotonic() - last_line >= 10 or number == len(names):  # a line at least every 10 s
            last_line = time.monotonic()
            print(f"... {number} of {len(names)} ops ({last_line - began:.0f} s)", file=sys.stderr, flush=True)
    rows.sort()
    print(f"{'op':<24} {'indices drawing a program':>26} {'ms per index':>13}")
    for share, name, seconds in rows:
        print(f"{name:<24} {100 * share:>25.0f}% {1000 * seconds:>13.1f}")
    reached = sum(share > 0 for share, _, _ in rows)
    print(f"{reached} of {len(rows)} ops reached; median share "
          f"{100 * sorted(s for s, _, _ in rows)[len(rows) // 2]:.0f}%; {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
