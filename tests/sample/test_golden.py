"""Golden bytes: the records a run writes are a pure function of (arguments, versions).

These hashes must not move by accident: a change to them is a change to every dataset drawn with
the same seed. They were last recorded for GRAMMAR_VERSION 6, when norms and attention began to
take keyword-only flags that an `if` tests (`*, use_bias=True`; version 5 had added helpers and
keyword-only numbers) (only EVERYTHING_36 moved: the default mix draws no model code), checked
again for version 7 (loops over stacked layers), which left all three where they were, and
recorded for versions 8 (tree results: `return new, {'mu': mu, 'nu': nu}`), 9 (maps over
whole parameter trees), 10 (`lax.scan` over stacked layers), 11 (clipping a gradient tree by
its global norm), 12 (training steps over a whole parameter tree) and 13 (an `if` on an
argument's rank), where again only EVERYTHING_36 moved, checked for 14 (loops over a list
of layers), which left all three where they were, recorded for 15 (an L2 penalty over a
tree in a training step's loss), where only EVERYTHING_36 moved, and for 16 (vmap in the source
over another axis, `in_axes=1` / `out_axes=-1`), where only DEFAULT_1000 moved: the default
mix's multi_statement draws such vmaps. A
deliberate grammar change that moves them bumps `fuzzgen.grammar.GRAMMAR_VERSION` (so that no
run is resumed or merged across the change), records the new hashes and says so in its commit.
"""
import hashlib

import pytest

from fuzzgen.grammar import ALL_CATEGORY_NAMES, GRAMMAR_VERSION
from fuzzgen.ir import ALL_IR_KINDS
from fuzzgen.sample import Progress, SampleConfig, run_sample

pytestmark = pytest.mark.locked_jax  # these hashes are the lock's JAX's bytes


DEFAULT_40 = "37d16320e2d19ae4824fb4cbf437049ef60e6ff3f434f44cf159a5555abf3fa2"
EVERYTHING_36 = "468fc18f67efc628c42316ac0829ab426677fe7b0d0d315ba0b6248aec6b9822"
DEFAULT_1000 = "1b748c43727f7e4fc72b0262012535508e4e7b133f0dd77c14f4a887c5c53014"


RECORDED_FOR_GRAMMAR_VERSION = 16


def test_the_hashes_were_recorded_for_this_grammar_version():
    """Bumping GRAMMAR_VERSION without recording the hashes it draws (or the reverse) fails here."""
    assert GRAMMAR_VERSION == RECORDED_FOR_GRAMMAR_VERSION, (
        "GRAMMAR_VERSION moved: record the golden hashes it draws and RECORDED_FOR_GRAMMAR_VERSION")


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
