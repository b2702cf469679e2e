"""A reducer step into a lambda: a transform applied in the source whose value is its lambda's
own value is replaced by the lambda's body, its parameters replaced by the operands.

``v0 = jax.jit(lambda x0: jnp.tanh(x0) * 2.0)(a)`` becomes ``v0 = jnp.tanh(a) * 2.0``, and
``v0, v1 = jax.value_and_grad(lambda p0: loss(p0['w']))(params)`` becomes ``v0 =
loss(params['w'])`` once nothing reads the gradient ``v1`` (a tree or an array). The other edits
never enter a lambda (`syntax`), so without this step a bug inside a transformed loss stayed
behind the transform, the whole training step around it. ``jax.grad`` and ``jax.vmap`` change
their lambda's value, so their lambdas are never inlined.
"""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from ..trust.values import dotted_name
from . import syntax

# transform -> how many names its result binds where it is inlined (the value first)
INLINED = {"jax.jit": 1, "jax.checkpoint": 1, "jax.value_and_grad": 2}


def inlined_applications(function: cst.FunctionDef, where: syntax.Layout) -> Iterator[cst.FunctionDef]:
    """``function`` with one transformed lambda inlined, for each one that can be."""
    for line, names in where.statements:
        value = line.body[0].value
        lambda_node = _inlinable(value, names, where)
        if lambda_node is None:
            continue
        operands = {p.name.value: a.value for p, a in zip(lambda_node.params.params, value.args)}
        body = lambda_node.body.visit(_Substituted(operands))
        assignment = cst.Assign([cst.AssignTarget(cst.Name(names[0]))], body)
        yield function.deep_replace(line, line.with_changes(body=[assignment]))


def _inlinable(value: cst.BaseExpression, names: tuple[str, ...], where: syntax.Layout) -> cst.Lambda | None:
    """The lambda of ``value`` where it is a transform of `INLINED` applied to positional operands,
    one per lambda parameter, binding ``names`` of which only the first is read."""
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Call)):
        return None
    target = dotted_name(value.func.func)
    if target not in INLINED or len(names) != INLINED[target] or any(where.uses.get(n) for n in names[1:]):
        return None
    arguments = value.func.args
    if len(arguments) != 1 or arguments[0].keyword is not None or not isinstance(arguments[0].value, cst.Lambda):
        return None
    function = arguments[0].value
    if isinstance(function.body, cst.Tuple) or len(function.params.params) != len(value.args) \
            or any(a.keyword is not None or a.star for a in value.args):
        return None
    return function


class _Substituted(cst.CSTTransformer):
    """Each read of a lambda parameter replaced by its operand (parenthesized where it is not a
    name: the operand is one value, whatever reads it)."""

    def __init__(self, operands: dict[str, cst.BaseExpression]):
        self.operands = operands
        self.attributes: set[int] = set()  # `x0.sum`: the attribute part names a method, never a parameter

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.attributes.add(id(node.attr))
        return True

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        operand = self.operands.get(original_node.value)
        if operand is None or id(original_node) in self.attributes:
            return updated_node
        if isinstance(operand, (cst.Name, cst.Subscript)):
            return operand
        return operand.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
