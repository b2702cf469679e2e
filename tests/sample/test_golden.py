"""Golden bytes: the records a run writes are a pure function of (arguments, versions).

These hashes must not move by accident: a change to them is a change to every dataset drawn with
the same seed. They were last recorded when the grammar learned the ops whose special cases
JAX got wrong (heaviside, xlogy, xlog1py, floor_divide on floats, for the reference oracle); a
deliberate grammar change that moves them
records the new hashes and says so in its commit.
"""
import hashlib

import pytest

from fuzzgen.grammar import ALL_CATEGORY_NAMES
from fuzzgen.ir import ALL_IR_KINDS
from fuzzgen.sample import Progress, SampleConfig, run_sample

pytestmark = pytest.mark.locked_jax  # these hashes are the lock's JAX's bytes


DEFAULT_40 = "667ecbc1b6209bb98e5316bdc8afdd21f5b9ca02c5ed72360d134cfaff4ee42d"
EVERYTHING_36 = "15fee8ebd8edbfe53b1ddb96f0236dacfffe3f85d0b02e0a829fda62ea41c274"
DEFAULT_1000 = "46ce7b7e1f6bd7911ca35c506d33c31011be2fe35356d5f94e72a1f321b522fa"


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_run_bytes(tmp_path):
    out = tmp_path / "default.jsonl"
    run_sample(out, 40, SampleConfig(seed=0), workers=0, progress=Progress(40, quiet=True))
    assert sha256(out) == DEFAULT_40


@pytest.mark.slow
def test_every_option_bytes(tmp_path):
    """Every IR kind, --io, --dedup, --split and all eighteen categories (the opt-in ones too)."""
    out = tmp_path / "everything.jsonl"
    config = SampleConfig(seed=3, ir=ALL_IR_KINDS, categories=ALL_CATEGORY_NAMES, io=True, dedup=True,
                          splits=(("train", 0.8), ("valid", 0.1), ("test", 0.1)))
    run_sample(out, 36, config, workers=0, progress=Progress(36, quiet=True))
    assert sha256(out) == EVERYTHING_36


@pytest.mark.slow
def test_cli_1000_records_bytes(thousand_file):
    """`fuzzgen sample --n 1000 --seed 0` with two workers (the session's shared file)."""
    assert sha256(thousand_file) == DEFAULT_1000
