"""Read and edit a drawn program's libcst function for the reducer: which nodes are array values,
where names are used, and edits (replace a subexpression, inline or delete an assignment, drop a
parameter) that keep Python's precedence right.

A grammar program is one ``def``: assignments to fresh names, then one ``return``; lambdas appear
only as control-flow bodies. Every edit returns a new `FunctionDef` (libcst nodes are immutable)
and never touches a lambda's body, whose names are bound by the op that calls it.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

COMPOUND = (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison)
NUMBERS = (cst.Integer, cst.Float)
# Where an expression needs no parentheses whatever its operator: a call argument, a tuple
# element, a lambda body, or the whole value of an assignment or return.
UNPARENTHESIZED_PARENTS = (cst.Arg, cst.Element, cst.Lambda, cst.Assign, cst.Return)


def is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (*NUMBERS, cst.SimpleString)):  # the string: an einsum specification
        return True
    if isinstance(node, cst.UnaryOperation):
        return is_literal(node.expression)
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.Tuple):
        return all(is_literal(e.value) for e in node.elements)
    return False


@dataclass(frozen=True)
class Layout:
    """What the reducer needs to know about one function, found in one walk.

    ``values`` are the array-valued expressions outside lambdas (names of arguments and locals,
    op calls, operators), in source order; ``parents`` maps each node to its parent; ``uses``
    maps each argument or local to the name nodes that read it (lambda bodies included);
    ``statements`` are the assignments in order, with the names each binds."""

    values: tuple[cst.BaseExpression, ...]
    parents: dict
    uses: dict
    statements: tuple[tuple[cst.SimpleStatementLine, tuple[str, ...]], ...]
    in_lambda: frozenset  # ids of nodes inside a lambda

    def bound_before(self, node: cst.CSTNode, arguments: tuple[str, ...]) -> tuple[str, ...]:
        """The names readable at ``node``: the arguments, then locals bound by earlier statements."""
        line = self.statement_of(node)
        names = list(arguments)
        for statement, bound in self.statements:
            if statement is line:
                break
            names.extend(bound)
        return tuple(names)

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        while not isinstance(node, cst.SimpleStatementLine):
            node = self.parents[node]
        return node


def module_names() -> frozenset[str]:
    """``jnp``, ``lax``, ``jax``, ``ext``: the names op targets start with (never variables)."""
    from ..grammar.ops import OPS
    from ..trust.surface import GrammarSurface

    return GrammarSurface.of(OPS).modules


def is_module_path(node: cst.CSTNode, modules: frozenset[str]) -> bool:
    """``jnp.cos``, ``jax.nn.relu``, ``jnp.float16``: an op's target or a dtype, not a value
    (``x.T`` and the receiver of ``x.sum()`` are values)."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name) and node.value in modules


def layout(function: cst.FunctionDef) -> Layout:
    arguments = tuple(p.name.value for p in function.params.params)
    statements = []
    for line in function.body.body[:-1]:
        target = line.body[0].targets[0].target
        names = tuple(e.value.value for e in target.elements) if isinstance(target, cst.Tuple) else (target.value,)
        statements.append((line, names))
    variables = set(arguments) | {n for _, names in statements for n in names}
    walker = _Walker(variables, module_names())
    function.body.visit(walker)
    return Layout(tuple(walker.values), walker.parents, walker.uses, tuple(statements), frozenset(walker.in_lambda))


class _Walker(cst.CSTVisitor):
    def __init__(self, variables: set[str], modules: frozenset[str]):
        self.variables = variables
        self.modules = modules
        self.values: list[cst.BaseExpression] = []
        self.parents: dict = {}
        self.uses: dict[str, list[cst.Name]] = {v: [] for v in variables}
        self.in_lambda: set[int] = set()
        self._stack: list[cst.CSTNode] = []
        self._lambdas = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parents[node] = self._stack[-1]
        self._stack.append(node)
        if self._lambdas:
            self.in_lambda.add(id(node))
        if isinstance(node, cst.Lambda):
            self._lambdas += 1
        if isinstance(node, (cst.AssignTarget, cst.Param)) or is_module_path(node, self.modules):
            return False  # `jnp.cos` is an op's target, and targets and parameters bind, not read
        if isinstance(node, cst.Name) and node.value in self.variables:
            parent = self.parents.get(node)
            if not (isinstance(parent, cst.Arg) and parent.keyword is node
                    or isinstance(parent, cst.Attribute) and parent.attr is node):
                self.uses[node.value].append(node)
                if not self._lambdas:
                    self.values.append(node)
        elif is_op_value(node, self.modules, self.parents.get(node)) and not self._lambdas:
            self.values.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, cst.Lambda):
            self._lambdas -= 1
        self._stack.pop()


def is_type_fact(node: cst.CSTNode) -> bool:
    """``x.shape``, ``x.shape[k]``, ``x.dtype``: static facts of a value, not values; and
    ``x.at``, ``x.at[i]``: the path of an ``.at[i].set(y)`` update, whose call is the value."""
    if isinstance(node, cst.Subscript):
        node = node.value
    return isinstance(node, cst.Attribute) and node.attr.value in ("shape", "dtype", "at")


def is_op_value(node: cst.CSTNode, modules: frozenset[str], parent: cst.CSTNode | None = None) -> bool:
    """An op's result: a call, a method call, ``x.T``, ``x[...]`` or an operator; not the
    ``x.sum`` of ``x.sum()``, which is the call's function (``parent`` is the node's parent)."""
    if is_type_fact(node) or isinstance(parent, cst.Call) and parent.func is node:
        return False
    if isinstance(node, cst.Call):  # ``jnp.cos(x)``, ``x.sum()``, ``layer_norm(x, g, b)`` of a helper; or a
        return isinstance(node.func, (cst.Attribute, cst.Call, cst.Name))  # transform applied, ``jax.vmap(f)(x)``
    if isinstance(node, cst.Attribute):
        return not is_module_path(node, modules)
    if isinstance(node, cst.Subscript):
        return True
    return isinstance(node, COMPOUND) and not is_literal(node)


def replaced(function: cst.FunctionDef, where: Layout, old: cst.BaseExpression,
             new: cst.BaseExpression) -> cst.FunctionDef:
    """``function`` with the node ``old`` replaced by ``new``, parenthesized where its new place
    needs it (an operator's operand); ``old``'s own parentheses go with it."""
    return function.deep_replace(old, _fitted(new, where.parents[old], old))


def _fitted(new: cst.BaseExpression, parent: cst.CSTNode, old: cst.BaseExpression) -> cst.BaseExpression:
    new = new.deep_clone()
    if not isinstance(new, COMPOUND):
        return new.with_changes(lpar=[], rpar=[]) if hasattr(new, "lpar") else new
    if isinstance(parent, UNPARENTHESIZED_PARENTS):
        return new.with_changes(lpar=[], rpar=[])
    return new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def returning(function: cst.FunctionDef, value: cst.BaseExpression) -> cst.FunctionDef:
    """The function returning ``value`` (a part of its result) instead."""
    final = cst.SimpleStatementLine([cst.Return(value.deep_clone().with_changes(lpar=[], rpar=[]))])
    return function.with_changes(body=function.body.with_changes(body=list(function.body.body[:-1]) + [final]))


def without_statement(function: cst.FunctionDef, line: cst.SimpleStatementLine) -> cst.FunctionDef:
    body = [s for s in function.body.body if s is not line]
    return function.with_changes(body=function.body.with_changes(body=body))


def inlined(function: cst.FunctionDef, where: Layout, line: cst.SimpleStatementLine, use: cst.Name) -> cst.FunctionDef:
    """The value of the assignment ``line`` written where its one use is, and ``line`` removed."""
    value = line.body[0].value
    edited = function.deep_replace(use, _fitted(value, where.parents[use], use))
    return without_statement(edited, _same_line(edited, function, line))


def unaliased(function: cst.FunctionDef, line: cst.SimpleStatementLine, alias: str, name: str) -> cst.FunctionDef:
    """``function`` without the alias ``alias = name`` (the statement ``line``), every read of
    ``alias`` reading ``name``: inside lambdas too, where inlining an expression would change
    what runs per call, a name stays a name."""
    edited = renamed(function, {alias: name})
    return without_statement(edited, _same_line(edited, function, line))


def _same_line(edited: cst.FunctionDef, original: cst.FunctionDef, line) -> cst.SimpleStatementLine:
    """``line``'s counterpart in ``edited``, which has the same statements in the same order."""
    position = [s is line for s in original.body.body].index(True)
    return edited.body.body[position]


def without_parameter(function: cst.FunctionDef, name: str) -> cst.FunctionDef:
    params = [p for p in function.params.params if p.name.value != name]
    if params:
        params[-1] = params[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return function.with_changes(params=function.params.with_changes(params=params))


def with_parameter(function: cst.FunctionDef, name: str) -> cst.FunctionDef:
    params = list(function.params.params) + [cst.Param(cst.Name(name))]
    return function.with_changes(params=function.params.with_changes(params=params))


def renamed(function: cst.FunctionDef, names: dict[str, str]) -> cst.FunctionDef:
    """``function`` with its parameters (and every read of them) renamed by ``names``."""
    return function.visit(_Renamer(names))


class _Renamer(cst.CSTTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        # `jnp.cos`, `x.sum`: the attribute part names an op, whatever a parameter is called
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value=self.names.get(updated_node.value, updated_node.value))


def operator_count(function: cst.FunctionDef) -> int:
    """Op calls and operators in the whole function, lambda bodies included."""
    counter = _Counter()
    function.body.visit(counter)
    return counter.count


class _Counter(cst.CSTVisitor):
    def __init__(self):
        self.count = 0
        self.modules = module_names()
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        parent = self._stack[-1] if self._stack else None
        self._stack.append(node)  # on_leave pops it, whether or not its children are visited
        if is_module_path(node, self.modules):
            return False
        if is_op_value(node, self.modules, parent):
            self.count += 1
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


def probe(function: cst.FunctionDef, values) -> cst.FunctionDef:
    """The function with its return replaced by a tuple of ``values`` (nodes of its statements or
    of its return, none inside a lambda): evaluating it abstractly types each of them."""
    body = list(function.body.body)
    elements = [cst.Element(v.deep_clone().with_changes(lpar=[], rpar=[]), comma=cst.Comma()) for v in values]
    returned = cst.Tuple(elements)
    final = cst.SimpleStatementLine([cst.Return(returned)])
    return function.with_changes(body=function.body.with_changes(body=body[:-1] + [final]))


def render(function: cst.FunctionDef, helpers: tuple = ()) -> str:
    """The source: the helpers ``function`` still calls (a reduction may have removed every call
    of one), then ``function``, two blank lines apart as the builder sets them."""
    kept = called_helpers(function, helpers)
    function = function.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()] if kept else [])
    return cst.Module(body=[*kept, function]).code


def helper_inlined(function: cst.FunctionDef, where: Layout, helpers: tuple, call: cst.Call,
                   taken: frozenset[str]) -> cst.FunctionDef:
    """``function`` with the helper ``call`` replaced by the helper's body: each argument (and
    each keyword-only number, the call's or the default) bound to a new name first, then the
    body's statements, their names new too, and the call written as what the body returns; all
    placed before the program's statement that holds the call."""
    helper = next(h for h in helpers if h.name.value == call.func.value)
    names = set(taken)

    def fresh(base: str) -> str:
        name = next(f"{base}_{k}" for k in range(1, 10_000) if f"{base}_{k}" not in names)
        names.add(name)
        return name

    mapping, bindings = {}, []
    given = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
    positional = [arg.value for arg in call.args if arg.keyword is None]
    for param, value in zip(helper.params.params, positional):
        mapping[param.name.value] = fresh(param.name.value)
        bindings.append((mapping[param.name.value], value))
    for param in helper.params.kwonly_params:
        mapping[param.name.value] = fresh(param.name.value)
        bindings.append((mapping[param.name.value], given.get(param.name.value, param.default)))
    lines = [cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(n))], v.deep_clone())])
             for n, v in bindings]
    *statements, final = helper.body.body
    for line in statements:
        assign = line.body[0]
        target = assign.targets[0].target
        targets = [e.value.value for e in target.elements] if isinstance(target, cst.Tuple) else [target.value]
        value = assign.value.visit(_Renamer(dict(mapping)))
        for old in targets:
            mapping[old] = fresh(old)
        node = cst.Name(mapping[targets[0]]) if len(targets) == 1 else cst.Tuple(
            [cst.Element(cst.Name(mapping[t])) for t in targets], lpar=[], rpar=[])
        lines.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(node)], value)]))
    returned = final.body[0].value.visit(_Renamer(dict(mapping)))
    holder = next(s for s in function.body.body if _holds(s, call))
    edited = function.deep_replace(call, _fitted(returned, where.parents[call], call))
    position = [s is holder for s in function.body.body].index(True)
    body = list(edited.body.body)
    return edited.with_changes(body=edited.body.with_changes(body=body[:position] + lines + body[position:]))


def helper_calls(function: cst.FunctionDef, helpers: tuple) -> list[cst.Call]:
    names = {h.name.value for h in helpers}
    return [c for c in _calls(function) if isinstance(c.func, cst.Name) and c.func.value in names]


def _holds(statement: cst.CSTNode, node: cst.CSTNode) -> bool:
    found = []

    class _Finds(cst.CSTVisitor):
        def on_visit(self, visited: cst.CSTNode) -> bool:
            if visited is node:
                found.append(visited)
            return not found

    statement.visit(_Finds())
    return bool(found)


def without_unused_keywords(function: cst.FunctionDef) -> cst.FunctionDef | None:
    """``function`` without the keyword-only numbers its body no longer reads (``*, eps=1e-05``),
    or None where it reads them all."""
    read = set()

    class _Reads(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            read.add(node.value)

        def visit_Arg(self, node: cst.Arg) -> bool:  # `eps=` of a helper call names no value
            if node.value is not None:
                node.value.visit(self)
            return False

    function.body.visit(_Reads())
    params = function.params
    kept = [p for p in params.kwonly_params if p.name.value in read]
    if len(kept) == len(params.kwonly_params):
        return None
    if kept:
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return function.with_changes(params=params.with_changes(kwonly_params=kept))
    plain = list(params.params)
    if plain:
        plain[-1] = plain[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return function.with_changes(params=params.with_changes(params=plain, kwonly_params=[],
                                                            star_arg=cst.MaybeSentinel.DEFAULT))


def called_helpers(function: cst.FunctionDef, helpers: tuple) -> list[cst.FunctionDef]:
    called = {call.func.value for call in helper_calls(function, helpers)}
    kept = [h for h in helpers if h.name.value in called]
    if not kept:
        return []
    return [kept[0].with_changes(leading_lines=[])] + kept[1:]


def _calls(function: cst.FunctionDef) -> list[cst.Call]:
    found = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            found.append(node)

    function.body.visit(_Calls())
    return found
