"""The dataset card (``README.md``) beside a Parquet export, as the Hugging Face hub reads it.

The YAML front matter carries what the hub indexes and `datasets` uses to load: license, task
categories, tags, size category, ``configs`` (one ``data_files`` pattern per split) and
``dataset_info`` (features in the `datasets` YAML form, num_examples and num_bytes per split).
The body says how the data was made and what it holds, from the export's own tallies. The card
is a pure function of the input, so the same records give the same card, byte for byte.
"""
from __future__ import annotations

import json
import re

from .. import __version__
from ..extras import require
from .stats import DatasetStats

LICENSE = "apache-2.0"
TASK_CATEGORIES = ("text-generation",)
TAGS = ("jax", "xla", "stablehlo", "hlo", "jaxpr", "compilers", "code", "synthetic", "fuzzing")
PRETTY_NAME = "fuzzgen: JAX programs paired with their jaxpr, StableHLO and HLO"
# The hub's size_categories buckets, by number of examples.
SIZE_BUCKETS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"))
COLUMN_MEANINGS = {
    "id": "16 hex chars of sha256 over `python` and `args`",
    "seed": "the `fuzzgen sample --seed` the record was drawn with",
    "index": "the record's index in its run; (seed, index) regenerates it",
    "category": "the grammar production the program was drawn from",
    "function_name": "the name of the function defined in `python`",
    "python": "the function definition; it runs with `jnp`, `lax` and `jax` bound",
    "args": "argument leaves in order: name, shape, dtype; `path` (keys, positions) for a leaf of a tree argument",
    "vmap_in_axes": "for `vmap` programs: the function is `jax.vmap(f, in_axes=vmap_in_axes)`; else null",
    "vmap_axis_size": "for `vmap` programs: the size of the batch axis; else null",
    "forward_only": "why the record has no backward texts (reverse mode does not exist); else null",
    "io": "execution data as JSON text (input seed, forward outputs, gradients)",
    "jax_version": "the JAX version that traced and lowered the program",
    "primitives": "the jaxpr primitives of both directions, nested jaxprs included",
    "n_statements": "statements in the function body (assignments and the return)",
    "canonical_hash": "hash of the alpha-renamed program and arg specs: equal for renamed copies",
}


def size_category(examples: int) -> str:
    for bound, name in SIZE_BUCKETS:
        if examples < bound:
            return name
    return "n>1B"


def feature_list(schema) -> list[dict]:
    """The `datasets` YAML form of an Arrow schema (as ``Features._to_yaml_list`` writes it)."""
    return [{"name": f.name, **_feature_type(f.type)} for f in schema]


def _feature_type(arrow_type) -> dict:
    pa = require("pyarrow", "parquet", "Parquet export")
    if pa.types.is_list(arrow_type):
        inner = _feature_type(arrow_type.value_type)
        return {"list": inner.get("dtype", inner.get("struct"))}
    if pa.types.is_struct(arrow_type):
        return {"struct": [{"name": f.name, **_feature_type(f.type)} for f in arrow_type]}
    return {"dtype": str(arrow_type)}


# The split names `datasets` gives files whose names hold these words (its SPLIT_KEYWORDS): the
# card's configs use the same names, so `load_dataset(DIR)` and `load_dataset("parquet",
# data_dir=DIR/data)` name every split alike (`valid` files are the `validation` split in both).
HUB_SPLIT_NAMES = {"training": "train", "valid": "validation", "val": "validation", "dev": "validation",
                   "testing": "test", "eval": "test", "evaluation": "test"}


def hub_split_name(split: str) -> str:
    return HUB_SPLIT_NAMES.get(split, split)


def front_matter(export, schema) -> dict:
    splits = export.splits.values()
    return {
        "license": LICENSE,
        "task_categories": list(TASK_CATEGORIES),
        "tags": list(TAGS),
        "pretty_name": PRETTY_NAME,
        "size_categories": [size_category(export.records)],
        "configs": [{"config_name": "default",
                     "data_files": [{"split": hub_split_name(s.name), "path": f"data/{s.name}-*"} for s in splits]}],
        "dataset_info": {
            "features": feature_list(schema),
            "splits": [{"name": hub_split_name(s.name), "num_bytes": s.num_bytes, "num_examples": s.num_examples}
                       for s in splits],
            "download_size": sum(s.file_bytes for s in splits),
            "dataset_size": sum(s.num_bytes for s in splits),
        },
    }


def render_card(export, schema, run_identity: dict | None) -> str:
    """The whole ``README.md``: YAML front matter, then how the data was made and what it holds."""
    stats: DatasetStats = export.stats
    summary = stats.to_json()
    body = [
        f"# {PRETTY_NAME}",
        "",
        f"{export.records} small JAX programs drawn by fuzzgen's typed grammar, valid by construction, each "
        "paired with the IR that JAX makes of it, for the function and for its gradient (`jax.grad` of the "
        "sum of the outputs over every floating argument).",
        "",
        "## Load it",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'ds = load_dataset("path/to/this/directory")          # reads the configs in this card',
        'ds = load_dataset("parquet", data_dir="path/to/this/directory/data")  # the shards alone',
        'ds = load_dataset("<user>/<dataset>")                # after uploading this directory to the hub',
        "```",
        "",
        "Both calls name the splits alike: `datasets` calls the `valid-*` files the `validation` split, and so "
        "does this card.",
        "",
        "## How it was made",
        "",
        f"- exported by fuzzgen {__version__} (`export_parquet`) from `{_file_name(stats.path)}`",
        f"- seeds: {', '.join(map(str, summary['seeds']))}",
        f"- JAX: {', '.join(summary['jax_versions'])}",
        "- splits: each record's `meta.split` (`fuzzgen sample --split` assigns it by canonical hash, so "
        "renamed copies of a program share a split); records without one are in `train`",
    ]
    if run_identity is not None:
        body += ["- `fuzzgen sample` arguments, from the run file beside the input:", "", "```json",
                 json.dumps(run_identity, indent=2, sort_keys=True), "```"]
    body += _contents(export, summary)
    body += ["", "## Columns", "", "| column | type | meaning |", "|---|---|---|"]
    for item in feature_list(schema):
        body.append(f"| `{item['name']}` | {_type_text(item)} | {_meaning(item['name'])} |")
    body += ["", "## License", "", "Apache-2.0, like fuzzgen. The programs are generated; the IR texts are "
             "JAX's and XLA's output for them.", ""]
    return "---\n" + "\n".join(to_yaml(front_matter(export, schema))) + "\n---\n\n" + "\n".join(body)


def _contents(export, summary: dict) -> list[str]:
    """The card's "What it holds": splits, categories, dtypes, ranks, primitives, IR lengths."""
    body = ["", "## What it holds", "", "| split | examples | Parquet files | Parquet bytes |", "|---|---:|---:|---:|"]
    body += [f"| {s.name} | {s.num_examples} | {len(s.files)} | {s.file_bytes} |" for s in export.splits.values()]
    body += ["", "| category | records | share |", "|---|---:|---:|"]
    body += [f"| {name} | {e['count']} | {100 * e['share']:.1f}% |" for name, e in summary["categories"].items()]
    body += ["", "| dtype | arguments | share |", "|---|---:|---:|"]
    body += [f"| {name} | {e['count']} | {100 * e['share']:.1f}% |" for name, e in summary["dtypes"].items()]
    dup, st, prim = summary["duplicates"], summary["statements"], summary["primitives"]
    body += [
        "",
        "- ranks of arguments: " + ", ".join(f"{r}: {e['count']}" for r, e in summary["ranks"].items()),
        f"- {prim['distinct']} distinct primitives: {', '.join(prim['records'])}",
        f"- statements per program: min {st['min']}, median {st['median']}, max {st['max']}",
        f"- {dup['unique_programs']} unique canonical programs; duplicate rate "
        f"{100 * dup['duplicate_rate']:.2f}%",
        "",
        "IR lengths in tokens (`fuzzgen.dataset.stats.TOKEN_PATTERN`: identifiers, numbers, and single "
        "punctuation characters; not a model's tokenizer):",
        "",
        "| IR | direction | median | mean | max | total |", "|---|---|---:|---:|---:|---:|",
    ]
    for kind, directions in summary["ir_lengths"].items():
        for direction, measures in directions.items():
            t = measures["tokens"]
            body.append(f"| {kind} | {direction} | {t['median']} | {t['mean']:.1f} | {t['max']} | {t['total']} |")
    return body


def _file_name(path: str) -> str:
    return re.split(r"[\\/]", path)[-1]


def _type_text(item: dict) -> str:
    if "dtype" in item:
        return item["dtype"]
    inner = item["list"]
    return f"list of {inner}" if isinstance(inner, str) else "list of {" + ", ".join(f["name"] for f in inner) + "}"


def _meaning(column: str) -> str:
    if column in COLUMN_MEANINGS:
        return COLUMN_MEANINGS[column]
    kind, _, direction = column.rpartition("_")
    if direction == "backward":
        return f"{kind} text of the gradient; null where reverse mode does not exist"
    return f"{kind} text of the function"


# A minimal YAML writer (block style): the card must not depend on PyYAML being installed.
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_.\-/<>*+]*(?: [A-Za-z0-9_.\-/<>*+]+)*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(value, indent: int = 0) -> list[str]:
    """Lines of block-style YAML for dicts, lists and scalars; lists sit at their key's indent."""
    pad, lines = " " * indent, []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines += to_yaml(item, indent if isinstance(item, list) else indent + 2)
            else:
                empty = "[]" if isinstance(item, list) else "{}" if isinstance(item, dict) else _scalar(item)
                lines.append(f"{pad}{key}: {empty}")
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {nested[0][indent + 2:]}")
                lines += nested[1:]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines
