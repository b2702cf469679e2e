"""Golden bytes: the records a run writes are a pure function of (arguments, versions).

These hashes must not move by accident: a change to them is a change to every dataset drawn with
the same seed. They were last recorded when the grammar learned real JAX's ops and spellings
(issue 13: jax.nn, methods, indexing, mask logic); a deliberate grammar change that moves them
records the new hashes and says so in its commit.
"""
import hashlib

import pytest

from fuzzgen.grammar import ALL_CATEGORY_NAMES
from fuzzgen.ir import ALL_IR_KINDS
from fuzzgen.sample import Progress, SampleConfig, run_sample

pytestmark = pytest.mark.locked_jax  # these hashes are the lock's JAX's bytes


DEFAULT_40 = "e184ad69d8890bb3bd7e5606da8b0c9c18a538ea86980cdd2c2d63709ce85624"
EVERYTHING_36 = "77c0e703526cd612562d432a518917f2746abb4f97aabc223c26c58e66775ca3"
DEFAULT_1000 = "1e149fa2dd4301eedb3111dbd66f8ecc459f4f1a72f5ac5b7e7d4fe45f4d5a4a"


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
