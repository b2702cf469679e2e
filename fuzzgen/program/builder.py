"""Walk the grammar with a chooser and build a typed libcst `FunctionDef`.

`ProgramBuilder` implements the grammar's `Walk`: every `apply` infers the result type from the
op's rules before any node is made, so a program that type-checks here is valid JAX.
"""
from __future__ import annotations

import dataclasses
import keyword
import re
import string

import libcst as cst

from ..grammar import OPS, Chooser, GrammarSettings, Operator, ValueType, category
from ..grammar.ops import DOMAIN_GUARDS, LITERAL_GUARDS, Domain, MachineEpsilon, StaticDim
from ..grammar.params import TREE_NAME
from ..grammar.structured import draw_vmap_axes
from .nodes import ATOM, ResultTree, TreeExpr, TypedExpr, lambda_node, leaf_read, literal, literal_precedence, pair_node, render_op
from .signs import is_number as _is_number, keyword_sign as _keyword_sign, sign_of as _sign_of
from .structure import GrammarBug, StatementBlocks
from .tree_values import TreeValues
from .spec import ArgSpec, Program
from .trees import in_leaf_order, parameter_names

ARG_NAMES = tuple(string.ascii_lowercase[:12])
MAX_ARGS = len(ARG_NAMES)
# A role name (`x`, `w`, `labels`) is taken as it is, then with 2, 3, ... (`w2`), never as a
# local (`v3`), a module the source reads, or a Python keyword.
_LOCAL = re.compile(r"v[0-9]+")
_RESERVED = frozenset({"jnp", "lax", "jax", "ext", "np", "range", TREE_NAME, *keyword.kwlist})
# How often an op's computed operand is first bound to a name (`h = jnp.dot(x, w)`, then
# `jax.nn.relu(h + b)`) rather than written inline: real functions name their intermediates (their
# median is 6 statements), and the IR is the same either way.
NAMING_CHANCE = 0.75


@dataclasses.dataclass(frozen=True)
class Helper:
    """A function defined before the program's own and called from it (``def dense(x, w, b)``):
    its value parameters' types, its keyword-only static numbers with their defaults, and what it
    returns (its body was typed once, for these parameter types)."""

    name: str
    params: tuple[ValueType, ...]
    keywords: tuple[tuple[str, float], ...]
    result: ValueType
    sign: str = ""


class ProgramBuilder(StatementBlocks, TreeValues):
    def __init__(self, chooser: Chooser, settings: GrammarSettings):
        self.chooser = chooser
        self.settings = settings
        self._args: list[ArgSpec] = []
        self._statements: list[cst.SimpleStatementLine] = []
        self._statement_types: list[ValueType] = []
        self._ops: set[str] = set()
        self._locals = 0
        self._lambda_params = 0
        self._lambda_names: set[str] = set()
        self._lambda_trees: set[str] = set()  # a gradient's lambda parameter, a tree while its body is built
        # Inside a lambda's body nothing is named (its statement would sit outside it), nor inside a
        # domain guard (`jnp.abs(x) + 1.0` stays one expression).
        self._inline_depth = 0
        # id(expression) -> (it, what it is written as: itself or the name bound to it), decided once
        self._named: dict[int, tuple[TypedExpr, TypedExpr]] = {}
        # id -> a `params['w']` read, written as it is (as a name is); the read is kept so that its
        # id is never reused by a later expression (which would then skip its naming draw)
        self._leaves: dict[int, TypedExpr] = {}
        self._helpers: list[cst.FunctionDef] = []
        self._helper_names: set[str] = set()
        # the program's own keyword-only static numbers (`*, eps=1e-06`), name -> default
        self._keywords: dict[str, float | bool] = {}
        # inside a helper's body: the names its values may mention (its parameters); None outside
        self._scope_names: set[str] | None = None
        # inside `for i in range(start, stop)` (or `for block in blocks`): (i, start, stop, the tree iterated or None)
        self._loop: tuple[str, int, int, str | None] | None = None
        self._rebound: set[str] = set()  # arguments an `if` on their rank bound again: no later test reads them

    # --- the Walk interface ---------------------------------------------------------------

    def arg(self, vtype: ValueType, role: str | None = None) -> TypedExpr:
        self._outside_helper("an argument")
        if len(self._args) >= MAX_ARGS:
            raise GrammarBug(f"a production asked for more than {MAX_ARGS} arguments")
        spec = ArgSpec(self._free_name(role), tuple(vtype.shape), vtype.dtype)
        self._args.append(spec)
        return TypedExpr(cst.Name(spec.name), spec.vtype)

    def _free_name(self, role: str | None) -> str:
        """The argument's name: its role (``x``, ``w``, ``labels``), numbered from 2 where taken,
        or the first free letter where it has none."""
        taken = {a.name for a in self._args} | self._lambda_names | self._helper_names | set(self._keywords)
        named = next(_role_names(role, taken, MAX_ARGS + 2), None) if role is not None else None
        return named or next(name for name in ARG_NAMES if name not in taken)

    def leaf(self, tree: str, path: tuple, vtype: ValueType) -> TypedExpr:
        self._outside_helper("a tree leaf")
        if len(self._args) >= MAX_ARGS:
            raise GrammarBug(f"a production asked for more than {MAX_ARGS} arguments")
        if tree in ARG_NAMES or any(a.name == tree and (not a.path or a.path == tuple(path)) for a in self._args):
            raise GrammarBug(f"{tree}{list(path)} is already an argument")
        spec = ArgSpec(tree, tuple(vtype.shape), vtype.dtype, tuple(path))
        self._args.append(spec)
        expr = TypedExpr(leaf_read(cst.Name(tree), path), spec.vtype)
        self._leaves[id(expr)] = expr
        return expr

    def apply(self, op_name: str, *operands, **params) -> TypedExpr:
        return self._apply(op_name, operands, params, draw=not params)

    def apply_plain(self, op_name: str, *operands) -> TypedExpr:
        return self._apply(op_name, operands, {}, draw=False)

    def _apply(self, op_name: str, operands, params: dict, draw: bool) -> TypedExpr:
        op = OPS[op_name]
        if not op.int_operands:
            operands = [float(int(o)) if isinstance(o, StaticDim) else o for o in operands]
        operands = [self._literal_in_domain(o, op.domain_of(i)) if _is_number(o) else o for i, o in enumerate(operands)]
        functions = {position for position, _ in op.callables}
        into_operator = isinstance(op.render, Operator)
        operands = [o if i in functions else self._maybe_named(o, into_operator) for i, o in enumerate(operands)]
        typed = [self._as_expr(o, operands) for o in operands]
        typed = [t if i in functions or _is_number(operands[i]) else self._guard(t, op.domain_of(i))
                 for i, t in enumerate(typed)]
        types = tuple(t.vtype for t in typed)
        if draw:
            params = op.draw_params(self.chooser, types)
        try:
            if op.results != 1:
                vtype = op.infer_results(types, params)
            else:
                vtype = op.infer(types, params)
        except (TypeError, ValueError) as error:
            raise GrammarBug(f"{op_name}{tuple(map(str, types))} {params}: {error}") from error
        node, precedence = render_op(op, typed, params)
        self._ops.add(op_name)
        return TypedExpr(node, vtype, precedence, _sign_of(op, operands, typed, vtype))

    def let(self, value: TypedExpr):
        """Bind ``value`` to a new name; a value with several results (``lax.scan``) binds one name
        per result, in a tuple assignment, and a tuple of names comes back."""
        if id(value) in self._named:
            value = self._named[id(value)][1]  # bound already where it fed an op
        if isinstance(value.node, cst.Name) and not isinstance(value.vtype, tuple):
            return value  # a name already: no `v9 = v8`
        types = value.vtype if isinstance(value.vtype, tuple) else (value.vtype,)
        names = [f"v{self._locals + k}" for k in range(len(types))]
        self._locals += len(types)
        if len(names) == 1:
            target = cst.AssignTarget(cst.Name(names[0]))
        else:
            target = cst.AssignTarget(cst.Tuple([cst.Element(cst.Name(n)) for n in names], lpar=[], rpar=[]))
        self._statements.append(cst.SimpleStatementLine([cst.Assign([target], value.node)]))
        self._statement_types.extend(types)
        if len(names) == 1:  # a name keeps what is known of its value's sign: `v = jnp.var(x)`, then `v + 1e-5`
            name = TypedExpr(cst.Name(names[0]), types[0], ATOM, value.sign)
            self._named[id(value)] = (value, name)  # the expression, used again, is this name
            return name
        return tuple(TypedExpr(cst.Name(n), t, ATOM) for n, t in zip(names, types))

    def function(self, params: tuple[tuple[str, ValueType], ...], body, signs: tuple[str, ...] = ()) -> TypedExpr:
        """A lambda for a control-flow op: ``params`` are (name hint, type) pairs; ``body`` gets
        the parameters as typed expressions and returns the body's typed expression (or a pair of
        them, for ``lax.scan``). The lambda's type is the type its body returns. ``signs`` says
        what is known of each parameter's sign where the caller knows it (a map over Adam's
        ``nu``: "nonnegative")."""
        names = [self._lambda_parameter(hint) for hint, _ in params]
        self._inline_depth += 1
        try:
            signs = tuple(signs) + ("",) * (len(params) - len(signs))
            result = body(*(TypedExpr(cst.Name(n), t, ATOM, sign) for n, (_, t), sign in zip(names, params, signs)))
        finally:
            self._inline_depth -= 1
        if isinstance(result, tuple):
            first, second = result
            if first.vtype != second.vtype:
                raise GrammarBug(f"a scan body returned {first.vtype} and {second.vtype}; they must match")
            node = lambda_node(names, pair_node(first.node, second.node))
            return TypedExpr(node, first.vtype, 0)
        return TypedExpr(lambda_node(names, result.node), result.vtype, 0)

    def _lambda_parameter(self, hint: str) -> str:
        """A lambda parameter's name: ``x0``, ``p1``, numbered past any argument of that name (a
        role's ``x2``)."""
        arguments = {a.name for a in self._args}
        while f"{hint}{self._lambda_params}" in arguments:
            self._lambda_params += 1
        name = f"{hint}{self._lambda_params}"
        self._lambda_params += 1
        self._lambda_names.add(name)
        return name

    def keyword(self, name: str, value: float, float16: bool = False) -> TypedExpr:
        """A keyword-only parameter of the program with a default (``*, eps=1e-06``): a static
        number, as a literal is, that real code names so that a caller may change it."""
        self._outside_helper("a keyword-only parameter of the program")
        if name in self._keywords or not name.isidentifier() or name in _RESERVED or _LOCAL.fullmatch(name) \
                or name in {a.name for a in self._args} | self._helper_names:
            raise GrammarBug(f"keyword-only parameter {name!r} is taken or not a name")
        self._keywords[name] = float(value)
        return TypedExpr(cst.Name(name), ValueType((), "float32", weak=True), ATOM, _keyword_sign(value, float16))

    def helper(self, role: str, params: tuple[tuple[str, ValueType], ...], body,
               keywords: tuple[tuple[str, float], ...] = ()) -> Helper:
        """Define a function before the program's own: ``params`` are (name, type) pairs,
        ``keywords`` keyword-only numbers with their defaults; ``body`` gets the parameters as
        typed expressions (values, then keywords) and returns the helper's result. Its statements
        are its own; it sees nothing but its parameters (and the modules)."""
        self._outside_helper("a helper")
        if self._inline_depth:
            raise GrammarBug("a helper cannot be defined inside a lambda or a guard")
        name = self._free_name_among(role, {a.name for a in self._args} | self._helper_names | set(self._keywords)
                                     | self._lambda_names)
        names = [p for p, _ in params] + [k for k, _ in keywords]
        if len(set(names)) != len(names) or any(n in _RESERVED or _LOCAL.fullmatch(n) or n == name for n in names):
            raise GrammarBug(f"helper {name} has repeated or reserved parameter names {names}")
        float16 = any(t.dtype == "float16" for _, t in params)
        saved = (self._statements, self._statement_types, self._locals, self._named)
        self._statements, self._statement_types, self._locals, self._named = [], [], 0, {}
        self._scope_names = set(names)
        try:
            values = [TypedExpr(cst.Name(n), t, ATOM) for n, t in params]
            statics = [TypedExpr(cst.Name(k), ValueType((), "float32", weak=True), ATOM, _keyword_sign(v, float16))
                       for k, v in keywords]
            result = body(*values, *statics)
            if isinstance(result.vtype, tuple):
                raise GrammarBug(f"helper {name} returned several results")
            result = self.written(result)
            statements = self._statements + [cst.SimpleStatementLine([cst.Return(result.node)])]
        finally:
            self._statements, self._statement_types, self._locals, self._named = saved
            self._scope_names = None
        self._helpers.append(cst.FunctionDef(name=cst.Name(name), params=_parameters(
            [p for p, _ in params], keywords), body=cst.IndentedBlock(statements), leading_lines=_apart(self._helpers)))
        self._helper_names.add(name)
        return Helper(name, tuple(t for _, t in params), tuple(keywords), result.vtype, result.sign)

    def call(self, helper: Helper, *operands: TypedExpr, **keywords: float) -> TypedExpr:
        """``helper(operands..., eps=...)``: a keyword passed only where it differs from its default."""
        if len(operands) != len(helper.params) or any(
                not isinstance(o, TypedExpr) or (o.vtype.shape, o.vtype.dtype) != (t.shape, t.dtype)
                for o, t in zip(operands, helper.params)):
            raise GrammarBug(f"{helper.name} takes {tuple(map(str, helper.params))}, not {operands}")
        defaults = dict(helper.keywords)
        float16 = any(t.dtype == "float16" for t in helper.params)
        for key, value in keywords.items():
            if key not in defaults or _keyword_sign(value, float16) != _keyword_sign(defaults[key], float16):
                raise GrammarBug(f"{helper.name} has no keyword {key!r} that {value!r} may take")
        written = [self._maybe_named(o, into_operator=False) for o in operands]
        args = [cst.Arg(o.node) for o in written] + [
            cst.Arg(literal(float(v)), keyword=cst.Name(k), equal=cst.AssignEqual(
                cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
            for k, v in keywords.items() if float(v) != defaults[k]]
        return TypedExpr(cst.Call(func=cst.Name(helper.name), args=args), helper.result, ATOM, helper.sign)

    def arguments_left(self) -> int:
        return MAX_ARGS - len(self._args)

    def name_of(self, value) -> str | None:
        """The name ``value`` is bound to (an argument or local), or None for an expression."""
        node = getattr(value, "node", None)
        return node.value if isinstance(node, cst.Name) else None

    # --- helpers ---------------------------------------------------------------------------

    def _maybe_named(self, operand, into_operator: bool):
        """``operand``, or (by chance) a name bound to it, where it is a computed value outside any
        lambda or guard; an expression used twice is written the same way each time."""
        if not isinstance(operand, TypedExpr) or isinstance(operand.vtype, tuple) or self._inline_depth:
            return operand
        if id(operand) in self._named:
            return self._named[id(operand)][1]
        if id(operand) in self._leaves:
            return operand
        if not _nameable(operand.node, self._value_names(), into_operator):
            return operand
        written = self.let(operand) if self.chooser.chance(NAMING_CHANCE) else operand
        self._named[id(operand)] = (operand, written)  # the expression is kept so that its id stays its own
        return written

    def _value_names(self) -> set[str]:
        scope = self._scope_names if self._scope_names is not None else {a.name for a in self._args} | set(self._keywords)
        return scope | {f"v{k}" for k in range(self._locals)}

    def _outside_helper(self, what: str) -> None:
        if self._scope_names is not None:
            raise GrammarBug(f"{what} cannot be made inside a helper's body: it sees only its parameters")

    def _free_name_among(self, role: str, taken: set[str]) -> str:
        named = next(_role_names(role, taken, 100), None)
        if named is None:
            raise GrammarBug(f"no free name for {role!r}")
        return named

    @staticmethod
    def _literal_in_domain(value, domain: Domain):
        """A literal moved into ``domain``; ``x.shape[k]`` (>= 1) is already positive and nonzero."""
        if isinstance(value, StaticDim) and domain is Domain.COARSE:  # x.shape[k] >= 1: coarse already
            return value
        if isinstance(value, (StaticDim, MachineEpsilon)) and domain in (Domain.ANY, Domain.POSITIVE, Domain.NONZERO):
            return value
        return LITERAL_GUARDS[domain](int(value) if isinstance(value, StaticDim) else float(value)
                                      if isinstance(value, MachineEpsilon) else value)

    def _as_expr(self, operand, siblings) -> TypedExpr:
        if isinstance(operand, TypedExpr):
            return operand
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            raise GrammarBug(f"operand {operand!r} is neither a typed expression nor a number")
        like = next((s.vtype for s in siblings if isinstance(s, TypedExpr)), None)
        if isinstance(operand, MachineEpsilon):  # a NumPy scalar of its dtype: it takes part in promotion
            return TypedExpr(literal(operand), ValueType((), operand.dtype), literal_precedence(operand))
        if isinstance(operand, StaticDim) and like is not None and like.is_float:
            dtype = like.dtype  # `x / x.shape[-1]`: a weak scalar, as the float literal 4.0 would be
        else:
            dtype = "int32" if isinstance(operand, int) else (like.dtype if like is not None and like.is_float else "float32")
        return TypedExpr(literal(operand), ValueType((), dtype, weak=True), literal_precedence(operand))

    def _guard(self, expr: TypedExpr, domain: Domain) -> TypedExpr:
        if expr.sign == "positive" and domain in (Domain.POSITIVE, Domain.NONZERO):
            return expr  # `x / (jnp.linalg.norm(x) + 1e-6)`, `lax.rsqrt(var + 1e-5)`: no guard needed
        self._inline_depth += 1
        try:
            for guard_op, guard_literal in DOMAIN_GUARDS[domain]:
                expr = self.apply(guard_op, expr, *(() if guard_literal is None else (guard_literal,)))
        finally:
            self._inline_depth -= 1
        return expr

    def finish(self, category: str, result: TypedExpr | ResultTree | TreeExpr, function_name: str) -> Program:
        """The program returning ``result``: a value, a tree, or a tuple or dict of them (`results`),
        every value floating."""
        if isinstance(result, TreeExpr):
            results = tuple(t for _, t in result.leaves)
        else:
            results = result.leaves if isinstance(result, ResultTree) else (result.vtype,)
        if not all(isinstance(t, ValueType) and t.is_float for t in results):
            raise GrammarBug(f"category {category} returned {results}, not floating values")
        if not any(a.is_float for a in self._args):
            raise GrammarBug(f"category {category} drew no floating argument, so no gradient exists")
        returned = result.node.with_changes(lpar=[], rpar=[]) if isinstance(result, ResultTree) else result.node
        body = self._statements + [cst.SimpleStatementLine([cst.Return(returned)])]
        args = in_leaf_order(self._args)
        params = _parameters(parameter_names(args), tuple(self._keywords.items()))
        function = cst.FunctionDef(name=cst.Name(function_name), params=params, body=cst.IndentedBlock(body),
                                   leading_lines=_apart(self._helpers))
        return Program(
            category=category,
            function=function,
            args=args,
            statement_types=tuple(self._statement_types) + results,
            ops=frozenset(self._ops),
            helpers=tuple(self._helpers),
            result_types=results,
        )


def _role_names(role: str, taken: set[str], upto: int):
    """``role``, then ``role2`` ... ``role{upto - 1}``: those not taken, reserved or local-like."""
    for candidate in (role, *(f"{role}{k}" for k in range(2, upto))):
        if candidate not in taken and candidate not in _RESERVED and not _LOCAL.fullmatch(candidate):
            yield candidate


def _apart(before: list) -> list:
    """Two blank lines above a definition that follows another, as PEP 8 sets them apart."""
    return [cst.EmptyLine(), cst.EmptyLine()] if before else []


def _parameters(names, keywords) -> cst.Parameters:
    """``(x, w, b)``, then ``*, eps=1e-06`` where there are keyword-only numbers."""
    plain = [cst.Param(cst.Name(n)) for n in names]
    if not keywords:
        return cst.Parameters(plain)
    equal = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
    return cst.Parameters(plain, star_arg=cst.ParamStar(), kwonly_params=[
        cst.Param(cst.Name(k), default=literal(v if isinstance(v, bool) else float(v)), equal=equal)
        for k, v in keywords])


def _nameable(node: cst.CSTNode, value_names: set[str], into_operator: bool) -> bool:
    """True for what real code names: a call, method or subscript that computes from a value
    (`jnp.dot(x, w)`, `x.mean(axis=0)`, `x[:, 0]`), and an operator expression of two values
    (`x @ w + b`) that feeds a call. Operators with a constant (`var + 1e-5`) and operators
    feeding operators (`y * scale + shift`) stay inline, as real code writes them, and so do names
    and constants (`jnp.finfo(jnp.float32).eps`)."""
    def mentions(part: cst.CSTNode) -> bool:
        return (isinstance(part, cst.Name) and part.value in value_names) or any(mentions(c) for c in part.children)

    if isinstance(node, (cst.Call, cst.Subscript, cst.Attribute)):
        return mentions(node)
    if isinstance(node, cst.BinaryOperation) and not into_operator:
        return mentions(node.left) and mentions(node.right)
    return False


def build_program(chooser: Chooser, category_name: str, settings: GrammarSettings | None = None) -> Program:
    """Draw one program of the category ``category_name``, every choice made by ``chooser``."""
    row = category(category_name)
    settings = settings or GrammarSettings()
    builder = ProgramBuilder(chooser, settings)
    production = category(chooser.choice(row.bodies)).production if row.batched else row.production
    result = production(builder)
    function_name = f"{row.name}_{chooser.integer(0, 0xFFFF):04x}"
    program = builder.finish(row.name, result, function_name)
    if row.batched:
        axes, size = draw_vmap_axes(chooser, [a.vtype for a in program.args])
        program = dataclasses.replace(program, vmap_axes=axes, axis_size=size)
    return program
