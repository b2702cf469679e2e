"""The `fuzzgen sample` command line: help, summaries, and one-line errors that touch nothing."""
import json

import pytest

from helpers import run_cli, snapshot


def test_help_explains_every_flag():
    result = run_cli("sample", "--help")
    assert result.returncode == 0
    for flag in ("--n", "--out", "--seed", "--ir", "--categories", "--workers", "--timeout", "--shard",
                 "--force", "--resume", "--quiet"):
        assert flag in result.stdout


def test_top_level_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0 and "sample" in result.stdout


def test_sample_writes_records_and_a_summary(tmp_path):
    out = tmp_path / "data.jsonl"
    result = run_cli("sample", "--n", 12, "--out", out, "--seed", 12345, "--ir", "jaxpr,stablehlo,hlo",
                     "--workers", 1)
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 12 and all(json.loads(line)["seed"] == 12345 for line in lines)
    assert "wrote 12 records" in result.stdout and "records/s" in result.stdout
    assert "elementwise" in result.stdout
    assert not (tmp_path / "data.jsonl.partial").exists()


@pytest.mark.parametrize("args, fragment", [
    (["--n", "-1"], "--n -1 must be"),
    (["--n", "zero"], "not an integer"),
    (["--ir", "foo"], "unknown foo"),
    (["--ir", ""], "empty"),
    (["--categories", "nope"], "unknown nope"),
    (["--categories", "dot,dot"], "twice"),
    (["--seed", "-3"], "--seed -3"),
    (["--shard", "5/3"], "--shard '5/3'"),
    (["--shard", "x"], "I/N"),
    (["--workers", "-2"], "--workers -2"),
    (["--timeout", "0"], "positive"),
    (["--bogus"], "unrecognized"),
    (["--force", "--resume"], "not allowed with"),
])
def test_bad_values_fail_in_one_line(tmp_path, args, fragment):
    (tmp_path / "keep.txt").write_text("mine")
    before = snapshot(tmp_path)
    result = run_cli("sample", "--out", tmp_path / "o.jsonl", *args)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


def test_existing_output_is_never_overwritten_without_force(tmp_path):
    out = tmp_path / "data.jsonl"
    out.write_text("precious\n")
    result = run_cli("sample", "--n", 2, "--out", out, "--workers", 0)
    assert result.returncode == 2
    assert "--force" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert out.read_text() == "precious\n"
    forced = run_cli("sample", "--n", 2, "--out", out, "--workers", 0, "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(out.read_text().splitlines()) == 2


def test_output_into_a_missing_directory_is_a_clear_error(tmp_path):
    result = run_cli("sample", "--n", 2, "--out", tmp_path / "nope" / "x.jsonl", "--workers", 0)
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_output_that_is_a_directory_is_a_clear_error(tmp_path):
    result = run_cli("sample", "--n", 2, "--out", tmp_path, "--workers", 0)
    assert result.returncode == 2 and "is a directory" in result.stderr
