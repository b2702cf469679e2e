"""The reference oracle: jit on edge inputs against NumPy/SciPy, with each allowance tested.

It finds real JAX bugs that every JAX-vs-JAX oracle misses (they are wrong in eager and jit alike):
on a JAX that has them, these programs fail; on one that is fixed, they pass. CI runs this file on
jax 0.4.30 too, where all three are present.
"""
import dataclasses

import numpy as np
import pytest
import jax

from fuzzgen.fuzz.driver import FuzzConfig, run_fuzz
from fuzzgen.jaxcompat import version_tuple
from fuzzgen.oracles import Subject, run_oracles
from fuzzgen.oracles.edges import EDGE_SHARE, edge_inputs, edge_values
from fuzzgen.oracles.envelope import spread
from fuzzgen.oracles.reference import judging_envelope, reference_oracle, reference_runs
from fuzzgen.oracles.documented import Undefined
from fuzzgen.oracles.references import REFERENCES
from fuzzgen.program.spec import ArgSpec, ProgramSpec
from fuzzgen.trust import grammar_built
from fuzzgen.grammar import OPS


F32 = (ArgSpec("a", (4, 3), "float32"), ArgSpec("b", (4, 3), "float32"))
FIXED_IN_0_10_2 = version_tuple(jax.__version__) >= (0, 10, 2)


def subject(body: str, args=F32) -> Subject:
    names = ", ".join(a.name for a in args)
    return Subject(ProgramSpec(grammar_built(f"def f({names}):\n    return {body}\n", "f"), tuple(args)))


# bench/known_bugs: heaviside_nan, xlogy_nan and floor_divide_zero, all fixed in jax 0.10.2.
KNOWN_BUGS = {
    "heaviside_nan": "jnp.heaviside(a, b)",
    "xlogy_nan": "jax.scipy.special.xlogy(a, jnp.abs(b) + 1.0)",
    "floor_divide_zero": "jnp.floor_divide(a, b)",
}


@pytest.mark.parametrize("bug", sorted(KNOWN_BUGS))
def test_known_jax_bugs_fail_where_present_and_pass_where_fixed(bug):
    program = subject(KNOWN_BUGS[bug])
    verdicts = [reference_oracle(program, seed) for seed in range(6)]
    if FIXED_IN_0_10_2:
        assert all(v.status == "passed" for v in verdicts), verdicts
    else:
        assert any(v.failed and v.error_type == "Mismatch" and "NumPy/SciPy" in v.details for v in verdicts), verdicts


def test_a_known_bug_passes_every_jax_vs_jax_oracle():
    """Where the reference oracle is the only one that can see the bug: eager and jit agree."""
    verdicts = {v.oracle: v for v in run_oracles(subject(KNOWN_BUGS["heaviside_nan"]), seed=0)}
    assert verdicts["eager_vs_jit"].status == "passed" and verdicts["xla_opt"].status == "passed"


WRONG_IN_EAGER_AND_JIT = """
import jax.numpy as jnp
import numpy as np
from fuzzgen.grammar import Call, Op, plugins, rules
from fuzzgen.grammar.catalog import FLOAT

def planted_heaviside(x, h):
    return jnp.where(x < 0, 0.0, jnp.where(x > 0, 1.0, h))  # wrong for nan: h instead of nan

plugins.register(Op(name="planted_heaviside", render=Call("ext.planted_heaviside"), arity=2,
                    operand_dtypes=(FLOAT, FLOAT), dtype_rule=rules.promoted, shape_rule=rules.broadcast,
                    tags=frozenset({"arith", "elementwise"})),
                 implementation=planted_heaviside, reference=np.heaviside)
"""


@pytest.mark.slow
def test_a_wrong_op_that_eager_and_jit_share_is_found_by_the_reference_oracle_alone(plant):
    plant("planted_heaviside", WRONG_IN_EAGER_AND_JIT)
    config = FuzzConfig(max_examples=12, oracles=("eager_vs_jit", "reference"), seed=1, corpus=None,
                        plugins=("planted_heaviside",), workers=1, reduce=False, shrink_seconds=1e-9,
                        strategy_options={"ops": ("planted_heaviside",)})
    report = run_fuzz(config)
    assert report.families and {family.oracle for family in report.families} == {"reference"}
    assert report.statuses["eager_vs_jit", "failed"] == 0
    assert report.findings and all("NumPy/SciPy nan" in f.verdict.details for f in report.findings), \
        [f.verdict.details for f in report.findings]


def test_every_reference_names_an_op_of_the_grammar():
    assert set(REFERENCES) <= {op.name for op in OPS}


def test_edge_inputs_are_a_pure_function_of_the_seed_and_hold_every_edge_value():
    args = (ArgSpec("a", (64,), "bfloat16"), ArgSpec("n", (3,), "int32"))
    first, again = edge_inputs(args, 5), edge_inputs(args, 5)
    assert all(np.array_equal(x, y, equal_nan=True) for x, y in zip(first, again))
    assert first[0].dtype == np.dtype(args[0].dtype) and first[1].dtype == np.int32
    edges = edge_values("bfloat16").astype(np.float64)
    many = np.concatenate([edge_inputs(args, seed)[0].astype(np.float64) for seed in range(40)])
    share = np.mean([np.any(np.isclose(v, edges, equal_nan=True) | (v == edges)) for v in many])
    assert 0.4 < share < 0.65, share  # EDGE_SHARE, plus smooth draws that happen to be +-1
    assert EDGE_SHARE == 0.5 and all(np.any((many == e) | (np.isnan(e) & np.isnan(many))) for e in edges)


def _judged(body, inputs, args=F32):
    """(jit's outputs, the envelope's violations per output) on ``inputs``."""
    s = subject(body, args)
    actual = [np.asarray(x) for x in jax.tree_util.tree_leaves(s.compiled("forward")(*inputs))]
    outputs, jumped, _ = reference_runs(s, inputs, 0)
    envelope = spread(outputs, [a.dtype for a in actual], None)
    return actual, [envelope.violations(i, a) for i, a in enumerate(actual)], jumped


BIG = np.finfo(np.float32).max


@pytest.mark.parametrize("body, a, b, why", [
    # XLA divides by a broadcast value as a multiplication by its reciprocal: 1 / max is subnormal,
    # flushed to 0 on CPU, so -max / max is -0.0, not -1.
    ("a / (jnp.abs(b) + 1.0)", -BIG, BIG, "reciprocal"),
    # float16's var of [-65504, 1] overflows (its squares do), though the std would fit.
    ("jnp.std(a.reshape(-1)[:2])", None, None, "float16 squares"),
    # a sum whose terms overflow may end as inf or nan, whatever its float64 value.
    ("jnp.sum(a, axis=0) * 0.0", BIG, BIG, "overflowing terms"),
])
def test_each_allowance_accepts_what_xla_may_do(body, a, b, why):
    if why == "float16 squares":
        args = (ArgSpec("a", (4, 3), "float16"), ArgSpec("b", (4, 3), "float16"))
        x = np.ones((4, 3), np.float16)
        x[0, 0], x[0, 1] = -65504, 1
        inputs = [x, x]
    else:
        args = F32
        inputs = [np.full((4, 3), a, np.float32), np.full((4, 3), b, np.float32)]
    _, violations, _ = _judged(body, inputs, args)
    assert not any(v.any() for v in violations), why


def test_after_an_overflowed_sum_a_non_finite_outputs_class_is_not_judged():
    """A layer norm of a row [-max, -0, 0.0157] then a dense layer: the variance overflows in
    float32 (inf; rsqrt makes it 0, the row becomes the bias) and not in float64, so with inf
    weights every run says -inf + inf = nan where jit says inf. After an overflowed sum the class
    of a non-finite output is not judged; the draw's finite outputs still are."""
    args = (ArgSpec("a", (2, 3), "float32"), ArgSpec("d", (3, 2), "float32"))
    body = "((a - a.mean(axis=-1, keepdims=True)) * lax.rsqrt(jnp.var(a, axis=-1, keepdims=True) + 1e-05) + 1.0) @ d"
    inputs = [np.array([[-BIG, -0.0, 0.0157], [1.0, 2.0, 3.0]], np.float32),
              np.array([[np.inf, 1.0], [np.inf, 1.0], [0.0, 1.0]], np.float32)]
    s = subject(body, args)
    actual = np.asarray(s.compiled("forward")(*inputs))
    assert actual[0, 0] == np.inf and np.all(actual[:, 1] == 3.0)
    outputs, jumped, ambiguous = reference_runs(s, inputs, 0)
    assert ambiguous and not jumped and np.isnan(outputs[0][0][0, 0])
    assert spread(outputs, [actual.dtype], None).violations(0, actual)[0, 0]  # without the allowance
    envelope = judging_envelope(outputs, [actual.dtype], ambiguous)
    assert not envelope.violations(0, actual).any()
    wrong = actual.copy()
    wrong[1, 1] = 3.5
    assert envelope.violations(0, wrong)[1, 1]


def test_a_value_outside_every_allowance_is_a_violation():
    """The allowances are bounded: a wrong constant in the program's result is caught."""
    inputs = [np.full((4, 3), 0.5, np.float32), np.full((4, 3), 2.0, np.float32)]
    s = subject("jnp.heaviside(a - 0.5, b)")
    outputs, jumped, _ = reference_runs(s, inputs, 0)
    envelope = spread(outputs, [np.dtype(np.float32)], None)
    assert not jumped and not envelope.violations(0, np.full((4, 3), 2.0, np.float32)).any()
    assert envelope.violations(0, np.full((4, 3), 2.001, np.float32)).all()
    assert envelope.violations(0, np.full((4, 3), np.nan, np.float32)).all()


@pytest.mark.parametrize("body, args, reason", [
    ("a.astype(jnp.int32)", F32, "astype to int32"),
    ("lax.dot_general(a, b, (((1,), (1,)), ((), ())))", F32, "'dot_general'"),
])
def test_what_has_no_reference_is_skipped_naming_it(body, args, reason):
    verdict = reference_oracle(subject(body, args), 0)
    assert verdict.status == "skipped" and reason in verdict.details, verdict


CONV = (ArgSpec("a", (1, 2, 4, 3), "float32"), ArgSpec("b", (3, 2, 2, 2), "float32"))
CONV_BODY = "lax.conv_general_dilated(a, b, (1, 1), ((0, 1), (0, 1)))"


def test_a_conv_passes_against_numpys_cross_correlation_and_a_flipped_kernel_fails(monkeypatch):
    """lax.conv_general_dilated's reference is a cross-correlation over the zero-padded image: a
    JAX whose conv flipped the kernel (a true convolution) in eager and jit alike is caught."""
    assert reference_oracle(subject(CONV_BODY, CONV), 0).status == "passed"
    original = jax.lax.conv_general_dilated

    def flipped(x, kernel, *args, **kwargs):
        return original(x, jax.numpy.flip(kernel, axis=(2, 3)), *args, **kwargs)

    monkeypatch.setattr(jax.lax, "conv_general_dilated", flipped)
    verdict = reference_oracle(subject(CONV_BODY, CONV), 0)
    assert verdict.failed, verdict.details


def test_a_padded_tap_against_a_nan_kernel_entry_may_be_skipped_as_xla_on_cpu_does():
    """IEEE's padded 0 times a nan (or inf) kernel entry is nan; XLA on CPU adds no term for a
    padded position, so the output stays finite (a realistic false-alarm run met it). The two
    agree wherever the kernel is finite; where they differ the element is not judged, so the
    program passes, and a wrong value elsewhere still fails (the flipped-kernel test above)."""
    from fuzzgen.oracles.references import _conv_skipping_padding, _ieee_conv

    rng = np.random.default_rng(0)
    x, kernel = rng.normal(size=(2, 2, 4, 3)), rng.normal(size=(3, 2, 2, 2))
    padding = ((0, 1), (1, 1))
    np.testing.assert_allclose(_conv_skipping_padding(x, kernel, (1, 1), padding),
                               _ieee_conv(x, kernel, (1, 1), padding), rtol=1e-12)
    kernel[0, 0, 1, 1] = np.nan  # meets the padded last row and column only at the edge windows
    ieee, skipping = _ieee_conv(x, kernel, (1, 1), padding), _conv_skipping_padding(x, kernel, (1, 1), padding)
    assert np.isnan(ieee[:, 0]).all() and np.isfinite(skipping[:, 0, -1, -1]).all()
    assert not np.isnan(skipping[:, 0]).all()
    args = (ArgSpec("a", (2, 1, 3, 2), "float32"), ArgSpec("b", (1, 1, 1, 2), "float32"))
    program = subject("lax.conv_general_dilated(a, b, (1, 1), ((0, 0), (0, 1)))", args)
    a = np.float32([[[[-1.7, 0.02], [-0.88, np.nan], [-0.65, 0.53]]], [[[0.3, -0.0], [1.5, np.nan], [1.7, 1.6]]]])
    b = np.float32([[[[1.9, np.nan]]]])
    jit = np.asarray(program.compiled("forward")(a, b))
    assert np.isfinite(jit[0, 0, 0, 1])  # XLA skipped the padded tap
    from fuzzgen.oracles.reference import _judge_draw

    assert _judge_draw(program, [a, b], 0).problem is None
    ieee_only = dataclasses.replace(REFERENCES["conv"], on_xla_cpu=None)
    with pytest.MonkeyPatch.context() as patch:  # without the CPU variant the same draw fails
        patch.setitem(REFERENCES, "conv", ieee_only)
        assert "NumPy/SciPy nan" in _judge_draw(program, [a, b], 0).problem


@pytest.mark.parametrize("body", ["jax.nn.softmax(a / 1.414214, axis=-1)",
                                  "jnp.exp(a / 1.414214 - (a / 1.414214).max(axis=-1, keepdims=True))"])
def test_a_difference_may_err_by_its_operands_rounding_as_xla_computes_it(body):
    """XLA on CPU computes ``x / c`` as ``x * (1 / c)``, takes ``max`` over that rounded product,
    and contracts the product into ``x - max`` as one fused multiply-add: for |x| near 1e37 the
    difference is the product's rounding error, about 1e30, and exp makes it inf or 0 (softmax:
    nan where IEEE gives 1). A realistic false-alarm run met it in attention scores. The noisy
    runs perturb a difference by a few ulps of its operands (softmax and logsumexp are computed
    op by op), so the envelope holds it; a wrong value in an ordinary row still fails."""
    args = (ArgSpec("a", (3, 2), "float32"),)
    a = np.float32([[3e38, 1.479e38], [5.44725e37, 1.0696], [0.5, -0.5]])
    s = subject(body, args)
    actual = np.asarray(s.compiled("forward")(a))  # jax 0.10.2 gives the fused result, 0.4.30 IEEE's
    outputs, jumped, _ = reference_runs(s, [a], 0)
    envelope = spread(outputs, [actual.dtype], None)
    assert not jumped and not envelope.violations(0, actual).any()
    deviant = actual.copy()  # what the contracted difference gives there: softmax's nan, exp's 0
    deviant[1, 0] = np.nan if "softmax" in body else 0.0
    assert not envelope.violations(0, deviant)[1, 0] and not envelope.violations(0, deviant)[2].any()
    wrong = actual.copy()
    wrong[2, 0] *= 1.01
    assert envelope.violations(0, wrong)[2, 0] and not envelope.violations(0, wrong)[2, 1]


def test_maps_over_whole_trees_are_judged_leaf_by_leaf():
    """``jax.tree_util.tree_map`` has a reference that maps the lambda over the trees' leaves, its
    ops run as the run's: such programs are judged (they were skipped), and a wrong leaf fails."""
    args = tuple(ArgSpec(tree, shape, "float32", (key,)) for tree in ("params", "grads")
                 for key, shape in (("b", (2,)), ("w", (3, 2))))
    source = ("def f(params, grads):\n"
              "    v0 = jax.tree_util.tree_map(lambda g0: 0.001 * jnp.square(g0), grads)\n"
              "    v1 = jax.tree.map(lambda p1, g2, n3: p1 - 0.1 * g2 / (jnp.sqrt(n3 + 1e-06) + 1e-06),"
              " params, grads, v0)\n"
              "    return v1, {'nu': v0}\n")
    s = Subject(ProgramSpec(grammar_built(source, "f"), args))
    verdict = reference_oracle(s, 0)
    assert verdict.status == "passed", verdict
    inputs = [np.linspace(-1, 1, int(np.prod(a.shape)), dtype=np.float32).reshape(a.shape) for a in args]
    actual = [np.asarray(x) for x in jax.tree_util.tree_leaves(s.compiled("forward")(*inputs))]
    outputs, jumped, _ = reference_runs(s, inputs, 0)
    envelope = spread(outputs, [a.dtype for a in actual], None)
    assert not jumped and len(actual) == 4 and not any(envelope.violations(i, a).any() for i, a in enumerate(actual))
    wrong = actual[1].copy()  # v1['w']
    wrong[0, 0] = wrong[0, 0] * 1.01 + 0.01
    assert envelope.violations(1, wrong)[0, 0]


INTS = (ArgSpec("a", (4, 3), "float32"), ArgSpec("b", (4, 3), "int32"))


@pytest.mark.parametrize("body", [
    "b % 3", "jnp.remainder(b, 3) * a", "jnp.sum(jax.nn.one_hot(b[:, 0], 3) * jax.nn.log_softmax(a, axis=-1), axis=-1)", "b.astype(jnp.float32) / 3.0", "jax.nn.one_hot(b, 3)",
    "jnp.take_along_axis(a, b % 3, axis=-1)", "a * (b > 0)", "(b + 1) * 2", "jnp.sum(b * b)",
])
def test_integer_arguments_are_judged_in_int64_and_pass_on_stock_jax(body):
    verdict = reference_oracle(subject(body, INTS), 0)
    assert verdict.status == "passed", verdict


def test_a_product_with_a_mask_may_be_the_select_xla_rewrites_it_into():
    """``x * (b > 0)`` and ``jax.nn.one_hot(labels, n) * log_probs``: XLA computes them as
    ``select(mask, x, 0)``, so where x is inf or nan and the mask 0 the result is 0, not IEEE's
    nan; both are accepted there (the element is volatile, as `envelope` makes it), and a wrong
    value where the mask is 1 still fails."""
    inputs = [np.float32([[np.inf, np.nan, -2.0]]), np.int32([[-1, -1, 5]])]
    args = (ArgSpec("a", (1, 3), "float32"), ArgSpec("b", (1, 3), "int32"))
    outputs, _, _ = reference_runs(subject("a * (b > 0)", args), inputs, 0)
    envelope = judging_envelope(outputs, [np.dtype(np.float32)], False)
    assert not envelope.violations(0, np.float32([[0.0, 0.0, -2.0]])).any()
    assert not envelope.violations(0, np.float32([[np.nan, np.nan, -2.0]])).any()
    assert envelope.violations(0, np.float32([[0.0, 0.0, -2.5]]))[0, 2]


def test_a_draw_whose_integer_arithmetic_leaves_int32_is_passed_over_not_failed():
    """JAX wraps int32 (2147483647 + 1 is -2147483648); the int64 reference does not: such a draw
    says nothing, so it is passed over, as a draw within rounding of a jump is."""
    extreme = np.full((4, 3), np.iinfo(np.int32).max, np.int32)
    inputs = [np.ones((4, 3), np.float32), extreme]
    with pytest.raises(Undefined, match="leaves int32"):
        reference_runs(subject("(b + 1) * a", INTS), inputs, 0)
    reference_runs(subject("(b - 1) * a", INTS), inputs, 0)  # in range: judged
    with pytest.raises(Undefined, match="by zero"):
        reference_runs(subject("b // (b - b)", INTS), inputs, 0)
    verdict = reference_oracle(subject("(b + 2147483647) * a", INTS), 0)
    assert verdict.status in ("passed", "skipped") and not verdict.failed, verdict


def test_a_jax_whose_integer_remainder_truncates_is_caught(monkeypatch):
    """``jnp.remainder`` takes the divisor's sign (-7 % 3 is 2): a JAX computing C's truncated
    remainder instead (-1), in eager and jit alike, fails against the int64 reference."""
    assert reference_oracle(subject("jnp.remainder(b, 3)", INTS), 0).status == "passed"
    monkeypatch.setattr(jax.numpy, "remainder", lambda x, y: jax.lax.rem(x, jax.numpy.int32(y)))
    verdicts = [reference_oracle(subject("jnp.remainder(b, 3)", INTS), seed) for seed in range(3)]
    assert any(v.failed for v in verdicts), verdicts


def test_a_one_hot_that_wraps_negative_labels_is_caught(monkeypatch):
    """``jax.nn.one_hot`` encodes a label outside [0, num_classes) as a row of zeros; one that
    wrapped a negative label around (as a Python index would) fails against the reference."""
    from fuzzgen.trust.sandbox import jax_namespace  # `jax` as checked programs see it

    original = jax.nn.one_hot
    monkeypatch.setattr(jax_namespace().nn, "one_hot",
                        lambda x, n, **k: original(jax.numpy.where(x < 0, x % n, x), n, **k))
    verdicts = [reference_oracle(subject("jax.nn.one_hot(b, 3)", INTS), seed) for seed in range(3)]
    assert any(v.failed for v in verdicts), verdicts


@pytest.mark.parametrize("body", [
    "jax.vmap(lambda r0: jnp.sin(r0) * 2.0)(a)", "jax.vmap(lambda r0, s1: r0 * s1 + 1.0, in_axes=(0, None))(a, b[0])",
    "jax.jit(lambda x0: jnp.exp(x0))(a) + b", "jax.checkpoint(lambda x0: jnp.tanh(x0))(a)",
    "jax.vmap(lambda r0: jnp.sum(r0))(a)", "jax.vmap(lambda r0: jnp.sin(r0) * 2.0, in_axes=1, out_axes=-1)(a)",
    "jax.vmap(lambda r0: jnp.cumsum(r0) + b[:, 0], in_axes=-1, out_axes=1)(a)",
])
def test_transforms_written_in_the_source_have_references(body):
    assert reference_oracle(subject(body), 0).status == "passed"


def test_a_vmap_whose_batching_rule_mixes_examples_is_caught(monkeypatch):
    """``jax.vmap`` by its definition, example by example: a JAX whose vmap reversed the batch
    (a batching rule that mixes examples up), in eager and jit alike, fails against it. Programs
    lowered under vmap are judged the same way, example by example."""
    from fuzzgen.trust.sandbox import jax_namespace

    body = "jax.vmap(lambda r0: jnp.sin(r0) * 2.0)(a)"
    original = jax.vmap
    monkeypatch.setattr(jax_namespace(), "vmap", lambda f, **k: (lambda x: jax.numpy.flip(original(f, **k)(x), 0)))
    verdicts = [reference_oracle(subject(body), seed) for seed in range(2)]
    assert any(v.failed for v in verdicts), verdicts
    monkeypatch.undo()
    batched = Subject(dataclasses.replace(subject("jnp.sin(a) * b").spec, vmap_axes=(0, None)))
    assert reference_oracle(batched, 0).status == "passed"


SWITCH = "lax.switch(jnp.argmax(a[0]) - 1, (lambda x0: x0 * 2.0, lambda x1: jnp.cos(x1), lambda x2: -x2), b)"


@pytest.mark.parametrize("body", [
    "lax.cond(jnp.sum(a) > 0.0, lambda x0: jnp.sin(x0), lambda x1: x1 * 2.0, a)", SWITCH,
    "lax.fori_loop(0, 3, lambda i0, v1: v1 * 0.5 + jnp.tanh(v1), a)",
    "lax.scan(lambda c0, x1: (c0 + x1, c0 * x1), a[0], a)[1]", "jnp.take(a, jnp.argmax(b, axis=1), axis=0)",
    "jnp.split(a, 2, axis=0)[1]", "jnp.vectorize(lambda x0: jnp.sin(x0) + 1.0)(a)",
])
def test_control_flow_gathers_and_vectorize_have_references(body):
    """By JAX's documented definitions: cond and switch run the chosen branch (switch clamps its
    index), fori_loop and scan loop, take and split gather and cut, vectorize maps elements."""
    assert reference_oracle(subject(body), 0).status == "passed"


def test_a_switch_that_wraps_its_index_instead_of_clamping_is_caught(monkeypatch):
    """``lax.switch`` clamps an index outside its branches (-1 runs the first): a JAX that wrapped
    it around as a Python index does (-1 running the last), in eager and jit alike, fails."""
    original = jax.lax.switch
    monkeypatch.setattr(jax.lax, "switch", lambda index, branches, *operands: original(
        index % len(branches), branches, *operands))
    verdicts = [reference_oracle(subject(SWITCH), seed) for seed in range(3)]
    assert any(v.failed for v in verdicts), verdicts


def test_the_reference_oracle_finds_jaxs_zero_quotient_of_the_wrong_sign():
    """jax-ml/jax#40028 (open; PR #40170): ``jnp.floor_divide`` of two negatives whose quotient
    floors to zero returns -0.0 where NumPy and Python return +0.0, and ``1 / x`` turns that into
    -inf. A default-mix reference run met it (seed 9, program 1034: ``arctan2`` of such a zero
    gave -pi for pi); the oracle fails exactly where the bug is present."""
    present = bool(np.signbit(np.asarray(jax.numpy.floor_divide(np.float32(-1.0), np.float32(-2.0)))))
    verdicts = [reference_oracle(subject("1.0 / jnp.floor_divide(a, b)"), seed) for seed in range(4)]
    assert any(v.failed for v in verdicts) == present, verdicts
