"""The resident's whole cost, matters by level and access (``sim.access``, ``sim.costs``).

Against hand-computed timelines (a two-community city with deterministic arrivals and service,
where the after scenario's street centres are 20 minutes closer than the district hall), exact
identities of the accounting (same residents, subsets, one second trip per flagged matter on the
right day), and binomial bounds for the shares the scenario gives.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiedao.planning.compare import compare
from jiedao.scenarios.loader import mean_distance_km, travel_minutes
from jiedao.scenarios.textbook import base_data, build
from jiedao.sim import windows
from jiedao.sim.access import STATION, community_order, routes
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.grids import DAIBAN
from jiedao.sim.model import CALENDAR_SLACK_DAYS, simulate_street
from jiedao.sim.run import run
from jiedao.sim.windows import Matters, draw_centre, second_trip_times, station_jobs

TEN_MIN = {"dist": "deterministic", "value": 10.0}


def hm(day: int, clock: str) -> float:
    h, m = clock.split(":")
    return day * DAY + int(h) * 60 + int(m)


# --- the two-community toy: access against pooling --------------------------------------------


def toy(after: bool) -> dict:
    """Two communities of 1,000 households. Before: one district hall with 2 pooled clerks, 30
    minutes away. After: a street centre each with 1 clerk, 10 minutes away (20 closer). The same
    residents in both (the hall's communities carry the street communities' keys)."""
    data = base_data()
    window = data["demand"]["window"]
    window["rate_per_1000_households_per_day"] = 1.0  # the arrivals are set by the test
    window["categories"]["all"].update(
        service_min=TEN_MIN, taken_at="street" if after else "district"
    )
    data["defaults"]["street"]["windows"] = 1 if after else 2
    data["defaults"]["community"].update(
        station_travel_min=5.0, street_travel_min=10.0, district_travel_min=30.0
    )
    if after:
        streets = {
            "s1": {"communities": {"c1": {"households": 1000}}},
            "s2": {"communities": {"c2": {"households": 1000}}},
        }
    else:
        streets = {
            "hall": {
                "hall": True,
                "communities": {
                    "c1": {"households": 1000, "key": "d/s1/c1"},
                    "c2": {"households": 1000, "key": "d/s2/c2"},
                },
            }
        }
    data["districts"] = {"d": {"streets": streets}}
    return data


# c1's residents at 9:00 and 9:02, c2's at 9:20 and 9:22 on the first day (a Monday), 10 min each
TIMES = {"d/s1/c1": ["09:00", "09:02"], "d/s2/c2": ["09:20", "09:22"]}


def fixed_matters(scenario, community, street, calendar, horizon, seed, replication, segments=None):
    times = np.array([hm(0, t) for key in community.keys for t in TIMES[key]])
    n = len(times)
    return Matters(
        arrivals=times,
        category=np.zeros(n, dtype=np.int64),
        service=np.full(n, 10.0),
        patience=np.full(n, math.inf),
        will_return=np.zeros(n, dtype=bool),
        online=np.zeros(n, dtype=bool),
        second=np.zeros(n, dtype=bool),
    )


def test_closer_street_centres_win_on_whole_cost_though_their_queue_is_longer(monkeypatch):
    monkeypatch.setattr(windows, "draw_matters", fixed_matters)
    before, after = build(toy(False)), build(toy(True))
    runs = [run(s, 2, 1, days=1, case_days=1, streams=("window",)) for s in (before, after)]
    # by hand. Before: two clerks take 9:00 and 9:02 at once, and are free again for 9:20 and
    # 9:22: nobody waits; a trip is 30 minutes each way. After: one clerk a street, so 9:02 and
    # 9:22 wait 8 minutes each (2 of 4 residents: 4 minutes a matter); a trip is 10 minutes.
    expected = {
        "before": {"whole_cost_min": 60 + 0 + 10, "wait_min": 0.0, "travel_min": 60.0},
        "after": {"whole_cost_min": 20 + 4 + 10, "wait_min": 4.0, "travel_min": 20.0},
    }
    for name, r in zip(("before", "after"), runs, strict=True):
        city = r.costs["city"]
        for metric, value in expected[name].items():
            np.testing.assert_allclose(city[metric], value, rtol=0, atol=1e-9)
        np.testing.assert_allclose(city["matters"], 4)
        np.testing.assert_allclose(city["trips_per_matter"], 1)
        np.testing.assert_allclose(city["whole_cost_yuan"], city["whole_cost_min"] / 60 * 18)
    # the queue is longer after the reform ...
    np.testing.assert_allclose(runs[0].values[("city", "window")]["wait_mean_min"], 0.0)
    np.testing.assert_allclose(runs[1].values[("city", "window")]["wait_mean_min"], 4.0)
    # ... and the whole cost lower by the hand-computed 36 minutes a matter
    comparison = compare(runs, ["before", "after"])
    city = next(s for s in comparison.costs if s.site == "city")
    diff = city.metrics["whole_cost_min"].differences["after"]
    assert diff.paired and diff.mean == pytest.approx(-36.0) and diff.ci95 == pytest.approx(0.0)
    be = next(b for b in comparison.break_even if b.site == "city")
    # every after trip could be 18 minutes longer each way (36 / 2 trips' legs), so the street
    # centres win while they are more than 20 - 18 = 2 minutes closer than the hall
    assert be.margin_min == pytest.approx(18.0)
    assert be.travel_saving_min == pytest.approx(20.0)
    assert be.break_even_saving_min == pytest.approx(2.0)
    assert be.verdict == "lower" and be.dominant == "travel"
    assert be.effects == pytest.approx({"travel": -40.0, "wait": 4.0, "service": 0.0})


def test_the_break_even_is_where_the_verdict_flips(monkeypatch):
    """Put the hall only 2 minutes farther than the street centres: the two cost the same."""
    monkeypatch.setattr(windows, "draw_matters", fixed_matters)
    data = toy(False)
    data["defaults"]["community"]["district_travel_min"] = 12.0
    before, after = build(data), build(toy(True))
    runs = [run(s, 2, 1, days=1, case_days=1, streams=("window",)) for s in (before, after)]
    comparison = compare(runs, ["before", "after"])
    city = next(s for s in comparison.costs if s.site == "city")
    assert city.metrics["whole_cost_min"].differences["after"].mean == pytest.approx(0.0)
    be = next(b for b in comparison.break_even if b.site == "city")
    assert be.margin_min == pytest.approx(0.0) and be.break_even_saving_min == pytest.approx(2.0)


# --- matters by level ---------------------------------------------------------------------------


def two_categories(**a: object) -> dict:
    """One street of 2,000 households with two categories, 100 matters per 1,000 a day."""
    data = base_data()
    window = data["demand"]["window"]
    window["rate_per_1000_households_per_day"] = 100.0
    window["categories"] = {
        "a": {"share": 0.5, "service_min": {"dist": "exponential", "mean": 3.0}, **a},
        "b": {"share": 0.5, "service_min": {"dist": "exponential", "mean": 3.0}},
    }
    data["defaults"]["street"]["windows"] = 6
    data["districts"]["d"]["streets"]["s"]["communities"]["c"]["households"] = 2000
    return data


def first_visits(scenario, days: int = 20):
    record = simulate_street(scenario, "d/s", 0, 7, days, 1, streams=("window",))
    w = record.windows[0]
    first = ~w.returning
    return w.arrival[first], w.kind[first], record


def test_a_category_half_online_halves_its_visits():
    base = build(two_categories())
    online = build(two_categories(online_share=0.5))
    a0, k0, _ = first_visits(base)
    a1, k1, record = first_visits(online)
    n = int((k0 == 0).sum())
    kept = int((k1 == 0).sum())
    assert n > 1000
    assert abs(kept - n / 2) < 4 * math.sqrt(n / 4)  # Binomial(n, 1/2)
    # the same residents: those left are a subset of the visits without online, and the other
    # category's visits do not move at all
    assert set(a1[k1 == 0]) <= set(a0[k0 == 0])
    np.testing.assert_array_equal(a1[k1 == 1], a0[k0 == 1])
    r0 = run(base, 1, 7, days=20, case_days=1, streams=("window",))
    r1 = run(online, 1, 7, days=20, case_days=1, streams=("window",))
    assert r1.costs["city"]["matters"][0] == r0.costs["city"]["matters"][0]
    assert r1.costs["city"]["online_share"][0] == pytest.approx(
        (n - kept) / r1.costs["city"]["matters"][0]
    )


def district_with_hall(**a: object) -> dict:
    """District d: street s (community c) and the district hall h (its own community c0)."""
    data = two_categories(**a)
    data["defaults"]["community"].update(street_travel_min=10.0, district_travel_min=25.0)
    data["districts"]["d"]["streets"]["h"] = {
        "hall": True,
        "communities": {"c0": {"households": 500}},
    }
    return data


def test_a_category_not_completable_at_the_street_sends_a_share_up_to_the_hall():
    share = 0.3
    scenario = build(
        district_with_hall(taken_at="street", done_at="district", second_trip_share=share)
    )
    street, hall = list(scenario.streets())
    calendar = WorkCalendar.build(scenario.calendar, 20 + CALENDAR_SLACK_DAYS, 20)
    horizon = 20 * DAY
    at_street = draw_centre(scenario, street, calendar, horizon, 7, 0).visits
    at_hall = draw_centre(scenario, hall, calendar, horizon, 7, 0).visits
    order = community_order(scenario)
    c = order["d/s/c"]
    firsts = at_street.arrivals[(at_street.category == 0) & (at_street.trip == 1)]
    up = (at_hall.community == c) & (at_hall.trip == 2)
    assert not ((at_street.community == c) & (at_street.trip == 2)).any()  # not back to the street
    assert (at_hall.category[up] == 0).all()  # only the category the street cannot complete
    np.testing.assert_allclose(at_hall.travel_min[up], 25.0)  # at the district hall's distance
    # each second trip is one working day after a first trip of the same matter
    when = second_trip_times(calendar, firsts, 1)
    assert set(at_hall.arrivals[up]) <= set(when[when < horizon])
    assert set(at_hall.matter_time[up]) <= set(firsts)
    # at the documented share (binomial bound, second trips past the horizon aside)
    n = int((when < horizon).sum())
    k = int(up.sum())
    assert n > 1000 and abs(k - share * n) < 4 * math.sqrt(n * share * (1 - share))
    # every flagged matter has its second trip: simulated at the hall, or past the horizon; the
    # whole cost counts them all
    matters = windows.draw_matters(scenario, street.communities[0], street, calendar, horizon, 7, 0)
    flagged = matters.second & ~matters.online & (matters.category == 0)
    late = int((second_trip_times(calendar, matters.arrivals[flagged], 1) >= horizon).sum())
    assert k + late == int(flagged.sum())
    r = run(scenario, 1, 7, days=20, case_days=1, streams=("window",))
    cost = r.costs["d/s/c"]
    assert cost["second_trip_share"][0] * cost["matters"][0] == pytest.approx(flagged.sum())
    assert cost["matters"][0] == len(matters.arrivals)


def test_a_missing_document_brings_the_resident_back_to_the_same_centre():
    scenario = build(two_categories(second_trip_share=0.25))
    street = next(scenario.streets())
    calendar = WorkCalendar.build(scenario.calendar, 20 + CALENDAR_SLACK_DAYS, 20)
    visits = draw_centre(scenario, street, calendar, 20 * DAY, 7, 0).visits
    second = visits.trip == 2
    assert second.any() and (visits.category[second] == 0).all()
    firsts = visits.arrivals[(visits.trip == 1) & (visits.category == 0)]
    assert set(visits.arrivals[second]) <= set(second_trip_times(calendar, firsts, 1))


def test_matters_done_at_the_community_station_load_the_station():
    def city(**a: object) -> dict:
        data = two_categories(**a)
        data["demand"]["grid"].update(
            events_per_grid_per_month=200.0, routing={"grid": 0.5, "community": 0.5}
        )
        return data

    plain = build(city())
    daiban = build(city(taken_at="community"))
    assert routes(daiban)["d/s/c"][0].first == STATION
    street = next(daiban.streets())
    community = street.communities[0]
    days = 10
    calendar = WorkCalendar.build(daiban.calendar, days + CALENDAR_SLACK_DAYS, days)
    jobs, services = station_jobs(daiban, community, street, calendar, days * DAY, 7, 0)
    assert len(jobs) > 200
    # the window centre no longer sees category a; the station gets its matters as jobs
    _, kinds, _ = first_visits(daiban, days)
    assert (kinds == 0).sum() == 0
    with_jobs = simulate_street(daiban, "d/s", 0, 7, days, days, streams=("grid",)).grids[0]
    without = simulate_street(plain, "d/s", 0, 7, days, days, streams=("grid",)).grids[0]
    rows = with_jobs.station.kind == DAIBAN
    np.testing.assert_array_equal(with_jobs.station.arrival[rows], jobs)
    np.testing.assert_array_equal(with_jobs.station.service[rows], services)
    assert not (without.station.kind == DAIBAN).any()
    # the events the grids hand down are the same, and not one of them is closed by a job
    np.testing.assert_array_equal(with_jobs.arrival, without.arrival)
    events = ~rows
    assert int(events.sum()) == len(without.station.arrival)
    # more work for the same posts: no event handed down starts earlier than without the jobs
    # (adding residents to a first-come-first-served station never hastens the others)
    w_start = with_jobs.station.start[events]
    w_origin = with_jobs.station.origin[events]
    o_start = np.full(len(without.arrival), np.nan)
    o_start[without.station.origin] = without.station.start
    both = ~np.isnan(w_start) & ~np.isnan(o_start[w_origin])
    assert both.sum() > 20
    assert np.all(w_start[both] >= o_start[w_origin][both] - 1e-9)
    assert np.any(w_start[both] > o_start[w_origin][both])
    # the resident's whole cost: the trip to the station and the hand-over, no queue
    r = run(daiban, 1, 7, days=days, case_days=days, streams=("window",))
    cost = {k: v[0] for k, v in r.costs["d/s/c"].items()}
    _, _, window_record = first_visits(daiban, days)
    visits = len(window_record.windows[0].arrival)  # category b; nobody gives up here
    assert cost["station_share"] * cost["matters"] == pytest.approx(len(jobs))
    assert cost["trips_per_matter"] * cost["matters"] == pytest.approx(len(jobs) + visits)
    travel = 2 * community.station_travel_min * len(jobs) + 2 * community.street_travel_min * visits
    assert cost["travel_min"] * cost["matters"] == pytest.approx(travel)


# --- access -------------------------------------------------------------------------------------


def test_travel_times_given_from_km_or_derived_from_density():
    data = base_data()
    data["access"] = {
        "households_per_km2": 2000.0,
        "detour_factor": 1.5,
        "walk_kmh": 4.0,
        "ride_kmh": 20.0,
        "ride_wait_min": 6.0,
    }
    streets = data["districts"]["d"]["streets"]
    streets["s"]["communities"] = {
        "c": {"households": 8000},  # 4 km2
        "g": {"households": 2000, "street_travel_min": 7.5, "district_km": 3.0},
    }
    streets["t"] = {"communities": {"e": {"households": 10000}}}  # 5 km2
    s = build(data)
    c, g, e = list(s.communities())
    access = s.access

    def derived(area: float) -> float:
        km = 2 / 3 * math.sqrt(area / math.pi) * 1.5
        return min(km / 4.0 * 60, 6.0 + km / 20.0 * 60)

    assert c.station_travel_min == pytest.approx(derived(4.0))
    assert c.street_travel_min == pytest.approx(derived(5.0))  # the street: 4 + 1 km2
    assert c.district_travel_min == pytest.approx(derived(10.0))  # the district: 4 + 1 + 5
    assert e.street_travel_min == pytest.approx(derived(5.0))
    assert g.street_travel_min == 7.5
    assert g.district_travel_min == pytest.approx(min(45.0, 6.0 + 9.0))
    assert travel_minutes(access, 0.5) == pytest.approx(7.5)  # walking is quicker
    assert travel_minutes(access, 3.0) == pytest.approx(15.0)  # riding is quicker
    assert mean_distance_km(access, math.pi) == pytest.approx(1.0)
    assert (c.travel_basis, g.travel_basis) == (
        ("derived", "derived", "derived"),
        ("derived", "given", "km"),
    )
