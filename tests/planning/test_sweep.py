"""Sweeps: the vary grammar (``scenarios.overrides``), the factorial, and a recorder that resumes
(``export.sweep``) around the points ``planning.sweep`` runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jiedao.export.documents import simulate_document
from jiedao.export.sweep import MANIFEST, POINTS, read_points, sweep_into
from jiedao.scenarios import ScenarioError, load
from jiedao.scenarios.model import Scenario
from jiedao.scenarios.overrides import (
    parse_vary,
    point_id,
    point_label,
    point_overrides,
    points,
)
from jiedao.sim.run import Horizon, Results, run

SweepError = ScenarioError

TAIAN = "districts.xian.streets.taian.windows"
ALL = "districts.*.streets.*.windows"

# --- grammar --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "values"),
    [
        (f"{ALL}=2..6", ALL, [2, 3, 4, 5, 6]),
        (f"{ALL}=2..10:3", ALL, [2, 5, 8]),
        (f"{ALL}=4..4", ALL, [4]),
        (f"{ALL} = -1..1", ALL, [-1, 0, 1]),
        (f"{ALL}=2,4,7", ALL, [2, 4, 7]),
        (f"{ALL}=3", ALL, [3]),
        ("demand.window.rate=0.5, 1, 1.5", "demand.window.rate", [0.5, 1, 1.5]),
        ("policy.window_mode=pooled,specialised", "policy.window_mode", ["pooled", "specialised"]),
        (
            'policy.window_mode="pooled","specialised"',
            "policy.window_mode",
            ["pooled", "specialised"],
        ),
        ('x.name="a,b","c"', "x.name", ["a,b", "c"]),
        ("x.flag=true,false", "x.flag", [True, False]),
        ("x.shifts=[1,2],[3]", "x.shifts", [[1, 2], [3]]),
    ],
)
def test_vary_grammar(text: str, path: str, values: list[Any]):
    vary = parse_vary(text)
    assert (vary.path, list(vary.values)) == (path, values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{ALL}", "expected PATH=SPEC"),
        (f"{ALL}=", "no levels given"),
        ("=2..6", "empty segment"),
        ("districts..windows=2", "empty segment"),
        (f"{ALL}=6..2", "range 6..2 is empty"),
        (f"{ALL}=2..6:0", "step must be a positive"),
        (f"{ALL}=2..6:-1", "step must be a positive"),
        (f"{ALL}=2..", "bad range"),
        (f"{ALL}=0.5..1.5", "bad range"),
        (f"{ALL}=a..b", "bad range"),
        (f"{ALL}=2,,4", "empty level"),
        (f"{ALL}=2,3,2", "level 2 is listed twice"),
        (f"{ALL}=nan,1", "not a finite number"),
    ],
)
def test_bad_vary_specs_say_what_is_wrong(text: str, message: str):
    with pytest.raises(SweepError, match=message) as caught:
        parse_vary(text)
    err = caught.value
    assert isinstance(err, ScenarioError) and isinstance(err, ValueError)
    assert str(err).startswith(text) and err.kind == "vary"  # names the vary, as written
    assert "\n" not in str(err)


def test_factorial_count_and_order():
    varies = [parse_vary("a.x=1..3"), parse_vary("b.y=p,q")]
    got = points(varies)
    assert len(got) == 6
    assert got == [
        {"a.x": 1, "b.y": "p"},
        {"a.x": 1, "b.y": "q"},
        {"a.x": 2, "b.y": "p"},
        {"a.x": 2, "b.y": "q"},
        {"a.x": 3, "b.y": "p"},
        {"a.x": 3, "b.y": "q"},
    ]
    assert points(varies) == got  # stable
    assert len(points([parse_vary("a=1..4"), parse_vary("b=1..5"), parse_vary("c=1,2")])) == 40
    assert points([]) == [{}]
    with pytest.raises(SweepError, match="varied twice"):
        points([parse_vary("a.x=1,2"), parse_vary("a.x=3")])


def test_point_ids_are_stable_short_and_distinct():
    one = {"a.x": 2, "b.y": "p"}
    assert point_id(one) == point_id({"b.y": "p", "a.x": 2})  # order of --vary does not matter
    assert len(point_id(one)) == 12 and point_id(one) == point_id(dict(one))
    ids = {point_id(p) for p in points([parse_vary("a.x=1..20"), parse_vary("b.y=1..20")])}
    assert len(ids) == 400
    assert point_id({"a": 1}) != point_id({"a": "1"})
    assert point_label(one) == 'a.x=2, b.y="p"'
    assert [o.label for o in point_overrides(one)] == ["a.x=2", 'b.y="p"']


# --- the recorder ---------------------------------------------------------------------------------

VARIES = [parse_vary(f"{TAIAN}=1..3"), parse_vary("districts.xian.streets.anjia.windows=2,4")]


class Recorder:
    """A stand-in simulation: records its calls; raises KeyboardInterrupt on call ``stop_at``.

    Its results carry the windows the point's scenario gives two streets, so the records show
    that each point's overrides were applied."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.stop_at = stop_at

    def __call__(self, scenario: Scenario) -> Results:
        if self.stop_at is not None and len(self.calls) + 1 == self.stop_at:
            raise KeyboardInterrupt
        windows = {s.id: s.windows for s in scenario.streets()}
        self.calls.append(
            {
                TAIAN: windows.get("xian/taian"),
                "districts.xian.streets.anjia.windows": windows.get("xian/anjia"),
            }
        )
        values = {
            ("city", "window"): {
                "taian": np.array([float(windows.get("xian/taian", 0))]),
                "anjia": np.array([float(windows.get("xian/anjia", 0))]),
                "nan": np.array([np.nan]),
            }
        }
        return Results(scenario, 1, 1, Horizon(1, 0, 1, 0), 0.0, 0, values, {"city": "city"})


def _sweep(
    out: Path,
    fake: Recorder,
    varies=VARIES,
    ref: str = "liaoyuan",
    base: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    scenario = load(ref, base or [])
    kw.setdefault("simulate", fake)
    return sweep_into(out, ref, scenario, varies, settings or {}, **kw)


def _taian(record: dict[str, Any], name: str = "taian") -> Any:
    (city,) = record["result"]["results"]
    return city["metrics"][name]["mean"]


def _lines(out: Path) -> list[dict[str, Any]]:
    text = (out / POINTS).read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_a_sweep_records_every_point_once(tmp_path: Path):
    fake, ticks = Recorder(), []
    summary = _sweep(tmp_path / "s", fake, progress=ticks.append, settings={"seed": 3})
    assert summary.document()["schema"] == "jiedao.sweep/1"
    assert (summary.total, summary.ran, summary.skipped) == (6, 6, 0)
    assert fake.calls == points(VARIES)
    assert ticks == [1] * 6
    records = _lines(tmp_path / "s")
    assert [r["point"] for r in records] == points(VARIES)
    assert [r["index"] for r in records] == list(range(6))
    assert [r["id"] for r in records] == [point_id(p) for p in points(VARIES)]
    # the scenario each point simulates has the point's overrides applied
    assert [(_taian(r), _taian(r, "anjia")) for r in records] == [
        (1, 2),
        (1, 4),
        (2, 2),
        (2, 4),
        (3, 2),
        (3, 4),
    ]
    assert _taian(records[0], "nan") is None  # JSON has no NaN
    assert records[0]["label"] == f"{TAIAN}=1, districts.xian.streets.anjia.windows=2"
    assert list(summary.points) == records == read_points(tmp_path / "s")
    manifest = json.loads((tmp_path / "s" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["schema"] == "jiedao.sweep/1"
    assert manifest["scenario"] == "liaoyuan"
    assert manifest["settings"] == {"seed": 3}
    assert manifest["points"] == 6
    assert manifest["vary"][0] == {"path": TAIAN, "values": [1, 2, 3]}


def test_same_arguments_run_nothing_again(tmp_path: Path):
    _sweep(tmp_path, Recorder(), settings={"seed": 3})
    before = (tmp_path / POINTS).read_bytes()
    again, ticks = Recorder(), []
    summary = _sweep(tmp_path, again, progress=ticks.append, settings={"seed": 3})
    assert again.calls == []
    assert (summary.ran, summary.skipped, len(summary.points)) == (0, 6, 6)
    assert ticks == [6]
    assert (tmp_path / POINTS).read_bytes() == before


@pytest.mark.parametrize("k", [0, 1, 4, 5])
def test_an_interrupted_sweep_resumes_with_the_remaining_points(tmp_path: Path, k: int):
    with pytest.raises(KeyboardInterrupt):
        _sweep(tmp_path, Recorder(stop_at=k + 1))
    assert [r["point"] for r in read_points(tmp_path)] == points(VARIES)[:k]
    rest, ticks = Recorder(), []
    summary = _sweep(tmp_path, rest, progress=ticks.append)
    assert rest.calls == points(VARIES)[k:]  # exactly the remaining points
    assert (summary.ran, summary.skipped) == (6 - k, k)
    assert ticks == ([k] if k else []) + [1] * (6 - k)
    records = _lines(tmp_path)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == 6  # nothing lost, nothing duplicated
    assert sorted(ids) == sorted(point_id(p) for p in points(VARIES))


def test_a_line_torn_by_a_crash_is_dropped_and_its_point_rerun(tmp_path: Path):
    with pytest.raises(KeyboardInterrupt):
        _sweep(tmp_path, Recorder(stop_at=3))
    whole = (tmp_path / POINTS).read_bytes()
    # simulate a crash in the middle of writing the third point's line
    half = b'{"id":"' + point_id(points(VARIES)[2]).encode() + b'","index":2,"lab'
    (tmp_path / POINTS).write_bytes(whole + half)
    assert len(read_points(tmp_path)) == 2
    rest = Recorder()
    summary = _sweep(tmp_path, rest)
    assert rest.calls == points(VARIES)[2:]
    assert summary.ran == 4
    records = _lines(tmp_path)
    assert [r["index"] for r in records] == list(range(6))
    assert (tmp_path / POINTS).read_bytes().startswith(whole)


def test_a_torn_line_ending_in_a_newline_is_dropped_too(tmp_path: Path):
    with pytest.raises(KeyboardInterrupt):
        _sweep(tmp_path, Recorder(stop_at=2))
    with open(tmp_path / POINTS, "ab") as handle:
        handle.write(b'{"id":"abc\x00\x00\n')
    rest = Recorder()
    _sweep(tmp_path, rest)
    assert rest.calls == points(VARIES)[1:]
    assert len(_lines(tmp_path)) == 6


def test_a_damaged_middle_line_is_reported_not_guessed(tmp_path: Path):
    _sweep(tmp_path, Recorder())
    lines = (tmp_path / POINTS).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "garbage\n"
    (tmp_path / POINTS).write_text("".join(lines), encoding="utf-8")
    with pytest.raises(SweepError, match="line 3 is not a point record"):
        _sweep(tmp_path, Recorder())
    fresh = Recorder()
    _sweep(tmp_path, fresh, force=True)
    assert len(fresh.calls) == 6 and len(_lines(tmp_path)) == 6


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"varies": [parse_vary(f"{TAIAN}=1..4")]}, "the --vary levels"),
        ({"settings": {"seed": 4}}, "the run options"),
        ({"base": ["districts.xian.streets.fuguo.windows=4"]}, "the --set overrides"),
        ({"ref": "liaoyuan-before", "varies": []}, "the scenario file's contents"),
    ],
)
def test_other_arguments_into_the_same_folder_are_refused(
    tmp_path: Path, change: dict[str, Any], words: str
):
    _sweep(tmp_path, Recorder(), settings={"seed": 3})
    before = (tmp_path / POINTS).read_bytes()
    args: dict[str, Any] = {
        "ref": "liaoyuan",
        "base": [],
        "varies": VARIES,
        "settings": {"seed": 3},
    }
    args.update(change)
    other = Recorder()
    with pytest.raises(SweepError, match="other arguments") as caught:
        _sweep(tmp_path, other, args["varies"], args["ref"], args["base"], args["settings"])
    assert words in str(caught.value) and "--force" in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path}") and caught.value.kind == "out"
    assert other.calls == []
    assert (tmp_path / POINTS).read_bytes() == before  # untouched
    # with force, the old points are discarded and the new sweep recorded alone
    summary = _sweep(
        tmp_path, other, args["varies"], args["ref"], args["base"], args["settings"], force=True
    )
    assert summary.ran == len(points(args["varies"])) == len(_lines(tmp_path))
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["settings"] == args["settings"]


def test_the_scenario_is_matched_by_contents_not_by_name(tmp_path: Path):
    from jiedao.scenarios.loader import builtin_path

    copy = tmp_path / "copy.toml"
    copy.write_bytes(builtin_path("liaoyuan").read_bytes())
    _sweep(tmp_path / "out", Recorder())
    again = Recorder()
    summary = _sweep(tmp_path / "out", again, ref=str(copy))
    assert again.calls == [] and summary.skipped == 6


def test_bad_levels_fail_before_anything_runs(tmp_path: Path):
    fake = Recorder()
    with pytest.raises(ScenarioError) as caught:
        _sweep(tmp_path, fake, [parse_vary(f"{TAIAN}=2,-1")])
    assert str(caught.value).startswith(f"{TAIAN}=-1") and caught.value.kind == "vary"
    assert fake.calls == []
    with pytest.raises(ScenarioError, match="no street with id 'nowhere'"):
        _sweep(tmp_path, fake, [parse_vary("districts.xian.streets.nowhere.windows=2")])
    with pytest.raises(ScenarioError) as caught:
        _sweep(tmp_path, fake, base=["districts.*.streets.*.windows=-3"])
    assert caught.value.kind == "override"
    assert fake.calls == []
    assert not (tmp_path / POINTS).exists()


def test_a_real_tiny_sweep_with_the_engine(tmp_path: Path):
    def simulate(scenario: Scenario) -> Results:
        return run(scenario, 1, 7, days=3, case_days=5, case_warmup_days=0, streams=("window",))

    summary = _sweep(
        tmp_path,
        Recorder(),
        [parse_vary(f"{TAIAN}=1..3")],
        settings={"replications": 1, "seed": 7, "days": 3, "case_days": 5},
        simulate=simulate,
    )
    records = _lines(tmp_path)
    assert len(records) == summary.ran == 3

    def wait(record: dict[str, Any], site: str) -> float:
        (entry,) = [
            r for r in record["result"]["results"] if r["site"] == site and r["stream"] == "window"
        ]
        return entry["metrics"]["wait_mean_min"]["mean"]

    city = [wait(r, "city") for r in records]
    assert city[0] > city[1] > city[2]
    district = [wait(r, "xian") for r in records]
    assert district[0] > district[1] > district[2]
    # a point's record holds its simulation's city and district figures, as the document has them
    assert (
        simulate_document(simulate(load("liaoyuan", [f"{TAIAN}=2"])))["results"][0]
        == (records[1]["result"]["results"][0])
    )
