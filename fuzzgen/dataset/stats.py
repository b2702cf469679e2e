"""What a record file holds: categories, dtypes, ranks, primitives, sizes, duplicates and splits.

Counting rules, so that numbers can be checked by hand:

- dtypes and ranks count **arguments** (a record with three args adds three); ``records`` says
  how many records have at least one argument of that kind.
- primitives count **records** whose ``meta.primitives`` contain the primitive.
- statements are ``meta.n_statements``, one value per record.
- Python structure counts **records** whose program uses each form of `fuzzgen.dataset.structure`
  (helpers, keyword-only parameters, ``if``, ``for``, tree arguments and results, maps over
  whole trees, transforms in the source), found by parsing the source, never running it.
- IR lengths are measured per IR kind (jaxpr, stablehlo, hlo, ...) and direction (forward,
  backward) in characters, lines (as `str.splitlines` counts them) and tokens. A missing text
  (a kind not stored, or no backward where reverse mode does not exist) is not measured.
- Tokens come from a simple tokenizer, `TOKEN_PATTERN`, the same for every IR: an identifier
  (a letter or ``_`` then letters, digits, ``_``), a number (digits with an optional fraction
  and exponent), or any other single non-space character; whitespace only separates. So
  ``%0 = stablehlo.add %arg0, %arg1 : tensor<f32>`` is 16 tokens:
  ``% 0 = stablehlo . add % arg0 , % arg1 : tensor < f32 >``. It is not any model's
  tokenizer; it makes lengths comparable across IRs and runs.
- Duplicates: records are grouped by canonical hash (``meta.canonical_hash``, or computed with
  `fuzzgen.program.canonical.canonical_hash` for files written before it was stored).
  ``duplicate_rate`` is (records − unique programs) / records.
- Splits come from ``meta.split``; a record without one is in ``train``.

Distributions give min, median, mean, p90, p99 (nearest-rank percentiles), max and total.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..ir import ALL_IR_KINDS, DIRECTIONS
from ..records.dataset import iter_dataset_records, ir_text, program_hash, split_of, split_sort_key
from ..records.jsonl import ReadStats
from .structure import FEATURES, structure_features

TOKEN_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|\S")
MEASURES = ("chars", "lines", "tokens")


def count_tokens(text: str) -> int:
    """Tokens of ``text`` by `TOKEN_PATTERN` (see the module docstring)."""
    return sum(1 for _ in TOKEN_PATTERN.finditer(text))


def measure_text(text: str) -> dict[str, int]:
    return {"chars": len(text), "lines": len(text.splitlines()), "tokens": count_tokens(text)}


@dataclass
class DatasetStats:
    """Raw tallies of one file; `to_json` summarizes, the plots read the raw values."""

    path: str = ""
    records: int = 0
    skipped_lines: int = 0
    categories: Counter = field(default_factory=Counter)
    dtypes: Counter = field(default_factory=Counter)
    dtype_records: Counter = field(default_factory=Counter)
    ranks: Counter = field(default_factory=Counter)
    rank_records: Counter = field(default_factory=Counter)
    primitives: Counter = field(default_factory=Counter)
    statements: list[int] = field(default_factory=list)
    # (kind, direction) -> measure -> one value per record that has that text
    ir_lengths: dict[tuple[str, str], dict[str, list[int]]] = field(default_factory=dict)
    program_hashes: Counter = field(default_factory=Counter)
    unhashable: int = 0
    hashes_from_meta: int = 0
    splits: Counter = field(default_factory=Counter)
    seeds: Counter = field(default_factory=Counter)
    jax_versions: Counter = field(default_factory=Counter)
    structure: Counter = field(default_factory=Counter)  # feature -> records that use it

    def add(self, record: dict, canonical: str | None) -> None:
        """Tally one checked record; ``canonical`` is its `program_hash` (None: unparsable)."""
        meta = record["meta"]
        self.records += 1
        self.categories[record["category"]] += 1
        arg_dtypes = [a["dtype"] for a in record["args"]]
        arg_ranks = [len(a["shape"]) for a in record["args"]]
        self.dtypes.update(arg_dtypes)
        self.dtype_records.update(set(arg_dtypes))
        self.ranks.update(arg_ranks)
        self.rank_records.update(set(arg_ranks))
        self.primitives.update(set(meta["primitives"]))
        self.statements.append(meta["n_statements"])
        for kind in ALL_IR_KINDS:
            for direction in DIRECTIONS:
                text = ir_text(record, kind, direction)
                if text is not None:
                    lengths = self.ir_lengths.setdefault((kind, direction), {m: [] for m in MEASURES})
                    for measure, value in measure_text(text).items():
                        lengths[measure].append(value)
        if canonical is None:
            self.unhashable += 1
        else:
            self.program_hashes[canonical] += 1
            self.hashes_from_meta += "canonical_hash" in meta
        self.splits[split_of(record)] += 1
        self.seeds[record["seed"]] += 1
        self.jax_versions[meta["jax_version"]] += 1
        self.structure.update(structure_features(record["python"], record["args"]) or ())

    @property
    def unique_programs(self) -> int:
        return len(self.program_hashes)

    @property
    def duplicate_records(self) -> int:
        return sum(self.program_hashes.values()) - self.unique_programs

    def to_json(self) -> dict:
        """A summary with a fixed key order, for ``--json`` and for the dataset card."""
        hashed = sum(self.program_hashes.values())
        arg_total = sum(self.dtypes.values())
        return {
            "file": self.path,
            "records": self.records,
            "skipped_lines": self.skipped_lines,
            "categories": _shares(_by_count(self.categories), self.records),
            "dtypes": _shares(_by_count(self.dtypes), arg_total, self.dtype_records),
            "ranks": _shares({str(r): self.ranks[r] for r in sorted(self.ranks)}, arg_total,
                             {str(r): n for r, n in self.rank_records.items()}),
            "primitives": {"distinct": len(self.primitives),
                           "records": _shares(_by_count(self.primitives), self.records)},
            "structure": _shares({feature: self.structure[feature] for feature in FEATURES}, self.records),
            "statements": {**summarize(self.statements),
                           "histogram": {str(k): v for k, v in sorted(Counter(self.statements).items())}},
            "ir_lengths": {
                kind: {direction: {m: summarize(self.ir_lengths[(kind, direction)][m]) for m in MEASURES}
                       for direction in DIRECTIONS if (kind, direction) in self.ir_lengths}
                for kind in ALL_IR_KINDS if any((kind, d) in self.ir_lengths for d in DIRECTIONS)
            },
            "duplicates": {
                "hashed_records": hashed,
                "unique_programs": self.unique_programs,
                "duplicate_records": self.duplicate_records,
                "duplicate_rate": round(self.duplicate_records / hashed, 6) if hashed else 0.0,
                "unhashable_records": self.unhashable,
                "hashes_from_meta": self.hashes_from_meta,
            },
            "splits": _shares({s: self.splits[s] for s in sorted(self.splits, key=split_sort_key)}, self.records),
            "seeds": sorted(self.seeds),
            "jax_versions": sorted(self.jax_versions),
        }


def collect_stats(path: Path | str, *, strict: bool = False) -> DatasetStats:
    """Read ``path`` once and tally it; bad lines are skipped and counted unless ``strict``.

    Raises `fuzzgen.records.jsonl.RecordError` (one line, naming file:line) for a missing,
    empty or unreadable file, a file with no usable record, or, when ``strict``, any bad line.
    """
    read = ReadStats()
    stats = DatasetStats(path=str(path))
    for _, record in iter_dataset_records(Path(path), strict=strict, stats=read):
        stats.add(record, program_hash(record))
    stats.skipped_lines = read.skipped
    return stats


def percentile(ordered: list[int], q: float) -> int:
    """Nearest-rank percentile of a sorted, non-empty list."""
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summarize(values: list[int]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {"count": len(ordered), "min": ordered[0], "median": percentile(ordered, 50),
            "mean": round(sum(ordered) / len(ordered), 3), "p90": percentile(ordered, 90),
            "p99": percentile(ordered, 99), "max": ordered[-1], "total": sum(ordered)}


def _by_count(counter: Counter) -> dict:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], str(item[0]))))


def _shares(counts: dict, total: int, records: dict | None = None) -> dict:
    out = {}
    for key, count in counts.items():
        entry = {"count": count, "share": round(count / total, 6) if total else 0.0}
        if records is not None:
            entry["records"] = records.get(key, 0)
        out[key] = entry
    return out


def format_json(stats: DatasetStats) -> str:
    return json.dumps(stats.to_json(), indent=2, ensure_ascii=False)


def format_text(stats: DatasetStats, *, top_primitives: int | None = None) -> str:
    """A report for people: one table per question, widest numbers right-aligned."""
    summary = stats.to_json()
    dup = summary["duplicates"]
    lines = [f"{stats.path}: {stats.records} records"
             + (f" ({stats.skipped_lines} bad lines skipped)" if stats.skipped_lines else "")]
    rate = f"{100 * dup['duplicate_rate']:.2f}%"
    unparsable = f", {dup['unhashable_records']} unparsable" if dup["unhashable_records"] else ""
    lines.append(f"programs: {dup['unique_programs']} unique canonical, {dup['duplicate_records']} duplicate "
                 f"records ({rate}){unparsable}")
    lines.append("splits: " + ", ".join(f"{name} {e['count']} ({100 * e['share']:.1f}%)"
                                          for name, e in summary["splits"].items()))
    lines.append("")
    lines += _table("category", summary["categories"])
    lines += _table(f"dtype (of {sum(stats.dtypes.values())} args)", summary["dtypes"], records=True)
    lines += _table("rank", summary["ranks"], records=True)
    primitives = summary["primitives"]
    shown = dict(list(primitives["records"].items())[:top_primitives]) if top_primitives else primitives["records"]
    lines += _table(f"primitive ({primitives['distinct']} distinct; share of records)", shown)
    if len(shown) < primitives["distinct"]:
        lines.insert(len(lines) - 1, f"  ... {primitives['distinct'] - len(shown)} more")
    lines += _table("Python structure (share of records)",
                    {FEATURES[feature]: entry for feature, entry in summary["structure"].items()})
    st = summary["statements"]
    lines.append(f"statements per program: min {st['min']}, median {st['median']}, mean {st['mean']}, "
                 f"p90 {st['p90']}, max {st['max']}")
    lines.append("  " + "  ".join(f"{k}:{v}" for k, v in st["histogram"].items()))
    lines.append("")
    lines.append(f"{'IR length':<18}{'direction':<10}{'measure':<8}{'min':>8}{'median':>9}{'mean':>11}"
                 f"{'p90':>9}{'max':>9}{'total':>12}")
    for kind, directions in summary["ir_lengths"].items():
        for direction, measures in directions.items():
            for measure, s in measures.items():
                lines.append(f"  {kind:<16}{direction:<10}{measure:<8}{s['min']:>8}{s['median']:>9}{s['mean']:>11.1f}"
                             f"{s['p90']:>9}{s['max']:>9}{s['total']:>12}")
    return "\n".join(lines)


def _table(title: str, entries: dict, *, records: bool = False) -> list[str]:
    header = f"{title:<44}{'count':>8}{'share':>8}" + (f"{'records':>9}" if records else "")
    rows = [header]
    for name, e in entries.items():
        row = f"  {name:<42}{e['count']:>8}{100 * e['share']:>7.1f}%"
        rows.append(row + (f"{e['records']:>9}" if records else ""))
    return rows + [""]
