"""replay lowers each case in an isolated worker with a time budget (issue 18, class 2): a case
that kills the worker or runs past --timeout is an error for that case; the next one replays."""
import json
import textwrap

import pytest

from helpers import BUDGET_PLUGIN as PLUGIN, ROOT, run_cli


def case(name: str, call: str) -> dict:
    good = json.loads((ROOT / "corpus" / "regression.jsonl").read_text().splitlines()[0])
    params = ", ".join(a["name"] for a in good["args"])
    first = good["args"][0]["name"]
    python = f"def {good['function_name']}({params}):\n    v0 = {call}({first})\n    return v0\n"
    return {**good, "id": name, "python": python, "finding": {"plugins": ["budget_ops"]}}


@pytest.mark.slow
def test_a_crashing_or_hanging_case_is_an_error_and_the_rest_replays(tmp_path):
    (tmp_path / "budget_ops.py").write_text(textwrap.dedent(PLUGIN))
    good = (ROOT / "corpus" / "regression.jsonl").read_text().splitlines()[0]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join([json.dumps(case("crashes", "ext.abort_when_traced")), good,
                                json.dumps(case("hangs", "ext.hang_when_traced")), good]) + "\n")
    result = run_cli("replay", cases, "--plugin", "budget_ops", "--timeout", 20,  # slack for a loaded machine
                     env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    lines = result.stdout.splitlines()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-800:]
    assert lines[0].startswith("error") and "the isolated worker died (signal 6)" in lines[0], lines[0]
    assert lines[1].startswith("same") and lines[3].startswith("same"), lines
    assert lines[2].startswith("error") and "ran past its 20 s budget" in lines[2], lines[2]
    assert "2 same, 0 changed, 0 rejected, 2 error" in result.stdout
