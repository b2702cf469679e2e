"""`fuzzgen fuzz --workers K`: program i depends on (seed, i) alone, K judges find the same
failures as one, results come back in order, the run reports while it waits, a time budget
stops it, and Ctrl-C stops every worker with one line, the report so far and the corpus intact."""
import os
import signal
import threading
import time

import pytest

from fuzzgen.fuzz.drawing import ProgramDrawer, program_bytes
from fuzzgen.fuzz.driver import FuzzConfig, run_fuzz
from fuzzgen.fuzz.isolation import CheckResult
from fuzzgen.fuzz.pool import JudgePool
from fuzzgen.oracles.verdict import Verdict
from fuzzgen.strategies import programs
from helpers import group_is_gone, run_cli, start, wait_for
from test_fuzz_shrinking import JIT_DIFFERS_FROM_EAGER


def test_program_i_depends_on_the_seed_and_i_alone():
    strategy = programs()
    first, second = ProgramDrawer(strategy, 5), ProgramDrawer(strategy, 5)
    ninth = first.draw(9)
    third = first.draw(3)
    again = second.draw(3)  # a fresh drawer, asked in another order
    assert (third.program.source, third.input_seed) == (again.program.source, again.input_seed)
    assert second.draw(9).program.source == ninth.program.source
    assert third.program.source != ninth.program.source
    assert ProgramDrawer(strategy, 6).draw(3).program.source != third.program.source
    assert program_bytes(5, 3) == third.buffer != program_bytes(6, 3)
    listed = list(ProgramDrawer(strategy, 5).programs(10))
    assert len(listed) == 10 and [d.index for d in listed] == sorted({d.index for d in listed})
    assert (listed[3].program.source, listed[9].program.source) == (third.program.source, ninth.program.source)


def test_a_bad_worker_count_or_budget_is_refused_up_front():
    with pytest.raises(ValueError, match="workers=0 must be"):
        FuzzConfig(workers=0)
    with pytest.raises(ValueError, match="isolate=False judges in this process"):
        FuzzConfig(workers=2, isolate=False)
    with pytest.raises(ValueError, match="time_budget=0 must be"):
        FuzzConfig(time_budget=0)


class SlowChecker:
    """Judges case ``n`` (an int here) after ``delays[n]`` seconds; every verdict passes."""

    def __init__(self, delays):
        self.delays, self.seen = delays, []

    def check(self, case):
        self.seen.append(threading.current_thread().name)
        time.sleep(self.delays[case])
        return CheckResult((Verdict("crash", "passed"),))

    def abort(self):
        pass

    def close(self):
        pass


def test_results_come_back_in_input_order_and_the_caller_hears_while_it_waits():
    delays = [0.6, 0.0, 0.0, 0.3, 0.0, 0.0]  # the first case finishes last
    checkers = [SlowChecker(delays), SlowChecker(delays)]
    ticks = []
    with JudgePool(checkers) as pool:
        order = [item for item, _ in pool.judged(((n, n) for n in range(6)), tick=0.05,
                                                 on_tick=lambda: ticks.append(1))]
    assert order == list(range(6))
    assert len(ticks) >= 3  # told at every tick while case 0 ran, not only when a result came
    assert all(c.seen for c in checkers)  # both judges worked


def test_judging_stops_drawing_once_told_to_and_finishes_what_is_in_flight():
    delays = [0.0] * 100
    drawn = []

    def items():
        for n in range(100):
            drawn.append(n)
            yield n, n

    with JudgePool([SlowChecker(delays), SlowChecker(delays)]) as pool:
        judged = [item for item, _ in pool.judged(items(), keep_going=lambda: len(drawn) < 10)]
    assert judged == drawn and len(drawn) == 10


@pytest.mark.slow
def test_one_and_two_workers_find_the_same_failures(plant):
    """The planted jit-only error, on a run aimed at the planted op that judges every program
    (report_multiple_bugs): the same families with the same counts, and the same program handed
    to Hypothesis, for K = 1 and K = 2. Shrinking is sequential whatever K is (and covered by
    test_fuzz_shrinking), so it stops at once here: what is compared is what the K judges found."""
    plant("planted_jit", JIT_DIFFERS_FROM_EAGER)
    runs = {}
    for workers in (1, 2):
        config = FuzzConfig(max_examples=16, oracles=("eager_vs_jit",), seed=3, corpus=None,
                            plugins=("planted_jit",), workers=workers, reduce=False, shrink_seconds=1e-9,
                            strategy_options={"ops": ("planted_add",)})
        report = run_fuzz(config)
        runs[workers] = ([(f.signature.key, f.count) for f in report.families],
                         [(f.signature.key, f.program.source) for f in report.findings],
                         report.examples, dict(report.statuses))
    assert runs[1] == runs[2]
    families, findings, examples, _ = runs[1]
    assert examples == 16 and families and findings
    assert any("ext.planted_add(" in source for _, source in findings)


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
def test_a_time_budget_stops_drawing_and_the_table_says_where_the_time_went(tmp_path):
    result = run_cli("fuzz", "--max-examples", 100000, "--time-budget", "1s", "--workers", 1, "--oracles",
                     "crash,eager_vs_jit", "--corpus", tmp_path / "corpus")
    assert result.returncode == 0, result.stdout + result.stderr
    judged = int(result.stdout.split("judged ", 1)[1].split(" ", 1)[0])
    assert judged < 100000
    assert "the --time-budget of 1 s is spent" in result.stderr
    for oracle in ("crash", "eager_vs_jit"):
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(oracle))
        assert line.rstrip().endswith("% of judging)"), line


@pytest.mark.parametrize("value, message", [
    ("soon", "--time-budget 'soon' is not a duration"),
    ("0m", "--time-budget 0m must be a positive duration"),
])
def test_a_bad_time_budget_is_one_line(value, message):
    result = run_cli("fuzz", "--time-budget", value)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.slow
def test_ctrl_c_during_a_two_worker_run_stops_with_one_line_and_the_corpus_intact(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    findings = corpus / "findings.jsonl"
    findings.write_text('{"id": "kept", "finding": {"signature": "0123456789abcdef"}}\n')
    before = findings.read_bytes()
    process = start("fuzz", "--max-examples", 5000, "--workers", 2, "--oracles", "crash,eager_vs_jit",
                    "--corpus", corpus, "--quiet")
    time.sleep(20)  # both workers have imported JAX and are judging
    os.killpg(process.pid, signal.SIGINT)  # a terminal sends SIGINT to the whole foreground group
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stdout + stderr
    assert stderr.strip().splitlines() == ["fuzzgen: interrupted"], stderr
    assert "before it was interrupted" in stdout and "Traceback" not in stdout + stderr
    assert findings.read_bytes() == before
    wait_for(lambda: group_is_gone(process.pid), timeout=30)  # the workers went with it
