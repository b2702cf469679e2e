"""Parquet export: hub-style shards that pyarrow loads, matching the JSONL, and a dataset card."""
import json
import sys

import pyarrow.json
import pyarrow.parquet as pq
import pytest
import yaml  # a dependency of libcst, so always there; the card itself is written without it

from fuzzgen.program.canonical import canonical_hash
from fuzzgen.trust import grammar_built
from fuzzgen.dataset.card import to_yaml
from fuzzgen.extras import MissingExtraError
from fuzzgen.records.atomic import OutputError
from fuzzgen.dataset.parquet import export_parquet
from fuzzgen.records.jsonl import RecordError
from helpers import snapshot

SPLITS = {0: "test", 1: "valid", 2: "valid"}  # by index; every other record is train (some explicitly)


@pytest.fixture(scope="module")
def sampled(tmp_path_factory, small_sample):
    """30 records, a few assigned to valid and test the way `--split` writes them."""
    directory = tmp_path_factory.mktemp("parquet")
    records = [json.loads(line) for line in small_sample.read_text().splitlines()]
    for record in records:
        split = SPLITS.get(record["index"] % 10)
        if split or record["index"] % 2:
            record["meta"]["split"] = split or "train"
    out = directory / "data.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    return out


def jsonl_records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def read_split(out_dir, split):
    files = sorted((out_dir / "data").glob(f"{split}-*.parquet"))
    return pyarrow.concat_tables([pq.read_table(f) for f in files]) if files else None


def front_matter(card_text):
    assert card_text.startswith("---\n")
    header, _, body = card_text[4:].partition("\n---\n")
    return yaml.safe_load(header), body


def test_shards_load_with_pyarrow_and_match_the_jsonl(sampled, tmp_path):
    out = tmp_path / "dataset"
    export = export_parquet(sampled, out, rows_per_shard=7)
    records = jsonl_records(sampled)
    assert export.records == 30 and export.skipped_lines == 0
    assert export.describe().startswith(f"exported 30 records (train {export.splits['train'].num_examples}, valid ")
    from_json = pyarrow.json.read_json(sampled)  # the JSONL itself loads with pyarrow's JSON reader
    assert from_json.num_rows == 30 and from_json.column("id").to_pylist() == [r["id"] for r in records]
    by_split = {}
    for record in records:
        by_split.setdefault(record["meta"].get("split", "train"), []).append(record)
    assert list(export.splits) == ["train", "valid", "test"]
    for split, expected in by_split.items():
        table = read_split(out, split)
        assert table.num_rows == len(expected) == export.splits[split].num_examples
        rows = table.to_pylist()
        assert [row["id"] for row in rows] == [r["id"] for r in expected]
        for row, record in zip(rows, expected):
            assert row["python"] == record["python"] and row["category"] == record["category"]
            assert row["args"] == record["args"]
            assert row["primitives"] == record["meta"]["primitives"]
            assert row["n_statements"] == record["meta"]["n_statements"]
            assert row["canonical_hash"] == canonical_hash(grammar_built(record["python"], record["function_name"]), record["args"])
            for kind in ("jaxpr", "stablehlo", "hlo"):
                assert row[f"{kind}_forward"] == record[kind]["forward"]
                assert row[f"{kind}_backward"] == record[kind]["backward"]
    train_files = sorted(p.name for p in (out / "data").glob("train-*"))
    shards = -(-len(by_split["train"]) // 7)
    assert train_files == [f"train-{i:05d}-of-{shards:05d}.parquet" for i in range(shards)]
    assert all(pq.read_metadata(out / "data" / name).num_rows <= 7 for name in train_files)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "data"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_dataset_card_front_matter_lists_splits_features_and_sizes(sampled, tmp_path):
    out = tmp_path / "dataset"
    export = export_parquet(sampled, out)
    card, body = front_matter((out / "README.md").read_text())
    assert card["license"] == "apache-2.0"
    assert card["task_categories"] == ["text-generation"] and "jax" in card["tags"]
    assert card["size_categories"] == ["n<1K"]
    assert card["configs"] == [{"config_name": "default", "data_files": [
        {"split": "train", "path": "data/train-*"}, {"split": "validation", "path": "data/valid-*"},
        {"split": "test", "path": "data/test-*"}]}]
    info = card["dataset_info"]
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {  # named as `datasets` names the files
        hub: len(pq.read_table(out / "data" / f"{name}-00000-of-00001.parquet"))
        for name, hub in (("train", "train"), ("valid", "validation"), ("test", "test"))}
    assert sum(s["num_examples"] for s in info["splits"]) == 30
    assert all(s["num_bytes"] > 0 for s in info["splits"])
    assert info["download_size"] == sum(p.stat().st_size for p in (out / "data").iterdir())
    schema = pq.read_schema(out / "data" / "train-00000-of-00001.parquet")
    assert [f["name"] for f in info["features"]] == schema.names == list(export.columns)
    features = {f["name"]: {k: v for k, v in f.items() if k != "name"} for f in info["features"]}
    assert features["python"] == {"dtype": "string"} and features["primitives"] == {"list": "string"}
    assert features["args"] == {"list": [{"name": "name", "dtype": "string"}, {"name": "shape", "list": "int32"},
                                         {"name": "dtype", "dtype": "string"}]}
    assert 'load_dataset("parquet", data_dir=' in body
    assert "fuzzgen 0.1.0" in body and "seeds: 11" in body and "| matmul | 3 | 10.0% |" in body
    assert f"{export.stats.to_json()['primitives']['distinct']} distinct primitives" in body


def test_card_is_the_same_for_the_same_input(sampled, tmp_path):
    export_parquet(sampled, tmp_path / "a")
    export_parquet(sampled, tmp_path / "b")
    assert (tmp_path / "a" / "README.md").read_bytes() == (tmp_path / "b" / "README.md").read_bytes()


def test_forward_only_records_and_execution_data(sampled, tmp_path):
    records = jsonl_records(sampled)[:3]
    for record in records:
        del record["stablehlo"], record["meta"]["split"]
    records[0]["jaxpr"]["backward"] = None
    records[0]["hlo"]["backward"] = None
    records[0]["meta"]["forward_only"] = "reverse-mode differentiation does not exist through lax.while_loop"
    records[1]["io"] = {"input_seed": 7, "outputs": [{"shape": [], "dtype": "float32"}], "gradients": None}
    records[2]["meta"]["extra_flag"] = True
    records[2]["args"][0]["shape"] = [3] + records[2]["args"][0]["shape"]  # batched along axis 0, as vmap says
    records[2]["vmap"] = {"in_axes": [0] + [None] * (len(records[2]["args"]) - 1), "axis_size": 3}
    source = tmp_path / "fwd.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    export = export_parquet(source, tmp_path / "out")
    table = pq.read_table(tmp_path / "out" / "data" / "train-00000-of-00001.parquet")
    assert "stablehlo_forward" not in table.column_names
    assert table.column("jaxpr_backward").to_pylist()[0] is None
    assert [json.loads(x) if x else None for x in table.column("io").to_pylist()] == [None, records[1]["io"], None]
    assert table.column("forward_only").to_pylist() == [records[0]["meta"]["forward_only"], None, None]
    assert table.column("vmap_in_axes").to_pylist() == [None, None, records[2]["vmap"]["in_axes"]]
    assert table.column("vmap_axis_size").to_pylist() == [None, None, 3]
    assert export.dropped_fields == ("meta.extra_flag",)
    card, _ = front_matter((tmp_path / "out" / "README.md").read_text())
    assert [f["name"] for f in card["dataset_info"]["features"]] == table.column_names


def test_an_existing_directory_is_never_clobbered_without_force(sampled, tmp_path):
    out = tmp_path / "dataset"
    export_parquet(sampled, out)
    (tmp_path / "made_by_mkdir").mkdir()
    assert out.stat().st_mode == (tmp_path / "made_by_mkdir").stat().st_mode  # not a private 0700 temp dir
    before = snapshot(out)
    with pytest.raises(OutputError, match="is not empty; pass --force"):
        export_parquet(sampled, out, rows_per_shard=5)
    assert snapshot(out) == before
    export_parquet(sampled, out, rows_per_shard=20, force=True)  # a previous export is replaced whole
    assert len(list((out / "data").glob("train-*"))) == 2 and snapshot(out) != before
    (out / "notes.txt").write_text("mine")
    mine = snapshot(out)
    with pytest.raises(OutputError, match=r"not a fuzzgen export \(notes.txt\)"):
        export_parquet(sampled, out, force=True)
    assert snapshot(out) == mine
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        export_parquet(sampled, tmp_path / "file")


def test_bad_input_leaves_nothing_behind(sampled, tmp_path):
    source = tmp_path / "bad.jsonl"
    source.write_text(sampled.read_text() + "{torn\n")
    with pytest.raises(RecordError, match=r"bad\.jsonl:31: malformed JSON"):
        export_parquet(source, tmp_path / "out", strict=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]
    export = export_parquet(source, tmp_path / "out")  # not strict: the torn line is skipped and counted
    assert (export.records, export.skipped_lines) == (30, 1)
    with pytest.raises(RecordError, match="does not exist"):
        export_parquet(tmp_path / "missing.jsonl", tmp_path / "out2")
    with pytest.raises(ValueError, match="rows_per_shard=0"):
        export_parquet(source, tmp_path / "out3", rows_per_shard=0)


def test_missing_pyarrow_names_the_extra(sampled, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError, match=r"^Parquet export needs pyarrow.*pip install 'fuzzgen\[parquet\]'$"):
        export_parquet(sampled, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", [
    {"plain": "data/train-*", "quoted": "fuzzgen: a title", "number-like": "1K<n<10K", "word": "yes",
     "empty": [], "nested": [{"name": "a", "list": [{"name": "b", "dtype": "int32"}]}], "n": 3, "none": None},
])
def test_yaml_writer_round_trips_through_a_real_parser(value):
    assert yaml.safe_load("\n".join(to_yaml(value))) == value


def test_an_interrupted_export_leaves_the_old_one_whole(sampled, tmp_path, monkeypatch):
    import fuzzgen.dataset.parquet as parquet_export

    out = tmp_path / "dataset"
    export_parquet(sampled, out)
    before = snapshot(out)
    rows = []

    def interrupted(*args):
        if len(rows) == 12:
            raise KeyboardInterrupt
        rows.append(args)
        return real(*args)

    real = parquet_export.record_row
    monkeypatch.setattr(parquet_export, "record_row", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_parquet(sampled, out, rows_per_shard=4, force=True)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]
