"""Breadth: many primitives, opt-in control flow and vmap, dedup and leak-free splits."""
import hashlib
import json
from collections import Counter

import jax
import libcst as cst
import pytest
from hypothesis import given, settings

from fuzzgen.program.trees import with_leaves
from fuzzgen.program.canonical import canonical_hash, canonical_source
from fuzzgen.trust import grammar_built
from fuzzgen.lowering.lower import lower_program
from fuzzgen.lowering.execution import abstract_inputs
from fuzzgen.trust.sandbox import load_function
from fuzzgen.sample.run import run_sample
from fuzzgen.sample.draw import SampleConfig, program_for_index, split_for_hash
from fuzzgen.strategies import programs

SPLITS = (("train", 0.98), ("valid", 0.01), ("test", 0.01))


@pytest.fixture(scope="module")
def extra_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("extra") / "extra.jsonl"
    run_sample(out, 40, SampleConfig(seed=4, categories=("control_flow", "vmap")), workers=2)
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_control_flow_and_vmap_lower_with_gradients_where_reverse_mode_exists(extra_records):
    assert len(extra_records) == 40
    assert Counter(r["category"] for r in extra_records) == {"control_flow": 20, "vmap": 20}
    constructs = {c for r in extra_records for c in ("lax.cond", "lax.switch", "lax.fori_loop", "lax.scan",
                                                      "lax.while_loop") if c in r["python"]}
    assert constructs == {"lax.cond", "lax.switch", "lax.fori_loop", "lax.scan", "lax.while_loop"}
    for record in extra_records:
        forward_only = "lax.while_loop" in record["python"]
        assert bool(record["meta"].get("forward_only")) == forward_only
        for kind in ("jaxpr", "stablehlo", "hlo"):
            assert record[kind]["forward"]
            assert (record[kind]["backward"] is None) == forward_only
    for record in extra_records:
        if record["category"] == "vmap":
            axes = record["vmap"]["in_axes"]
            assert any(a is not None for a in axes) and len(axes) == len(record["args"])
            assert record["stablehlo"]["forward"].startswith("module @jit_vmap_")


@settings(max_examples=30)
@given(programs(category="control_flow"))
def test_control_flow_types_match_eval_shape(program):
    probe = with_leaves(load_function(program.probe), program.args)
    shapes = jax.eval_shape(probe, *abstract_inputs(program.args))
    assert [(tuple(s.shape), str(s.dtype)) for s in shapes] == [(t.shape, t.dtype) for t in program.statement_types]
    lower_program(program, ("jaxpr",))


@settings(max_examples=20)
@given(programs(category="vmap"))
def test_vmap_programs_lower(program):
    lowered = lower_program(program, ("jaxpr",))
    assert lowered.ir["jaxpr"]["backward"]


@pytest.mark.slow
def test_a_thousand_records_use_ninety_primitives(thousand_file):
    """The default mix's breadth (94 distinct in 10,000 records, all of them in the first 1,000)."""
    primitives = set()
    for line in thousand_file.read_text().splitlines():
        primitives.update(json.loads(line)["meta"]["primitives"])
    assert len(primitives) >= 90, sorted(primitives)


@pytest.mark.slow
def test_ninety_nine_percent_unique_at_ten_thousand():
    config = SampleConfig(seed=0)
    hashes = Counter()
    for i in range(10_000):
        program = program_for_index(config, i)
        hashes[canonical_hash(program.spec.source, program.lowered_args, program.vmap_axes)] += 1
    assert len(hashes) / 10_000 >= 0.99


def test_canonical_form_ignores_names_and_literal_spelling():
    a = "def f(x, y):\n    t = x * 2.\n    return jnp.sin(t) + y\n"
    b = "def other(p, q):\n    w = p * 2.0\n    return jnp.sin(w) + q\n"
    c = "def f(x, y):\n    t = x * 3.0\n    return jnp.sin(t) + y\n"
    args = [{"shape": [3], "dtype": "float32"}] * 2
    a, b, c = (grammar_built(text, "f") for text in (a, b, c))
    assert canonical_source(a) == canonical_source(b)
    assert canonical_hash(a, args) == canonical_hash(b, args) != canonical_hash(c, args)
    assert canonical_hash(a, args) != canonical_hash(a, [{"shape": [4], "dtype": "float32"}] * 2)


def test_canonical_hash_refuses_unchecked_text():
    with pytest.raises(TypeError, match="CheckedSource"):
        canonical_hash("def f(a):\n    return a\n", [{"shape": [], "dtype": "float32"}])


class _Rename(cst.CSTTransformer):
    """Renames the function, its parameters and its locals, as a user copying a program would."""

    def __init__(self, source):
        module = cst.parse_module(source)
        function = module.body[0]
        names = [function.name.value] + [p.name.value for p in function.params.params]
        for statement in function.body.body[:-1]:
            target = statement.body[0].targets[0].target
            names += [e.value.value for e in target.elements] if isinstance(target, cst.Tuple) else [target.value]
        self.renames = {name: f"my_{name}_var" for name in names}

    def leave_Name(self, original, updated):
        return updated.with_changes(value=self.renames.get(updated.value, updated.value))


@pytest.mark.slow
def test_a_renamed_test_program_lands_in_the_same_split():
    config = SampleConfig(seed=9, splits=SPLITS)
    found = 0
    for index in range(3000):
        program = program_for_index(config, index)
        original = canonical_hash(program.spec.source, program.lowered_args)
        split = split_for_hash(original, SPLITS)
        if split == "train":
            continue
        renamed = cst.parse_module(program.source).visit(_Rename(program.source)).code
        assert renamed != program.source
        assert split_for_hash(canonical_hash(grammar_built(renamed, program.function_name), program.lowered_args),
                              SPLITS) == split
        found += 1
    assert found >= 20  # ~2% of 3000 are valid/test


def test_split_shares_are_close_to_what_was_asked():
    hashes = (hashlib.sha256(str(i).encode()).hexdigest()[:16] for i in range(20000))
    counts = Counter(split_for_hash(h, SPLITS) for h in hashes)
    assert 0.97 < counts["train"] / 20000 < 0.99


@pytest.mark.slow
def test_dedup_skips_later_duplicates_deterministically(tmp_path):
    config = SampleConfig(seed=2, ir=("jaxpr",), categories=("unary",), dedup=True,
                          settings=__import__("fuzzgen.grammar", fromlist=["GrammarSettings"]).GrammarSettings(
                              dtypes=("float32",), max_rank=0))
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    summary = run_sample(first, 120, config, workers=0)
    run_sample(second, 120, config, workers=2)
    assert first.read_bytes() == second.read_bytes()
    hashes = [json.loads(line)["meta"]["canonical_hash"] for line in first.read_text().splitlines()]
    assert len(hashes) == len(set(hashes)) == summary.records
    assert summary.skipped_duplicates > 0 and summary.records + summary.skipped_duplicates == 120
