"""PNG charts of a `DatasetStats`: IR lengths for choosing a context length, and the dataset's mix.

matplotlib is an optional extra (``pip install 'fuzzgen[plot]'``), imported only here and only
when plots are asked for. Figures are drawn with the Agg canvas directly (no pyplot), so no
global backend is switched and nothing opens a window.

Every chart says what it shows, titles its axes with their units, and names the input file and
its record count under the title; bars are shares in percent, labelled with count and share.
IR lengths are tokens by `fuzzgen.dataset.stats.TOKEN_PATTERN` on a log axis, with log-spaced
bins shared by every panel so that panels compare by eye; p50/p90/p99 are nearest-rank, the
same numbers as the text report (`ir_length_marks`).

Charts never overwrite silently: `check_plot_directory` refuses a chart path that exists unless
``force``, and a symbolic link at a chart path always (it is neither followed nor replaced).
"""
from __future__ import annotations

import os
import secrets
from collections import Counter
from pathlib import Path

from ..extras import require
from ..ir import ALL_IR_KINDS, DIRECTIONS
from ..records.atomic import OutputError
from ..records.dataset import split_sort_key
from .stats import DatasetStats, percentile

PLOT_FILES = ("categories.png", "dtypes_ranks.png", "primitives.png", "statements.png", "ir_lengths.png")
MARKS = {"p50": ("tab:green", "-"), "p90": ("tab:orange", "--"), "p99": ("tab:red", "-."), "max": ("black", ":")}
TOP_PRIMITIVES = 30
LENGTH_BINS = 40
FIT_TOP = 0.9995  # the top of the fit panel's logit axis
TOKEN_NOTE = "token: an identifier, a number or one punctuation character, the same tokenizer for every IR"


def write_plots(stats: DatasetStats, directory: Path | str, *, force: bool = False) -> list[Path]:
    """Write the charts of ``stats`` into ``directory`` (created if missing); return their paths.

    Raises `OutputError` if a chart file exists (unless ``force``) or a chart path is a symbolic
    link. Each PNG is written to a new temporary file and renamed into place, so a reader sees
    the old chart or the new one; other files in ``directory`` are left alone.
    """
    check_plot_directory(directory, force=force)  # before the drawing, which takes seconds
    figures = draw_charts(stats)
    directory = check_plot_directory(directory, force=force)  # and after: a chart may have appeared
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures.items():
        _save(figure, directory / name)
        written.append(directory / name)
    return written


def draw_charts(stats: DatasetStats) -> dict:
    """The charts of ``stats`` as matplotlib Figures, keyed by their `PLOT_FILES` name, unsaved."""
    require("matplotlib", "plot", "plotting")
    figure_class = require("matplotlib.figure", "plot", "plotting").Figure
    drawers = {
        "categories.png": _categories, "dtypes_ranks.png": _dtypes_ranks, "primitives.png": _primitives,
        "statements.png": _statements, "ir_lengths.png": _ir_lengths,
    }
    return {name: drawers[name](figure_class, stats) for name in PLOT_FILES}


def check_plot_directory(directory: Path | str, *, force: bool = False) -> Path:
    """Raise `OutputError` if ``directory`` cannot take the charts; callers check before a long read.

    Refused: ``directory`` is not a directory; a chart path is a symbolic link (even with
    ``force``) or something other than a regular file; a chart file exists and not ``force``.
    """
    directory = Path(directory)
    if os.path.lexists(directory) and not directory.is_dir():
        raise OutputError(f"{directory} is a file; give a directory for the charts")
    paths = [directory / name for name in PLOT_FILES]
    links = [p for p in paths if p.is_symlink()]
    if links:
        raise OutputError(f"{links[0]} is a symbolic link; charts never follow or replace one, remove it "
                          f"or choose another directory")
    odd = [p for p in paths if p.exists() and not p.is_file()]
    if odd:
        raise OutputError(f"{odd[0]} exists and is not a file; remove it or choose another directory")
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more chart files)" if len(existing) > 1 else ""
        raise OutputError(f"{existing[0]} already exists{more}; pass --force to replace the charts "
                          f"or choose another directory")
    return directory


def _save(figure, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    # O_EXCL | O_NOFOLLOW: a temporary name is always a new file, never something planted there.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            figure.savefig(handle, format="png", dpi=100)
        os.replace(tmp, path)  # renames over a name: a link there would be replaced, not followed
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ir_length_marks(values: list[int]) -> dict[str, int]:
    """p50, p90, p99 (nearest-rank, as in the text report) and max of ``values``: the lines and
    labels of each `ir_lengths.png` panel."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values to mark")
    return {"p50": percentile(ordered, 50), "p90": percentile(ordered, 90),
            "p99": percentile(ordered, 99), "max": ordered[-1]}


def log_bins(values: list[int], count: int = LENGTH_BINS) -> list[float]:
    """``count`` + 1 log-spaced bin edges from the smallest to the largest of ``values`` (>= 1)."""
    low, high = max(1, min(values)), max(1, max(values))
    if high <= low:
        low, high = low / 1.5, high * 1.5
    ratio = high / low
    return [low * ratio ** (i / count) for i in range(count + 1)]


def _subtitle(stats: DatasetStats) -> str:
    name = Path(stats.path).name or "records"
    return f"{name} · {stats.records:,} records"


def _titled(figure, title: str, stats: DatasetStats) -> None:
    figure.suptitle(f"{title}\n{_subtitle(stats)}", fontsize=11)


def _pct(count: int, total: int) -> float:
    return 100 * count / total if total else 0.0


def _share_bars(axes, labels, counts, total, *, horizontal=False, notes=None):
    """Bars of ``counts`` as % of ``total``, each labelled "count (share%)" and its note, if any."""
    positions = list(range(len(labels)))
    shares = [_pct(c, total) for c in counts]
    text = [f"{c:,} ({s:.1f}%)" + (f"\n{notes[i]}" if notes else "") for i, (c, s) in enumerate(zip(counts, shares))]
    if horizontal:
        bars = axes.barh(positions, shares, color="tab:blue")
        axes.set_yticks(positions, [str(label) for label in labels], fontsize=8)
        pad = max(0.0, (3 - len(labels)) / 2)  # one or two bars stay bar-shaped
        axes.set_ylim(len(labels) - 0.5 + pad, -0.5 - pad)
        axes.set_xlim(0, 1.5 * max(shares, default=0) or 1)  # room for the labels
        axes.set_xticks([t for t in axes.get_xticks() if t <= 100])
    else:
        bars = axes.bar(positions, shares, color="tab:blue")
        axes.set_xticks(positions, [str(label) for label in labels], rotation=30 if len(labels) > 6 else 0,
                        ha="right" if len(labels) > 6 else "center")
        axes.margins(y=0.25 if notes else 0.15)
    axes.bar_label(bars, text, fontsize=7, padding=2)
    axes.grid(axis="x" if horizontal else "y", alpha=0.3)
    axes.set_axisbelow(True)


def _categories(figure_class, stats: DatasetStats):
    figure = figure_class(figsize=(12, 3.4), layout="constrained")
    left, middle, right = figure.subplots(1, 3, width_ratios=[1.3, 1, 1])
    names = sorted(stats.categories, key=lambda n: (-stats.categories[n], n))
    counts = [stats.categories[n] for n in names]
    if len(set(counts)) == 1:  # drawn equally often: equal bars would say nothing a table can't
        left.axis("off")
        left.set_title(f"records per category: all {len(names)} equal, {counts[0]:,} "
                       f"({_pct(counts[0], stats.records):.1f}%) each", fontsize=9)
        per_column = -(-len(names) // 2)
        for i, name in enumerate(names):
            left.text(0.02 + 0.52 * (i // per_column), 0.9 - 0.16 * (i % per_column), f"{name:<16}{counts[i]:>7,}",
                      fontsize=8.5, family="monospace", transform=left.transAxes, va="top")
    else:
        _share_bars(left, names, counts, stats.records, horizontal=True)
        left.set_title("records per category", fontsize=9)
        left.set_xlabel("records (% of all)")
        left.set_ylabel("category")
    splits = sorted(stats.splits, key=split_sort_key)
    _share_bars(middle, splits, [stats.splits[s] for s in splits], stats.records, horizontal=True)
    middle.set_title("records per split (meta.split; none means train)", fontsize=9)
    middle.set_xlabel("records (% of all)")
    middle.set_ylabel("split")
    labels = ["unique programs", "duplicate records"] + (["unparsable"] if stats.unhashable else [])
    counts = [stats.unique_programs, stats.duplicate_records] + ([stats.unhashable] if stats.unhashable else [])
    _share_bars(right, labels, counts, stats.records, horizontal=True)
    right.set_title("records by canonical program", fontsize=9)
    right.set_xlabel("records (% of all)")
    _titled(figure, "Dataset mix: categories, splits and duplicate programs", stats)
    return figure


def _dtypes_ranks(figure_class, stats: DatasetStats):
    figure = figure_class(figsize=(11, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    args = sum(stats.dtypes.values())
    dtypes = sorted(stats.dtypes, key=lambda d: (-stats.dtypes[d], d))
    ranks = sorted(stats.ranks)
    for axes, keys, counts, records, what in ((left, dtypes, stats.dtypes, stats.dtype_records, "dtype"),
                                              (right, ranks, stats.ranks, stats.rank_records, "rank")):
        notes = [f"in {_pct(records[k], stats.records):.0f}% of records" for k in keys]
        _share_bars(axes, keys, [counts[k] for k in keys], args, notes=notes)
        axes.set_xlabel(what if what == "dtype" else "rank (number of dimensions)")
        axes.set_ylabel(f"arguments (% of {args:,})")
        axes.set_title(f"arguments per {what}", fontsize=9)
    _titled(figure, "Program arguments by dtype and by rank", stats)
    return figure


def _primitives(figure_class, stats: DatasetStats):
    ranked = stats.primitives.most_common()
    shown = ranked[:TOP_PRIMITIVES]
    figure = figure_class(figsize=(9, 0.24 * len(shown) + 1.8), layout="constrained")
    axes = figure.add_subplot()
    _share_bars(axes, [name for name, _ in shown], [count for _, count in shown], stats.records, horizontal=True)
    label = "records containing the primitive (% of all records)"
    if len(ranked) > len(shown):
        rest = ranked[len(shown)]
        label += f"\n{len(ranked) - len(shown)} more primitives not shown, each in at most {rest[1]:,} " \
                 f"records ({_pct(rest[1], stats.records):.1f}%)"
    axes.set_xlabel(label)
    axes.set_ylabel("primitive")
    _titled(figure, f"JAX primitives (jaxpr, forward and backward): top {len(shown)} of {len(ranked)} distinct, "
            f"by records containing each",
            stats)
    return figure


def _statements(figure_class, stats: DatasetStats):
    figure = figure_class(figsize=(8, 4.2), layout="constrained")
    axes = figure.add_subplot()
    counts = Counter(stats.statements)
    values = list(range(min(counts), max(counts) + 1))
    _share_bars(axes, values, [counts[v] for v in values], stats.records)
    axes.set_xlabel("statements in the program body (meta.n_statements)")
    axes.set_ylabel("records (% of all)")
    ordered = sorted(stats.statements)
    axes.set_title(f"median {percentile(ordered, 50)}, mean {sum(ordered) / len(ordered):.2f}, "
                   f"p90 {percentile(ordered, 90)}, max {ordered[-1]}", fontsize=9)
    _titled(figure, "Statements per program", stats)
    return figure


def _ir_lengths(figure_class, stats: DatasetStats):
    kinds = [k for k in ALL_IR_KINDS if any((k, d) in stats.ir_lengths for d in DIRECTIONS)]
    directions = [d for d in DIRECTIONS if any((k, d) in stats.ir_lengths for k in kinds)]
    figure = figure_class(figsize=(12, 2.4 * len(kinds) + 3.6), layout="constrained")
    _titled(figure, f"IR length in tokens per record, by IR kind and direction ({TOKEN_NOTE})", stats)
    if not kinds:
        figure.text(0.5, 0.5, "no IR text in this file", ha="center")
        return figure
    everything = [v for lengths in stats.ir_lengths.values() for v in lengths["tokens"]]
    bins = log_bins(everything)
    grid = figure.add_gridspec(len(kinds) + 1, len(directions), height_ratios=[1] * len(kinds) + [1.5])
    first = None
    for row, kind in enumerate(kinds):
        for column, direction in enumerate(directions):
            axes = figure.add_subplot(grid[row, column], sharex=first, sharey=first)
            first = first or axes
            lengths = stats.ir_lengths.get((kind, direction))
            _length_panel(axes, kind, direction, lengths["tokens"] if lengths else [], bins, stats.records)
            if column == 0:
                axes.set_ylabel("records (%)")
            if row == len(kinds) - 1:
                axes.set_xlabel("tokens per record (log scale)")
    _fit_panel(figure.add_subplot(grid[len(kinds), :], sharex=first), stats, kinds, directions)
    first.set_xlim(bins[0] / 1.2, bins[-1] * 6)  # shared by all panels; room on the right for legends
    return figure


def _length_panel(axes, kind, direction, values, bins, records):
    if not values:
        axes.set_title(f"{kind} {direction}: not stored", fontsize=9)
        return
    axes.hist(values, bins=bins, weights=[100 / len(values)] * len(values), color="tab:blue", alpha=0.8)
    axes.set_xscale("log")
    for mark, value in ir_length_marks(values).items():
        color, style = MARKS[mark]
        axes.axvline(value, color=color, linestyle=style, linewidth=1.2, label=f"{mark} {value:,}")
    axes.legend(fontsize=7, loc="upper right", title="tokens", title_fontsize=7)
    of = f" of {records:,}" if len(values) != records else ""
    axes.set_title(f"{kind} {direction} ({len(values):,}{of} records)", fontsize=9)
    axes.grid(alpha=0.3)


def _fit_panel(axes, stats: DatasetStats, kinds, directions):
    """Share of records whose IR fits in N tokens, one line per kind and direction: read a context length off it."""
    colors = dict(zip(ALL_IR_KINDS, ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")))
    for kind in kinds:
        for direction in directions:
            lengths = stats.ir_lengths.get((kind, direction))
            if not lengths:
                continue
            ordered = sorted(lengths["tokens"])
            # 100% is off a logit axis: the last step is drawn at the top edge, at the max
            shares = [min((i + 1) / len(ordered), FIT_TOP) for i in range(len(ordered))]
            axes.step(ordered, shares, where="post", color=colors[kind],
                      linestyle="-" if direction == "forward" else "--", label=f"{kind} {direction}")
    axes.set_xscale("log")
    axes.set_yscale("logit")  # spreads the tail: 90%, 99% and 99.9% are as far apart as 10% and 50%
    ticks = [0.01, 0.1, 0.5, 0.9, 0.99, 0.999]
    axes.set_yticks(ticks, [f"{100 * t:g}%" for t in ticks])
    axes.set_yticks([], minor=True)
    axes.set_ylim(0.005, FIT_TOP)
    axes.grid(alpha=0.3, which="both")
    axes.set_xlabel("context length (tokens, log scale)")
    axes.set_ylabel("records that fit (logit scale)")
    axes.set_title("records whose IR fits in a context of N tokens", fontsize=9)
    axes.legend(fontsize=7, ncols=len(directions), loc="lower right")
