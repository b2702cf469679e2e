"""Walk the grammar with a chooser and build a typed libcst `FunctionDef`.

`ProgramBuilder` implements the grammar's `Walk`: every `apply` infers the result type from the
op's rules before any node is made, so a program that type-checks here is valid JAX.
"""
from __future__ import annotations

import string

import libcst as cst

from ..grammar import OPS, PRODUCTIONS, Category, Chooser, GrammarSettings, ValueType
from ..grammar.ops import DOMAIN_GUARDS, Domain
from .nodes import ATOM, TypedExpr, literal, literal_precedence, render_op
from .program import ArgSpec, Program

ARG_NAMES = tuple(string.ascii_lowercase[:8])
MAX_ARGS = len(ARG_NAMES)


class GrammarBug(RuntimeError):
    """A production asked for something the grammar's own rules reject."""


class ProgramBuilder:
    def __init__(self, chooser: Chooser, settings: GrammarSettings):
        self.chooser = chooser
        self.settings = settings
        self._args: list[ArgSpec] = []
        self._statements: list[cst.SimpleStatementLine] = []
        self._statement_types: list[ValueType] = []
        self._ops: set[str] = set()

    # --- the Walk interface ---------------------------------------------------------------

    def arg(self, vtype: ValueType) -> TypedExpr:
        if len(self._args) >= MAX_ARGS:
            raise GrammarBug(f"a production asked for more than {MAX_ARGS} arguments")
        spec = ArgSpec(ARG_NAMES[len(self._args)], tuple(vtype.shape), vtype.dtype)
        self._args.append(spec)
        return TypedExpr(cst.Name(spec.name), spec.vtype)

    def apply(self, op_name: str, *operands, **params) -> TypedExpr:
        op = OPS[op_name]
        typed = [self._as_expr(o, operands) for o in operands]
        typed = [self._guard(t, op.domain_of(i)) for i, t in enumerate(typed)]
        types = tuple(t.vtype for t in typed)
        if not params:
            params = op.draw_params(self.chooser, types)
        try:
            vtype = op.infer(types, params)
        except (TypeError, ValueError) as error:
            raise GrammarBug(f"{op_name}{tuple(map(str, types))} {params}: {error}") from error
        node, precedence = render_op(op, typed, params)
        self._ops.add(op_name)
        return TypedExpr(node, vtype, precedence)

    def let(self, value: TypedExpr) -> TypedExpr:
        name = f"v{len(self._statements)}"
        target = cst.AssignTarget(cst.Name(name))
        self._statements.append(cst.SimpleStatementLine([cst.Assign([target], value.node)]))
        self._statement_types.append(value.vtype)
        return TypedExpr(cst.Name(name), value.vtype, ATOM)

    # --- helpers ---------------------------------------------------------------------------

    def _as_expr(self, operand, siblings) -> TypedExpr:
        if isinstance(operand, TypedExpr):
            return operand
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            raise GrammarBug(f"operand {operand!r} is neither a typed expression nor a number")
        like = next((s.vtype for s in siblings if isinstance(s, TypedExpr)), None)
        dtype = "int32" if isinstance(operand, int) else (like.dtype if like is not None and like.is_float else "float32")
        return TypedExpr(literal(operand), ValueType((), dtype, weak=True), literal_precedence(operand))

    def _guard(self, expr: TypedExpr, domain: Domain) -> TypedExpr:
        for guard_op, guard_literal in DOMAIN_GUARDS[domain]:
            expr = self.apply(guard_op, expr, *(() if guard_literal is None else (guard_literal,)))
        return expr

    def finish(self, category: str, result: TypedExpr, function_name: str) -> Program:
        if not result.vtype.is_float:
            raise GrammarBug(f"category {category} returned {result.vtype}, not a floating value")
        if not any(a.is_float for a in self._args):
            raise GrammarBug(f"category {category} drew no floating argument, so no gradient exists")
        body = self._statements + [cst.SimpleStatementLine([cst.Return(result.node)])]
        params = cst.Parameters([cst.Param(cst.Name(a.name)) for a in self._args])
        function = cst.FunctionDef(name=cst.Name(function_name), params=params, body=cst.IndentedBlock(body))
        return Program(
            category=category,
            function=function,
            args=tuple(self._args),
            statement_types=tuple(self._statement_types) + (result.vtype,),
            ops=frozenset(self._ops),
        )


def build_program(chooser: Chooser, category: Category | str, settings: GrammarSettings | None = None) -> Program:
    """Draw one program of ``category``, every choice made by ``chooser``."""
    category = Category(category)
    settings = settings or GrammarSettings()
    builder = ProgramBuilder(chooser, settings)
    result = PRODUCTIONS[category](builder)
    function_name = f"{category.value}_{chooser.integer(0, 0xFFFF):04x}"
    return builder.finish(category.value, result, function_name)
