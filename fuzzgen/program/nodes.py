"""libcst nodes for ops, literals and names, with precedence-aware parentheses.

Rendering an op is a pure function of its record and its operand nodes; no source text is glued
together by hand.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..grammar.ops import AtUpdate, Call, DTypeName, DTypeOf, Method, Op, Operator, Slice, StaticDim, StaticShape, Subscript, Subscripts, Transform, AxisName, MachineEpsilon, StaticNdim
from ..grammar.types import ValueType

ATOM = 100
# Python's precedence, low to high: comparisons < | < ^ < & < + - < * / // % @ < unary < **.
_BINARY = {
    "|": (cst.BitOr, 7), "^": (cst.BitXor, 8), "&": (cst.BitAnd, 9),
    "+": (cst.Add, 10), "-": (cst.Subtract, 10),
    "*": (cst.Multiply, 11), "/": (cst.Divide, 11), "@": (cst.MatrixMultiply, 11),
    "//": (cst.FloorDivide, 11), "%": (cst.Modulo, 11),
    "**": (cst.Power, 13),
}
_RIGHT_ASSOCIATIVE = frozenset({"**"})
_COMPARE = {
    ">": cst.GreaterThan, "<": cst.LessThan, ">=": cst.GreaterThanEqual,
    "<=": cst.LessThanEqual, "!=": cst.NotEqual, "==": cst.Equal,
}
_COMPARE_PRECEDENCE = 6
_UNARY = {"-": (cst.Minus, 12), "~": (cst.BitInvert, 12)}


@dataclass(frozen=True)
class TypedExpr:
    """An expression node with its inferred type and the precedence of its outermost operator."""

    node: cst.BaseExpression
    vtype: ValueType
    precedence: int = ATOM
    # What is known of its sign: "nonnegative" (from an op that never gives a negative value) or
    # "positive" (a nonnegative value plus a positive literal, `var + 1e-5`), else "".
    sign: str = ""


@dataclass(frozen=True)
class ResultTree:
    """A program's result made of several values, as its return writes them: a tuple (``return
    loss, w``) or a dict (``return {'b': b, 'w': w}``), one inside the other at most. ``leaves``
    are the values' types in ``jax.tree_util.tree_leaves`` order (dict keys sorted)."""

    node: cst.BaseExpression
    leaves: tuple[ValueType, ...]
    depth: int = 1


@dataclass(frozen=True)
class TreeExpr:
    """A whole tree: a tree argument's name (``params``) or a name bound to a map over trees.
    ``leaves`` are (path, type) pairs in ``jax.tree_util.tree_leaves`` order."""

    node: cst.BaseExpression
    leaves: tuple[tuple[tuple, ValueType], ...]

    @property
    def paths(self) -> tuple[tuple, ...]:
        return tuple(path for path, _ in self.leaves)


def leaf_read(node: cst.BaseExpression, path) -> cst.BaseExpression:
    """``node`` subscripted along a tree path: ``params['Dense_0']['bias']``, ``layers[0]['w']``."""
    for key in path:
        index = cst.SimpleString(repr(key)) if isinstance(key, str) else cst.Integer(str(key))
        node = cst.Subscript(node, [cst.SubscriptElement(cst.Index(index))])
    return node


def parenthesized(expr: TypedExpr, needs: bool) -> cst.BaseExpression:
    if not needs:
        return expr.node
    return expr.node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def dotted(target: str) -> cst.BaseExpression:
    head, *rest = target.split(".")
    node: cst.BaseExpression = cst.Name(head)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def literal(value) -> cst.BaseExpression:
    """A node for a Python constant: bool, None, int, float, a dtype (``jnp.float16``), or a
    tuple of those."""
    if value is None or isinstance(value, bool):
        return cst.Name(repr(value))
    if isinstance(value, MachineEpsilon):
        dtype = dotted(f"{value.of}.dtype") if value.of else dotted(DTypeName(value.dtype).target)
        return cst.Attribute(value=cst.Call(func=dotted("jnp.finfo"), args=[cst.Arg(dtype)]), attr=cst.Name("eps"))
    if isinstance(value, (Subscripts, AxisName)):
        return cst.SimpleString(repr(str(value)))
    if isinstance(value, DTypeOf):
        return dotted(f"{value.of}.dtype")
    if isinstance(value, DTypeName):
        return dotted(value.target)
    if isinstance(value, StaticShape) and value.call:
        return cst.Call(func=dotted("jnp.shape"), args=[cst.Arg(cst.Name(value.of))])
    if isinstance(value, StaticShape):
        return dotted(f"{value.of}.shape")
    if isinstance(value, StaticNdim):
        ndim = dotted(f"{value.of}.ndim")
        return cst.BinaryOperation(ndim, cst.Subtract(), cst.Integer(str(value.minus))) if value.minus else ndim
    if isinstance(value, StaticDim):
        return cst.Subscript(value=dotted(f"{value.of}.shape"), slice=[index_element(value.axis)])
    if isinstance(value, tuple):
        elements = [cst.Element(literal(v)) for v in value]
        if len(elements) == 1:
            elements = [elements[0].with_changes(comma=cst.Comma())]
        return cst.Tuple(elements)
    if isinstance(value, (int, float)):
        number = cst.Integer(str(abs(value))) if isinstance(value, int) else cst.Float(repr(abs(float(value))))
        return cst.UnaryOperation(cst.Minus(), number) if value < 0 else number
    raise TypeError(f"cannot render literal {value!r} of type {type(value).__name__}")


def lambda_node(names: list[str], body: cst.BaseExpression) -> cst.Lambda:
    return cst.Lambda(params=cst.Parameters([cst.Param(cst.Name(n)) for n in names]), body=body)


def pair_node(first: cst.BaseExpression, second: cst.BaseExpression) -> cst.Tuple:
    return cst.Tuple([cst.Element(first), cst.Element(second)])


def literal_precedence(value) -> int:
    if isinstance(value, (StaticDim, MachineEpsilon)):
        return ATOM
    return _UNARY["-"][1] if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0 else ATOM


def _keyword_arg(name: str, value) -> cst.Arg:
    return cst.Arg(literal(value), keyword=cst.Name(name),
                   equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def index_element(item) -> cst.SubscriptElement:
    """One part of a static index: an int, a `Slice`, None (a new axis) or Ellipsis."""
    if item is Ellipsis:
        return cst.SubscriptElement(cst.Index(cst.Ellipsis()))
    if isinstance(item, Slice):
        parts = [None if v is None else literal(v) for v in (item.start, item.stop, item.step)]
        return cst.SubscriptElement(cst.Slice(lower=parts[0], upper=parts[1], step=parts[2]))
    return cst.SubscriptElement(cst.Index(literal(item)))


def render_op(op: Op, operands: list[TypedExpr], params: dict) -> tuple[cst.BaseExpression, int]:
    """The node for ``op`` applied to ``operands``, and its precedence."""
    render = op.render
    if isinstance(render, AtUpdate):
        receiver, update = operands
        at = cst.Attribute(value=parenthesized(receiver, receiver.precedence < ATOM), attr=cst.Name("at"))
        indexed = cst.Subscript(value=at, slice=[index_element(i) for i in params["index"]])
        return cst.Call(func=cst.Attribute(value=indexed, attr=cst.Name(render.method)),
                        args=[cst.Arg(update.node)]), ATOM
    if isinstance(render, Transform):
        function, *applied = operands
        inner = cst.Call(func=dotted(render.target), args=[cst.Arg(function.node)] + [
            _keyword_arg(name, params[name]) for name in render.keyword if name in params])
        return cst.Call(func=inner, args=[cst.Arg(o.node) for o in applied]), ATOM
    if isinstance(render, Subscript) and render.gather:
        receiver, index = operands
        return cst.Subscript(value=parenthesized(receiver, receiver.precedence < ATOM),
                             slice=[cst.SubscriptElement(cst.Index(index.node))]), ATOM
    if isinstance(render, (Method, Subscript)):
        (receiver,) = operands
        value = parenthesized(receiver, receiver.precedence < ATOM)
        if isinstance(render, Subscript):
            return cst.Subscript(value=value, slice=[index_element(i) for i in params["index"]]), ATOM
        attribute = cst.Attribute(value=value, attr=cst.Name(render.name))
        if render.attribute:
            return attribute, ATOM
        args = [cst.Arg(literal(params[name])) for name in render.positional if name in params]
        args += [_keyword_arg(name, params[name]) for name in render.keyword if name in params]
        return cst.Call(func=attribute, args=args), ATOM
    if isinstance(render, Call):
        args = [cst.Arg(literal(params[name])) for name in render.leading]
        starts = {group[0]: group for group in render.groups}
        packed_positions = {p for group in render.groups for p in group}
        for position, operand in enumerate(operands):
            if position in starts:
                args.append(cst.Arg(cst.Tuple([cst.Element(operands[p].node) for p in starts[position]])))
            elif position not in packed_positions:
                args.append(cst.Arg(operand.node))
        args += [cst.Arg(literal(params[name])) for name in render.positional if name in params]
        args += [_keyword_arg(name, params[name]) for name in render.keyword if name in params]
        return cst.Call(func=dotted(render.target), args=args), ATOM
    assert isinstance(render, Operator)
    if render.form == "unary":
        node_type, precedence = _UNARY[render.symbol]
        (operand,) = operands
        return cst.UnaryOperation(node_type(), parenthesized(operand, operand.precedence < precedence)), precedence
    left, right = operands
    if render.form == "compare":
        p = _COMPARE_PRECEDENCE
        node = cst.Comparison(
            parenthesized(left, left.precedence <= p),
            [cst.ComparisonTarget(_COMPARE[render.symbol](), parenthesized(right, right.precedence <= p))],
        )
        return node, p
    node_type, p = _BINARY[render.symbol]
    if render.symbol in _RIGHT_ASSOCIATIVE:  # a ** b ** c is a ** (b ** c); -a ** b is -(a ** b)
        left_needs, right_needs = left.precedence <= p, right.precedence < p
    else:
        left_needs, right_needs = left.precedence < p, right.precedence <= p
    node = cst.BinaryOperation(parenthesized(left, left_needs), node_type(), parenthesized(right, right_needs))
    return node, p
