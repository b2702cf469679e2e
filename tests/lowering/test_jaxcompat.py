"""One compatibility module for every supported JAX: the lock, the declared ranges and
`jaxcompat.LOCKED` agree, and each shim works on the JAX that is running."""
import re
import subprocess
import sys
import tomllib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fuzzgen import jaxcompat
from helpers import ROOT

PACKAGE = ROOT / "fuzzgen"


def locked_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not an exact pin"
            pins[name.lower()] = version
    return pins


def declared() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [d for ds in project["optional-dependencies"].values() for d in ds]
    return {re.match(r"[A-Za-z0-9_.-]+", s).group(0).lower(): s for s in specs if not s.startswith("fuzzgen")}


def test_the_lock_pins_what_jaxcompat_says_and_what_pyproject_allows():
    pins = locked_pins()
    assert {p: pins[p] for p in jaxcompat.LOCKED} == jaxcompat.LOCKED
    ranges = declared()
    oldest, newest = jaxcompat.SUPPORTED
    for package in ("jax", "jaxlib"):
        assert ranges[package] == f"{package}>={oldest},<={newest}", ranges[package]
    # every declared dependency is locked, so an install with the lock is fully pinned
    assert set(ranges) <= set(pins), set(ranges) - set(pins)


def test_version_says_what_runs_what_is_locked_and_what_is_supported():
    result = subprocess.run([sys.executable, "-m", "fuzzgen", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert f"jax {jax.__version__}, jaxlib " in line
    assert "lock: jax==0.10.2, jaxlib==0.10.2" in line and "supported: jax 0.4.30 to 0.10.2" in line


def test_a_version_outside_the_range_is_named(monkeypatch):
    monkeypatch.setattr(jaxcompat, "installed", lambda package: "0.4.29" if package == "jax" else "0.4.29")
    assert jaxcompat.version_report().endswith("jax 0.4.29 is outside the supported range")
    assert jaxcompat.version_tuple("0.4.30") < jaxcompat.version_tuple("0.10.2")
    assert jaxcompat.version_tuple("0.9.0.1") > jaxcompat.version_tuple("0.9.0")
    assert jaxcompat.version_tuple("0.5.0rc1") == (0, 5, 0)


def test_x64_is_on_inside_and_off_after():
    with jaxcompat.enable_x64(True):
        assert jnp.asarray(1.0).dtype == np.float64
    assert jnp.asarray(1.0).dtype == np.float32


def test_hlo_text_parses_and_converts_back_to_mlir():
    hlo = jax.jit(lambda x: jnp.sin(x) * 2.0).lower(jnp.ones(3)).as_text(dialect="hlo")
    module = jaxcompat.hlo_module_from_text(hlo)
    assert "sine" in module.to_string()
    assert "sine" in jaxcompat.hlo_text_to_mlir(hlo)


def test_no_module_but_jaxcompat_reaches_into_version_specific_jax_internals():
    """What differs between releases lives in one module; elsewhere, no version checks and none
    of the internals that moved (``_jax``, ``jaxlib._hlo``, ``backend_compile*``, ``enable_x64``)."""
    moved = re.compile(r"jax\.__version__\s*[<>]|jaxlib\.__version__\s*[<>]|\b_jax\b|jaxlib import _hlo|"
                       r"backend_compile|jax\.enable_x64\(|experimental\.enable_x64|version_tuple\(")
    offenders = [str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py")
                 if path.name != "jaxcompat.py" and moved.search(path.read_text())]
    assert offenders == []


@pytest.mark.parametrize("enabled", [True, False])
def test_enable_x64_false_is_a_context_too(enabled):
    with jaxcompat.enable_x64(enabled):
        assert (jnp.asarray(1.0).dtype == np.float64) == enabled


def test_the_oldest_lock_is_the_lock_with_the_oldest_supported_jax():
    def pins(name):
        lines = (ROOT / name).read_text().splitlines()
        return dict(line.split("==") for line in lines if line and not line.startswith("#"))

    oldest = pins("requirements-oldest.lock")
    assert {p: oldest.pop(p) for p in ("jax", "jaxlib")} == {"jax": jaxcompat.SUPPORTED[0], "jaxlib": jaxcompat.SUPPORTED[0]}
    locked = pins("requirements.lock")
    del locked["jax"], locked["jaxlib"]
    assert oldest == locked


def test_the_readme_shows_what_version_prints_on_the_oldest_jax(monkeypatch):
    from fuzzgen import __version__

    monkeypatch.setattr(jaxcompat, "installed", lambda package: jaxcompat.SUPPORTED[0])
    line = f"fuzzgen {__version__}; {jaxcompat.version_report()}"
    assert f"\n    {line}\n" in (ROOT / "README.md").read_text(), line
