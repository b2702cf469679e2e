"""The gradient oracle differentiates numerically the function JAX's rules differentiate: with
``lax.stop_gradient`` results held at their values (fuzzgen.oracles.frozen)."""
import pytest

from fuzzgen.oracles import frozen, gradients, run_oracles
from fuzzgen.oracles.frozen import stops_gradients
from fuzzgen.program.spec import ArgSpec, ProgramSpec
from fuzzgen.oracles import Subject
from fuzzgen.trust import grammar_built

import jax
import jax.numpy as jnp
from jax import lax

from fuzzgen.jaxcompat import version_tuple
from fuzzgen.oracles import ORACLE_NAMES

F32_3 = (ArgSpec("a", (3,), "float32"), ArgSpec("b", (3,), "float32"))
DERIVATIVE_ORACLES = ("gradient", "forward_vs_reverse")

STOPPING = {
    # a regression target: no gradient reaches b
    "target": "jnp.mean((a - lax.stop_gradient(b)) ** 2)",
    # the straight-through estimator: round forward, identity backward
    "straight_through": "(a + lax.stop_gradient(jnp.round(a) - a)) * b",
    # inside a call: frozen too (the call is evaluated once)
    "in_a_call": "jax.jit(lambda t: t - lax.stop_gradient(t) + jnp.sin(t))(a) * b",
}


def subject(body: str, args=F32_3) -> Subject:
    names = ", ".join(a.name for a in args)
    return Subject(ProgramSpec(grammar_built(f"def f({names}):\n    return {body}\n", "f"), tuple(args)))


def statuses(verdicts):
    return {v.oracle: v.status for v in verdicts}


@pytest.mark.parametrize("form", sorted(STOPPING))
def test_a_program_that_stops_gradients_passes(form):
    verdicts = run_oracles(subject(STOPPING[form]), DERIVATIVE_ORACLES, seed=1)
    assert statuses(verdicts) == dict.fromkeys(DERIVATIVE_ORACLES, "passed"), verdicts


@pytest.mark.parametrize("form", ["target", "in_a_call"])
def test_without_freezing_the_same_program_would_be_a_false_alarm(form, monkeypatch):
    """What the freezing is for: differences of f itself see the hidden derivative."""
    monkeypatch.setattr(gradients, "frozen_at", lambda f, x: f)
    (verdict,) = run_oracles(subject(STOPPING[form]), ("gradient",), seed=1)
    assert verdict.failed and "central differences" in verdict.details


def test_a_wrong_derivative_beside_a_stopped_gradient_is_still_found(monkeypatch):
    from fuzzgen.grammar import plugins

    @jax.custom_jvp
    def bad_sin(x):
        return jnp.sin(x)

    bad_sin.defjvp(lambda primals, tangents: (jnp.sin(primals[0]), 2.0 * jnp.cos(primals[0]) * tangents[0]))
    monkeypatch.setattr(plugins.EXTENSIONS, "bad_sin", bad_sin, raising=False)
    verdicts = run_oracles(subject("ext.bad_sin(a) * lax.stop_gradient(b) + b"), DERIVATIVE_ORACLES, seed=0)
    assert statuses(verdicts) == {"gradient": "failed", "forward_vs_reverse": "passed"}, verdicts


def test_frozen_function_holds_the_stopped_value_and_leaves_the_rest_live():
    f = lambda a, b: a * frozen.marked_stop_gradient(b) + b  # noqa: E731
    x = (jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0]))
    held = frozen.frozen_at(f, x)
    moved = (jnp.array([1.0, 2.0]), jnp.array([5.0, 5.0]))
    assert held(*moved).tolist() == [1.0 * 3.0 + 5.0, 2.0 * 4.0 + 5.0]
    assert frozen.frozen_at(jnp.sin, (x[0],)) is jnp.sin  # nothing to freeze: f itself


def test_marked_stopped_gradients_are_found_in_calls_and_library_ones_are_not_held():
    assert stops_gradients(jax.make_jaxpr(lambda a: jax.jit(lambda t: frozen.marked_stop_gradient(t))(a))(1.0))
    assert not stops_gradients(jax.make_jaxpr(lambda a: jnp.sin(a) * 2.0)(1.0))
    # jnp.linalg.solve factors stop_gradient(a) and differentiates through its matvec: holding
    # that stop_gradient would change the function (bench/oracle_false_positives.py found it)
    solve = jax.make_jaxpr(jnp.linalg.solve)(jnp.eye(2), jnp.ones(2))
    assert "stop_gradient" in str(solve) and not stops_gradients(solve)


def test_a_solve_beside_a_stopped_gradient_is_differentiated_through():
    args = (ArgSpec("a", (2, 2), "float32"), ArgSpec("b", (2, 3), "float32"))
    body = "jnp.linalg.solve(a @ a.T + 2.0 * jnp.eye(2), b).mean() + lax.stop_gradient(a).sum()"
    verdicts = run_oracles(subject(body, args), DERIVATIVE_ORACLES, seed=812)
    assert statuses(verdicts) == dict.fromkeys(DERIVATIVE_ORACLES, "passed"), verdicts


CONV_BF16_ARGS = (ArgSpec("a", (1, 2, 4), "bfloat16"), ArgSpec("b", (1, 2, 2), "bfloat16"))
MIXED_PRECISION_CONV = "lax.conv_general_dilated(a, b, (1,), ((0, 0),), preferred_element_type=jnp.float32)"
# jax-ml/jax#31592 (bench/known_bugs: conv_grad_preferred_element_type): the gradient of this
# convolution raised a dtype error before jax 0.10.0
CONV_GRAD_FIXED = version_tuple(jax.__version__) >= (0, 10, 0)


@pytest.mark.skipif(not CONV_GRAD_FIXED, reason="jax#31592 is present: see the next test")
def test_a_program_valid_only_at_its_own_dtypes_is_skipped_by_the_float64_oracles():
    """A convolution with `preferred_element_type=jnp.float32` of bfloat16 operands is what
    mixed-precision code writes; with float64 inputs JAX refuses it (narrower than the inputs), so
    the float64 derivative oracles skip, saying why, and the others (NumPy's cross-correlation
    the reference) judge it."""
    verdicts = {v.oracle: v for v in run_oracles(subject(MIXED_PRECISION_CONV, CONV_BF16_ARGS), ORACLE_NAMES, seed=0)}
    assert {name: v.status for name, v in verdicts.items() if name in DERIVATIVE_ORACLES} == dict.fromkeys(
        DERIVATIVE_ORACLES, "skipped")
    assert "does not trace with float64 inputs" in verdicts["gradient"].details
    assert all(v.status == "passed" for name, v in verdicts.items() if name not in DERIVATIVE_ORACLES), verdicts


@pytest.mark.skipif(CONV_GRAD_FIXED, reason="jax#31592 was fixed in jax 0.10.0")
def test_on_a_jax_with_the_known_conv_gradient_bug_the_crash_oracle_finds_it():
    """The real bug on the old JAX CI runs (0.4.30): tracing the gradient raises."""
    (verdict,) = run_oracles(subject(MIXED_PRECISION_CONV, CONV_BF16_ARGS), ("crash",), seed=0)
    assert verdict.failed and "backward" in verdict.details and "same dtypes" in verdict.details, verdict
