"""One record schema: every reader accepts and refuses the same records, for the same reason."""
import json

import pytest

from fuzzgen.records.corpus import parse_case
from fuzzgen.records.dataset import check_record
from fuzzgen.records.jsonl import RecordError
from fuzzgen.records.schema import META_FIELD_NAMES, SAMPLE_FIELD_NAMES, SchemaError, located
from fuzzgen.sample import SampleConfig, make_record, program_for_index
from fuzzgen.ir import ALL_IR_KINDS


@pytest.fixture(scope="module")
def record():
    config = SampleConfig(seed=4, ir=ALL_IR_KINDS, io=True, splits=(("train", 0.5), ("test", 0.5)),
                          categories=("vmap",))
    return make_record(config, 0, program_for_index(config, 0))


def test_a_record_holds_the_schema_fields_in_the_schema_order(record):
    assert list(record) == [name for name in SAMPLE_FIELD_NAMES if name in record]
    assert set(record) == set(SAMPLE_FIELD_NAMES)  # every IR kind, io and vmap were asked for
    assert list(record["meta"]) == [name for name in META_FIELD_NAMES if name in record["meta"]]


BAD = {
    "vmap axis beyond the argument's rank": lambda r: r["vmap"].update(in_axes=[9] * len(r["args"])),
    "vmap size unlike the batched axis": lambda r: r["vmap"].update(axis_size=r["vmap"]["axis_size"] + 1),
    "IR pair without forward": lambda r: r["jaxpr"].pop("forward"),
    "IR pair with a stray key": lambda r: r["hlo"].update(sideways="x"),
    "forward_only not a text": lambda r: r["meta"].update(forward_only=1),
    "bad dtype": lambda r: r["args"][0].update(dtype="complex64"),
}


@pytest.mark.parametrize("change", list(BAD.values()), ids=list(BAD))
def test_dataset_tools_and_replay_refuse_the_same_records_alike(record, change):
    broken = json.loads(json.dumps(record))
    change(broken)
    with pytest.raises(SchemaError) as dataset_view:
        check_record(broken)
    with pytest.raises(RecordError) as corpus_view:
        parse_case("cases.jsonl", 3, broken)
    assert str(corpus_view.value) == f"cases.jsonl:3: {dataset_view.value}"


def test_both_accept_a_backward_that_is_null_or_absent(record):
    for mutate in (lambda pair: pair.update(backward=None), lambda pair: pair.pop("backward")):
        changed = json.loads(json.dumps(record))
        mutate(changed["jaxpr"])
        check_record(changed)
        assert "forward" in parse_case("c.jsonl", 1, changed).texts["jaxpr"]


def test_located_adds_file_and_line_once():
    with pytest.raises(RecordError, match=r"^x\.jsonl:7: 'args' must be"):
        with located("x.jsonl", 7):
            raise SchemaError("'args' must be a non-empty list")
