"""Known, since-fixed JAX bugs: which JAX versions have them, and whether fuzzgen draws what they need.

Run:  python bench/known_bugs.py --python /path/to/venv-with-old-jax/bin/python [--python ...]

The benchmark (issue 15) is the list in bench/known_bugs/bugs.json: 25 real JAX bugs from JAX's
changelog, git history and issue tracker, each reproducible on CPU, with the versions it was seen
on and the release that fixed it. Each has a plain-JAX reproducer, bench/known_bugs/repro_<id>.py,
that prints ``BUG`` or ``OK`` as its last line. It compares against NumPy, SciPy, a float64
reference or an invariant, never against an output recorded from JAX.

For every interpreter given (each a venv with some jax/jaxlib), this runs every reproducer and
prints the matrix. It flags a result that contradicts bugs.json: BUG on a version at or after the
fix, or OK on a version listed as having the bug. Then, from fuzzgen's op registry (this
process's fuzzgen), it says whether fuzzgen's programs can call each bug's API at all. That is
the first thing a fuzzer needs. Running `fuzzgen fuzz` on each version to count the programs it
needs to find each bug is the next step (issue 15); that part is not measured here yet.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent / "known_bugs"
PROGRESS_SECONDS = 10.0
TIMEOUT = 300
# how the bugs' APIs (full module paths) are spelled as fuzzgen call targets
SPELLINGS = (("jax.numpy.", "jnp."), ("jax.lax.", "lax."))
# transforms many bugs list beside the op at fault: drawing them alone does not reach the bug
TRANSFORMS = frozenset({"jax.vmap", "jax.grad", "jax.jit", "jax.jacrev", "jax.jacfwd", "jax.value_and_grad"})


def load_bugs(path: Path = HERE / "bugs.json") -> list[dict]:
    return json.loads(path.read_text())


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def jax_version(python: str) -> str:
    result = subprocess.run([python, "-c", "import jax; print(jax.__version__)"], capture_output=True, text=True,
                            timeout=TIMEOUT, env={**os.environ, "JAX_PLATFORMS": "cpu"})
    if result.returncode != 0:
        sys.exit(f"{python}: cannot import jax ({result.stderr.strip().splitlines()[-1:]}); "
                 "pass the python of a venv with jax installed")
    return result.stdout.strip()


def run_reproducer(python: str, bug: dict) -> str:
    """The reproducer's verdict: BUG, OK, or what went wrong (exit status, timeout)."""
    try:
        result = subprocess.run([python, str(HERE / bug["reproducer"])], capture_output=True, text=True,
                                timeout=TIMEOUT, env={**os.environ, "JAX_PLATFORMS": "cpu"})
    except subprocess.TimeoutExpired:
        return "timeout"
    lines = result.stdout.strip().splitlines()
    verdict = lines[-1].strip() if lines else ""
    return verdict if verdict in ("BUG", "OK") else f"error (exit {result.returncode})"


def contradiction(bug: dict, version: str, verdict: str) -> str | None:
    """Why ``verdict`` on ``version`` contradicts bugs.json, or None."""
    fixed = version_tuple(bug["fixed_in"].split()[0])
    if verdict == "BUG" and version_tuple(version) >= fixed:
        return f"BUG on {version}, at or after the fix in {bug['fixed_in']}"
    if verdict == "OK" and version in bug["bug_verified_on"]:
        return f"OK on {version}, listed as having the bug"
    return None


def grammar_targets() -> frozenset[str]:
    """Every dotted name fuzzgen's registry renders as (calls and transforms)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from fuzzgen.grammar.ops import OPS
    from fuzzgen.trust.surface import GrammarSurface

    return GrammarSurface.of(OPS).targets


def drawn_apis(bug: dict, targets: frozenset[str]) -> list[str]:
    found = []
    for api in bug["apis"]:
        if api in TRANSFORMS:
            continue
        spelled = api
        for long, short in SPELLINGS:
            if api.startswith(long):
                spelled = short + api[len(long):]
        if spelled in targets or api in targets:
            found.append(spelled)
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", action="append", default=[], metavar="PYTHON",
                        help="an interpreter with some jax installed; repeatable (default: this one)")
    args = parser.parse_args(argv)
    pythons = args.python or [sys.executable]
    bugs = load_bugs()
    versions = [jax_version(python) for python in pythons]
    print(f"{len(bugs)} known bugs; running their reproducers on jax {', '.join(versions)}", flush=True)
    verdicts, problems, last = {}, [], time.monotonic()
    for bug in bugs:
        for python, version in zip(pythons, versions):
            verdicts[bug["id"], version] = verdict = run_reproducer(python, bug)
            problem = contradiction(bug, version, verdict)
            if problem:
                problems.append(f"{bug['id']}: {problem}")
            if time.monotonic() - last >= PROGRESS_SECONDS:
                last = time.monotonic()
                print(f"  ... {len(verdicts)}/{len(bugs) * len(pythons)} runs", flush=True)
    targets = grammar_targets()
    width = max(len(b["id"]) for b in bugs)
    print(f"\n{'bug':{width}s}  {'kind':15s} {'fixed in':16s} " + " ".join(f"{v:>8s}" for v in versions)
          + "  ops of it fuzzgen draws (besides transforms)")
    for bug in bugs:
        drawn = drawn_apis(bug, targets)
        print(f"{bug['id']:{width}s}  {bug['kind']:15s} {bug['fixed_in']:16s} "
              + " ".join(f"{verdicts[bug['id'], v]:>8s}" for v in versions)
              + f"  {', '.join(drawn) if drawn else 'no'}")
    present = {v: sum(verdicts[b["id"], v] == "BUG" for b in bugs) for v in versions}
    print("\nbugs present: " + ", ".join(f"jax {v}: {n}" for v, n in present.items()))
    callable_apis = sum(bool(drawn_apis(b, targets)) for b in bugs)
    print(f"bugs whose API fuzzgen's programs can call: {callable_apis} of {len(bugs)}")
    for problem in problems:
        print(f"CONTRADICTS bugs.json: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
