"""`fuzzgen stats --plot`: charts a user can read, numbers they can trust, files they keep."""
import struct

import pytest

from fuzzgen.dataset.plots import PLOT_FILES, check_plot_directory, draw_charts, ir_length_marks, log_bins, \
    write_plots
from fuzzgen.dataset.stats import collect_stats
from fuzzgen.errors import FuzzgenError
from fuzzgen.records.atomic import OutputError
from helpers import run_cli

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def stats(small_sample):
    return collect_stats(small_sample)


@pytest.fixture(scope="module")
def charts(stats, tmp_path_factory):
    directory = tmp_path_factory.mktemp("charts") / "out"
    write_plots(stats, directory)
    return directory


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", PLOT_FILES)
def test_each_chart_is_a_readable_picture(charts, name):
    from matplotlib.image import imread

    width, height = png_size((charts / name).read_bytes())
    assert width >= 600 and height >= 300
    pixels = imread(charts / name)
    assert pixels.shape[:2] == (height, width)
    colours = {tuple(row) for row in pixels.reshape(-1, pixels.shape[-1])[::7].tolist()}
    assert len(colours) > 20  # bars, text and lines, not a blank canvas


def test_only_the_charts_are_written(charts):
    assert sorted(p.name for p in charts.iterdir()) == sorted(PLOT_FILES)


def test_every_chart_names_the_file_the_record_count_and_its_axes(stats, small_sample):
    for name, figure in draw_charts(stats).items():
        title = figure._suptitle.get_text()
        assert small_sample.name in title and f"{stats.records} records" in title, (name, title)
        drawn = [axes for axes in figure.axes if axes.axison]
        assert drawn, name
        if len(drawn) > 1:  # several panels: each says which part it shows
            assert all(axes.get_title() for axes in drawn), name
        assert any(axes.get_xlabel() for axes in drawn) and any(axes.get_ylabel() for axes in drawn), name


def test_ir_length_marks_are_nearest_rank_percentiles():
    assert ir_length_marks(list(range(1, 101))) == {"p50": 50, "p90": 90, "p99": 99, "max": 100}
    assert ir_length_marks([40, 10, 30, 20]) == {"p50": 20, "p90": 40, "p99": 40, "max": 40}
    assert ir_length_marks([7]) == {"p50": 7, "p90": 7, "p99": 7, "max": 7}
    with pytest.raises(ValueError):
        ir_length_marks([])


def test_the_length_chart_marks_the_numbers_the_report_prints(stats):
    summary = stats.to_json()["ir_lengths"]
    figure = draw_charts(stats)["ir_lengths.png"]
    panels = {axes.get_title().split(" (")[0]: axes for axes in figure.axes}
    checked = 0
    for kind, directions in summary.items():
        for direction, measures in directions.items():
            tokens = measures["tokens"]
            expected = {"p50": tokens["median"], "p90": tokens["p90"], "p99": tokens["p99"], "max": tokens["max"]}
            assert ir_length_marks(stats.ir_lengths[(kind, direction)]["tokens"]) == expected
            axes = panels[f"{kind} {direction}"]
            assert axes.get_xscale() == "log"
            drawn = {line.get_label().split()[0]: line.get_xdata()[0] for line in axes.get_lines()}
            assert drawn == expected
            labels = [text.get_text() for text in axes.get_legend().get_texts()]
            assert labels == [f"{mark} {value:,}" for mark, value in expected.items()]
            checked += 1
    assert checked >= 6  # jaxpr, stablehlo, hlo, forward and backward


def test_length_bins_are_shared_log_spaced_and_cover_every_value(stats):
    values = [v for lengths in stats.ir_lengths.values() for v in lengths["tokens"]]
    edges = log_bins(values, 40)
    assert len(edges) == 41 and edges[0] == min(values) and edges[-1] == pytest.approx(max(values))
    ratios = [b / a for a, b in zip(edges, edges[1:])]
    assert max(ratios) == pytest.approx(min(ratios))
    figure = draw_charts(stats)["ir_lengths.png"]
    histograms = [axes for axes in figure.axes if axes.patches]
    assert len(histograms) >= 6
    for axes in histograms:
        lefts = [patch.get_x() for patch in axes.patches]
        assert lefts == pytest.approx(edges[:-1])
        assert sum(patch.get_height() for patch in axes.patches) == pytest.approx(100)  # shares in %
    single = log_bins([5, 5, 5], 4)
    assert single[0] < 5 < single[-1]


def test_existing_charts_are_refused_without_force_and_replaced_with_it(small_sample, tmp_path):
    out = tmp_path / "charts"
    out.mkdir()
    (out / "statements.png").write_text("mine")
    refused = run_cli("stats", small_sample, "--plot", out)
    assert refused.returncode == 2 and refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "statements.png already exists" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (out / "statements.png").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["statements.png"]

    forced = run_cli("stats", small_sample, "--plot", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert f"wrote {len(PLOT_FILES)} charts" in forced.stdout
    for name in PLOT_FILES:
        png_size((out / name).read_bytes())
    assert sorted(p.name for p in out.iterdir()) == sorted(PLOT_FILES)


def test_a_symlink_at_a_chart_path_is_refused_even_with_force(small_sample, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    out = tmp_path / "charts"
    out.mkdir()
    (out / "ir_lengths.png").symlink_to(target)
    result = run_cli("stats", small_sample, "--plot", out, "--force")
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "symbolic link" in result.stderr
    assert target.read_text() == "keep me" and (out / "ir_lengths.png").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == ["ir_lengths.png"]


@pytest.mark.parametrize("force", [False, True])
def test_the_library_refuses_links_and_existing_files(stats, tmp_path, force):
    (tmp_path / "primitives.png").symlink_to(tmp_path / "missing")  # dangling: still a link
    with pytest.raises(OutputError, match="symbolic link") as caught:
        write_plots(stats, tmp_path, force=force)
    assert isinstance(caught.value, FuzzgenError)
    assert not (tmp_path / "missing").exists()
    (tmp_path / "primitives.png").unlink()
    (tmp_path / "categories.png").mkdir()
    with pytest.raises(OutputError, match="not a file"):
        check_plot_directory(tmp_path, force=force)
    (tmp_path / "categories.png").rmdir()
    (tmp_path / "dtypes_ranks.png").write_bytes(b"old")
    if force:
        write_plots(stats, tmp_path, force=True)
        png_size((tmp_path / "dtypes_ranks.png").read_bytes())
    else:
        with pytest.raises(OutputError, match="already exists"):
            write_plots(stats, tmp_path)
        assert (tmp_path / "dtypes_ranks.png").read_bytes() == b"old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_the_fit_panel_reads_off_the_share_of_records_within_a_context(stats):
    figure = draw_charts(stats)["ir_lengths.png"]
    fit = next(axes for axes in figure.axes if axes.get_title().startswith("records whose IR fits"))
    lines = {line.get_label(): line for line in fit.get_lines()}
    assert len(lines) == len(stats.ir_lengths)
    for (kind, direction), lengths in stats.ir_lengths.items():
        xs, ys = lines[f"{kind} {direction}"].get_data()
        tokens = sorted(lengths["tokens"])
        assert list(xs) == tokens
        # at the p90 mark at least 90% of the records fit, just below it fewer do
        p90 = ir_length_marks(tokens)["p90"]
        fits = [y for x, y in zip(xs, ys) if x <= p90]
        assert fits[-1] >= 0.9 and sum(1 for t in tokens if t < p90) / len(tokens) < 0.9
        assert ys[-1] == pytest.approx(0.9995)  # 100% drawn at the top edge of the logit axis
