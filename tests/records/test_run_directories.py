"""A `--engine ray` output directory is accepted wherever a JSONL file is (issue 17.10)."""
import json

import pytest

from fuzzgen.records.atomic import read_meta
from fuzzgen.sample.ray.manifest import new_manifest, plan_shards, write_manifest, write_shard

from helpers import run_cli
from inprocess import run_main


@pytest.fixture()
def run_directory(tmp_path, small_sample):
    """The small sample as the Ray engine lays it out: shards of 8 records and a manifest."""
    lines = small_sample.read_text().splitlines(keepends=True)
    out_dir = tmp_path / "run"
    out_dir.mkdir()
    spans = plan_shards(len(lines), 8)
    manifest = new_manifest(read_meta(small_sample)["identity"], 8, len(spans))
    for span in spans:
        manifest["shards"].append(write_shard(out_dir, span, lines[span.start:span.stop], []))
    manifest["complete"] = True
    write_manifest(out_dir, manifest)
    return out_dir


@pytest.mark.slow
def test_stats_validate_replay_and_export_read_it_as_the_merged_file(tmp_path, small_sample, run_directory, capsys):
    def fuzzgen(*argv):  # in this process: six commands, without a JAX import each
        status, out, err = run_main(capsys, *argv)
        assert status == 0, out + err
        return out

    from_file = json.loads(fuzzgen("stats", small_sample, "--json"))
    from_dir = json.loads(fuzzgen("stats", run_directory, "--json"))
    assert {k: v for k, v in from_dir.items() if k != "file"} == {k: v for k, v in from_file.items() if k != "file"}
    fuzzgen("validate", run_directory, "--workers", 1, "--roundtrip-every", 0, "--quiet")
    replayed = fuzzgen("replay", run_directory)
    assert "30 same" in replayed, replayed
    assert "shard-00001.jsonl" in replayed  # cases are named by their shard file
    for source, out in ((small_sample, tmp_path / "a.jsonl"), (run_directory, tmp_path / "b.jsonl")):
        fuzzgen("export", source, out, "--format", "seed")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_merge_of_a_run_directory_is_the_local_engines_file(tmp_path, small_sample, run_directory):
    result = run_cli("merge", tmp_path / "merged.jsonl", run_directory)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "merged.jsonl").read_bytes() == small_sample.read_bytes()


def test_a_tampered_shard_is_refused_with_one_line(run_directory):
    shard = run_directory / "shard-00001.jsonl"
    shard.write_text(shard.read_text().replace("jnp.", "lax.", 1))
    for argv in (("stats", run_directory), ("validate", run_directory, "--quiet")):
        result = run_cli(*argv)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "does not match its sha256" in result.stderr
