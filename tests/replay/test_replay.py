"""`fuzzgen replay`: the committed corpus replays the same; changes, updates and diffs; export."""
import json
import shutil

import jax
import pytest

from fuzzgen.grammar import CATEGORY_NAMES, EXTRA_CATEGORY_NAMES
from fuzzgen.ir import DIRECTIONS, IR_KINDS
from fuzzgen import replay as replay_module
from fuzzgen.records.corpus import sha256_text
from fuzzgen.replay import Status, replay_paths
from helpers import ROOT, run_cli, snapshot
from inprocess import run_main

CORPUS = ROOT / "corpus"
REGRESSION = CORPUS / "regression.jsonl"


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_records(path, objs):
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))
    return path


def small_corpus(tmp_path, n=5, name="c.jsonl"):
    """The first ``n`` committed cases, for tests that replay several times."""
    return write_records(tmp_path / name, records(REGRESSION)[:n])


@pytest.mark.locked_jax
def test_the_committed_corpus_is_complete_and_small():
    cases = records(REGRESSION)
    assert len(cases) >= 50
    assert {c["category"] for c in cases} == set(CATEGORY_NAMES)
    assert all(set(c["ir_sha256"]) == set(IR_KINDS) for c in cases)
    opt_in = records(CORPUS / "opt_in.jsonl")
    assert {c["category"] for c in opt_in} == set(EXTRA_CATEGORY_NAMES)
    assert any("vmap" in c for c in opt_in) and any("forward_only" in c for c in opt_in)
    assert all(c["jax_version"] == jax.__version__ for c in cases + opt_in)
    assert sum(p.stat().st_size for p in CORPUS.glob("*.jsonl")) < 1_000_000


@pytest.mark.locked_jax
def test_the_committed_corpus_replays_same():
    """What CI runs: any change in the IR of any committed case fails here, naming the case."""
    results = []
    report = replay_paths([CORPUS], on_result=results.append)
    changed = [f"{r.case.where} {r.case.function_name}: {r.status} {r.message}"
               f"{', '.join(c.label for c in r.changes)}" for r in results if r.status is not Status.SAME]
    assert not changed, "\n".join(changed)
    assert report.cases == len(records(REGRESSION)) + len(records(CORPUS / "opt_in.jsonl"))
    assert report.exit_status == 0


@pytest.mark.locked_jax
@pytest.mark.slow
def test_the_command_replays_the_corpus_in_a_fresh_process():
    """The command in a process of its own, on one of the corpus's files (the test above replays
    every case in this one)."""
    result = run_cli("replay", "corpus/opt_in.jsonl")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    cases = len(records(CORPUS / "opt_in.jsonl"))
    assert f"replayed {cases} cases from 1 file(s)" in result.stdout
    assert f"{cases} same, 0 changed, 0 rejected, 0 error" in result.stdout
    assert result.stderr == ""


@pytest.mark.locked_jax
@pytest.mark.slow
def test_one_changed_hash_exits_1_names_the_case_and_update_fixes_it(tmp_path, capsys):
    path = write_records(tmp_path / "c.jsonl", records(REGRESSION)[:10])  # replayed three times: ten will do
    original = path.read_bytes()
    cases = records(path)
    cases[6]["ir_sha256"]["hlo"]["backward"] = "0" * 64
    write_records(path, cases)
    tampered = path.read_bytes()

    status, out, err = run_main(capsys, "replay", path)
    assert status == 1 and err == ""
    changed = [line for line in out.splitlines() if line.startswith("changed")]
    assert changed == [f"changed   {path}:7  {cases[6]['function_name']} [{cases[6]['id']}]: hlo/backward"]
    assert path.read_bytes() == tampered  # replay alone never writes

    status, out, _ = run_main(capsys, "replay", "--update", path)
    assert status == 1 and f"--update: rewrote {path}" in out
    assert path.read_bytes() == original  # only that line was rewritten, back to the truth
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind
    assert run_main(capsys, "replay", path)[0] == 0


def test_diff_shows_what_changed_in_a_stored_text(tmp_path, capsys):
    cases = records(REGRESSION)[:2]
    forward = cases[1]["jaxpr"]["forward"]
    cases[1]["jaxpr"]["forward"] = forward.replace("in (", "in  (", 1)
    path = write_records(tmp_path / "c.jsonl", cases)
    status, out, _ = run_main(capsys, "replay", "--diff", path)
    assert status == 1
    assert f"--- stored jaxpr/forward\n+++ jax {jax.__version__} jaxpr/forward\n" in out
    assert "\n-  in  (" in out and "\n+  in (" in out


def test_a_case_storing_only_hashes_says_there_is_no_diff(tmp_path, capsys):
    case = records(REGRESSION)[0]
    for kind in IR_KINDS:
        del case[kind]
    case["ir_sha256"]["stablehlo"]["forward"] = "f" * 64
    status, out, _ = run_main(capsys, "replay", "--diff", write_records(tmp_path / "c.jsonl", [case]))
    assert status == 1 and "(stablehlo/forward: only its sha256 is stored" in out


def sample(capsys, out, *flags):
    status, _, err = run_main(capsys, "sample", "--out", out, "--workers", 0, "--quiet", *flags)
    assert status == 0, err
    return out


def test_sample_output_is_valid_replay_input(tmp_path, capsys):
    sample(capsys, tmp_path / "sample.jsonl", "--n", len(CATEGORY_NAMES), "--seed", 11)
    status, out, err = run_main(capsys, "replay", tmp_path)  # a directory of *.jsonl
    assert status == 0, out + err
    assert f"{len(CATEGORY_NAMES)} same, 0 changed" in out


@pytest.mark.locked_jax
def test_a_stored_text_and_its_hash_are_both_compared(tmp_path):
    case = records(REGRESSION)[0]
    case["hlo"]["forward"] = case["hlo"]["forward"] + " "  # the text is stale, its hash still right
    results = []
    replay_paths([write_records(tmp_path / "c.jsonl", [case])], on_result=results.append)
    assert [c.label for c in results[0].changes] == ["hlo/forward"]


@pytest.mark.locked_jax
def test_a_finding_case_replays_like_any_case(tmp_path):
    case = records(REGRESSION)[3]
    case["finding"] = {"oracle": "gradient", "error": "mismatch", "input_seed": 3, "signature": "abc"}
    report = replay_paths([write_records(tmp_path / "c.jsonl", [case])])
    assert report.counts[Status.SAME] == 1 and report.exit_status == 0


def test_update_leaves_a_file_with_a_failing_case_as_it_was(tmp_path, capsys):
    cases = records(REGRESSION)[:3]
    cases[0]["ir_sha256"]["jaxpr"]["forward"] = "0" * 64  # changed
    cases[1]["args"][0]["shape"] = [7] + cases[1]["args"][0]["shape"]  # lowers with an error (or differs)
    cases[2]["python"] = cases[2]["python"].replace("return", "return open('x') or", 1)  # rejected
    path = write_records(tmp_path / "c.jsonl", cases)
    before = snapshot(tmp_path)
    status, out, _ = run_main(capsys, "replay", "--update", path)
    assert status == 1 and "rejected  " in out
    assert f"left {path} as it was" in out
    assert snapshot(tmp_path) == before


@pytest.mark.locked_jax
def test_update_writes_nothing_when_a_line_is_bad(tmp_path, capsys):
    cases = records(REGRESSION)[:2]
    cases[0]["ir_sha256"]["jaxpr"]["forward"] = "0" * 64
    path = write_records(tmp_path / "c.jsonl", cases)
    with open(path, "a") as handle:
        handle.write("{not json\n")
    before = snapshot(tmp_path)
    status, out, err = run_main(capsys, "replay", "--update", path)
    assert status == 2
    assert err == f"fuzzgen: error: {path}:3: malformed JSON line (Expecting property name enclosed in double " \
                  "quotes: line 1 column 2 (char 1)); skipped\n"
    assert "1 changed" in out and "nothing written" in out
    assert snapshot(tmp_path) == before


def test_an_interrupted_update_tears_nothing(tmp_path, monkeypatch):
    cases = records(REGRESSION)[:4]
    for case in cases:
        case["ir_sha256"]["hlo"]["forward"] = "0" * 64
    path = write_records(tmp_path / "c.jsonl", cases)
    before = snapshot(tmp_path)
    real, calls = replay_module.replay_case, []

    def interrupted(case):
        calls.append(case)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(case)

    monkeypatch.setattr(replay_module, "replay_case", interrupted)
    with pytest.raises(KeyboardInterrupt):
        replay_paths([path], update=True)
    assert snapshot(tmp_path) == before


@pytest.mark.locked_jax
def test_strict_stops_at_the_first_bad_line_and_the_default_goes_on(tmp_path, capsys):
    cases = records(REGRESSION)[:2]
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(cases[0]) + "\n[1, 2]\n" + json.dumps(cases[1]) + "\n")
    status, out, err = run_main(capsys, "replay", "--strict", path)
    assert status == 2 and out.count("same  ") == 1
    assert err == f"fuzzgen: error: {path}:2: malformed JSON line (expected a JSON object, got list)\n"
    status, out, err = run_main(capsys, "replay", path)
    assert status == 2 and out.count("same  ") == 2 and "1 bad line(s) skipped" in out
    assert err.count("\n") == 1 and f"{path}:2" in err


@pytest.mark.locked_jax
def test_an_old_jax_version_is_noted_and_update_records_the_new_one(tmp_path, capsys):
    cases = records(REGRESSION)[:2]
    cases[1]["jax_version"] = "0.0.1"
    path = write_records(tmp_path / "c.jsonl", cases)
    status, out, _ = run_main(capsys, "replay", "--update", path)
    assert status == 0 and "note: cases stored with another JAX (0.0.1 (1))" in out
    assert [c["jax_version"] for c in records(path)] == [jax.__version__] * 2


def test_export_seed_writes_the_flat_layout(tmp_path, capsys):
    source = small_corpus(tmp_path, n=3)
    out = tmp_path / "seed.jsonl"
    status, stdout, err = run_main(capsys, "export", "--format", "seed", source, out)
    assert status == 0, err
    exported, originals = records(out), records(source)
    assert [list(e) for e in exported] == [["id", "function_name", "python", "jaxpr", "hlo", "type"]] * 3
    for position, (flat, case) in enumerate(zip(exported, originals)):
        assert flat["id"] == position and flat["type"] == case["category"] and flat["python"] == case["python"]
        for kind in ("jaxpr", "hlo"):
            forward, backward = flat[kind].split("\n\n=== BACKWARD ===\n")
            assert forward == case[kind]["forward"].rstrip("\n") and backward == case[kind]["backward"]
    assert "exported 3 records" in stdout


def test_export_never_replaces_out_without_force(tmp_path, capsys):
    source = small_corpus(tmp_path, n=2)
    out = tmp_path / "seed.jsonl"
    out.write_text("mine\n")
    status, _, err = run_main(capsys, "export", "--format", "seed", source, out)
    assert status == 2 and "--force" in err and out.read_text() == "mine\n"
    status, _, _ = run_main(capsys, "export", "--format", "seed", source, out, "--force")
    assert status == 0 and len(records(out)) == 2


def test_export_corpus_turns_sample_records_into_replayable_cases(tmp_path, capsys):
    samples = sample(capsys, tmp_path / "sample.jsonl", "--n", 3, "--seed", 4, "--ir", "jaxpr,hlo")
    out = tmp_path / "corpus" / "c.jsonl"
    out.parent.mkdir()
    assert run_main(capsys, "export", "--format", "corpus", samples, out)[0] == 0
    for case, record in zip(records(out), records(samples)):
        assert set(case["ir_sha256"]) == {"jaxpr", "hlo"}
        assert case["ir_sha256"]["hlo"] == {d: sha256_text(record["hlo"][d]) for d in DIRECTIONS}
        assert case["jax_version"] == jax.__version__ and "jaxlib_version" in case
    assert run_main(capsys, "replay", out.parent)[0] == 0


def test_replay_help_explains_every_flag(capsys):
    status, out, _ = run_main(capsys, "replay", "--help")
    assert status == 0
    for flag in ("--diff", "--update", "--strict", "PATH"):
        assert flag in out
    status, out, _ = run_main(capsys, "export", "--help")
    assert status == 0 and "--format" in out and "seed" in out and "--force" in out


def test_corpus_readme_documents_every_key():
    text = (CORPUS / "README.md").read_text()
    for key in ("id", "category", "function_name", "python", "args", "ir_sha256", "jax_version", "jaxlib_version",
                "finding", "hypothesis", "reproducer", "--update", "--strict"):
        assert f"`{key}`" in text or key in text


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
@pytest.mark.locked_jax
def test_copying_the_corpus_elsewhere_keeps_it_replayable(tmp_path):
    shutil.copy(REGRESSION, tmp_path / "r.jsonl")
    assert replay_paths([tmp_path / "r.jsonl"]).exit_status == 0


def test_export_formats_are_pluggable_parquet_included(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    source = sample(capsys, tmp_path / "sample.jsonl", "--n", 3, "--ir", "jaxpr")
    status, out, err = run_main(capsys, "export", "--format", "parquet", source, tmp_path / "dataset")
    assert status == 0, err
    assert "exported 3 records" in out and any((tmp_path / "dataset" / "data").glob("*.parquet"))


@pytest.mark.locked_jax
def test_a_forward_only_case_stores_no_backward_and_replays(tmp_path, capsys):
    case = next(c for c in records(CORPUS / "opt_in.jsonl") if "forward_only" in c)
    assert all(pair["backward"] is None for pair in case["ir_sha256"].values())
    path = write_records(tmp_path / "c.jsonl", [case])
    assert run_main(capsys, "replay", path)[0] == 0
    del case["forward_only"]  # now replay takes the gradient, which JAX cannot do through while_loop
    status, out, _ = run_main(capsys, "replay", write_records(path, [case]))
    assert status == 1 and out.startswith("error")


@pytest.mark.locked_jax
def test_a_vmap_case_is_lowered_under_vmap(tmp_path, capsys):
    case = next(c for c in records(CORPUS / "opt_in.jsonl") if "vmap" in c)
    assert run_main(capsys, "replay", write_records(tmp_path / "c.jsonl", [case]))[0] == 0
    del case["vmap"]  # the same source on the batched arguments, but without vmap, is another program
    status, out, _ = run_main(capsys, "replay", write_records(tmp_path / "c.jsonl", [case]))
    assert status == 1 and not out.startswith("same")
