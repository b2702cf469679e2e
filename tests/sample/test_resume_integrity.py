"""`--resume` continues only from what it can verify (issue 18, class 5): a partial run is checked
against the sha256 of its last checkpoint; a change before it is refused with one line, anything
after it is recomputed, so the result is always the uninterrupted run's bytes or a refusal."""
import json
import random
import shutil

import pytest

from fuzzgen.records.atomic import OutputError
from fuzzgen.sample import Progress, SampleConfig, run_sample

CONFIG = SampleConfig(seed=21, ir=("jaxpr",))
N, STOP_AFTER = 80, 70  # checkpoints every 50 results: the last one before the stop is at 50


class StopAfter(Progress):
    """Interrupts the run (as Ctrl-C would) after ``count`` results."""

    def __init__(self, count):
        super().__init__(N, quiet=True)
        self.count = count

    def advance(self, failed: int = 0) -> None:
        super().advance(failed)
        if self._done >= self.count:
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(the uninterrupted run's bytes, a directory holding a run interrupted after 70 results)."""
    root = tmp_path_factory.mktemp("resume")
    reference = root / "reference.jsonl"
    run_sample(reference, N, CONFIG, workers=0, progress=Progress(N, quiet=True))
    interrupted = root / "interrupted"
    interrupted.mkdir()
    with pytest.raises(KeyboardInterrupt):
        run_sample(interrupted / "data.jsonl", N, CONFIG, workers=0, progress=StopAfter(STOP_AFTER))
    return reference.read_bytes(), interrupted


def copy_of(interrupted, tmp_path):
    for path in interrupted.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / "data.jsonl"


def resume(out):
    run_sample(out, N, CONFIG, workers=0, resume=True, progress=Progress(N, quiet=True))
    return out.read_bytes()


def partial_lines(out):
    return out.with_name(out.name + ".partial").read_bytes().splitlines(keepends=True)


def write_partial(out, lines):
    out.with_name(out.name + ".partial").write_bytes(b"".join(lines))


def test_an_untouched_interrupted_run_resumes_to_the_same_bytes(runs, tmp_path):
    reference, interrupted = runs
    out = copy_of(interrupted, tmp_path)
    assert len(partial_lines(out)) == STOP_AFTER
    assert resume(out) == reference


CHANGES = {
    "flipped_byte_before_the_checkpoint": lambda lines: lines[:10] + [lines[10].replace(b"jnp.", b"jnq.", 1)] + lines[11:],
    "dropped_line_before_the_checkpoint": lambda lines: lines[:20] + lines[21:],
    "swapped_lines_before_the_checkpoint": lambda lines: lines[:5] + [lines[6], lines[5]] + lines[7:],
    "truncated_before_the_checkpoint": lambda lines: lines[:30],
    "duplicated_line_before_the_checkpoint": lambda lines: lines[:12] + [lines[11]] + lines[12:],
}


@pytest.mark.parametrize("change", list(CHANGES.values()), ids=list(CHANGES))
def test_a_change_before_the_checkpoint_is_refused_and_nothing_is_published(runs, tmp_path, change):
    _, interrupted = runs
    out = copy_of(interrupted, tmp_path)
    write_partial(out, change(partial_lines(out)))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(OutputError, match="changed since its last checkpoint"):
        resume(out)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert not out.exists()


AFTER = {
    "flipped_byte_after_the_checkpoint": lambda lines: lines[:60] + [lines[60].replace(b'"index": 60', b'"index": 99')]
    + lines[61:],
    "duplicated_last_line": lambda lines: lines + [lines[-1]],
    "dropped_last_lines": lambda lines: lines[:55],
    "torn_last_line": lambda lines: lines[:-1] + [lines[-1][:40]],
    "garbage_appended": lambda lines: lines + [b"\x00\xff not json\n"],
}


@pytest.mark.parametrize("change", list(AFTER.values()), ids=list(AFTER))
def test_a_change_after_the_checkpoint_is_recomputed_to_the_uninterrupted_bytes(runs, tmp_path, change):
    reference, interrupted = runs
    out = copy_of(interrupted, tmp_path)
    write_partial(out, change(partial_lines(out)))
    assert resume(out) == reference


@pytest.mark.slow
def test_any_single_byte_change_is_refused_or_repaired(runs, tmp_path):
    """Random positions over the whole partial file: never a silently wrong result."""
    reference, interrupted = runs
    size = (interrupted / "data.jsonl.partial").stat().st_size
    rng = random.Random(5)
    outcomes = {"refused": 0, "repaired": 0}
    for trial in range(24):
        directory = tmp_path / f"t{trial}"
        directory.mkdir()
        out = copy_of(interrupted, directory)
        data = bytearray(b"".join(partial_lines(out)))
        position = rng.randrange(size)
        data[position] = (data[position] + 1 + rng.randrange(255)) % 256
        write_partial(out, [bytes(data)])
        try:
            assert resume(out) == reference
            outcomes["repaired"] += 1
        except OutputError:
            outcomes["refused"] += 1
            assert not out.exists()
    assert outcomes["refused"] and outcomes["repaired"], outcomes  # both sides of the checkpoint were hit


def test_the_checkpoint_is_in_the_run_file(runs):
    _, interrupted = runs
    meta = json.loads((interrupted / "data.jsonl.meta.json").read_text())
    assert meta["complete"] is False and meta["checkpoint"]["next_index"] == 50


def test_a_full_disk_is_one_line_naming_the_file_and_the_run_resumes_to_the_same_bytes(tmp_path, capsys, monkeypatch):
    """The disk fills mid-record: the write that fails leaves half a line. The command says so in
    one line naming the partial file (exit 2, no traceback); once there is room, --resume cuts
    the torn line back and finishes with exactly the bytes of a run that never stopped."""
    import errno

    from fuzzgen.records import atomic
    from inprocess import run_main

    argv = ("sample", "--n", 12, "--seed", 5, "--ir", "jaxpr", "--workers", 0, "--quiet")
    reference = tmp_path / "reference.jsonl"
    assert run_main(capsys, *argv, "--out", reference)[0] == 0
    out = tmp_path / "data.jsonl"
    real_write, calls = atomic.RecordWriter.write, []

    def fills_up(self, line):
        calls.append(line)
        if len(calls) == 7:
            self._handle.write(line.encode()[: len(line) // 2])
            self._handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        real_write(self, line)

    monkeypatch.setattr(atomic.RecordWriter, "write", fills_up)
    status, _, err = run_main(capsys, *argv, "--out", out)
    assert status == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "No space left on device" in err and "data.jsonl.partial" in err, err
    assert not out.exists()
    monkeypatch.setattr(atomic.RecordWriter, "write", real_write)
    assert run_main(capsys, *argv, "--out", out, "--resume")[0] == 0
    assert out.read_bytes() == reference.read_bytes()
