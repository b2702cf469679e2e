"""validate checks each record in an isolated worker within --timeout (issue 18, class 2): a
record that kills its worker or overruns fails the budget check, and the run goes on."""
import json
import textwrap

import pytest

from helpers import BUDGET_PLUGIN as PLUGIN, ROOT, run_cli


@pytest.mark.slow
def test_a_crashing_or_hanging_record_fails_its_budget_and_the_rest_validate(tmp_path):
    workers = 2
    (tmp_path / "budget_ops.py").write_text(textwrap.dedent(PLUGIN))
    sample = tmp_path / "good.jsonl"
    assert run_cli("sample", "--n", 2, "--out", sample, "--workers", 0, "--quiet", "--ir", "jaxpr").returncode == 0
    good = sample.read_text().splitlines()
    record = json.loads(good[0])
    params = ", ".join(a["name"] for a in record["args"])

    def calling(op):
        python = f"def {record['function_name']}({params}):\n    v0 = ext.{op}({record['args'][0]['name']})\n    return v0\n"
        return json.dumps({**record, "python": python})

    data = tmp_path / "data.jsonl"
    data.write_text("\n".join([calling("abort_when_traced"), good[0], calling("hang_when_traced"), good[1]]) + "\n")
    result = run_cli("validate", data, "--plugin", "budget_ops", "--timeout", 8, "--workers", workers,
                     "--roundtrip-every", 0, "--quiet", env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-800:]
    # the abort is "died (signal 6)", or, where the kernel is slow to dump its core, past the budget
    assert f"{data}:1: budget: " in result.stdout, result.stdout
    assert f"{data}:3: budget: ran past its 8 s budget" in result.stdout, result.stdout
    assert f"{data}:2:" not in result.stdout and f"{data}:4:" not in result.stdout  # the others are valid
