"""Ctrl-C and SIGTERM, with worker processes: one line, exit 130 / 143, nothing torn, no orphans."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, group_is_gone, start, wait_for


@pytest.mark.parametrize("how, status, message", [
    pytest.param("ctrl-c", 130, "fuzzgen: interrupted; rerun the same command with --resume to continue",
                 marks=pytest.mark.slow),
    pytest.param("sigterm", 143, "fuzzgen: terminated; rerun the same command with --resume to continue",
                 marks=pytest.mark.slow),
])
def test_sample_with_workers_stops_with_one_line(tmp_path, how, status, message):
    out = tmp_path / "data.jsonl"
    partial = out.with_name(out.name + ".partial")
    process = start("sample", "--n", 2000, "--workers", 2, "--out", out, "--quiet")
    wait_for(lambda: partial.exists() and partial.stat().st_size > 0)
    if how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)  # a terminal sends SIGINT to the whole foreground group
    else:
        process.send_signal(signal.SIGTERM)  # a service manager signals the main process
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr
    assert stderr.strip() == message
    wait_for(lambda: group_is_gone(process.pid), timeout=30)  # the workers went with it
    for line in partial.read_text().splitlines():  # every line whole: --resume continues from here
        json.loads(line)


@pytest.mark.slow
def test_validate_with_workers_stops_with_one_line_and_no_resume_hint(small_sample, tmp_path):
    many = tmp_path / "many.jsonl"  # ten copies of 30 records: minutes of work, so the interrupt lands mid-run
    many.write_text(small_sample.read_text() * 10)
    process = start("validate", many, "--workers", 2, "--roundtrip-every", 1, "--quiet")
    time.sleep(8)  # the pool has started its workers, which are validating
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and stderr.strip().splitlines()[-1] == "fuzzgen: interrupted", stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    wait_for(lambda: group_is_gone(process.pid), timeout=30)


@pytest.mark.slow
def test_sigterm_during_replay_update_leaves_the_corpus_as_it_was_and_no_temporary(tmp_path):
    """`replay --update` stages each rewritten file beside it; SIGTERM mid-run discards the staged
    copies (as Ctrl-C does) and leaves every corpus file byte for byte as it was."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in (ROOT / "corpus").glob("*.jsonl"):
        (corpus / path.name).write_bytes(path.read_bytes())
    regression = corpus / "regression.jsonl"
    lines = regression.read_text().splitlines()
    case = json.loads(lines[-1])
    case["ir_sha256"]["jaxpr"]["forward"] = "0" * 64  # so that the update has something to rewrite
    regression.write_text("\n".join(lines[:-1] + [json.dumps(case)]) + "\n")
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    process = start("replay", corpus, "--update")
    wait_for(lambda: len(list(corpus.iterdir())) > len(before))  # a staged copy is being written
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stdout + stderr
    assert stderr.strip().splitlines()[-1].startswith("fuzzgen: terminated"), stderr
    assert "Traceback" not in stderr
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_workers_start_with_ctrl_c_ignored_and_the_parent_keeps_its_handler():
    """A terminal's Ctrl-C reaches a worker still importing JAX; it must not die of it with a
    traceback. Children started while workers start inherit SIGINT ignored (an ignored signal
    survives exec, and Python keeps it); the parent's own handler is back afterwards."""
    from fuzzgen.workers import interrupts_ignored_by_children

    probe = [sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"]
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal
    try:
        with interrupts_ignored_by_children():
            inside = subprocess.run(probe, capture_output=True, text=True).stdout.strip()
        outside = subprocess.run(probe, capture_output=True, text=True).stdout.strip()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
    assert (inside, outside) == ("True", "False")
