"""A finding as the corpus keeps it: the case record, its standalone reproducer, and the
append-once write to ``<corpus>/findings.jsonl``."""
from __future__ import annotations

import json
from pathlib import Path

import jax
import jaxlib

from ..records.atomic import append_durably
from ..oracles.verdict import Verdict
from .isolation import Case
from .reduce import Reducible
from .reproducer import reproducer, reproduces, unsupported_reason
from .triage import Signature

FINDINGS_FILE = "findings.jsonl"


def standalone_reproducer(case: Case, verdict: Verdict, log) -> dict:
    """``{"script": ..., "reproduced": bool}``, the script run once in a fresh interpreter; or
    ``{"none": why}`` where no standalone script can show this finding."""
    why = unsupported_reason(case.spec, verdict.oracle)
    script = None if why else reproducer(case.spec, verdict.oracle, verdict.error, case.input_seed,
                                         {"jax_version": jax.__version__, "jaxlib_version": jaxlib.__version__})
    if script is None:
        return {"none": why or f"no standalone reproducer for a forward-only program's {verdict.oracle} failure"}
    log("running the standalone reproducer in a fresh interpreter")
    return {"script": script, "reproduced": reproduces(script)}


def case_record(program, case: Case, verdict: Verdict, signature: Signature, ir_sha256: dict | None,
                plugins=(), shrunk: Reducible | None = None) -> dict:
    """The corpus case: everything needed to replay the finding without fuzzgen's fuzzer.
    ``program`` is a `Program` or a `reduce.Reducible`; ``shrunk``, where given, is Hypothesis'
    result before reduction, kept under ``finding.hypothesis``."""
    program = program if isinstance(program, Reducible) else Reducible.of(program)
    record = {
        "id": program.id,
        "category": program.category,
        "function_name": program.function_name,
        **program.to_json(),
    }
    if case.spec.forward_only:
        record["forward_only"] = case.spec.forward_only
    if ir_sha256 is not None:
        record["ir_sha256"] = ir_sha256
    record["jax_version"] = jax.__version__
    record["jaxlib_version"] = jaxlib.__version__
    record["finding"] = {
        "oracle": verdict.oracle,
        "error": verdict.error,
        "input_seed": case.input_seed,
        "signature": signature.key,
    }
    if plugins:
        record["finding"]["plugins"] = list(plugins)
    if shrunk is not None:
        record["finding"]["hypothesis"] = {"id": shrunk.id, **shrunk.to_json()}
    return record


def write_case(corpus: Path, record: dict) -> Path:
    """Append ``record`` to ``corpus/findings.jsonl`` unless the same case is already there."""
    corpus = Path(corpus)
    corpus.mkdir(parents=True, exist_ok=True)
    path = corpus / FINDINGS_FILE
    key = (record["id"], record["finding"]["signature"])
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                existing = json.loads(line)
                if (existing.get("id"), existing.get("finding", {}).get("signature")) == key:
                    return path
            except ValueError:
                continue
    append_durably(path, json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
    return path
