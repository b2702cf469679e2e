"""libcst nodes for ops, literals and names, with precedence-aware parentheses.

Rendering an op is a pure function of its record and its operand nodes; no source text is glued
together by hand.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..grammar.ops import Call, Op, Operator
from ..grammar.types import ValueType

ATOM = 100
_BINARY = {
    "+": (cst.Add, 10), "-": (cst.Subtract, 10),
    "*": (cst.Multiply, 11), "/": (cst.Divide, 11), "@": (cst.MatrixMultiply, 11),
}
_COMPARE = {
    ">": cst.GreaterThan, "<": cst.LessThan, ">=": cst.GreaterThanEqual,
    "<=": cst.LessThanEqual, "!=": cst.NotEqual, "==": cst.Equal,
}
_COMPARE_PRECEDENCE = 6
_UNARY = {"-": (cst.Minus, 12)}


@dataclass(frozen=True)
class TypedExpr:
    """An expression node with its inferred type and the precedence of its outermost operator."""

    node: cst.BaseExpression
    vtype: ValueType
    precedence: int = ATOM


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
    """A node for a Python constant: bool, None, int, float, or a tuple of those."""
    if value is None or isinstance(value, bool):
        return cst.Name(repr(value))
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
    return _UNARY["-"][1] if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0 else ATOM


def render_op(op: Op, operands: list[TypedExpr], params: dict) -> tuple[cst.BaseExpression, int]:
    """The node for ``op`` applied to ``operands``, and its precedence."""
    render = op.render
    if isinstance(render, Call):
        args = [cst.Arg(literal(params[name])) for name in render.leading]
        for position, operand in enumerate(operands):
            if position in render.sequence[1:]:
                continue
            if render.sequence and position == render.sequence[0]:
                packed = cst.Tuple([cst.Element(operands[p].node) for p in render.sequence])
                args.append(cst.Arg(packed))
            else:
                args.append(cst.Arg(operand.node))
        args += [cst.Arg(literal(params[name])) for name in render.positional if name in params]
        args += [
            cst.Arg(literal(params[name]), keyword=cst.Name(name),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
            for name in render.keyword if name in params
        ]
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
    node = cst.BinaryOperation(
        parenthesized(left, left.precedence < p), node_type(), parenthesized(right, right.precedence <= p)
    )
    return node, p
