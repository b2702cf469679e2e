"""Array-library calls real code makes beyond the first batch (issue 13, measured by
bench/realism.py): ``jnp.einsum`` and ``jnp.vdot``, ``jnp.split`` into halves (``a, b =
jnp.split(h, 2, axis=-1)``), ``jnp.repeat``, ``jax.nn.one_hot``, gathers ``x[i]`` with int
indices, ``jnp.take_along_axis``, ``jnp.linalg.norm``, ``jnp.any``/``jnp.all`` of masks,
``lax.select``, ``jnp.logical_or``, ``jnp.isinf``, ``jnp.triu``, ``jnp.diag``, ``jnp.hstack``/
``vstack``, ``lax.convert_element_type``, ``lax.stop_gradient``, ``jnp.cross`` and
``jax.ops.segment_sum``.

Indices reach a gather in bounds by construction (``x[i % x.shape[0]]``, ``argmax`` along an
axis): out-of-bounds gathers are clamped forward but dropped in reverse mode, so the gradient
oracle would flag JAX's documented behaviour. Segment ids are kept in bounds the same way
(``ids % n``): out-of-range ids are dropped.

``lax.stop_gradient`` is drawn only by the idiom that places it (`fuzzgen.grammar.idioms.stopped`),
never inside a loop or branch body: the gradient oracle differentiates the program with its
stopped values held (`fuzzgen.oracles.frozen`).
"""
from __future__ import annotations

from .. import library_rules as lib, rules
from ..ops import OPS, Call, Op, Subscript
from ..types import INT_DTYPES
from .core import FLOAT, NUMERIC, PREDICATE

INT = frozenset(INT_DTYPES)


def _mask_reduction(name, primitive):
    return Op(name=name, render=Call(f"jnp.{name}", keyword=("axis", "keepdims")), arity=1,
              operand_dtypes=(PREDICATE,), dtype_rule=rules.boolean, shape_rule=rules.reduced,
              tags=frozenset({"mask_reduction"}), draw_params=lib.draw_mask_reduction_params,
              differentiable=False, primitives=(primitive,))


def _join(name, shape_rule, requires):
    return Op(name=name, render=Call(f"jnp.{name}", sequence=(0, 1)), arity=2, operand_dtypes=(NUMERIC, NUMERIC),
              dtype_rule=rules.promoted, shape_rule=shape_rule, tags=frozenset({"join"}), requires=requires,
              primitives=("concatenate", "broadcast_in_dim", "reshape"))


LIBRARY_OPS = (
    # Contractions.
    Op(name="einsum", render=Call("jnp.einsum", leading=("subscripts",)), arity=2, operand_dtypes=(FLOAT, FLOAT),
       dtype_rule=rules.promoted, shape_rule=lib.einsum_shape, tags=frozenset({"contraction"}),
       draw_params=lib.draw_einsum_params, requires=lib.einsum_ready, weight=2,
       primitives=("dot_general", "transpose", "reduce_sum", "mul", "broadcast_in_dim")),
    Op(name="vdot", render=Call("jnp.vdot"), arity=2, operand_dtypes=(FLOAT, FLOAT), dtype_rule=rules.promoted,
       shape_rule=lib.vdot_shape, tags=frozenset({"contraction"}), requires=lib.same_size,
       primitives=("dot_general", "reshape")),
    # Layout: halves, repeats, triangles, diagonals, joins.
    Op(name="split", render=Call("jnp.split", positional=("indices_or_sections",), keyword=("axis",)), arity=1,
       operand_dtypes=(NUMERIC,), dtype_rule=lib.split_dtypes, shape_rule=lib.split_shapes,
       tags=frozenset({"halves"}), draw_params=lib.draw_split_params, requires=lib.has_even_axis, results=2,
       primitives=("split", "slice")),
    Op(name="repeat", render=Call("jnp.repeat", positional=("repeats",), keyword=("axis",)), arity=1,
       operand_dtypes=(NUMERIC,), dtype_rule=rules.same_as_first, shape_rule=lib.repeated,
       tags=frozenset({"layout"}), draw_params=lib.draw_repeat_params, requires=rules.rank_at_least(1), weight=2,
       primitives=("broadcast_in_dim", "reshape", "gather")),
    Op(name="triu", render=Call("jnp.triu"), arity=1, operand_dtypes=(NUMERIC,), dtype_rule=rules.same_as_first,
       shape_rule=rules.same_shape, tags=frozenset({"layout"}), requires=rules.rank_at_least(2),
       primitives=("iota", "ge", "select_n", "broadcast_in_dim")),
    Op(name="diag", render=Call("jnp.diag"), arity=1, operand_dtypes=(NUMERIC,), dtype_rule=rules.same_as_first,
       shape_rule=lib.diagonal, tags=frozenset({"layout"}), requires=lib.vector_or_matrix,
       primitives=("iota", "eq", "select_n", "broadcast_in_dim", "gather", "pad", "reshape", "slice")),
    _join("hstack", lib.stacked_horizontally, rules.same_shapes),
    _join("vstack", lib.stacked_vertically, rules.same_shapes),
    # Indices: one-hot codes, gathers in bounds, values picked along an axis.
    Op(name="one_hot", render=Call("jax.nn.one_hot", positional=("num_classes",)), arity=1, operand_dtypes=(INT,),
       dtype_rule=rules.cast_to("float32"), shape_rule=lib.one_hot_shape, tags=frozenset({"encoding"}),
       draw_params=lib.draw_one_hot_params, primitives=("eq", "convert_element_type", "broadcast_in_dim", "iota")),
    Op(name="gather_index", render=Subscript(gather=True), arity=2, operand_dtypes=(NUMERIC, INT),
       dtype_rule=rules.same_as_first, shape_rule=lib.gathered, tags=frozenset({"gather"}),
       requires=rules.rank_at_least(0), primitives=("gather", "lt", "add", "select_n", "broadcast_in_dim"),
       limitations="indices are kept in bounds by the productions (i % x.shape[0])"),
    Op(name="take_along_axis", render=Call("jnp.take_along_axis", keyword=("axis",)), arity=2,
       operand_dtypes=(NUMERIC, INT), dtype_rule=rules.same_as_first, shape_rule=lib.taken_along,
       tags=frozenset({"gather"}), draw_params=rules.draw_axis, requires=rules.rank_at_least(1),
       primitives=("gather", "lt", "add", "select_n", "broadcast_in_dim", "iota", "concatenate")),
    # Norms and the reductions of masks.
    Op(name="norm", render=Call("jnp.linalg.norm", keyword=("axis", "keepdims")), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.reduced, tags=frozenset({"norm"}),
       draw_params=lib.draw_norm_params, requires=rules.rank_at_least(1), primitives=("mul", "reduce_sum", "sqrt"),
       nonnegative=True,
       limitations="drawn on arguments only: its gradient at an all-zero slice is nan"),
    _mask_reduction("any", "reduce_or"),
    _mask_reduction("all", "reduce_and"),
    # Selection, mask logic and predicates as calls.
    Op(name="lax_select", render=Call("lax.select"), arity=3, operand_dtypes=(PREDICATE, NUMERIC, NUMERIC),
       dtype_rule=rules.branches_promoted, shape_rule=rules.same_shape, tags=frozenset({"strict_select"}),
       requires=lambda operands: len({t.shape for t in operands}) == 1 and operands[1].dtype == operands[2].dtype,
       primitives=("select_n",)),
    Op(name="logical_or", render=Call("jnp.logical_or"), arity=2, operand_dtypes=(PREDICATE, PREDICATE),
       dtype_rule=rules.boolean, shape_rule=rules.broadcast, tags=frozenset({"logic"}), differentiable=False,
       primitives=("or",)),
    Op(name="isinf", render=Call("jnp.isinf"), arity=1, operand_dtypes=(FLOAT,), dtype_rule=rules.boolean,
       shape_rule=rules.same_shape, tags=frozenset({"predicate"}), differentiable=False,
       primitives=("eq", "abs")),
    # Top-k, dynamic updates, take, dot_general and sorting indices.
    Op(name="top_k", render=Call("lax.top_k", positional=("k",)), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=lib.top_k_dtypes, shape_rule=lib.top_k_shapes, tags=frozenset({"top_k"}),
       draw_params=lib.draw_top_k_params, requires=lib.has_last_axis, results=2, primitives=("top_k",)),
    Op(name="dynamic_update_slice", render=Call("lax.dynamic_update_slice", positional=("start_indices",)),
       arity=2, operand_dtypes=(FLOAT, FLOAT), dtype_rule=rules.same_as_first, shape_rule=lib.dynamically_updated,
       tags=frozenset({"window_update"}), primitives=("dynamic_update_slice",)),
    Op(name="take", render=Call("jnp.take", keyword=("axis",)), arity=2, operand_dtypes=(NUMERIC, INT),
       dtype_rule=rules.same_as_first, shape_rule=lib.taken, tags=frozenset({"gather"}),
       draw_params=lambda chooser, operands: {"axis": 0}, requires=lambda operands: operands[0].rank >= 1,
       primitives=("gather", "lt", "add", "select_n", "broadcast_in_dim")),
    Op(name="dot_general", render=Call("lax.dot_general", positional=("dimension_numbers",),
                                      keyword=("preferred_element_type",)), arity=2,
       operand_dtypes=(FLOAT, FLOAT), dtype_rule=lib.contraction_dtype, shape_rule=lib.dot_general_shape,
       tags=frozenset({"contraction"}), draw_params=lib.draw_dot_general_params, requires=lib.dot_general_ready,
       primitives=("dot_general",)),
    Op(name="argsort", render=Call("jnp.argsort", keyword=("axis",)), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.index_result, shape_rule=rules.same_shape, tags=frozenset({"ordering"}),
       draw_params=rules.draw_axis, requires=rules.rank_at_least(1), differentiable=False,
       primitives=("sort", "iota")),
    Op(name="lax_square", render=Call("lax.square"), arity=1, operand_dtypes=(FLOAT,), dtype_rule=rules.same_as_first,
       shape_rule=rules.same_shape, tags=frozenset({"unary", "elementwise"}), nonnegative=True,
       primitives=("square",)),
    Op(name="equal_call", render=Call("jnp.equal"), arity=2, operand_dtypes=(NUMERIC, NUMERIC),
       dtype_rule=rules.boolean, shape_rule=rules.broadcast, tags=frozenset({"compare"}), differentiable=False,
       primitives=("eq",)),
    Op(name="convert_element_type", render=Call("lax.convert_element_type", positional=("new_dtype",)), arity=1,
       operand_dtypes=(NUMERIC,), dtype_rule=lib.new_dtype_result, shape_rule=rules.same_shape,
       tags=frozenset({"cast"}), draw_params=lib.draw_new_dtype_params, primitives=("convert_element_type",),
       limitations="casting from int32 cuts the gradient path, by design"),
    # Gradients stopped, cross products of 3-vectors, sums per segment (graph networks, physics).
    Op(name="stop_gradient", render=Call("lax.stop_gradient"), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"stop_gradient"}),
       primitives=("stop_gradient",)),
    Op(name="cross", render=Call("jnp.cross"), arity=2, operand_dtypes=(FLOAT, FLOAT), dtype_rule=rules.promoted,
       shape_rule=rules.same_shape, tags=frozenset({"geometry"}), requires=lib.three_vectors,
       primitives=("slice", "squeeze", "mul", "sub", "broadcast_in_dim", "concatenate", "transpose")),
    Op(name="segment_sum", render=Call("jax.ops.segment_sum", keyword=("num_segments",)), arity=2,
       operand_dtypes=(FLOAT, INT), dtype_rule=rules.same_as_first, shape_rule=lib.segmented,
       tags=frozenset({"segment"}), requires=lib.one_id_per_row,
       primitives=("scatter-add", "rem", "select_n", "lt", "add", "ne", "and", "eq", "convert_element_type")),
)

for _op in LIBRARY_OPS:
    OPS.register(_op)
