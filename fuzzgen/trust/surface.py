"""What grammar programs may contain, read off the op registry: the checker's allow-list.

Derived from `Op` records on every check, never written out by hand, so ops a plugin registers
are accepted as soon as they exist. For a call it answers which argument is what, mirroring how
`nodes.render_op` lays a call out: leading literal parameters, the operands (several of them
packed into one tuple for ``lax.switch``), then positional and keyword literal parameters.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..grammar.ops import AtUpdate, Call, Method, Op, Operator, Registry, Subscript, Transform
from ..grammar.types import BOOL, DTYPES


@dataclass(frozen=True)
class Slot:
    """One positional argument of a call: a literal parameter, an operand, or a tuple of operands."""

    kind: str  # "literal" | "operand" | "operands"
    positions: tuple[int, ...] = ()  # the operand positions it holds


LITERAL = Slot("literal")


def operand_slots(op: Op) -> list[Slot]:
    starts = {group[0]: group for group in op.render.groups}
    packed = {p for group in op.render.groups for p in group}
    slots = []
    for position in range(op.arity):
        if position in starts:
            slots.append(Slot("operands", starts[position]))
        elif position not in packed:
            slots.append(Slot("operand", (position,)))
    return slots


def call_slots(op: Op, n_positional: int, keywords: set[str]) -> list[Slot] | None:
    """The role of each positional argument when ``op`` is called with these arguments, or None
    where the op cannot be called so."""
    render = op.render
    fixed = [LITERAL] * len(render.leading) + operand_slots(op)
    extra = n_positional - len(fixed)
    if not 0 <= extra <= len(render.positional):
        return None
    if not keywords <= set(render.keyword) | set(render.positional[extra:]):
        return None
    return fixed + [LITERAL] * extra


# The dtypes a static parameter may name (``x.astype(jnp.float16)``), as rendered.
DTYPE_TARGETS = frozenset(f"jnp.{'bool_' if d == BOOL else d}" for d in (*DTYPES, BOOL))


@dataclass(frozen=True)
class GrammarSurface:
    calls: dict[str, tuple[Op, ...]]  # "jnp.sum", "jax.nn.relu" -> the ops rendered as a call of it
    binary: frozenset[str]
    compare: frozenset[str]
    unary: frozenset[str]
    methods: dict[str, tuple[Op, ...]]  # "sum" -> the ops rendered as ``x.sum(...)``
    attributes: frozenset[str]  # "T": ops rendered as ``x.T``
    subscript: bool  # whether some op renders as ``x[...]``
    at_updates: frozenset[str] = frozenset()  # "set": ops rendered as ``x.at[...].set(y)``
    gather: bool = False  # whether some op renders as ``x[i]`` with an array index
    transforms: dict = None  # "jax.vmap" -> the ops rendered as ``jax.vmap(f, ...)(x)``

    @classmethod
    def of(cls, registry: Registry) -> GrammarSurface:
        calls: dict[str, list[Op]] = {}
        methods: dict[str, list[Op]] = {}
        attributes: set[str] = set()
        subscript = gather = False
        transforms: dict[str, list[Op]] = {}
        at_updates: set[str] = set()
        symbols: dict[str, set[str]] = {"binary": set(), "compare": set(), "unary": set()}
        for op in registry:
            if isinstance(op.render, Call):
                calls.setdefault(op.render.target, []).append(op)
            elif isinstance(op.render, Operator):
                symbols[op.render.form].add(op.render.symbol)
            elif isinstance(op.render, Method) and op.render.attribute:
                attributes.add(op.render.name)
            elif isinstance(op.render, Method):
                methods.setdefault(op.render.name, []).append(op)
            elif isinstance(op.render, Transform):
                transforms.setdefault(op.render.target, []).append(op)
            elif isinstance(op.render, Subscript) and op.render.gather:
                gather = True
            elif isinstance(op.render, Subscript):
                subscript = True
            elif isinstance(op.render, AtUpdate):
                at_updates.add(op.render.method)
        return cls({target: tuple(ops) for target, ops in calls.items()},
                   frozenset(symbols["binary"]), frozenset(symbols["compare"]), frozenset(symbols["unary"]),
                   {name: tuple(ops) for name, ops in methods.items()}, frozenset(attributes), subscript,
                   frozenset(at_updates), gather, {target: tuple(ops) for target, ops in transforms.items()})

    @property
    def modules(self) -> frozenset[str]:
        """The namespaces calls go through (``jnp``, ``lax``, ``jax``, ``ext``): never bound,
        never values."""
        return frozenset(target.partition(".")[0] for target in self.targets) | {"jnp"}

    @property
    def targets(self) -> frozenset[str]:
        """Every dotted name an op renders as: its calls and its transforms."""
        return frozenset(self.calls) | frozenset(self.transforms or ())

    def match_transform(self, target: str, n_applied: int, keywords: set[str]) -> Op | None:
        """The first op rendered as transform ``target`` applied to ``n_applied`` operands."""
        for op in (self.transforms or {}).get(target, ()):
            if op.arity - 1 == n_applied and keywords <= set(op.render.keyword):
                return op
        return None

    @property
    def axis_name_calls(self) -> dict[str, int]:
        """Call targets taking an axis name, and its positional index (``lax.pmean(r, "batch")``: 1)."""
        return {target: ops[0].arity + ops[0].render.positional.index("axis_name")
                for target, ops in self.calls.items() if "axis_name" in ops[0].render.positional}

    @property
    def axis_name_transforms(self) -> frozenset[str]:
        """Transform targets that may name their axis (``jax.vmap(f, axis_name="batch")``)."""
        return frozenset(target for target, ops in (self.transforms or {}).items()
                         if any("axis_name" in op.render.keyword for op in ops))

    @property
    def value_attributes(self) -> frozenset[str]:
        """Attribute names allowed on a value (an array): its methods and attributes."""
        return frozenset(self.methods) | self.attributes | self.at_updates | ({"at"} if self.at_updates else set())

    def match_method(self, name: str, n_positional: int, keywords: set[str]) -> Op | None:
        """The first op rendered as method ``name`` that takes these (all static) arguments."""
        for op in self.methods.get(name, ()):
            render = op.render
            if n_positional <= len(render.positional) and keywords <= set(render.keyword) | set(
                    render.positional[n_positional:]):
                return op
        return None

    def match(self, target: str, n_positional: int, keywords: set[str]) -> tuple[Op, list[Slot]] | None:
        """The first op rendered as ``target`` that takes these arguments, with their roles."""
        for op in self.calls.get(target, ()):
            slots = call_slots(op, n_positional, keywords)
            if slots is not None:
                return op, slots
        return None

    def keywords_of(self, target: str) -> list[str]:
        return sorted({k for op in self.calls[target] for k in op.render.keyword + op.render.positional})
