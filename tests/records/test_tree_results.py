"""Tree results (issue 14, item 1): programs that return several values (``return new, {'mu': mu,
'nu': nu}``, ``return loss, w``) are drawn with the types JAX gives them, and their backward IR
differentiates the sum of every value. Their records round-trip with the tree-argument ones
(`test_tree_round_trip.py`)."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fuzzgen.grammar import GrammarSettings
from fuzzgen.lowering.execution import abstract_inputs, make_inputs
from fuzzgen.lowering.lower import gradient_function
from fuzzgen.program import RandomChooser, build_program
from fuzzgen.program.trees import with_leaves
from fuzzgen.trust.sandbox import load_function

TREE_CATEGORIES = ("optimizer", "train_step", "loss", "attention")


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


def test_a_gradient_tree_is_clipped_by_its_global_norm_over_every_leaf():
    """``optax.clip_by_global_norm`` written out before a map over the tree: the norm squares
    and sums every leaf of ``grads`` once, and the map scales the whole tree by one factor, so
    past the limit the update no longer depends on the gradients' scale."""
    settings = GrammarSettings(dtypes=("float32",))
    clipped = [p for p in (build_program(RandomChooser(seed), "optimizer", settings) for seed in range(120))
               if "grads[" in p.source and "jnp.minimum(1.0" in p.source]
    assert len(clipped) >= 3
    for program in clipped[:3]:
        leaves = [a.label for a in program.args if a.name == "grads"]
        assert sorted(leaf for leaf in leaves if leaf in program.source) == sorted(leaves), program.source
        assert all(program.source.count(leaf) == 1 for leaf in leaves), program.source
        limit = float(program.source.split("jnp.minimum(1.0, ")[1].split(" /")[0])
        function = jax.jit(_function(program))
        inputs = make_inputs(program.lowered_args, 1)
        results = []
        for scale in (100.0, 200.0):  # global norms far past the limit
            scaled = [x * scale if a.name == "grads" else x for a, x in zip(program.args, inputs)]
            norm = np.sqrt(sum(np.sum(np.square(x.astype(np.float64))) for a, x in zip(program.args, scaled)
                               if a.name == "grads"))
            assert norm > limit
            results.append(np.concatenate([np.ravel(v) for v in jax.tree_util.tree_leaves(function(*scaled))]))
        np.testing.assert_allclose(results[0], results[1], rtol=1e-4, atol=1e-6, err_msg=program.source)


SGD_OVER_GRADIENT = re.compile(r"map\(lambda (p\d+), (g\d+): \1 - ([0-9.e-]+) \* \2, params, v1\)")


def test_a_tree_training_step_moves_every_leaf_along_the_gradient_of_its_own_loss():
    """``v0, v1 = jax.value_and_grad(lambda p0: loss)(params)`` then SGD over the tree: each new
    leaf is the old one minus the learning rate times the derivative of the returned loss with
    respect to that leaf, taken here by `jax.grad` of the whole program. So the lambda's
    parameter stands for the whole tree, and no leaf is left out or mixed up with another."""
    settings = GrammarSettings(dtypes=("float32",))
    checked = 0
    for seed in range(300):
        program = build_program(RandomChooser(seed), "train_step", settings)
        sgd = SGD_OVER_GRADIENT.search(program.source)
        if "jax.value_and_grad(lambda p0" not in program.source or not sgd or program.source.count("map(") != 1 \
                or () not in [t.shape for t in program.result_types]:  # the loss returned beside the tree
            continue
        rate = float(sgd.group(3))
        function = jax.jit(_function(program))
        inputs = [jnp.asarray(x) for x in make_inputs(program.lowered_args, 2)]
        (loss_at,) = [k for k, t in enumerate(program.result_types) if t.shape == ()]
        tree = [k for k, a in enumerate(program.lowered_args) if a.name == "params"]

        def loss(*leaves):
            xs = list(inputs)
            for k, leaf in zip(tree, leaves):
                xs[k] = leaf
            return jax.tree_util.tree_leaves(function(*xs))[loss_at]

        gradients = jax.grad(loss, argnums=tuple(range(len(tree))))(*(inputs[k] for k in tree))
        new = [v for k, v in enumerate(jax.tree_util.tree_leaves(function(*inputs))) if k != loss_at]
        assert len(new) == len(tree) >= 2, program.source
        for k, gradient, leaf in zip(tree, gradients, new):
            expected = np.asarray(inputs[k], np.float64) - rate * np.asarray(gradient, np.float64)
            np.testing.assert_allclose(np.asarray(leaf, np.float64), expected, rtol=1e-5, atol=1e-6,
                                       err_msg=program.source)
        checked += 1
        if checked == 3:
            break
    assert checked == 3
