"""The Python structure of a record's program, as `fuzzgen stats` counts it: which of the forms
beyond one straight-line function (issue 14) it uses.

The source is only parsed (CPython's `ast`, bounded by `fuzzgen.trust.limits.parse_bounded`),
never run, so a hostile record is counted as unparsable, nothing more.
"""
from __future__ import annotations

import ast

from ..grammar.catalog.trees import WHOLE_TREE_MAPS
from ..trust.limits import UntrustedSourceError, attribute_chain, parse_bounded

# feature -> what the stats table calls it (at most 42 characters, its column), in the table's order
FEATURES = {
    "helpers": "helpers (a def before the program's)",
    "keyword_only": "keyword-only parameters (*, eps=...)",
    "if": "if on a flag",
    "for": "for over a range",
    "tree_args": "tree arguments (params['w'])",
    "tree_results": "tree results (return loss, {'w': w})",
    "tree_maps": "maps over whole trees (tree_map)",
    "transforms": "transforms in the source (jax.vmap, ...)",
}
TRANSFORMS = ("jax.vmap", "jax.grad", "jax.value_and_grad", "jax.jit", "jax.checkpoint", "jax.vectorize",
              "jnp.vectorize")


def _is_whole_tree_map(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and attribute_chain(node.func) in WHOLE_TREE_MAPS and len(node.args) >= 2
            and all(isinstance(a, ast.Name) for a in node.args[1:]))


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
    if any(isinstance(a, dict) and a.get("path") for a in args):
        found.add("tree_args")
    trees = set()  # names bound to maps over whole trees
    for node in ast.walk(program):
        if isinstance(node, ast.If):
            found.add("if")
        elif isinstance(node, ast.For):
            found.add("for")
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and _is_whole_tree_map(node.value):
            trees.add(node.targets[0].id)
        elif isinstance(node, ast.Call):
            if _is_whole_tree_map(node):
                found.add("tree_maps")
            if isinstance(node.func, ast.Call) and attribute_chain(node.func.func) in TRANSFORMS:
                found.add("transforms")  # `jax.vmap(lambda r: ...)(x)`
    last = program.body[-1] if program.body else None
    returned = last.value if isinstance(last, ast.Return) else None
    if isinstance(returned, (ast.Tuple, ast.Dict)) or isinstance(returned, ast.Name) and returned.id in trees:
        found.add("tree_results")
    return frozenset(found)
