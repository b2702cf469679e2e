"""How the checker reads the value forms of grammar programs beyond calls and operators: array
methods and attributes (``x.sum(axis=-1)``, ``x.T``), functional updates (``x.at[0].set(y)``),
static indices (``x[:, 0]``), gathers (``x[i]``), and static parameters (an einsum
specification is the one string), including the type facts of bound names
(``x.shape``, ``x.shape[k]``, ``x.dtype``). `ValueForms` is mixed into the checker: it uses the
checker's ``surface``, ``bound`` names, ``refuse`` and ``expression``.
"""
from __future__ import annotations

import libcst as cst

from ..grammar.ops import is_einsum_text
from .surface import DTYPE_TARGETS

MAX_NUMBER_CHARS = 32
MAX_INDEX_ITEMS = 8
KEYWORD_CONSTANTS = ("True", "False", "None")
TYPE_FACTS = ("shape", "dtype", "ndim")  # `x.shape`, `x.shape[k]`, `x.dtype`, `x.ndim`: a bound value's static facts
SHAPE_CALL = "jnp.shape"  # only as `jnp.shape(x)` of a bound name, a static shape
MACHINE_EPSILON_CALL = "jnp.finfo"  # only as `jnp.finfo(<dtype>).eps`, a static float


class ValueForms:
    def value_attribute(self, node: cst.Attribute) -> None:
        """``x.T``: an attribute op of a value."""
        if self.is_module_chain(node) or node.attr.value not in self.surface.attributes:
            raise self.refuse(node, f"attribute {snippet(node)!r} is not a grammar op")
        self.expression(node.value)

    def subscript(self, node: cst.Subscript) -> None:
        """``x[:, 0]``, ``x[..., None]``, ``x[1::2]``: a static index of a value; or ``x[i]``, a
        gather, whose one index is itself a value."""
        index = _gather_index(node)
        if index is not None and self.surface.gather:
            self.expression(index)
        elif self.surface.subscript:
            self.static_index(node)
        else:
            raise self.not_allowed(node)
        self.expression(node.value)

    def static_index(self, node: cst.Subscript) -> None:
        """The index of ``x[...]`` or ``x.at[...]``: ints, slices of ints, None and ``...``."""
        if not 1 <= len(node.slice) <= MAX_INDEX_ITEMS:
            raise self.refuse(node, f"an index has 1 to {MAX_INDEX_ITEMS} parts, not {len(node.slice)}")
        for element in node.slice:
            part = element.slice
            if isinstance(part, cst.Slice):
                bounds = (part.lower, part.upper, part.step)
                if not all(b is None or _is_int_literal(b) for b in bounds):
                    raise self.refuse(node, f"slice bounds in {snippet(node)!r} must be integer literals")
            elif not (isinstance(part, cst.Index) and part.star is None and (
                    _is_int_literal(part.value) or isinstance(part.value, cst.Ellipsis)
                    or (isinstance(part.value, cst.Name) and part.value.value == "None"))):
                raise self.refuse(node, f"index {snippet(node)!r} must be integers, slices of integers, None or ...")

    def is_tree_leaf(self, node: cst.Subscript) -> bool:
        """``params['w']``, ``layers[0]['b']``: a whole path, from a tree argument to one of the
        leaves its arg specs declare (keys are plain string literals, positions int literals, or
        the loop variable of the ``for`` being checked: then the path must be a leaf for every
        position the loop takes); ``layer['w']`` in ``for layer in layers:`` is ``layers[k]['w']``
        for every position k."""
        path, looped = [], False
        while isinstance(node, cst.Subscript):
            if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index) or node.slice[0].slice.star:
                return False
            key = node.slice[0].slice.value
            if isinstance(key, cst.SimpleString) and key.prefix == "" and key.quote in ("'", '"'):
                path.append(key.evaluated_value)
            elif isinstance(key, cst.Integer) and key.value.isdigit():
                path.append(int(key.value))
            elif isinstance(key, cst.Name) and self.loop is not None and key.value == self.loop[0] \
                    and self.loop_tree is None:
                path.append(None)
                looped = True
            else:
                return False
            node = node.value
        # not a whole path (`params[0]`, `params['w'][0]`): the parts are checked as any subscript,
        # and the bare tree name is refused there
        if not isinstance(node, cst.Name):
            return False
        if self.loop_tree is not None and node.value == self.loop[0]:  # `layer['w']` in `for layer in layers:`
            node, looped = cst.Name(self.loop_tree), True
            path.append(None)
        leaves = self.trees.get(node.value, ())
        path = tuple(reversed(path))
        if not looped:
            return path in leaves
        return all(tuple(k if p is None else p for p in path) in leaves for k in self.loop[1])

    def type_fact_of(self, node: cst.BaseExpression) -> str | None:
        """``"shape"`` for ``x.shape``, ``"dtype"`` for ``x.dtype``, where ``x`` is a bound name
        of an array (not a keyword-only number: ``eps.shape`` does not exist)."""
        if (isinstance(node, cst.Attribute) and node.attr.value in TYPE_FACTS and isinstance(node.value, cst.Name)
                and node.value.value in self.bound and node.value.value not in self.statics):
            return node.attr.value
        return None

    def is_machine_epsilon(self, node: cst.BaseExpression) -> bool:
        """``jnp.finfo(<dtype>).eps``, the dtype ``jnp.<dtype>`` or a bound name's ``x.dtype``."""
        if not (isinstance(node, cst.Attribute) and node.attr.value == "eps" and isinstance(node.value, cst.Call)):
            return False
        call = node.value
        if dotted_name(call.func) != MACHINE_EPSILON_CALL or len(call.args) != 1:
            return False
        arg = call.args[0]
        if arg.keyword is not None or arg.star:
            return False
        return dotted_name(arg.value) in DTYPE_TARGETS or self.type_fact_of(arg.value) == "dtype"

    def is_static_dim(self, node: cst.BaseExpression) -> bool:
        """``x.shape[k]`` for a bound name ``x`` and an integer literal ``k``."""
        return (isinstance(node, cst.Subscript) and self.type_fact_of(node.value) == "shape" and len(node.slice) == 1
                and isinstance(node.slice[0].slice, cst.Index) and node.slice[0].slice.star is None
                and _is_int_literal(node.slice[0].slice.value))

    def method_call(self, node: cst.Call) -> int:
        """``x.sum(axis=0)``, ``x.astype(jnp.float16)``: a method op of a value, whose arguments are
        all static parameters."""
        name = node.func.attr.value
        if isinstance(node.func.value, cst.Subscript) and isinstance(node.func.value.value, cst.Attribute) \
                and node.func.value.value.attr.value == "at":
            return self.at_update(node)
        if name not in self.surface.methods:
            if dotted_name(node.func) is not None:  # `os.system(...)`: a name's attribute
                raise self.refuse(node.func, f"attribute {snippet(node.func)!r} is not a grammar op")
            raise self.refuse(node, f"call of {snippet(node.func)!r} is not a grammar op")
        positional, keywords = self.arguments(node, f".{name}")
        if self.surface.match_method(name, len(positional), set(keywords)) is None:
            raise self.refuse(node, f"method .{name} with {len(positional)} positional argument(s) and keyword(s) "
                                    f"{', '.join(sorted(keywords)) or 'none'} matches no grammar op")
        for arg in [*positional, *keywords.values()]:
            self.static_value(arg.value, f".{name}")
        self.expression(node.func.value)
        return 1

    def transformed_call(self, node: cst.Call) -> int:
        """``jax.vmap(lambda r: ..., in_axes=0)(x)``: a transform op of a lambda with static
        keywords, applied to operands."""
        inner = node.func
        target = dotted_name(inner.func)
        if target is None or target not in (self.surface.transforms or {}):
            raise self.refuse(node, f"call of {snippet(inner)!r}'s result is not a grammar op")
        positional, keywords = self.arguments(inner, target)
        applied, applied_keywords = self.arguments(node, target)
        if len(positional) != 1 or applied_keywords:
            raise self.refuse(node, f"{target!r} takes one lambda and static keywords, and its result positional "
                                    "operands")
        op = self.surface.match_transform(target, len(applied), set(keywords))
        if op is None:
            raise self.refuse(node, f"{target!r} applied to {len(applied)} operand(s) with keyword(s) "
                                    f"{', '.join(sorted(keywords)) or 'none'} matches no grammar op")
        self.operand(positional[0].value, op, 0)
        for arg in keywords.values():
            self.static_value(arg.value, target)
        for arg in applied:
            self.expression(arg.value)
        return op.results

    def at_update(self, node: cst.Call) -> int:
        """``x.at[index].set(y)``: a scatter op with a static index and one update operand."""
        method, indexed = node.func.attr.value, node.func.value
        if method not in self.surface.at_updates:
            raise self.refuse(node.func, f"{snippet(node.func)!r} is not a grammar op")
        positional, keywords = self.arguments(node, f".at[...].{method}")
        if keywords or len(positional) != 1:
            raise self.refuse(node, f".at[...].{method} takes one positional update value, nothing else")
        self.static_index(indexed)
        self.expression(indexed.value.value)
        self.expression(positional[0].value)
        return 1

    def static_value(self, node: cst.BaseExpression, target: str) -> None:
        """A static parameter of an op: what `nodes.literal` renders, and nothing else."""
        if not self.is_literal(node):
            raise self.refuse(node, f"parameter {snippet(node)!r} of {target!r} must be a literal: a number, "
                                    "True, False, None, a jnp dtype or a tuple of those")

    def is_literal(self, node: cst.BaseExpression, depth: int = 0) -> bool:
        """A number, True/False/None, ``jnp.<dtype>``, a bound name's ``x.shape``, ``x.shape[k]``,
        ``jnp.shape(x)``, ``x.dtype``, ``x.ndim`` or ``x.ndim - k``, or a tuple of those."""
        if isinstance(node, cst.Attribute):
            return dotted_name(node) in DTYPE_TARGETS or self.type_fact_of(node) is not None
        if isinstance(node, cst.Subscript):
            return self.is_static_dim(node)
        if isinstance(node, cst.Call):  # `jnp.shape(x)`
            return (dotted_name(node.func) == SHAPE_CALL and len(node.args) == 1 and node.args[0].keyword is None
                    and not node.args[0].star and isinstance(node.args[0].value, cst.Name)
                    and node.args[0].value.value in self.bound)
        if isinstance(node, cst.BinaryOperation):  # `x.ndim - 1`
            return (isinstance(node.operator, cst.Subtract) and self.type_fact_of(node.left) == "ndim"
                    and _is_int_literal(node.right))
        if isinstance(node, cst.Name):
            return node.value in KEYWORD_CONSTANTS
        if isinstance(node, cst.Tuple):
            return depth < 8 and all(isinstance(e, cst.Element) and self.is_literal(e.value, depth + 1)
                                     for e in node.elements)
        if isinstance(node, cst.SimpleString):  # an einsum specification, and no other string
            return node.prefix == "" and is_einsum_text(node.evaluated_value)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            node = node.expression
        return isinstance(node, (cst.Integer, cst.Float)) and len(node.value) <= MAX_NUMBER_CHARS


def _gather_index(node: cst.Subscript) -> cst.BaseExpression | None:
    """The index of ``x[i]`` when it is one expression other than a static index item."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index) or node.slice[0].slice.star:
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    if isinstance(value, (cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis, cst.Tuple, cst.BaseString)) or (
            isinstance(value, cst.Name) and value.value in KEYWORD_CONSTANTS):
        return None  # a static index item, or not an index at all: the static check words the refusal
    return node.slice[0].slice.value


def _is_int_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, cst.Integer) and len(node.value) <= MAX_NUMBER_CHARS


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``"jax.nn.relu"`` for the node ``jax.nn.relu``; None for anything but a chain of
    attributes of a name."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not parts or not isinstance(node, cst.Name):
        return None
    return ".".join([node.value, *reversed(parts)])


def snippet(node: cst.CSTNode, limit: int = 48) -> str:
    """The node's source, first line only, shortened: enough to find it, never a wall of text."""
    text = _EMPTY_MODULE.code_for_node(node).strip().splitlines()
    text = text[0] if text else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


_EMPTY_MODULE = cst.Module(body=[])
