"""`fuzzgen fuzz`: bad arguments are one line and exit 2; a clean run exits 0."""
import pytest

from fuzzgen.cli.main import main
from helpers import run_cli


@pytest.mark.parametrize("args, message", [
    (["--max-examples", "0"], "--max-examples 0 must be between 1 and"),
    (["--max-examples", "many"], "--max-examples 'many' is not an integer"),
    (["--oracles", "crash,telepathy"], "unknown telepathy"),
    (["--oracles", ""], "is empty"),
    (["--timeout", "0"], "--timeout 0 must be a positive number"),
    (["--seed", "-1"], "--seed -1 must be"),
    (["--plugin", "no_such_plugin_module"], "no module named 'no_such_plugin_module'"),
    (["--plugin", "os"], "registered no ops"),
    (["--plugin", "not a name"], "is not a module name"),
    (["--ops", "cumsumm"], "--ops: no op named 'cumsumm' in the grammar; did you mean cumsum"),
    (["--ops", "sin,,cos"], "has an empty name"),
])
def test_bad_arguments_exit_2_with_one_line(args, message, capsys):
    try:
        status = main(["fuzz", *args])
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and err.count("\n") == 1, err


def test_a_corpus_path_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "corpus").write_text("")
    assert main(["fuzz", "--corpus", str(tmp_path / "corpus")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_bad_plugin_prints_no_traceback(tmp_path):
    (tmp_path / "half_plugin.py").write_text("from fuzzgen.grammar import plugins\nplugins.register(42)\n")
    result = run_cli("fuzz", "--plugin", "half_plugin", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.startswith("fuzzgen: error: --plugin half_plugin:") and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
def test_a_run_without_failures_exits_0_and_writes_no_case(tmp_path):
    result = run_cli("fuzz", "--max-examples", 4, "--oracles", "crash,forward_vs_reverse", "--corpus",
                     tmp_path / "corpus", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "judged" in result.stdout and "no failures found" in result.stdout
    assert not (tmp_path / "corpus" / "findings.jsonl").exists()


def test_categories_aim_the_run_and_a_bad_one_is_a_usage_error(tmp_path):
    from fuzzgen.fuzz.driver import FuzzConfig, run_fuzz
    report = run_fuzz(FuzzConfig(max_examples=4, oracles=("crash",), corpus=None, isolate=False,
                                 strategy_options={"categories": ("matmul", "control_flow")}))
    assert report.examples == 4 and not report.found
    bad = run_cli("fuzz", "--categories", "matmul,nope", "--max-examples", 1)
    assert bad.returncode == 2 and "--categories" in bad.stderr and "nope" in bad.stderr, bad.stderr


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
def test_ops_aim_the_run_and_the_summary_says_how_often_each_was_called(tmp_path):
    result = run_cli("fuzz", "--max-examples", 4, "--ops", "cumsum,sort", "--oracles", "crash", "--workers", 1,
                     "--corpus", tmp_path / "corpus", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    shares = {line.split()[2]: int(line.split()[4]) for line in result.stdout.splitlines()
              if line.strip().startswith("--ops: op ")}
    assert set(shares) == {"cumsum", "sort"} and all(n <= 4 for n in shares.values()) and sum(shares.values()) >= 4
