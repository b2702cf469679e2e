"""Shape rules, dtype rules and parameter drawers shared by the op catalog."""
from __future__ import annotations

import math

from .ops import require
from .types import BOOL, FLOAT_DTYPES, broadcast_shapes, promote_types

# --- dtype rules -------------------------------------------------------------------------


def promoted(operands, params):
    return promote_types(*operands)


def promoted_float(operands, params):
    """True division and mean: integer inputs give float32."""
    dtype = promote_types(*operands)
    return dtype if dtype in FLOAT_DTYPES else "float32"


def boolean(operands, params):
    return BOOL


def same_as_first(operands, params):
    return operands[0].dtype


def branches_promoted(operands, params):
    return promote_types(*operands[1:])


def cast_to(dtype):
    def rule(operands, params):
        return dtype
    rule.__name__ = f"cast_to_{dtype}"
    return rule


# --- shape rules -------------------------------------------------------------------------


def broadcast(operands, params):
    return broadcast_shapes(*(t.shape for t in operands))


def same_shape(operands, params):
    return operands[0].shape


def normalize_axes(axis, rank):
    if axis is None:
        return tuple(range(rank))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    require(all(-rank <= a < rank for a in axes), f"axis {axis} out of range for rank {rank}")
    normalized = tuple(sorted(a % rank for a in axes))
    require(len(set(normalized)) == len(normalized), f"repeated axis in {axis}")
    return normalized


def reduced(operands, params):
    shape = operands[0].shape
    axes = normalize_axes(params.get("axis"), len(shape))
    if params.get("keepdims", False):
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def dot_shape(operands, params):
    a, b = (t.shape for t in operands)
    require(1 <= len(a) <= 2 and 1 <= len(b) <= 2, f"dot here takes rank-1 or rank-2 operands, got {a} and {b}")
    contract_b = 0 if len(b) == 1 else len(b) - 2
    require(a[-1] == b[contract_b], f"dot: contracting dims differ in {a} and {b}")
    return a[:-1] + b[:contract_b] + b[contract_b + 1:]


def matmul_shape(operands, params):
    a, b = (t.shape for t in operands)
    require(len(a) >= 1 and len(b) >= 1, f"matmul needs rank >= 1, got {a} and {b}")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    require(a2[-1] == b2[-2], f"matmul: inner dims differ in {a} and {b}")
    batch = broadcast_shapes(a2[:-2], b2[:-2])
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def reshaped(operands, params):
    """The new shape; one -1 in it stands for what the others leave (``x.reshape(-1, x.shape[-1])``)."""
    shape = tuple(params["shape"])
    if shape.count(-1) == 1:
        rest = math.prod(d for d in shape if d != -1)
        require(rest > 0 and operands[0].size % rest == 0, f"cannot reshape {operands[0].shape} to {shape}")
        shape = tuple(operands[0].size // rest if d == -1 else d for d in shape)
    require(all(d >= 0 for d in shape) and math.prod(shape) == operands[0].size,
            f"cannot reshape {operands[0].shape} to {shape}")
    return tuple(int(d) for d in shape)  # plain ints: a `StaticDim` is rendered, a type's dims are not


def transposed(operands, params):
    axes = tuple(params["axes"])
    shape = operands[0].shape
    require(sorted(axes) == list(range(len(shape))), f"axes {axes} are not a permutation for rank {len(shape)}")
    return tuple(shape[a] for a in axes)


def broadcast_to_shape(operands, params):
    target = tuple(params["shape"])
    require(broadcast_shapes(operands[0].shape, target) == target, f"cannot broadcast {operands[0].shape} to {target}")
    return target


# --- parameter drawers ------------------------------------------------------------------


def draw_reduction_params(chooser, operands):
    """axis: None (all), one axis, or a tuple of axes; keepdims: a bool."""
    rank = operands[0].rank
    params = {}
    if rank > 0:
        form = chooser.choice(("none", "one", "several") if rank > 1 else ("none", "one"))
        if form == "one":
            params["axis"] = chooser.integer(-rank, rank - 1) if chooser.chance(0.2) else chooser.integer(0, rank - 1)
        elif form == "several":
            axes = sorted({chooser.integer(0, rank - 1) for _ in range(chooser.integer(2, rank))})
            params["axis"] = tuple(axes) if len(axes) > 1 else axes[0]
    if chooser.chance(0.4):
        params["keepdims"] = True
    return params


def _factorizations(size: int, rank: int):
    if rank == 0:
        return [()] if size == 1 else []
    out = []
    for d in range(1, size + 1):
        if size % d == 0:
            out.extend((d,) + rest for rest in _factorizations(size // d, rank - 1))
    return out


def draw_reshape_params(chooser, operands):
    source = operands[0]
    candidates = [
        s for rank in range(0, 4) for s in _factorizations(source.size, rank) if s != source.shape
    ] or [source.shape]
    return {"shape": chooser.choice(candidates)}


def draw_transpose_params(chooser, operands):
    axes = list(range(operands[0].rank))
    permutation = []
    while axes:
        permutation.append(axes.pop(chooser.integer(0, len(axes) - 1)))
    return {"axes": tuple(reversed(permutation)) if len(permutation) > 1 else tuple(permutation)}


def draw_broadcast_to_params(chooser, operands):
    shape = operands[0].shape
    grown = tuple(chooser.integer(2, 3) if d == 1 and chooser.chance(0.5) else d for d in shape)
    if len(grown) < 4 and chooser.chance(0.6):
        grown = (chooser.integer(1, 3),) + grown
    return {"shape": grown}


# --- rules for the breadth ops ----------------------------------------------------------


def rank_at_least(n):
    def requirement(operands):
        return all(t.rank >= n for t in operands)
    requirement.__name__ = f"rank_at_least_{n}"
    return requirement


def same_shapes(operands):
    return operands[0].rank >= 1 and all(t.shape == operands[0].shape for t in operands)


def index_result(operands, params):
    return "int32"


def draw_axis(chooser, operands):
    return {"axis": chooser.integer(0, operands[0].rank - 1)}


def along_axis_reduced(operands, params):
    shape = operands[0].shape
    axis = normalize_axes(params["axis"], len(shape))[0]
    return shape[:axis] + ((1,) if params.get("keepdims") else ()) + shape[axis + 1:]


def draw_index_params(chooser, operands):
    params = {"axis": chooser.integer(0, operands[0].rank - 1)}
    if chooser.chance(0.5):
        params["keepdims"] = True
    return params


def draw_roll_params(chooser, operands):
    return {"shift": chooser.integer(1, 3), "axis": chooser.integer(0, operands[0].rank - 1)}


def draw_integer_pow_params(chooser, operands):
    return {"y": chooser.choice((2, 3))}


def draw_reduce_precision_params(chooser, operands):
    exponent, mantissa = chooser.choice(((5, 10), (8, 7), (5, 2)))
    return {"exponent_bits": exponent, "mantissa_bits": mantissa}


def draw_expand_dims_params(chooser, operands):
    return {"axis": chooser.integer(0, operands[0].rank)}


def expanded(operands, params):
    shape = operands[0].shape
    axis = params["axis"]
    require(0 <= axis <= len(shape), f"expand_dims axis {axis} out of range for rank {len(shape)}")
    return shape[:axis] + (1,) + shape[axis:]


def draw_tile_params(chooser, operands):
    return {"reps": chooser.integer(2, 3)}


def tiled(operands, params):
    shape = operands[0].shape
    return (shape[:-1] + (shape[-1] * params["reps"],)) if shape else (params["reps"],)


def draw_pad_params(chooser, operands):
    return {"pad_width": chooser.integer(1, 2)}


def padded(operands, params):
    return tuple(d + 2 * params["pad_width"] for d in operands[0].shape)


def draw_slice_params(chooser, operands):
    starts, limits = [], []
    for d in operands[0].shape:
        start = chooser.integer(0, d - 1)
        starts.append(start)
        limits.append(chooser.integer(start + 1, d))
    return {"start_indices": tuple(starts), "limit_indices": tuple(limits)}


def sliced(operands, params):
    shape = operands[0].shape
    starts, limits = params["start_indices"], params["limit_indices"]
    require(len(starts) == len(limits) == len(shape), f"slice bounds {starts}, {limits} do not fit rank {len(shape)}")
    require(all(0 <= s < l <= d for s, l, d in zip(starts, limits, shape)), f"slice {starts}:{limits} outside {shape}")
    return tuple(l - s for s, l in zip(starts, limits))


def draw_dynamic_slice_params(chooser, operands):
    starts, sizes = [], []
    for d in operands[0].shape:
        size = chooser.integer(1, d)
        sizes.append(size)
        starts.append(chooser.integer(0, d - size))
    return {"start_indices": tuple(starts), "slice_sizes": tuple(sizes)}


def dynamically_sliced(operands, params):
    shape, sizes = operands[0].shape, params["slice_sizes"]
    require(len(sizes) == len(shape) and all(1 <= s <= d for s, d in zip(sizes, shape)),
            f"slice sizes {sizes} do not fit {shape}")
    return tuple(sizes)


def appended(operands, params):
    a, b = (t.shape for t in operands)
    axis = normalize_axes(params["axis"], len(a))[0]
    require(len(a) == len(b) and all(x == y for i, (x, y) in enumerate(zip(a, b)) if i != axis),
            f"cannot append {b} to {a} along axis {axis}")
    return a[:axis] + (a[axis] + b[axis],) + a[axis + 1:]
