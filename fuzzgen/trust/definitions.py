"""The definitions a grammar program's source holds: helper functions, then the program's own.

A source is one or more plain ``def``s and nothing else. The last is the program (its parameters
are the arg specs); any before it are helpers (``def layer_norm(x, scale, shift, *, eps=1e-05)``)
that the program calls, each at least once, by name and with exactly its positional parameters
(``layer_norm(h, gamma, beta)``, ``rms_norm(h, gamma, eps=1e-06)``). A helper calls no function
but the registry's ops, so nothing recurses; a helper's name is never rebound nor used as a
value. Any function may end its parameters with keyword-only numbers that have literal defaults
(``*, eps=1e-05``): static numbers, used as a literal is, whose defaults a call may replace with
other literals. A keyword-only ``True`` or ``False`` (``*, use_bias=True``) is a flag that an
``if`` may test (`if_statement`). A ``for`` runs over a literal ``range`` or a list tree argument (`for_statement`).
"""
from __future__ import annotations

import libcst as cst

from ..program.structure import RANK_TESTS
from .values import snippet

MAX_HELPERS = 8
MAX_TRIPS = 8  # the builder's bound (`fuzzgen.program.structure.MAX_TRIPS`): loops are unrolled when traced


class DefinitionForms:
    """A mixin of the checker: `module` checks the definitions and returns the program's name."""

    def module(self, module: cst.Module, parameters: list[str], function_name: str | None) -> str:
        for statement in module.body:
            if not isinstance(statement, cst.FunctionDef):
                raise self.not_allowed(_first_small(statement), "outside the function")
        functions = list(module.body)
        if not functions:
            raise self.refuse(module, "expected exactly one function definition, found 0")
        if len(functions) > MAX_HELPERS + 1:
            raise self.refuse(functions[MAX_HELPERS + 1], f"found {len(functions)} function definitions; at most "
                                                          f"{MAX_HELPERS} helpers and the program's own")
        *helpers, program = functions
        self.helper_names = {h.name.value for h in helpers}
        self.callable_helpers: dict[str, tuple[int, frozenset[str]]] = {}
        signatures = {}
        for helper in helpers:  # a helper sees its own parameters and the modules, nothing else
            if helper.name.value in signatures:
                raise self.refuse(helper.name, f"helper name {helper.name.value!r} is already bound; each name "
                                               "is bound once")
            self.bound, self.statics, self.flags = set(), set(), set()
            signatures[self.definition(helper, None)] = (len(helper.params.params),
                                                          frozenset(p.name.value for p in helper.params.kwonly_params))
        self.bound, self.statics, self.flags = set(), set(), set()
        self.callable_helpers, self.called = signatures, set()
        name = self.definition(program, parameters, function_name)
        unused = [h for h in helpers if h.name.value not in self.called]
        if unused:
            raise self.refuse(unused[0], f"helper {unused[0].name.value!r} is defined but never called by "
                                         f"{name!r}; a source defines only what its program calls")
        return name

    def definition(self, node: cst.FunctionDef, parameters: list[str] | None, function_name: str | None = None) -> str:
        """A plain ``def``; ``parameters`` are the names the program's own must have (None for a
        helper, whose parameters are its own)."""
        if node.decorators:
            raise self.not_allowed(node.decorators[0], "on the function")
        if node.asynchronous is not None:
            raise self.refuse(node, "async functions are not allowed")
        if node.returns is not None:
            raise self.refuse(node.returns, "return annotations are not allowed")
        if node.type_parameters is not None:
            raise self.refuse(node.type_parameters, "type parameters are not allowed")
        role = "function name" if parameters is not None else "helper name"
        name = self.fresh_name(node.name, role, helper_allowed=parameters is None)
        if function_name is not None and name != function_name:
            raise self.refuse(node.name, f"function is named {name!r}, but the record says {function_name!r}")
        self.check_parameters(node.params, parameters)
        # whose rank an if may test: the program's own array arguments, until bound again
        self.testable = {p.name.value for p in node.params.params} - set(self.trees) if parameters is not None else set()
        self.in_program = parameters is not None  # the reducer's tuple-returning probe is the program's alone
        if not isinstance(node.body, cst.IndentedBlock):
            raise self.refuse(node, "the body must be an indented block")
        statements = node.body.body
        for position, statement in enumerate(statements):
            self.statement(statement, last=position == len(statements) - 1)
        return name

    def check_parameters(self, params: cst.Parameters, expected: list[str] | None) -> None:
        extras = list(params.posonly_params)
        if isinstance(params.star_arg, cst.Param):
            extras.append(params.star_arg)  # `*args`; a bare `*` (ParamStar) only opens the keywords
        if params.star_kwarg is not None:
            extras.append(params.star_kwarg)
        if extras or not isinstance(params.posonly_ind, cst.MaybeSentinel):
            raise self.refuse(extras[0] if extras else params, "only plain positional parameters and keyword-only "
                                                               "numbers with defaults are allowed")
        for param in params.params:
            name = param.name.value
            if param.default is not None:
                raise self.refuse(param, f"parameter {name!r} has a default value; defaults are not allowed "
                                         "(a keyword-only number after `*` may have one)")
            if param.annotation is not None:
                raise self.refuse(param, f"parameter {name!r} has an annotation; annotations are not allowed")
            self.bound.add(self.fresh_name(param.name, "parameter"))
        names = [p.name.value for p in params.params]
        if expected is not None and names != list(expected):
            raise self.refuse(params, f"parameters ({', '.join(names)}) do not match the arg specs "
                                      f"({', '.join(expected)})")
        for param in params.kwonly_params:
            name = param.name.value
            if param.annotation is not None:
                raise self.refuse(param, f"parameter {name!r} has an annotation; annotations are not allowed")
            flag = isinstance(param.default, cst.Name) and param.default.value in ("True", "False")
            if param.default is None or not (flag or self.is_number_literal(param.default)):
                raise self.refuse(param, f"keyword-only parameter {name!r} must have a number, True or False as "
                                         f"its default, not {snippet(param.default) if param.default is not None else 'none'}")
            self.bound.add(self.fresh_name(param.name, "parameter"))
            self.statics.add(name)
            if flag:
                self.flags.add(name)

    def for_statement(self, node: cst.For) -> None:
        """``for i in range(3):`` or ``range(1, 3)`` (literal bounds, at most `MAX_TRIPS`
        iterations), no ``else``, holding assignments as an if's body does; ``i`` may index a
        tree argument (``params[i]['w']``) where every position it takes holds that leaf. Or
        ``for layer in layers:`` over a tree argument that is a list (positions 0..n-1 at its
        top): ``layer`` is read only as the root of a leaf's path (``layer['w']``), which every
        position must hold."""
        if node.asynchronous is not None or node.orelse is not None:
            raise self.refuse(node, "a for loop has no else and is not async")
        if self.loop is not None:
            raise self.refuse(node, "for loops do not nest")
        tree = node.iter.value if isinstance(node.iter, cst.Name) and node.iter.value in self.trees else None
        bounds = range_bounds(node.iter) if tree is None else list_positions(self.trees[tree])
        if bounds is None or not 0 <= bounds[0] < bounds[1] or bounds[1] - bounds[0] > MAX_TRIPS:
            raise self.refuse(node.iter, f"a for loop runs over range(stop) or range(start, stop) of integer literals, "
                                         f"or over a tree argument that is a list, at most {MAX_TRIPS} iterations, "
                                         f"not {snippet(node.iter)!r}")
        if not isinstance(node.target, cst.Name):
            raise self.refuse(node.target, "a for loop binds one name")
        outer = set(self.bound)
        index = self.fresh_name(node.target, "loop variable")
        self.bound.add(index)
        self.statics.add(index)
        self.loop, self.loop_tree = (index, range(*bounds)), tree
        try:
            self.block_body(node.body, outer, "inside a for loop")
        finally:
            self.loop, self.loop_tree = None, None
            self.statics.discard(index)
        self.bound = outer

    def if_statement(self, node: cst.If) -> None:
        """``if use_bias:`` on a keyword-only flag, or ``if x.ndim > 2:`` on the rank of an
        argument of the program not bound again before, no ``else``: assignments that bind new
        names, which end with the block, or bind a name from before it again (``h = h + b``)."""
        flag = isinstance(node.test, cst.Name) and node.test.value in self.flags
        tested = rank_test(node.test)
        if not flag and (tested is None or tested[0] not in self.testable):
            raise self.refuse(node.test, f"an if tests a keyword-only flag of the function (`*, use_bias=True`) or "
                                         f"the rank of an argument not bound again before (`x.ndim > 2`), "
                                         f"not {snippet(node.test)!r}")
        if node.orelse is not None:
            raise self.refuse(node.orelse, "an if has no else or elif")
        outer = set(self.bound)
        self.block_body(node.body, outer, "inside an if")
        self.bound = outer  # what the block bound first is gone after it; what it bound again stays

    def block_body(self, body: cst.BaseSuite, outer: set[str], where: str) -> None:
        """Assignments of one name each: a new one, or one bound before the block, again."""
        if not isinstance(body, cst.IndentedBlock):
            raise self.refuse(body, f"the body of a block must be an indented block, not {where} on one line")
        for statement in body.body:
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 or not isinstance(
                    statement.body[0], cst.Assign):
                raise self.not_allowed(statement.body[0] if isinstance(statement, cst.SimpleStatementLine)
                                       and statement.body else statement, where)
            small = statement.body[0]
            if len(small.targets) != 1 or not isinstance(small.targets[0].target, cst.Name):
                raise self.refuse(small, f"{where}, an assignment binds one name")
            self.value_of_one(small.value)
            target = small.targets[0].target
            rebound = target.value in outer and target.value not in self.statics | set(self.trees) | self.tree_locals
            self.testable.discard(target.value)  # its rank may be another from here on
            if not rebound:
                self.bound.add(self.fresh_name(target, "assigned name"))

    def value_of_one(self, node: cst.BaseExpression) -> None:
        if self.value(node) != 1:
            raise self.refuse(node, f"{snippet(node)!r} has several results; bind them outside the if")

    def is_number_literal(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            node = node.expression
        if isinstance(node, (cst.Integer, cst.Float)):
            self.number(node)
            return True
        return False

    def helper_call(self, node: cst.Call) -> int:
        """``layer_norm(h, gamma, beta, eps=1e-06)``: a helper defined before, with a value for
        each positional parameter and literal numbers for some of its keyword-only ones."""
        name = node.func.value
        positional, keywords = self.arguments(node, name)
        count, allowed = self.callable_helpers[name]
        if len(positional) != count:
            raise self.refuse(node, f"helper {name!r} takes {count} positional argument(s), not {len(positional)}")
        for arg in positional:
            self.expression(arg.value)
        for key, arg in keywords.items():
            if key not in allowed:
                raise self.refuse(arg, f"helper {name!r} has no keyword-only parameter {key!r}")
            if not self.is_number_literal(arg.value):
                raise self.refuse(arg, f"keyword {key!r} of {name!r} must be a number, not {snippet(arg.value)!r}")
        self.called.add(name)
        return 1


def rank_test(node: cst.BaseExpression) -> tuple[str, str, int] | None:
    """(name, comparison, rank) of ``x.ndim > 2``: a name's rank compared with a small int
    literal by one of `RANK_TESTS`; None for anything else."""
    if not (isinstance(node, cst.Comparison) and len(node.comparisons) == 1):
        return None
    left, (comparison,) = node.left, node.comparisons
    symbol = {cst.Equal: "==", cst.NotEqual: "!=", cst.GreaterThan: ">", cst.GreaterThanEqual: ">=",
              cst.LessThan: "<", cst.LessThanEqual: "<="}.get(type(comparison.operator))
    right = comparison.comparator
    if symbol not in RANK_TESTS or not (isinstance(left, cst.Attribute) and isinstance(left.value, cst.Name)
                              and left.attr.value == "ndim" and isinstance(right, cst.Integer)
                              and right.value.isdigit() and len(right.value) <= 2):
        return None
    return left.value.value, symbol, int(right.value)


def list_positions(leaves) -> tuple[int, int] | None:
    """(0, n) where a tree's leaves' paths all start with a position 0..n-1, each taken; None
    where its top is not a list."""
    firsts = {path[0] if path else None for path in leaves}
    if not firsts or not all(type(k) is int for k in firsts) or firsts != set(range(len(firsts))):
        return None
    return 0, len(firsts)


def range_bounds(node: cst.BaseExpression) -> tuple[int, int] | None:
    """(start, stop) of ``range(stop)`` / ``range(start, stop)`` with integer literals."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "range"
            and 1 <= len(node.args) <= 2):
        return None
    values = []
    for arg in node.args:
        if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Integer) or not arg.value.value.isdigit() \
                or len(arg.value.value) > 3:
            return None
        values.append(int(arg.value.value))
    return (0, values[0]) if len(values) == 1 else (values[0], values[1])


def _first_small(statement: cst.CSTNode) -> cst.CSTNode:
    if isinstance(statement, cst.SimpleStatementLine) and statement.body:
        return statement.body[0]
    return statement
