"""Linear algebra and convolution real model code calls: ``jnp.linalg.solve``,
``jnp.linalg.cholesky`` and ``jnp.linalg.qr`` of float32 matrices (LAPACK has no float16 or
bfloat16), and ``lax.conv_general_dilated`` with explicit padding, plus special functions
(``jax.scipy.special.i0e``/``i1e``), ``lax.clamp`` and ``jnp.arccosh``.

The productions hand solve and cholesky a symmetric positive-definite matrix built as real code
builds one, ``a @ a.T + n * jnp.eye(n)``, so results are well-conditioned and the oracles'
tolerances hold.
"""
from __future__ import annotations

from .. import library_rules, rules
from ..ops import OPS, Call, Domain, Op, require
from .core import FLOAT, _unary

FLOAT32 = frozenset({"float32"})
LINALG = frozenset({"linalg"})


def _square(operands) -> bool:
    return operands[0].rank == 2 and operands[0].shape[0] == operands[0].shape[1]


def _solved(operands, params):
    matrix, rhs = operands
    require(_square((matrix,)) and rhs.rank in (1, 2) and rhs.shape[0] == matrix.shape[0],
            f"solve of {matrix} and {rhs}")
    return rhs.shape


def _qr_shapes(operands, params):
    m, n = operands[0].shape
    k = min(m, n)
    return ((m, k), (k, n))


def _conv_shape(operands, params):
    """``lax.conv_general_dilated(x, w, strides, padding)`` in JAX's default layout: x is
    (N, C, spatial...), w is (O, C, kernel...); each spatial size becomes
    (size + low + high - kernel) // stride + 1."""
    image, kernel = operands
    require(image.rank == kernel.rank >= 3 and image.shape[1] == kernel.shape[1], f"conv of {image} by {kernel}")
    strides, padding = params["window_strides"], params["padding"]
    spatial = []
    for size, width, stride, (low, high) in zip(image.shape[2:], kernel.shape[2:], strides, padding):
        out = (size + low + high - width) // stride + 1
        require(out >= 1, f"conv of {image} by {kernel}: the kernel is larger than the padded image")
        spatial.append(out)
    return (image.shape[0], kernel.shape[0], *spatial)


def _draw_conv_params(chooser, operands):
    spatial = operands[0].rank - 2
    same = chooser.chance(0.5)
    padding = tuple(((k - 1) // 2, k // 2) if same else (0, 0) for k in operands[1].shape[2:])
    return {"window_strides": (1,) * spatial, "padding": padding,
            **library_rules.draw_preferred_element_type(chooser, operands)}


def _conv_ready(operands) -> bool:
    try:
        _conv_shape(operands, _draw_conv_params(_First(), operands))
        return True
    except ValueError:
        return False


class _First:
    """A chooser that always takes the first option (for checking that some parameters fit)."""

    def chance(self, probability):
        return False


LINALG_OPS = (
    Op(name="solve", render=Call("jnp.linalg.solve"), arity=2, operand_dtypes=(FLOAT32, FLOAT32),
       dtype_rule=rules.promoted, shape_rule=_solved, tags=LINALG, requires=lambda operands: _square(operands),
       primitives=("lu", "lu_pivots_to_permutation", "triangular_solve", "custom_linear_solve"),
       limitations="drawn on symmetric positive-definite matrices only (a @ a.T + n * eye)"),
    Op(name="cholesky", render=Call("jnp.linalg.cholesky"), arity=1, operand_dtypes=(FLOAT32,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=LINALG, requires=_square,
       primitives=("cholesky",), limitations="drawn on symmetric positive-definite matrices only"),
    Op(name="qr", render=Call("jnp.linalg.qr"), arity=1, operand_dtypes=(FLOAT32,),
       dtype_rule=lambda operands, params: ("float32", "float32"), shape_rule=_qr_shapes, tags=LINALG,
       requires=lambda operands: operands[0].rank == 2, results=2,
       primitives=("geqrf", "householder_product")),
    Op(name="conv", render=Call("lax.conv_general_dilated", positional=("window_strides", "padding"),
                                keyword=("preferred_element_type",)), arity=2,
       operand_dtypes=(FLOAT, FLOAT), dtype_rule=library_rules.contraction_dtype, shape_rule=_conv_shape,
       tags=frozenset({"convolution"}), draw_params=_draw_conv_params, requires=_conv_ready,
       primitives=("conv_general_dilated",)),
    _unary("i0e", "jax.scipy.special.i0e", primitives=("bessel_i0e",)),
    _unary("i1e", "jax.scipy.special.i1e", primitives=("bessel_i1e",)),
    _unary("arccosh", "jnp.arccosh", domain=Domain.AT_LEAST_ONE, primitives=("acosh",)),
    # lax.clamp takes its bounds at the operand's dtype (Python floats are float32 to it).
    Op(name="clamp", render=Call("lax.clamp", leading=("min",), positional=("max",)), arity=1,
       operand_dtypes=(FLOAT32,), dtype_rule=rules.same_as_first, shape_rule=rules.same_shape,
       tags=frozenset({"unary", "elementwise"}), draw_params=lambda chooser, operands: {
           "min": chooser.choice((-1.0, 0.0, -2.0)), "max": chooser.choice((1.0, 2.0, 6.0))},
       primitives=("clamp",)),
)

for _op in LINALG_OPS:
    OPS.register(_op)
