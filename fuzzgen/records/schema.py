"""THE record schema: every field a sample record or corpus case may hold, and its validation.

Record files are untrusted data. Every reader (`stats`, Parquet export, `validate`, `replay`,
`export`, resume and merge) checks a record with the functions here, so they accept exactly
the same records. A check raises `SchemaError` naming the field; the reader adds ``file:line``
once (`located`). Nothing here executes anything: the ``python`` field is only ever text until
`fuzzgen.trust.check_program` has passed it.

Field rules that are easy to get wrong, decided once:
- an IR field is ``{"forward": text, "backward": text or null}``; ``backward`` is null (or, in
  files from older versions, absent) where the program has no reverse mode (lax.while_loop);
- ``vmap`` is ``{"in_axes": [axis or null per argument], "axis_size": n}``, checked against the
  (batched) argument shapes;
- ``meta.forward_only`` is the text saying why there is no backward;
- ``args`` lists leaves: ``{name, shape, dtype}`` for a plain argument, plus ``path`` (dict keys
  and list positions, a non-empty list) for each leaf of a tree argument, whose leaves share its
  name and come in ``jax.tree_util.tree_leaves`` order (`fuzzgen.program.trees`). A file written
  before trees existed has no ``path`` anywhere and reads exactly as it did.
"""
from __future__ import annotations

import contextlib
import keyword
import math
import re
from dataclasses import dataclass

from ..errors import FuzzgenError
from ..grammar.plugins import is_module_name
from ..grammar.types import DTYPES
from ..ir import ALL_IR_KINDS, DIRECTIONS
from ..program.spec import ArgSpec
from ..program.trees import is_key, label, tree_problem
from .jsonl import RecordError

MAX_ELEMENTS_PER_ARG = 1 << 20
MAX_RANK = 8
MAX_ARGS = 32
MAX_AXIS_SIZE = 1024
INT64_MAX, INT32_MAX = 2**63 - 1, 2**31 - 1  # the Parquet columns' types
SPLIT_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")  # becomes a file name and a Hugging Face split name (\w+)
CANONICAL_HASH = re.compile(r"[0-9a-f]{16}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
HASH_KEY = "ir_sha256"


IR_PAIR = "an object with a 'forward' text (and a 'backward' text or null)"
FORWARD_ONLY = "a text (why reverse mode does not exist)"


@dataclass(frozen=True)
class Field:
    name: str
    types: type | tuple[type, ...]
    sample: bool  # required in a `fuzzgen sample` record (else optional or absent there)
    corpus: bool  # required in a corpus case
    meaning: str
    expected: str = ""  # how a wrong value is described; the type's name where empty
    in_sample_records: bool = True  # False: only corpus cases and findings hold it


FIELDS = (
    Field("id", str, True, True, "16 hex chars of sha256 over python and args"),
    Field("seed", int, True, False, "the --seed the record was drawn with"),
    Field("index", int, True, False, "the record's index in its run; (seed, index) regenerates it"),
    Field("category", str, True, True, "the grammar production the program was drawn from"),
    Field("function_name", str, True, True, "the name of the function python defines"),
    Field("python", str, True, True, "the function definition (text until the grammar check passes it)"),
    Field("args", list, True, True, "the lowered function's argument leaves: {name, shape, dtype} each, and "
          "{path} for a leaf of a tree argument"),
    Field("vmap", dict, False, False, "vmap programs: {in_axes, axis_size} of the jax.vmap wrapper"),
    *(Field(kind, dict, False, False, f"{kind} texts: {{forward, backward}}", IR_PAIR) for kind in ALL_IR_KINDS),
    Field("io", dict, False, False, "execution data: {input_seed, outputs, gradients}", "an object"),
    Field("meta", dict, True, False, "jax_version, primitives, n_statements, canonical_hash, split, forward_only"),
    Field(HASH_KEY, dict, False, False, "corpus cases: sha256 of each IR text, {kind: {forward, backward}}",
          in_sample_records=False),
    Field("jax_version", str, False, False, "corpus cases: the JAX version the stored IR came from",
          in_sample_records=False),
    Field("jaxlib_version", str, False, False, "corpus cases: the jaxlib version the stored IR came from",
          in_sample_records=False),
    Field("finding", dict, False, False, "fuzz findings: oracle, error, input_seed, signature, plugins",
          in_sample_records=False),
    Field("forward_only", str, False, False, "corpus cases: why there is no backward", FORWARD_ONLY,
          in_sample_records=False),
)
META_FIELDS = (
    Field("jax_version", str, True, False, "the JAX version that traced and lowered the program"),
    Field("primitives", list, True, False, "the jaxpr primitives of both directions, nested ones included"),
    Field("n_statements", int, True, False, "statements in the body (assignments and the return)"),
    Field("canonical_hash", str, False, False, "hash of the alpha-renamed program and arg specs"),
    Field("split", str, False, False, "train, valid, test, ... by canonical hash (--split)"),
    Field("forward_only", str, False, False, "why there is no backward (reverse mode does not exist)", FORWARD_ONLY),
    Field("plugins", list, False, False, "plugin modules whose ops the program may call (sample --plugin)"),
)
SAMPLE_FIELD_NAMES = tuple(f.name for f in FIELDS if f.in_sample_records)  # in the order records hold them
META_FIELD_NAMES = tuple(f.name for f in META_FIELDS)


class SchemaError(FuzzgenError, ValueError):
    """A field is missing or wrong; the message names it. Readers add ``file:line`` (`located`)."""


@contextlib.contextmanager
def located(path, line: int | None):
    """Turn a `SchemaError` inside into a `RecordError` naming ``path:line``."""
    try:
        yield
    except SchemaError as error:
        raise RecordError(path, line, str(error)) from None


def require_fields(obj: dict, fields, *, required: str | None, prefix: str = "") -> None:
    """Check the type of every field of ``fields`` present in ``obj``; those whose ``required``
    attribute ("sample" or "corpus") is true must be present."""
    for f in fields:
        key = f"{prefix}{f.name}"
        if f.name not in obj:
            if required is not None and getattr(f, required):
                raise SchemaError(f"missing key {key!r}")
            continue
        value = obj[f.name]
        if not isinstance(value, f.types) or (isinstance(value, bool) and f.types is not bool):
            expected = f.expected or (f.types.__name__ if isinstance(f.types, type)
                                      else "/".join(t.__name__ for t in f.types))
            raise SchemaError(f"key {key!r} must be {expected}, got {type(value).__name__}")
        if isinstance(value, str):
            require_text(value, key)


def require_text(value: str, key: str) -> None:
    """JSON's ``\\ud800`` escapes decode to lone surrogates, which are not text: no file can hold
    them as UTF-8, so every writer (export, replay --update) would fail on them half-way."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise SchemaError(f"key {key!r} holds a lone surrogate (\\ud800-\\udfff); it is not valid text") from None


def parse_args(value) -> tuple[ArgSpec, ...]:
    """An ``args`` field: a list of {name, shape, dtype} with sane names, dtypes and shapes (capped
    in elements, so a file cannot ask for a terabyte array)."""
    if not isinstance(value, list) or not value:
        raise SchemaError("'args' must be a non-empty list of {name, shape, dtype}")
    if len(value) > MAX_ARGS:
        raise SchemaError(f"'args' has {len(value)} entries; at most {MAX_ARGS} are allowed")
    specs, seen = [], set()
    for position, item in enumerate(value):
        where = f"args[{position}]"
        if not isinstance(item, dict):
            raise SchemaError(f"{where} must be an object with name, shape, dtype")
        name, shape, dtype, path = item.get("name"), item.get("shape"), item.get("dtype"), item.get("path", [])
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise SchemaError(f"{where}.name {name!r} is not a plain identifier")
        if not isinstance(path, list) or ("path" in item and not path) or not all(is_key(k) for k in path):
            raise SchemaError(f"{where}.path {_short_list(path) if isinstance(path, list) else path!r} must be a "
                              f"non-empty list of identifier keys and list positions (ints from 0 to 1023), or "
                              f"absent for a plain argument")
        leaf = (name, tuple(path))
        if leaf in seen or name in ("jnp", "lax"):
            shown = repr(name) if not path else f"{label(name, path)!r} (a tree leaf)"
            raise SchemaError(f"{where}.name {shown} is repeated or reserved")
        seen.add(leaf)
        if dtype not in DTYPES:
            raise SchemaError(f"{where}.dtype {dtype!r} is unknown; use one of {', '.join(DTYPES)}")
        if not isinstance(shape, list) or len(shape) > MAX_RANK or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in shape
        ):
            raise SchemaError(f"{where}.shape {shape!r} must be a list of at most {MAX_RANK} ints")
        if any(d < 0 for d in shape):
            raise SchemaError(f"{where}.shape {shape} has a negative dimension")
        if math.prod(shape) > MAX_ELEMENTS_PER_ARG or any(d > MAX_ELEMENTS_PER_ARG for d in shape):
            raise SchemaError(f"{where}.shape {_short_list(shape)} is too large; the cap is "
                              f"{MAX_ELEMENTS_PER_ARG} elements")
        specs.append(ArgSpec(name, tuple(shape), dtype, tuple(path)))
    problem = tree_problem(specs)
    if problem:
        raise SchemaError(f"'args': {problem}")
    return tuple(specs)


def parse_ir_pair(obj: dict, kind: str) -> dict[str, str | None] | None:
    """A stored IR field, or None where the record has none of this kind. The pair holds the
    directions present: ``forward`` always, ``backward`` (text or null) unless absent."""
    if kind not in obj:
        return None
    value = obj[kind]
    if not isinstance(value, dict) or not isinstance(value.get("forward"), str) or set(value) - set(DIRECTIONS):
        raise SchemaError(f"{kind!r} must be {IR_PAIR}")
    if not isinstance(value.get("backward"), (str, type(None))):
        raise SchemaError(f"'{kind}.backward' must be a text or null")
    for direction in DIRECTIONS:
        if isinstance(value.get(direction), str):
            require_text(value[direction], f"{kind}.{direction}")
    return {d: value[d] for d in DIRECTIONS if d in value}


def parse_vmap(value, args) -> tuple[int | None, ...] | None:
    """A ``vmap`` field ({in_axes, axis_size}), checked against the (batched) argument specs."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("in_axes"), list):
        raise SchemaError("'vmap' must be an object with in_axes (a list) and axis_size")
    axes, size = value["in_axes"], value.get("axis_size")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_AXIS_SIZE:
        raise SchemaError(f"'vmap.axis_size' {size!r} must be an int between 1 and {MAX_AXIS_SIZE}")
    if len(axes) != len(args) or all(a is None for a in axes):
        raise SchemaError(f"'vmap.in_axes' {_short_list(axes)} needs one entry per argument, at least one not null")
    for axis, arg in zip(axes, args):
        if axis is None:
            continue
        if not isinstance(axis, int) or isinstance(axis, bool) or not 0 <= axis < len(arg.shape):
            raise SchemaError(f"'vmap.in_axes' entry {axis!r} is not an axis of {arg.name}{list(arg.shape)}")
        if arg.shape[axis] != size:
            raise SchemaError(f"{arg.name} has size {arg.shape[axis]} on axis {axis}, not vmap.axis_size {size}")
    return tuple(axes)


def parse_forward_only(record: dict) -> str | None:
    """Why the record has no backward: ``meta.forward_only`` (or a corpus case's ``forward_only``)."""
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    require_fields(record, [f for f in FIELDS if f.name == "forward_only"], required=None)
    require_fields(meta, [f for f in META_FIELDS if f.name == "forward_only"], required=None, prefix="meta.")
    return record.get("forward_only", meta.get("forward_only"))


def parse_io(value) -> dict:
    """``io``: {input_seed: 0 <= int < 2**32, outputs: list, gradients: list or null}."""
    if not isinstance(value, dict):
        raise SchemaError("'io' must be an object with input_seed, outputs and gradients")
    seed = value.get("input_seed")
    if not (type(seed) is int and 0 <= seed < 2**32):
        raise SchemaError(f"'io.input_seed' {str(seed)[:20]!r} must be an int from 0 to 2**32-1")
    if not isinstance(value.get("outputs"), list) or not isinstance(value.get("gradients"), (list, type(None))):
        raise SchemaError("'io.outputs' must be a list and 'io.gradients' a list or null")
    return value


def parse_plugins(value, field: str = "finding.plugins") -> tuple[str, ...]:
    """``finding.plugins`` or ``meta.plugins``: module names, kept as data (a record never gets a
    module imported by itself; the user names it with --plugin)."""
    if not (isinstance(value, list) and all(is_module_name(v) for v in value)):
        raise SchemaError(f"'{field}' must be a list of module names such as my_ops")
    return tuple(value)


def parse_hashes(value: dict) -> dict[str, dict[str, str | None]]:
    unknown = [k for k in value if k not in ALL_IR_KINDS]
    if unknown:
        raise SchemaError(f"{HASH_KEY} has unknown IR kind {unknown[0]!r}; use {', '.join(ALL_IR_KINDS)}")
    hashes = {}
    for kind in ALL_IR_KINDS:
        if kind not in value:
            continue
        pair = value[kind]
        if not (isinstance(pair, dict) and set(pair) == set(DIRECTIONS) and _is_sha256(pair["forward"])
                and (pair["backward"] is None or _is_sha256(pair["backward"]))):
            raise SchemaError(f"{HASH_KEY}.{kind} must hold 'forward' and 'backward' as 64 lowercase "
                              "hex digits (sha256; backward null where there is none)")
        hashes[kind] = dict(pair)
    return hashes


def check_sample_record(record: dict) -> tuple[ArgSpec, ...]:
    """Every field a `fuzzgen sample` record must have, well typed; returns its arg specs."""
    require_fields(record, FIELDS, required="sample")
    for key in ("seed", "index"):
        if not 0 <= record[key] <= INT64_MAX:
            raise SchemaError(f"{key!r} is {record[key]}; it must be between 0 and 2**63-1")
    args = parse_args(record["args"])
    meta = record["meta"]
    require_fields(meta, META_FIELDS, required="sample", prefix="meta.")
    if not all(isinstance(p, str) for p in meta["primitives"]):
        raise SchemaError("'meta.primitives' must be a list of strings")
    parse_plugins(meta.get("plugins", []), "meta.plugins")
    if not 0 <= meta["n_statements"] <= INT32_MAX:
        raise SchemaError(f"'meta.n_statements' is {meta['n_statements']}; it must be between 0 and 2**31-1")
    if "canonical_hash" in meta and not CANONICAL_HASH.fullmatch(meta["canonical_hash"]):
        raise SchemaError("'meta.canonical_hash' must be 16 lowercase hex characters")
    if "split" in meta and not SPLIT_NAME.fullmatch(meta["split"]):
        raise SchemaError(f"'meta.split' {meta['split'][:40]!r} must be a name of letters, digits and "
                          "underscores, such as train, valid or test")
    for kind in ALL_IR_KINDS:
        parse_ir_pair(record, kind)
    parse_forward_only(record)
    parse_vmap(record.get("vmap"), args)
    if "io" in record:
        parse_io(record["io"])
    return args


def _is_sha256(value) -> bool:
    return isinstance(value, str) and SHA256_HEX.fullmatch(value) is not None


def _short_list(values: list) -> str:
    text = str(values)
    return text if len(text) <= 60 else text[:57] + "..."
