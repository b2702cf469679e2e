"""The Python structure of a record's program, as `fuzzgen stats` counts it: which of the forms
beyond one straight-line function (issue 14) it uses.

The source is only parsed (CPython's `ast`, bounded by `fuzzgen.trust.limits.parse_bounded`),
never run, so a hostile record is counted as unparsable, nothing more.
"""
from __future__ import annotations

import ast

from ..grammar.catalog.trees import TREE_GRADIENTS, WHOLE_TREE_MAPS
from ..trust.limits import UntrustedSourceError, attribute_chain, parse_bounded

# feature -> what the stats table calls it (at most 42 characters, its column), in the table's order
FEATURES = {
    "helpers": "helpers (a def before the program's)",
    "keyword_only": "keyword-only parameters (*, eps=...)",
    "if": "if on a flag or a rank (x.ndim > 2)",
    "for": "for over a range or a list of layers",
    "tree_args": "tree arguments (params['w'])",
    "tree_results": "tree results (return loss, {'w': w})",
    "tree_maps": "maps over whole trees (tree_map)",
    "tree_gradients": "gradients over whole trees (grad(f)(p))",
    "transforms": "transforms in the source (jax.vmap, ...)",
}
TRANSFORMS = ("jax.vmap", "jax.grad", "jax.value_and_grad", "jax.jit", "jax.checkpoint", "jax.vectorize",
              "jnp.vectorize")


def _is_whole_tree_map(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and attribute_chain(node.func) in WHOLE_TREE_MAPS and len(node.args) >= 2
            and all(isinstance(a, ast.Name) for a in node.args[1:]))


def _tree_gradient_of(node: ast.AST, trees: set[str]) -> bool:
    """``jax.value_and_grad(lambda p: ...)(params)`` of a tree (an argument or a name bound to one)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Call)
            and attribute_chain(node.func.func) in TREE_GRADIENTS and len(node.args) == 1
            and isinstance(node.args[0], ast.Name) and node.args[0].id in trees)


def structure_features(python: str, args) -> frozenset[str] | None:
    """The `FEATURES` a record's ``python`` (with its ``args``, as JSON) uses; None where the
    source does not parse within the trust check's bounds."""
    try:
        module = parse_bounded(python)
    except UntrustedSourceError:
        return None
    definitions = [node for node in module.body if isinstance(node, ast.FunctionDef)]
    if not definitions:
        return None
    program = definitions[-1]
    found = set()
    if len(definitions) > 1:
        found.add("helpers")
    if any(d.args.kwonlyargs for d in definitions):
        found.add("keyword_only")
    trees = {a["name"] for a in args if isinstance(a, dict) and a.get("path") and isinstance(a.get("name"), str)}
    if trees:
        found.add("tree_args")
    for node in ast.walk(program):  # parents before children: a tree is bound before its uses
        if isinstance(node, ast.If):
            found.add("if")
        elif isinstance(node, ast.For):
            found.add("for")
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and _is_whole_tree_map(node.value) \
                and isinstance(node.targets[0], ast.Name):
            trees.add(node.targets[0].id)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and _tree_gradient_of(node.value, trees):
            target = node.targets[0]
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            trees.update(n.id for n in names[-1:] if isinstance(n, ast.Name))
        elif isinstance(node, ast.Call):
            if _is_whole_tree_map(node):
                found.add("tree_maps")
            if _tree_gradient_of(node, trees):
                found.add("tree_gradients")
            if isinstance(node.func, ast.Call) and attribute_chain(node.func.func) in TRANSFORMS:
                found.add("transforms")  # `jax.vmap(lambda r: ...)(x)`
    last = program.body[-1] if program.body else None
    returned = last.value if isinstance(last, ast.Return) else None
    if isinstance(returned, (ast.Tuple, ast.Dict)) or isinstance(returned, ast.Name) and returned.id in trees:
        found.add("tree_results")
    return frozenset(found)
