"""Golden bytes: the records a run writes are a pure function of (arguments, versions).

These hashes were recorded before the package layout changed (issue 12) and must not move:
a change to them is a change to every dataset drawn with the same seed. If a deliberate grammar
change moves them, record the new hashes and say so in the commit.
"""
import hashlib

import pytest

from fuzzgen.grammar import ALL_CATEGORY_NAMES
from fuzzgen.ir import ALL_IR_KINDS
from fuzzgen.sample import Progress, SampleConfig, run_sample

pytestmark = pytest.mark.locked_jax  # these hashes are the lock's JAX's bytes


DEFAULT_40 = "8f5bd370745b4102c330c67cfdb822b5234404d6eb8305c7c9b421af486c8fd9"
EVERYTHING_36 = "1362c91ba83c98bb93aa836ba284dd8659023790f4ce41cd53d1bafbf63b21a0"
DEFAULT_1000 = "cdfd297f610e24b11e07ca0d063fcc7864c168f094112fa7bc2e2588154284ff"


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_run_bytes(tmp_path):
    out = tmp_path / "default.jsonl"
    run_sample(out, 40, SampleConfig(seed=0), workers=0, progress=Progress(40, quiet=True))
    assert sha256(out) == DEFAULT_40


@pytest.mark.slow
def test_every_option_bytes(tmp_path):
    """Every IR kind, --io, --dedup, --split and all twelve categories (control_flow, vmap)."""
    out = tmp_path / "everything.jsonl"
    config = SampleConfig(seed=3, ir=ALL_IR_KINDS, categories=ALL_CATEGORY_NAMES, io=True, dedup=True,
                          splits=(("train", 0.8), ("valid", 0.1), ("test", 0.1)))
    run_sample(out, 36, config, workers=0, progress=Progress(36, quiet=True))
    assert sha256(out) == EVERYTHING_36


@pytest.mark.slow
def test_cli_1000_records_bytes(thousand_file):
    """`fuzzgen sample --n 1000 --seed 0` with two workers (the session's shared file)."""
    assert sha256(thousand_file) == DEFAULT_1000
