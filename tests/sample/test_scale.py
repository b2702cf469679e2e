"""Workers, shards, merge, kill -9 and resume, and fault isolation: the output never changes."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from fuzzgen.sample.run import Shard, run_sample
from fuzzgen.sample.draw import SampleConfig
from helpers import ROOT, run_cli, snapshot

CONFIG = SampleConfig(seed=11, ir=("jaxpr", "stablehlo"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted single-process run of 40 records."""
    out = tmp_path_factory.mktemp("ref") / "ref.jsonl"
    run_sample(out, 40, CONFIG, workers=0)
    return out.read_bytes()


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
def test_worker_counts_give_identical_bytes(tmp_path, reference):
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.jsonl"
        run_sample(out, 40, CONFIG, workers=workers)
        assert out.read_bytes() == reference, f"--workers {workers} differs from a single-process run"


def test_merged_shards_equal_the_unsharded_run(tmp_path, reference):
    shards = []
    for index in (2, 0, 1):
        path = tmp_path / f"part{index}.jsonl"
        run_sample(path, 40, CONFIG, shard=Shard(index, 3), workers=0)
        shards.append(path)
    result = run_cli("merge", tmp_path / "merged.jsonl", *shards)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "merged.jsonl").read_bytes() == reference


def test_shard_ranges_cover_every_index_once():
    for n in (0, 1, 7, 100):
        for count in (1, 3, 8):
            covered = [i for k in range(count) for i in Shard(k, count).range(n)]
            assert covered == list(range(n))


def _sample_cmd(out, n, *extra):
    return [sys.executable, "-m", "fuzzgen.cli.main", "sample", "--n", str(n), "--out", str(out), "--seed", "11",
            "--ir", "jaxpr,stablehlo", "--quiet", *extra]


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_gives_the_same_file(tmp_path):
    n = 120  # more than six short-lived attempts write, and past two fsync checkpoints (every 50)
    uninterrupted = tmp_path / "uninterrupted.jsonl"
    run_sample(uninterrupted, n, CONFIG, workers=0)
    reference = uninterrupted.read_bytes()
    out = tmp_path / "killed.jsonl"
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    rng = random.Random(20261125)
    kills = 0
    for attempt in range(6):
        process = subprocess.Popen(_sample_cmd(out, n, "--resume", "--workers", "1"), cwd=ROOT, env=env,
                                   start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.5, 4.0))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
        partial = out.with_name(out.name + ".partial")
        if partial.exists():  # whatever was visible must be whole records, a prefix of the reference
            whole = partial.read_bytes()
            whole = whole[: whole.rfind(b"\n") + 1]
            assert reference.startswith(whole)
    assert kills >= 4
    final = subprocess.run(_sample_cmd(out, n, "--resume", "--workers", "1"), cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    assert out.read_bytes() == reference
    assert not out.with_name(out.name + ".partial").exists()


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
def test_resume_drops_a_torn_tail(tmp_path, reference):
    out = tmp_path / "torn.jsonl"
    run_sample(out, 40, CONFIG, workers=0, shard=None)
    meta = json.loads(out.with_name(out.name + ".meta.json").read_text())
    lines = reference.splitlines(keepends=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(b"".join(lines[:13]) + lines[13][:57])
    out.unlink()
    meta["complete"] = False
    out.with_name(out.name + ".meta.json").write_text(json.dumps(meta))
    summary = run_sample(out, 40, CONFIG, workers=0, resume=True)
    assert summary.resumed_from == 13
    assert out.read_bytes() == reference


def test_resume_on_a_missing_file_starts_the_run(tmp_path, reference):
    out = tmp_path / "fresh.jsonl"
    run_sample(out, 40, CONFIG, workers=0, resume=True)
    assert out.read_bytes() == reference


def test_a_run_from_another_grammar_version_is_not_resumed(tmp_path, monkeypatch):
    """A run started by a fuzzgen whose grammar drew other programs (an older release; before
    GRAMMAR_VERSION, no "grammar" at all) must not be continued with this grammar's programs."""
    import fuzzgen.sample.draw as draw
    from fuzzgen.records.atomic import OutputError

    out = tmp_path / "data.jsonl"
    monkeypatch.setattr(draw, "GRAMMAR_VERSION", draw.GRAMMAR_VERSION - 1)
    run_sample(out, 6, CONFIG, workers=0)
    monkeypatch.undo()
    before = snapshot(tmp_path)
    now = draw.GRAMMAR_VERSION
    with pytest.raises(OutputError, match=rf"different arguments \(grammar={now - 1} there vs {now} now\)"):
        run_sample(out, 6, CONFIG, workers=0, resume=True)
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_resume_with_other_arguments_is_refused_and_leaves_files_alone(tmp_path):
    out = tmp_path / "data.jsonl"
    first = run_cli(*_sample_cmd(out, 4, "--workers", "0")[3:])
    assert first.returncode == 0, first.stderr
    before = snapshot(tmp_path)
    for change in (["--seed", "12"], ["--ir", "hlo"], ["--categories", "dot"], ["--n", "5"]):
        args = _sample_cmd(out, 4, "--workers", "0", "--resume")[3:]
        args = [a for a in args if a not in ("--seed", "11", "--ir", "jaxpr,stablehlo")] + change
        if "--n" in change:
            args = [a for i, a in enumerate(args) if not (a == "--n" or (i and args[i - 1] == "--n"))] + change
        result = run_cli(*args)
        assert result.returncode == 2, (change, result.stderr)
        assert "different arguments" in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_crashing_and_hanging_samples_are_logged_and_skipped(tmp_path, reference):
    out = tmp_path / "faults.jsonl"
    result = run_cli(*_sample_cmd(out, 40, "--workers", "2", "--timeout", "8")[3:],
                     env={"FUZZGEN_TEST_FAULTS": "crash:5,hang:17"})
    assert result.returncode == 1, result.stderr  # failed samples: a non-zero exit a script can rely on
    assert "2 failed" in result.stdout
    assert result.stderr.strip() == "fuzzgen: 2 samples failed, more than --max-failures 0; exit status 1"
    failures = [json.loads(line) for line in out.with_name(out.name + ".failures.jsonl").read_text().splitlines()]
    assert sorted(f["index"] for f in failures) == [5, 17]
    by_index = {f["index"]: f for f in failures}
    assert "WorkerDied" in by_index[5]["error"] and "Timeout" in by_index[17]["error"]
    assert all(f["seed"] == 11 and f["python"].startswith("def ") for f in failures)
    expected = [line for i, line in enumerate(reference.splitlines(keepends=True)) if i not in (5, 17)]
    assert out.read_bytes() == b"".join(expected)


@pytest.mark.parametrize("problem", ["other_seed", "gap", "duplicate", "incomplete"])
def test_merge_refuses_mixed_runs_gaps_and_duplicates(tmp_path, problem):
    parts = []
    for index in range(3):
        seed = 12 if (problem == "other_seed" and index == 1) else 11
        path = tmp_path / f"p{index}.jsonl"
        run_sample(path, 6, SampleConfig(seed=seed, ir=("jaxpr",)), shard=Shard(index, 3), workers=0)
        parts.append(path)
    if problem == "gap":
        parts = parts[:2]
    elif problem == "duplicate":
        parts = parts + [parts[0]]
    elif problem == "incomplete":
        meta = parts[1].with_name(parts[1].name + ".meta.json")
        meta.write_text(meta.read_text().replace('"complete": true', '"complete": false'))
    before = snapshot(tmp_path)
    result = run_cli("merge", tmp_path / "all.jsonl", *parts)
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_max_failures_sets_the_exit_status_not_the_output(tmp_path):
    allowed, strict = tmp_path / "allowed.jsonl", tmp_path / "strict.jsonl"
    faults = {"FUZZGEN_TEST_FAULTS": "crash:2"}
    ok = run_cli(*_sample_cmd(allowed, 6, "--workers", "1", "--max-failures", "1")[3:], env=faults)
    assert ok.returncode == 0 and "1 failed" in ok.stdout, ok.stderr
    failed = run_cli(*_sample_cmd(strict, 6, "--workers", "1")[3:], env=faults)
    assert failed.returncode == 1 and "more than --max-failures 0" in failed.stderr
    assert allowed.read_bytes() == strict.read_bytes()
