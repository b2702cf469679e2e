import os
import textwrap

os.environ.setdefault("JAX_PLATFORMS", "cpu")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
)
settings.register_profile(
    "fuzz", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """On a JAX other than the lock's, tests marked ``locked_jax`` (golden hashes, the committed
    corpus replaying "same") are skipped, saying why: that is the documented subset that runs on
    the oldest supported JAX. Everything else must pass on every supported release."""
    from fuzzgen.jaxcompat import LOCKED, installed

    running = {package: installed(package) for package in LOCKED}
    if running == LOCKED:
        return
    reason = (f"expects the exact IR of the lock's jax {LOCKED['jax']}; running jax {running['jax']}, "
              f"jaxlib {running['jaxlib']}")
    for item in items:
        if "locked_jax" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory):
    """30 records of the default mix (seed 11), drawn once per test session and shared by the
    dataset, record and replay tests. Read it; write changed copies elsewhere."""
    from fuzzgen.sample import Progress, SampleConfig, run_sample

    out = tmp_path_factory.mktemp("shared") / "small.jsonl"
    run_sample(out, 30, SampleConfig(seed=11), workers=0, progress=Progress(30, quiet=True))
    out.chmod(0o444)
    return out


@pytest.fixture(scope="session")
def thousand_file(tmp_path_factory, worker_id):
    """`fuzzgen sample --n 1000 --seed 0 --workers 2`, run once per test run through the CLI: the
    golden-bytes test and the 1,000-record schema and breadth tests read the same file. Under
    pytest-xdist each worker has its own session, so the file lives in the directory the workers
    share, and a lock makes the first one to ask write it (a minute and a half of work) while
    the others wait for it rather than writing their own."""
    import fcntl

    from helpers import run_cli

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # pytest-of-USER/pytest-N, above every worker's own directory
    out = shared / "thousand" / "data.jsonl"
    with open(shared / "thousand.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            out.parent.mkdir(exist_ok=True)
            staged = out.with_name("data.jsonl.staged")
            result = run_cli("sample", "--n", "1000", "--seed", "0", "--out", staged, "--workers", "2", "--quiet",
                             "--force")
            assert result.returncode == 0, result.stderr
            staged.chmod(0o444)
            staged.rename(out)  # whole or absent: a worker that died half way leaves no torn file
    return out


@pytest.fixture
def plant(tmp_path, monkeypatch):
    """Write ``source`` as plugin module ``name`` and load it, for this test only (planted bugs)."""
    from fuzzgen.grammar import plugins

    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    (tmp_path / "plugins").mkdir()

    def write_and_load(name, source, load=True):
        (tmp_path / "plugins" / f"{name}.py").write_text(textwrap.dedent(source))
        return plugins.load_plugin(name) if load else None

    with plugins.scoped_registrations():
        yield write_and_load
