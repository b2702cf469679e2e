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
    f = lambda a, b: a * lax.stop_gradient(b) + b  # noqa: E731
    x = (jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0]))
    held = frozen.frozen_at(f, x)
    moved = (jnp.array([1.0, 2.0]), jnp.array([5.0, 5.0]))
    assert held(*moved).tolist() == [1.0 * 3.0 + 5.0, 2.0 * 4.0 + 5.0]
    assert frozen.frozen_at(jnp.sin, (x[0],)) is jnp.sin  # nothing to freeze: f itself


def test_stopped_gradients_are_found_in_calls_but_not_counted_from_nothing():
    assert stops_gradients(jax.make_jaxpr(lambda a: jax.jit(lambda t: lax.stop_gradient(t))(a))(1.0))
    assert not stops_gradients(jax.make_jaxpr(lambda a: jnp.sin(a) * 2.0)(1.0))
