"""``jax.tree.map`` (and its older spelling ``jax.tree_util.tree_map``) over tuples of arrays, as
optimizers and parameter updates write it: ``w, b = jax.tree.map(lambda p, g: p - 0.01 * g,
(w, b), (gw, gb))``, or over one tree, ``jax.tree.map(lambda t: t * 0.9, (m, v))``.

The lambda is built on the first leaves' types and applied to every leaf, so its body must keep
each leaf's shape and dtype: the productions give it elementwise steps only (unary functions,
arithmetic between the lambda's parameters and with literals). Results are bound as a tuple.

A tree map may also run over **whole trees**: ``jax.tree_util.tree_map(lambda p, g: p - 0.01 * g,
params, grads)`` maps a lambda over every leaf of one to `MAX_MAPPED_TREES` trees of the same
structure (tree arguments, or names bound to such a map). Its result is a tree: bound to a name
of its own, then only mapped over again or returned (``return new, {'mu': mu, 'nu': nu}``). The
builder (`ProgramBuilder.tree_map`) and the trust check share `WHOLE_TREE_MAPS`; each spelling is
counted as the registry's tuple form of it.

The gradient of a loss with respect to a whole tree argument is one too (a training step):
``v0, v1 = jax.value_and_grad(lambda p: loss)(params)`` or ``v1 = jax.grad(lambda p: loss)(params)``
binds the gradient, a tree of ``params``' structure, to a name (`TREE_GRADIENTS`: the target ->
the transform op it is counted as, and how many names it binds); inside the lambda ``p`` is read
leaf by leaf, as ``params`` is (``p['Dense_0']['kernel']``).
"""
from __future__ import annotations

from ..ops import OPS, Call, Op, require
from .core import FLOAT

TREES = frozenset({"tree_map"})
WHOLE_TREE_MAPS = {"jax.tree.map": "tree_map", "jax.tree_util.tree_map": "tree_util_map"}  # target -> op counted
MAX_MAPPED_TREES = 3
TREE_GRADIENTS = {"jax.value_and_grad": ("value_and_grad_call", 2), "jax.grad": ("grad_call", 1)}


def _one_tree_shapes(operands, params):
    function, first, second = operands
    require(function == first, f"the lambda over the leaves returns {function}, not the leaf type {first}")
    return (first.shape, second.shape)


def _two_tree_shapes(operands, params):
    function, first, second, other_first, other_second = operands
    require(function == first, f"the lambda over the leaves returns {function}, not the leaf type {first}")
    require(first.shape == other_first.shape and second.shape == other_second.shape,
            "the two trees' leaves must have the same shapes, pairwise")
    return (first.shape, second.shape)


def _leaf_dtypes(operands, params):
    return (operands[1].dtype, operands[2].dtype)


def _tree_map(name, target, trees, weight):
    if trees == 1:
        arity, sequence, parameters, shape_rule = 3, (1, 2), 1, _one_tree_shapes
    else:
        arity, sequence, parameters, shape_rule = 5, ((1, 2), (3, 4)), 2, _two_tree_shapes
    return Op(name=name, render=Call(target, sequence=sequence), arity=arity,
              operand_dtypes=(FLOAT,) * arity, dtype_rule=_leaf_dtypes, shape_rule=shape_rule, tags=TREES,
              callables=((0, parameters),), results=2, weight=weight, primitives=())


TREE_OPS = (
    _tree_map("tree_map", "jax.tree.map", 1, 3),
    _tree_map("tree_map2", "jax.tree.map", 2, 3),
    _tree_map("tree_util_map", "jax.tree_util.tree_map", 1, 2),
    _tree_map("tree_util_map2", "jax.tree_util.tree_map", 2, 2),
)

for _op in TREE_OPS:
    OPS.register(_op)
