"""`fuzzgen sample`: the record schema, reproducibility, category balance and IR faithfulness."""
import json
from collections import Counter

import jax
import pytest

from fuzzgen.grammar import CATEGORY_NAMES
from fuzzgen.lowering.execution import abstract_inputs
from fuzzgen.trust import grammar_built
from fuzzgen.trust.sandbox import load_function
from fuzzgen.sample.run import run_sample
from fuzzgen.sample.draw import SampleConfig, program_for_index

KEYS = ["id", "seed", "index", "category", "function_name", "python", "args", "jaxpr", "stablehlo", "hlo", "meta"]


@pytest.fixture(scope="module")
def thousand(thousand_file):
    return [json.loads(line) for line in thousand_file.read_text().splitlines()]


@pytest.mark.slow  # the 1,000-record fixture
def test_thousand_records_follow_the_schema(thousand):
    assert len(thousand) == 1000
    for index, record in enumerate(thousand):
        assert list(record) == KEYS
        assert record["seed"] == 0 and record["index"] == index
        assert record["category"] in CATEGORY_NAMES
        assert record["python"].startswith(f"def {record['function_name']}(")
        assert len(record["id"]) == 16 and int(record["id"], 16) >= 0
        for arg in record["args"]:
            assert list(arg) == ["name", "shape", "dtype"]
            assert arg["dtype"] in ("float32", "float16", "bfloat16", "int32")
        for kind in ("jaxpr", "stablehlo", "hlo"):
            assert list(record[kind]) == ["forward", "backward"]
            assert record[kind]["forward"].strip() and record[kind]["backward"].strip()
        assert list(record["meta"]) == ["jax_version", "primitives", "n_statements", "canonical_hash"]
        assert record["meta"]["jax_version"] == jax.__version__
        assert record["meta"]["primitives"] == sorted(set(record["meta"]["primitives"]))
        assert record["meta"]["n_statements"] == len(record["python"].splitlines()) - 1


@pytest.mark.slow  # the 1,000-record fixture
def test_stored_forward_jaxpr_equals_a_fresh_trace(thousand):
    for record in thousand:
        function = load_function(grammar_built(record["python"], record["function_name"]))
        args = [type("A", (), {"shape": a["shape"], "dtype": a["dtype"]}) for a in record["args"]]
        fresh = str(jax.make_jaxpr(function)(*abstract_inputs(args)))
        assert fresh == record["jaxpr"]["forward"], record["python"]


@pytest.mark.slow  # the 1,000-record fixture
def test_thousand_records_use_many_primitives_dtypes_and_ranks(thousand):
    primitives = set().union(*(r["meta"]["primitives"] for r in thousand))
    assert len(primitives) >= 30, sorted(primitives)
    dtypes = {a["dtype"] for r in thousand for a in r["args"]}
    assert dtypes == {"float32", "float16", "bfloat16", "int32"}
    assert {len(a["shape"]) for r in thousand for a in r["args"]} == {0, 1, 2, 3, 4}
    assert set(Counter(r["category"] for r in thousand)) == set(CATEGORY_NAMES)


@pytest.mark.slow  # the 1,000-record fixture
def test_gradients_are_taken_only_for_floating_args(thousand):
    for record in thousand:
        floats = sum(a["dtype"] != "int32" for a in record["args"])
        assert floats >= 1
        assert record["stablehlo"]["backward"].count("jax.result_info") == floats


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    first, second, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    run_sample(first, 25, SampleConfig(seed=7), workers=0)
    run_sample(second, 25, SampleConfig(seed=7), workers=0)
    run_sample(other, 25, SampleConfig(seed=8), workers=0)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
def test_categories_are_balanced_at_ten_thousand():
    config = SampleConfig(seed=0)
    counts = Counter(program_for_index(config, i).category for i in range(10_000))
    assert set(counts) == set(CATEGORY_NAMES)
    for category, count in counts.items():
        assert 900 <= count <= 1100, (category, count)


def test_ir_flag_keeps_only_the_asked_kinds(tmp_path):
    out = tmp_path / "jaxpr.jsonl"
    run_sample(out, 3, SampleConfig(seed=1, ir=("jaxpr",)), workers=0)
    for line in out.read_text().splitlines():
        record = json.loads(line)
        assert "jaxpr" in record and "stablehlo" not in record and "hlo" not in record


def test_categories_flag_restricts_and_balances(tmp_path):
    config = SampleConfig(seed=3, categories=("dot", "matmul"))
    counts = Counter(program_for_index(config, i).category for i in range(100))
    assert counts == {"dot": 50, "matmul": 50}
