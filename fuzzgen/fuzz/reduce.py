"""A reducer after Hypothesis, typed by abstract evaluation: from a shrunk failure to a 1-minimal one.

Hypothesis shrinks the choice sequence, so once the category or the op at a position changes the
rest of the program is reinterpreted: structural simplifications (drop this ``a + b``, keep its
``a``) are out of its reach. This reducer works on the program itself, as C-Reduce and Perses do,
but never proposes an ill-typed candidate. It repeatedly tries, in this order:

1. deleting an assignment nothing reads, inlining one read once (or an alias ``v0 = a``
   wherever it is read), dropping an unused argument;
2. replacing a subexpression by one of its own operands, or by an argument or earlier local, of
   the same type (shape, dtype, weak type);
3. replacing a subexpression by a fresh argument of its type;
4. unbatching a vmap program, or shrinking its batch;
5. making an argument a scalar, dropping or shrinking one of its dimensions, or float32;

and keeps the first candidate that is smaller (op count, then statements, arguments, elements,
low-precision dtypes, characters) and still fails with the same family (oracle, error type,
normalized message), until none does. Types come from ``jax.eval_shape`` of a probe that returns
every subexpression, in the judge's worker; every candidate passes the grammar check (the
allow-list) and must trace to one floating array before the oracle judges it.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import libcst as cst

from ..grammar import OPS
from ..grammar.types import DTYPES, FLOAT_DTYPES
from ..oracles.verdict import Verdict
from ..program.builder import ARG_NAMES
from ..program.trees import parameter_names, with_leaves
from ..program.spec import FORWARD_ONLY_REASON, ArgSpec, ProgramSpec, batched_args, program_id, result_leaf_nodes
from ..trust import UntrustedSourceError, check_program, check_source
from ..trust.tree_forms import is_whole_tree_map, tree_bindings, tree_gradient_target
from ..program.flags import specialized
from . import lambdas, syntax
from .isolation import Case, CheckResult
from .triage import normalize_message

MAX_JUDGED = 300  # candidates judged per finding: a bound, far above what 1-minimality needs here
# A finding that kills its worker costs a worker restart (seconds) per failing candidate, so the
# reducer also stops after this long and keeps the smallest failing program found so far.
MAX_SECONDS = 600.0
PROGRESS_EVERY = 10.0


@dataclass(frozen=True)
class Reducible:
    """A program as the reducer edits it: its function, the source function's arguments, and how
    it is batched. It answers what the driver and the CLI ask of a `Program`."""

    category: str
    function: cst.FunctionDef
    source_args: tuple[ArgSpec, ...]
    vmap_axes: tuple[int | None, ...] | None = None
    axis_size: int | None = None
    helpers: tuple = ()  # the helper definitions before it (`Program.helpers`); only those still called are kept

    @classmethod
    def of(cls, program) -> Reducible:
        """``program`` as the reducer edits it: its ``if``s resolved by its flags' defaults and its
        arguments' ranks (what is traced, `flags.specialized`), so that each name is bound once."""
        helpers = tuple(getattr(program, "helpers", ()))
        function = specialized(program.function, frozenset(h.name.value for h in helpers), tuple(program.args))
        return cls(program.category, function, tuple(program.args), program.vmap_axes, program.axis_size, helpers)

    @property
    def function_name(self) -> str:
        return self.function.name.value

    @cached_property
    def source(self) -> str:
        return syntax.render(self.function, self.helpers)

    @property
    def args(self) -> tuple[ArgSpec, ...]:
        return self.source_args

    @cached_property
    def lowered_args(self) -> tuple[ArgSpec, ...]:
        return batched_args(self.source_args, self.vmap_axes, self.axis_size)

    @property
    def n_statements(self) -> int:
        return len(self.function.body.body)

    @cached_property
    def forward_only(self) -> str | None:
        targets = (getattr(op.render, "target", None) for op in OPS if not op.reverse_mode)
        return FORWARD_ONLY_REASON if any(t and f"{t}(" in self.source for t in targets) else None

    @cached_property
    def spec(self) -> ProgramSpec:
        """Checked against the grammar like any source read from a file: the reducer's edits are
        trusted no more than a corpus case."""
        return check_program(self.source, self.function_name, self.lowered_args, vmap_axes=self.vmap_axes,
                             forward_only=self.forward_only)

    @cached_property
    def id(self) -> str:
        return program_id(self.source, [a.to_json() for a in self.lowered_args])

    @cached_property
    def measure(self) -> tuple:
        helpers = syntax.called_helpers(self.function, self.helpers)
        return (syntax.operator_count(self.function) + sum(map(syntax.operator_count, helpers)),
                self.n_statements + sum(len(h.body.body) for h in helpers), len(self.source_args),
                self.vmap_axes is not None, sum(math.prod(a.shape) for a in self.lowered_args),
                sum(a.dtype not in ("float32", "int32") for a in self.source_args), len(self.source))

    def to_json(self) -> dict:
        """The program as a corpus case stores it: ``python``, ``args`` and ``vmap``."""
        record = {"python": self.source, "args": [a.to_json() for a in self.lowered_args]}
        if self.vmap_axes is not None:
            record["vmap"] = {"in_axes": list(self.vmap_axes), "axis_size": self.axis_size}
        return record


def family_of(verdict: Verdict) -> tuple[str, str, str]:
    return verdict.oracle, verdict.error_type or "", normalize_message(verdict.details)


# --- abstract evaluation, run in the judge's worker ----------------------------------------------

def abstract_types(source, args) -> tuple | str:
    """The type of what the checked ``source`` returns for ``args``, by ``jax.eval_shape``: a
    ``(shape, dtype, weak)`` triple or a tuple of them; a one-line message where tracing fails."""
    import jax

    from ..lowering.execution import abstract_inputs
    from ..trust.sandbox import load_function

    try:
        value = jax.eval_shape(with_leaves(load_function(source), args), *abstract_inputs(args))
    except Exception as error:  # noqa: BLE001 - an ill-typed candidate: the reducer skips it
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return _triples(value)


def _triples(value):
    if isinstance(value, dict):  # a tree result's dict: its values in tree_leaves order
        return tuple(_triples(value[key]) for key in sorted(value))
    if isinstance(value, (tuple, list)):
        return tuple(_triples(v) for v in value)
    return tuple(value.shape), str(value.dtype), bool(getattr(value, "weak_type", False))


def _is_triple(vtype) -> bool:
    return isinstance(vtype, tuple) and len(vtype) == 3 and isinstance(vtype[1], str)


def _floating_values(vtype) -> bool:
    """A floating array, or a tree result (tuples and dicts) of nothing but floating arrays."""
    if _is_triple(vtype):
        return vtype[1] in FLOAT_DTYPES
    return isinstance(vtype, tuple) and bool(vtype) and all(_floating_values(v) for v in vtype)


# --- the reduction loop --------------------------------------------------------------------------

@dataclass
class Reduction:
    """The reduced program, its verdict and result (None: nothing smaller failed), and the count."""

    program: Reducible
    verdict: Verdict | None = None
    result: CheckResult | None = None
    judged: int = 0
    steps: int = 0


class Reducer:
    def __init__(self, checker, verdict: Verdict, input_seed: int, *, max_judged: int = MAX_JUDGED,
                 max_seconds: float = MAX_SECONDS, log: Callable[[str], None] | None = None):
        self.checker, self.oracle, self.input_seed = checker, verdict.oracle, input_seed
        self.family = family_of(verdict)
        self.max_judged, self.max_seconds = max_judged, max_seconds
        self.log = log or (lambda message: None)

    def reduce(self, start: Reducible) -> Reduction:
        reduction = Reduction(start)
        began = last_line = time.monotonic()
        while reduction.judged < self.max_judged:
            for candidate in self.candidates(reduction.program):
                if reduction.judged >= self.max_judged or time.monotonic() - began > self.max_seconds:
                    return self._renamed(reduction)
                if not candidate.measure < reduction.program.measure or not self._traces(candidate):
                    continue
                reduction.judged += 1
                failed = self._fails(candidate)
                if time.monotonic() - last_line >= PROGRESS_EVERY:
                    last_line = time.monotonic()
                    self.log(f"reducing: {reduction.judged} candidates judged, {reduction.steps} kept, now "
                             f"{reduction.program.n_statements} statements ({last_line - began:.0f} s)")
                if failed is not None:
                    reduction.program, (reduction.verdict, reduction.result) = candidate, failed
                    reduction.steps += 1
                    break
            else:
                break  # no single step fails the same way: 1-minimal
        return self._renamed(reduction)

    def _renamed(self, reduction: Reduction) -> Reduction:
        """Arguments renamed a, b, c, ... in order, where that still fails the same way: the
        inputs are drawn by position, so only the names change."""
        program = reduction.program
        names = dict(zip(parameter_names(program.source_args), ARG_NAMES))
        if all(old == new for old, new in names.items()):
            return reduction
        candidate = dataclasses.replace(program, function=syntax.renamed(program.function, names),
                                        source_args=tuple(dataclasses.replace(a, name=names[a.name])
                                                          for a in program.source_args))
        if self._traces(candidate):
            reduction.judged += 1
            failed = self._fails(candidate)
            if failed is not None:
                reduction.program, (reduction.verdict, reduction.result) = candidate, failed
        return reduction

    def _traces(self, candidate: Reducible) -> bool:
        """The candidate passes the grammar check and traces to floating values (one array, or a
        tree result of them)."""
        if not any(a.is_float for a in candidate.source_args):
            return False
        try:
            spec = candidate.spec
        except (UntrustedSourceError, ValueError):
            return False
        return _floating_values(self.checker.types(spec.source, candidate.source_args))

    def _fails(self, candidate: Reducible):
        result = self.checker.check(Case(candidate.spec, (self.oracle,), self.input_seed))
        for verdict in result.failures:
            if family_of(verdict) == self.family:
                return verdict, result
        return None

    def candidates(self, program: Reducible):
        """Every single-step edit of ``program``, the largest simplifications first."""
        where = syntax.layout(program.function)
        yield from _structural(program, where)
        types = self._types_of(program, where)
        if types is not None:
            yield from _replacements(program, where, types)
        yield from _batching(program)
        yield from _argument_edits(program)

    def _types_of(self, program: Reducible, where: syntax.Layout):
        """The type of every array value outside lambdas, and of every argument and local, by id;
        not of a tree argument or a part of a leaf's path (``params``, ``params[0]``), nor of a
        map or gradient over whole trees or a name bound to one, which are no values (the probe could not
        return them)."""
        trees = {a.name for a in program.source_args if a.path}
        for line, names in where.statements:  # and names bound to maps or gradients over whole trees
            trees |= set(tree_bindings(line.body[0].value, names, trees))
        values = [v for v in where.values if not _tree_part(v, trees, where) and not is_whole_tree_map(v)
                  and not tree_gradient_target(v)]
        names = [cst.Name(n) for n in where.uses if n not in trees]
        text = syntax.render(syntax.probe(program.function, values + names), program.helpers)
        try:
            probe = check_source(text, program.source_args, program.function_name, tuple_return=True)
        except UntrustedSourceError:
            return None
        found = self.checker.types(probe, program.source_args)
        if not isinstance(found, tuple) or len(found) != len(values) + len(names):
            return None
        by_node = {id(v): t for v, t in zip(values, found)}
        by_name = {n.value: t for n, t in zip(names, found[len(where.values):])}
        return by_node, by_name


def _edited(program: Reducible, function: cst.FunctionDef, **changes) -> Reducible:
    return dataclasses.replace(program, function=function, **changes)


def _structural(program: Reducible, where: syntax.Layout):
    returned = program.function.body.body[-1].body[0].value
    if isinstance(returned, (cst.Tuple, cst.Dict)):  # a tree result: the one value the failure is in, alone
        for value in result_leaf_nodes(returned):
            yield _edited(program, syntax.returning(program.function, value))
    for function in lambdas.inlined_applications(program.function, where):  # a bug inside a transformed lambda
        yield _edited(program, function)
    unread = syntax.without_unused_keywords(program.function)
    if unread is not None:
        yield _edited(program, unread)
    taken = frozenset(where.uses) | {a.name for a in program.source_args} | {h.name.value for h in program.helpers}
    for call in syntax.helper_calls(program.function, program.helpers):  # a bug inside a helper's body
        yield _edited(program, syntax.helper_inlined(program.function, where, program.helpers, call, taken))
    for line, names in reversed(where.statements):
        if not any(where.uses[n] for n in names):
            yield _edited(program, syntax.without_statement(program.function, line))
    for line, names in where.statements:
        value = line.body[0].value
        if len(names) == 1 and isinstance(value, cst.Name) and where.uses[names[0]]:  # `v0 = a`
            yield _edited(program, syntax.unaliased(program.function, line, names[0], value.value))
        elif len(names) == 1 and len(where.uses[names[0]]) == 1:
            (use,) = where.uses[names[0]]
            if id(use) not in where.in_lambda:
                yield _edited(program, syntax.inlined(program.function, where, line, use))
    for position, arg in enumerate(program.source_args):
        if not where.uses[arg.name]:
            if position == 0 or program.source_args[position - 1].name != arg.name:
                yield _without_argument(program, position)
        elif arg.path and arg.label not in program.source:  # a tree's leaf that nothing reads any more
            yield _without_argument(program, position, leaf_only=True)


def _without_argument(program: Reducible, position: int, leaf_only: bool = False) -> Reducible:
    """Without the argument at ``position`` (every leaf of it, for a tree), or only that leaf."""
    name = program.source_args[position].name
    keep = [k != position if leaf_only else a.name != name for k, a in enumerate(program.source_args)]
    args = tuple(a for a, kept in zip(program.source_args, keep) if kept)
    axes = None
    if program.vmap_axes is not None:
        axes = tuple(axis for axis, kept in zip(program.vmap_axes, keep) if kept)
        if all(axis is None for axis in axes):
            axes = None
    function = program.function if leaf_only else syntax.without_parameter(program.function, name)
    return _edited(program, function, source_args=args, vmap_axes=axes,
                   axis_size=program.axis_size if axes is not None else None)


def _size(node: cst.CSTNode) -> int:
    return len(cst.Module(body=[]).code_for_node(node))


def _replacements(program: Reducible, where: syntax.Layout, types):
    by_node, by_name = types
    values = sorted((v for v in where.values if not isinstance(v, cst.Name) and id(v) in by_node), key=_size,
                    reverse=True)
    arguments = tuple(a.name for a in program.source_args)
    for value in values:
        wanted = by_node[id(value)]
        inner = [v for v in where.values if v is not value and _inside(v, value, where) and by_node.get(id(v)) == wanted]
        for operand in sorted(inner, key=_size):
            yield _edited(program, syntax.replaced(program.function, where, value, operand))
        for name in where.bound_before(value, arguments):
            if by_name.get(name) == wanted:
                yield _edited(program, syntax.replaced(program.function, where, value, cst.Name(name)))
    for value in values:
        fresh = _fresh_argument(program, by_node[id(value)])
        if fresh is not None:
            function = syntax.with_parameter(syntax.replaced(program.function, where, value, cst.Name(fresh.name)),
                                             fresh.name)
            axes = None if program.vmap_axes is None else program.vmap_axes + (None,)
            yield _edited(program, function, source_args=program.source_args + (fresh,), vmap_axes=axes)


def _tree_part(node, trees: set[str], where: syntax.Layout) -> bool:
    """A tree argument's name, or a subscript of it that is not yet a whole leaf path."""
    root = node
    while isinstance(root, cst.Subscript):
        root = root.value
    if not (isinstance(root, cst.Name) and root.value in trees):
        return False
    parent = where.parents.get(node)
    return not isinstance(node, cst.Subscript) or (isinstance(parent, cst.Subscript) and parent.value is node)


def _inside(node, ancestor, where: syntax.Layout) -> bool:
    while node in where.parents:
        node = where.parents[node]
        if node is ancestor:
            return True
    return False


def _fresh_argument(program: Reducible, vtype) -> ArgSpec | None:
    if not (isinstance(vtype, tuple) and len(vtype) == 3 and isinstance(vtype[1], str)):
        return None
    shape, dtype, weak = vtype
    taken = {a.name for a in program.source_args}
    free = [n for n in ARG_NAMES if n not in taken]  # a plain argument: it goes last, after any tree
    if weak or dtype not in DTYPES or not free:
        return None
    return ArgSpec(free[0], tuple(shape), dtype)


def _batching(program: Reducible):
    if program.vmap_axes is None:
        return
    yield dataclasses.replace(program, vmap_axes=None, axis_size=None)
    for size in (1, 2):
        if size < program.axis_size:
            yield dataclasses.replace(program, axis_size=size)


def _argument_edits(program: Reducible):
    for position, arg in enumerate(program.source_args):
        shapes = [()] if arg.shape else []
        shapes += [arg.shape[:i] + arg.shape[i + 1:] for i in range(len(arg.shape))]
        shapes += [arg.shape[:i] + (1,) + arg.shape[i + 1:] for i, d in enumerate(arg.shape) if d > 1]
        axis = None if program.vmap_axes is None else program.vmap_axes[position]
        for shape in dict.fromkeys(shapes):
            if axis is None or axis <= len(shape):
                yield _with_arg(program, position, dataclasses.replace(arg, shape=shape))
        if arg.is_float and arg.dtype != "float32":
            yield _with_arg(program, position, dataclasses.replace(arg, dtype="float32"))


def _with_arg(program: Reducible, position: int, arg: ArgSpec) -> Reducible:
    args = program.source_args[:position] + (arg,) + program.source_args[position + 1:]
    return dataclasses.replace(program, source_args=args)
