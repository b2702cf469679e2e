"""Statements around statements: ``if`` on a keyword-only flag or on an argument's rank, and
``for`` over a static range.

A mixin of `ProgramBuilder`. Both blocks carry one value through: the block's statements end by
binding their result to that value's name again (``if use_bias: h = h + b``; ``for i in
range(3): h = block(h, params[i]['w'], params[i]['b'])``), so the value after the block has the
type it had before, whatever the flag or the iteration (an ``if`` on a rank, whose truth the
builder knows, may change it: ``if x.ndim > 2: x = x.reshape(-1, x.shape[-1])``). Names first
bound inside a block are not
used after it. `fuzzgen.program.flags.specialized` writes the function as it is traced (ifs
resolved by their defaults, loops unrolled), for the typing probe and the reducer.
"""
from __future__ import annotations

import libcst as cst

from ..grammar import ValueType
from .nodes import ATOM, TypedExpr

MAX_TRIPS = 8  # iterations of one loop; every one reads its own leaves, and arguments are few


# `if x.ndim > 2:`: the comparisons an if may make of an argument's rank with an int literal, and
# what each decides (the trust check reads the same test with `fuzzgen.trust.definitions.rank_test`)
RANK_TESTS = {"==": int.__eq__, "!=": int.__ne__, ">": int.__gt__, ">=": int.__ge__, "<": int.__lt__,
              "<=": int.__le__}
_COMPARISONS = {"==": cst.Equal, "!=": cst.NotEqual, ">": cst.GreaterThan, ">=": cst.GreaterThanEqual,
                "<": cst.LessThan, "<=": cst.LessThanEqual}


class GrammarBug(RuntimeError):
    """A production asked for something the grammar's own rules reject."""


class StatementBlocks:
    def written(self, value: TypedExpr) -> TypedExpr:
        """How ``value`` is written from here on: the name it was bound to where it fed an op
        (`let`), else itself."""
        return self._named.get(id(value), (None, value))[1]

    def flag(self, name: str, default: bool) -> str:
        """A keyword-only boolean of the program (``*, use_bias=True``), for `when`."""
        self.keyword(name, 0.0)
        self._keywords[name] = bool(default)
        return name

    def when(self, flag: str, value: TypedExpr, body) -> TypedExpr:
        """``if flag:`` around the statements ``body`` builds from ``value``, ending by binding
        their result to ``value``'s name again. With the flag False by default the body is not
        traced: its statements leave no statement types."""
        if not isinstance(self._keywords.get(flag), bool):
            raise GrammarBug(f"`if {flag}:` needs a keyword-only flag of the program")
        mark = len(self._statement_types)
        value, inner = self._carried_block(f"if {flag}", value, body)
        if not self._keywords[flag]:
            del self._statement_types[mark:]
        self._statements.append(cst.If(test=cst.Name(flag), body=cst.IndentedBlock(inner)))
        return value

    def when_rank(self, value: TypedExpr, symbol: str, rank: int, body) -> TypedExpr:
        """``if x.ndim > 2:`` around the statements ``body`` builds from the argument ``value``,
        ending by binding their result to the argument's name again (``x = x.reshape(-1,
        x.shape[-1])``). The test is static: where ``value``'s rank passes it, the block is traced
        and the value after it has the body's type; where not, the block is not traced (it
        leaves no statement types) and the value keeps its type."""
        if symbol not in RANK_TESTS or not isinstance(value.node, cst.Name) or value.node.value not in {
                a.name for a in self._args if not a.path} or value.node.value in self._rebound:
            raise GrammarBug(f"`if {value.node}.ndim {symbol} {rank}` tests no argument's rank")
        taken = RANK_TESTS[symbol](value.vtype.rank, rank)
        mark = len(self._statement_types)
        after, inner = self._carried_block(f"if ndim {symbol}", value, body, keep_type=False)
        if not taken:
            del self._statement_types[mark:]
            after = value
        test = cst.Comparison(cst.Attribute(value.node, cst.Name("ndim")),
                              [cst.ComparisonTarget(_COMPARISONS[symbol](), cst.Integer(str(rank)))])
        self._statements.append(cst.If(test=test, body=cst.IndentedBlock(inner)))
        return after

    def repeat(self, start: int, stop: int, value: TypedExpr, body, over: str | None = None) -> TypedExpr:
        """``for i in range(start, stop):`` around the statements ``body(i, value)`` builds,
        ending by binding their result to ``value``'s name again; `looped_leaf` reads the
        iteration's own leaves (``params[i]['w']``). With ``over``, a new tree argument of that
        name, ``for layer in layers:`` over its positions 0..stop-1 instead (``start`` is 0), the
        iteration's leaves read as ``layer['w']``; the tree holds nothing else. Its statement
        types are the body's, once per iteration (as `flags.specialized` unrolls it)."""
        if not 0 <= start < stop or stop - start > MAX_TRIPS or self._loop is not None or (
                over is not None and (start or any(a.name == over for a in self._args))):
            raise GrammarBug(f"range({start}, {stop}) over {over or 'positions'} is no loop this grammar draws")
        taken = {a.name for a in self._args} | set(self._keywords) | self._helper_names | self._lambda_names
        index = self._free_name_among("i" if over is None else "layer", taken | {over or ""})
        mark = len(self._statement_types)
        self._loop = (index, start, stop, over)
        try:
            value, inner = self._carried_block(
                "for", value, lambda v: body(TypedExpr(cst.Name(index), ValueType((), "int32", weak=True)), v))
        finally:
            self._loop = None
        once = self._statement_types[mark:]
        self._statement_types.extend(once * (stop - start - 1))
        if over is not None:
            if {a.path[0] for a in self._args if a.name == over} != set(range(stop)):
                raise GrammarBug(f"`for {index} in {over}:` read no leaf of some position of {over}")
            iterated = cst.Name(over)
        else:
            bounds = [cst.Arg(cst.Integer(str(stop)))] if start == 0 else [
                cst.Arg(cst.Integer(str(start))), cst.Arg(cst.Integer(str(stop)))]
            iterated = cst.Call(cst.Name("range"), bounds)
        self._statements.append(cst.For(target=cst.Name(index), iter=iterated, body=cst.IndentedBlock(inner)))
        return value

    def looped_leaf(self, tree: str, key: str, vtype: ValueType) -> TypedExpr:
        """``params[i][key]`` inside `repeat`: a leaf ``(k, key)`` of ``tree`` for every
        iteration k; ``layer[key]`` in a loop over ``tree`` itself."""
        if self._loop is None:
            raise GrammarBug("a looped leaf is read only inside a loop")
        index, start, stop, over = self._loop
        for position in range(start, stop):
            self.leaf(tree, (position, key), vtype)
        if over == tree:
            node = cst.Subscript(cst.Name(index), [cst.SubscriptElement(cst.Index(cst.SimpleString(repr(key))))])
        else:
            node = cst.Subscript(cst.Subscript(cst.Name(tree), [cst.SubscriptElement(cst.Index(cst.Name(index)))]),
                                 [cst.SubscriptElement(cst.Index(cst.SimpleString(repr(key))))])
        expr = TypedExpr(node, ValueType(tuple(vtype.shape), vtype.dtype))
        self._leaves[id(expr)] = expr
        return expr

    def _carried_block(self, what: str, value: TypedExpr, body, keep_type: bool = True):
        """Build ``body(value)`` into statements of their own, the last binding ``value``'s name;
        returns the value after the block (that name, of the body's type: ``value``'s own where
        ``keep_type``) and the statements."""
        self._outside_helper(f"`{what}`")
        if self._inline_depth:
            raise GrammarBug(f"`{what}` cannot sit inside a lambda or a guard")
        value = self.let(value)
        name = self.name_of(value)
        self._rebound.add(name)  # bound again: an argument's rank is no longer its name's
        outer, named = self._statements, dict(self._named)
        self._statements = []
        try:
            result = body(value)
            result = self.written(result)
            if keep_type and (result.vtype.shape, result.vtype.dtype) != (value.vtype.shape, value.vtype.dtype) or \
                    self.name_of(result) == name:
                raise GrammarBug(f"`{what}` turned {value.vtype} into {result.vtype}")
            self._statements.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))],
                                                                        result.node)]))
            self._statement_types.append(result.vtype)
            inner = self._statements
        finally:
            self._statements, self._named = outer, named  # what the block bound first ends with it
        return TypedExpr(cst.Name(name), result.vtype, ATOM), inner
