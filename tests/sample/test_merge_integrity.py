"""merge joins shards only as they were written (issue 18, classes 4-6): content checked against
the sha256 each shard's run file records, run files validated, nothing beside OUT clobbered."""
import json
import shutil

import pytest

from fuzzgen.sample import Progress, SampleConfig, Shard, run_sample

from helpers import snapshot
from inprocess import run_main

CONFIG = SampleConfig(seed=13, ir=("jaxpr",))
N = 30


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    for i in range(3):
        run_sample(root / f"part{i}.jsonl", N, CONFIG, shard=Shard(i, 3), workers=0, progress=Progress(10, quiet=True))
    run_sample(root / "whole.jsonl", N, CONFIG, workers=0, progress=Progress(N, quiet=True))
    return root


@pytest.fixture()
def copy(shards, tmp_path):
    for path in shards.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def merge(capsys, directory, *extra):
    parts = [directory / f"part{i}.jsonl" for i in range(3)]
    return run_main(capsys, "merge", directory / "merged.jsonl", *parts, *extra)


def test_untouched_shards_merge_to_the_unsharded_bytes(copy, capsys):
    status, _, err = merge(capsys, copy)
    assert status == 0, err
    assert (copy / "merged.jsonl").read_bytes() == (copy / "whole.jsonl").read_bytes()


def edit_meta(directory, change):
    path = directory / "part1.jsonl.meta.json"
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta))


ATTACKS = {
    "one_word_changed_in_a_shard": (lambda d: (d / "part1.jsonl").write_text(
        (d / "part1.jsonl").read_text().replace("jnp.", "lax.", 1)), "changed since it was written"),
    "a_line_dropped_from_a_shard": (lambda d: (d / "part2.jsonl").write_text(
        "".join((d / "part2.jsonl").read_text().splitlines(keepends=True)[1:])), "changed since it was written"),
    "shard_meta_zero_of_zero": (lambda d: edit_meta(d, lambda m: m["identity"].update(shard=[0, 0])),
                                "is not [I, N] with 0 <= I < N"),
    "shard_meta_not_a_pair": (lambda d: edit_meta(d, lambda m: m["identity"].update(shard=5)),
                              "is not [I, N] with 0 <= I < N"),
    "identity_not_an_object": (lambda d: edit_meta(d, lambda m: m.update(identity="x")), "has been edited"),
    "records_not_a_count": (lambda d: edit_meta(d, lambda m: m.update(records="x")), "'records' is not a count"),
    "complete_as_a_string": (lambda d: edit_meta(d, lambda m: m.update(complete="yes")), "is incomplete"),
    "failures_file_planted": (lambda d: (d / "part0.jsonl.failures.jsonl").write_text('{"index": 1}\n'),
                              "changed since the shard was written"),
    "an_interrupted_run_beside_out": (lambda d: (d / "merged.jsonl.partial").write_text("mine\n"), "already exists"),
    "a_run_file_beside_out": (lambda d: (d / "merged.jsonl.meta.json").write_text("{}"), "already exists"),
}


@pytest.mark.parametrize("attack, fragment", list(ATTACKS.values()), ids=list(ATTACKS))
def test_merge_refuses_with_one_line_and_touches_nothing(copy, capsys, attack, fragment):
    attack(copy)
    before = snapshot(copy)
    status, _, err = merge(capsys, copy)
    assert status == 2 and len(err.strip().splitlines()) == 1 and fragment in err, err
    assert "Traceback" not in err
    assert snapshot(copy) == before
