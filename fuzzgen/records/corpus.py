"""Corpus cases: a program, its arg specs and a fingerprint of its IR, one JSON line each.

The schema is documented in ``corpus/README.md``. A case stores, per IR kind, the sha256 of the
forward and backward texts (``ir_sha256``) and/or the texts themselves (as `fuzzgen sample`
records do), so a `fuzzgen sample` file is a valid corpus too. Cases are validated here as
untrusted data; their source is checked against the grammar only when something lowers it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..ir import ALL_IR_KINDS, DIRECTIONS
from ..program.spec import ArgSpec
from .schema import (FIELDS, HASH_KEY, META_FIELDS, SchemaError, located, parse_args, parse_forward_only,
                     parse_hashes, parse_ir_pair, parse_plugins, parse_vmap, require_fields)

CORPUS_FIELDS = tuple(f.name for f in FIELDS if f.corpus)  # what every case keeps


def sha256_text(text: str | None) -> str | None:
    """The hex sha256 of an IR text; None stands for a backward that does not exist."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def running_versions() -> dict[str, str]:
    import jax  # only when versions are compared: reading cases must not start JAX
    import jaxlib

    return {"jax_version": jax.__version__, "jaxlib_version": jaxlib.__version__}


@dataclass(frozen=True)
class Case:
    """One validated record; ``record`` is the object as read, kept for rewriting it."""

    path: Path
    line: int
    record: dict
    id: str
    category: str
    function_name: str
    python: str
    args: tuple[ArgSpec, ...]
    texts: dict[str, dict[str, str | None]]
    hashes: dict[str, dict[str, str | None]]
    vmap_axes: tuple[int | None, ...] | None = None  # lowered as jax.vmap(f, in_axes=vmap_axes)
    forward_only: str | None = None  # why there is no backward (reverse mode does not exist)
    plugins: tuple[str, ...] = ()  # plugin modules whose ops the source calls (``finding``/``meta.plugins``)

    def checked_spec(self):
        """The case's `ProgramSpec`, once its source has passed the grammar check; raises
        `UntrustedSourceError` before anything is exec'd."""
        from ..trust import check_program

        return check_program(self.python, self.function_name, self.args, vmap_axes=self.vmap_axes,
                             forward_only=self.forward_only)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def kinds(self) -> tuple[str, ...]:
        """The IR kinds this case stores something of, in the pipeline's order."""
        return tuple(k for k in ALL_IR_KINDS if k in self.texts or k in self.hashes)

    @property
    def versions(self) -> dict[str, str]:
        """The JAX versions the stored IR came from, as far as the record says."""
        meta = self.record.get("meta") or {}
        found = {"jax_version": self.record.get("jax_version", meta.get("jax_version"))}
        if "jaxlib_version" in self.record:
            found["jaxlib_version"] = self.record["jaxlib_version"]
        return {k: v for k, v in found.items() if v is not None}

    @property
    def stale_versions(self) -> bool:
        running = running_versions()
        return any(running[k] != v for k, v in self.versions.items())


def parse_case(path, line: int, obj: dict) -> Case:
    """Validate one corpus case or sample record; raises `RecordError` naming file:line."""
    with located(path, line):
        return _parse_case(Path(path), line, obj)


def _parse_case(path: Path, line: int, obj: dict) -> Case:
    require_fields(obj, FIELDS, required="corpus")
    if not obj["function_name"].isidentifier():
        raise SchemaError(f"'function_name' {obj['function_name'][:40]!r} is not an identifier")
    if isinstance(obj.get("meta"), dict):
        require_fields(obj["meta"], [f for f in META_FIELDS if f.name == "jax_version"], required=None,
                       prefix="meta.")
    args = parse_args(obj["args"])
    vmap_axes = parse_vmap(obj.get("vmap"), args)
    forward_only = parse_forward_only(obj)
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    plugins = parse_plugins(obj.get("finding", {}).get("plugins", []))
    plugins += tuple(p for p in parse_plugins(meta.get("plugins", []), "meta.plugins") if p not in plugins)
    texts = {k: t for k in ALL_IR_KINDS if (t := parse_ir_pair(obj, k)) is not None}
    hashes = parse_hashes(obj.get(HASH_KEY, {}))
    if not texts and not hashes:
        raise SchemaError(f"stores no IR to compare: no {HASH_KEY} and none of {', '.join(ALL_IR_KINDS)}")
    return Case(path=path, line=line, record=obj, id=obj["id"], category=obj["category"],
                function_name=obj["function_name"], python=obj["python"], args=args, texts=texts, hashes=hashes,
                vmap_axes=vmap_axes, forward_only=forward_only, plugins=plugins)


def hash_pairs(ir: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {kind: {d: sha256_text(pair[d]) for d in DIRECTIONS} for kind, pair in ir.items()}


def updated_record(case: Case, lowered) -> dict:
    """The case's record with its stored hashes, texts and versions replaced by today's."""
    record = dict(case.record)
    if case.hashes:
        record[HASH_KEY] = hash_pairs({k: lowered.ir[k] for k in case.hashes})
    for kind in case.texts:
        record[kind] = dict(lowered.ir[kind])
    running = running_versions()
    for key in ("jax_version", "jaxlib_version"):
        if key in record:
            record[key] = running[key]
    if isinstance(record.get("meta"), dict) and "jax_version" in record["meta"]:
        record["meta"] = {**record["meta"], "jax_version": running["jax_version"],
                          "primitives": list(lowered.primitives)}
    return record


def corpus_record(case: Case, *, texts: bool = True) -> dict:
    """A corpus case from any case or sample record: hashes of every kind it stores, its texts
    (unless ``texts`` is false), and the JAX versions they came from (jaxlib's only where the
    record or the running JAX vouches for it)."""
    record = {k: case.record[k] for k in CORPUS_FIELDS}
    record[HASH_KEY] = {**case.hashes, **hash_pairs(case.texts)}
    versions = case.versions
    running = running_versions()
    record["jax_version"] = versions.get("jax_version", running["jax_version"])
    if "jaxlib_version" in versions:
        record["jaxlib_version"] = versions["jaxlib_version"]
    elif record["jax_version"] == running["jax_version"]:
        record["jaxlib_version"] = running["jaxlib_version"]
    for kind in ALL_IR_KINDS:
        if texts and kind in case.texts:
            record[kind] = case.texts[kind]
    for key in ("vmap", "finding"):
        if key in case.record:
            record[key] = case.record[key]
    if case.forward_only:
        record["forward_only"] = case.forward_only
    return record
