"""Hostile and broken inputs (issue 18, classes 1, 3, 6, 7): each case is named for what it
attacks and ends with the documented result: no traceback, no signal death, no hang, the
user's files untouched, no sentinel created."""
import json
import os

import pytest

from helpers import ROOT, run_cli, snapshot
from inprocess import run_main

GOOD = json.loads((ROOT / "corpus" / "regression.jsonl").read_text().splitlines()[0])
# The corpus case with what a sample record has besides, so that every reader accepts it as it is.
RECORD = {**GOOD, "seed": 0, "index": 0, "meta": {"jax_version": "0.10.2", "primitives": [], "n_statements": 2}}


def bad_record(**changes) -> str:
    return json.dumps({**RECORD, **changes}) + "\n"


def record_with_python(python: str, **changes) -> str:
    return json.dumps({**GOOD, "python": python, **changes}) + "\n"


def body(expression: str) -> str:
    params = ", ".join(a["name"] for a in GOOD["args"])
    return f"def {GOOD['function_name']}({params}):\n    v0 = {expression}\n    return v0\n"


A = GOOD["args"][0]["name"]
# Sources a parser could choke on: CPython keeps them flat, libcst nests them (or trips on them).
NATIVE_PARSER = {
    "or_chain_19000_terms": body(" or ".join(["0"] * 19000)),  # SIGSEGV in libcst before the prescreen
    "or_chain_2000_terms": body(" or ".join(["0"] * 2000)),
    "and_chain_5000_terms": body(" and ".join([A] * 5000)),
    "chained_comparison_9000": body(" < ".join([A] * 9000)),
    "tuple_of_20000": body("(" + ", ".join([A] * 20000) + ")"),
    "call_with_20000_args": body("jnp.maximum(" + ", ".join([A] * 20000) + ")"),
    "conditional_lambda_libcst_bug": body("0 if 0 else(lambda: 0)()"),
    "parentheses_3000_deep": body("(" * 3000 + A + ")" * 3000),
    "unary_minus_20000": body("-" * 20000 + A),
    "attribute_chain_5000": body(A + ".real" * 5000),
    "subscript_chain_5000": body(A + "[0]" * 5000),
    "jnp_save_not_a_grammar_op": body(f"jnp.save('x', {A})"),
    "jnp_load_pickle": body("jnp.load('x', allow_pickle=True)"),
}


def test_replay_rejects_what_the_native_parser_would_choke_on(tmp_path):
    """Every source of the table in one real process: a native crash would show as a signal."""
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(record_with_python(python, id=name) for name, python in NATIVE_PARSER.items()))
    before = snapshot(tmp_path)
    result = run_cli("replay", path)
    assert result.returncode == 1 and result.stderr == "", (result.returncode, result.stderr[-500:])
    lines = [line for line in result.stdout.splitlines() if str(path) in line]
    assert len(lines) == len(NATIVE_PARSER) and all(line.startswith("rejected") for line in lines), result.stdout
    for name, line in zip(NATIVE_PARSER, lines):
        assert f"[{name}]" in line
    assert snapshot(tmp_path) == before


@pytest.mark.slow
@pytest.mark.parametrize("python", [NATIVE_PARSER[k] for k in ("or_chain_19000_terms", "conditional_lambda_libcst_bug")],
                         ids=["or_chain_19000_terms", "conditional_lambda_libcst_bug"])
def test_validate_and_stats_reject_them_too(tmp_path, python):
    record = json.loads(record_with_python(python))
    record.update(seed=0, index=0, meta={"jax_version": "0.10.2", "primitives": [], "n_statements": 2})
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(record) + "\n")
    validated = run_cli("validate", path, "--workers", 1, "--quiet")
    assert validated.returncode == 1 and ": source: python rejected" in validated.stdout, validated.stderr[-500:]
    stats = run_cli("stats", path)
    assert stats.returncode == 2 and len(stats.stderr.strip().splitlines()) == 1 and "rejected" in stats.stderr


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth + "\n"


# (id, file content or a special kind, command, fragment of the one-line error)
NOT_RECORDS = [
    ("json_nested_5000_deep", nested_json(5000), "malformed JSON line (nested too deeply)"),
    ("json_object_nested_5000_deep", '{"a":' * 5000 + "1" + "}" * 5000 + "\n", "malformed JSON line (nested too deeply)"),
    ("nul_bytes", "\x00\x00\x00\n", "malformed JSON line"),
    ("lone_surrogate_id", bad_record(id="\ud800"), "lone surrogate"),
    ("lone_surrogate_python", bad_record(python=GOOD["python"] + "\udfff"), "lone surrogate"),
    ("shape_of_10_to_the_30", bad_record(args=[{**GOOD["args"][0], "shape": [10**30]}, *GOOD["args"][1:]]),
     "is too large"),
    ("args_not_a_list", bad_record(args="a, b"), "'args' must be"),
    ("seed_infinite", bad_record().replace('"seed": 0', '"seed": 1e400', 1), "'seed' must be int"),
    ("latin1_bytes", b"\xff\xfe{}\n", "is not UTF-8 text"),
]


@pytest.mark.parametrize("content, fragment", [row[1:] for row in NOT_RECORDS], ids=[row[0] for row in NOT_RECORDS])
@pytest.mark.parametrize("command", ["replay", "validate", "stats", "export"])
def test_broken_record_files_are_one_line_and_exit_2(tmp_path, capsys, content, fragment, command):
    path = tmp_path / "in.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    argv = {"replay": ["replay", "--strict", path], "validate": ["validate", path, "--workers", 1, "--quiet"],
            "stats": ["stats", path, "--strict"], "export": ["export", path, tmp_path / "out.jsonl", "--format", "seed"]}
    before = snapshot(tmp_path)
    status, out, err = run_main(capsys, *map(str, argv[command]))
    lines = err.strip().splitlines()
    if command == "validate" and not lines:  # validate reports a bad record as a failed check, on stdout:
        assert status in (1, 2) and fragment in out, out  # 2 for a line that is not JSON, 1 for a bad record
    else:
        assert status == 2 and len(lines) == 1 and fragment in err, err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind, command", [
    ("fifo", "replay"), ("endless_line", "replay"),
    *(pytest.param(kind, command, marks=pytest.mark.slow) for kind in ("fifo", "dev_zero", "proc_self_mem")
      for command in ("validate", "export", "stats")),
    pytest.param("dev_zero", "replay", marks=pytest.mark.slow), pytest.param("proc_self_mem", "replay", marks=pytest.mark.slow),
])
def test_inputs_that_are_not_regular_files_are_refused_without_blocking(tmp_path, kind, command):
    if kind == "fifo":
        path = tmp_path / "x.jsonl"
        os.mkfifo(path)
        fragment = "is not a regular file"
    elif kind == "dev_zero":
        path, fragment = "/dev/zero", "is not a regular file"
    elif kind == "proc_self_mem":
        path, fragment = "/proc/self/mem", "cannot be read"
    else:
        path = tmp_path / "long.jsonl"
        with open(path, "w") as handle:  # 65 Mi characters and no newline
            handle.write("[" + " " * (65 << 20))
        fragment = "has a line longer than 64 Mi characters"
    argv = {"replay": ["replay", path], "validate": ["validate", path, "--workers", 1, "--quiet"],
            "export": ["export", path, tmp_path / "out.jsonl", "--format", "seed"], "stats": ["stats", path]}[command]
    result = run_cli(*argv, timeout=120)
    assert result.returncode == 2, (result.returncode, result.stdout[-300:], result.stderr[-300:])
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr, result.stderr
    assert str(path) in result.stderr  # the message names the file


TERMINAL_TRICKS = {
    "newline_and_fake_summary": "abc\nreplayed 80 cases from 1 file(s): 80 same, 0 changed",
    "ansi_clear_screen": "abc\x1b[2J\x1b[H",
    "carriage_return_overwrite": "abc\rsame      ",
    "bidi_override": "abc\u202edeliver",
}


def test_ids_from_files_cannot_forge_or_restyle_output(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({**GOOD, "id": trick}) + "\n" for trick in TERMINAL_TRICKS.values()))
    result = run_cli("replay", path)
    printed = result.stdout + result.stderr
    assert "\x1b" not in printed and "\r" not in printed and "\u202e" not in printed
    case_lines = [line for line in result.stdout.splitlines() if str(path) in line]
    assert len(case_lines) == len(TERMINAL_TRICKS), result.stdout  # one line per case, however its id looks
    assert sum(line.startswith("replayed ") for line in result.stdout.splitlines()) == 1


def test_the_suite_is_large_enough():
    assert len(NATIVE_PARSER) + len(NOT_RECORDS) * 4 + 13 + len(TERMINAL_TRICKS) + len(OUTPUT_PLACES) >= 60


def sample_record(**changes) -> dict:
    return {**RECORD, **changes}


ODD_VALUES = {
    "io_empty": (sample_record(io={}), "io", "'io.input_seed'"),
    "io_negative_seed": (sample_record(io={"input_seed": -1, "outputs": [], "gradients": None}), "schema",
                         "'io.input_seed' '-1' must be an int"),
    "dot_of_mismatched_shapes": (sample_record(
        python=f"def {GOOD['function_name']}(a, b):\n    v0 = jnp.dot(a, b)\n    return v0\n",
        args=[{"name": "a", "shape": [3], "dtype": "float32"}, {"name": "b", "shape": [4], "dtype": "float32"}],
        jaxpr={"forward": "x", "backward": "y"}), "jaxpr", "raised TypeError"),
    "broadcast_asking_for_120_gb": (sample_record(
        python=f"def {GOOD['function_name']}(a):\n    v0 = jnp.broadcast_to(a, (100000, 100000, 3))\n    return v0\n",
        args=[{"name": "a", "shape": [], "dtype": "float32"}], io={"input_seed": 0, "outputs": [], "gradients": None}),
        "io", "RESOURCE_EXHAUSTED"),
}


@pytest.mark.parametrize("record, check, fragment", list(ODD_VALUES.values()), ids=list(ODD_VALUES))
def test_validate_reports_odd_values_as_a_failed_check_not_a_traceback(tmp_path, capsys, record, check, fragment):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(record) + "\n")
    status, out, err = run_main(capsys, "validate", path, "--workers", 1, "--roundtrip-every", 0, "--quiet")
    assert status == 1 and "Traceback" not in err + out, (out, err)
    assert any(f": {c}: " in out and fragment in out for c in (check, "schema")), out


def test_an_edited_run_file_is_one_line(tmp_path, capsys):
    out = tmp_path / "data.jsonl"
    (tmp_path / "data.jsonl.partial").write_text("")
    (tmp_path / "data.jsonl.meta.json").write_text(json.dumps({"format": "fuzzgen-run/1", "identity": "x"}))
    before = snapshot(tmp_path)
    status, _, err = run_main(capsys, "sample", "--n", 3, "--out", out, "--resume", "--workers", 0)
    assert status == 2 and len(err.strip().splitlines()) == 1 and "has been edited" in err, err
    assert snapshot(tmp_path) == before


OUTPUT_PLACES = {
    "sample_into_a_file_as_directory": (["sample", "--n", 2, "--workers", 0, "--out", "{d}/afile/x.jsonl"],
                                        "is a file, not a directory"),
    "sample_into_a_missing_directory": (["sample", "--n", 2, "--workers", 0, "--out", "{d}/nowhere/x.jsonl"],
                                        "does not exist"),
    "export_into_a_file_as_directory": (["export", "{sample}", "{d}/afile/o.jsonl", "--format", "seed"], "afile"),
    "merge_into_a_file_as_directory": (["merge", "{d}/afile/m.jsonl", "{sample}"], "afile"),
    "charts_into_a_file_as_directory": (["stats", "{sample}", "--plot", "{d}/afile/charts"], "afile"),
    "parquet_into_a_file": (["export", "{sample}", "{d}/afile", "--format", "parquet"], "afile"),
}


@pytest.mark.parametrize("argv, fragment", list(OUTPUT_PLACES.values()), ids=list(OUTPUT_PLACES))
def test_outputs_that_cannot_be_written_there_are_one_line(tmp_path, capsys, small_sample, argv, fragment):
    (tmp_path / "afile").write_text("mine\n")
    before = snapshot(tmp_path)
    status, _, err = run_main(capsys, *[str(a).format(d=tmp_path, sample=small_sample) for a in argv])
    assert status == 2 and len(err.strip().splitlines()) == 1 and fragment in err, err
    assert "Traceback" not in err and snapshot(tmp_path) == before
