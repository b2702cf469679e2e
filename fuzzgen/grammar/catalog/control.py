"""Structured control flow: lax.cond, lax.switch, lax.fori_loop, lax.scan, lax.while_loop; and
lax.scan over a stack of layers' weights (model code's scanned blocks).

Their function operands are lambdas the walk builds (`Walk.function`); a function operand's type
is the type its body returns, so the same shape and dtype rules as for any op apply.
"""
from __future__ import annotations

from .core import NUMERIC
from ..ops import OPS, Call, Op, require
from ..types import BOOL

ANY = frozenset(NUMERIC | {BOOL})
SCALAR_PREDICATE = frozenset({BOOL})
SCALAR_INDEX = frozenset({"int32"})
CONTROL = frozenset({"control_flow"})


def _all_equal(types, what):
    require(all(t == types[0] for t in types), f"{what} must all have one type, got {', '.join(map(str, types))}")


def _scalar(vtype, what):
    require(vtype.shape == (), f"{what} must be a scalar, got {vtype}")


def cond_shape(operands, params):
    predicate, on_true, on_false, operand = operands
    _scalar(predicate, "the cond predicate")
    _all_equal((on_true, on_false), "cond branches")
    return on_true.shape


def switch_shape(operands, params):
    index, *branches, operand = operands
    _scalar(index, "the switch index")
    _all_equal(tuple(branches), "switch branches")
    return branches[0].shape


def loop_shape(operands, params):
    """fori_loop (body, init) and while_loop (cond, body, init): the body keeps the carry's type."""
    *functions, init = operands
    body = functions[-1]
    _all_equal((body, init), "the loop body's result and the initial carry")
    if len(functions) == 2:
        _scalar(functions[0], "the while condition")
        require(functions[0].dtype == BOOL, "the while condition must return a bool")
    require(params.get("lower", 0) <= params.get("upper", 0), "fori_loop bounds must not decrease")
    return init.shape


def scan_shapes(operands, params):
    """(f, init, xs) -> (carry, ys): f keeps the carry's type and emits one value of it per step."""
    function, init, xs = operands
    _all_equal((function, init), "the scan body's carry and the initial carry")
    require(xs.rank >= 1 and xs.shape[1:] == init.shape, f"scan over {xs} with carry {init}")
    return (init.shape, (xs.shape[0],) + init.shape)


def scan_layers_shapes(operands, params):
    """(f, h, ws) -> (h, hs): a stack of square layers ``ws`` (layers, d, d) applied to a carry
    whose last axis is d, one layer a step, as Flax's ``nn.scan`` applies scanned blocks."""
    function, init, xs = operands
    _all_equal((function, init), "the scan body's carry and the initial carry")
    require(init.rank >= 1 and xs.rank == 3 and xs.shape[1] == xs.shape[2] == init.shape[-1],
            f"a scan over the layers {xs} with carry {init}")
    return (init.shape, (xs.shape[0],) + init.shape)


def scan_dtypes(operands, params):
    return (operands[1].dtype, operands[1].dtype)


def body_dtype(operands, params):
    return operands[-1].dtype


def branch_dtype(operands, params):
    return operands[1].dtype


CONTROL_OPS = (
    Op(name="cond", render=Call("lax.cond"), arity=4, operand_dtypes=(SCALAR_PREDICATE, ANY, ANY, NUMERIC),
       dtype_rule=branch_dtype, shape_rule=cond_shape, tags=CONTROL, callables=((1, 1), (2, 1)),
       primitives=("cond",)),
    Op(name="switch", render=Call("lax.switch", sequence=(1, 2, 3)), arity=5,
       operand_dtypes=(SCALAR_INDEX, ANY, ANY, ANY, NUMERIC), dtype_rule=branch_dtype, shape_rule=switch_shape,
       tags=CONTROL, callables=((1, 1), (2, 1), (3, 1)), primitives=("cond", "clamp")),
    Op(name="fori_loop", render=Call("lax.fori_loop", leading=("lower", "upper")), arity=2,
       operand_dtypes=(ANY, NUMERIC), dtype_rule=body_dtype, shape_rule=loop_shape, tags=CONTROL,
       callables=((0, 2),), primitives=("scan",),
       limitations="static bounds only, so that reverse mode exists (it lowers to scan)"),
    Op(name="scan", render=Call("lax.scan"), arity=3, operand_dtypes=(ANY, NUMERIC, NUMERIC),
       dtype_rule=scan_dtypes, shape_rule=scan_shapes, tags=CONTROL, callables=((0, 2),), results=2,
       primitives=("scan",)),
    Op(name="scan_layers", render=Call("lax.scan"), arity=3, operand_dtypes=(ANY, NUMERIC, NUMERIC),
       dtype_rule=scan_dtypes, shape_rule=scan_layers_shapes, tags=CONTROL, callables=((0, 2),), results=2,
       primitives=("scan",)),
    Op(name="while_loop", render=Call("lax.while_loop"), arity=3, operand_dtypes=(ANY, ANY, NUMERIC),
       dtype_rule=body_dtype, shape_rule=loop_shape, tags=CONTROL, callables=((0, 1), (1, 1)),
       reverse_mode=False, primitives=("while",),
       limitations="reverse-mode differentiation of while_loop does not exist: records are forward only"),
)

for _op in CONTROL_OPS:
    OPS.register(_op)
