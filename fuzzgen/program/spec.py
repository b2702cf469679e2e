"""A program's specs: `ArgSpec` (one argument), `ProgramSpec` (what every layer lowers, judges,
stores and replays), and `Program` (a drawn program: its libcst function and statement types).

One `ProgramSpec` flows from the builder through lowering, the oracles, records, corpus cases and
replay: its source is a `CheckedSource`, its ``args`` are those of the function that is lowered
(batched under vmap), and it says how that function wraps the source's (``vmap_axes``) and
whether it has a reverse mode (``forward_only``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..grammar.types import ValueType
from ..trust.checked import CheckedSource, grammar_built, require_checked

if TYPE_CHECKING:  # imported where used: reading records needs ArgSpec, not libcst
    import libcst as cst


@dataclass(frozen=True)
class ArgSpec:
    """One leaf: a plain argument (``path`` empty), or a leaf of the tree argument ``name`` at
    ``path`` (dict keys and list positions, `fuzzgen.program.trees`)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    path: tuple = ()

    @property
    def label(self) -> str:
        """How the source reads it: ``x``, ``params['w']``."""
        from .trees import label

        return label(self.name, self.path)

    @property
    def vtype(self) -> ValueType:
        return ValueType(self.shape, self.dtype)

    @property
    def is_float(self) -> bool:
        return self.vtype.is_float

    def to_json(self) -> dict:
        entry = {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}
        if self.path:  # absent for a plain argument: records without trees read as they always did
            entry["path"] = list(self.path)
        return entry


@dataclass(frozen=True)
class ProgramSpec:
    """A program as lowering, the oracles, records and replay see it."""

    source: CheckedSource
    args: tuple[ArgSpec, ...]  # of the lowered function: batched along in_axes under vmap
    vmap_axes: tuple[int | None, ...] | None = None  # lowered as jax.vmap(f, in_axes=vmap_axes)
    forward_only: str | None = None  # why reverse mode does not exist (lax.while_loop), else None

    def __post_init__(self):
        require_checked(self.source)
        object.__setattr__(self, "args", tuple(self.args))
        if self.vmap_axes is not None:
            object.__setattr__(self, "vmap_axes", tuple(self.vmap_axes))
            if len(self.vmap_axes) != len(self.args):
                raise ValueError(f"vmap_axes {list(self.vmap_axes)} needs one entry per argument ({len(self.args)})")
        from .trees import tree_problem

        problem = tree_problem(self.args)
        if problem:
            raise ValueError(problem)

    @property
    def function_name(self) -> str:
        return self.source.function_name

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def float_argnums(self) -> tuple[int, ...]:
        """The arguments the backward direction differentiates: every floating one."""
        return tuple(i for i, a in enumerate(self.args) if a.is_float)

    @property
    def id(self) -> str:
        return program_id(self.source.text, [a.to_json() for a in self.args])


FORWARD_ONLY_REASON = "reverse-mode differentiation does not exist through lax.while_loop"


@dataclass(frozen=True)
class Program:
    """A valid-by-construction function. ``statement_types`` holds the inferred type of each
    assignment in order, then of each value it returns (``result_types``: one, or a tree
    result's, in tree_leaves order). ``helpers`` are the functions defined
    before it in the same source and called from it (``def dense(x, w, b): ...``); the source
    ends with ``function``, the one lowered."""

    category: str
    function: cst.FunctionDef
    args: tuple[ArgSpec, ...]
    statement_types: tuple[ValueType, ...]
    ops: frozenset[str]
    vmap_axes: tuple[int | None, ...] | None = None  # vmap programs: jax.vmap(f, in_axes=vmap_axes)
    axis_size: int | None = None
    helpers: tuple = ()  # of cst.FunctionDef
    result_types: tuple[ValueType, ...] = ()

    @property
    def lowered_args(self) -> tuple[ArgSpec, ...]:
        """The arguments of the function that is lowered: batched along in_axes under vmap."""
        return batched_args(self.args, self.vmap_axes, self.axis_size)

    @property
    def forward_only(self) -> bool:
        """True where reverse mode does not exist for some op (lax.while_loop)."""
        from ..grammar import OPS

        return any(not OPS[name].reverse_mode for name in self.ops)

    @property
    def function_name(self) -> str:
        return self.function.name.value

    @cached_property
    def source(self) -> str:
        import libcst as cst  # here, not at the top: reading records needs ArgSpec, not libcst

        return cst.Module(body=[*self.helpers, self.function]).code

    @property
    def float_argnums(self) -> tuple[int, ...]:
        return self.spec.float_argnums

    @property
    def n_statements(self) -> int:
        """Statements in the body of the lowered function: the assignments and the return (a
        helper's statements are its own)."""
        return len(self.function.body.body)

    @cached_property
    def spec(self) -> ProgramSpec:
        return ProgramSpec(grammar_built(self.source, self.function_name), self.lowered_args, self.vmap_axes,
                           FORWARD_ONLY_REASON if self.forward_only else None)

    @cached_property
    def id(self) -> str:
        return program_id(self.source, [a.to_json() for a in self.lowered_args])

    @property
    def probe(self) -> CheckedSource:
        """`probe_source`, checked (it is the builder's own rendering)."""
        return grammar_built(self.probe_source(), self.function_name)

    def probe_source(self) -> str:
        """The same function as its flags' defaults trace it (`flags.specialized`: no ``if``),
        returning every assigned value (not a tree: a map over whole trees, a gradient over one) and then the result's values
        (a returned tree's leaves), as a tuple; tests use it to check each statement's inferred
        type against JAX."""
        import libcst as cst

        from .flags import specialized
        from .nodes import leaf_read

        from ..trust.tree_forms import tree_bindings

        specialized_function = specialized(self.function, frozenset(h.name.value for h in self.helpers), self.args)
        body = list(specialized_function.body.body)
        names, trees = [], {}  # tree name -> its leaves' paths, in tree_leaves order
        for arg in self.args:
            if arg.path:
                trees.setdefault(arg.name, []).append(arg.path)
        for statement in body[:-1]:
            target = statement.body[0].targets[0].target
            bound = [e.value for e in target.elements] if isinstance(target, cst.Tuple) else [target]
            tree_names = tree_bindings(statement.body[0].value, [n.value for n in bound], trees)
            for name, structure in tree_names.items():  # a tree, not a value: its leaves count where returned
                trees[name] = trees[structure]
            names.extend(n for n in bound if n.value not in tree_names)
        elements = [cst.Element(n) for n in names]
        for node in result_leaf_nodes(body[-1].body[0].value):
            paths = trees.get(node.value, [()]) if isinstance(node, cst.Name) else [()]
            elements += [cst.Element(leaf_read(node, path)) for path in paths]  # a tree's: `v3['Dense_0']['bias']`
        probe_return = cst.SimpleStatementLine([cst.Return(cst.Tuple(elements))])
        function = specialized_function.with_changes(body=specialized_function.body.with_changes(
            body=body[:-1] + [probe_return]))
        return cst.Module(body=[*self.helpers, function]).code


def result_leaf_nodes(returned) -> list:
    """The values of a return's expression in ``jax.tree_util.tree_leaves`` order: the
    expression itself, or the values of a tuple or dict display (dict keys sorted)."""
    import libcst as cst

    if isinstance(returned, cst.Tuple):
        return [leaf for element in returned.elements for leaf in result_leaf_nodes(element.value)]
    if isinstance(returned, cst.Dict):
        ordered = sorted(returned.elements, key=lambda element: element.key.evaluated_value)
        return [leaf for element in ordered for leaf in result_leaf_nodes(element.value)]
    return [returned]


def batched_args(args, vmap_axes, axis_size) -> tuple[ArgSpec, ...]:
    """``args`` of a source function as ``jax.vmap(f, in_axes=vmap_axes)`` takes them: each
    batched argument gets a dimension of ``axis_size`` at its axis; without vmap, ``args``."""
    if vmap_axes is None:
        return tuple(args)
    from ..grammar.structured import batched_shape

    return tuple(ArgSpec(a.name, batched_shape(a.shape, axis, axis_size), a.dtype, a.path)
                 for a, axis in zip(args, vmap_axes))


def program_id(source: str, args_json: list[dict]) -> str:
    """First 16 hex chars of sha256 over the source and the argument specs."""
    payload = source + json.dumps(args_json, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
