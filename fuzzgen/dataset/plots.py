"""PNG charts of a `DatasetStats`, for reading a dataset's shape at a glance.

matplotlib is an optional extra (``pip install 'fuzzgen[plot]'``), imported only here and only
when plots are asked for. Figures are drawn with the Agg canvas directly (no pyplot), so no
global backend is switched and nothing opens a window.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from ..ir import DIRECTIONS
from ..extras import require
from ..records.atomic import OutputError
from .stats import MEASURES, DatasetStats

PLOT_FILES = ("categories.png", "dtypes_ranks.png", "primitives.png", "statements.png", "ir_lengths.png")


def write_plots(stats: DatasetStats, directory: Path | str) -> list[Path]:
    """Write the charts of ``stats`` into ``directory`` (created if missing); return their paths.

    Each PNG replaces a file of the same name atomically; other files in ``directory`` are left alone.
    """
    require("matplotlib", "plot", "plotting")
    figure_class = require("matplotlib.figure", "plot", "plotting").Figure
    directory = check_plot_directory(directory)
    directory.mkdir(parents=True, exist_ok=True)
    drawers = {
        "categories.png": _categories, "dtypes_ranks.png": _dtypes_ranks, "primitives.png": _primitives,
        "statements.png": _statements, "ir_lengths.png": _ir_lengths,
    }
    written = []
    for name in PLOT_FILES:
        figure = drawers[name](figure_class, stats)
        path = directory / name
        tmp = directory / f".{name}.tmp-{os.getpid()}.png"
        figure.savefig(tmp, dpi=100)
        os.replace(tmp, path)
        written.append(path)
    return written


def check_plot_directory(directory: Path | str) -> Path:
    """Raise `OutputError` if ``directory`` cannot hold charts; callers check before a long read."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory} is a file; give a directory for the charts")
    return directory


def _bar(axes, labels, values, title, *, horizontal=False):
    positions = range(len(labels))
    if horizontal:
        axes.barh(positions, values, color="tab:blue")
        axes.set_yticks(list(positions), [str(label) for label in labels], fontsize=7)
        axes.invert_yaxis()
        axes.margins(y=0.01)
    else:
        axes.bar(positions, values, color="tab:blue")
        axes.set_xticks(list(positions), [str(label) for label in labels], rotation=45, ha="right")
    axes.set_title(title)


def _categories(figure_class, stats: DatasetStats):
    figure = figure_class(figsize=(8, 4.5), layout="constrained")
    names = sorted(stats.categories)
    _bar(figure.add_subplot(), names, [stats.categories[n] for n in names],
         f"records per category ({stats.records} records)")
    return figure


def _dtypes_ranks(figure_class, stats: DatasetStats):
    figure = figure_class(figsize=(10, 4), layout="constrained")
    left, right = figure.subplots(1, 2)
    dtypes = sorted(stats.dtypes)
    _bar(left, dtypes, [stats.dtypes[d] for d in dtypes], "arguments per dtype")
    ranks = sorted(stats.ranks)
    _bar(right, ranks, [stats.ranks[r] for r in ranks], "arguments per rank")
    return figure


def _primitives(figure_class, stats: DatasetStats):
    ranked = stats.primitives.most_common()
    figure = figure_class(figsize=(8, max(3.0, 0.18 * len(ranked) + 1)), layout="constrained")
    _bar(figure.add_subplot(), [name for name, _ in ranked], [count for _, count in ranked],
         f"records containing each primitive ({len(ranked)} distinct)", horizontal=True)
    return figure


def _statements(figure_class, stats: DatasetStats):
    figure = figure_class(figsize=(7, 4), layout="constrained")
    counts = Counter(stats.statements)
    values = sorted(counts)
    _bar(figure.add_subplot(), values, [counts[v] for v in values], "statements per program")
    return figure


def _ir_lengths(figure_class, stats: DatasetStats):
    kinds = list(dict.fromkeys(kind for kind, _ in stats.ir_lengths))
    figure = figure_class(figsize=(12, 2.8 * max(1, len(kinds))), layout="constrained")
    grid = figure.subplots(max(1, len(kinds)), len(MEASURES), squeeze=False)
    for row, kind in enumerate(kinds):
        for column, measure in enumerate(MEASURES):
            axes = grid[row][column]
            for direction in DIRECTIONS:
                lengths = stats.ir_lengths.get((kind, direction))
                if lengths:
                    axes.hist(lengths[measure], bins=30, alpha=0.6, label=direction)
            axes.set_title(f"{kind}: {measure}", fontsize=9)
            axes.legend(fontsize=7)
    figure.suptitle("IR lengths per record (tokens: fuzzgen.dataset.stats.TOKEN_PATTERN)")
    return figure
