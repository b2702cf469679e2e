"""Bad input everywhere: each gives exit status 2, one line on stderr, no traceback, no file touched.

The table runs the command in this process (one JAX import for all rows); the last tests run a
few rows as real processes, to show no traceback reaches a user's terminal.
"""
import json
from pathlib import Path

import pytest

from helpers import ROOT, run_cli, snapshot
from inprocess import run_main

CORPUS = ROOT / "corpus" / "regression.jsonl"
GOOD = json.loads(CORPUS.read_text().splitlines()[0])


def case(**changes):
    """A valid corpus case with ``changes`` (a value of None deletes the key), as one line."""
    record = {**GOOD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not None}) + "\n"


def with_arg(**changes):
    return case(args=[{**GOOD["args"][0], **changes}, *GOOD["args"][1:]])


HASHES_ONLY = {k: None for k in ("jaxpr", "stablehlo", "hlo")}

# (id, files to create, command line, fragment of the one-line message). {d} is the test's directory.
BAD_INPUTS = [
    ("malformed_json", {"c.jsonl": case() + "{oops\n"}, ["replay", "{d}/c.jsonl"], "c.jsonl:2: malformed JSON line"),
    ("malformed_json_strict", {"c.jsonl": "{oops\n" + case()}, ["replay", "--strict", "{d}/c.jsonl"],
     "c.jsonl:1: malformed JSON line"),
    ("not_an_object", {"c.jsonl": "[1, 2, 3]\n"}, ["replay", "{d}/c.jsonl"], "expected a JSON object, got list"),
    ("truncated_line", {"c.jsonl": case()[:200] + "\n"}, ["replay", "{d}/c.jsonl"], "c.jsonl:1: malformed JSON"),
    ("missing_python", {"c.jsonl": case(python=None)}, ["replay", "{d}/c.jsonl"], "c.jsonl:1: missing key 'python'"),
    ("missing_args", {"c.jsonl": case(args=None)}, ["replay", "{d}/c.jsonl"], "missing key 'args'"),
    ("missing_function_name", {"c.jsonl": case(function_name=None)}, ["replay", "--strict", "{d}/c.jsonl"],
     "missing key 'function_name'"),
    ("python_not_text", {"c.jsonl": case(python=42)}, ["replay", "{d}/c.jsonl"], "key 'python' must be str, got int"),
    ("args_not_list", {"c.jsonl": case(args="a, b")}, ["replay", "{d}/c.jsonl"], "key 'args' must be list"),
    ("args_empty", {"c.jsonl": case(args=[])}, ["replay", "{d}/c.jsonl"], "'args' must be a non-empty list"),
    ("arg_not_object", {"c.jsonl": case(args=["a"])}, ["replay", "{d}/c.jsonl"], "args[0] must be an object"),
    ("unknown_dtype", {"c.jsonl": with_arg(dtype="float64")}, ["replay", "{d}/c.jsonl"],
     "args[0].dtype 'float64' is unknown"),
    ("negative_shape", {"c.jsonl": with_arg(shape=[3, -1])}, ["replay", "{d}/c.jsonl"], "has a negative dimension"),
    ("huge_shape", {"c.jsonl": with_arg(shape=[100000, 100000])}, ["replay", "{d}/c.jsonl"], "is too large"),
    ("huge_dim_with_zero", {"c.jsonl": with_arg(shape=[0, 10**30])}, ["replay", "{d}/c.jsonl"], "is too large"),
    ("shape_not_ints", {"c.jsonl": with_arg(shape=[2.5])}, ["replay", "{d}/c.jsonl"], "must be a list of at most"),
    ("dunder_arg_name", {"c.jsonl": with_arg(name="__class__")}, ["replay", "{d}/c.jsonl"],
     "is not a plain identifier"),
    ("function_name_not_identifier", {"c.jsonl": case(function_name="f; import os")}, ["replay", "{d}/c.jsonl"],
     "'function_name' 'f; import os' is not an identifier"),
    ("hash_not_hex", {"c.jsonl": case(ir_sha256={"hlo": {"forward": "xyz", "backward": "0" * 64}})},
     ["replay", "{d}/c.jsonl"], "ir_sha256.hlo must hold"),
    ("hash_unknown_kind", {"c.jsonl": case(ir_sha256={"llvm": {"forward": "0" * 64, "backward": "0" * 64}})},
     ["replay", "{d}/c.jsonl"], "unknown IR kind 'llvm'"),
    ("ir_text_missing_forward", {"c.jsonl": case(jaxpr={"backward": "x"})}, ["replay", "{d}/c.jsonl"],
     "'jaxpr' must be an object with a 'forward' text"),
    ("ir_text_extra_key", {"c.jsonl": case(jaxpr={"forward": "x", "backward": None, "sideways": "y"})},
     ["replay", "{d}/c.jsonl"], "'jaxpr' must be an object with a 'forward' text"),
    ("stores_no_ir", {"c.jsonl": case(ir_sha256=None, **HASHES_ONLY)}, ["replay", "{d}/c.jsonl"],
     "stores no IR to compare"),
    ("version_not_text", {"c.jsonl": case(jax_version=10)}, ["replay", "{d}/c.jsonl"], "'jax_version' must be str"),
    ("finding_not_object", {"c.jsonl": case(finding="boom")}, ["replay", "{d}/c.jsonl"], "'finding' must be dict"),
    ("empty_file", {"c.jsonl": ""}, ["replay", "{d}/c.jsonl"], "c.jsonl: is empty"),
    ("blank_lines_only", {"c.jsonl": "\n  \n\n"}, ["replay", "{d}/c.jsonl"], "is empty"),
    ("non_utf8", {"c.jsonl": b"\xff\xfe\x00garbage\n"}, ["replay", "{d}/c.jsonl"], "is not UTF-8 text"),
    ("missing_path", {}, ["replay", "{d}/nope.jsonl"], "nope.jsonl: does not exist"),
    ("unreadable_path", {"plain.txt": "x"}, ["replay", "{d}/plain.txt/c.jsonl"], "cannot be opened (Not a directory)"),
    ("directory_without_cases", {"sub/notes.txt": "x"}, ["replay", "{d}/sub"], "is a directory with no *.jsonl files"),
    ("second_path_missing", {"c.jsonl": case()}, ["replay", "{d}/c.jsonl", "{d}/nope.jsonl"], "does not exist"),
    ("update_with_a_bad_line", {"c.jsonl": case(ir_sha256={"hlo": {"forward": "0" * 64, "backward": "0" * 64}})
                                + "{oops\n"}, ["replay", "--update", "{d}/c.jsonl"], "malformed JSON line"),
    ("replay_without_paths", {}, ["replay"], "the following arguments are required: PATH"),
    ("export_unknown_format", {"c.jsonl": case()}, ["export", "--format", "parquet2", "{d}/c.jsonl", "{d}/o.jsonl"],
     "invalid choice: 'parquet2'"),
    ("export_without_format", {"c.jsonl": case()}, ["export", "{d}/c.jsonl", "{d}/o.jsonl"],
     "the following arguments are required: --format"),
    ("export_out_exists", {"c.jsonl": case(), "o.jsonl": "mine\n"},
     ["export", "--format", "seed", "{d}/c.jsonl", "{d}/o.jsonl"], "o.jsonl already exists; pass --force"),
    ("export_out_is_input", {"c.jsonl": case()}, ["export", "--format", "seed", "--force", "{d}/c.jsonl",
                                                   "{d}/c.jsonl"], "is the input file"),
    ("export_out_directory_missing", {"c.jsonl": case()},
     ["export", "--format", "seed", "{d}/c.jsonl", "{d}/no/o.jsonl"], "does not exist; create it first"),
    ("export_out_is_directory", {"c.jsonl": case(), "out/keep.txt": "x"},
     ["export", "--format", "seed", "{d}/c.jsonl", "{d}/out"], "is a directory"),
    ("export_missing_input", {}, ["export", "--format", "seed", "{d}/nope.jsonl", "{d}/o.jsonl"], "does not exist"),
    ("export_malformed_line", {"c.jsonl": case() + "{oops\n"},
     ["export", "--format", "seed", "{d}/c.jsonl", "{d}/o.jsonl"], "c.jsonl:2: malformed JSON line"),
    ("export_seed_needs_texts", {"c.jsonl": case(**HASHES_ONLY)},
     ["export", "--format", "seed", "{d}/c.jsonl", "{d}/o.jsonl"], "stores no 'jaxpr' text"),
    ("export_bad_record", {"c.jsonl": case() + with_arg(dtype="complex64")},
     ["export", "--format", "corpus", "{d}/c.jsonl", "{d}/o.jsonl"], "c.jsonl:2: args[0].dtype"),
    ("sample_negative_n", {}, ["sample", "--n", "-1", "--out", "{d}/s.jsonl"], "--n -1 must be"),
    ("sample_unknown_ir", {}, ["sample", "--ir", "foo", "--out", "{d}/s.jsonl"], "unknown foo"),
    ("sample_unknown_category", {}, ["sample", "--categories", "nope", "--out", "{d}/s.jsonl"], "unknown nope"),
    ("sample_shard_out_of_range", {}, ["sample", "--shard", "5/3", "--out", "{d}/s.jsonl"], "--shard '5/3'"),
    ("unknown_command", {}, ["frobnicate"], "invalid choice: 'frobnicate'"),
]


def make_files(directory: Path, files: dict) -> None:
    (directory / "keep.txt").write_text("mine")
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


@pytest.mark.parametrize("files, argv, fragment", [row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2_and_touches_nothing(tmp_path, capsys, files, argv, fragment):
    make_files(tmp_path, files)
    before = snapshot(tmp_path)
    status, _, err = run_main(capsys, *[a.format(d=tmp_path) for a in argv])
    assert status == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before


def test_the_table_is_large_enough():
    assert len(BAD_INPUTS) >= 30


@pytest.mark.parametrize("argv, fragment", [
    (["replay", "{d}/c.jsonl"], "c.jsonl:1: args[0].dtype 'float64' is unknown"),
    (["export", "--format", "seed", "{d}/c.jsonl", "{d}/o.jsonl"], "c.jsonl:1: args[0].dtype"),
])
def test_a_real_process_shows_no_traceback(tmp_path, argv, fragment):
    make_files(tmp_path, {"c.jsonl": with_arg(dtype="float64")})
    before = snapshot(tmp_path)
    result = run_cli(*[a.format(d=tmp_path) for a in argv])
    assert result.returncode == 2 and fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


def test_debug_shows_the_traceback(tmp_path):
    result = run_cli("--debug", "replay", tmp_path / "nope.jsonl")
    assert result.returncode == 2 and "Traceback" in result.stderr and "does not exist" in result.stderr
