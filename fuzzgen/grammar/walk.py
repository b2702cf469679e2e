"""What a production needs from the thing that builds programs, and the settings that bound it.

Productions (`productions.py`) are written against `Walk`, not against libcst: the grammar says
*what* a category's programs look like; `fuzzgen.program` says how they become a syntax tree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .choices import Chooser
from .types import DTYPES, FLOAT_DTYPES, ValueType

MAX_RANK = 4


class InvalidSettings(ValueError):
    """Grammar settings that cannot describe any program."""


@dataclass(frozen=True)
class GrammarSettings:
    dtypes: tuple[str, ...] = DTYPES
    max_rank: int = MAX_RANK
    max_statements: int = 6
    max_dim: int = 4
    max_arg_elements: int = 64

    def __post_init__(self):
        if not self.dtypes:
            raise InvalidSettings("dtypes=() is empty; give at least one floating dtype")
        unknown = [d for d in self.dtypes if d not in DTYPES]
        if unknown:
            raise InvalidSettings(f"dtypes={self.dtypes!r} has unknown {unknown}; choose from {DTYPES}")
        if not any(d in FLOAT_DTYPES for d in self.dtypes):
            raise InvalidSettings(f"dtypes={self.dtypes!r} has no floating dtype, so no gradient exists")
        if not 0 <= self.max_rank <= MAX_RANK:
            raise InvalidSettings(f"max_rank={self.max_rank} must be between 0 and {MAX_RANK}")
        if self.max_statements < 1:
            raise InvalidSettings(f"max_statements={self.max_statements} must be at least 1")
        if not 1 <= self.max_dim <= 16:
            raise InvalidSettings(f"max_dim={self.max_dim} must be between 1 and 16")

    @property
    def float_dtypes(self) -> tuple[str, ...]:
        return tuple(d for d in FLOAT_DTYPES if d in self.dtypes)

    @property
    def allows_int(self) -> bool:
        return "int32" in self.dtypes


class Value(Protocol):
    vtype: ValueType


class Walk(Protocol):
    chooser: Chooser
    settings: GrammarSettings

    def arg(self, vtype: ValueType, role: str | None = None) -> Value:
        """A new function argument of this type, named for its ``role`` as real code names it
        (``x``, ``w``, ``labels``; ``w2`` for a second one), or by the next free letter."""

    def leaf(self, tree: str, path: tuple, vtype: ValueType) -> Value:
        """A new leaf of the tree argument ``tree`` (``params``) at ``path`` (dict keys and list
        positions), read as ``params['w']``; the tree argument is created with its first leaf."""

    def apply(self, op: str, *operands: Value | float | int, **params: Any) -> Value:
        """An expression applying ``op``; literals become weak-typed constants, operands are guarded
        into the op's domains, and missing static parameters are drawn."""

    def apply_plain(self, op: str, *operands: Value | float | int) -> Value:
        """``apply`` with no static parameters at all, none drawn: ``jnp.sum(x)``."""

    def let(self, value: Value) -> Value:
        """Bind ``value`` to a new local name, as a statement of its own (a tuple of names for an
        op with several results)."""

    def tree(self, name: str, leaves: dict) -> Any:
        """A tree argument ``name`` of ``leaves`` (path -> type), as a whole tree for `tree_map`."""

    def tree_leaf(self, tree: Any, path: tuple) -> Value:
        """``grads['w']``: a leaf of a tree argument that is also read whole, or of a gradient's
        lambda parameter (``p0['w']``)."""

    def tree_map(self, body, *trees: Any, spelling: str = "jax.tree_util.tree_map", hints: tuple[str, ...] = (),
                 signs: tuple[str, ...] = ()) -> Any:
        """``v = jax.tree_util.tree_map(lambda p, g: body(p, g), params, grads)`` over trees of one
        structure and dtype; ``body`` builds one leaf from the leaves at one path and must keep
        its shape and dtype. Returns the bound name, a tree, for another map or `results`."""

    def tree_gradient(self, body, tree: Any, *, with_value: bool, hint: str = "p") -> Any:
        """``v0, v1 = jax.value_and_grad(lambda p0: body(p0))(params)`` (or ``jax.grad``, without
        the loss) of a tree argument: ``body`` gets the lambda's parameter as a tree (read with
        `tree_leaf`) and returns a floating scalar. Returns the loss and the gradient tree, or
        the gradient tree alone."""

    def results(self, *values: Any, keys: tuple[str, ...] | None = None) -> Any:
        """The program's result as several values, for a production to return: a tuple (``return
        loss, w``), or with ``keys`` a dict (``return {'mu': mu, 'nu': nu}``); a value may be such
        a display itself, one level deep."""

    def flag(self, name: str, default: bool) -> str:
        """A keyword-only boolean of the program itself (``*, use_bias=True``), for `when`."""

    def when(self, flag: str, value: Value, body) -> Value:
        """``if flag:`` around what ``body`` builds from ``value``, rebinding ``value``'s name to
        it (``if use_bias: h = h + b``); the result has ``value``'s type."""

    def when_rank(self, value: Value, symbol: str, rank: int, body) -> Value:
        """``if x.ndim > 2:`` (``symbol`` one of ==, !=, >, >=, <, <=) on the rank of the argument
        ``value``, around what ``body`` builds from it, rebinding the argument's name to it
        (``x = x.reshape(-1, x.shape[-1])``); the result has the body's type where the test
        passes (the block is traced), ``value``'s where not."""

    def repeat(self, start: int, stop: int, value: Value, body, over: str | None = None) -> Value:
        """``for i in range(start, stop):`` around what ``body(i, value)`` builds, rebinding
        ``value``'s name to it; the result has ``value``'s type. With ``over``, the name of a new
        tree argument, ``for layer in layers:`` over its positions 0..stop-1 (``start`` 0)."""

    def looped_leaf(self, tree: str, key: str, vtype: ValueType) -> Value:
        """``params[i][key]`` inside `repeat`: the iteration's own leaf (``layer[key]`` in a
        loop over ``tree`` itself)."""

    def arguments_left(self) -> int:
        """How many more arguments (plain or leaves) the program may take."""

    def name_of(self, value: Value) -> str | None:
        """The name ``value`` is bound to, or None for an expression (``x.shape`` needs a name)."""

    def function(self, params: tuple[tuple[str, ValueType], ...], body) -> Value:
        """A lambda operand for a control-flow op, typed by what its body returns."""

    def helper(self, role: str, params: tuple[tuple[str, ValueType], ...], body,
               keywords: tuple[tuple[str, float], ...] = ()) -> Any:
        """A function defined before the program's own (``def layer_norm(x, scale, shift, *,
        eps=1e-05)``), typed once for ``params``; ``body`` gets its parameters (values, then
        keyword-only numbers) and returns its result. Called with `call`."""

    def call(self, helper: Any, *operands: Value, **keywords: float) -> Value:
        """A call of a helper on values of exactly its parameter types; a keyword is written only
        where it differs from its default."""

    def keyword(self, name: str, value: float, float16: bool = False) -> Value:
        """A keyword-only parameter of the program itself with ``value`` as default (``*,
        eps=1e-05``), used as a static number."""
