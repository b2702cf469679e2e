"""Shape rules and parameter drawers for static indexing and the axis-moving layout ops.

Indexing follows NumPy's basic-indexing rules (which ``jax.Array.__getitem__`` implements): ints
drop an axis (negative ones count from the end), slices keep it with ``len(range(...))``
elements, None inserts a new axis of size 1, and one Ellipsis stands for every axis not named.
The drawer writes the forms real code writes most: ``x[:, 0]``, ``x[..., None]``, ``x[1:]``,
``x[::2]``, ``x[-1]``, ``x[None]``, ``x[..., :k]``.
"""
from __future__ import annotations

from .ops import DTypeName, Slice, require
from .types import FLOAT_DTYPES

MAX_RESULT_RANK = 4  # a new axis is inserted only below this rank


def _explicit(index) -> int:
    return sum(1 for item in index if item is not None and item is not Ellipsis)


def indexed(operands, params):
    """The shape of ``x[index]`` for a static ``index`` (a tuple of items)."""
    shape = operands[0].shape
    index = tuple(params["index"])
    require(sum(1 for item in index if item is Ellipsis) <= 1, f"index {index} has more than one Ellipsis")
    named = _explicit(index)
    require(named <= len(shape), f"index {index} names {named} axes of a rank-{len(shape)} value")
    if Ellipsis not in index:
        index = index + (Ellipsis,)
    result, axis = [], 0
    for item in index:
        if item is Ellipsis:
            rest = len(shape) - named
            result.extend(shape[axis:axis + rest])
            axis += rest
        elif item is None:
            result.append(1)
        elif isinstance(item, Slice):
            require(item.step != 0, "slice step cannot be zero")
            result.append(len(range(*item.as_slice().indices(shape[axis]))))
            axis += 1
        else:
            require(isinstance(item, int) and not isinstance(item, bool), f"index item {item!r} is not static")
            require(-shape[axis] <= item < shape[axis], f"index {item} out of range for axis of size {shape[axis]}")
            axis += 1
    return tuple(result)


def _slice_for(chooser, size: int) -> Slice:
    form = chooser.choice(("from", "to", "step", "from_end", "range"))
    if form == "from":
        return Slice(start=chooser.integer(1, max(1, size - 1)) if size > 1 else 0)
    if form == "to":
        return Slice(stop=chooser.integer(1, size))
    if form == "step":
        return Slice(step=2 if chooser.chance(0.7) else -1)
    if form == "from_end":
        return Slice(start=-chooser.integer(1, size))
    start = chooser.integer(0, size - 1)
    return Slice(start=start, stop=chooser.integer(start + 1, size))


def _item_for(chooser, size: int):
    """An item for one named axis: a full slice ``:``, an int, or a proper slice."""
    form = chooser.choice(("all", "int", "slice"))
    if form == "all":
        return Slice()
    if form == "int":
        return -1 if chooser.chance(0.25) else chooser.integer(0, size - 1)
    return _slice_for(chooser, size)


def draw_index_params(chooser, operands):
    """A static index for a rank >= 1 value, in one of real code's common forms."""
    shape = operands[0].shape
    rank = len(shape)
    room = rank < MAX_RESULT_RANK
    form = chooser.choice(("leading", "trailing", "new_axis", "per_axis"))
    if form == "new_axis" and room:
        index = (Ellipsis, None) if chooser.chance(0.6) else (None,)
    elif form == "trailing":
        index = (Ellipsis, _item_for(chooser, shape[-1]))
    elif form == "per_axis" and rank >= 2:
        named = chooser.integer(2, rank)
        index = tuple(_item_for(chooser, d) for d in shape[:named])
        if room and chooser.chance(0.3):
            position = chooser.integer(0, len(index))
            index = index[:position] + (None,) + index[position:]
    else:
        index = (_item_for(chooser, shape[0]),)
    if all(item is Ellipsis or item == Slice() for item in index):  # x[:] and x[..., :] are x itself
        position = 1 if index[0] is Ellipsis else 0
        axis = -1 if position else 0
        index = index[:position] + (_slice_for(chooser, shape[axis]),) + index[position + 1:]
    return {"index": index}


def draw_squeeze_params(chooser, operands):
    ones = [axis for axis, d in enumerate(operands[0].shape) if d == 1]
    return {"axis": chooser.choice(ones)}


def has_unit_axis(operands) -> bool:
    return 1 in operands[0].shape


def squeezed(operands, params):
    shape = operands[0].shape
    axis = params["axis"]
    require(0 <= axis < len(shape) and shape[axis] == 1, f"cannot squeeze axis {axis} of {shape}")
    return shape[:axis] + shape[axis + 1:]


def draw_two_axes(chooser, operands):
    rank = operands[0].rank
    first = chooser.integer(0, rank - 1)
    second = chooser.integer(0, rank - 2)
    return {"axis1": first, "axis2": second if second < first else second + 1}


def swapped(operands, params):
    shape = list(operands[0].shape)
    a, b = params["axis1"], params["axis2"]
    require(0 <= a < len(shape) and 0 <= b < len(shape), f"axes {a}, {b} out of range for {tuple(shape)}")
    shape[a], shape[b] = shape[b], shape[a]
    return tuple(shape)


def draw_moveaxis_params(chooser, operands):
    axes = draw_two_axes(chooser, operands)
    return {"source": axes["axis1"], "destination": -1 if chooser.chance(0.5) else axes["axis2"]}


def moved(operands, params):
    shape = list(operands[0].shape)
    source, destination = params["source"], params["destination"]
    require(-len(shape) <= source < len(shape) and -len(shape) <= destination < len(shape),
            f"moveaxis {source} -> {destination} out of range for {tuple(shape)}")
    size = shape.pop(source % len(shape))
    shape.insert(destination % (len(shape) + 1), size)
    return tuple(shape)


def reversed_axes(operands, params):
    return tuple(reversed(operands[0].shape))


def draw_clip_params(chooser, operands):
    low = chooser.choice((-1.0, 0.0, -0.5, -2.0))
    return {"min": low, "max": chooser.choice((1.0, 0.5, 2.0, 6.0))}


def draw_astype_params(chooser, operands):
    return {"dtype": DTypeName(chooser.choice(FLOAT_DTYPES))}


def astype_result(operands, params):
    return params["dtype"].name


def dtype_or(default: str):
    """A constructor's dtype: its ``dtype=`` parameter, or JAX's default for it (x64 off)."""
    def rule(operands, params):
        dtype = params.get("dtype")
        return default if dtype is None else dtype.name
    rule.__name__ = f"dtype_or_{default}"
    return rule


def dtype_required(operands, params):
    """``jnp.full(s, 2.0)`` and ``jnp.asarray(2.0)`` are weakly typed without ``dtype=``, which the
    type rules do not model: these constructors are always drawn with one."""
    require("dtype" in params, "this constructor is drawn with dtype=")
    return params["dtype"].name


def draw_stack_params(chooser, operands):
    return {"axis": chooser.integer(0, operands[0].rank)}


def stackable(operands) -> bool:
    return operands[0].shape == operands[1].shape and operands[0].rank < MAX_RESULT_RANK


def stacked(operands, params):
    shape = operands[0].shape
    axis = params["axis"]
    require(shape == operands[1].shape, f"cannot stack {shape} with {operands[1].shape}")
    require(0 <= axis <= len(shape), f"stack axis {axis} out of range for rank {len(shape)}")
    return shape[:axis] + (2,) + shape[axis:]


def draw_at_index(chooser, operands):
    """A static index for ``x.at[index]``: as `draw_index_params`, without new axes."""
    index = tuple(i for i in draw_index_params(chooser, operands[:1])["index"] if i is not None)
    return {"index": index if any(i is not Ellipsis for i in index) else (0,)}


def updated(operands, params):
    """``x.at[index].set(y)`` has ``x``'s shape; ``y`` must broadcast to ``x[index]``'s."""
    target = indexed(operands[:1], params)
    update = operands[1].shape
    require(len(update) <= len(target) and all(u in (1, t) for u, t in zip(update[::-1], target[::-1])),
            f"update of shape {update} does not broadcast to the indexed shape {target}")
    return operands[0].shape


def scatter_ready(operands) -> bool:
    return operands[0].rank >= 1
