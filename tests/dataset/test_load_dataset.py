"""``datasets.load_dataset`` reads an exported model-code sample as the JSONL holds it: params trees
(each leaf's path), helpers before the program, every IR text (issue 14's done-means).

Runs where Hugging Face ``datasets`` is installed (``pip install datasets``; it is no dependency of
fuzzgen, and the README's test command does not install it), and skips elsewhere.
"""
import json

import pytest

from fuzzgen.dataset.parquet import export_parquet
from fuzzgen.sample import Progress, SampleConfig, run_sample

datasets = pytest.importorskip("datasets")

CONFIG = SampleConfig(seed=0, categories=("layer", "norm", "attention"), weights=None)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hf")
    sample = directory / "sample.jsonl"
    run_sample(sample, 12, CONFIG, workers=0, progress=Progress(12, quiet=True))
    export_parquet(sample, directory / "dataset")
    return [json.loads(line) for line in sample.read_text().splitlines()], directory / "dataset"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["data_dir", "card"])
def test_load_dataset_gives_back_every_record(exported, how):
    records, directory = exported
    loaded = (datasets.load_dataset("parquet", data_dir=str(directory / "data")) if how == "data_dir"
              else datasets.load_dataset(str(directory)))["train"]
    assert len(loaded) == len(records)
    by_id = {r["id"]: r for r in records}
    assert sum(any("path" in a for a in r["args"]) for r in records) >= 3
    assert sum(r["python"].count("\ndef ") >= 1 for r in records) >= 2
    for row in loaded:
        record = by_id[row["id"]]
        assert (row["python"], row["function_name"], row["category"]) == (
            record["python"], record["function_name"], record["category"])
        for got, want in zip(row["args"], record["args"], strict=True):
            assert (got["name"], got["shape"], got["dtype"]) == (want["name"], want["shape"], want["dtype"])
            assert got["path"] == ([str(k) for k in want["path"]] if "path" in want else None)
        for kind in ("jaxpr", "stablehlo", "hlo"):
            for direction in ("forward", "backward"):
                assert row[f"{kind}_{direction}"] == record[kind][direction]
