"""The op record: everything the grammar knows about one operation, declared in one place.

An `Op` says how it renders (a ``jnp.``/``lax.`` call or a Python operator), its arity, the
dtypes each operand may have, its dtype and shape rules, the domain each operand must lie in,
whether it is differentiable, and how to draw its static parameters (axes, shapes). Adding an op
means adding one record to the catalog (or registering one from a plugin); nothing else changes.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .choices import Chooser
from .types import ShapeError, ValueType


class Domain(enum.Enum):
    """Where an operand must lie; the walk guards operands into their domain with grammar ops."""

    ANY = "any"
    POSITIVE = "positive"  # log, sqrt, rsqrt, the base of power
    NONZERO = "nonzero"  # a divisor
    BOUNDED = "bounded"  # |x| <= 1: exponents, so that power stays finite
    OPEN_UNIT = "open_unit"  # |x| < 1: arcsin, arccos, arctanh, erf_inv
    AT_LEAST_ONE = "at_least_one"  # x >= 1: arccosh
    # A divisor that may be 0 (floor division by zero is defined, and where JAX went wrong) but is
    # no small literal: ``x // 1e-5`` jumps every 1e-5, which no finite difference can step over.
    COARSE = "coarse"


# How each domain is reached: a chain of (op name, literal operand or None) applied in order.
DOMAIN_GUARDS: dict[Domain, tuple[tuple[str, Any], ...]] = {
    Domain.ANY: (),
    Domain.POSITIVE: (("abs", None), ("add", 1.0)),
    Domain.NONZERO: (("abs", None), ("add", 1.0)),
    Domain.BOUNDED: (("tanh", None),),
    Domain.OPEN_UNIT: (("tanh", None), ("multiply", 0.9)),
    Domain.AT_LEAST_ONE: (("abs", None), ("add", 1.0)),
    Domain.COARSE: (),
}

# A literal operand is moved into its domain when drawn, rather than guarded in the source; one
# already well inside it (a divisor of 0.9 for dropout, `x / 2.0`) is kept as drawn. Tiny ones
# (1e-6) are moved too: dividing by them overflows float16.
LITERAL_FLOOR = 0.1
LITERAL_GUARDS = {
    Domain.ANY: lambda v: v,
    Domain.POSITIVE: lambda v: v if v >= LITERAL_FLOOR else abs(v) + 1.0,
    Domain.NONZERO: lambda v: v if abs(v) >= LITERAL_FLOOR else abs(v) + 1.0,
    Domain.BOUNDED: lambda v: max(-1.0, min(1.0, v)),
    Domain.OPEN_UNIT: lambda v: max(-0.9, min(0.9, v)),
    Domain.AT_LEAST_ONE: lambda v: v if v >= 1.0 else abs(v) + 1.0,
    Domain.COARSE: lambda v: v if abs(v) >= LITERAL_FLOOR else abs(v) + 1.0,
}


@dataclass(frozen=True)
class Call:
    """Renders as ``target(*leading params, operands..., *positional params, **keyword params)``.

    ``sequence`` names operand positions passed together as one tuple argument (the branches of
    ``lax.switch``); a tuple of such tuples passes several (the two trees of ``jax.tree.map(f,
    (a, b), (c, d))``)."""

    target: str  # "jnp.sin", "lax.logistic"
    positional: tuple[str, ...] = ()
    keyword: tuple[str, ...] = ()
    leading: tuple[str, ...] = ()
    sequence: tuple = ()

    @property
    def groups(self) -> tuple[tuple[int, ...], ...]:
        """The operand positions passed as tuples, one tuple of positions per tuple argument."""
        if not self.sequence:
            return ()
        return tuple(self.sequence) if isinstance(self.sequence[0], tuple) else (tuple(self.sequence),)


@dataclass(frozen=True)
class Method:
    """Renders as a method of the first operand, ``x.name(*positional params, **keyword params)``,
    or, with ``attribute``, as ``x.name`` (``x.T``). A method op has one operand, its receiver;
    every other argument is a static parameter."""

    name: str  # "sum", "astype", "T"
    positional: tuple[str, ...] = ()
    keyword: tuple[str, ...] = ()
    attribute: bool = False


@dataclass(frozen=True)
class Subscript:
    """Renders as ``x[index]``: the op's one operand indexed by its static ``index`` parameter, a
    tuple of ints, `Slice` s, None (a new axis) and Ellipsis; or, with ``gather``, as ``x[i]``,
    indexed by its second operand, an int32 array (a gather)."""

    gather: bool = False


@dataclass(frozen=True)
class AtUpdate:
    """Renders as ``x.at[index].method(y)``: a functional scatter of the second operand into the
    first at its static ``index`` parameter (``set``, ``add``, ``multiply``, ``min``, ``max``)."""

    method: str


@dataclass(frozen=True)
class Transform:
    """Renders as ``target(f, **keyword params)(*operands)``: a JAX transform of the op's first
    operand, a lambda, applied to the other operands (``jax.vmap(lambda r: ..., in_axes=0)(x)``,
    ``jax.grad(lambda w: ...)(w)``)."""

    target: str  # "jax.vmap", "jax.grad"
    keyword: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slice:
    """A static slice ``start:stop:step`` inside an index (None parts are left out)."""

    start: int | None = None
    stop: int | None = None
    step: int | None = None

    def as_slice(self) -> slice:
        return slice(self.start, self.stop, self.step)


@dataclass(frozen=True)
class DTypeName:
    """A dtype as a static parameter (``x.astype(jnp.float16)``, ``dtype=jnp.int32``)."""

    name: str  # one of types.DTYPES or "bool"

    @property
    def target(self) -> str:
        return f"jnp.{'bool_' if self.name == 'bool' else self.name}"


EINSUM_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz,.->")
MAX_EINSUM_CHARS = 40


class Subscripts(str):
    """An einsum specification as a static parameter (``jnp.einsum('ij,jk->ik', a, b)``): the one
    string a grammar program may hold, made of lowercase letters, ``,``, ``...`` and ``->``."""

    def __new__(cls, text: str):
        if not is_einsum_text(text):
            raise ValueError(f"einsum subscripts {text!r} must be 1 to {MAX_EINSUM_CHARS} of {''.join(sorted(EINSUM_CHARACTERS))}")
        return super().__new__(cls, text)


AXIS_NAMES = ("batch", "i")  # what `jax.vmap(..., axis_name=...)` and the collectives inside may say


class AxisName(str):
    """The name a ``jax.vmap`` gives its mapped axis and the collectives inside refer to
    (``lax.pmean(r, "batch")``): a string the checkers admit only there, and only from `AXIS_NAMES`."""

    def __new__(cls, text: str):
        if not is_axis_name(text):
            raise ValueError(f"axis name {text!r} must be one of {', '.join(AXIS_NAMES)}")
        return super().__new__(cls, text)


def is_axis_name(text) -> bool:
    return isinstance(text, str) and text in AXIS_NAMES


def is_einsum_text(text) -> bool:
    """Whether ``text`` may be an einsum specification: what the checkers admit as a string."""
    return isinstance(text, str) and 1 <= len(text) <= MAX_EINSUM_CHARS and set(text) <= EINSUM_CHARACTERS


class StaticDim(int):
    """``x.shape[axis]``: a static int read off a bound value's type, as real code scales and
    reshapes by it (``x / x.shape[-1]``). It is the int itself to every rule."""

    def __new__(cls, value: int, of: str, axis: int):
        dim = super().__new__(cls, value)
        dim.of, dim.axis = of, axis
        return dim

    def __repr__(self) -> str:
        return f"{self.of}.shape[{self.axis}]"


MACHINE_EPSILON = {"float32": 2.0 ** -23, "float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}  # jnp.finfo(d).eps


class MachineEpsilon(float):
    """``jnp.finfo(x.dtype).eps`` (or ``jnp.finfo(jnp.float16).eps``): a dtype's machine epsilon,
    the eps constant real code guards divisions and logarithms with. It is the float itself to
    every rule; as a value it has its dtype (a NumPy scalar, not a weak Python float)."""

    def __new__(cls, dtype: str, of: str | None = None):
        if dtype not in MACHINE_EPSILON:
            raise ValueError(f"jnp.finfo of {dtype!r}: choose one of {', '.join(MACHINE_EPSILON)}")
        eps = super().__new__(cls, MACHINE_EPSILON[dtype])
        eps.dtype, eps.of = dtype, of
        return eps

    def __repr__(self) -> str:
        return f"jnp.finfo({self.of + '.dtype' if self.of else 'jnp.' + self.dtype}).eps"


class StaticShape(tuple):
    """``x.shape``: a bound value's whole shape as a static parameter (``jnp.zeros(x.shape)``),
    or, with ``call``, spelled ``jnp.shape(x)``."""

    def __new__(cls, dims, of: str, call: bool = False):
        shape = super().__new__(cls, tuple(dims))
        shape.of, shape.call = of, call
        return shape

    def __repr__(self) -> str:
        return f"jnp.shape({self.of})" if self.call else f"{self.of}.shape"


class StaticNdim(int):
    """``x.ndim - k``: an axis counted from a bound value's rank, as real code writes the last
    axis (``axis=x.ndim - 1``). It is the int itself to every rule."""

    def __new__(cls, rank: int, of: str, minus: int = 1):
        if not 0 <= minus <= rank:
            raise ValueError(f"{of}.ndim - {minus} is not an axis of a rank-{rank} value")
        axis = super().__new__(cls, rank - minus)
        axis.of, axis.minus = of, minus
        return axis

    def __repr__(self) -> str:
        return f"{self.of}.ndim - {self.minus}" if self.minus else f"{self.of}.ndim"


@dataclass(frozen=True)
class DTypeOf(DTypeName):
    """``x.dtype``: a bound value's dtype as a static parameter (``jnp.zeros(s, x.dtype)``)."""

    of: str = ""


@dataclass(frozen=True)
class Operator:
    """Renders as a Python operator: binary (``a + b``), comparison (``a > b``) or unary (``-a``)."""

    symbol: str
    form: str = "binary"  # "binary" | "compare" | "unary"


Rule = Callable[[tuple[ValueType, ...], Mapping[str, Any]], Any]
ParamDrawer = Callable[[Chooser, tuple[ValueType, ...]], dict]
Requirement = Callable[[tuple[ValueType, ...]], bool]


def _no_params(chooser: Chooser, types: tuple[ValueType, ...]) -> dict:
    return {}


def _always(types: tuple[ValueType, ...]) -> bool:
    return True


# Every tag an op may carry, and what it means. Productions draw ops by tag (`Registry.tagged`),
# so a tag outside this table (a typo) is refused where it is written, not silently never drawn.
TAGS = {
    "activation": "a jax.nn activation function",
    "arith": "binary float arithmetic drawn between two values",
    "axis": "an op along one axis (cumulative scans, sort, flip, roll)",
    "cast": "a dtype conversion",
    "compare": "a comparison giving a bool mask",
    "constant": "jnp.zeros/ones/full/arange/linspace/eye/asarray/array: a constant from static values",
    "contraction": "dot, matmul and other contractions",
    "control_flow": "lax.cond, switch, fori_loop, scan, while_loop",
    "elementwise": "an elementwise op",
    "encoding": "jax.nn.one_hot: int indices as one-hot floats",
    "gather": "x[i] and jnp.take_along_axis with int indices kept in bounds",
    "geometry": "jnp.cross of 3-vectors",
    "halves": "jnp.split into two halves, bound as a, b = ...",
    "index": "argmax/argmin-style ops giving int32 indices",
    "int_arith": "binary integer arithmetic",
    "int_unary": "unary integer ops",
    "join": "concatenate/stack-style joins",
    "layout": "reshape, transpose, slice, pad, tile, ...",
    "like": "zeros_like/ones_like/full_like: a constant shaped like a value",
    "logic": "&, | and ~ on bool masks",
    "mask_reduction": "jnp.any/jnp.all of a bool mask",
    "norm": "jnp.linalg.norm along an axis (drawn on arguments only)",
    "ordering": "jnp.argsort: the int32 indices that sort along an axis",
    "predicate": "isfinite/isnan-style tests giving a bool mask",
    "collective": "lax.pmean/psum/axis_index over the axis a jax.vmap names (drawn inside that vmap only)",
    "segment": "jax.ops.segment_sum: rows summed per segment id (ids kept in bounds)",
    "stop_gradient": "lax.stop_gradient, placed by the idiom that cuts a gradient (never in a loop or branch)",
    "random_key": "jax.random.PRNGKey/key: a PRNG key from an int32 seed",
    "key_derivation": "jax.random.split/fold_in: new keys from a key",
    "linalg": "jnp.linalg solve/cholesky/qr of well-conditioned float32 matrices",
    "convolution": "lax.conv_general_dilated of a batch of images by a kernel",
    "sampler": "jax.random.normal/uniform/bernoulli/...: samples of static shape from a key",
    "shuffle": "jax.random.permutation of a value along its first axis",
    "reduction": "a reduction over an axis or all",
    "scatter": "x.at[index].set/add/multiply/min/max(y) with a static index",
    "select": "jnp.where-style selection",
    "strict_select": "lax.select: a mask and two branches of one shape and dtype, no broadcasting",
    "top_k": "values, indices = lax.top_k(x, k) along the last axis",
    "transform": "jax.vmap/jit/checkpoint/grad/value_and_grad of a lambda, applied in the source",
    "tree_map": "jax.tree.map / jax.tree_util.tree_map of an elementwise lambda over tuples of arrays",
    "unary": "a unary float function",
    "window_update": "lax.dynamic_update_slice of a smaller block at static start indices",
    "window": "lax.dynamic_slice/index/update_slice_in_dim at a start computed at run time (clamped to fit)",
}


MAX_WEIGHT = 100


def check_tags(tags, where: str) -> None:
    unknown = sorted(set(tags) - set(TAGS))
    if unknown:
        raise ValueError(f"{where}: unknown tag(s) {unknown}; known tags are {', '.join(sorted(TAGS))} "
                         "(fuzzgen.grammar.ops.TAGS)")


@dataclass(frozen=True)
class Op:
    name: str
    render: Call | Operator | Method | Subscript | AtUpdate | Transform
    arity: int
    operand_dtypes: tuple[frozenset[str], ...]  # allowed dtypes, one set per operand
    dtype_rule: Rule
    shape_rule: Rule
    tags: frozenset[str]
    domains: tuple[Domain, ...] = ()
    differentiable: bool = True
    draw_params: ParamDrawer = _no_params
    requires: Requirement = _always  # operand types this op can take at all (e.g. rank >= 2)
    # Control flow: operand positions that are functions (lambdas), as (position, parameter count);
    # such an operand's type is the type its body returns.
    callables: tuple[tuple[int, int], ...] = ()
    results: int = 1  # lax.scan returns (carry, stacked outputs)
    reverse_mode: bool = True  # False where jax.grad cannot go through the op (lax.while_loop)
    limitations: str = ""
    # How often a production picks this op, relative to the other ops that fit the same slot (1 for
    # every built-in op). A plugin raises it so that its few ops are drawn often enough to matter.
    weight: int = 1
    primitives: tuple[str, ...] = field(default=())  # the jaxpr primitives it usually becomes
    # Never negative (abs, square, norm, ...): such a value plus a positive literal needs no guard
    # into a positive or nonzero domain, so the walk writes `lax.rsqrt(var + 1e-5)` as real code does.
    nonnegative: bool = False
    keeps_sign: bool = False  # a mean, sum or max of nonnegative values is nonnegative
    # False where JAX mishandles a Python int operand (the JVPs of jax.scipy.special.xlogy and
    # xlog1py call log(y) on it and raise): an ``x.shape[k]`` operand is then written as a float.
    int_operands: bool = True

    def __post_init__(self):
        gather = isinstance(self.render, Subscript) and self.render.gather
        if isinstance(self.render, (Method, Subscript)) and self.arity != 1 + gather:
            raise ValueError(f"op {self.name!r}: a method or static subscript op takes its receiver as its one "
                             "operand; a gather, the array and the index")
        if isinstance(self.render, AtUpdate) and self.arity != 2:
            raise ValueError(f"op {self.name!r}: an .at[...] update takes the array and the update value")
        if len(self.operand_dtypes) != self.arity:
            raise ValueError(f"op {self.name!r}: {len(self.operand_dtypes)} operand dtype sets for arity {self.arity}")
        if self.domains and len(self.domains) != self.arity:
            raise ValueError(f"op {self.name!r}: {len(self.domains)} domains for arity {self.arity}")
        check_tags(self.tags, f"op {self.name!r}")
        if not (isinstance(self.weight, int) and not isinstance(self.weight, bool) and 1 <= self.weight <= MAX_WEIGHT):
            raise ValueError(f"op {self.name!r}: weight={self.weight!r} must be an int from 1 to {MAX_WEIGHT}")

    def domain_of(self, position: int) -> Domain:
        return self.domains[position] if self.domains else Domain.ANY

    def accepts(self, position: int, vtype: ValueType) -> bool:
        return vtype.dtype in self.operand_dtypes[position]

    def applies_to(self, *operands: ValueType) -> bool:
        """Whether some parameters make this op valid on operands of these types."""
        return (len(operands) == self.arity and all(self.accepts(i, t) for i, t in enumerate(operands))
                and self.requires(operands))

    def _check_operands(self, operands: tuple[ValueType, ...]) -> None:
        if len(operands) != self.arity:
            raise TypeError(f"op {self.name!r} takes {self.arity} operands, got {len(operands)}")
        for position, vtype in enumerate(operands):
            if not self.accepts(position, vtype):
                raise TypeError(f"op {self.name!r} operand {position} cannot be {vtype.dtype}")
        if not self.requires(operands):
            raise ShapeError(f"op {self.name!r} does not apply to {', '.join(map(str, operands))}")

    def infer(self, operands: tuple[ValueType, ...], params: Mapping[str, Any]) -> ValueType:
        """The result type, or ShapeError/TypeError where the operands do not fit."""
        self._check_operands(operands)
        shape = tuple(self.shape_rule(operands, params))
        return ValueType(shape, self.dtype_rule(operands, params))

    def infer_results(self, operands: tuple[ValueType, ...], params: Mapping[str, Any]) -> tuple[ValueType, ...]:
        """For ops with several results: the shape and dtype rules return one entry per result."""
        self._check_operands(operands)
        shapes, dtypes = self.shape_rule(operands, params), self.dtype_rule(operands, params)
        return tuple(ValueType(tuple(shape), dtype) for shape, dtype in zip(shapes, dtypes))


class Registry:
    """The ops known to the grammar, by name; plugins add theirs with `register`."""

    def __init__(self):
        self._ops: dict[str, Op] = {}

    def register(self, op: Op, *, replace: bool = False) -> Op:
        if not isinstance(op, Op):
            raise TypeError(f"register() takes an Op record, got {type(op).__name__}")
        if op.name in self._ops and not replace:
            raise ValueError(f"an op named {op.name!r} is already registered (pass replace=True)")
        self._ops[op.name] = op
        return op

    def unregister(self, name: str) -> Op:
        """Remove and return op ``name``: for undoing a plugin in tests and notebooks."""
        try:
            return self._ops.pop(name)
        except KeyError:
            raise KeyError(f"no op named {name!r} in the grammar") from None

    def __getitem__(self, name: str) -> Op:
        try:
            return self._ops[name]
        except KeyError:
            raise KeyError(f"no op named {name!r} in the grammar") from None

    def __contains__(self, name: str) -> bool:
        return name in self._ops

    def __iter__(self):
        return iter(self._ops.values())

    def tagged(self, tag: str, *, dtype: str | None = None) -> tuple[Op, ...]:
        """Ops carrying ``tag`` whose first operand may have ``dtype``, in registration order, each
        repeated ``weight`` times: a uniform choice among them draws ops in proportion to weight."""
        check_tags((tag,), "Registry.tagged")
        return tuple(
            op for op in self._ops.values()
            if tag in op.tags and (dtype is None or dtype in op.operand_dtypes[0])
            for _ in range(op.weight)
        )


OPS = Registry()


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ShapeError(message)
