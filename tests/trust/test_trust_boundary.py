"""Every path from file text to a parser (libcst's native one, or CPython's) or to exec goes
through a CheckedSource, or is the bounded parse that the check begins with."""
import ast
import json

import pytest

from helpers import ROOT, run_cli

PACKAGE = ROOT / "fuzzgen"
# The only places that exec text or hand it to a parser, and why each is safe.
ALLOWED = {
    ("trust/checker.py", "check_source"): "the check itself: parse_bounded (CPython, bounded) runs first",
    ("trust/limits.py", "parse_bounded"): "the bound itself: size is checked first, and CPython's parser "
                                          "fails cleanly on deep nesting",
    ("trust/sandbox.py", "load_function"): "require_checked on its argument",
    ("program/canonical.py", "canonical_source"): "require_checked on its argument",
}
BUILTINS = {"exec", "eval", "compile"}  # called by bare name; `.compile()` on a jax Lowered is XLA's
LIBCST_PARSERS = {"parse_module", "parse_expression", "parse_statement"}


def _dangerous_calls():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Call):
                    continue
                if isinstance(node.func, ast.Name) and node.func.id in BUILTINS | LIBCST_PARSERS:
                    yield str(path.relative_to(PACKAGE)), function.name, node.func.id
                elif isinstance(node.func, ast.Attribute) and node.func.attr in LIBCST_PARSERS:
                    yield str(path.relative_to(PACKAGE)), function.name, node.func.attr
                elif (isinstance(node.func, ast.Attribute) and node.func.attr == "parse"
                      and isinstance(node.func.value, ast.Name) and node.func.value.id == "ast"):
                    yield str(path.relative_to(PACKAGE)), function.name, "ast.parse"


def test_only_the_trust_layer_execs_or_parses_text():
    found = {(path, function) for path, function, _ in _dangerous_calls()}
    assert found == set(ALLOWED), f"unexpected exec/parse entry points: {sorted(found - set(ALLOWED))}"


def test_each_entry_point_refuses_plain_text():
    from fuzzgen.program.canonical import canonical_hash, canonical_source
    from fuzzgen.trust.sandbox import load_function

    for entry in (load_function, canonical_source, lambda text: canonical_hash(text, [])):
        with pytest.raises(TypeError, match="CheckedSource"):
            entry("def f(a):\n    return a\n")


def _record_without_hash(python: str) -> dict:
    return {"id": "0" * 16, "seed": 0, "index": 0, "category": "unary", "function_name": "f", "python": python,
            "args": [{"name": "a", "shape": [], "dtype": "float32"}],
            "meta": {"jax_version": "0.10.2", "primitives": [], "n_statements": 1}}


DEEP = "def f(a):\n    return " + "(" * 3000 + "a" + ")" * 3000 + "\n"
HOSTILE = {
    "3000 nested parentheses": DEEP,
    "import": "def f(a):\n    import os\n    return a\n",
    "dunder escape": "def f(a):\n    return a.__class__.__bases__\n",
}


@pytest.mark.parametrize("command", [("stats",), ("export", "--format", "parquet")], ids=["stats", "parquet"])
@pytest.mark.parametrize("python", list(HOSTILE.values()), ids=list(HOSTILE))
def test_dataset_tools_refuse_hostile_python_with_one_line(tmp_path, command, python):
    data = tmp_path / "hostile.jsonl"
    data.write_text(json.dumps(_record_without_hash(python)) + "\n")
    out = [tmp_path / "out"] if command[0] == "export" else []
    result = run_cli(command[0], data, *out, *command[1:])
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "rejected by the grammar checker" in result.stderr


def test_stats_and_parquet_refuse_every_hostile_source_of_the_checker_tests(tmp_path):
    """The checker's own hostile corpus (gadgets, dunders, pickles, deep nesting), fed to the
    dataset tools as records without a stored hash: every line refused, nothing run."""
    from test_checker import HOSTILE, materialize

    lines, sentinels = [], []
    for _, template, params, _ in HOSTILE:
        case_dir = tmp_path / f"case{len(lines)}"
        case_dir.mkdir()
        source, sentinel = materialize(case_dir, template)
        record = _record_without_hash(source)
        record["args"] = [{"name": name, "shape": [3], "dtype": "float32"} for name in params]
        lines.append(json.dumps(record))
        sentinels.append(sentinel)
    data = tmp_path / "hostile.jsonl"
    data.write_text("\n".join(lines) + "\n")
    stats = run_cli("stats", data)  # skips bad lines, and then has none left
    export = run_cli("export", data, tmp_path / "out", "--format", "parquet")  # stops at the first bad line
    for result in (stats, export):
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "python rejected by the grammar checker" in result.stderr
    assert f"holds no usable records ({len(lines)} bad lines skipped" in stats.stderr
    assert "hostile.jsonl:1: python rejected" in export.stderr and not (tmp_path / "out").exists()
    assert not any(s.exists() for s in sentinels)


def test_only_the_builder_vouches_for_its_own_source():
    """`grammar_built` skips the check, so inside the package only the builder's Program uses it."""
    callers = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "grammar_built":
                callers.add(str(path.relative_to(PACKAGE)))
    assert callers == {"program/spec.py"}
