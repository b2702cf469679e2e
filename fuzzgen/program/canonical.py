"""A canonical form per program, so that renamed copies of one program hash alike.

Alpha-renaming: the function becomes ``f`` (helpers defined before it ``h0, h1, ...``, each
definition renamed in a scope of its own), its parameters ``a0, a1, ...``, its locals
``v0, v1, ...`` in order of first binding (each name of a tuple target too) and lambda
parameters ``p0, p1, ...``. Literals are normalized to one spelling (``1.`` and
``1.00`` both become ``1.0``). The argument specs (shapes and dtypes, in order) are part of the
hash, since the same text on other shapes is another program. Dedup and train/valid/test splits
key on this hash.
"""
from __future__ import annotations

import ast
import hashlib
import json

from ..trust.checked import CheckedSource, require_checked


class _Canonicalizer:
    """Renames in one walk in source order: a name is bound (the function and its parameters,
    each assignment's targets before its value, a lambda's parameters) when its binder is
    reached, and every name, parameter and keyword whose spelling is bound at that point is
    renamed; attribute names (`jnp.sin`) are never variables. Keywords are renamed too because the
    libcst walk this replaces did so, and the hashes stored in records must stay what they were.
    The walk is on Python's own AST, a tenth of the time libcst takes (canonical_hash runs once
    per record)."""

    def __init__(self, helpers: dict[str, str] | None = None):
        self.helpers = helpers or {}
        self.names: dict[str, str] = {}
        self.locals = 0
        self.lambda_params = 0

    def walk(self, node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef):  # each definition its own scope; helpers are h0, h1, ...
            self.names, self.locals = dict(self.helpers), 0
            self.names[node.name] = self.helpers.get(node.name, "f")
            for position, param in enumerate(node.args.args):
                self.names[param.arg] = f"a{position}"
        elif isinstance(node, ast.Lambda):
            for param in node.args.args:
                if param.arg not in self.names:
                    self.names[param.arg] = f"p{self.lambda_params}"
                    self.lambda_params += 1
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id not in self.names:
            self.names[node.target.id] = f"v{self.locals}"  # a loop variable is bound as a local is
            self.locals += 1
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(element, ast.Name) and element.id not in self.names:
                        self.names[element.id] = f"v{self.locals}"
                        self.locals += 1
                self.walk(target)
            self.walk(node.value)
        else:
            for child in ast.iter_child_nodes(node):
                self.walk(child)
        if isinstance(node, ast.Name):
            node.id = self.names.get(node.id, node.id)
        elif isinstance(node, ast.arg):
            node.arg = self.names.get(node.arg, node.arg)
        elif isinstance(node, ast.keyword) and node.arg is not None:
            node.arg = self.names.get(node.arg, node.arg)
        elif isinstance(node, ast.FunctionDef):
            node.name = self.names.get(node.name, node.name)


def canonical_source(source: CheckedSource) -> str:
    """The program with canonical names, rendered by `ast.unparse`: whitespace, comments and a
    literal's spelling (`1.`, `1.00`, `0x10`) do not make a new program.

    ``source`` must be a `CheckedSource`: the trust check bounds what any parser sees."""
    tree = ast.parse(require_checked(source).text)
    helpers = {definition.name: f"h{k}" for k, definition in enumerate(tree.body[:-1])}
    _Canonicalizer(helpers).walk(tree)
    return ast.unparse(tree)


def canonical_hash(source: CheckedSource, args, vmap_axes=None) -> str:
    """16 hex chars of sha256 over the canonical source, the argument shapes and dtypes (and a
    tree leaf's path), and the vmap in_axes of a vmapped program."""
    specs = []
    for arg in args:
        shape, dtype, path = ((arg["shape"], arg["dtype"], arg.get("path", ())) if isinstance(arg, dict)
                              else (arg.shape, arg.dtype, arg.path))
        specs.append([list(shape), dtype] + ([list(path)] if path else []))  # a plain argument hashes as before
    if vmap_axes is not None:
        specs.append(["vmap", list(vmap_axes)])
    payload = canonical_source(source) + "\n" + json.dumps(specs, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
