"""The README's example outputs, made by the code: `python tests/readme_examples.py` rewrites
them; `tests/cli/test_readme.py` fails when the README and the code disagree.

Each example sits between ``<!-- example: NAME -->`` and ``<!-- /example -->`` in README.md.
Run times vary from run to run, so the comparison masks the numbers in "in N s (N records/s)",
and the fuzz summary's seconds and shares of judging time.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLE_ARGV = ["sample", "--n", "100", "--out", "data.jsonl", "--seed", "12345", "--ir", "jaxpr,stablehlo,hlo"]
RECORD_SEED, RECORD_INDEX = 12345, 4  # draws jax.random, jax.vmap and jnp.split: the forms of issue 13
TIMING = re.compile(r"in [0-9.]+ s \([0-9.]+ records/s")


def sample_command() -> str:
    from fuzzgen.cli.main import main

    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "data.jsonl"
        argv = [str(out) if a == "data.jsonl" else a for a in SAMPLE_ARGV] + ["--workers", "0", "--quiet"]
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            assert main(argv) == 0
    text = captured.getvalue().replace(str(out), "data.jsonl")
    return "    $ fuzzgen " + " ".join(SAMPLE_ARGV) + "\n" + "".join(f"    {line}\n" for line in text.splitlines())


def _trimmed(text: str, lines: int) -> str:
    kept = text.split("\n")
    return text if len(kept) <= lines else "\n".join(kept[:lines]) + "\n ..."


def record() -> str:
    """The record at (RECORD_SEED, RECORD_INDEX), as `fuzzgen sample --seed 12345` writes it, its long
    IR texts trimmed to their first lines."""
    from fuzzgen.sample import SampleConfig, make_record, program_for_index

    config = SampleConfig(seed=RECORD_SEED)
    full = make_record(config, RECORD_INDEX, program_for_index(config, RECORD_INDEX))
    keep = {("jaxpr", "forward"): 12, ("jaxpr", "backward"): 4}
    out = ["{"]
    for key, value in full.items():
        if key in ("jaxpr", "stablehlo", "hlo"):
            pairs = [f'    "{d}": {json.dumps(_trimmed(t, keep.get((key, d), 3)), ensure_ascii=False)}'
                     for d, t in value.items()]
            out.append(f'  "{key}": {{\n' + ",\n".join(pairs) + "\n  },")
        else:
            out.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    out[-1] = out[-1].rstrip(",")
    return "```json\n" + "\n".join(out) + "\n}\n```\n"


STATS_ARGV = ["stats", "data.jsonl", "--plot", "charts"]
# Rows kept per table of the stats example (None: all): the README shows each table's shape.
STATS_ROWS = {"category": 1, "dtype": None, "rank": 1, "primitive": 2, "IR length": 2}


def _kept_rows(header: str, rows: list[str]) -> list[str]:
    name = next((key for key in STATS_ROWS if header.startswith(key)), None)
    if name == "IR length":  # one row of each of two kinds, in tokens
        rows = [r for r in rows if r.split()[2] == "tokens" and (r.split()[:2] in (["jaxpr", "forward"],
                                                                                    ["stablehlo", "backward"]))]
        return rows + ["  ..."]
    limit = STATS_ROWS.get(name) if name else None
    return rows if limit is None or len(rows) <= limit else rows[:limit] + ["  ..."]


def stats_command() -> str:
    """`fuzzgen stats` on the first 200 records of seed 0, each table cut to a few rows."""
    from fuzzgen.cli.main import main

    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory) / "data.jsonl"
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["sample", "--n", "200", "--seed", "0", "--out", str(data), "--workers", "0", "--quiet"]) == 0
        captured = io.StringIO()
        argv = [str(data) if a == "data.jsonl" else str(Path(directory) / a) if a == "charts" else a
                for a in STATS_ARGV]
        with contextlib.redirect_stdout(captured):
            assert main(argv) == 0
    text = captured.getvalue().replace(str(Path(directory) / "charts"), "charts").replace(str(data), "data.jsonl")
    lines, out = text.splitlines(), []
    position = 0
    while position < len(lines):
        line = lines[position]
        rows = []
        while position + 1 + len(rows) < len(lines) and lines[position + 1 + len(rows)].startswith("  "):
            rows.append(lines[position + 1 + len(rows)])
        if line and not line.startswith("  ") and rows and not line.startswith("statements"):
            out += [line] + _kept_rows(line, rows)
        else:
            out += [line] + rows
        position += 1 + len(rows)
    out = [line for line in out if line]  # the tables follow one another without blank lines
    return "    $ fuzzgen " + " ".join(STATS_ARGV) + "\n" + "".join(f"    {line}\n" for line in out)


FUZZ_ARGV = ["fuzz", "--max-examples", "3", "--oracles", "crash,eager_vs_jit,forward_vs_reverse", "--workers", "2"]
FUZZ_TIMING = re.compile(r"in [0-9]+ s \(")
# a per-oracle time and share; the padding before it goes too, as its width follows the digits
ORACLE_TIMING = re.compile(r" *[0-9.]+ s \( *[0-9.]+% of judging\)")


def fuzz_command() -> str:
    """A short `fuzzgen fuzz` run's summary: what was judged, per oracle, and where the time went."""
    from fuzzgen.cli.main import main

    with tempfile.TemporaryDirectory() as directory:
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            assert main(FUZZ_ARGV + ["--corpus", str(Path(directory) / "findings"), "--quiet"]) == 0
    return "    $ fuzzgen " + " ".join(FUZZ_ARGV) + "\n" + "".join(f"    {line}\n" for line in captured.getvalue().splitlines())


MODEL_FAMILIES = (  # (category, what the program must write): each category's first, then layer's other inputs
    *((name, "") for name in ("layer", "norm", "attention", "loss", "optimizer", "train_step")),
    ("layer", "jax.nn.one_hot("), ("layer", "lax.conv_general_dilated("), ("attention", "jnp.concatenate("),
    ("layer", "def block("), ("norm", "def layer_norm("), ("attention", "    if causal:"),
    ("layer", "    for i in range("), ("layer", " in layers:\n"), ("layer", "    if x.ndim > 2"), ("layer", "lax.scan("), ("optimizer", ", {'mu': "), ("optimizer", ", params, grads)"),
    ("train_step", "    return v0, "), ("train_step", ")(params)\n"),
)


def model_programs() -> str:
    """The first program of each model-code category in `fuzzgen sample --mix realistic` (seed 0),
    the first embedding lookup and convolution block of `layer`, the first rotary attention, and
    the first layer and norm that define helpers, the first attention with a flag, the first
    loop over positions and over a list of layers, the first rank test and scanned stack, the first optimizer and training step with tree results, the first
    optimizer over whole parameter trees and the first training step over one, with its record
    index and argument types."""
    from fuzzgen.grammar import MODEL_CATEGORY_NAMES, mix_categories_and_weights
    from fuzzgen.program.trees import label
    from fuzzgen.sample import SampleConfig, program_for_index

    assert {name for name, _ in MODEL_FAMILIES} == set(MODEL_CATEGORY_NAMES)
    names, weights = mix_categories_and_weights("realistic")
    config = SampleConfig(categories=names, weights=weights)
    found: dict[int, str] = {}
    index = 0
    while len(found) < len(MODEL_FAMILIES):
        program = program_for_index(config, index)
        for position, (category, writes) in enumerate(MODEL_FAMILIES):
            if position not in found and program.category == category and writes in program.source:
                types = ", ".join(f"{label(a.name, a.path)}: {a.dtype}{list(a.shape)}" for a in program.args)
                found[position] = f"# record {index}: {types}\n{program.source}"
                break
        index += 1
    return "```python\n" + "\n".join(found[position] for position in sorted(found)) + "```\n"


EXAMPLES = {"sample-command": sample_command, "record": record, "stats-command": stats_command,
            "fuzz-command": fuzz_command, "model-programs": model_programs}
BLOCK = re.compile(r"(<!-- example: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /example -->)", re.S)


def blocks(text: str) -> dict[str, str]:
    return {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}


def masked(text: str) -> str:
    return ORACLE_TIMING.sub(" N s", FUZZ_TIMING.sub("in N s (", TIMING.sub("in N s (N records/s", text)))


def rewrite() -> None:
    text = README.read_text()
    made = {name: make() for name, make in EXAMPLES.items()}
    README.write_text(BLOCK.sub(lambda m: m.group(1) + made[m.group("name")] + m.group(4), text))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    rewrite()
    print(f"rewrote {', '.join(EXAMPLES)} in {README}")
