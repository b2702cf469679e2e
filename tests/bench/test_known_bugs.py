"""The known-bugs benchmark's data (bench/known_bugs/) is consistent, and the runner judges
verdicts against it. One reproducer runs on the lock's JAX, where every listed bug is fixed."""
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import known_bugs  # noqa: E402

BUGS = known_bugs.load_bugs()


def test_every_bug_has_its_reproducer_a_fix_release_and_versions_before_it():
    assert len(BUGS) >= 8 and len({b["id"] for b in BUGS}) == len(BUGS)
    for bug in BUGS:
        assert (known_bugs.HERE / bug["reproducer"]).is_file(), bug["id"]
        fixed = known_bugs.version_tuple(bug["fixed_in"].split()[0])
        assert bug["bug_verified_on"] and all(known_bugs.version_tuple(v) < fixed for v in bug["bug_verified_on"])
        assert bug["url"].startswith("https://github.com/") and bug["apis"], bug["id"]


def test_a_verdict_that_contradicts_the_list_is_named():
    bug = next(b for b in BUGS if b["id"] == "heaviside_nan")
    assert known_bugs.contradiction(bug, "0.10.2", "BUG") == "BUG on 0.10.2, at or after the fix in 0.10.2"
    assert known_bugs.contradiction(bug, "0.4.30", "OK") == "OK on 0.4.30, listed as having the bug"
    assert known_bugs.contradiction(bug, "0.4.30", "BUG") is None
    assert known_bugs.contradiction(bug, "0.10.2", "OK") is None


def test_apis_are_matched_to_fuzzgen_targets_without_counting_transforms():
    targets = frozenset({"jnp.cumsum", "jax.vmap", "lax.dynamic_slice"})
    assert known_bugs.drawn_apis({"apis": ["jax.numpy.cumsum"]}, targets) == ["jnp.cumsum"]
    assert known_bugs.drawn_apis({"apis": ["jax.lax.linalg.tridiagonal", "jax.vmap"]}, targets) == []


@pytest.mark.locked_jax
def test_a_reproducer_says_ok_on_the_lock_s_jax():
    bug = next(b for b in BUGS if b["id"] == "heaviside_nan")  # fixed in 0.10.2, the lock's release
    assert known_bugs.run_reproducer(sys.executable, bug) == "OK"
