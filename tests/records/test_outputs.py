"""Outputs are never symlinks or devices replaced by a rename, nor written through (issue 17.6)."""
import os
import shutil

import pytest

from helpers import run_cli


def one_line_refusal(result, fragment):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr, result.stderr


@pytest.fixture()
def target(tmp_path):
    """A file a symlink points to; it must come through every command unchanged."""
    path = tmp_path / "precious.txt"
    path.write_text("the user's own file\n")
    return path


def test_sample_refuses_a_symlink_as_out_or_as_its_partial_file(tmp_path, target):
    link = tmp_path / "data.jsonl"
    link.symlink_to(target)
    one_line_refusal(run_cli("sample", "--n", 2, "--out", link, "--workers", 0, "--force"), "is a symbolic link")
    link.unlink()
    (tmp_path / "data.jsonl.partial").symlink_to(target)
    one_line_refusal(run_cli("sample", "--n", 2, "--out", link, "--workers", 0, "--force"), "is a symbolic link")
    assert target.read_text() == "the user's own file\n" and (tmp_path / "data.jsonl.partial").is_symlink()


def test_export_refuses_a_symlink_or_a_fifo_as_out(tmp_path, target, small_sample):
    link = tmp_path / "out.jsonl"
    link.symlink_to(target)
    one_line_refusal(run_cli("export", small_sample, link, "--format", "seed", "--force"), "is a symbolic link")
    assert link.is_symlink() and target.read_text() == "the user's own file\n"
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    one_line_refusal(run_cli("export", small_sample, fifo, "--format", "seed", "--force", timeout=60),
                     "not a regular file")
    assert fifo.exists() and not fifo.is_file()


def test_parquet_export_refuses_a_symlinked_directory(tmp_path, small_sample):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "hf"
    link.symlink_to(real, target_is_directory=True)
    one_line_refusal(run_cli("export", small_sample, link, "--format", "parquet", "--force"), "is a symbolic link")
    assert link.is_symlink() and list(real.iterdir()) == []


def test_replay_update_refuses_to_rename_over_a_symlinked_corpus_file(tmp_path, small_sample):
    real = tmp_path / "cases.jsonl"
    shutil.copy(small_sample, real)
    real.chmod(0o644)
    link = tmp_path / "linked.jsonl"
    link.symlink_to(real)
    before = real.read_bytes()
    one_line_refusal(run_cli("replay", link, "--update"), "is a symbolic link")
    assert link.is_symlink() and real.read_bytes() == before
