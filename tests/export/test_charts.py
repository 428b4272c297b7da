"""Charts: each renders in Chinese and English to non-empty PNG and SVG files, written atomically,
and Chinese text is drawn with a real CJK font that has every glyph (no empty boxes)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from jiedao.export import charts
from jiedao.export.labels import LABELS, LANGS, bilingual, chinese_characters, label, label_or

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MISSING = re.compile(r"Glyph .* missing", re.IGNORECASE)


def _tornado(lang: str) -> Figure:
    rows = [
        (label("patience", lang), 0.2, -0.1),
        (f"{label('demand_rate', lang)} · {label('window', lang)}", -12.0, 15.5),
        (label("post_cost", lang), 3.0, -2.5),
        (label("service_time", lang), None, 4.0),
    ]
    return charts.tornado(rows, label("sensitivity_analysis", lang), lang)


def _frontier(lang: str) -> Figure:
    points = [(8e6, 0.62, 0.041), (10e6, 0.74, 0.030), (12e6, 0.83, None), (14e6, 0.88, 0.012)]
    return charts.budget_frontier(points, label("budget_yuan", lang), lang)


def _waits(lang: str) -> Figure:
    rng = np.random.default_rng(3)
    waits = {
        "window": rng.exponential(14.0, 4000),
        "grid": rng.exponential(8 * 60.0, 300),
        "enforcement": rng.exponential(4 * 1440.0, 80),
    }
    targets = {"window": 30.0, "grid": 24 * 60.0, "enforcement": 10 * 1440.0}
    return charts.wait_distribution(waits, targets, lang)


def _before_after(lang: str) -> Figure:
    metrics = [
        (label("wait_mean_min", lang), 21.4, 1.3, 12.9, 0.8),
        (label("target_share", lang), 0.68, 0.02, 0.87, 0.015),
        (label("abandoned", lang), 140.0, 12.0, 66.0, None),
    ]
    return charts.before_after(metrics, lang)


CHARTS: dict[str, Callable[[str], Figure]] = {
    "tornado": _tornado,
    "budget_frontier": _frontier,
    "wait_distribution": _waits,
    "before_after": _before_after,
}


def _texts(fig: Figure) -> list[Text]:
    fig.canvas.draw()  # ticks and their labels exist only once drawn
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


# --- labels -------------------------------------------------------------------------------------


def test_labels_cover_both_languages() -> None:
    for key, (zh, en) in LABELS.items():
        assert zh and en, key
        assert label(key, "zh") == zh and label(key, "en") == en
        assert en.isascii(), key
    assert label("window", "zh") == "便民服务窗口"
    assert label("grid", "zh") == "网格" and label("enforcement", "zh") == "综合执法"
    assert label("posts", "zh") == "社工岗" and label("funds", "zh") == "经费"
    assert label("service_level", "zh") == "服务达标率" and label("wait", "zh") == "等待时间"
    assert label("budget_frontier", "zh") == "预算前沿" and label("sensitivity", "zh") == "敏感性"
    assert label("before", "zh") == "改革前" and label("after", "zh") == "改革后"
    assert bilingual("service_level") == "服务达标率 service level"
    assert label_or("new_stream", "en") == "new_stream"
    with pytest.raises(ValueError):
        label("window", "fr")
    with pytest.raises(KeyError):
        label("no such key", "en")


# --- the font -----------------------------------------------------------------------------------


def test_cjk_font_is_a_real_file_that_matplotlib_resolves() -> None:
    font = charts.cjk_font()
    assert font is not None, "no CJK font: is pylopdf-fonts-zh-cn installed?"
    assert font.path.is_file() and font.path.stat().st_size > 1_000_000
    assert "dejavu" not in font.family.lower() and "dejavu" not in font.path.name.lower()
    found = font_manager.fontManager.findfont(
        font_manager.FontProperties(family=[font.family]), fallback_to_default=False
    )
    assert Path(found).resolve() == font.path
    cmap = FT2Font(str(font.path), face_index=font.face_index).get_charmap()
    missing = [ch for ch in chinese_characters() if ord(ch) not in cmap]
    assert not missing, f"{font.family} lacks {''.join(missing)}"


def test_packaged_font_is_noto_sans_sc_under_the_ofl() -> None:
    path = charts._packaged_font_path()
    assert path is not None, "pylopdf-fonts-zh-cn (a core dependency) is not installed"
    assert FT2Font(str(path)).family_name == "Noto Sans SC"
    from importlib.metadata import distribution

    dist = distribution("pylopdf-fonts-zh-cn")
    licence = "\n".join(
        Path(str(f.locate())).read_text(encoding="utf-8")
        for f in dist.files or []
        if f.name == "LICENSE"
    )
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence


def test_env_override_selects_the_given_font(monkeypatch: pytest.MonkeyPatch) -> None:
    path = charts._packaged_font_path()
    assert path is not None
    monkeypatch.setenv(charts.ENV_FONT, str(path))
    charts.cjk_font.cache_clear()
    try:
        font = charts.cjk_font()
        assert font is not None and font.source == "env" and font.path == path.resolve()
    finally:
        monkeypatch.delenv(charts.ENV_FONT)
        charts.cjk_font.cache_clear()


def test_chinese_text_renders_without_missing_glyphs(tmp_path: Path) -> None:
    font = charts.cjk_font()
    assert font is not None
    every = chinese_characters()
    with charts.chart_style():
        fig = Figure(figsize=(8, 4))
        ax = fig.add_subplot()
        ax.set_title("街道社工岗经费 " + every[:40])
        for row in range(1, len(every) // 40 + 1):
            ax.text(0.0, 1 - row * 0.12, every[row * 40 : (row + 1) * 40], transform=ax.transAxes)
        ax.set_xlabel(label("wait_min", "zh"))
        ax.set_ylabel(label("cumulative_share", "zh"))
        ax.plot([-1.0, 0.0, 1.0], [0.2, 0.5, 0.9])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png, svg = charts.save_figure(fig, tmp_path / "glyphs")
        texts = _texts(fig)
    assert not [w for w in caught if MISSING.search(str(w.message))]
    drawn = "".join(t.get_text() for t in texts)
    assert set(every) <= set(drawn)
    cmap = FT2Font(str(font.path), face_index=font.face_index).get_charmap()
    missing = {ch for ch in drawn if not ch.isspace() and ord(ch) not in cmap}
    assert not missing, f"not in {font.family}: {''.join(sorted(missing))}"
    for t in texts:  # each Chinese text is drawn with the CJK font, not DejaVu's boxes
        if any(ord(ch) > 0x2E80 for ch in t.get_text()):
            with charts.chart_style():
                used = font_manager.fontManager.findfont(t.get_fontproperties())
            assert Path(used).resolve() == font.path, t.get_text()
    assert png.stat().st_size > 5000 and svg.stat().st_size > 5000


def test_the_missing_glyph_check_would_catch_boxes() -> None:
    """The control: Chinese in DejaVu Sans does warn, so the check above is not vacuous."""
    fig = Figure()
    fig.text(0.1, 0.5, "社工岗", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts.FigureCanvasAgg(fig).draw()
    assert [w for w in caught if MISSING.search(str(w.message))]


# --- the charts ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_renders_to_png_and_svg(name: str, lang: str, tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = CHARTS[name](lang)
        assert isinstance(fig, Figure)
        paths = charts.save_figure(fig, tmp_path / f"{name}.{lang}")
        drawn = "".join(t.get_text() for t in _texts(fig))
    assert not [w for w in caught if MISSING.search(str(w.message))]
    assert charts.missing_characters(drawn) == ""
    if lang == "zh":
        assert any(ord(ch) > 0x2E80 for ch in drawn)
    else:
        assert all(ord(ch) < 0x2E80 for ch in drawn), drawn
    png, svg = paths
    assert png == tmp_path / f"{name}.{lang}.png" and svg == tmp_path / f"{name}.{lang}.svg"
    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and len(text) > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([png.name, svg.name])  # no temps


def test_tornado_puts_the_widest_swing_on_top() -> None:
    fig = charts.tornado([("small", 0.1, -0.1), ("large", -5.0, 3.0), ("mid", 1.0, 2.0)], "t", "en")
    ax = fig.axes[0]
    order = [t.get_text() for t in sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])]
    assert order == ["large", "mid", "small"]


def test_charts_accept_empty_inputs_and_reject_unknown_language(tmp_path: Path) -> None:
    for fig in (
        charts.tornado([], "t", "zh"),
        charts.budget_frontier([], "x", "zh"),
        charts.wait_distribution({}, {}, "zh"),
        charts.wait_distribution({"window": np.array([])}, {"window": None}, "en"),
        charts.before_after([], "en"),
    ):
        png, svg = charts.save_figure(fig, tmp_path / "empty")
        assert png.read_bytes().startswith(PNG_SIGNATURE) and svg.stat().st_size > 0
    with pytest.raises(ValueError):
        charts.tornado([("a", 1.0, 2.0)], "t", "de")


def test_large_samples_keep_the_svg_small(tmp_path: Path) -> None:
    waits = {"window": np.random.default_rng(0).exponential(10.0, 200_000)}
    fig = charts.wait_distribution(waits, {"window": 30.0}, "zh")
    _png, svg = charts.save_figure(fig, tmp_path / "big")
    assert svg.stat().st_size < 1_000_000
