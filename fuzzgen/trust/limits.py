"""CPython's own view of untrusted source, before and after the grammar check.

Before: bound the size and nesting of the source with `ast.parse`, which fails cleanly where
libcst's native parser can crash the process (tens of thousands of nested brackets or operators).
After: walk the tree that ``compile`` will really build and allow only the node types a grammar
program has (top-level ``def``s only; calls by bare name only of the helpers defined before the
program and of ``range`` as a for loop's literal bounds), so no difference between libcst's parser and CPython's can let code through.
"""
from __future__ import annotations

import ast

from ..errors import FuzzgenError
from ..grammar.catalog.trees import TREE_GRADIENTS
from ..grammar.ops import is_axis_name, is_einsum_text
from ..program.trees import is_key

MAX_SOURCE_CHARS = 100_000
MAX_DEPTH = 64  # grammar programs nest about 15 deep; libcst parses far deeper safely
# libcst's native parser nests what CPython keeps flat (long operand lists), so flat breadth is
# bounded too: no grammar program comes near these.
MAX_NODES = 20_000
MAX_ITEMS = 256  # elements of one tuple, arguments of one call, statements of one body

# Every node type a grammar program consists of; operator and comparison symbols are checked
# against the registry by the libcst pass, so any of Python's may appear here.
ALLOWED_NODES = (
    ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Assign, ast.Return, ast.Name, ast.Load,
    ast.Store, ast.Constant, ast.UnaryOp, ast.USub, ast.Invert, ast.BinOp, ast.operator, ast.Compare,
    ast.cmpop, ast.Call, ast.Attribute, ast.keyword, ast.Tuple, ast.Lambda, ast.Subscript, ast.Slice, ast.If,
    ast.For,
)
CONSTANT_TYPES = (int, float, bool, type(None), type(Ellipsis))


class UntrustedSourceError(FuzzgenError, ValueError):
    """Source that is not a grammar program; ``str()`` is one line: ``line N: what is wrong``."""

    def __init__(self, message: str, line: int | None = None):
        self.reason, self.line = message, line
        super().__init__(f"line {line}: {message}" if line is not None else message)


def parse_bounded(source: str) -> ast.Module:
    """Parse with CPython, refusing oversized, unparsable or too deeply nested source."""
    if not isinstance(source, str):
        raise UntrustedSourceError(f"source must be text, got {type(source).__name__}")
    if len(source) > MAX_SOURCE_CHARS:
        raise UntrustedSourceError(f"source has {len(source)} characters; at most {MAX_SOURCE_CHARS} are allowed")
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise UntrustedSourceError(f"syntax error: {error.msg}", error.lineno) from None
    except ValueError as error:  # null bytes, on the Pythons that do not call them a SyntaxError
        raise UntrustedSourceError(f"syntax error: {error}") from None
    except (RecursionError, MemoryError):
        raise UntrustedSourceError("source is nested too deeply to parse") from None
    stack, nodes = [(tree, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise UntrustedSourceError(f"expression nested {depth} deep; at most {MAX_DEPTH}",
                                       getattr(node, "lineno", None))
        if nodes > MAX_NODES:
            raise UntrustedSourceError(f"source has more than {MAX_NODES} syntax nodes; grammar programs are small")
        children = list(ast.iter_child_nodes(node))
        if len(children) > MAX_ITEMS:
            raise UntrustedSourceError(f"{type(node).__name__} has {len(children)} parts; at most {MAX_ITEMS}",
                                       getattr(node, "lineno", None))
        stack.extend((child, depth + 1) for child in children)
    return tree


# Constructs no grammar program has, that CPython keeps flat but libcst's native parser nests
# (a long `or` chain overflows its stack) or trips over (a lambda inside a conditional
# expression raises inside libcst): refused before libcst ever sees the text.
BEFORE_LIBCST = {ast.BoolOp: "boolean operator", ast.IfExp: "conditional expression"}


def prescreen(tree: ast.Module) -> None:
    for node in ast.walk(tree):
        kind = BEFORE_LIBCST.get(type(node))
        if kind is None and isinstance(node, ast.Compare) and len(node.ops) > 1:
            kind = "chained comparison"
        if kind is not None:
            raise UntrustedSourceError(f"{kind} is not allowed", getattr(node, "lineno", None))


def cross_check(tree: ast.Module, targets: frozenset[str], value_attributes: frozenset[str] = frozenset(),
                *, subscripts: bool = False, axis_name_calls: dict[str, int] | None = None,
                axis_name_transforms: frozenset[str] = frozenset(),
                tree_parameters: frozenset[str] = frozenset()) -> None:
    """Refuse any node a grammar program cannot contain, in the tree CPython itself built;
    ``targets`` are the registry's call targets (``jnp.sin``, ``jax.nn.relu``, ``ext.f``) and
    ``value_attributes`` the method and attribute names its ops render on values (``sum``,
    ``T``): no other attribute may appear, so this is a second wall, not a looser copy of the first."""
    from .surface import DTYPE_TARGETS

    if not tree.body or not all(isinstance(statement, ast.FunctionDef) for statement in tree.body):
        raise UntrustedSourceError("CPython sees something other than function definitions")
    definitions = {id(statement) for statement in tree.body}
    helpers = frozenset(statement.name for statement in tree.body[:-1])  # called by name; the last is the program
    ranges = {id(node.iter) for node in ast.walk(tree) if isinstance(node, ast.For)}  # `for i in range(3)`
    chains = targets | DTYPE_TARGETS
    modules = frozenset(target.partition(".")[0] for target in chains)
    inside_chain: set[int] = set()  # `jax.nn` inside `jax.nn.relu`: covered by its whole chain
    specifications = _admitted_strings(tree, axis_name_calls or {}, axis_name_transforms)
    specifications |= _tree_keys(tree, tree_parameters) if subscripts else set()
    specifications |= _result_displays(tree.body[-1])
    for node in ast.walk(tree):  # parents before children
        line = getattr(node, "lineno", None)
        if isinstance(node, ast.Attribute) and id(node) not in inside_chain:
            problem = _attribute_problem(node, modules, chains, value_attributes, inside_chain)
        elif isinstance(node, ast.Subscript) and not subscripts:
            problem = "Subscript node is not allowed"
        elif isinstance(node, ast.For) and isinstance(node.iter, ast.Name) and node.iter.id not in tree_parameters:
            problem = f"a for loop over {node.iter.id!r}, which is no tree argument"
        elif id(node) in specifications:
            problem = None
        elif isinstance(node, ast.Dict):
            problem = "Dict node is not allowed outside the program's return"
        elif isinstance(node, ast.FunctionDef) and id(node) not in definitions:
            problem = "nested function definition is not allowed"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            problem = None if node.func.id in helpers or (id(node) in ranges and _literal_range(node)) \
                else f"call of {node.func.id!r} is not allowed"
        else:
            problem = None if isinstance(node, ast.Attribute) else _problem(node)
        if problem:
            raise UntrustedSourceError(f"{problem} (CPython's parse)", line)


def _admitted_strings(tree: ast.Module, axis_name_calls: dict[str, int], axis_name_transforms: frozenset[str]) -> set[int]:
    """The string constants a grammar program may hold, by node id: an einsum specification as
    ``jnp.einsum``'s first argument, and an axis name (`AXIS_NAMES`) where a vmap names its axis
    or a collective refers to it."""
    admitted = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        chain = attribute_chain(node.func)
        slots = []
        if chain == "jnp.einsum" and node.args:
            slots.append((node.args[0], is_einsum_text))
        if chain in axis_name_calls and len(node.args) > axis_name_calls[chain]:
            slots.append((node.args[axis_name_calls[chain]], is_axis_name))
        if chain in axis_name_transforms:
            slots.extend((keyword.value, is_axis_name) for keyword in node.keywords if keyword.arg == "axis_name")
        admitted.update(id(value) for value, admits in slots if isinstance(value, ast.Constant) and admits(value.value))
    return admitted


def _result_displays(program: ast.FunctionDef) -> set[int]:
    """The program's tree result (``return loss, {'b': b, 'w': w}``), by node id: its dict
    displays and their identifier-string keys, through tuples and dicts (the libcst pass has
    checked the depth and the keys' uniqueness)."""
    admitted: set[int] = set()
    last = program.body[-1] if program.body else None
    stack = [last.value] if isinstance(last, ast.Return) and last.value is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Tuple):
            stack.extend(node.elts)
        elif isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                                and is_key(k.value) for k in node.keys):
            admitted.add(id(node))
            admitted.update(id(k) for k in node.keys)
            stack.extend(node.values)
    return admitted


def _tree_keys(tree: ast.Module, tree_parameters: frozenset[str]) -> set[int]:
    """The dict keys of ``params['w']``-style reads, by node id: an identifier string indexing a
    chain of subscripts that starts at a tree parameter's name, or, inside the lambda of a
    gradient over a tree parameter, at the lambda's parameter, or, in the body of a loop over a
    tree parameter, at the loop's variable (the libcst pass has checked that the whole path is a
    declared leaf)."""
    admitted = _keys_under(tree, tree_parameters)
    for node in ast.walk(tree):  # `jax.value_and_grad(lambda p: ... p['w'] ...)(params)`: p is a tree in its body
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Call) \
                and attribute_chain(node.func.func) in TREE_GRADIENTS and len(node.args) == 1 \
                and isinstance(node.args[0], ast.Name) and node.args[0].id in tree_parameters \
                and len(node.func.args) == 1 and isinstance(node.func.args[0], ast.Lambda) \
                and len(node.func.args[0].args.args) == 1:
            function = node.func.args[0]
            admitted |= _keys_under(function.body, frozenset({function.args.args[0].arg}))
        if isinstance(node, ast.For) and isinstance(node.iter, ast.Name) and node.iter.id in tree_parameters \
                and isinstance(node.target, ast.Name):  # `for layer in layers:`: layer['w'] in its body
            for statement in node.body:
                admitted |= _keys_under(statement, frozenset({node.target.id}))
    return admitted


def _keys_under(tree: ast.AST, roots: frozenset[str]) -> set[int]:
    admitted = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Subscript):
            continue
        root = node.value
        while isinstance(root, ast.Subscript):
            root = root.value
        if isinstance(root, ast.Name) and root.id in roots and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str) and is_key(node.slice.value):
            admitted.add(id(node.slice))
    return admitted


def attribute_chain(node: ast.AST) -> str | None:
    """``jax.tree.map`` for that attribute chain in CPython's tree; None for anything else (a bare
    name included)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) and parts else None


def _attribute_problem(node: ast.Attribute, modules, chains, value_attributes, inside_chain: set[int]) -> str | None:
    if not isinstance(node.ctx, ast.Load):
        return f"assigning to attribute {node.attr!r} is not allowed"
    chain = attribute_chain(node)
    if chain is not None and chain.partition(".")[0] in modules:
        if chain not in chains:
            return f"attribute {chain!r} is not a grammar op"
        inner = node.value
        while isinstance(inner, ast.Attribute):
            inside_chain.add(id(inner))
            inner = inner.value
        return None
    if node.attr not in value_attributes:
        return f"attribute {node.attr!r} is not a grammar op"
    return None


def _is_rank_test(node: ast.AST) -> bool:
    """``x.ndim > 2``: a name's rank compared with one int literal (the libcst pass has checked
    that the name is an argument of the program)."""
    return (isinstance(node, ast.Compare) and len(node.ops) == 1
            and isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.Gt, ast.GtE, ast.Lt, ast.LtE))
            and isinstance(node.left, ast.Attribute) and node.left.attr == "ndim" and isinstance(node.left.value, ast.Name)
            and isinstance(node.comparators[0], ast.Constant) and type(node.comparators[0].value) is int)


def _problem(node: ast.AST) -> str | None:
    if not isinstance(node, ALLOWED_NODES):
        return f"{type(node).__name__} node is not allowed"
    if isinstance(node, ast.FunctionDef) and (node.decorator_list or node.returns or not _plain_definition(node.args)):
        return "only a plain function, without decorators, annotations or special parameters, is allowed"
    if isinstance(node, ast.If) and (node.orelse or not (isinstance(node.test, ast.Name) or _is_rank_test(node.test))):
        return "an if may only test a flag's name or an argument's rank (x.ndim > 2), without else"
    if isinstance(node, ast.For) and (node.orelse or not isinstance(node.target, ast.Name)
                                      or not (_literal_range(node.iter) or isinstance(node.iter, ast.Name))):
        return "a for loop may only bind a name over range() of literals or a tree argument, without else"
    if isinstance(node, ast.Lambda) and not _plain(node.args):
        return "a lambda may only have plain parameters"
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        return f"name {node.id!r} is not allowed"
    if isinstance(node, ast.Compare) and len(node.ops) != 1:
        return "chained comparison is not allowed"
    if isinstance(node, ast.Call) and not isinstance(node.func, (ast.Attribute, ast.Call)):
        return "only jnp/lax calls are allowed"  # a call's result called: `jax.vmap(f)(x)`, its inner call checked too
    if isinstance(node, ast.Constant) and type(node.value) not in CONSTANT_TYPES:
        return f"constant of type {type(node.value).__name__} is not allowed"
    if isinstance(node, ast.keyword) and node.arg is None:
        return "** arguments are not allowed"
    if isinstance(node, ast.arg) and node.annotation is not None:
        return "annotations are not allowed"
    return None


def _literal_range(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
            and not node.keywords and 1 <= len(node.args) <= 2
            and all(isinstance(a, ast.Constant) and type(a.value) is int for a in node.args))


def _plain_definition(arguments: ast.arguments) -> bool:
    """Plain positional parameters, then keyword-only ones that each have a number as default."""
    def number(node) -> bool:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            node = node.operand
        return isinstance(node, ast.Constant) and type(node.value) in (int, float, bool)

    plain = not (arguments.posonlyargs or arguments.vararg or arguments.kwarg or arguments.defaults)
    return plain and all(default is not None and number(default) for default in arguments.kw_defaults)


def _plain(arguments: ast.arguments) -> bool:
    return not (arguments.posonlyargs or arguments.kwonlyargs or arguments.vararg or arguments.kwarg
                or arguments.defaults or arguments.kw_defaults)
