"""`fuzzgen sample --engine ray`: byte identity with the local engine, retries, resume, refusals.

One local Ray cluster (2 CPUs, loopback) serves the module. The tests that need Ray skip when it
is not installed (`pip install 'fuzzgen[ray]'`); the missing-extra and lazy-import checks run
either way.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from fuzzgen.grammar import GrammarSettings
from fuzzgen.records.atomic import OutputError
from fuzzgen.sample.ray.manifest import concatenate_shards, read_manifest, sha256_of
from fuzzgen.sample.run import run_sample
from fuzzgen.sample.draw import SampleConfig
from helpers import ROOT, run_cli, snapshot

# Ray keeps a local cluster on loopback only when told before it is imported (see ray_engine).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
try:
    import ray
except ImportError:
    ray = None

needs_ray = pytest.mark.skipif(ray is None, reason="ray is not installed; pip install 'fuzzgen[ray]'")

N, SEED, SHARD_SIZE = 40, 11, 7  # 6 shards, the last one shorter
CONFIG = SampleConfig(seed=SEED)


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():  # JAX warns on any fork; Ray execs right after it
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
                 log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "local.jsonl"
    run_sample(out, N, CONFIG, workers=2)
    return out


@pytest.fixture(scope="module")
def ray_run(cluster, tmp_path_factory):
    from fuzzgen.sample.ray.engine import run_ray_sample

    out_dir = tmp_path_factory.mktemp("ray") / "data"
    summary = run_ray_sample(out_dir, N, CONFIG, shard_size=SHARD_SIZE)
    return out_dir, summary


def shards_concatenated(out_dir: Path) -> bytes:
    manifest = read_manifest(out_dir)
    return b"".join((out_dir / entry["file"]).read_bytes() for entry in manifest["shards"])


@pytest.mark.slow
@needs_ray
def test_shards_concatenate_to_the_local_output(ray_run, local_run, tmp_path):
    out_dir, summary = ray_run
    assert shards_concatenated(out_dir) == local_run.read_bytes()
    manifest = read_manifest(out_dir)
    assert manifest["complete"] and manifest["records"] == N == summary.records
    assert manifest["identity"] == json.loads(Path(f"{local_run}.meta.json").read_text())["identity"]
    assert [(e["start"], e["stop"]) for e in manifest["shards"]] == [(0, 7), (7, 14), (14, 21), (21, 28), (28, 35),
                                                                    (35, 40)]
    for entry in manifest["shards"]:
        data = (out_dir / entry["file"]).read_bytes()
        assert sha256_of(data) == entry["sha256"] and data.count(b"\n") == entry["records"]
    # As one file, with its meta: what the local engine wrote, so merge/export/stats take it as is.
    concatenate_shards(out_dir, tmp_path / "all.jsonl")
    assert (tmp_path / "all.jsonl").read_bytes() == local_run.read_bytes()
    assert (tmp_path / "all.jsonl.meta.json").read_bytes() == Path(f"{local_run}.meta.json").read_bytes()


@pytest.mark.slow
@needs_ray
def test_tree_and_helper_programs_shard_to_the_local_output(cluster, tmp_path):
    """Model code with `params` trees, helpers and keyword-only numbers (issue 14): the Ray
    engine's shards are the local engine's bytes too."""
    from fuzzgen.sample.ray.engine import run_ray_sample

    config = SampleConfig(seed=0, categories=("layer", "norm", "attention"), weights=None)
    local = tmp_path / "local.jsonl"
    run_sample(local, 12, config, workers=0)
    run_ray_sample(tmp_path / "ray", 12, config, shard_size=5)
    assert shards_concatenated(tmp_path / "ray") == local.read_bytes()
    records = [json.loads(line) for line in local.read_text().splitlines()]
    assert sum(any("path" in a for a in r["args"]) for r in records) >= 3  # params trees
    assert sum(r["python"].count("\ndef ") >= 1 for r in records) >= 2  # helpers before the program
    assert any(", *, eps=" in r["python"] for r in records)  # keyword-only numbers


@needs_ray
@pytest.mark.slow
def test_dedup_drops_duplicates_across_shards_as_the_local_run_does(cluster, tmp_path):
    from fuzzgen.sample.ray.engine import run_ray_sample

    # Scalar float32 scalar_array programs repeat: with seed 5, index 23 (shard 4) repeats 7
    # (shard 1), 25 repeats 14, and 26 and 27 repeat 7 and each other (all in shard 5).
    config = SampleConfig(seed=5, categories=("scalar_array",), dedup=True,
                          settings=GrammarSettings(max_rank=0, dtypes=("float32",), max_statements=1))
    local = run_sample(tmp_path / "local.jsonl", 30, config, workers=2)
    assert local.skipped_duplicates >= 2
    summary = run_ray_sample(tmp_path / "data", 30, config, shard_size=5)
    assert shards_concatenated(tmp_path / "data") == (tmp_path / "local.jsonl").read_bytes()
    assert (summary.records, summary.skipped_duplicates) == (local.records, local.skipped_duplicates)


def local_prefix(local_run: Path, n: int) -> bytes:
    """The local output for n records: record i depends on (seed, i) alone (no failures here)."""
    return b"".join(local_run.read_bytes().splitlines(True)[:n])


@pytest.mark.slow
@needs_ray
def test_a_killed_worker_is_retried_and_the_output_has_no_gap_or_duplicate(cluster, local_run, tmp_path,
                                                                           monkeypatch):
    from fuzzgen.sample.faults import RAY_KILL_ENV
    from fuzzgen.sample.ray.engine import RayEngineError, run_ray_sample

    marker = tmp_path / "killed-once"
    monkeypatch.setenv(RAY_KILL_ENV, f"1:3:{marker}")  # shard 1's worker exits after 3 samples, once
    run_ray_sample(tmp_path / "data", 21, CONFIG, shard_size=SHARD_SIZE)
    assert marker.exists(), "the test hook did not kill the worker"
    assert shards_concatenated(tmp_path / "data") == local_prefix(local_run, 21)

    # Without retries the death reaches the driver: a one-line error, finished shards kept, and the
    # same call again completes the run.
    marker.unlink()
    with pytest.raises(RayEngineError, match=r"shard 1 \(indices 7\.\.13\) failed on Ray") as error:
        run_ray_sample(tmp_path / "again", 21, CONFIG, shard_size=SHARD_SIZE, max_retries=0, manifest_every=0)
    assert "\n" not in str(error.value)
    assert {e["index"] for e in read_manifest(tmp_path / "again")["shards"]} == {0}
    summary = run_ray_sample(tmp_path / "again", 21, CONFIG, shard_size=SHARD_SIZE, max_retries=0)
    assert summary.resumed_from == 7
    assert shards_concatenated(tmp_path / "again") == local_prefix(local_run, 21)


@pytest.mark.slow
@needs_ray
def test_crashing_and_hanging_samples_fail_as_in_a_local_run(cluster, tmp_path, monkeypatch):
    from fuzzgen.sample.ray.engine import run_ray_sample

    # The sample at index 3 aborts its process, the one at 7 hangs: the first attempt of each shard
    # dies (abort, watchdog), and Ray's retry isolates every sample as the local engine does.
    monkeypatch.setenv("FUZZGEN_TEST_FAULTS", "crash:3,hang:7")
    local = run_sample(tmp_path / "local.jsonl", 10, CONFIG, workers=2, timeout=6)
    summary = run_ray_sample(tmp_path / "data", 10, CONFIG, shard_size=5, timeout=6)
    assert shards_concatenated(tmp_path / "data") == (tmp_path / "local.jsonl").read_bytes()
    manifest = read_manifest(tmp_path / "data")
    failures = b"".join((tmp_path / "data" / e["failures_file"]).read_bytes() for e in manifest["shards"])
    assert failures == (tmp_path / "local.jsonl.failures.jsonl").read_bytes()
    assert [json.loads(line)["index"] for line in failures.splitlines()] == [3, 7]
    assert summary.failures == local.failures == 2 and summary.records == local.records == 8


DRIVER = textwrap.dedent("""
    import sys
    from fuzzgen.sample.ray.engine import run_ray_sample
    from fuzzgen.sample.draw import SampleConfig
    run_ray_sample(sys.argv[2], int(sys.argv[3]), SampleConfig(seed=int(sys.argv[4])), shard_size=2,
                   address=sys.argv[1], manifest_every=0)
""")


@pytest.mark.slow
@needs_ray
def test_after_the_driver_is_killed_the_same_call_skips_complete_shards(cluster, local_run, tmp_path):
    from fuzzgen.sample.ray.engine import run_ray_sample

    out_dir = tmp_path / "data"
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, cluster, str(out_dir), str(N), str(SEED)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    manifest = None
    try:
        while time.monotonic() < deadline and driver.poll() is None:
            try:
                manifest = read_manifest(out_dir)
            except (OutputError, FileNotFoundError):
                manifest = None
            if manifest and len(manifest["shards"]) >= 2:
                break
            time.sleep(0.02)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    assert manifest and len(manifest["shards"]) >= 2 and not manifest["complete"], "the driver finished too soon"
    before = {e["file"]: os.stat(out_dir / e["file"]) for e in manifest["shards"]}

    summary = run_ray_sample(out_dir, N, CONFIG, shard_size=2)
    assert summary.resumed_from >= sum(e["records"] for e in manifest["shards"])
    for name, stat in before.items():  # skipped: the very same files, not rewritten
        after = os.stat(out_dir / name)
        assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert shards_concatenated(out_dir) == local_run.read_bytes()
    assert not [p for p in out_dir.iterdir() if ".tmp-" in p.name]


@needs_ray
@pytest.mark.slow
def test_a_damaged_shard_is_recomputed(cluster, ray_run, local_run, tmp_path):
    from fuzzgen.sample.ray.engine import run_ray_sample
    import shutil

    out_dir = tmp_path / "data"
    shutil.copytree(ray_run[0], out_dir)
    (out_dir / "shard-00003.jsonl").write_bytes(b"torn")
    summary = run_ray_sample(out_dir, N, CONFIG, shard_size=SHARD_SIZE)
    assert summary.resumed_from == N - 7
    assert shards_concatenated(out_dir) == local_run.read_bytes()


@pytest.mark.slow
@needs_ray
def test_cli_on_a_running_cluster_matches_the_local_engine(cluster, local_run, tmp_path):
    result = run_cli("sample", "--engine", "ray", "--ray-address", cluster, "--n", 12, "--seed", SEED,
                     "--shard-size", 5, "--out", tmp_path / "data", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "wrote 12 records to" in result.stdout
    assert shards_concatenated(tmp_path / "data") == local_prefix(local_run, 12)
    again = run_cli("sample", "--engine", "ray", "--ray-address", cluster, "--n", 12, "--seed", SEED,
                    "--shard-size", 5, "--out", tmp_path / "data", "--quiet")
    assert again.returncode == 0 and "already complete (12 records); nothing to do" in again.stdout


@pytest.mark.slow  # starts a local Ray cluster and a Ray run: half a minute of the quick loop
@needs_ray
def test_cli_refuses_a_directory_of_another_run_and_touches_nothing(ray_run):
    out_dir, _ = ray_run
    before = snapshot(out_dir)
    for changed in (["--seed", SEED + 1, "--shard-size", SHARD_SIZE], ["--seed", SEED, "--shard-size", 8]):
        result = run_cli("sample", "--engine", "ray", "--n", N, "--out", out_dir, *changed)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "different arguments" in result.stderr, result.stderr
    assert snapshot(out_dir) == before


@pytest.mark.parametrize("flags, message", [
    (["--engine", "ray", "--shard", "0/2"], "--shard is for the local engine"),
    (["--shard-size", "5"], "--ray-address and --shard-size need --engine ray"),
    (["--ray-address", "127.0.0.1:1"], "--ray-address and --shard-size need --engine ray"),
])
def test_cli_rejects_flags_of_the_other_engine(flags, message, tmp_path):
    result = run_cli("sample", "--n", 2, "--out", tmp_path / "x", *flags)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


@needs_ray
def test_cli_names_an_unreachable_cluster_in_one_line(tmp_path):
    result = run_cli("sample", "--engine", "ray", "--ray-address", "127.0.0.1:1", "--n", 2, "--out", tmp_path / "x")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "nothing answers at --ray-address 127.0.0.1:1" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_without_ray_the_engine_says_how_to_install_it_and_local_runs_never_import_it(tmp_path):
    poisoned = tmp_path / "site"
    (poisoned / "ray").mkdir(parents=True)
    (poisoned / "ray" / "__init__.py").write_text("raise ImportError('ray is poisoned by the test')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(poisoned), str(ROOT)])}
    result = run_cli("sample", "--engine", "ray", "--n", 2, "--out", tmp_path / "data", env=env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "pip install 'fuzzgen[ray]'" in result.stderr
    assert not (tmp_path / "data").exists()
    local = run_cli("sample", "--n", 2, "--workers", 0, "--out", tmp_path / "local.jsonl", "--quiet", env=env)
    assert local.returncode == 0, local.stderr


@pytest.mark.slow
def test_quiet_means_quiet_with_a_local_ray_instance(tmp_path):
    result = run_cli("sample", "--engine", "ray", "--n", 2, "--out", tmp_path / "data", "--quiet", "--workers", 1)
    assert result.returncode == 0 and result.stderr == "", result.stderr
