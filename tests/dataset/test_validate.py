"""`fuzzgen validate`: every IR kind checked the strongest way, corruptions named by file:line."""
import json
import re

import pytest

from fuzzgen.sample.run import run_sample
from fuzzgen.sample.draw import SampleConfig
from helpers import run_cli
from inprocess import run_main

ALL_KINDS = ("jaxpr", "stablehlo", "hlo", "hlo_opt", "stablehlo_export")


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    out = tmp_path_factory.mktemp("validate") / "all.jsonl"
    run_sample(out, 12, SampleConfig(seed=21, ir=ALL_KINDS, io=True), workers=2)
    return out


@pytest.mark.slow
def test_every_ir_kind_and_io_validate(sampled):
    result = run_cli("validate", sampled, "--workers", 2, "--roundtrip-every", 3, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 records valid" in result.stdout
    for check in ("jaxpr x12", "stablehlo x12", "hlo x12", "hlo_opt x12", "stablehlo_export x12", "io x12",
                  "roundtrip x4", "source x12"):
        assert check in result.stdout


def _corrupt(sampled, tmp_path, line_number, mutate, keep=None):
    """The sample with line ``line_number`` mutated; only its first ``keep`` lines, where given
    (validating all twelve records re-lowers each in every IR kind: 20 s per test)."""
    path = tmp_path / "corrupt.jsonl"
    lines = sampled.read_text().splitlines(keepends=True)[:keep]
    record = json.loads(lines[line_number - 1])
    mutate(record)
    lines[line_number - 1] = json.dumps(record) + "\n"
    path.write_text("".join(lines))
    return path


def _replace(kind, direction, old, new):
    def mutate(record):
        assert old in record[kind][direction], f"{old!r} not in the {kind} text"
        record[kind][direction] = record[kind][direction].replace(old, new, 1)
    return mutate


@pytest.mark.slow
@pytest.mark.parametrize("kind, mutate", [
    ("stablehlo", _replace("stablehlo", "backward", "func.func public @main", "func.func public @main(")),
    ("hlo", _replace("hlo", "forward", "ENTRY", "ENTRY ENTRY")),
    ("jaxpr", _replace("jaxpr", "forward", "let", "let\n    zz:f32[] = sin 1.0:f32[]")),
    ("hlo_opt", _replace("hlo_opt", "forward", "ENTRY", "ENTERY")),
    ("stablehlo_export", _replace("stablehlo_export", "forward", "module @", "modul @")),
])
def test_a_corrupted_text_fails_naming_file_line_and_check(sampled, tmp_path, kind, mutate, capsys):
    """A sound record, then the corrupted one: only the second fails, in the one check. (In this
    process, and on two records: each is re-lowered in every IR kind.)"""
    path = _corrupt(sampled, tmp_path, 2, mutate, keep=2)
    status, out, err = run_main(capsys, "validate", path, "--workers", 1, "--roundtrip-every", 0, "--quiet")
    assert status == 1, out + err
    assert f"{path}:2: {kind}:" in out
    failures = [line for line in out.splitlines() if re.match(rf"{re.escape(str(path))}:\d+: ", line)]
    assert len(failures) == 1, out


@pytest.mark.slow
def test_wrong_stored_outputs_fail_the_io_check(sampled, tmp_path, capsys):
    def mutate(record):
        output = record["io"]["outputs"][0]
        if "values" in output:
            output["values"][0] = 12345.0
        else:
            output["sha256"] = "0" * 64
    path = _corrupt(sampled, tmp_path, 2, mutate, keep=2)
    status, out, err = run_main(capsys, "validate", path, "--workers", 1, "--roundtrip-every", 0, "--quiet")
    assert status == 1 and f"{path}:2: io:" in out, out + err


@pytest.mark.slow
def test_hostile_python_is_rejected_before_it_runs(sampled, tmp_path):
    sentinel = tmp_path / "ran"
    def mutate(record):
        record["python"] = (f"def {record['function_name']}(*args):\n"
                            f"    return open({str(sentinel)!r}, 'w')\n")
    path = _corrupt(sampled, tmp_path, 3, mutate, keep=4)
    result = run_cli("validate", path, "--workers", 1, "--quiet")
    assert result.returncode == 1 and f"{path}:3: source:" in result.stdout
    assert not sentinel.exists()


@pytest.mark.slow
def test_malformed_line_is_a_failure_with_its_line(sampled, tmp_path, capsys):
    path = tmp_path / "torn.jsonl"
    path.write_text("".join(sampled.read_text().splitlines(keepends=True)[:2]) + '{"id": "torn"\n')
    status, out, err = run_main(capsys, "validate", path, "--workers", 1, "--roundtrip-every", 0, "--quiet")
    assert status == 2 and f"{path}:3: json:" in out, out + err


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p / "missing.jsonl", "does not exist"),
    (lambda p: (p / "empty.jsonl").write_text("") and p / "empty.jsonl" or p / "empty.jsonl", "empty"),
    (lambda p: p, "directory"),
])
def test_unreadable_input_is_a_usage_error(tmp_path, make, fragment, capsys):
    status, out, err = run_main(capsys, "validate", make(tmp_path), "--quiet")
    assert status == 2 and fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
