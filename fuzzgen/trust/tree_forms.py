"""The forms a grammar program has for whole trees: a map over them and a tree result.

A map over whole trees, ``v0 = jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)``,
stands alone on the right of an assignment to one name, in the program's own body (not in a
helper, an ``if`` or a ``for``); its operands after the lambda are names of trees (tree
arguments, or names bound to such a map), at most `MAX_MAPPED_TREES`, and the lambda takes one
parameter per tree. A name bound to it is a tree: never read as a value, only mapped over again
or returned. The program's return may be a tree result: a tuple of two or more values, or a dict
with distinct identifier-string keys, one display inside another at most, whose values are values
or trees (`fuzzgen.program.trees.MAX_RESULT_LEAVES` values in all).

The gradient of a loss over a whole tree argument, ``v0, v1 = jax.value_and_grad(lambda p:
loss)(params)`` (or ``v1 = jax.grad(lambda p: loss)(params)``), stands alone on the right of an
assignment in the program's own body too: the lambda's one parameter is a tree of ``params``'
leaves (read leaf by leaf inside it, never whole), and the name bound to the gradient is a tree.
"""
from __future__ import annotations

import libcst as cst

from ..grammar.catalog.trees import MAX_MAPPED_TREES, TREE_GRADIENTS, WHOLE_TREE_MAPS
from ..program.trees import MAX_RESULT_LEAVES, MAX_RESULT_NESTING, is_key
from .values import dotted_name, snippet


def is_whole_tree_map(node: cst.BaseExpression) -> bool:
    """``jax.tree.map(f, a, b)`` with names after the function: the whole-tree form (the
    registry's tuple form, ``jax.tree.map(f, (x, y))``, passes tuples)."""
    return (isinstance(node, cst.Call) and dotted_name(node.func) in WHOLE_TREE_MAPS and len(node.args) >= 2
            and all(isinstance(arg.value, cst.Name) for arg in node.args[1:]))


def tree_gradient_target(node: cst.BaseExpression) -> str | None:
    """``jax.value_and_grad`` for ``jax.value_and_grad(lambda p: ...)(params)``: a transform of
    `TREE_GRADIENTS` applied to one name (a tree, where that name is one); None for anything else."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Call) and len(node.args) == 1
            and isinstance(node.args[0].value, cst.Name)):
        return None
    target = dotted_name(node.func.func)
    return target if target in TREE_GRADIENTS else None


def tree_bindings(statement_value: cst.BaseExpression, names: list[str], trees) -> dict[str, str]:
    """The names an assignment binds to trees, each with the tree whose structure it has: a map's
    name (its first tree's), or a gradient's over a tree in ``trees`` (that tree's); ``names``
    are the assignment's targets. Empty where it binds values only."""
    if is_whole_tree_map(statement_value):
        return {names[0]: statement_value.args[1].value.value}
    applied = statement_value.args[0].value.value if tree_gradient_target(statement_value) else None
    return {names[-1]: applied} if applied in trees else {}


class TreeForms:
    """A mixin of the checker (`fuzzgen.trust.checker`)."""

    def is_tree_name(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and (node.value in self.trees or node.value in self.tree_locals)

    @staticmethod
    def is_whole_tree_map(node: cst.BaseExpression) -> bool:
        return is_whole_tree_map(node)

    def tree_assignment(self, assignment: cst.Assign) -> None:
        """``v0 = jax.tree.map(lambda p, g: ..., params, grads)``: binds one name to a tree."""
        call = assignment.value
        target = dotted_name(call.func)
        if not self.in_program:
            raise self.refuse(call, f"a helper maps no trees: {target!r} over whole trees is the program's own")
        if len(assignment.targets) != 1 or not isinstance(assignment.targets[0].target, cst.Name):
            raise self.refuse(assignment, f"a map over whole trees is bound to one name")
        if any(arg.keyword is not None or arg.star for arg in call.args):
            raise self.refuse(call, f"{target!r} over whole trees takes a lambda and tree names, nothing else")
        trees = [arg.value for arg in call.args[1:]]
        if len(trees) > MAX_MAPPED_TREES:
            raise self.refuse(call, f"{target!r} maps over {len(trees)} trees; at most {MAX_MAPPED_TREES}")
        for tree in trees:
            if not self.is_tree_name(tree):
                raise self.refuse(tree, f"{target!r} maps over whole trees (tree arguments or names bound to a "
                                        f"map over them); {tree.value!r} is not one")
        self.lambda_operand(call.args[0].value, len(trees), f"the first argument of {target!r}")
        name = self.fresh_name(assignment.targets[0].target, "assigned name")
        self.bound.add(name)
        self.tree_locals.add(name)

    def is_tree_gradient(self, node: cst.BaseExpression) -> bool:
        return tree_gradient_target(node) is not None and self.is_tree_name(node.args[0].value)

    def tree_gradient_assignment(self, assignment: cst.Assign) -> None:
        """``v0, v1 = jax.value_and_grad(lambda p: loss)(params)`` (``v1 = jax.grad(...)(params)``):
        binds the loss to a name and the gradient, a tree, to another; inside the lambda ``p`` is
        a tree of ``params``' leaves, read leaf by leaf."""
        call = assignment.value
        target = tree_gradient_target(call)
        applied = call.args[0]
        if not self.in_program:
            raise self.refuse(call, f"a helper takes no gradient over a tree: {target!r} of a whole tree is the "
                                    "program's own")
        if applied.keyword is not None or applied.star:
            raise self.refuse(call, f"{target!r} of a whole tree is applied to the tree alone")
        tree = applied.value.value
        if tree not in self.trees:
            raise self.refuse(applied, f"{target!r} is taken over a tree argument; {tree!r} is not one")
        positional, keywords = self.arguments(call.func, target)
        if len(positional) != 1 or keywords:
            raise self.refuse(call, f"{target!r} of a whole tree takes one lambda, nothing else")
        function = positional[0].value
        self.lambda_operand(function, 1, f"the argument of {target!r}",
                            trees={function.params.params[0].name.value: self.trees[tree]}
                            if isinstance(function, cst.Lambda) and len(function.params.params) == 1 else None)
        results = TREE_GRADIENTS[target][1]
        names = self.assignment_targets(assignment.targets[0].target) if len(assignment.targets) == 1 else []
        if len(names) != results:
            raise self.refuse(assignment, f"{target!r} of a whole tree is bound to {results} name(s)")
        bound = [self.fresh_name(name, "assigned name") for name in names]
        self.bound.update(bound)
        self.tree_locals.add(bound[-1])

    def result_display(self, node: cst.Tuple | cst.Dict, depth: int) -> int:
        """A tree result (``return loss, {'b': b, 'w': w}``); returns how many values it holds."""
        if depth > MAX_RESULT_NESTING:
            raise self.refuse(node, f"a result display nested {depth} deep; at most {MAX_RESULT_NESTING}")
        if isinstance(node, cst.Tuple) and len(node.elements) < 2:
            raise self.refuse(node, "a result tuple holds two values or more")
        if isinstance(node, cst.Dict) and not node.elements:
            raise self.refuse(node, "a result dict holds one value or more")
        keys, values = set(), 0
        for element in node.elements:
            if not isinstance(element, (cst.Element, cst.DictElement)):
                raise self.not_allowed(element, "in a result")
            if isinstance(element, cst.DictElement):
                key = element.key
                if not (isinstance(key, cst.SimpleString) and key.prefix == ""
                        and isinstance(key.evaluated_value, str) and is_key(key.evaluated_value)):
                    raise self.refuse(key, f"a result key must be an identifier string, not {snippet(key)!r}")
                if key.evaluated_value in keys:
                    raise self.refuse(key, f"result key {key.evaluated_value!r} appears twice")
                keys.add(key.evaluated_value)
            if isinstance(element.value, (cst.Tuple, cst.Dict)):
                values += self.result_display(element.value, depth + 1)
                continue
            if not self.is_tree_name(element.value):
                self.expression(element.value)
            values += 1
        if values > MAX_RESULT_LEAVES:
            raise self.refuse(node, f"the result holds {values} values; at most {MAX_RESULT_LEAVES}")
        return values
