"""Tree results end to end (issue 14, item 1): programs that return several values (``return
new, {'mu': mu, 'nu': nu}``, ``return loss, w``) are drawn with the types JAX gives them, their
backward IR differentiates the sum of every value, their records hold every value and read back
through validate, replay, stats and Parquet, byte-identical across worker counts."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fuzzgen.grammar import GrammarSettings
from fuzzgen.lowering.execution import abstract_inputs, make_inputs
from fuzzgen.lowering.lower import gradient_function
from fuzzgen.program import RandomChooser, build_program
from fuzzgen.program.trees import with_leaves
from fuzzgen.sample.draw import SampleConfig
from fuzzgen.sample.run import run_sample
from fuzzgen.trust.sandbox import load_function

from inprocess import run_main

TREE_CATEGORIES = ("optimizer", "train_step", "loss", "attention")
CONFIG = SampleConfig(seed=3, ir=("jaxpr", "stablehlo", "hlo"), categories=("optimizer", "train_step"), io=True)
COUNT = 10


def tree_programs(category, count=60, settings=None):
    drawn = (build_program(RandomChooser(seed), category, settings) for seed in range(count))
    return [p for p in drawn if len(p.result_types) > 1]


def _function(program):
    return with_leaves(load_function(program.spec.source), program.spec.args)


@pytest.mark.parametrize("category", TREE_CATEGORIES)
def test_tree_results_are_drawn_with_the_types_jax_gives_them(category):
    programs = tree_programs(category)
    assert len(programs) >= 3, f"{category} drew {len(programs)} tree results of 60"
    for program in programs:
        last = program.source.rstrip().splitlines()[-1]
        whole_tree = "tree_map(" in program.source or "tree.map(" in program.source
        assert last.startswith("    return ") and ("," in last or "{" in last or whole_tree), program.source
        shapes = jax.eval_shape(_function(program), *abstract_inputs(program.lowered_args))
        leaves = jax.tree_util.tree_leaves(shapes)
        assert [(tuple(s.shape), str(s.dtype)) for s in leaves] == \
            [(t.shape, t.dtype) for t in program.result_types], program.source
        assert program.statement_types[-len(leaves):] == program.result_types


def test_the_backward_direction_differentiates_the_sum_of_every_value():
    """The gradient of a tree result is the sum of each value's own gradient (each value summed
    alone): no value is left out, none counted twice."""
    checked = 0
    for category in ("optimizer", "train_step"):
        for program in tree_programs(category, 20, GrammarSettings(dtypes=("float32", "int32")))[:2]:
            function = jax.jit(_function(program))
            argnums = program.spec.float_argnums
            inputs = [jnp.asarray(x) for x in make_inputs(program.lowered_args, 5)]
            total = gradient_function(function, argnums)(*inputs)
            count = len(program.result_types)
            each = [jax.jit(jax.grad(lambda *xs, k=k: jnp.sum(jax.tree_util.tree_leaves(function(*xs))[k]),
                                     argnums))(*inputs) for k in range(count)]
            for position, gradient in enumerate(total):
                expected = sum(np.asarray(e[position], np.float64) for e in each)
                np.testing.assert_allclose(np.asarray(gradient, np.float64), expected, rtol=1e-5, atol=1e-6,
                                           err_msg=program.source)
            checked += 1
    assert checked == 4


@pytest.fixture(scope="module")
def result_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("results") / "results.jsonl"
    run_sample(out, COUNT, CONFIG, workers=0)
    return out


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_record_stores_every_value_of_a_tree_result(result_sample):
    records = _records(result_sample)
    trees = [r for r in records if r["python"].rstrip().splitlines()[-1].count(",") or "{" in r["python"]]
    assert len(trees) >= 3, [r["python"] for r in records]
    for record in records:
        function = load_function_of(record)
        values = jax.tree_util.tree_leaves(jax.eval_shape(function, *abstract_inputs(record_args(record))))
        assert len(record["io"]["outputs"]) == len(values), record["python"]
        assert [o["shape"] for o in record["io"]["outputs"]] == [list(v.shape) for v in values]
        main = next(line for line in record["stablehlo"]["forward"].splitlines() if "func.func public @main(" in line)
        assert main.count("->") == 1 and main.split("->")[1].count("tensor<") == len(values), record["python"]


def record_args(record):
    from fuzzgen.records.schema import parse_args

    return parse_args(record["args"])


def load_function_of(record):
    from fuzzgen.trust import check_program

    args = record_args(record)
    return with_leaves(load_function(check_program(record["python"], record["function_name"], args).source), args)


@pytest.mark.slow
def test_tree_results_validate_replay_export_and_match_across_workers(tmp_path, result_sample, capsys):
    status, out, err = run_main(capsys, "validate", result_sample, "--workers", 1, "--quiet")
    assert status == 0, out + err
    status, out, err = run_main(capsys, "replay", result_sample)
    assert status == 0 and f"{COUNT} same" in out, out + err
    status, out, err = run_main(capsys, "stats", result_sample, "--json")
    assert status == 0 and json.loads(out)["records"] == COUNT, out + err
    two = tmp_path / "w2.jsonl"
    run_sample(two, COUNT, CONFIG, workers=2)
    assert two.read_bytes() == result_sample.read_bytes(), "--workers 2 differs from a single-process run"


@pytest.mark.slow
def test_every_oracle_judges_tree_results_without_false_alarms():
    from fuzzgen.oracles import ORACLE_NAMES, Subject, run_oracles

    judged = 0
    for category in ("optimizer", "train_step", "attention"):
        for program in tree_programs(category, 12)[:1]:
            verdicts = run_oracles(Subject(program.spec), ORACLE_NAMES, seed=judged)
            failed = [v for v in verdicts if v.failed]
            assert not failed, (program.source, [(v.oracle, v.details) for v in failed])
            judged += 1
    assert judged == 3
