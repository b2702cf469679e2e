"""Pytree arguments (and results): how a program's leaves make up the parameters of its Python function.

Every layer (records, lowering, the oracles, replay) sees a program's arguments as **leaves**:
one `ArgSpec` per array. A plain argument is a leaf with an empty ``path``. A tree argument
(``params = {"b": ..., "w": ...}``, ``layers = [{"w": ...}, ...]``) is several leaves sharing
its ``name``, each with a ``path`` from the root: dict keys (identifier strings) and list
positions (ints). The leaves of one parameter are contiguous and in the order
``jax.tree_util.tree_leaves`` visits them (dict keys sorted, list positions ascending), so the
k-th leaf is the k-th input of the jaxpr whether the function is traced on the tree or on its
leaves, and `with_leaves` changes nothing in any IR but the function's own wrapper.

`tree_problem` is the one structural check (the record schema and `ProgramSpec` both use it).
"""
from __future__ import annotations

import keyword
from functools import wraps
from typing import Sequence, Union

Key = Union[str, int]
MAX_DEPTH = 4
MAX_KEY_CHARS = 32
# A program's result may be a tree too, written as a display in its return (``return loss,
# {'b': b, 'w': w}``): tuples of two or more values and dicts with identifier keys, a display
# inside a display at most, and these many values in all. Helpers return one value.
MAX_RESULT_NESTING = 2
MAX_RESULT_LEAVES = 16


def is_key(key) -> bool:
    """A dict key (a plain ASCII identifier) or a list position (an int >= 0)."""
    if isinstance(key, bool):
        return False
    if isinstance(key, int):
        return 0 <= key < 1024
    return (isinstance(key, str) and key.isascii() and key.isidentifier() and not keyword.iskeyword(key)
            and len(key) <= MAX_KEY_CHARS)


def label(name: str, path: Sequence[Key]) -> str:
    """The leaf as the source reads it: ``params['w']``, ``layers[0]['b']``."""
    return name + "".join(f"[{key!r}]" for key in path)


def parameter_names(args) -> list[str]:
    """The Python function's parameters: each leaf's name, once, in order."""
    names: list[str] = []
    for arg in args:
        if not names or names[-1] != arg.name:
            names.append(arg.name)
    return names


def has_trees(args) -> bool:
    return any(arg.path for arg in args)


def tree_leaves(args) -> dict[str, set[tuple]]:
    """Tree parameter name -> the paths of its leaves."""
    leaves: dict[str, set[tuple]] = {}
    for arg in args:
        if arg.path:
            leaves.setdefault(arg.name, set()).add(tuple(arg.path))
    return leaves


def tree_problem(args) -> str | None:
    """What is wrong with the leaves' structure, or None: a parameter's leaves are contiguous, a
    plain argument is one leaf, no leaf sits inside another, a node's children are all keys or
    all positions (0..n-1), and the leaves come in tree_leaves order."""
    seen: set[str] = set()
    for position, arg in enumerate(args):
        path = tuple(arg.path)
        if len(path) > MAX_DEPTH:
            return f"args[{position}].path is {len(path)} deep; at most {MAX_DEPTH} levels are allowed"
        bad = next((k for k in path if not is_key(k)), None) if path else None
        if bad is not None:
            return (f"args[{position}].path key {bad!r} is neither an identifier nor a list position "
                    f"(an int from 0 to 1023)")
        if arg.name in seen and (position == 0 or args[position - 1].name != arg.name):
            return f"args[{position}]: the leaves of {arg.name!r} must be next to each other"
        seen.add(arg.name)
    for name in parameter_names(args):
        paths = [tuple(a.path) for a in args if a.name == name]
        if len(paths) > 1 and () in paths:
            return f"{name!r} is a plain argument and a tree at once"
        if paths != [()]:
            problem = _node_problem(name, paths, ())
            if problem:
                return problem
    return None


def _node_problem(name: str, paths: list[tuple], prefix: tuple) -> str | None:
    if any(len(p) == 0 for p in paths):
        return f"{label(name, prefix)} is a leaf and holds leaves"
    heads = [p[0] for p in paths]
    if len({type(h) for h in heads}) > 1:
        return f"{label(name, prefix)} mixes dict keys and list positions"
    order = list(dict.fromkeys(heads))
    if heads != sorted(heads):
        return f"the leaves of {label(name, prefix)} are not in tree_leaves order (keys sorted, positions ascending)"
    if isinstance(heads[0], int) and order != list(range(len(order))):
        return f"the positions of {label(name, prefix)} are {order}, not 0 to {len(order) - 1}"
    for head in order:
        rest = [p[1:] for p in paths if p[0] == head]
        if rest == [()]:
            continue
        problem = _node_problem(name, rest, prefix + (head,))
        if problem:
            return problem
    return None


def rebuild(args, leaves) -> list:
    """The Python function's arguments from ``leaves`` (one per `ArgSpec`, in order): plain
    values as they are, trees as dicts and lists."""
    values: list = []
    names: list[str] = []
    for arg, leaf in zip(args, leaves):
        if not arg.path:
            values.append(leaf)
            names.append(arg.name)
            continue
        if not names or names[-1] != arg.name:
            values.append({} if isinstance(arg.path[0], str) else [])
            names.append(arg.name)
        node = values[-1]
        for key, next_key in zip(arg.path, arg.path[1:]):
            if isinstance(node, list) and key == len(node):
                node.append({} if isinstance(next_key, str) else [])
            elif isinstance(node, dict) and key not in node:
                node[key] = {} if isinstance(next_key, str) else []
            node = node[key]
        if isinstance(node, list):
            node.append(leaf)
        else:
            node[arg.path[-1]] = leaf
    return values


def with_leaves(function, args):
    """``function`` taking its trees' leaves one by one (as the jaxpr and every oracle do), or
    ``function`` itself where every argument is plain."""
    if not has_trees(args):
        return function
    args = tuple(args)

    @wraps(function)
    def on_leaves(*leaves):
        return function(*rebuild(args, leaves))

    del on_leaves.__wrapped__  # jax would read the original signature, with fewer parameters
    return on_leaves


def leaf_order(path) -> tuple:
    """The sort key of a leaf's path in ``jax.tree_util.tree_leaves`` order (dict keys sorted,
    list positions ascending)."""
    return tuple((isinstance(key, str), key) for key in path)


def in_leaf_order(args) -> tuple:
    """``args`` (leaves in the order a production drew them) reordered as records hold them:
    parameters in order of their first leaf, each tree's leaves in tree_leaves order."""
    first = {}
    for position, arg in enumerate(args):
        first.setdefault(arg.name, position)
    return tuple(sorted(args, key=lambda a: (first[a.name], leaf_order(a.path))))
