"""A canonical form per program, so that renamed copies of one program hash alike.

Alpha-renaming: the function becomes ``f``, its parameters ``a0, a1, ...``, its locals
``v0, v1, ...`` in order of first binding (each name of a tuple target too) and lambda
parameters ``p0, p1, ...``. Literals are normalized to one spelling (``1.`` and
``1.00`` both become ``1.0``). The argument specs (shapes and dtypes, in order) are part of the
hash, since the same text on other shapes is another program. Dedup and train/valid/test splits
key on this hash.
"""
from __future__ import annotations

import hashlib
import json

import libcst as cst

from ..trust.checked import CheckedSource, require_checked


class _Canonicalizer(cst.CSTTransformer):
    def __init__(self):
        self.names: dict[str, str] = {}
        self.locals = 0
        self.lambda_params = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names[node.name.value] = "f"
        for position, param in enumerate(node.params.params):
            self.names[param.name.value] = f"a{position}"
        return True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        targets = [e.value for e in node.target.elements] if isinstance(node.target, cst.Tuple) else [node.target]
        for target in targets:
            if isinstance(target, cst.Name) and target.value not in self.names:
                self.names[target.value] = f"v{self.locals}"
                self.locals += 1
        return True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        for param in node.params.params:
            if param.name.value not in self.names:
                self.names[param.name.value] = f"p{self.lambda_params}"
                self.lambda_params += 1
        return True

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.names.get(updated.value, updated.value))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        # `jnp.sin`: the attribute part is an op name, never a variable; undo any renaming.
        return updated.with_changes(attr=original.attr)

    def leave_Float(self, original: cst.Float, updated: cst.Float) -> cst.Float:
        return updated.with_changes(value=repr(float(updated.value)))

    def leave_Integer(self, original: cst.Integer, updated: cst.Integer) -> cst.Integer:
        return updated.with_changes(value=str(int(updated.value, 0)))


def canonical_source(source: CheckedSource) -> str:
    """The program with canonical names and literal spellings, re-rendered by libcst.

    ``source`` must be a `CheckedSource`: libcst's native parser can crash the process on
    hostile text, which the trust check bounds first."""
    module = cst.parse_module(require_checked(source).text)
    canonical = module.visit(_Canonicalizer())
    # Whitespace and comments do not make a new program: rebuild the code from the Python AST.
    import ast

    return ast.unparse(ast.parse(canonical.code))


def canonical_hash(source: CheckedSource, args, vmap_axes=None) -> str:
    """16 hex chars of sha256 over the canonical source, the argument shapes and dtypes, and the
    vmap in_axes of a vmapped program."""
    specs = [[list(a["shape"]), a["dtype"]] if isinstance(a, dict) else [list(a.shape), a.dtype] for a in args]
    if vmap_axes is not None:
        specs.append(["vmap", list(vmap_axes)])
    payload = canonical_source(source) + "\n" + json.dumps(specs, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
