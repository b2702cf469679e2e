"""The tokenizer behind bench/realism.py: Python source -> one token multiset per array-math def.

A function is every ``def`` (any nesting level), tokenized over its own body: nested ``def`` and
``class`` bodies are left to their own entries, lambdas and comprehensions belong to the
enclosing def, decorators, default values and annotations belong to no one. A function is
**array math** when its body calls at least one of ``jnp.``, ``lax.``, ``jax.nn.``,
``jax.random.`` or ``jax.scipy.``. The vocabulary, exactly:

``call:NAME``   a call whose callee resolves, through the file's imports, to a JAX name, written
                ``jnp.X`` (jax.numpy, ``jnp.linalg.X`` ...), ``lax.X``, ``jax.nn.X``,
                ``jax.random.X``, ``jax.scipy.M.X`` or ``jax.X`` (the rest of ``jax``:
                ``jax.vmap``, ``jax.tree_util.tree_map``). ``jax._src`` modules are mapped to
                their public names. Plain numpy and every other library are ignored, and so are
                references that are not called (``dtype=jnp.float32``, ``jax.vmap(jnp.sum)``
                counts ``jax.vmap`` only).
``method:M``    ``v.M(...)`` with M in METHOD_NAMES, when v is not an imported module and not
                ``self``/``cls``.
``index:at_K``  ``v.at[i].K(...)``, K one of AT_UPDATES (the ``.at[i]`` subscript itself adds no
                index token).
``attr:A``      reading ``v.A`` for A in ATTRIBUTE_NAMES (same receiver rule as methods).
``op:O``        binary operators (``+ - * / // % ** @ & | ^ << >>``, also as ``x += ...``),
                ``op:neg`` (unary minus, not on a number literal), ``op:~``, ``op:not`` and
                comparisons ``== != < <= > >=`` (``is``/``in`` are not array math).
``index:F``     a subscript read ``v[...]``, unless its index is a string constant (a dict
                key), v is an imported name (``Optional[int]``) or v is ``something.shape``
                (a tuple, not an array). F is ``int`` (``x[0]``, ``x[-1]``), ``slice``
                (``x[1:]``), ``newaxis`` (``x[None]``), ``ellipsis`` (``x[...]``), ``array``
                (any other single index, e.g. ``x[i]``, ``x[mask]``: a gather, as far as the
                source can tell). A tuple index gives ``tuple_static`` when every element is an
                int, slice, None or Ellipsis, else ``array``; plus ``newaxis``/``ellipsis``
                once each when it holds None/Ellipsis (``x[:, None]`` -> tuple_static, newaxis).

Sources without a single import (fuzzgen's programs) get ``jnp``, ``lax`` and ``jax`` pre-bound.
"""
from __future__ import annotations

import ast
from collections import Counter

METHOD_NAMES = frozenset({
    "astype", "reshape", "sum", "mean", "max", "min", "prod", "std", "var", "transpose", "squeeze",
    "clip", "argmax", "argmin", "argsort", "sort", "any", "all", "dot", "cumsum", "cumprod",
    "flatten", "ravel", "round", "swapaxes", "conj", "conjugate", "item", "take", "repeat",
    "diagonal", "trace", "nonzero",
})
ATTRIBUTE_NAMES = frozenset({"T", "shape", "ndim", "dtype", "size", "real", "imag"})
AT_UPDATES = frozenset({"set", "add", "multiply", "mul", "divide", "power", "min", "max", "get",
                        "apply"})
ARRAY_MATH_PREFIXES = ("jnp.", "lax.", "jax.nn.", "jax.random.", "jax.scipy.")

BINARY_OPERATORS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.LShift: "<<", ast.RShift: ">>",
}
COMPARISONS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
               ast.GtE: ">="}
UNARY_OPERATORS = {ast.USub: "neg", ast.Invert: "~", ast.Not: "not"}

# Private jax modules that jax's own code imports, mapped to the public module they implement
# (longest prefix first), so that jax/_src/nn reads like user code.
PRIVATE_MODULES = [
    ("jax._src.numpy.lax_numpy", "jax.numpy"), ("jax._src.numpy.reductions", "jax.numpy"),
    ("jax._src.numpy.ufuncs", "jax.numpy"), ("jax._src.numpy", "jax.numpy"),
    ("jax._src.lax.lax", "jax.lax"), ("jax._src.lax", "jax.lax"),
    ("jax._src.random", "jax.random"), ("jax._src.nn.functions", "jax.nn"),
    ("jax._src.scipy", "jax.scipy"),
]
PREBOUND = {"jnp": "jax.numpy", "lax": "jax.lax", "jax": "jax"}


def public_module(dotted: str) -> str:
    for private, public in PRIVATE_MODULES:
        if dotted == private or dotted.startswith(private + "."):
            return public + dotted[len(private):]
    return dotted


def file_bindings(tree: ast.AST) -> tuple[dict[str, str], set[str]]:
    """(names bound to a jax path, every name an import binds). Imports are read in source order
    wherever they are, and a later non-jax import of a name unbinds it (``import numpy as np``)."""
    imports = sorted((node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))),
                     key=lambda node: (node.lineno, node.col_offset))
    if not imports:
        return dict(PREBOUND), set(PREBOUND)
    jax_names: dict[str, str] = {}
    imported: set[str] = set()
    for node in imports:
        for alias in node.names:
            if isinstance(node, ast.Import):
                # `import jax.numpy` binds `jax`; `import jax.numpy as jnp` binds the full path.
                bound = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else alias.name.split(".")[0]
            elif node.level == 0 and node.module and alias.name != "*":
                bound, target = alias.asname or alias.name, f"{node.module}.{alias.name}"
            else:
                continue
            imported.add(bound)
            target = public_module(target)
            if target == "jax" or target.startswith("jax."):
                jax_names[bound] = target
            else:
                jax_names.pop(bound, None)
    return jax_names, imported


def dotted_name(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def canonical_call(func: ast.AST, jax_names: dict[str, str]) -> str | None:
    name = dotted_name(func)
    if name is None:
        return None
    root, _, rest = name.partition(".")
    if root not in jax_names:
        return None
    full = jax_names[root] + ("." + rest if rest else "")
    for public, short in (("jax.numpy.", "jnp."), ("jax.lax.", "lax.")):
        if full.startswith(public):
            return short + full[len(public):]
    if full.startswith("jax.") and full not in ("jax.numpy", "jax.lax"):
        return full
    return None


def is_value_receiver(node: ast.AST, imported: set[str]) -> bool:
    """True when `node` may hold an array: not an imported module (or its attributes) and not
    self/cls, whose attributes in model code are configuration (self.dtype, self.shape)."""
    root = node
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name) and (root.id in imported or (root is node and root.id in ("self", "cls"))):
        return False
    return True


def is_static_index(node: ast.AST) -> bool:
    if isinstance(node, ast.Slice):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis
                                               or (isinstance(node.value, int) and not isinstance(node.value, bool)))


def index_tokens(index: ast.AST) -> list[str]:
    if isinstance(index, ast.Tuple):
        tokens = ["index:tuple_static" if all(is_static_index(e) for e in index.elts) else "index:array"]
        values = [e.value for e in index.elts if isinstance(e, ast.Constant)]
        tokens += ["index:newaxis"] * (None in values) + ["index:ellipsis"] * (Ellipsis in values)
        return tokens
    if isinstance(index, ast.Slice):
        return ["index:slice"]
    if isinstance(index, ast.Constant) and index.value is None:
        return ["index:newaxis"]
    if isinstance(index, ast.Constant) and index.value is Ellipsis:
        return ["index:ellipsis"]
    if is_static_index(index):
        return ["index:int"]
    return ["index:array"]


def own_body_nodes(function: ast.AST):
    """Every node of the def's own body: not nested defs/classes, not annotations."""
    stack = list(reversed(function.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield node
        for field, value in reversed(list(ast.iter_fields(node))):
            if field in ("annotation", "returns"):
                continue
            children = value if isinstance(value, list) else [value]
            stack.extend(child for child in reversed(children) if isinstance(child, ast.AST))


def function_tokens(function: ast.AST, jax_names: dict[str, str], imported: set[str]) -> Counter:
    tokens: Counter = Counter()
    at_subscripts = set()  # the `x.at[i]` of `x.at[i].set(v)`: counted as index:at_set only
    for node in own_body_nodes(function):
        if isinstance(node, ast.Call):
            func = node.func
            call = canonical_call(func, jax_names)
            if call:
                tokens["call:" + call] += 1
            elif (isinstance(func, ast.Attribute) and func.attr in AT_UPDATES
                  and isinstance(func.value, ast.Subscript) and isinstance(func.value.value, ast.Attribute)
                  and func.value.value.attr == "at"):
                tokens["index:at_" + func.attr] += 1
                at_subscripts.add(id(func.value))
            elif (isinstance(func, ast.Attribute) and func.attr in METHOD_NAMES
                  and is_value_receiver(func.value, imported)):
                tokens["method:" + func.attr] += 1
        elif isinstance(node, ast.Attribute):
            if (node.attr in ATTRIBUTE_NAMES and isinstance(node.ctx, ast.Load)
                    and is_value_receiver(node.value, imported)):
                tokens["attr:" + node.attr] += 1
        elif isinstance(node, (ast.BinOp, ast.AugAssign)):
            tokens["op:" + BINARY_OPERATORS[type(node.op)]] += 1
        elif isinstance(node, ast.UnaryOp):
            literal = isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float, complex))
            if type(node.op) in UNARY_OPERATORS and not (isinstance(node.op, ast.USub) and literal):
                tokens["op:" + UNARY_OPERATORS[type(node.op)]] += 1
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) in COMPARISONS:
                    tokens["op:" + COMPARISONS[type(op)]] += 1
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and id(node) not in at_subscripts:
            index = node.slice
            if isinstance(index, ast.Constant) and isinstance(index.value, str):
                continue
            base = node.value
            if isinstance(base, ast.Attribute) and base.attr == "shape":
                continue
            if isinstance(dotted_name(base), str) and dotted_name(base).split(".")[0] in imported:
                continue
            tokens.update(index_tokens(index))
    return tokens


def is_array_math(tokens: Counter) -> bool:
    return any(token.startswith("call:") and token[5:].startswith(ARRAY_MATH_PREFIXES) for token in tokens)


def source_functions(source: str, array_math_only: bool = True) -> list[Counter] | None:
    """Token multisets of the source's defs, in source order; None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    jax_names, imported = file_bindings(tree)
    functions = sorted((node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))),
                       key=lambda node: (node.lineno, node.col_offset))
    result = [function_tokens(function, jax_names, imported) for function in functions]
    return [tokens for tokens in result if is_array_math(tokens)] if array_math_only else result
