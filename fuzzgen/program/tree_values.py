"""Whole trees as values: a tree argument read whole, a map over trees, and tree results.

A mixin of `ProgramBuilder`. ``tree`` makes a tree argument (``params``) of given leaves and
returns it whole; ``tree_map`` writes ``jax.tree_util.tree_map(lambda p, g: ..., params, grads)``
over trees of one structure, its lambda built once on the first leaf's type, and binds the
result to a name (a tree); ``tree_gradient`` writes ``jax.value_and_grad(lambda p: loss)(params)``
and binds the gradient, a tree, to a name; ``results`` makes the program's result a tuple or dict of values and
trees. The trust check admits exactly these forms (`fuzzgen.trust.tree_forms`).
"""
from __future__ import annotations

import libcst as cst

from ..grammar.catalog.trees import MAX_MAPPED_TREES, TREE_GRADIENTS, WHOLE_TREE_MAPS
from .nodes import ResultTree, TreeExpr, TypedExpr, dotted, lambda_node, leaf_read
from .structure import GrammarBug
from .trees import MAX_RESULT_LEAVES, MAX_RESULT_NESTING, is_key, leaf_order


class TreeValues:
    def tree(self, name: str, leaves: dict) -> TreeExpr:
        """A tree argument ``name`` with ``leaves`` (path -> type), read whole."""
        for path, vtype in leaves.items():
            self.leaf(name, tuple(path), vtype)
        ordered = tuple(sorted(((tuple(p), t) for p, t in leaves.items()), key=lambda item: leaf_order(item[0])))
        return TreeExpr(cst.Name(name), ordered)

    def tree_leaf(self, tree: TreeExpr, path: tuple) -> TypedExpr:
        """``grads['w']``: one leaf of a tree argument that is also read whole (a map's operand),
        or of a gradient's lambda parameter (``p0['w']``, in `tree_gradient`)."""
        leaves = dict(tree.leaves)
        if not isinstance(tree.node, cst.Name) or tuple(path) not in leaves or not (
                tree.node.value in self._lambda_trees
                or any(a.name == tree.node.value and a.path == tuple(path) for a in self._args)):
            raise GrammarBug(f"{path} is no leaf of a tree argument")
        expr = TypedExpr(leaf_read(tree.node, path), leaves[tuple(path)])
        self._leaves[id(expr)] = expr  # written as it is, as a leaf read by `leaf` is
        return expr

    def tree_map(self, body, *trees: TreeExpr, spelling: str = "jax.tree_util.tree_map",
                 hints: tuple[str, ...] = (), signs: tuple[str, ...] = ()) -> TreeExpr:
        """``v = jax.tree_util.tree_map(lambda a, b: body(a, b), t1, t2)``: ``body`` builds one
        leaf of the result from the trees' leaves at one path, typed as the first leaf (every leaf
        of the trees must have its dtype, and the body must keep each leaf's shape and dtype: it is
        applied to every one). ``signs`` are known signs of the trees' leaves (`function`).
        Returns the bound name, a tree of the trees' structure."""
        self._outside_helper("a map over whole trees")
        if spelling not in WHOLE_TREE_MAPS or not 1 <= len(trees) <= MAX_MAPPED_TREES:
            raise GrammarBug(f"{spelling} over {len(trees)} trees is no form of this grammar")
        if any(t.paths != trees[0].paths for t in trees) or len({v.dtype for t in trees for _, v in t.leaves}) != 1:
            raise GrammarBug("the trees of a map must share their structure and their leaves' dtype")
        first = trees[0].leaves[0][1]
        hints = tuple(hints) or (tuple("pgm"[:len(trees)]) if len(trees) > 1 else ("t",))
        if len(hints) != len(trees) or any(hint == "v" for hint in hints):  # `v3` is a local's name
            raise GrammarBug(f"{len(hints)} parameter names for a map over {len(trees)} trees")
        function = self.function(tuple((hint, first) for hint in hints), body, signs)
        if (function.vtype.shape, function.vtype.dtype) != (first.shape, first.dtype):
            raise GrammarBug(f"a tree map's body turned {first} into {function.vtype}")
        call = cst.Call(func=dotted(spelling), args=[cst.Arg(function.node), *(cst.Arg(t.node) for t in trees)])
        self._ops.add(WHOLE_TREE_MAPS[spelling])
        name = f"v{self._locals}"
        self._locals += 1
        self._statements.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], call)]))
        return TreeExpr(cst.Name(name), trees[0].leaves)

    def tree_gradient(self, body, tree: TreeExpr, *, with_value: bool, hint: str = "p"):
        """``v0, v1 = jax.value_and_grad(lambda p0: loss)(params)``, or ``v1 = jax.grad(lambda p0:
        loss)(params)``: the gradient of a scalar floating loss with respect to every leaf of the
        tree argument ``tree``. ``body`` gets the lambda's parameter as a tree of ``tree``'s
        structure (its leaves read with `tree_leaf`) and returns the loss. Returns the loss's name
        and the gradient, a name bound to a tree of ``tree``'s structure (with_value), or the
        gradient alone."""
        self._outside_helper("a gradient over a whole tree")
        if self._inline_depth or not isinstance(tree.node, cst.Name) or not any(
                a.name == tree.node.value and a.path for a in self._args):
            raise GrammarBug("a gradient over a whole tree is taken of a tree argument, in the program's body")
        if not all(vtype.is_float for _, vtype in tree.leaves):
            raise GrammarBug("a gradient over a tree needs floating leaves")
        name = self._lambda_parameter(hint)
        self._lambda_trees.add(name)
        self._inline_depth += 1
        try:
            loss = body(TreeExpr(cst.Name(name), tree.leaves))
        finally:
            self._inline_depth -= 1
            self._lambda_trees.discard(name)
        if loss.vtype.shape != () or not loss.vtype.is_float:
            raise GrammarBug(f"a gradient over a tree is taken of a floating scalar, not {loss.vtype}")
        target = "jax.value_and_grad" if with_value else "jax.grad"
        op_name, results = TREE_GRADIENTS[target]
        function = cst.Call(func=dotted(target), args=[cst.Arg(lambda_node([name], loss.node))])
        names = [f"v{self._locals + k}" for k in range(results)]
        self._locals += results
        bound = cst.Name(names[0]) if results == 1 else cst.Tuple(
            [cst.Element(cst.Name(n)) for n in names], lpar=[], rpar=[])
        self._statements.append(cst.SimpleStatementLine([cst.Assign(
            [cst.AssignTarget(bound)], cst.Call(func=function, args=[cst.Arg(tree.node)]))]))
        self._ops.add(op_name)
        gradient = TreeExpr(cst.Name(names[-1]), tree.leaves)
        if not with_value:
            return gradient
        self._statement_types.append(loss.vtype)  # the loss is a value; the gradient, a tree, is not
        return TypedExpr(cst.Name(names[0]), loss.vtype), gradient

    def results(self, *values, keys: tuple[str, ...] | None = None) -> ResultTree:
        """The program's result as a tuple of ``values`` (``return loss, w``), or, with ``keys``,
        a dict (``return {'b': b, 'w': w}``); a value may be a tree, or another such display, one
        level deep."""
        self._outside_helper("a tree result")
        if keys is not None and (len(keys) != len(values) or len(set(keys)) != len(keys)
                                 or not all(isinstance(k, str) and is_key(k) for k in keys)):
            raise GrammarBug(f"result keys {keys!r} are not {len(values)} distinct identifiers")
        if len(values) < (1 if keys is not None else 2):
            raise GrammarBug("a result tuple holds two values or more")
        written = [v if isinstance(v, (ResultTree, TreeExpr)) else self.written(v) for v in values]
        depth = 1 + max((v.depth for v in written if isinstance(v, ResultTree)), default=0)
        order = sorted(range(len(values)), key=lambda k: keys[k]) if keys is not None else range(len(values))
        leaves = tuple(t for k in order for t in _leaf_types(written[k]))
        if depth > MAX_RESULT_NESTING or len(leaves) > MAX_RESULT_LEAVES:
            raise GrammarBug(f"a result of {len(leaves)} values, {depth} displays deep, is too big")
        if any(isinstance(t, tuple) for t in leaves):
            raise GrammarBug("a value with several results cannot be a result's part; bind it first")
        if keys is None:  # parenthesized inside another display; `finish` drops them on the outermost
            node = cst.Tuple([cst.Element(v.node) for v in written])
        else:
            node = cst.Dict([cst.DictElement(cst.SimpleString(repr(k)), v.node) for k, v in zip(keys, written)])
        return ResultTree(node, leaves, depth)


def _leaf_types(value) -> tuple:
    if isinstance(value, ResultTree):
        return value.leaves
    if isinstance(value, TreeExpr):
        return tuple(t for _, t in value.leaves)
    return (value.vtype,)
