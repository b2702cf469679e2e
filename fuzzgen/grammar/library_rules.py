"""Shape rules and parameter drawers of the array-library ops in `catalog.library`: einsum,
split, repeat, one_hot, gathers, take_along_axis, vdot, diag and the masks' reductions."""
from __future__ import annotations

from .ops import DTypeName, Subscripts, require
from .rules import normalize_axes
from .types import FLOAT_DTYPES, broadcast_shapes, promote_types

# Two-operand einsum specifications real code writes: dots, outer products, matrix products,
# batched and attention-style contractions, and the dense layer over leading dims.
EINSUM_SPECS = (
    "i,i->", "i,j->ij", "ij,j->i", "i,ij->j", "ij,jk->ik", "ij,kj->ik", "ij,ij->i", "bij,bjk->bik",
    "bqd,bkd->bqk", "bhqd,bhkd->bhqk", "...i,io->...o", "...d,...d->...",
)


def _parse(spec: str) -> tuple[list[str], str]:
    inputs, _, output = spec.partition("->")
    return inputs.split(","), output


def einsum_shape(operands, params):
    """The result shape of ``jnp.einsum(subscripts, *operands)``: each letter names one size;
    ``...`` stands for the broadcast of the leading dims it covers."""
    inputs, output = _parse(params["subscripts"])
    require(len(inputs) == len(operands), f"einsum {params['subscripts']!r} takes {len(inputs)} operands")
    sizes: dict[str, int] = {}
    ellipses = []
    for term, operand in zip(inputs, operands):
        letters = term.replace("...", "")
        if "..." in term:
            require(term.startswith("...") and operand.rank >= len(letters), f"einsum term {term!r} on {operand}")
            ellipses.append(operand.shape[:operand.rank - len(letters)])
            dims = operand.shape[operand.rank - len(letters):]
        else:
            require(operand.rank == len(letters), f"einsum term {term!r} does not fit {operand}")
            dims = operand.shape
        for letter, size in zip(letters, dims):
            require(sizes.setdefault(letter, size) == size, f"einsum letter {letter!r} has sizes {sizes[letter]} and {size}")
    leading = broadcast_shapes(*ellipses) if ellipses else ()
    letters = output.replace("...", "")
    require(all(letter in sizes for letter in letters), f"einsum output {output!r} names an unknown letter")
    return (leading if "..." in output else ()) + tuple(sizes[letter] for letter in letters)


def einsum_fits(spec: str, operands) -> bool:
    try:
        einsum_shape(operands, {"subscripts": spec})
        return True
    except ValueError:
        return False


def draw_einsum_params(chooser, operands):
    fitting = [spec for spec in EINSUM_SPECS if einsum_fits(spec, operands)]
    require(bool(fitting), f"no einsum specification fits {', '.join(map(str, operands))}")
    return {"subscripts": Subscripts(chooser.choice(fitting))}


def einsum_ready(operands) -> bool:
    return any(einsum_fits(spec, operands) for spec in EINSUM_SPECS)


def split_shapes(operands, params):
    """``jnp.split(x, 2, axis=a)``: two halves along ``a``."""
    shape = operands[0].shape
    axis = normalize_axes(params["axis"], len(shape))[0]
    sections = params["indices_or_sections"]
    require(shape[axis] % sections == 0, f"axis {axis} of {shape} does not split into {sections}")
    half = shape[:axis] + (shape[axis] // sections,) + shape[axis + 1:]
    return (half,) * sections


def split_dtypes(operands, params):
    return (operands[0].dtype,) * params["indices_or_sections"]


def has_even_axis(operands) -> bool:
    return any(d % 2 == 0 for d in operands[0].shape)


def draw_split_params(chooser, operands):
    even = [axis for axis, d in enumerate(operands[0].shape) if d % 2 == 0]
    axis = chooser.choice(even)
    return {"indices_or_sections": 2, "axis": -1 if axis == operands[0].rank - 1 and chooser.chance(0.6) else axis}


def repeated(operands, params):
    shape = operands[0].shape
    axis = normalize_axes(params["axis"], len(shape))[0]
    return shape[:axis] + (shape[axis] * params["repeats"],) + shape[axis + 1:]


def draw_repeat_params(chooser, operands):
    return {"repeats": chooser.choice((2, 2, 3)), "axis": chooser.integer(0, operands[0].rank - 1)}


def one_hot_shape(operands, params):
    return operands[0].shape + (params["num_classes"],)


def draw_one_hot_params(chooser, operands):
    return {"num_classes": chooser.integer(2, 5)}


def gathered(operands, params):
    """``x[i]`` with an int array ``i``: ``i``'s shape, then ``x``'s dims after the first."""
    array, index = operands
    require(array.rank >= 1, f"cannot index a scalar {array}")
    return index.shape + array.shape[1:]


def taken_along(operands, params):
    """``jnp.take_along_axis(x, i, axis=a)``: ``i`` of ``x``'s rank, equal to it off ``a``."""
    array, index = operands
    require(array.rank == index.rank >= 1, f"take_along_axis of {array} by {index}")
    axis = normalize_axes(params["axis"], array.rank)[0]
    require(all(a == b for k, (a, b) in enumerate(zip(array.shape, index.shape)) if k != axis),
            f"take_along_axis of {array} by {index} along {axis}")
    return index.shape


def vdot_shape(operands, params):
    require(operands[0].size == operands[1].size, f"vdot of {operands[0]} and {operands[1]}")
    return ()


def same_size(operands) -> bool:
    return operands[0].size == operands[1].size


def diagonal(operands, params):
    """``jnp.diag``: a vector's matrix, or a matrix's diagonal."""
    shape = operands[0].shape
    return (shape[0], shape[0]) if len(shape) == 1 else (min(shape),)


def vector_or_matrix(operands) -> bool:
    return operands[0].rank in (1, 2)


def stacked_horizontally(operands, params):
    """``jnp.hstack``: joined along axis 1, or along axis 0 for vectors."""
    shape = operands[0].shape
    axis = 0 if len(shape) == 1 else 1
    return shape[:axis] + (shape[axis] * 2,) + shape[axis + 1:]


def stacked_vertically(operands, params):
    """``jnp.vstack``: vectors become the rows of a matrix; arrays join along axis 0."""
    shape = operands[0].shape
    return (2,) + shape if len(shape) == 1 else (shape[0] * 2,) + shape[1:]


def draw_mask_reduction_params(chooser, operands):
    """Over the last axis with dims kept, as masks are reduced to broadcast back; or over all."""
    rank = operands[0].rank
    if rank == 0 or chooser.chance(0.3):
        return {}
    return {"axis": -1 if chooser.chance(0.6) else chooser.integer(0, rank - 1), "keepdims": True}


def draw_norm_params(chooser, operands):
    return {"axis": -1, "keepdims": True} if chooser.chance(0.7) else {}


def draw_new_dtype_params(chooser, operands):
    return {"new_dtype": DTypeName(chooser.choice(FLOAT_DTYPES))}


def new_dtype_result(operands, params):
    return params["new_dtype"].name


def top_k_shapes(operands, params):
    """``values, indices = lax.top_k(x, k)``: the last axis cut to ``k``."""
    shape = operands[0].shape
    require(len(shape) >= 1 and 1 <= params["k"] <= shape[-1], f"top_k of {operands[0]} with k={params['k']}")
    return (shape[:-1] + (params["k"],),) * 2


def top_k_dtypes(operands, params):
    return (operands[0].dtype, "int32")


def draw_top_k_params(chooser, operands):
    return {"k": chooser.integer(1, min(3, operands[0].shape[-1]))}


def has_last_axis(operands) -> bool:
    return operands[0].rank >= 1 and operands[0].shape[-1] >= 1


def dynamically_updated(operands, params):
    """``lax.dynamic_update_slice(x, y, starts)``: ``x``'s shape; ``y`` fits at ``starts``."""
    array, update = operands
    starts = params["start_indices"]
    require(update.rank == array.rank == len(starts), f"dynamic_update_slice of {update} into {array} at {starts}")
    require(all(0 <= s and s + u <= a for s, u, a in zip(starts, update.shape, array.shape)),
            f"{update} does not fit into {array} at {starts}")
    return array.shape


def taken(operands, params):
    """``jnp.take(x, i, axis=a)``: ``i``'s shape in place of axis ``a``."""
    array, index = operands
    axis = normalize_axes(params["axis"], array.rank)[0]
    return array.shape[:axis] + index.shape + array.shape[axis + 1:]


def dot_general_shape(operands, params):
    """``lax.dot_general(a, b, ((lc, rc), (lb, rb)))``: batch dims, then the free dims of each."""
    lhs, rhs = operands
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = params["dimension_numbers"]
    for left, right in ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)):
        require(len(left) == len(right) and all(lhs.shape[a] == rhs.shape[b] for a, b in zip(left, right)),
                f"dot_general of {lhs} and {rhs} with {params['dimension_numbers']}")
    free = lambda shape, used: tuple(d for k, d in enumerate(shape) if k not in used)  # noqa: E731
    return (tuple(lhs.shape[a] for a in lhs_batch) + free(lhs.shape, set(lhs_contract) | set(lhs_batch))
            + free(rhs.shape, set(rhs_contract) | set(rhs_batch)))


def draw_dot_general_params(chooser, operands):
    """A matrix product's dimension numbers, batched over a shared leading axis where both have one;
    in low precision, now and then accumulated in float32 (`draw_preferred_element_type`)."""
    lhs, rhs = operands
    if lhs.rank == rhs.rank == 3 and lhs.shape[0] == rhs.shape[0]:
        params = {"dimension_numbers": (((2,), (1,)), ((0,), (0,)))}
    else:
        params = {"dimension_numbers": (((lhs.rank - 1,), (0,)), ((), ()))}
    return params | (draw_preferred_element_type(chooser, operands) if chooser is not None else {})


LOW_PRECISION = frozenset({"bfloat16", "float16"})


def draw_preferred_element_type(chooser, operands) -> dict:
    """``preferred_element_type=jnp.float32`` for a contraction of low-precision operands, half the
    time: mixed-precision code (flax's ``Dense`` and ``Conv``) accumulates and returns float32."""
    if all(t.dtype in LOW_PRECISION for t in operands) and chooser.chance(0.5):
        return {"preferred_element_type": DTypeName("float32")}
    return {}


def contraction_dtype(operands, params):
    """The preferred element type where one is given, else the operands' promoted dtype."""
    preferred = params.get("preferred_element_type")
    return preferred.name if preferred is not None else promote_types(*operands)


def dot_general_ready(operands) -> bool:
    try:
        dot_general_shape(operands, draw_dot_general_params(None, operands))
        return True
    except ValueError:
        return False


def three_vectors(operands) -> bool:
    """jnp.cross of 3-vectors along the last axis, of one shape."""
    return all(t.rank >= 1 and t.shape[-1] == 3 for t in operands) and len({t.shape for t in operands}) == 1


def segmented(operands, params):
    """jax.ops.segment_sum: one row per segment, each the sum of the data rows with its id."""
    return (params["num_segments"],) + operands[0].shape[1:]


def one_id_per_row(operands) -> bool:
    data, ids = operands
    return data.rank >= 1 and ids.shape == data.shape[:1]
