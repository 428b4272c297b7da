"""One report per run (issue 14): the plan's charts read back equal the CSV the same run wrote,
the report is well-formed self-contained HTML with every section, prints on A4, renders in a
browser, and holds no number with more digits than documented.

One small plan (a generated city of 4 communities, short horizon, serial) is run through the CLI
once; ``allocate`` on its curves (no simulation) gives the English report and the determinism
check cheaply.
"""

from __future__ import annotations

import csv
import math
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from jiedao.cli import app, report_flag
from jiedao.export.summary import AreaLine, CommunityLine, PlanSummary, Share
from jiedao.export.svg import distribution_bands, posts_chart, service_chart
from jiedao.scenarios import load
from jiedao.scenarios.generate import generate

runner = CliRunner()
QUICK = ["-q", "--backend", "serial",
         "--set", "simulation.case_days=21", "--set", "simulation.case_warmup_days=7",
         "--set", "simulation.max_replications=2"]  # fmt: skip
SECTIONS = ("headline", "changes", "charts", "risks", "about")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report")
    city = root / "city.toml"
    city.write_text(generate(4, 3), encoding="utf-8")
    out = root / "plan"
    result = runner.invoke(
        app,
        ["plan", str(city), "-r", "1", "--check-replications", "2", "--out", str(out),
         "--report", *QUICK],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"city": city, "out": out, "report": out / "report.html"}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _marks(svg: Path) -> list[dict[str, str]]:
    root = ET.fromstring(svg.read_text("utf-8"))
    return [
        el.attrib | {"tag": el.tag.split("}")[-1]}
        for el in root.iter()
        if "data-series" in el.attrib or "data-value" in el.attrib
    ]


# --- the charts read back equal the CSV -----------------------------------------------------------


def test_posts_chart_draws_the_posts_in_allocation_csv(run) -> None:
    rows = {r["community_id"]: r for r in _csv(run["out"] / "allocation.csv")}
    marks = [m for m in _marks(run["out"] / "chart-posts.svg") if m["tag"] == "rect"]
    drawn = {(m["data-key"], m["data-series"]): float(m["data-value"]) for m in marks}
    expected = {}
    for cid, r in rows.items():
        expected[(cid, "today")] = float(r["posts_current"])
        expected[(cid, "plan")] = float(r["posts_proposed"])
    assert drawn == expected
    # and the bar lengths are those values on one scale (to the 0.1 px the SVG keeps)
    per_post = {float(m["width"]) / float(m["data-value"]) for m in marks if float(m["data-value"])}
    assert max(per_post) - min(per_post) < 0.2 / max(float(m["data-value"]) for m in marks) + 1e-9


def test_service_chart_draws_the_levels_bounds_and_targets_in_allocation_csv(run) -> None:
    rows = {r["community_id"]: r for r in _csv(run["out"] / "allocation.csv")}
    marks = _marks(run["out"] / "chart-service.svg")
    level = {m["data-key"]: m for m in marks if m["data-series"] == "level"}
    interval = {m["data-key"]: m for m in marks if m["data-series"] == "interval"}
    target = {m["data-key"]: m for m in marks if m["data-series"] == "target"}
    assert set(level) == set(interval) == set(target) == set(rows)
    for cid, r in rows.items():
        mean, half = float(r["service_level"]), float(r["service_level_ci95"])
        assert float(level[cid]["data-value"]) == pytest.approx(mean, abs=1e-6)
        # the interval drawn is the check's lower bound to the t-interval's top, inside 0-1
        assert float(interval[cid]["data-lo"]) == pytest.approx(
            float(r["service_level_lower95"]), abs=1e-6
        )
        assert float(interval[cid]["data-hi"]) == pytest.approx(min(1.0, mean + half), abs=1e-6)
        assert 0.0 <= float(interval[cid]["data-lo"]) <= float(interval[cid]["data-hi"]) <= 1.0
        assert float(target[cid]["data-value"]) == pytest.approx(float(r["target"]), abs=1e-6)
    # positions: one linear axis for dots, interval ends and targets
    xs = [(float(m["data-value"]), float(m["cx"])) for m in level.values()]
    xs += [(float(m["data-value"]), float(m["x1"])) for m in target.values()]
    xs += [(float(m["data-lo"]), float(m["x1"])) for m in interval.values()]
    values, pixels = np.array(xs).T
    if np.ptp(values) > 0:
        slope, icept = np.polyfit(values, pixels, 1)
        assert np.max(np.abs(values * slope + icept - pixels)) < 0.11


def test_budget_chart_draws_the_cost_of_the_posts_funds_and_clerks_in_the_csvs(run) -> None:
    scenario = load(str(run["city"]))
    rows = _csv(run["out"] / "allocation.csv")
    windows = _csv(run["out"] / "windows.csv")
    drawn = {m["data-key"]: float(m["data-value"]) for m in _marks(run["out"] / "chart-budget.svg")}
    cost = scenario.budget.post_cost_yuan
    posts = sum(int(r["posts_proposed"]) for r in rows)
    funds = sum(float(r["funds_proposed_yuan"]) for r in rows)
    clerks = sum(int(r["clerks_proposed"]) for r in windows)
    assert drawn["posts"] == pytest.approx(posts * cost)
    assert drawn["hours"] + drawn["no_hours"] == pytest.approx(funds, abs=0.02)
    assert drawn["hours"] == pytest.approx(funds * scenario.budget.purchase_share, abs=0.02)
    assert drawn["clerks"] == pytest.approx(clerks * cost)


# --- the report -----------------------------------------------------------------------------------

VOID = {"meta", "br", "img", "hr", "input", "link", "circle", "rect", "line", "polyline", "path"}


class Checker(HTMLParser):
    """Balanced tags, the section ids, and every reference a page could fetch."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.refs: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("src", "href", "xlink:href", "action", "data") and value:
                self.refs.append(value)
        if tag == "svg":
            self.svgs += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]} ")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in ("style", "title") and "svg" not in self.stack:
            return
        self.text.append(data)


def _parse(path: Path) -> tuple[Checker, str]:
    html = path.read_text("utf-8")
    checker = Checker()
    checker.feed(html)
    checker.close()
    return checker, html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_is_self_contained_html_with_every_section(run, tmp_path, lang: str) -> None:
    path = run["report"]
    if lang == "en":  # the same plan's curves, allocated again: no simulation
        path = tmp_path / "r.html"
        result = runner.invoke(
            app,
            ["allocate", str(run["city"]), "--curves", str(run["out"] / "curves.csv"),
             "--report", str(path), "--lang", "en", "-q"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    checker, html = _parse(path)
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack)
    assert html.startswith("<!DOCTYPE html>")
    assert [i for i in checker.ids if i in SECTIONS] == list(SECTIONS)
    assert checker.svgs == 3  # posts, service level, budget
    assert "script" not in checker.tags and "link" not in checker.tags
    assert not checker.refs, checker.refs
    assert not re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", html)
    assert "@page { size: A4" in html and "@media print" in html
    text = " ".join(checker.text)
    # no number with more digits than documented: two decimals at most, shares one
    assert not re.search(r"\d\.\d{3,}", text), re.findall(r"\S*\d\.\d{3,}\S*", text)
    assert not re.search(r"\d\.\d{2,}%", text)
    for low, high in re.findall(r"\((\d+\.\d)-(\d+\.\d)\)", text):
        assert 0.0 <= float(low) <= float(high) <= 100.0
    rows = _csv(run["out"] / "allocation.csv")
    posts = sum(int(r["posts_proposed"]) for r in rows)
    funds = sum(float(r["funds_proposed_yuan"]) for r in rows)
    assert f">{posts:,}<" in html  # the headline's posts are the CSV's
    assert f"¥{round(funds):,}" in text
    if lang == "zh":
        assert "社工岗" in text and "万元" in text and "随机种子" in text
    else:
        assert "Social-worker posts" in text and "seed" in text
        assert not re.search(r"[\u4e00-\u9fff]{3,}", text.replace("一窗通办", ""))


def test_same_plan_same_chart_bytes(run, tmp_path) -> None:
    outs = []
    for k in range(2):
        out = tmp_path / f"a{k}"
        result = runner.invoke(
            app,
            ["allocate", str(run["city"]), "--curves", str(run["out"] / "curves.csv"),
             "--out", str(out), "-q"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outs.append(out)
    for name in ("chart-posts.svg", "chart-service.svg", "chart-budget.svg"):
        first, second = ((o / name).read_bytes() for o in outs)
        assert first == second
        assert b"<dc:date>" not in first and b"Date" not in first


def test_report_target_is_checked_before_any_work(run, tmp_path, monkeypatch) -> None:
    from jiedao.planning import plan

    called = []
    monkeypatch.setattr(plan, "make_plan", lambda *a, **k: called.append(1))
    taken = tmp_path / "taken.html"
    taken.write_text("x", encoding="utf-8")
    for target, words in (
        ("/proc/x.html", "cannot"),
        (str(taken), "--force"),
        (str(run["city"] / "x.html"), "is a file"),
    ):
        result = runner.invoke(app, ["plan", str(run["city"]), "--report", target, "-q"])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: --report {target}"), lines
        assert words in lines[0]
    assert called == []


def test_report_alone_is_a_flag_and_a_path_ending_in_html_its_value() -> None:
    assert report_flag(["plan", "x", "--report"]) == ["plan", "x", "--report="]
    assert report_flag(["plan", "--report", "x"]) == ["plan", "--report=", "x"]
    assert report_flag(["plan", "--report", "r.html", "x"]) == ["plan", "--report", "r.html", "x"]
    assert report_flag(["plan", "--report=y"]) == ["plan", "--report=y"]


# --- at thousands of communities the community charts aggregate -----------------------------------


def _big_summary(n_streets: int, per_street: int) -> PlanSummary:
    rng = np.random.default_rng(3)
    communities = []
    for s in range(n_streets):
        for c in range(per_street):
            level = float(rng.uniform(0.7, 1.0))
            half = float(rng.uniform(0.0, 0.1))
            share = Share.of(level, half)
            assert share is not None
            communities.append(
                CommunityLine(
                    id=f"d/s{s}/c{c}",
                    name=f"c{c}",
                    street_id=f"d/s{s}",
                    street=f"s{s}",
                    district_id="d",
                    district="d",
                    type="urban",
                    households=3000,
                    posts_today=int(rng.integers(5, 15)),
                    posts_plan=int(rng.integers(5, 15)),
                    funds_today_yuan=2e5,
                    funds_plan_yuan=2e5,
                    level=share,
                    target=0.9,
                    met=share.lo >= 0.9,
                    checked=True,
                )  # fmt: skip
            )
    streets = tuple(
        AreaLine(
            "street",
            f"d/s{s}",
            f"s{s}",
            "d",
            per_street,
            3000 * per_street,
            sum(c.posts_today for c in communities if c.street_id == f"d/s{s}"),
            sum(c.posts_plan or 0 for c in communities if c.street_id == f"d/s{s}"),
            0.0,
            0.0,
            per_street,
            0,
        )  # fmt: skip
        for s in range(n_streets)
    )
    return PlanSummary(
        scenario="big", scenario_zh="big", description="", source="", mode="shortfall", seed=1,
        check_seed=2, check_replications=2, curve_source="simulated", households=0,
        post_cost_yuan=5e4, posts_pool=0, posts_today=0, posts_plan=0, funds_today_yuan=0.0,
        funds_plan_yuan=0.0, fund_pool_yuan=None, clerks_today=None, clerks_plan=None,
        checked=len(communities), met=0, windows_checked=0, windows_met=0, window_target=None,
        communities=tuple(communities), streets=streets, districts=(), budget=(), risks=(),
        source_tags=(),
    )  # fmt: skip


def test_community_charts_aggregate_at_scale(tmp_path) -> None:
    summary = _big_summary(20, 100)  # 2,000 communities in 20 streets
    svg = tmp_path / "posts.svg"
    svg.write_text(posts_chart(summary, "en"), encoding="utf-8")
    marks = [m for m in _marks(svg) if m["tag"] == "rect"]
    assert len(marks) == 2 * 20  # a bar pair per street, not per community
    for m in marks:
        street = m["data-key"]
        members = [c for c in summary.communities if c.street_id == street]
        field = "posts_today" if m["data-series"] == "today" else "posts_plan"
        assert float(m["data-value"]) == sum(getattr(c, field) for c in members)
    svg.write_text(service_chart(summary, "en"), encoding="utf-8")
    bars = [m for m in _marks(svg) if m["tag"] == "rect"]
    # a distribution of the lower bounds: every community counted once, in its own band
    assert sum(int(m["data-value"]) for m in bars) == 2000
    for m in bars:
        lo = float(m["data-key"])
        met = m["data-series"] == "met"
        inside = [
            c for c in summary.communities
            if c.level is not None and lo - 1e-9 <= c.level.lo < lo + 0.025 - 1e-9
            and c.met == met
        ]  # fmt: skip
        assert int(m["data-value"]) == len(inside), (lo, met)
    assert sum(m + n for _, m, n in distribution_bands(summary.communities)) == 2000
    # the report lists at most 300 communities (those that change), and says so
    from jiedao.export.report import MAX_COMMUNITY_ROWS, plan_report

    html = plan_report(summary, "en", date="2026-12-01")
    table = html.split('id="changes"')[1].split("</section>")[0].split("By community")[1]
    assert table.count("<tr>") - 1 <= MAX_COMMUNITY_ROWS and "allocation.csv" in table


# --- the report renders in a browser --------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_report_renders_in_headless_chromium(run, tmp_path) -> None:
    from matplotlib.image import imread

    png = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--window-size=900,1800",
             f"--screenshot={png}", run["report"].resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    image = imread(png)[..., :3]
    ink = np.mean(np.min(image, axis=2) < 0.6)  # share of pixels clearly darker than paper
    assert ink > 0.01, ink
    blue = np.mean((image[..., 2] > 0.5) & (image[..., 0] < 0.2))  # the plan's bars (#0072B2)
    assert blue > 0.001, blue
    assert math.isfinite(float(image.std())) and image.std() > 0.05


# --- the sensitivity report -----------------------------------------------------------------------


def _sensitivity_run(city: Path, tmp: Path):
    """A sensitivity result (made by hand: the report reads figures, it does not compute them)
    and the CSV files the sensitivity writer makes of it."""
    from jiedao.export.documents import sensitivity_document
    from jiedao.export.sensitivity import write
    from jiedao.planning.whatif import (
        FrontierPoint,
        OatRow,
        Outcome,
        SensitivityReport,
        Uncertainty,
        parameters,
    )

    scenario = load(str(city))
    base = Outcome(0.0, 40, 40 * scenario.budget.post_cost_yuan + 8e5)
    rows = []
    for k, (path, value, words) in enumerate(parameters(scenario)):
        low = Outcome(0.0, 40 - k % 3, None)
        high = Outcome(0.1 * k, 40 + (k * 7) % 5, 40.0 * k)
        rows.append(OatRow(path, words, value, low, high))
    frontier = [FrontierPoint(p, 0.0, 0.6 + 0.01 * p, None, p, 8e5) for p in range(30, 42, 3)]
    community = next(scenario.communities()).id
    unsure = (Uncertainty(community, 0.5, 0.2, 0.8, 8),)
    report = SensitivityReport(
        scenario, 0.2, base, tuple(rows), tuple(frontier), (), unsure, 0.2, 1.0
    )  # fmt: skip
    write(sensitivity_document(report), tmp)
    return report


def test_sensitivity_report_draws_the_csvs_figures(run, tmp_path) -> None:
    from jiedao.export.report import SENSITIVITY_SECTIONS, sensitivity_report
    from jiedao.export.summary import sensitivity_summary

    report = _sensitivity_run(run["city"], tmp_path)
    html = sensitivity_report(sensitivity_summary(report, 5), "zh", date="2026-12-01")
    path = tmp_path / "s.html"
    path.write_text(html, encoding="utf-8")
    checker, _ = _parse(path)
    assert not checker.errors and not checker.stack
    assert [i for i in checker.ids if i in SENSITIVITY_SECTIONS] == list(SENSITIVITY_SECTIONS)
    assert not checker.refs and "script" not in checker.tags
    oat = _csv(tmp_path / "one_at_a_time.csv")
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    tornado = next(s for s in svgs if 'data-chart="tornado"' in s)
    svg = tmp_path / "t.svg"
    svg.write_text(tornado.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1), "utf-8")
    drawn = [m for m in _marks(svg) if m["tag"] == "rect"]
    assert len(drawn) == 2 * len(oat)
    bars = {(m["data-key"], m["data-series"]): float(m["data-value"]) for m in drawn}
    for row in oat:  # each input's bars: the posts it needs lowered and raised, less the base
        base = int(row["posts_required_base"])
        for series, column in (("low", "posts_required_low"), ("high", "posts_required_high")):
            assert bars[(row["parameter"], series)] == int(row[column]) - base
    frontier = _csv(tmp_path / "frontier_posts.csv")
    front = next(s for s in svgs if 'data-chart="frontier"' in s)
    points = re.findall(r'data-key="([\d.]+)" data-value="([\d.]+)"', front)
    assert [(float(x), float(y)) for x, y in points] == [
        (float(r["pool"]), float(r["service_level"])) for r in frontier
    ]
    # the headline: the base posts and a cost that adds up
    assert ">40<" in html and "¥2,800,000" in html  # 40 x ¥50,000 + ¥800,000
