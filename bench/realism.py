"""Realism benchmark: how much of the JAX API surface that real JAX code uses do fuzzgen's programs cover?

Run:  JAX_PLATFORMS=cpu python bench/realism.py [--n 2000] [--records PATH] [--json OUT]
      python bench/realism.py --rebuild [MIRROR_ROOT]   # regenerate bench/realism_corpus.json

Real side: the array-math functions (defs whose own body calls jnp./lax./jax.nn./jax.random./
jax.scipy.) of the library and example code of the public JAX code bases in REPOSITORIES (tests,
docs and benchmarks skipped), each reduced to a multiset of tokens by bench/realism_tokens.py
(its docstring lists the vocabulary: JAX calls, array methods and attributes, Python operators,
indexing forms). Only those multisets are stored, in bench/realism_corpus.json, so the default run
needs no network; --rebuild re-reads bare git mirrors (made with `fetch github:OWNER/NAME`, stored
as MIRROR_ROOT/OWNER+NAME/repo).

fuzzgen side: N records from the real CLI (`python -m fuzzgen.cli.main sample --n N --seed 0`),
or --records PATH; every def in a record's `python` is tokenized the same way and all are pooled.

Figures (a token is covered when it occurs at least once in the N records):
- call coverage: real count of covered call tokens / real count of all call tokens (weighted by
  frequency, so a common call matters more than a rare one); also without ``jax.X`` (transforms,
  tree utilities), i.e. just the array namespaces; and without the calls no single-device array
  program can hold (`OUTSIDE_ARRAY_PROGRAMS`: Pallas kernels, device and process queries,
  multi-device mapping and sharding, profiler and debug hooks, JAX's internal AD API), whose share
  of all real calls is printed beside it;
- the same over every token;
- the share of real functions all of whose tokens are covered;
- the call targets fuzzgen draws that real code never calls, and their share of fuzzgen's calls;
- the 30 most frequent missing real tokens, and coverage per repository.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realism_tokens import ARRAY_MATH_PREFIXES, source_functions  # noqa: E402

from fuzzgen.grammar.categories import MODEL_CATEGORY_NAMES  # noqa: E402

CORPUS_PATH = Path(__file__).resolve().parent / "realism_corpus.json"
DEFAULT_MIRRORS = Path("/work/.mirror")
PROGRESS_SECONDS = 10.0

# (OWNER/NAME, path prefixes to read; () = the whole tree). jax-ml/jax is mostly the
# implementation of jnp on top of lax, which is not user code: only its examples and the
# neural-network and example libraries written against the public API are read.
REPOSITORIES = [
    ("google/flax", ()),
    ("google-deepmind/optax", ()),
    ("patrick-kidger/equinox", ()),
    ("google-deepmind/dm-haiku", ()),
    ("jax-ml/jax", ("examples/", "jax/_src/nn/", "jax/example_libraries/")),
    ("google-deepmind/distrax", ()),
    ("jax-md/jax-md", ()),
    ("google-research/vision_transformer", ()),
    ("google-research/big_vision", ()),
    ("google-deepmind/rlax", ()),
    ("google/brax", ()),
]
# Calls that are not part of a single-device array program's computation: a separate kernel
# language, placement and multi-host queries, multi-device mapping, instrumentation, internals.
OUTSIDE_ARRAY_PROGRAMS = (
    "jax.experimental.pallas.", "jax.device_count", "jax.local_device_count", "jax.devices", "jax.local_devices",
    "jax.process_index", "jax.process_count", "jax.device_get", "jax.device_put", "jax.pmap",
    "jax.experimental.shard_map.", "jax.shard_map", "jax.sharding.", "lax.with_sharding_constraint",
    "jax.lax.with_sharding_constraint", "jax.experimental.multihost_utils.", "jax.profiler.", "jax.debug.",
    "jax.interpreters.",
)
SKIPPED_DIRECTORIES = {"tests", "test", "testing", "docs", "docs_nnx", "doc", "benchmarks",
                       "benchmark", "notebooks"}


def is_library_file(path: str, prefixes: tuple[str, ...]) -> bool:
    parts = path.split("/")
    name = parts[-1]
    if not name.endswith(".py") or (prefixes and not path.startswith(prefixes)):
        return False
    if name.endswith("_test.py") or name.startswith("test_") or name in ("conftest.py", "setup.py"):
        return False
    return not SKIPPED_DIRECTORIES.intersection(parts[:-1])


def git(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True,
                          text=True, errors="replace").stdout


def read_repository(repo: str, prefixes: tuple[str, ...], git_dir: Path) -> tuple[dict, list[dict]]:
    commit = git(git_dir, "rev-parse", "HEAD").strip()
    paths = sorted(p for p in git(git_dir, "ls-tree", "-r", "HEAD", "--name-only").splitlines()
                   if is_library_file(p, prefixes))
    # One `git cat-file --batch` for the whole repository: a process per file would take minutes.
    batch = subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "--batch"], check=True,
                           capture_output=True, input="".join(f"HEAD:{p}\n" for p in paths).encode()).stdout
    functions, parsed, position, last_report = [], 0, 0, time.monotonic()
    for path in paths:
        header_end = batch.index(b"\n", position)
        size = int(batch[position:header_end].split()[2])
        source = batch[header_end + 1:header_end + 1 + size].decode("utf-8", "replace")
        position = header_end + 1 + size + 1
        found = source_functions(source)
        if found is None:
            continue
        parsed += 1
        functions += [{"repo": repo, "tokens": dict(sorted(tokens.items()))} for tokens in found]
        if time.monotonic() - last_report > PROGRESS_SECONDS:
            print(f"  {repo}: {parsed} files, {len(functions)} functions so far", flush=True)
            last_report = time.monotonic()
    return {"name": repo, "commit": commit, "files_listed": len(paths), "files_parsed": parsed,
            "functions": len(functions)}, functions


def rebuild_corpus(mirror_root: Path) -> None:
    repositories, functions = [], []
    for repo, prefixes in REPOSITORIES:
        git_dir = mirror_root / repo.replace("/", "+") / "repo"
        if not git_dir.is_dir():
            print(f"skipping {repo}: no mirror at {git_dir} (fetch github:{repo} first)", flush=True)
            continue
        summary, found = read_repository(repo, prefixes, git_dir)
        print(f"{repo} @ {summary['commit'][:12]}: {summary['files_parsed']} files, "
              f"{summary['functions']} array-math functions", flush=True)
        repositories.append(summary)
        functions += found
    totals = Counter()
    for function in functions:
        totals.update(function["tokens"])
    corpus = {"repositories": repositories, "function_count": len(functions),
              "token_count": sum(totals.values()), "token_totals": dict(sorted(totals.items())),
              "functions": functions}
    # One function per line keeps the file diffable while staying compact.
    head = json.dumps({k: v for k, v in corpus.items() if k != "functions"}, indent=1)[:-2]
    lines = ",\n".join(json.dumps(f, separators=(",", ":")) for f in functions)
    CORPUS_PATH.write_text(f'{head},\n "functions": [\n{lines}\n]}}\n')
    print(f"wrote {CORPUS_PATH}: {len(repositories)} repositories, {len(functions)} functions, "
          f"{corpus['token_count']} tokens", flush=True)


def load_corpus(path: Path = CORPUS_PATH) -> dict:
    return json.loads(path.read_text())


def sample_records(n: int, workers: int, categories: str | None, directory: Path, mix: str | None = None) -> Path:
    out = directory / "s.jsonl"
    command = [sys.executable, "-m", "fuzzgen.cli.main", "sample", "--n", str(n), "--seed", "0",
               "--out", str(out), "--workers", str(workers), "--quiet", "--force", "--ir", "jaxpr"]
    if categories:
        command += ["--categories", categories]
    if mix:
        command += ["--mix", mix]
    print("sampling: " + " ".join(command[1:]), flush=True)
    process, started = subprocess.Popen(command), time.monotonic()
    partial = out.with_name(out.name + ".partial")
    while process.poll() is None:
        time.sleep(1.0)
        if time.monotonic() - started >= PROGRESS_SECONDS:
            started = time.monotonic()
            done = sum(1 for _ in partial.open("rb")) if partial.exists() else 0
            print(f"  sampled {done}/{n}", flush=True)
    if process.returncode != 0:
        sys.exit(f"fuzzgen sample exited with status {process.returncode}")
    return out


def record_tokens(records_path: Path) -> tuple[Counter, int]:
    totals, count = Counter(), 0
    with records_path.open() as lines:
        for line in lines:
            functions = source_functions(json.loads(line)["python"], array_math_only=False) or []
            for tokens in functions:
                totals.update(tokens)
            count += 1
    return totals, count


def coverage(real: Counter, covered: set, keep=lambda token: True) -> float:
    total = sum(c for t, c in real.items() if keep(t))
    return sum(c for t, c in real.items() if keep(t) and t in covered) / total if total else 0.0


def compute_report(corpus: dict, fuzz: Counter, record_count: int) -> dict:
    real = Counter(corpus["token_totals"])
    covered = set(fuzz)
    is_call = lambda token: token.startswith("call:")  # noqa: E731
    is_namespace_call = lambda token: token.startswith("call:") and token[5:].startswith(ARRAY_MATH_PREFIXES)  # noqa: E731
    is_outside = lambda token: token.startswith("call:") and token[5:].startswith(OUTSIDE_ARRAY_PROGRAMS)  # noqa: E731
    fully_covered = sum(all(t in covered for t in f["tokens"]) for f in corpus["functions"])
    fuzz_only = sorted(t for t in fuzz if is_call(t) and t not in real)
    fuzz_calls = sum(c for t, c in fuzz.items() if is_call(t))
    total = sum(real.values())
    missing = sorted((t for t in real if t not in covered), key=lambda t: (-real[t], t))
    per_repo = {}
    for repo in corpus["repositories"]:
        counts = Counter()
        for function in corpus["functions"]:
            if function["repo"] == repo["name"]:
                counts.update(function["tokens"])
        per_repo[repo["name"]] = {"functions": repo["functions"], "tokens": sum(counts.values()),
                                  "coverage": coverage(counts, covered)}
    return {
        "records": record_count,
        "corpus": {"repositories": len(corpus["repositories"]), "functions": corpus["function_count"],
                   "tokens": total, "distinct_tokens": len(real)},
        "fuzzgen": {"tokens": sum(fuzz.values()), "distinct_tokens": len(fuzz)},
        "call_coverage": coverage(real, covered, is_call),
        "namespace_call_coverage": coverage(real, covered, is_namespace_call),
        "array_program_call_coverage": coverage(real, covered, lambda t: is_call(t) and not is_outside(t)),
        "outside_array_programs_share": (sum(c for t, c in real.items() if is_outside(t))
                                         / sum(c for t, c in real.items() if is_call(t))),
        "token_coverage": coverage(real, covered),
        "distinct_real_tokens_covered": len(covered & set(real)),
        "functions_fully_covered": fully_covered / corpus["function_count"],
        "fuzz_only_calls": fuzz_only,
        "fuzz_only_call_share": sum(fuzz[t] for t in fuzz_only) / fuzz_calls if fuzz_calls else 0.0,
        "fuzz_only_call_shares": {t[5:]: fuzz[t] / fuzz_calls for t in fuzz_only} if fuzz_calls else {},
        "top_missing": [{"token": t, "count": real[t], "share": real[t] / total} for t in missing[:30]],
        "per_repository": per_repo,
    }


def print_report(report: dict) -> None:
    corpus = report["corpus"]
    print(f"\nreal corpus: {corpus['repositories']} repositories, {corpus['functions']} array-math "
          f"functions, {corpus['tokens']} tokens ({corpus['distinct_tokens']} distinct)")
    print(f"fuzzgen: {report['records']} records, {report['fuzzgen']['tokens']} tokens "
          f"({report['fuzzgen']['distinct_tokens']} distinct)")
    print(f"call-token coverage (frequency-weighted):        {report['call_coverage']:.1%}")
    print(f"  array-namespace calls only (no jax.X):         {report['namespace_call_coverage']:.1%}")
    print(f"  without calls outside array programs ({report['outside_array_programs_share']:.1%} of real calls: "
          f"Pallas, devices, sharding, ...): {report['array_program_call_coverage']:.1%}")
    print(f"all-token coverage (frequency-weighted):         {report['token_coverage']:.1%}")
    print(f"distinct real tokens covered:                    {report['distinct_real_tokens_covered']}"
          f"/{corpus['distinct_tokens']}")
    print(f"real functions with every token covered:         {report['functions_fully_covered']:.1%}")
    fuzz_only = report["fuzz_only_calls"]
    print(f"fuzzgen call targets never called in real code:  {len(fuzz_only)} "
          f"({report['fuzz_only_call_share']:.1%} of fuzzgen's calls)")
    if fuzz_only:
        shares = report["fuzz_only_call_shares"]
        print("  " + " ".join(f"{t[5:]} ({shares[t[5:]]:.1%})" for t in fuzz_only))
    print("\ntop 30 missing tokens (real count, share of all real tokens):")
    for entry in report["top_missing"]:
        print(f"  {entry['token']:40s} {entry['count']:7d}  {entry['share']:6.2%}")
    print("\ncoverage of all tokens per repository:")
    for name, figures in report["per_repository"].items():
        print(f"  {name:36s} {figures['functions']:6d} functions {figures['tokens']:8d} tokens  "
              f"{figures['coverage']:6.1%}")


def program_shape(records: Path) -> dict:
    """The median statement count of the records (``meta.n_statements``) and the share of them
    in a model-code category (the category names the idiom family the program was drawn as)."""
    statements, model = [], 0
    with records.open() as lines:
        for line in lines:
            record = json.loads(line)
            statements.append(record["meta"]["n_statements"])
            model += record["category"] in MODEL_CATEGORY_NAMES
    return {"median_statements": statistics.median(statements) if statements else None,
            "model_idiom_share": model / len(statements) if statements else 0.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="records to sample (default: 2000)")
    parser.add_argument("--records", type=Path, help="tokenize this JSONL instead of sampling")
    parser.add_argument("--workers", type=int, default=2, help="sample workers (default: 2)")
    parser.add_argument("--categories", help="passed to `fuzzgen sample --categories`")
    parser.add_argument("--mix", help="passed to `fuzzgen sample --mix` (seed, realistic)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--rebuild", nargs="?", const=DEFAULT_MIRRORS, type=Path, metavar="MIRROR_ROOT",
                        help=f"regenerate {CORPUS_PATH.name} from bare git mirrors (default root: "
                             f"{DEFAULT_MIRRORS}) and stop")
    args = parser.parse_args(argv)
    if args.rebuild:
        rebuild_corpus(args.rebuild)
        return 0
    corpus = load_corpus()
    with tempfile.TemporaryDirectory() as directory:
        records = args.records or sample_records(args.n, args.workers, args.categories, Path(directory), args.mix)
        fuzz, record_count = record_tokens(records)
        shape = program_shape(records)
    report = compute_report(corpus, fuzz, record_count)
    report.update(shape)
    print_report(report)
    print(f"fuzzgen's programs: median {shape['median_statements']} statements; "
          f"{100 * shape['model_idiom_share']:.1f}% of records are of a model-code category "
          f"({', '.join(MODEL_CATEGORY_NAMES)})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
