"""Tree records end to end (issue 14, item 1): a sample whose programs take a ``params`` pytree
or return several values (optimizer updates over whole trees, with their state) is
byte-identical across worker counts, shards and resume, and `validate`, `replay`, `stats` and
the Parquet export read it back leaf by leaf; every returned value is stored; the oracles judge
every leaf of arguments and results."""
import json

import pytest

from fuzzgen.sample.draw import SampleConfig
from fuzzgen.sample.run import Shard, run_sample

from inprocess import run_main

# norm, layer and attention take their learned arrays as a params tree half the time; optimizer
# updates map over whole parameter trees (40%) and return their new state beside them
CONFIG = SampleConfig(seed=21, ir=("jaxpr", "stablehlo", "hlo"), categories=("layer", "norm", "attention", "optimizer"),
                      io=True)
COUNT = 12


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def tree_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("trees") / "trees.jsonl"
    run_sample(out, COUNT, CONFIG, workers=0)
    return out


def test_the_sample_holds_tree_records_whose_leaves_are_inputs_of_the_ir(tree_sample):
    records = _records(tree_sample)
    with_trees = [r for r in records if any("path" in a for a in r["args"])]
    assert len(with_trees) >= 3, "the fixture's categories drew too few tree programs"
    for record in with_trees:
        header = next(line for line in record["python"].splitlines()
                      if line.startswith(f"def {record['function_name']}("))  # after any helpers
        tree_names = {a["name"] for a in record["args"] if "path" in a}
        assert all(f"{name}" in header for name in tree_names)
        # one jaxpr input per leaf, in the order the record lists them
        main = next(line for line in record["stablehlo"]["forward"].splitlines() if "func.func public @main(" in line)
        assert main.count("%arg") == len(record["args"])
        # io holds a gradient for every floating leaf
        floating = [a for a in record["args"] if a["dtype"].startswith(("float", "bfloat"))]
        assert len(record["io"]["gradients"]) == len(floating)


@pytest.mark.slow
def test_workers_shards_and_resume_give_the_same_bytes(tmp_path, tree_sample, capsys):
    reference = tree_sample.read_bytes()
    two = tmp_path / "w2.jsonl"
    run_sample(two, COUNT, CONFIG, workers=2)
    assert two.read_bytes() == reference, "--workers 2 differs from a single-process run"

    shards = []
    for index in (0, 1):
        path = tmp_path / f"shard{index}.jsonl"
        run_sample(path, COUNT, CONFIG, shard=Shard(index, 2), workers=0)
        shards.append(path)
    status, out, err = run_main(capsys, "merge", tmp_path / "merged.jsonl", *shards)
    assert status == 0, out + err
    assert (tmp_path / "merged.jsonl").read_bytes() == reference

    resumed = tmp_path / "resumed.jsonl"
    run_sample(resumed, COUNT, CONFIG, workers=0)
    meta_path = resumed.with_name(resumed.name + ".meta.json")
    meta = json.loads(meta_path.read_text())
    lines = reference.splitlines(keepends=True)
    resumed.with_name(resumed.name + ".partial").write_bytes(b"".join(lines[:5]) + lines[5][:40])
    resumed.unlink()
    meta["complete"] = False
    meta_path.write_text(json.dumps(meta))
    summary = run_sample(resumed, COUNT, CONFIG, workers=0, resume=True)
    assert summary.resumed_from == 5
    assert resumed.read_bytes() == reference


@pytest.mark.slow
def test_validate_replay_and_stats_read_tree_records(tree_sample, capsys):
    status, out, err = run_main(capsys, "validate", tree_sample, "--workers", 1, "--quiet")
    assert status == 0, out + err
    status, out, err = run_main(capsys, "replay", tree_sample)
    assert status == 0 and f"{COUNT} same" in out, out + err
    status, out, err = run_main(capsys, "stats", tree_sample, "--json")
    assert status == 0, out + err
    assert json.loads(out)["records"] == COUNT


def test_a_changed_leaf_shape_is_caught_by_validate(tmp_path, tree_sample, capsys):
    records = _records(tree_sample)
    target = next(i for i, r in enumerate(records) if any("path" in a and a["shape"] for a in r["args"]))
    leaf = next(a for a in records[target]["args"] if "path" in a and a["shape"])
    leaf["shape"] = [d + 1 for d in leaf["shape"]]
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(json.dumps(r) + "\n" for r in records[:target + 1]))
    status, out, err = run_main(capsys, "validate", edited, "--workers", 1, "--quiet", "--roundtrip-every", 0)
    assert status != 0
    assert f"edited.jsonl:{target + 1}: id:" in out + err and f"edited.jsonl:{target + 1}: jaxpr:" in out + err, out + err


def test_parquet_keeps_every_leaf_path(tmp_path, tree_sample, capsys):
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "parquet"
    status, stdout, err = run_main(capsys, "export", tree_sample, out, "--format", "parquet")
    assert status == 0, stdout + err
    table = pyarrow_parquet.read_table(sorted(out.rglob("*.parquet")))
    rows = table.to_pylist()
    records = _records(tree_sample)
    assert len(rows) == len(records)
    by_id = {row["id"]: row for row in rows}
    for record in records:
        row = by_id[record["id"]]
        stored = row["args"] if isinstance(row["args"], list) else json.loads(row["args"])
        # positions are stored in decimal: a dict key is an identifier, so never "0"
        paths = [[int(k) if k.isdigit() else k for k in a["path"] or []] for a in stored]
        assert paths == [a.get("path", []) for a in record["args"]]
        assert [a["name"] for a in stored] == [a["name"] for a in record["args"]]


@pytest.mark.slow
def test_every_oracle_judges_every_leaf_of_tree_programs():
    """Every oracle on tree programs of stock JAX (tree arguments, tree results, and both): no
    false alarm, and every leaf is an input or a value judged."""
    from fuzzgen.oracles import ORACLE_NAMES, Subject, run_oracles
    from fuzzgen.program import RandomChooser, build_program

    judged = set()
    for seed in range(60):
        program = build_program(RandomChooser(seed), ("layer", "norm", "attention", "optimizer")[seed % 4])
        form = ("results" if len(program.result_types) > 1 else "") + \
            ("args" if any(a.path for a in program.args) else "")
        if not form or form in judged:
            continue
        verdicts = run_oracles(Subject(program.spec), ORACLE_NAMES, seed=seed)
        failed = [v for v in verdicts if v.failed]
        assert not failed, (program.source, [(v.oracle, v.details) for v in failed])
        judged.add(form)
        if len(judged) == 3:  # tree arguments, tree results, and both (a map over whole trees)
            return
    raise AssertionError(f"too few tree programs drawn: {judged}")


def test_a_record_stores_every_value_of_a_tree_result(tree_sample):
    from fuzzgen.lowering.execution import abstract_inputs
    from fuzzgen.program.trees import with_leaves
    from fuzzgen.records.schema import parse_args
    from fuzzgen.trust import check_program
    from fuzzgen.trust.sandbox import load_function
    import jax

    records = _records(tree_sample)
    several = 0
    for record in records:
        args = parse_args(record["args"])
        checked = check_program(record["python"], record["function_name"], args)
        function = with_leaves(load_function(checked.source), args)
        values = jax.tree_util.tree_leaves(jax.eval_shape(function, *abstract_inputs(args)))
        assert [o["shape"] for o in record["io"]["outputs"]] == [list(v.shape) for v in values], record["python"]
        main = next(line for line in record["stablehlo"]["forward"].splitlines() if "func.func public @main(" in line)
        assert main.split("->")[1].count("tensor<") == len(values), record["python"]
        several += len(values) > 1
    assert several >= 2, "the fixture's categories drew too few tree results"
