"""Hypothesis feeds the readers arbitrary bytes and mutated real records (issue 18): replay,
validate, stats, export and merge, in this process, must end with exit status 0, 1 or 2, never
an exception. `FUZZGEN_READER_EXAMPLES=N` runs N examples per test (the README says how long
it ran once)."""
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pytest

from helpers import ROOT
from inprocess import run_main

EXAMPLES = int(os.environ.get("FUZZGEN_READER_EXAMPLES", "0")) or None
REAL = [json.loads(line) for line in (ROOT / "corpus" / "regression.jsonl").read_text().splitlines()[:5]]
SAMPLE_FIELDS = {"seed": 0, "index": 0, "meta": {"jax_version": "0.10.2", "primitives": [], "n_statements": 2}}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


@st.composite
def mutated_records(draw):
    record = json.loads(json.dumps({**draw(st.sampled_from(REAL)), **SAMPLE_FIELDS}))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(record)))
        how = draw(st.sampled_from(["delete", "replace", "edit_text", "nest"]))
        if how == "delete":
            record.pop(key)
        elif how == "replace":
            record[key] = draw(json_values)
        elif how == "edit_text" and isinstance(record[key], str) and record[key]:
            text = record[key]
            at = draw(st.integers(0, len(text) - 1))
            record[key] = text[:at] + draw(st.text(max_size=3)) + text[at + draw(st.integers(0, 3)):]
        elif how == "nest" and isinstance(record[key], dict) and record[key]:
            inner = draw(st.sampled_from(sorted(record[key])))
            record[key][inner] = draw(json_values)
    return (json.dumps(record) + "\n").encode("utf-8", "surrogatepass")


def commands(path, out):
    return [["stats", path], ["export", path, out, "--format", "seed", "--force"],
            ["merge", out.with_name("merged.jsonl"), path, "--force"]]


def feed(tmp_path, capsys, data: bytes) -> None:
    """The commands in this process; replay and validate through their library calls without
    the isolated worker the CLI adds, so a crash cannot hide behind it."""
    from fuzzgen.dataset.validate import validate_file
    from fuzzgen.errors import FuzzgenError
    from fuzzgen.replay import replay_paths

    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    path.write_bytes(data)
    path.with_name(path.name + ".meta.json").unlink(missing_ok=True)
    for argv in commands(path, out):
        status, _, err = run_main(capsys, *map(str, argv))
        assert status in (0, 1, 2), (argv, status, err[-500:])
        assert "Traceback" not in err
    for call in (lambda: replay_paths([path]), lambda: replay_paths([path], strict=True),
                 lambda: validate_file(path, roundtrip_every=0, workers=1, timeout=None)):
        try:
            call()
        except FuzzgenError:
            pass  # bad input, said in one line


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                database=None)


@settings(max_examples=EXAMPLES or 40, **SETTINGS)
@given(data=st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes_never_crash_a_reader(tmp_path, capsys, data):
    feed(tmp_path, capsys, data)


@pytest.mark.slow
@settings(max_examples=EXAMPLES or 30, **SETTINGS)
@given(data=mutated_records())
def test_mutated_real_records_never_crash_a_reader(tmp_path, capsys, data):
    feed(tmp_path, capsys, data)
