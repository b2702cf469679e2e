"""Windows at run-time starts: JAX's clamping semantics, the reference that models it, and the
known JAX bug the gradient oracle finds through them (jax-ml/jax#34228, fixed in jax 0.9.0; CI
runs this file on jax 0.4.30 too, where it is present)."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from fuzzgen.grammar.catalog.windows import clamped_start
from fuzzgen.jaxcompat import version_tuple
from fuzzgen.oracles import Subject
from fuzzgen.oracles.gradients import gradient
from fuzzgen.oracles.references import REFERENCES
from fuzzgen.program.spec import ArgSpec, ProgramSpec
from fuzzgen.trust import grammar_built

X = np.arange(24.0, dtype=np.float32).reshape(4, 6)
STARTS = range(-8, 10)  # in bounds, negative (counted from the end) and beyond either end


@pytest.mark.parametrize("axis, size", [(0, 1), (0, 3), (1, 2), (-1, 6), (-2, 4)])
def test_the_reference_window_is_the_one_jax_takes_for_every_start(axis, size):
    reference = REFERENCES["dynamic_slice_in_dim"].function
    jitted = jax.jit(lambda x, i: lax.dynamic_slice_in_dim(x, i, size, axis=axis))
    for start in STARTS:
        expected = np.asarray(jitted(X, np.int32(start)))
        assert np.array_equal(reference(X, np.int32(start), size, axis=axis), expected), start
        assert np.array_equal(np.asarray(lax.dynamic_slice_in_dim(X, np.int32(start), size, axis=axis)), expected)


@pytest.mark.parametrize("axis, keepdims", list(itertools.product((0, 1, -1), (False, True))))
def test_the_reference_index_and_update_are_the_ones_jax_computes(axis, keepdims):
    index, update = REFERENCES["dynamic_index_in_dim"].function, REFERENCES["dynamic_update_slice_in_dim"].function
    block = -np.ones(X.shape[:axis % 2] + (2,) + X.shape[axis % 2 + 1:], np.float32)
    for start in STARTS:
        i = np.int32(start)
        assert np.array_equal(index(X, i, axis=axis, keepdims=keepdims),
                              np.asarray(lax.dynamic_index_in_dim(X, i, axis=axis, keepdims=keepdims))), start
        assert np.array_equal(update(X, block, i, axis=axis),
                              np.asarray(jax.jit(lambda x, u, i: lax.dynamic_update_slice_in_dim(x, u, i, axis=axis))(
                                  X, block, i))), start


def test_a_start_counts_from_the_end_when_negative_then_is_clamped_to_fit():
    assert [clamped_start(s, 2, 4) for s in (-5, -4, -3, -1, 0, 2, 3, 9)] == [0, 0, 1, 2, 0, 2, 2, 2]


# jacrev(vmap(dynamic_slice)) with an out-of-bound batched start lost the window's gradient before
# jax 0.9.0 (bench/known_bugs: grad_vmap_dynamic_slice_oob). As fuzzgen draws it: one window per
# start, the starts an int32 argument (here -3 and 5 lie out of bounds for 4 rows).
WINDOWS = "jnp.sin(jax.vmap(lambda i0: lax.dynamic_slice_in_dim(a, i0, 2, axis=0))(b))"


def test_the_gradient_oracle_finds_lost_window_gradients_where_jax_has_the_bug():
    args = (ArgSpec("a", (4, 3), "float32"), ArgSpec("b", (3,), "int32"))
    source = f"def f(a, b):\n    return {WINDOWS}\n"
    program = Subject(ProgramSpec(grammar_built(source, "f"), args))
    verdicts = [gradient(program, seed) for seed in range(4)]
    if version_tuple(jax.__version__) >= (0, 9, 0):
        assert all(v.status == "passed" for v in verdicts), verdicts
    else:
        assert any(v.failed and v.error_type == "Mismatch" for v in verdicts), verdicts


def test_jax_agrees_that_the_windows_gradient_counts_every_clamped_window():
    """What the oracle relies on, checked directly: each window's gradient lands where its clamped
    start put it (on a JAX with the bug, the out-of-bound windows add nothing)."""
    starts = np.array([-3, 5, 1, 7], np.int32)
    x = jnp.arange(1.0, 5.0)
    grad = jax.grad(lambda x: jnp.sum(jax.vmap(lambda i: lax.dynamic_slice_in_dim(x, i, 2))(starts)))(x)
    expected = np.zeros(4)
    for s in starts:
        expected[clamped_start(int(s), 2, 4):][:2] += 1
    if version_tuple(jax.__version__) >= (0, 9, 0):
        assert np.array_equal(np.asarray(grad), expected)
    else:
        assert not np.array_equal(np.asarray(grad), expected)
