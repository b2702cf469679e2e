"""Check untrusted source against the grammar before anything execs it.

Records, corpus files and findings are data that anyone can edit, so a program read from a file
may be exec'd only once this check has shown it is a program the grammar could have drawn: one
plain ``def`` whose parameters are the arg specs (after any helpers it calls: `definitions`),
assignments to fresh names, one final return,
and expressions built from names bound before use, numeric literals and the registry's ops
(``jnp.x`` / ``lax.x`` / ``jax.nn.x`` / ``ext.x`` calls, the array methods and attributes ops
render as, static subscripts, and Python operators), whose static parameters are literals of the
kinds the builder renders (numbers, True/False/None, ``jnp.<dtype>``, tuples of those). Lambdas
appear only where a control-flow op takes a function, with as many parameters as it takes.
Everything else is refused, naming the node and its line. The allow-list is derived from the
registry on every call (`grammar_surface`), so a plugin's ops pass unchanged.

Two parsers look at the source. CPython's `ast` goes first: it bounds size and nesting (libcst's
native parser can crash on deeply nested input) and, at the end, re-checks the tree that
``compile`` will really build, so a disagreement between the parsers cannot smuggle code through.
"""
from __future__ import annotations

from typing import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..grammar.ops import OPS, Op, Registry
from .checked import CheckedSource, issue
from .definitions import DefinitionForms
from .tree_forms import TreeForms
from .surface import GrammarSurface, Slot
from .values import (
    KEYWORD_CONSTANTS, MACHINE_EPSILON_CALL, MAX_NUMBER_CHARS, SHAPE_CALL, TYPE_FACTS, ValueForms, dotted_name,
    snippet,
)
from ..program.spec import ArgSpec, ProgramSpec
from ..program.trees import label, parameter_names, tree_leaves
from .limits import UntrustedSourceError, cross_check, parse_bounded, prescreen

__all__ = ["UntrustedSourceError", "check_program", "check_source"]


# Python's operator syntax, by libcst node type; which symbols are allowed comes from OPS.
BINARY_SYMBOLS = {
    cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.Divide: "/", cst.MatrixMultiply: "@",
    cst.FloorDivide: "//", cst.Modulo: "%", cst.Power: "**", cst.LeftShift: "<<", cst.RightShift: ">>",
    cst.BitAnd: "&", cst.BitOr: "|", cst.BitXor: "^",
}
COMPARE_SYMBOLS = {
    cst.GreaterThan: ">", cst.LessThan: "<", cst.GreaterThanEqual: ">=", cst.LessThanEqual: "<=",
    cst.Equal: "==", cst.NotEqual: "!=", cst.Is: "is", cst.IsNot: "is not", cst.In: "in", cst.NotIn: "not in",
}
UNARY_SYMBOLS = {cst.Minus: "-", cst.Plus: "+", cst.BitInvert: "~", cst.Not: "not"}

# How a refused node is named in the message; other node types are named by their class.
NODE_KINDS = {
    cst.Lambda: "lambda", cst.ListComp: "list comprehension", cst.SetComp: "set comprehension",
    cst.DictComp: "dict comprehension", cst.GeneratorExp: "generator expression", cst.NamedExpr: "walrus (:=)",
    cst.SimpleString: "string", cst.ConcatenatedString: "string", cst.FormattedString: "f-string",
    cst.Subscript: "subscript", cst.Await: "await", cst.Yield: "yield", cst.IfExp: "conditional expression",
    cst.BooleanOperation: "boolean operator", cst.List: "list", cst.Dict: "dict", cst.Set: "set",
    cst.Tuple: "tuple", cst.StarredElement: "starred expression", cst.Imaginary: "imaginary number",
    cst.Ellipsis: "ellipsis", cst.Import: "import", cst.ImportFrom: "import", cst.Global: "global",
    cst.Nonlocal: "nonlocal", cst.ClassDef: "class definition", cst.FunctionDef: "nested function",
    cst.If: "if statement", cst.For: "for loop", cst.While: "while loop", cst.With: "with statement",
    cst.Try: "try statement", cst.Raise: "raise", cst.Assert: "assert", cst.Del: "del", cst.Pass: "pass",
    cst.AugAssign: "augmented assignment", cst.AnnAssign: "annotated assignment", cst.Expr: "expression statement",
    cst.Decorator: "decorator", cst.Attribute: "attribute", cst.Call: "call", cst.Assign: "assignment",
    cst.Return: "return",
}


def check_source(source: str, args: Sequence[ArgSpec], function_name: str | None = None,
                 *, registry: Registry = OPS, tuple_return: bool = False) -> CheckedSource:
    """Return ``source`` as a `CheckedSource` (which names the one function it defines), or raise
    `UntrustedSourceError` before any native parser or exec has seen it.

    ``args`` are the specs the parameters must match, by name and order; ``function_name``, when
    given, is the name the function must have. ``tuple_return`` admits one more form: a return
    of a tuple of grammar expressions (the reducer's typing probe), each checked as any value is.
    """
    tree = parse_bounded(source)
    surface = GrammarSurface.of(registry)
    targets = surface.targets
    prescreen(tree)  # what libcst's native parser would crash or trip on
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise UntrustedSourceError(f"syntax error: {error.message}", error.raw_line) from None
    except (RecursionError, MemoryError, Exception) as error:  # libcst's own bugs on odd input
        raise UntrustedSourceError(f"libcst cannot parse it ({type(error).__name__})") from None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    trees = tree_leaves(args)
    checker = _Checker(surface, wrapper.resolve(PositionProvider), tuple_return, trees)
    name = checker.module(module, parameter_names(args), function_name)
    static_calls = {MACHINE_EPSILON_CALL, SHAPE_CALL}  # `jnp.finfo(x.dtype).eps`, `jnp.shape(x)`: static values
    cross_check(tree, targets | static_calls, surface.value_attributes | frozenset(TYPE_FACTS) | {"eps"},
                subscripts=True, tree_parameters=frozenset(trees),
                axis_name_calls=surface.axis_name_calls, axis_name_transforms=surface.axis_name_transforms)
    return issue(source, name)


class _Checker(DefinitionForms, TreeForms, ValueForms):
    def __init__(self, surface: GrammarSurface, positions, tuple_return: bool = False,
                 trees: dict[str, set[tuple]] | None = None):
        self.surface = surface
        self.trees = trees or {}  # tree parameter -> its leaves' paths: read only as whole paths
        self.tree_locals: set[str] = set()  # names bound to a map over whole trees (`TreeForms`)
        self.positions = positions
        self.tuple_return = tuple_return
        self.bound: set[str] = set()
        self.statics: set[str] = set()  # keyword-only numbers (`eps`): values, but not arrays
        self.flags: set[str] = set()  # keyword-only booleans, which an `if` may test
        self.loop: tuple[str, range] | None = None  # inside `for i in range(...)`: i and its positions
        self.loop_tree: str | None = None  # inside `for layer in layers:`, the tree `layer` walks
        self.helper_names: set[str] = set()
        self.callable_helpers: dict[str, tuple[int, frozenset[str]]] = {}
        self.called: set[str] = set()
        self.in_program = True

    # --- refusing ------------------------------------------------------------------------

    def line(self, node: cst.CSTNode) -> int | None:
        position = self.positions.get(node)
        return position.start.line if position is not None else None

    def refuse(self, node: cst.CSTNode, message: str) -> UntrustedSourceError:
        return UntrustedSourceError(message, self.line(node))

    def not_allowed(self, node: cst.CSTNode, where: str = "in a grammar program") -> UntrustedSourceError:
        kind = NODE_KINDS.get(type(node), type(node).__name__)
        return self.refuse(node, f"{kind} {snippet(node)!r} is not allowed {where}")

    # --- structure -----------------------------------------------------------------------

    def statement(self, statement: cst.BaseStatement, *, last: bool) -> None:
        if isinstance(statement, (cst.If, cst.For)):
            if last:
                raise self.refuse(statement, "the function must end with a return")
            self.if_statement(statement) if isinstance(statement, cst.If) else self.for_statement(statement)
            return
        if not isinstance(statement, cst.SimpleStatementLine):
            raise self.not_allowed(statement)
        if len(statement.body) != 1:
            raise self.refuse(statement, "one statement per line; ';' is not allowed")
        (small,) = statement.body
        if isinstance(small, cst.Return):
            if not last:
                raise self.refuse(small, "the return must be the last statement")
            if small.value is None:
                raise self.refuse(small, "the return must return a value")
            if self.tuple_return and self.in_program and isinstance(small.value, cst.Tuple) and small.value.elements:
                for element in small.value.elements:
                    if not isinstance(element, cst.Element):
                        raise self.not_allowed(element)
                    self.expression(element.value)
                return
            if self.in_program and isinstance(small.value, (cst.Tuple, cst.Dict)):
                self.result_display(small.value, 1)
                return
            if self.in_program and self.is_tree_name(small.value):
                return  # a tree argument, or a map over whole trees, returned whole
            self.expression(small.value)
            return
        if last:
            raise self.refuse(small, "the function must end with a return")
        if not isinstance(small, cst.Assign):
            raise self.not_allowed(small)
        if len(small.targets) != 1:
            raise self.refuse(small, "chained assignment is not allowed; bind one value per line")
        if self.is_whole_tree_map(small.value):
            self.tree_assignment(small)
            return
        if self.is_tree_gradient(small.value):
            self.tree_gradient_assignment(small)
            return
        results = self.value(small.value)
        targets = self.assignment_targets(small.targets[0].target)
        if len(targets) != results:
            raise self.refuse(small, f"{len(targets)} name(s) bound to a value with {results} result(s)")
        for target in targets:
            self.bound.add(self.fresh_name(target, "assigned name"))

    def assignment_targets(self, target: cst.BaseAssignTargetExpression) -> list[cst.Name]:
        """One plain name, or a tuple of plain names for an op with several results (lax.scan)."""
        if isinstance(target, cst.Name):
            return [target]
        if isinstance(target, cst.Tuple) and len(target.elements) >= 2 and all(
            isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in target.elements
        ):
            return [e.value for e in target.elements]
        raise self.refuse(target, f"assignment target {snippet(target)!r} must be a name or a tuple of names")

    def fresh_name(self, name: cst.Name, role: str, helper_allowed: bool = False) -> str:
        value = name.value
        if value in self.helper_names and not helper_allowed:
            raise self.refuse(name, f"{role} {value!r} is a helper's name; each name is bound once")
        if not value.isascii() or not value.isidentifier():
            raise self.refuse(name, f"{role} {value!r} is not a plain ASCII identifier")
        if value.startswith("_"):
            raise self.refuse(name, f"{role} {value!r} starts with an underscore; such names are not allowed")
        if value in self.surface.modules or value in KEYWORD_CONSTANTS or value == "range":
            raise self.refuse(name, f"{role} {value!r} is reserved")
        if value in self.bound:
            raise self.refuse(name, f"{role} {value!r} is already bound; each name is bound once")
        return value

    # --- expressions ---------------------------------------------------------------------

    def value(self, node: cst.BaseExpression) -> int:
        """Check the right-hand side of an assignment; returns how many results it has."""
        if isinstance(node, cst.Call):
            return self.call(node)
        self.expression(node)
        return 1

    def expression(self, node: cst.BaseExpression) -> None:
        """A single value: names, literals, operators and calls of one-result ops."""
        if isinstance(node, cst.Name):
            self.name(node)
        elif isinstance(node, (cst.Integer, cst.Float)):
            self.number(node)
        elif isinstance(node, cst.UnaryOperation):
            self.unary(node)
        elif isinstance(node, cst.BinaryOperation):
            self.operator(node, self.surface.binary, BINARY_SYMBOLS.get(type(node.operator)))
            self.expression(node.left)
            self.expression(node.right)
        elif isinstance(node, cst.Comparison):
            if len(node.comparisons) != 1:
                raise self.refuse(node, f"chained comparison {snippet(node)!r} is not allowed")
            comparison = node.comparisons[0]
            self.operator(node, self.surface.compare, COMPARE_SYMBOLS.get(type(comparison.operator)))
            self.expression(node.left)
            self.expression(comparison.comparator)
        elif isinstance(node, cst.Call):
            results = self.call(node)
            if results != 1:
                raise self.refuse(node, f"{snippet(node.func)!r} has {results} results; bind them to names first")
        elif isinstance(node, cst.Attribute) and self.is_machine_epsilon(node):
            pass  # `jnp.finfo(x.dtype).eps`: a static float, as a number literal is
        elif isinstance(node, cst.Attribute):
            self.value_attribute(node)
        elif isinstance(node, cst.Subscript) and self.is_tree_leaf(node):
            pass  # `params['w']`: a leaf of a tree argument, as a plain argument's name is
        elif isinstance(node, cst.Subscript) and self.is_static_dim(node):
            pass  # `x.shape[-1]`: a static int, as a number literal is
        elif isinstance(node, cst.Subscript):
            self.subscript(node)
        else:
            raise self.not_allowed(node)

    def is_module_chain(self, node: cst.BaseExpression) -> bool:
        """Whether ``node`` is ``jnp.x``/``jax.nn.x``...: a path through a module, not a value."""
        chain = dotted_name(node)
        return chain is not None and chain.partition(".")[0] in self.surface.modules

    def name(self, node: cst.Name) -> None:
        if node.value in KEYWORD_CONSTANTS:
            raise self.refuse(node, f"{node.value!r} is only allowed as a parameter of a grammar op")
        if node.value in self.surface.modules:
            raise self.refuse(node, f"module {node.value!r} may only be used to call a grammar op")
        if node.value in self.flags or (self.loop is not None and node.value == self.loop[0]):
            raise self.refuse(node, f"{node.value!r} is only tested by an if or used as a tree position, "
                                    "not read as a value")
        if node.value not in self.bound:
            raise self.refuse(node, f"name {node.value!r} is not bound before use")
        if node.value in self.trees:
            raise self.refuse(node, f"tree argument {node.value!r} may only be read leaf by leaf, as "
                                    f"{label(node.value, sorted(self.trees[node.value])[0])}, or mapped over whole")
        if node.value in self.tree_locals:
            raise self.refuse(node, f"tree {node.value!r} may only be mapped over (jax.tree.map) or returned")

    def number(self, node: cst.Integer | cst.Float) -> None:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise self.refuse(node, f"numeric literal of {len(node.value)} characters; at most {MAX_NUMBER_CHARS}")

    def unary(self, node: cst.UnaryOperation) -> None:
        symbol = UNARY_SYMBOLS.get(type(node.operator))
        if symbol == "-" and isinstance(node.expression, (cst.Integer, cst.Float)):
            self.number(node.expression)  # a negative literal, as the grammar renders one
            return
        self.operator(node, self.surface.unary, symbol)
        self.expression(node.expression)

    def operator(self, node: cst.CSTNode, allowed: frozenset[str], symbol: str | None) -> None:
        if symbol not in allowed:
            raise self.refuse(node, f"operator {symbol!r} in {snippet(node)!r} is not a grammar op")

    def call(self, node: cst.Call) -> int:
        """A call of a registered op; returns how many results the op has."""
        if isinstance(node.func, cst.Call) and self.is_tree_gradient(node):
            raise self.refuse(node, f"a gradient over a whole tree, {snippet(node.func.func)!r}, is bound to names "
                                    "by an assignment of its own")
        if isinstance(node.func, cst.Call):
            return self.transformed_call(node)
        if isinstance(node.func, cst.Name) and node.func.value in self.callable_helpers:
            return self.helper_call(node)
        if isinstance(node.func, cst.Attribute) and not self.is_module_chain(node.func):
            return self.method_call(node)
        if self.is_whole_tree_map(node):
            raise self.refuse(node, f"a map over whole trees, {snippet(node.func)!r}, is bound to a name by an "
                                    "assignment of its own")
        target = dotted_name(node.func)
        if target is None:  # not ``module.name``: ``jnp(x).sin`` would run x before anything fails
            raise self.refuse(node, f"call of {snippet(node.func)!r} is not a grammar op")
        if target not in self.surface.calls:
            raise self.refuse(node.func, f"attribute {snippet(node.func)!r} is not a grammar op")
        positional, keywords = self.arguments(node, target)
        return self.matched_call(node, target, positional, keywords)

    def arguments(self, node: cst.Call, target: str) -> tuple[list, dict]:
        """A call's positional and keyword arguments, refusing stars and repeated keywords."""
        positional, keywords = [], {}
        for arg in node.args:
            if arg.star:
                raise self.refuse(arg, f"starred argument {snippet(arg)!r} in a call of {target!r} is not allowed")
            if arg.keyword is None:
                if keywords:
                    raise self.refuse(arg, f"positional argument after a keyword in a call of {target!r}")
                positional.append(arg)
            elif arg.keyword.value in keywords:
                raise self.refuse(arg, f"keyword {arg.keyword.value!r} is repeated in a call of {target!r}")
            else:
                keywords[arg.keyword.value] = arg
        return positional, keywords

    def matched_call(self, node: cst.Call, target: str, positional: list, keywords: dict) -> int:
        matched = self.surface.match(target, len(positional), set(keywords))
        if matched is None:
            given = f" and keyword(s) {', '.join(sorted(keywords))}" if keywords else ""
            accepted = ", ".join(self.surface.keywords_of(target)) or "none"
            raise self.refuse(node, f"call of {target!r} with {len(positional)} positional argument(s){given} "
                                    f"matches no grammar op (its keywords: {accepted})")
        op, slots = matched
        for slot, arg in zip(slots, positional):
            self.argument(arg.value, slot, op, target)
        for arg in keywords.values():
            self.static_value(arg.value, target)
        return op.results

    def argument(self, node: cst.BaseExpression, slot: Slot, op: Op, target: str) -> None:
        if slot.kind == "literal":
            self.static_value(node, target)
        elif slot.kind == "operand":
            self.operand(node, op, slot.positions[0])
        elif isinstance(node, cst.Tuple) and len(node.elements) == len(slot.positions) and all(
            isinstance(e, cst.Element) for e in node.elements
        ):
            for element, position in zip(node.elements, slot.positions):
                self.operand(element.value, op, position)
        else:
            raise self.refuse(node, f"{target!r} takes a tuple of {len(slot.positions)} operands here, "
                                    f"not {snippet(node)!r}")

    def operand(self, node: cst.BaseExpression, op: Op, position: int) -> None:
        """An operand: a value, or a lambda where the op takes a function at this position."""
        parameters = dict(op.callables).get(position)
        if parameters is None:
            self.expression(node)
            return
        self.lambda_operand(node, parameters, f"operand {position} of {op.render.target!r}")

    def lambda_operand(self, node: cst.BaseExpression, parameters: int, what: str,
                       trees: dict[str, set[tuple]] | None = None) -> None:
        """A lambda of ``parameters`` plain parameters whose body is a value (or lax.scan's pair);
        ``trees`` names the parameters that are trees (a gradient's over a whole tree), with
        their leaves' paths: inside the body they are read leaf by leaf, as a tree argument is."""
        if not isinstance(node, cst.Lambda):
            raise self.refuse(node, f"{what} must be a lambda, not {snippet(node)!r}")
        params = node.params
        if (params.posonly_params or params.kwonly_params or params.star_kwarg is not None
                or not isinstance(params.star_arg, cst.MaybeSentinel)
                or any(p.default is not None for p in params.params)):
            raise self.refuse(node, "a lambda may only have plain parameters")
        if len(params.params) != parameters:
            raise self.refuse(node, f"{what} takes a lambda of {parameters} parameter(s), not {len(params.params)}")
        names = [self.fresh_name(p.name, "lambda parameter") for p in params.params]
        if len(set(names)) != len(names):
            raise self.refuse(node, "a lambda's parameters must have different names")
        outer, outer_trees = set(self.bound), self.trees
        self.bound.update(names)
        self.trees = {**self.trees, **(trees or {})}
        try:
            body = node.body
            if isinstance(body, cst.Tuple) and body.elements and all(isinstance(e, cst.Element) for e in body.elements):
                for element in body.elements:  # lax.scan's body returns (carry, output)
                    self.expression(element.value)
            else:
                self.expression(body)
        finally:
            self.bound, self.trees = outer, outer_trees

def check_program(source: str, function_name: str | None, args: Sequence[ArgSpec], *, vmap_axes=None,
                  forward_only: str | None = None, registry: Registry = OPS) -> ProgramSpec:
    """A `ProgramSpec` for source read from a file, or `UntrustedSourceError` before any exec.

    ``args`` are the specs of the lowered function (batched under ``vmap_axes``); the source's
    parameters must match them by name and order.
    """
    checked = check_source(source, args, function_name, registry=registry)
    return ProgramSpec(checked, tuple(args), vmap_axes, forward_only)
