"""The first set-up command's install (`pip install -c requirements.lock .`, no extras) can run
every command it has: each works, or says in one line which extra to install (exit 2); a missing
package is never a finding.

The install is of the JAX that runs the suite: the lock's where the suite runs on it (the
README's test command), the oldest supported one (`pip install . jax==0.4.30 jaxlib==0.4.30`)
where CI's second venv runs the suite on it (marker ``install``, which that run selects besides
its quick tests). One install per run keeps the full suite within its ten minutes."""
import shutil
import subprocess
import sys

import pytest

from fuzzgen.jaxcompat import LOCKED, installed
from helpers import ROOT


def _pins_of_the_running_jax() -> tuple[str, ...]:
    running = {package: installed(package) for package in LOCKED}
    if running == LOCKED:
        return ("-c", "{source}/requirements.lock")
    return tuple(f"{package}=={version}" for package, version in running.items())


@pytest.mark.slow
@pytest.mark.install
def test_a_base_install_runs_sample_validate_replay_and_fuzz(tmp_path):
    pins = _pins_of_the_running_jax()
    source = tmp_path / "source"  # a copy of the committed tree: pip builds in-tree and would litter ROOT
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(source),
                              *(pin.format(source=source) for pin in pins)], capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-2000:]
    fuzzgen = venv / "bin" / "fuzzgen"
    env = {"JAX_PLATFORMS": "cpu", "PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}

    def run(*argv):
        return subprocess.run([str(fuzzgen), *map(str, argv)], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)

    data = tmp_path / "data.jsonl"
    assert run("sample", "--n", 4, "--out", data, "--workers", 0, "--quiet").returncode == 0
    version = run("--version").stdout
    assert f"jax {installed('jax')}," in version, version
    every_kind = tmp_path / "every-kind.jsonl"
    assert run("sample", "--n", 4, "--out", every_kind, "--ir", "jaxpr,stablehlo,hlo,hlo_opt,stablehlo_export",
               "--io", "--quiet").returncode == 0
    validated = run("validate", every_kind, "--workers", 1, "--roundtrip-every", 1, "--quiet")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    validated = run("validate", data, "--workers", 1, "--roundtrip-every", 1, "--quiet")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert run("replay", data).returncode == 0
    replayed = run("replay", ROOT / "corpus")  # stored with the lock's JAX: changes on another, never errors
    assert replayed.returncode in (0, 1) and " 0 rejected, 0 error" in replayed.stdout, replayed.stdout + replayed.stderr
    fuzzed = run("fuzz", "--max-examples", 3, "--quiet")
    assert fuzzed.returncode == 0, fuzzed.stdout + fuzzed.stderr
    assert not (tmp_path / "fuzzgen-findings").exists() and not (tmp_path / "corpus").exists()
    for argv in (("stats", data, "--plot", tmp_path / "charts"), ("export", data, tmp_path / "pq", "--format", "parquet"),
                 ("sample", "--n", 2, "--engine", "ray", "--out", tmp_path / "ray")):
        result = run(*argv)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "pip install 'fuzzgen[" in result.stderr, result.stderr
