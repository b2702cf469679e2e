"""`fuzzgen stats`: numbers that match counts made by hand from the JSONL, JSON, charts, bad input."""
import ast
import json
import re
from collections import Counter

import pytest

from fuzzgen.program.canonical import canonical_hash
from fuzzgen.trust import grammar_built
from fuzzgen.records.dataset import check_record
from fuzzgen.records.schema import SchemaError
from fuzzgen.extras import MissingExtraError
from fuzzgen.dataset.plots import PLOT_FILES, write_plots
from fuzzgen.records.jsonl import RecordError
from fuzzgen.dataset.stats import collect_stats, count_tokens
from helpers import run_cli

IR_KINDS = ("jaxpr", "stablehlo", "hlo")


@pytest.fixture(scope="module")
def sampled(small_sample):
    return small_sample


def records_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_records(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def renamed_copy(record):
    """The same program with every variable and the function renamed (hashes alike canonically)."""
    tree = ast.parse(record["python"])
    names = {arg.arg: f"renamed_{arg.arg}" for arg in tree.body[0].args.args}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id not in ("jnp", "lax", "jax"):
                node.id = names.setdefault(node.id, f"renamed_{node.id}")
            return node

        def visit_arg(self, node):  # the function's parameters and any lambda's
            node.arg = names.setdefault(node.arg, f"renamed_{node.arg}")
            return node

    tree = Rename().visit(tree)
    tree.body[0].name = "renamed_function"
    copy = json.loads(json.dumps(record))
    copy["python"] = ast.unparse(tree) + "\n"
    copy["function_name"] = "renamed_function"
    copy["args"] = [{**a, "name": names[a["name"]]} for a in record["args"]]
    copy["meta"].pop("canonical_hash", None)
    copy["index"] = 10_000
    return copy


def test_counts_match_the_records_read_by_hand(sampled):
    records = records_of(sampled)
    summary = collect_stats(sampled).to_json()
    assert summary["records"] == len(records) == 30 and summary["skipped_lines"] == 0
    assert {k: v["count"] for k, v in summary["categories"].items()} == Counter(r["category"] for r in records)
    assert all(v["share"] == pytest.approx(0.1) for v in summary["categories"].values())
    args = [a for r in records for a in r["args"]]
    assert {k: v["count"] for k, v in summary["dtypes"].items()} == Counter(a["dtype"] for a in args)
    assert {k: v["records"] for k, v in summary["dtypes"].items()} == Counter(
        d for r in records for d in {a["dtype"] for a in r["args"]})
    assert {int(k): v["count"] for k, v in summary["ranks"].items()} == Counter(len(a["shape"]) for a in args)
    primitives = Counter(p for r in records for p in set(r["meta"]["primitives"]))
    assert {k: v["count"] for k, v in summary["primitives"]["records"].items()} == primitives
    assert summary["primitives"]["distinct"] == len(primitives)
    assert list(summary["primitives"]["records"].values())[0]["count"] == max(primitives.values())
    statements = [r["meta"]["n_statements"] for r in records]
    assert {int(k): v for k, v in summary["statements"]["histogram"].items()} == Counter(statements)
    assert (summary["statements"]["min"], summary["statements"]["max"]) == (min(statements), max(statements))
    for kind in IR_KINDS:
        for direction in ("forward", "backward"):
            lengths = summary["ir_lengths"][kind][direction]
            texts = [r[kind][direction] for r in records]
            assert lengths["chars"]["total"] == sum(map(len, texts))
            assert lengths["chars"]["max"] == max(map(len, texts))
            assert lengths["lines"]["total"] == sum(len(t.splitlines()) for t in texts)
            assert lengths["tokens"]["count"] == 30 and lengths["tokens"]["total"] > lengths["lines"]["total"]
    hashes = {canonical_hash(grammar_built(r["python"], r["function_name"]), r["args"]) for r in records}
    assert summary["duplicates"]["unique_programs"] == len(hashes)
    assert summary["duplicates"]["duplicate_records"] == 30 - len(hashes)
    assert summary["splits"] == {"train": {"count": 30, "share": 1.0}}
    assert summary["seeds"] == [11]


@pytest.mark.parametrize("text, tokens", [
    ("%0 = stablehlo.add %arg0, %arg1 : tensor<f32>", 16),  # % 0 = stablehlo . add % arg0 , % arg1 : tensor < f32 >
    ("c:f32[] = add a 1.0:f32[]", 13),  # c : f32 [ ] = add a 1.0 : f32 [ ]
    ("x.1 = f32[2,3]{1,0} parameter(0)", 19),
    ("1.5e-3 + v0_b", 3),
    ("", 0),
])
def test_tokenizer_splits_identifiers_numbers_and_punctuation(text, tokens):
    assert count_tokens(text) == tokens


def test_duplicates_are_renamed_copies_and_splits_come_from_meta(sampled, tmp_path):
    records = records_of(sampled)[:10]
    for position, record in enumerate(records):
        record["meta"].pop("canonical_hash", None)  # a file from before the hash was stored
        if position < 3:
            record["meta"]["split"] = "test"
        elif position < 5:
            record["meta"]["split"] = "valid"
    records[9]["meta"]["canonical_hash"] = canonical_hash(grammar_built(records[9]["python"], records[9]["function_name"]), records[9]["args"])
    copies = [renamed_copy(records[0]), renamed_copy(records[4])]
    assert copies[0]["python"] != records[0]["python"]
    path = write_records(tmp_path / "dups.jsonl", records + copies)
    stats = collect_stats(path)
    duplicates = stats.to_json()["duplicates"]
    assert duplicates == {"hashed_records": 12, "unique_programs": 10, "duplicate_records": 2,
                          "duplicate_rate": round(2 / 12, 6), "unhashable_records": 0, "hashes_from_meta": 1}
    splits = stats.to_json()["splits"]  # the copies keep their originals' splits: test and valid
    assert {k: v["count"] for k, v in splits.items()} == {"train": 5, "valid": 3, "test": 4}
    assert list(splits) == ["train", "valid", "test"]


def test_forward_only_records_are_measured_in_one_direction(sampled, tmp_path):
    records = records_of(sampled)[:4]
    records[0]["jaxpr"]["backward"] = None
    del records[1]["jaxpr"]["backward"]
    del records[2]["hlo"]
    summary = collect_stats(write_records(tmp_path / "fwd.jsonl", records)).to_json()
    assert summary["ir_lengths"]["jaxpr"]["forward"]["chars"]["count"] == 4
    assert summary["ir_lengths"]["jaxpr"]["backward"]["chars"]["count"] == 2
    assert summary["ir_lengths"]["hlo"]["forward"]["chars"]["count"] == 3


@pytest.mark.parametrize("change, fragment", [
    (lambda r: r.pop("category"), "missing key 'category'"),
    (lambda r: r.update(seed=-1), "'seed' is -1"),
    (lambda r: r.update(args=[]), "'args' must be a non-empty list"),
    (lambda r: r["args"][0].update(dtype="complex64"), "dtype 'complex64' is unknown"),
    (lambda r: r["meta"].pop("primitives"), "missing key 'meta.primitives'"),
    (lambda r: r["meta"].update(primitives=[1]), "list of strings"),
    (lambda r: r["meta"].update(n_statements="3"), "'meta.n_statements' must be int"),
    (lambda r: r["meta"].update(canonical_hash="XYZ"), "16 lowercase hex"),
    (lambda r: r["meta"].update(split="../train"), "'meta.split' '../train'"),
    (lambda r: r["meta"].update(forward_only=True), "'meta.forward_only' must be a text"),
    (lambda r: r.update(hlo="text"), "'hlo' must be an object"),
    (lambda r: r["jaxpr"].update(backward=3), "'jaxpr.backward' must be a text or null"),
    (lambda r: r.update(vmap={"in_axes": [], "axis_size": 2}), "'vmap.in_axes'"),
    (lambda r: r.update(vmap={"in_axes": [0] * len(r["args"]), "axis_size": 0}), "'vmap.axis_size'"),
    (lambda r: r.update(io=[]), "'io' must be an object"),
])
def test_each_bad_field_is_named(sampled, change, fragment):
    record = records_of(sampled)[0]
    change(record)
    with pytest.raises(SchemaError, match=re.escape(fragment)):
        check_record(record)


def test_bad_lines_are_skipped_and_counted_or_fatal_when_strict(sampled, tmp_path):
    lines = sampled.read_text().splitlines()[:5]
    no_meta = json.loads(lines[0])
    del no_meta["meta"]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines[:2] + ["{not json", json.dumps(no_meta), "[1, 2]"] + lines[2:]) + "\n")
    stats = collect_stats(path)
    assert (stats.records, stats.skipped_lines) == (5, 3)
    with pytest.raises(RecordError, match=r"mixed\.jsonl:3: malformed JSON"):
        collect_stats(path, strict=True)
    result = run_cli("stats", path)
    assert result.returncode == 0 and "5 records (3 bad lines skipped)" in result.stdout


def test_cli_json_has_every_key_and_text_has_every_table(sampled):
    result = run_cli("stats", sampled, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert list(summary) == ["file", "records", "skipped_lines", "categories", "dtypes", "ranks", "primitives",
                             "structure", "statements", "ir_lengths", "duplicates", "splits", "seeds", "jax_versions"]
    assert summary == json.loads(json.dumps(collect_stats(sampled).to_json()))
    assert list(summary["ir_lengths"]["hlo"]["backward"]) == ["chars", "lines", "tokens"]
    assert list(summary["statements"])[:8] == ["count", "min", "median", "mean", "p90", "p99", "max", "total"]
    text = run_cli("stats", sampled)
    assert text.returncode == 0
    for fragment in ("30 records", "unique canonical", "category", "dtype (of", "rank", "distinct",
                     "Python structure", "statements per program", "stablehlo", "tokens"):
        assert fragment in text.stdout


def test_plot_writes_non_empty_pngs(sampled, tmp_path):
    result = run_cli("stats", sampled, "--json", "--plot", tmp_path / "charts")
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)  # --json output stays one JSON document
    for name in PLOT_FILES:
        data = (tmp_path / "charts" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == sorted(PLOT_FILES)


def test_plotting_without_matplotlib_names_the_extra(sampled, tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'fuzzgen\[plot\]'"):
        write_plots(collect_stats(sampled), tmp_path / "charts")
    blocker = tmp_path / "no_matplotlib" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('matplotlib is hidden for this test')\n")
    result = run_cli("stats", sampled, "--plot", tmp_path / "charts", env={"PYTHONPATH": str(blocker.parent)})
    assert result.returncode == 2
    assert result.stderr.strip() == ("fuzzgen: error: --plot needs matplotlib, which is not installed; "
                                     "pip install 'fuzzgen[plot]'")
    assert result.stdout == "" and not (tmp_path / "charts").exists()


@pytest.mark.parametrize("content, flags, fragment", [
    (None, [], "does not exist"),
    (b"", [], "is empty"),
    (b"\n\n", [], "is empty"),
    ("directory", [], "is a directory"),
    (b"{oops\n[]\n", [], "no usable records"),
    (b'{"id": "x"}\n', [], "missing key 'seed'"),
    (b"{oops\n", ["--strict"], "in.jsonl:1: malformed JSON"),
    (b"\xff\xfe\x00", [], "not UTF-8"),
])
def test_bad_input_fails_in_one_line(tmp_path, content, flags, fragment):
    path = tmp_path / "in.jsonl"
    if content == "directory":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = run_cli("stats", path, *flags)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_plot_into_a_file_fails_in_one_line(sampled, tmp_path):
    (tmp_path / "taken").write_text("mine")
    result = run_cli("stats", sampled, "--plot", tmp_path / "taken")
    assert result.returncode == 2 and "is a file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert (tmp_path / "taken").read_text() == "mine"


STRUCTURED = (
    "def block(x, w, *, eps=1e-05):\n    return x @ w + eps\n\n\n"
    "def optimizer_0001(params, grads, x, *, use_bias=True):\n"
    "    v0 = jax.tree_util.tree_map(lambda p0, g1: p0 - 0.1 * g1, params, grads)\n"
    "    h = jax.vmap(lambda r: block(r, params['w']))(x)\n"
    "    if use_bias:\n        h = h + 1.0\n"
    "    for i in range(2):\n        h = jnp.tanh(h)\n"
    "    return v0, h\n"
)


@pytest.mark.parametrize("source, args, expected", [
    ("def f(a):\n    return jnp.sin(a)\n", [{"name": "a"}], set()),
    (STRUCTURED, [{"name": "params", "path": ["w"]}], {"helpers", "keyword_only", "if", "for", "tree_args",
                                                      "tree_results", "tree_maps", "transforms"}),
    ("def f(g):\n    v0 = jax.tree.map(lambda t: t * 0.9, g)\n    return v0\n", [{"name": "g", "path": ["w"]}],
     {"tree_args", "tree_maps", "tree_results"}),
    ("def f(a):\n    v0, v1 = jax.tree.map(lambda t: t * 0.9, (a, a))\n    return v0 + v1\n", [{"name": "a"}],
     set()),  # the registry's tuple form: no whole tree, and one value returned
    ("def f(a):\n    return {'w': a}\n", [{"name": "a"}], {"tree_results"}),
    ("def f(params, x):\n    v0, v1 = jax.value_and_grad(lambda p0: jnp.sum(x @ p0['w']))(params)\n"
     "    v2 = jax.tree.map(lambda p1, g2: p1 - 0.1 * g2, params, v1)\n    return v0, v2\n",
     [{"name": "params", "path": ["w"]}, {"name": "x"}],
     {"tree_args", "tree_gradients", "tree_maps", "tree_results", "transforms"}),
    ("def f(params):\n    v0 = jax.grad(lambda p0: jnp.sum(p0['w']))(params)\n    return v0\n",
     [{"name": "params", "path": ["w"]}], {"tree_args", "tree_gradients", "tree_results", "transforms"}),
    ("def f(a):\n    v0 = jax.grad(lambda t: jnp.sum(t))(a)\n    return v0\n", [{"name": "a"}],
     {"transforms"}),  # the gradient of an array: no tree
    ("def f(a:\n", [{"name": "a"}], None),
    ("(" * 200 + ")" * 200, [], None),
])
def test_structure_features_are_read_off_the_source_without_running_it(source, args, expected):
    from fuzzgen.dataset.structure import structure_features

    found = structure_features(source, args)
    assert (None if found is None else set(found)) == expected


def test_the_structure_table_counts_records_by_hand(tmp_path, sampled):
    from fuzzgen.dataset.structure import FEATURES, structure_features

    records = records_of(sampled)
    helper = "def helper_0(x):\n    return x\n\n\ndef "
    records[0] = {**records[0], "python": records[0]["python"].replace("def ", helper, 1)}
    path = write_records(tmp_path / "edited.jsonl", records)
    summary = collect_stats(path).to_json()["structure"]
    assert list(summary) == list(FEATURES)
    for feature in FEATURES:
        by_hand = sum(feature in (structure_features(r["python"], r["args"]) or ()) for r in records)
        assert summary[feature]["count"] == by_hand
    assert summary["helpers"]["count"] >= 1
    assert max(map(len, FEATURES.values())) <= 42  # the text table's name column
