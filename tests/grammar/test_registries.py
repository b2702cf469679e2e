"""The registries are complete and consistent: generated from the op, category and IR-kind tables."""
import ast

import pytest

from fuzzgen.grammar import CATEGORY_TABLE, OPS
from fuzzgen.grammar.ops import TAGS, Call, Op
from fuzzgen.ir import ALL_IR_KINDS, IR_KIND_TABLE
from fuzzgen.oracles.envelope import primitive_class

from helpers import ROOT

GRAMMAR = ROOT / "fuzzgen" / "grammar"


def _string_arguments(function_names: set[str]) -> set[str]:
    """Strings the productions pass first to the named functions: literals, the literals of a
    ``choice((...))`` there, and an f-string's constant prefix as ``prefix*``."""
    found = set()
    for path in sorted(GRAMMAR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            name = None
            if isinstance(node, ast.Call) and node.args:
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name not in function_names:
                continue
            for part in ast.walk(node.args[0]):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.add(part.value)
                elif isinstance(part, ast.JoinedStr) and isinstance(part.values[0], ast.Constant):
                    found.add(part.values[0].value + "*")
    return found


def test_every_tag_a_production_asks_for_is_carried_by_an_op():
    asked = _string_arguments({"tag_names", "applicable", "tagged"})
    assert asked, "no tag lookups found: the scan is broken"
    carried = {tag for op in OPS for tag in op.tags}
    assert asked <= carried, f"asked for but carried by no op: {sorted(asked - carried)}"


def test_every_op_can_be_drawn_by_some_production():
    """By a tag a production asks for, or by name (``w.apply("cond", ...)``)."""
    drawn_tags = _string_arguments({"tag_names", "applicable", "tagged", "tagged_names"})
    named = _string_arguments({"apply"})
    prefixes = tuple(name[:-1] for name in named if name.endswith("*"))
    never = [op.name for op in OPS if not (op.tags & drawn_tags or op.name in named or op.name.startswith(prefixes))]
    assert not never, f"ops no production can draw: {never}"


def test_every_carried_tag_is_declared():
    assert {tag for op in OPS for tag in op.tags} <= set(TAGS)


def test_an_undeclared_tag_is_refused_where_it_is_written():
    with pytest.raises(ValueError, match="unknown tag"):
        OPS.tagged("unray")
    template = OPS["sin"]
    with pytest.raises(ValueError, match=r"op 'sinn': unknown tag\(s\) \['unray'\]"):
        Op(name="sinn", render=Call("jnp.sin"), arity=1, operand_dtypes=template.operand_dtypes,
           dtype_rule=template.dtype_rule, shape_rule=template.shape_rule, tags=frozenset({"unray"}))


@pytest.mark.parametrize("op", list(OPS), ids=lambda op: op.name)
def test_every_primitive_an_op_emits_is_classified_for_the_oracles(op):
    unclassified = [p for p in op.primitives if primitive_class(p) is None]
    assert not unclassified, (f"{op.name} emits {unclassified}: add each to a class in "
                              "fuzzgen/oracles/envelope.py (EXACT, SUMS, ROUNDED, ...)")


def test_category_table_holds_the_seed_ten_as_defaults_then_the_opt_ins():
    names = [row.name for row in CATEGORY_TABLE]
    assert names[:10] == ["elementwise", "scalar_array", "unary", "branch", "reduction", "dot", "matmul",
                          "multi_statement", "nested_branch", "compound"]
    assert all(row.default for row in CATEGORY_TABLE[:10]) and not any(row.default for row in CATEGORY_TABLE[10:])
    for row in CATEGORY_TABLE:
        assert (row.production is None) == row.batched, row.name
        assert all(not CATEGORY_TABLE[names.index(body)].batched for body in row.bodies)


@pytest.mark.parametrize("kind", IR_KIND_TABLE, ids=lambda kind: kind.name)
def test_every_ir_kind_resolves_its_producer_and_checker(kind):
    assert callable(kind.producer()) and callable(kind.checker())
    assert kind.name in ALL_IR_KINDS
