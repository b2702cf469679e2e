"""What is known of a value's sign, so that the walk writes ``lax.rsqrt(var + 1e-5)`` as real
code does, without the ``jnp.abs(x) + 1.0`` guard a value of unknown sign gets before an op with
a positive or nonzero domain: "nonnegative" or "positive" where an op, a literal or a keyword
default says so, else ""."""
from __future__ import annotations

from ..grammar.ops import MachineEpsilon, Op
from .nodes import TypedExpr


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def keyword_sign(value: float, float16: bool) -> str:
    """What a keyword-only number is known to be, as a literal's sign is (`sign_of`): positive
    where float16 keeps it (an ``eps`` that ``lax.rsqrt(var + eps)`` needs no guard for)."""
    return "positive" if value >= (1e-2 if float16 else 1e-6) else ""


def sign_of(op: Op, operands, typed: list[TypedExpr], vtype) -> str:
    """What is known of the sign of ``op``'s float result: "nonnegative" for an op declared so,
    and for a sum, product or quotient of nonnegative values and literals; "positive" for the
    maximum of anything and a positive literal, and for a nonnegative value plus a positive
    literal, one large enough that float16 keeps it and a quotient by it stays finite there;
    else ""."""
    if isinstance(vtype, tuple) or not vtype.is_float:
        return ""
    if op.nonnegative or (op.keeps_sign and typed and typed[0].sign):
        return "nonnegative"
    literals = [o for o in operands if is_number(o)]
    values = [t for o, t in zip(operands, typed) if not is_number(o)]
    if op.name == "add" and len(values) == 2 and "positive" in (values[0].sign, values[1].sign) and all(
            v.sign for v in values):
        return "positive"  # `mean_square + eps` of a keyword-only eps
    if op.name in ("add", "multiply", "divide") and values and all(v.sign for v in values) and all(
            float(v) >= 0 for v in literals):  # Adam's `0.999 * nu + 0.001 * jnp.square(g)`
        if op.name != "add" or len(values) == 2:
            return "nonnegative"
    floor = 1e-2 if vtype.dtype == "float16" else 1e-6
    if op.name == "maximum" and any(float(v) >= floor for v in literals):  # `jnp.maximum(n, 1.0)`
        return "positive"
    if op.name != "add":
        return ""
    # a dtype's own epsilon is positive there and 1/eps is finite in it
    own_epsilon = isinstance(literals[0], MachineEpsilon) and literals[0].dtype == vtype.dtype if literals else False
    if len(literals) == 1 and len(values) == 1 and (float(literals[0]) >= floor or own_epsilon) and values[0].sign:
        return "positive"
    return ""
