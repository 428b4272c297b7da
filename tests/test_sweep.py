"""Sweeps (``sim.sweep``): the --vary grammar, the factorial, and a recorder that resumes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jiedao.scenarios import ScenarioError
from jiedao.scenarios.model import Scenario
from jiedao.sim.run import run
from jiedao.sim.sweep import (
    MANIFEST,
    POINTS,
    SweepError,
    parse_vary,
    point_id,
    point_label,
    point_overrides,
    points,
    read_points,
    run_sweep,
)

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
    assert parse_vary(text) == (path, values)


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
    assert str(err).startswith(f"--vary {text}")  # names the flag
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
    assert point_overrides(one) == ["a.x=2", 'b.y="p"']


# --- the recorder ---------------------------------------------------------------------------------

VARIES = [parse_vary(f"{TAIAN}=1..3"), parse_vary("districts.xian.streets.anjia.windows=2,4")]


class Recorder:
    """A fake simulation: records its calls; raises KeyboardInterrupt on call ``stop_at``."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.stop_at = stop_at

    def __call__(self, scenario: Scenario, point: dict[str, Any]) -> dict[str, Any]:
        if self.stop_at is not None and len(self.calls) + 1 == self.stop_at:
            raise KeyboardInterrupt
        self.calls.append(dict(point))
        windows = {s.id: s.windows for s in scenario.streets()}
        return {
            "taian": windows.get("xian/taian"),
            "anjia": windows.get("xian/anjia"),
            "nan": float("nan"),
        }


def _sweep(out: Path, fake: Recorder, varies=VARIES, **kw: Any) -> dict[str, Any]:
    return run_sweep("liaoyuan", [], varies, out, fake, **kw)


def _lines(out: Path) -> list[dict[str, Any]]:
    text = (out / POINTS).read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_a_sweep_records_every_point_once(tmp_path: Path):
    fake, ticks = Recorder(), []
    summary = _sweep(tmp_path / "s", fake, progress=ticks.append, settings={"seed": 3})
    assert summary["schema"] == "jiedao.sweep/1"
    assert (summary["total"], summary["ran"], summary["skipped"]) == (6, 6, 0)
    assert fake.calls == points(VARIES)
    assert ticks == [1] * 6
    records = _lines(tmp_path / "s")
    assert [r["point"] for r in records] == points(VARIES)
    assert [r["index"] for r in records] == list(range(6))
    assert [r["id"] for r in records] == [point_id(p) for p in points(VARIES)]
    # the scenario run_point gets has the point's overrides applied
    assert [(r["result"]["taian"], r["result"]["anjia"]) for r in records] == [
        (1, 2),
        (1, 4),
        (2, 2),
        (2, 4),
        (3, 2),
        (3, 4),
    ]
    assert records[0]["result"]["nan"] is None  # JSON has no NaN
    assert records[0]["label"] == f"{TAIAN}=1, districts.xian.streets.anjia.windows=2"
    assert summary["points"] == records == read_points(tmp_path / "s")
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
    assert (summary["ran"], summary["skipped"], len(summary["points"])) == (0, 6, 6)
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
    assert (summary["ran"], summary["skipped"]) == (6 - k, k)
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
    assert summary["ran"] == 4
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
        run_sweep(
            args["ref"], args["base"], args["varies"], tmp_path, other, settings=args["settings"]
        )
    assert words in str(caught.value) and "--force" in str(caught.value)
    assert str(caught.value).startswith(f"--out {tmp_path}")
    assert other.calls == []
    assert (tmp_path / POINTS).read_bytes() == before  # untouched
    # with force, the old points are discarded and the new sweep recorded alone
    summary = run_sweep(
        args["ref"],
        args["base"],
        args["varies"],
        tmp_path,
        other,
        settings=args["settings"],
        force=True,
    )
    assert summary["ran"] == len(points(args["varies"])) == len(_lines(tmp_path))
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["settings"] == args["settings"]


def test_the_scenario_is_matched_by_contents_not_by_name(tmp_path: Path):
    from jiedao.scenarios.loader import builtin_path

    copy = tmp_path / "copy.toml"
    copy.write_bytes(builtin_path("liaoyuan").read_bytes())
    _sweep(tmp_path / "out", Recorder())
    again = Recorder()
    summary = run_sweep(str(copy), [], VARIES, tmp_path / "out", again)
    assert again.calls == [] and summary["skipped"] == 6


def test_bad_levels_fail_before_anything_runs(tmp_path: Path):
    fake = Recorder()
    with pytest.raises(ScenarioError) as caught:
        run_sweep("liaoyuan", [], [parse_vary(f"{TAIAN}=2,-1")], tmp_path, fake)
    assert str(caught.value).startswith(f"--vary {TAIAN}=-1")
    assert fake.calls == []
    with pytest.raises(ScenarioError, match="no street with id 'nowhere'"):
        run_sweep(
            "liaoyuan", [], [parse_vary("districts.xian.streets.nowhere.windows=2")], tmp_path, fake
        )
    with pytest.raises(ScenarioError, match="--set"):
        run_sweep("liaoyuan", ["districts.*.streets.*.windows=-3"], VARIES, tmp_path, fake)
    assert fake.calls == []
    assert not (tmp_path / POINTS).exists()


def test_a_real_tiny_sweep_with_the_engine(tmp_path: Path):
    def run_point(scenario: Scenario, point: dict[str, Any]) -> dict[str, Any]:
        results = run(scenario, 1, 7, days=3, case_days=5, case_warmup_days=0, streams=("window",))
        document = results.to_json()
        return {
            r["site"]: r["metrics"]
            for r in document["results"]
            if r["site"] in ("city", "xian/taian") and r["stream"] == "window"
        }

    summary = run_sweep(
        "liaoyuan",
        [],
        [parse_vary(f"{TAIAN}=1..3")],
        tmp_path,
        run_point,
        settings={"replications": 1, "seed": 7, "days": 3, "case_days": 5},
    )
    records = _lines(tmp_path)
    assert len(records) == summary["ran"] == 3
    waits = [r["result"]["xian/taian"]["wait_mean_min"]["mean"] for r in records]
    assert waits[0] > waits[1] > waits[2]
    city = [r["result"]["city"]["wait_mean_min"]["mean"] for r in records]
    assert city[0] > city[1] > city[2]
