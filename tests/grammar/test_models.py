"""The model-code categories (layer, norm, attention, loss, optimizer, train_step) and the named
mixes: programs that are valid under any settings, carry the idiom they are named for, compute
what that idiom computes, and the shares `--mix realistic` promises."""
import argparse
import statistics
from collections import Counter

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from fuzzgen.cli.sample import categories_and_weights
from fuzzgen.grammar import CATEGORY_NAMES, MIXES, MODEL_CATEGORY_NAMES, GrammarSettings, ValueType
from fuzzgen.lowering.execution import make_inputs
from fuzzgen.lowering.lower import lower_spec
from fuzzgen.program import RandomChooser, build_program
from fuzzgen.program.builder import ProgramBuilder
from fuzzgen.sample.draw import SampleConfig, category_for_index, program_for_index
from fuzzgen.strategies import programs
from fuzzgen.trust.sandbox import load_function
from inprocess import run_main

NARROW_SETTINGS = [
    GrammarSettings(),
    GrammarSettings(dtypes=("float16",), max_rank=1),
    GrammarSettings(dtypes=("float32", "bfloat16"), max_rank=2, max_dim=2, max_arg_elements=4),
    GrammarSettings(max_dim=1),
    GrammarSettings(max_rank=0, dtypes=("float32",)),
]
IDIOM = {  # what every program of the category writes, as real code spells it
    "layer": ("@", "jnp.dot(", "jnp.einsum(", "jnp.matmul(", " * ", "lax.conv_general_dilated("),
    "norm": ("lax.rsqrt(",),
    "attention": ("jax.nn.softmax(", "jnp.exp("),
    "loss": ("mean(", "sum("),
    "optimizer": (" - ",),
    "train_step": ("jax.value_and_grad(", "jax.grad("),
}


def draws(category, count, grammar=None, start=0):
    return [build_program(RandomChooser(seed), category, grammar) for seed in range(start, start + count)]


@pytest.mark.slow  # 30 cases, about 20 s; the quick loop keeps the idiom and semantic checks below
@pytest.mark.parametrize("category", MODEL_CATEGORY_NAMES)
@pytest.mark.parametrize("grammar", NARROW_SETTINGS, ids=lambda s: f"rank{s.max_rank}-dim{s.max_dim}-{'-'.join(s.dtypes)}")
def test_model_programs_lower_both_directions_under_any_settings(category, grammar):
    for program in draws(category, 6, grammar):
        lowered = lower_spec(program.spec, ("jaxpr",))
        assert lowered.ir["jaxpr"]["backward"], program.source
        assert all(len(a.shape) <= grammar.max_rank for a in program.args), program.source
        assert all(a.dtype in grammar.dtypes for a in program.args), program.source


@pytest.mark.parametrize("category", MODEL_CATEGORY_NAMES)
def test_each_model_category_writes_its_idiom(category):
    for program in draws(category, 40):
        assert any(spelling in program.source for spelling in IDIOM[category]), program.source
        result = program.result_types[0]  # the loss, the updated parameter: first where there are more
        if category == "loss":
            assert result.shape == (), program.source
        if category == "optimizer":
            assert result.shape == program.args[0].shape, program.source  # the updated parameter
        if category in ("layer", "norm", "attention", "optimizer"):  # no `jnp.abs(x) + 1.0` domain guard:
            assert "jnp.abs(" not in program.source, program.source  # each divisor is known positive


def run(program, seed=0):
    """The inputs for ``seed`` and the program's (first) result on them."""
    inputs = make_inputs(program.lowered_args, seed)
    return inputs, _first(load_function(program.spec.source)(*inputs))


def _first(result) -> np.ndarray:
    """A result, or the first value of a tree result (the loss of ``return loss, logits``)."""
    return np.asarray(jax.tree_util.tree_leaves(result)[0], dtype=np.float64)


def test_causal_attention_reads_no_later_token():
    """With a causal mask (``jnp.tril``), the first query's output cannot depend on the last
    token's key and value: perturbing them leaves output row 0 exactly as it was, and changes
    the last row (so the test is not vacuous)."""
    checked = 0
    for program in draws("attention", 400, GrammarSettings(dtypes=("float32",))):
        tokens = program.result_types[0].shape[0]
        if "jnp.tril(" not in program.source or len(program.args) != 3 or tokens < 2:
            continue  # queries, keys and values as the three arguments
        inputs, before = run(program)
        for position in (1, 2):
            inputs[position] = np.array(inputs[position])
            inputs[position][-1] += 3.0
        after = _first(load_function(program.spec.source)(*inputs))
        assert np.array_equal(after[0], before[0]), program.source
        assert not np.allclose(after[-1], before[-1]), program.source
        checked += 1
        if checked == 6:
            break  # each one runs eagerly, op by op: six are enough, and the quick loop stays quick
    assert checked == 6


def test_losses_are_finite_scalars_on_the_inputs_fuzzgen_draws():
    """The labels are kept in range and the log terms stay finite, so a loss is a number."""
    for program in draws("loss", 20, GrammarSettings(dtypes=("float32", "int32"))):
        _, value = run(program, seed=program.args[0].shape[0] if program.args[0].shape else 1)
        assert value.shape == () and np.isfinite(value), program.source


def test_adam_denominators_need_no_domain_guard():
    """``0.999 * nu + 0.001 * jnp.square(g)`` of a zero-initialized ``nu`` is known nonnegative,
    also through a name, so ``jnp.sqrt(nu_hat + 1e-06)`` is written as optax writes it, without
    the ``jnp.abs(...) + 1.0`` a value of unknown sign gets."""
    adam = [p for p in draws("optimizer", 120) if "jnp.zeros_like(" in p.source]
    assert adam
    assert not any("jnp.sqrt(jnp.abs(" in p.source for p in adam)
    w = ProgramBuilder(RandomChooser(0), GrammarSettings())
    g = w.arg(ValueType((3,), "float32"))
    nu = w.let(w.apply("add", w.apply("multiply", 0.999, w.apply("zeros_like", g)),
                       w.apply("multiply", 0.001, w.apply("square", g))))
    assert nu.sign == "nonnegative"
    assert w.apply("add", nu, 1e-6).sign == "positive"
    assert w.apply("subtract", nu, 1e-6).sign == ""
    assert w.apply("add", nu, g).sign == ""  # g may be negative
    assert w.apply("maximum", g, 1.0).sign == "positive"


def test_the_realistic_mix_has_exact_shares_long_programs_and_mostly_model_idioms():
    shares = MIXES["realistic"]
    names, weights = tuple(n for n, _ in shares), tuple(k for _, k in shares)
    block = sum(weights)
    counts = Counter(category_for_index(9, i, names, weights) for i in range(4 * block))
    assert counts == {name: 4 * weight for name, weight in shares}
    config = SampleConfig(categories=names, weights=weights)
    drawn = [program_for_index(config, i) for i in range(20 * block)]
    assert statistics.median(p.n_statements for p in drawn) >= 5
    assert sum(p.category in MODEL_CATEGORY_NAMES for p in drawn) / len(drawn) >= 0.4


def test_mix_seed_is_the_default_and_the_mix_is_part_of_a_runs_identity():
    def chosen(**flags):
        return categories_and_weights(argparse.Namespace(**{"categories": None, "mix": None, **flags}))
    assert chosen() == chosen(mix="seed") == (CATEGORY_NAMES, ())
    names, weights = chosen(mix="realistic")
    assert set(MODEL_CATEGORY_NAMES) <= set(names) and len(weights) == len(names)
    realistic = SampleConfig(categories=names, weights=weights).identity()
    assert realistic["weights"] == list(weights)
    assert realistic != SampleConfig(categories=names).identity()
    assert "weights" not in SampleConfig().identity()  # runs without a mix keep their identity
    with pytest.raises(ValueError, match="weights="):
        SampleConfig(categories=names, weights=weights[:-1])


def test_mix_and_categories_together_is_a_one_line_usage_error(capsys, tmp_path):
    for command in ("sample", "fuzz"):
        status, out, err = run_main(capsys, command, "--mix", "realistic", "--categories", "layer",
                                    "--out" if command == "sample" else "--corpus", tmp_path / "x")
        assert status == 2 and "not allowed with argument" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


@settings(max_examples=30, deadline=None)
@given(programs(mix="realistic"))
def test_the_strategy_draws_the_realistic_mix(program):
    assert program.category in {name for name, _ in MIXES["realistic"]}


@pytest.mark.parametrize("kwargs, message", [
    ({"mix": "toy"}, "mix='toy'"),
    ({"mix": "realistic", "category": "layer"}, "not both"),
])
def test_the_strategy_validates_its_mix(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        programs(**kwargs).example()
