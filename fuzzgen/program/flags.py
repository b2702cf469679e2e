"""A program's static ``if``s and ``for``s, resolved as tracing resolves them.

A program may take keyword-only booleans (``*, use_bias=True``) and guard statements with them
(``if use_bias: h = h + b``) or with a test of an argument's rank (``if x.ndim > 2:``), and loop
over a literal range (``for i in range(2): h = block(h, params[i]['w'])``) or over a list tree
argument (``for layer in layers:``); the IR is traced with the defaults and the arguments'
ranks, each loop unrolled. `specialized` writes the function as it is traced: the body of an
``if`` whose flag defaults to True (or whose rank test passes) spliced in place, one whose flag
defaults to False dropped, a loop's body once per position (``params[0]['w']``,
``layers[0]['w']``), and each name bound again renamed from there on (``h_2 = h + b``; later
reads of ``h`` read ``h_2``), so that every name is bound once. The typing probe and the
reducer work on that form.
"""
from __future__ import annotations

import libcst as cst

from ..trust.definitions import list_positions, range_bounds, rank_test
from .structure import RANK_TESTS


def specialized(function: cst.FunctionDef, taken: frozenset[str] = frozenset(), args=()) -> cst.FunctionDef:
    """``function`` without ``if`` statements, as its defaults and its arguments' ranks trace it;
    ``taken`` are names a new name must also avoid (the helpers'); ``args`` are the function's
    arg specs (an ``if x.ndim > 2:`` reads ``x``'s)."""
    body = list(function.body.body)
    if not any(isinstance(s, (cst.If, cst.For)) for s in body):
        return function
    defaults = {p.name.value: isinstance(p.default, cst.Name) and p.default.value == "True"
                for p in function.params.kwonly_params}
    names = taken | _all_names(function)
    bound = {p.name.value for p in function.params.params}
    current: dict[str, str] = {}  # a name -> the name its latest binding has now
    out = []
    for statement in body:
        if isinstance(statement, cst.If):
            if not _taken(statement.test, defaults, args):
                continue
            inner = list(statement.body.body)
        elif isinstance(statement, cst.For):  # unrolled: the loop variable becomes each position
            index = statement.target.value
            if isinstance(statement.iter, cst.Name):  # `for layer in layers:`: `layer` is `layers[k]`
                tree = statement.iter.value
                start, stop = list_positions([a.path for a in args if a.name == tree])
                inner = [line.visit(_Position(index, k, tree)) for k in range(start, stop)
                         for line in statement.body.body]
            else:
                start, stop = range_bounds(statement.iter)  # checked or built: literal bounds
                inner = [line.visit(_Position(index, k)) for k in range(start, stop) for line in statement.body.body]
        else:
            inner = [statement]
        for line in inner:
            small = line.body[0]
            if isinstance(small, cst.Assign):
                value = small.value.visit(_Reads(current))
                targets = []
                for target in _target_names(small.targets[0].target):
                    if target in bound:
                        fresh = next(f"{target}_{k}" for k in range(2, 10_000) if f"{target}_{k}" not in names)
                        names = names | {fresh}
                        current[target] = fresh
                        target = fresh
                    else:
                        current.pop(target, None)
                    bound.add(target)
                    targets.append(target)
                node = cst.Name(targets[0]) if len(targets) == 1 else cst.Tuple(
                    [cst.Element(cst.Name(t)) for t in targets], lpar=[], rpar=[])
                small = small.with_changes(targets=[cst.AssignTarget(node)], value=value)
            elif isinstance(small, cst.Return) and small.value is not None:
                small = small.with_changes(value=small.value.visit(_Reads(current)))
            out.append(line.with_changes(body=[small]))
    return function.with_changes(body=function.body.with_changes(body=out))


def _taken(test: cst.BaseExpression, defaults: dict[str, bool], args) -> bool:
    """Whether an if's block is traced: its flag's default, or its argument's rank test (the
    argument is not bound again before it: the trust check and the builder see to that)."""
    if isinstance(test, cst.Name):
        return defaults[test.value]
    name, symbol, rank = rank_test(test)
    shapes = {tuple(a.shape) for a in args if a.name == name and not a.path}
    if len(shapes) != 1:
        raise ValueError(f"`if {name}.ndim {symbol} {rank}:` is resolved by the arg specs, and none is named {name!r}")
    return RANK_TESTS[symbol](len(shapes.pop()), rank)


class _Position(cst.CSTTransformer):
    """The loop variable's reads, as the integer literal of one iteration (``layers[1]``, where
    the loop walks the tree ``tree``)."""

    def __init__(self, index: str, position: int, tree: str | None = None):
        self.index, self.position, self.tree = index, position, tree

    def leave_Name(self, original: cst.Name, updated: cst.BaseExpression) -> cst.BaseExpression:
        if original.value != self.index:
            return updated
        position = cst.Integer(str(self.position))
        if self.tree is None:
            return position
        return cst.Subscript(cst.Name(self.tree), [cst.SubscriptElement(cst.Index(position))])


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Tuple):
        return [e.value.value for e in target.elements]
    return [target.value]


def _all_names(function: cst.FunctionDef) -> frozenset[str]:
    found = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    function.visit(_Names())
    return frozenset(found)


class _Reads(cst.CSTTransformer):
    """Renames reads of names (not attribute names, keywords or lambda parameters)."""

    def __init__(self, current: dict[str, str]):
        self.current = current
        self.shadowed: list[set[str]] = []

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.shadowed.append({p.name.value for p in node.params.params})
        return True

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda) -> cst.Lambda:
        self.shadowed.pop()
        return updated

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return False  # only the receiver is a read (`x.T`'s `T` is not): renamed on leaving

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(value=original.value.visit(self))

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)  # `axis=` stays as it was

    def visit_Param(self, node: cst.Param) -> bool:
        return False

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if any(original.value in names for names in self.shadowed):
            return updated
        return updated.with_changes(value=self.current.get(original.value, original.value))
