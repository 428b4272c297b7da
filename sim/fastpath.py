"""A vectorised fast path for screening staffing levels at first-come-first-served stations.

Response curves (how a centre's service level moves with its number of clerks) need many runs.
For a station that is a plain FCFS multi-server queue with given arrival and service times, the
waits follow from the Kiefer-Wolfowitz recursion on the *workload vector* ``F``: the c times at
which the servers can next start a service, kept sorted. Customer n starts at
``t = max(a_n, F[0])`` (pushed past breaks), the earliest-free server is then busy until
``t + s_n``, and that value is inserted back into the sorted vector. Here the recursion runs over
customer index in a Python loop, with every step a handful of NumPy operations over *many
independent rows at once*: replications, staffing levels and, when the station closes every
evening, days.

Semantics (the same as ``tests/support/analytic.py: fcfs_multiserver`` and the SimPy
:class:`sim.station.Station` with ``at_closing = "overtime"``, proven equal to 1e-9 in
``tests/sim/test_fastpath.py``):

* **Breaks** (``closed``, e.g. lunch), half-open ``[start, end)``: nobody starts service inside one;
  a service in progress runs on. A start at exactly ``end`` is allowed, at ``start`` it is not.
* **Closures** (``closures``, e.g. 17:00 to 08:30 next working day), half-open ``[close,
  reopen)``: they hold back only residents who arrive at or after ``close`` (until ``reopen``).
  Residents queued before closing are served in overtime as servers free up.
* **Patience**: a resident whose start would come strictly after ``arrival + patience`` abandons
  at that moment and never takes a server (ties go to service).

Which stations qualify: a street window centre with ``policy.window_mode = "pooled"``,
``demand.window.at_closing = "overtime"`` and ``return_share = 0`` (sending residents home and
return visits are not modelled; ``ignore_returns=True`` screens a centre with returns as if the
abandoners never came back, which understates its load); staffing is a constant number of clerks
during opening hours (``window_shifts`` are not modelled: the levels of :func:`window_curve`
replace them). Enforcement teams qualify too: their case slots are open around the clock and a
case's duration is given in working days, so on the working clock ``W`` (:meth:`WorkCalendar.work`)
they are a plain FCFS queue with given service times: feed ``W(arrival)`` and the durations, and a
case starts at ``W``-time ``t``, i.e. at its arrival if ``t == W(arrival)``, else at
``calendar.unwork(t)`` (tested; their escalated cases come from the grids, so their arrivals are
only known from a SimPy run). Grid teams do not qualify (urgent events are served first).

Why it is fast: the rows are independent, so each NumPy call does the work of hundreds of residents.
When the station closes every evening, each (replication, day) is its own row: a day starts with
every server free unless an overtime backlog outlasted the night. That is checked, not assumed:
a day whose carried-over state could matter (a server still busy at its first resident's earliest
start) is recomputed from the previous day's final workload, so the result is exact either way.
Inside a row the only break that can matter is normally the day's lunch, pushed with three
elementwise operations; a row whose starts run past its next break is recomputed with a general
search over all breaks. The workload vector is stored server-rank-major, shape ``(c + 1, rows)``
with a row of ``+inf`` at the bottom, so that inserting the new free time is two ufunc calls:
``new[j] = max(F[j], min(F[j + 1], v))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jiedao.scenarios.model import Scenario, Street
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.model import CALENDAR_SLACK_DAYS
from jiedao.sim.windows import draw_visits, visit_segments

INF = math.inf
CHUNK = 50_000  # residents per block of replications (see fcfs_waits)
MIN_ROWS = 256  # rows of the recursion per block, at least
Intervals = Sequence[tuple[float, float]] | np.ndarray


# ------------------------------------------------------------------------------------------------
# The recursion
# ------------------------------------------------------------------------------------------------


def _intervals(value: Intervals | None, name: str) -> np.ndarray:
    """``value`` as a float (K, 2) array sorted by start, every interval with start < end."""
    if value is None:
        return np.empty((0, 2))
    out = np.asarray(value, dtype=float).reshape(-1, 2)
    if len(out) == 0:
        return np.empty((0, 2))
    out = out[np.argsort(out[:, 0], kind="stable")]
    if not np.all(out[:, 0] < out[:, 1]):
        raise ValueError(f"{name}: every interval needs start < end")
    return out


def _merge(intervals: np.ndarray) -> np.ndarray:
    """Merge overlapping or touching intervals (sorted by start)."""
    merged: list[list[float]] = []
    for s, e in intervals.tolist():
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return np.array(merged, dtype=float).reshape(-1, 2)


def _push_table(breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(bounds, push)``: ``max(t, push[searchsorted(bounds, t, 'right')])`` moves ``t`` out of
    every break ``[s, e)`` to ``e`` and leaves other times alone."""
    bounds = breaks.ravel()
    push = np.full(len(bounds) + 1, -INF)
    push[1::2] = bounds[1::2]
    return bounds, push


def _kernel(
    aeff: np.ndarray,
    svc: np.ndarray,
    expiry: np.ndarray | None,
    init: np.ndarray,
    lunch: tuple[np.ndarray, np.ndarray] | None,
    table: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the recursion down the rows (columns of the ``(steps, rows)`` inputs).

    ``aeff`` holds each resident's earliest allowed start (arrival pushed out of breaks and of a
    closure it arrived in), ``-inf`` as padding (see :func:`fcfs_waits`); ``init`` the workload
    vectors, shape ``(c + 1, rows)``, sorted down each column, last row ``+inf``. Breaks are
    pushed either per row (``lunch``: one interval per row) or with the global ``table``. Returns
    the would-be start of every resident (abandoners included: they abandon iff start > expiry)
    and the final vectors.
    """
    steps, rows = aeff.shape
    c = init.shape[0] - 1
    x = np.array(init, dtype=float, copy=True)
    y = x.copy()
    starts = np.empty((steps, rows))
    v = np.empty(rows)
    gone = np.empty(rows, dtype=bool)
    cond = np.empty(rows, dtype=bool)
    neg = np.full(rows, -INF)
    # views of both buffers, alternating: (front, below front, target rows, target middle, middle)
    views = [
        (x[0], x[1:], y[:c], y[1:c], x[1:c]),
        (y[0], y[1:], x[:c], x[1:c], y[1:c]),
    ]
    many = c > 1
    maximum, minimum, add = np.maximum, np.minimum, np.add
    for n in range(steps):
        front, below, out, out_mid, mid = views[n & 1]
        t = starts[n]
        maximum(aeff[n], front, out=t)
        if lunch is not None:
            np.greater_equal(t, lunch[0], out=cond)
            maximum(t, np.where(cond, lunch[1], neg), out=t)
        elif table is not None:
            maximum(t, table[1][np.searchsorted(table[0], t, "right")], out=t)
        add(t, svc[n], out=v)
        if expiry is not None:
            np.greater(t, expiry[n], out=gone)
            np.copyto(v, front, where=gone)  # an abandoner leaves the server as it was
        minimum(below, v, out=out)
        if many:
            maximum(out_mid, mid, out=out_mid)
    return starts, (x if steps % 2 == 0 else y)


def _solve(
    aeff: np.ndarray,
    svc: np.ndarray,
    expiry: np.ndarray | None,
    init: np.ndarray,
    breaks: np.ndarray,
    lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_kernel` with the per-row lunch push where it is exact, the general one elsewhere.

    ``lengths``: residents per row (at least one), the rest of a column is padding."""
    if len(breaks) == 0:
        return _kernel(aeff, svc, expiry, init, None, None)
    first = aeff[0] if len(aeff) else np.full(aeff.shape[1], INF)  # rows are never empty
    # the first break ending after the row's first earliest start, and the start of the one after
    k = np.searchsorted(breaks[:, 1], first, "right")
    padded = np.vstack([breaks, [[INF, INF], [INF, INF]]])
    lunch = (padded[k, 0], padded[k, 1])
    following = padded[k + 1, 0]
    starts, final = _kernel(aeff, svc, expiry, init, lunch, None)
    # starts never decrease down a row (FCFS), so the latest is the last resident's
    latest = starts[lengths - 1, np.arange(len(lengths))]
    redo = np.flatnonzero(latest >= following)
    if len(redo):
        table = _push_table(breaks)
        e = None if expiry is None else expiry[:, redo]
        s2, f2 = _kernel(aeff[:, redo], svc[:, redo], e, init[:, redo], None, table)
        starts[:, redo] = s2
        final[:, redo] = f2
    return starts, final


def _chain(
    starts: np.ndarray,
    final: np.ndarray,
    first: np.ndarray,
    new_rep: np.ndarray,
    c_of_row: np.ndarray,
    rerun: Any,
) -> None:
    """Certify the rows of a replication in order, rerunning those whose start from empty servers
    was not exact from the previous row's final state (in place)."""
    rows = len(first)
    if rows < 2:
        return
    index = np.arange(rows)
    pred = np.maximum(index - 1, 0)
    rep_first = np.maximum.accumulate(np.where(new_rep, index, 0))
    recomputed = np.zeros(rows, dtype=bool)
    while True:
        # empty servers were exact if every server of the previous row was free by the first start
        last_busy = final[c_of_row - 1, index]
        good = new_rep | recomputed
        good[1:] |= last_busy[:-1] <= first[1:]
        if good.all():
            return
        bad_so_far = np.cumsum(~good)
        before = np.where(rep_first > 0, bad_so_far[rep_first - 1], 0)
        certified = bad_so_far == before
        todo = np.flatnonzero(~certified & certified[pred] & ~new_rep)
        s2, f2 = rerun(todo, final[:, pred[todo]])
        starts[:, todo] = s2
        final[:, todo] = f2
        recomputed[todo] = True


def fcfs_waits(
    arrivals: np.ndarray,
    services: np.ndarray,
    servers: int | Sequence[int] | np.ndarray,
    closed: Intervals | None = None,
    closures: Intervals | None = None,
    patience: np.ndarray | None = None,
    *,
    split: bool = True,
) -> dict[str, np.ndarray]:
    """FCFS multi-server waits for R replications at once.

    ``arrivals``: (R, N), each row sorted, padded at the end with ``+inf`` (a 1-D array is one
    replication); ``services`` (R, N); ``servers``: c, or one c per row; ``closed``: breaks as
    ``(start, end)`` pairs; ``closures``: ``(close, reopen)`` pairs, not overlapping; ``patience``:
    (R, N) or None (nobody abandons). ``split`` cuts rows at closures (exact either way; see the
    module docstring).

    Returns (R, N) arrays: ``start`` of service (NaN if not served; it ends at ``start +
    services``), ``wait`` (to the start, or the patience of an abandoner), and masks ``served``,
    ``abandoned``, ``valid`` (not padding) and ``overtime`` (started inside a closure that began
    after the resident arrived). Replications are worked in blocks of about ``CHUNK`` residents.
    """
    a = np.atleast_2d(np.asarray(arrivals, dtype=float))
    s = np.atleast_2d(np.asarray(services, dtype=float))
    if s.shape != a.shape:
        raise ValueError("arrivals and services differ in shape")
    p = None if patience is None else np.atleast_2d(np.asarray(patience, dtype=float))
    if p is not None and p.shape != a.shape:
        raise ValueError("patience must have the shape of arrivals")
    r_count = a.shape[0]
    c_rows = np.broadcast_to(np.asarray(servers, dtype=np.int64), (r_count,))
    if (c_rows < 1).any():
        raise ValueError("every station needs at least one server")
    breaks = _merge(_intervals(closed, "closed"))
    shut = _intervals(closures, "closures")
    if len(shut) > 1 and (shut[1:, 0] < shut[:-1, 1]).any():
        raise ValueError("closures must not overlap")

    out = {
        "start": np.full(a.shape, np.nan),
        "wait": np.full(a.shape, np.nan),
        "served": np.zeros(a.shape, dtype=bool),
        "abandoned": np.zeros(a.shape, dtype=bool),
        "valid": np.zeros(a.shape, dtype=bool),
        "overtime": np.zeros(a.shape, dtype=bool),
    }
    # blocks of replications of about CHUNK residents, but of at least MIN_ROWS rows of the
    # recursion: every step still spans hundreds of rows, and the temporaries stay small
    counts = (a < INF).sum(axis=1)
    rows_of = np.minimum(counts, 1)
    if split and len(shut) and a.shape[1]:
        first = np.searchsorted(shut[:, 0], a[:, 0], "right")
        last = np.searchsorted(shut[:, 0], a[np.arange(r_count), np.maximum(counts - 1, 0)],
                               "right")
        rows_of = np.where(counts > 0, last - first + 1, 0)
    bounds = [0]
    residents = rows = 0
    for r, (n, k) in enumerate(zip(counts.tolist(), rows_of.tolist(), strict=True)):
        if r > 0 and residents + n > CHUNK and rows >= MIN_ROWS:
            bounds.append(r)
            residents = rows = 0
        residents += n
        rows += k
    bounds.append(r_count)
    for i0, i1 in zip(bounds[:-1], bounds[1:], strict=True):
        part = slice(i0, i1)
        block = _block(a[part], s[part], None if p is None else p[part], c_rows[part], breaks,
                       shut, split)
        valid = block["valid"]
        out["valid"][part] = valid
        for key in ("start", "wait", "served", "abandoned", "overtime"):
            out[key][part][valid] = block[key]
    return out


def _block(
    a: np.ndarray,
    s: np.ndarray,
    p: np.ndarray | None,
    c_rows: np.ndarray,
    breaks: np.ndarray,
    shut: np.ndarray,
    split: bool,
) -> dict[str, np.ndarray]:
    """:func:`fcfs_waits` for a block of replications; (R, N) ``valid``, the rest flat."""
    r_count, n_count = a.shape
    valid = a < INF
    counts = valid.sum(axis=1)
    if not (valid == (np.arange(n_count) < counts[:, None])).all() or not (a[~valid] == INF).all():
        raise ValueError("arrivals must be numbers, padded at the end of a row with +inf")
    af = a[valid]
    total = af.size
    if total and not af.min() > -INF:
        raise ValueError("arrivals must be finite")
    rep_start = np.concatenate([[0], np.cumsum(counts)])
    if total > 1:
        step_down = np.diff(af) < 0
        step_down[rep_start[1:-1] - 1] = False
        if step_down.any():
            raise ValueError("arrivals must be sorted in every row")
    sf = s[valid]
    if not (sf >= 0).all():
        raise ValueError("service times must be non-negative")
    ef = None if p is None else af + p[valid]

    # segment k of a replication: residents arriving in [close_{k-1}, close_k)
    k_count = len(shut) + 1
    per_segment = np.zeros((r_count, k_count), dtype=np.int64)
    for r in range(r_count):
        row = af[rep_start[r] : rep_start[r + 1]]
        cut = np.searchsorted(row, shut[:, 0], "left")
        per_segment[r] = np.diff(cut, prepend=0, append=len(row))
    seg = np.repeat(np.tile(np.arange(k_count), r_count), per_segment.ravel())
    # held back by a closure it arrived in (breaks are pushed inside the recursion)
    reopen = np.concatenate([[-INF], shut[:, 1]])
    aeff = np.maximum(af, reopen[seg])

    # rows of the recursion: (replication, segment) if split, else replications; non-empty only
    if split:
        lengths = per_segment.ravel()
        row_rep = np.repeat(np.arange(r_count), k_count)
    else:
        lengths = counts
        row_rep = np.arange(r_count)
    keep = lengths > 0
    lengths, row_rep = lengths[keep], row_rep[keep]
    rows = len(lengths)
    steps = int(lengths.max()) if rows else 0
    # (steps, rows): a row's residents down a column; ``order`` lists them as the C-order walk
    # over ``filled`` meets them (step by step, across the rows)
    filled = np.arange(steps)[:, None] < lengths[None, :]
    row_start = np.cumsum(lengths) - lengths
    order = (row_start[None, :] + np.arange(steps)[:, None])[filled]

    def columns(values: np.ndarray, fill: float) -> np.ndarray:
        out = np.full((steps, rows), fill)
        out[filled] = values[order]
        return out

    # padding leaves the servers as they were: it starts at once (-inf) and takes no time, or
    # abandons at once (expiry -inf) when there is patience
    aeff_t = columns(aeff, -INF)
    svc_t = columns(sf, 0.0)
    exp_t = None if ef is None else columns(ef, -INF)
    c_max = int(c_rows.max()) if r_count else 1
    c_of_row = c_rows[row_rep]
    empty = np.where(np.arange(c_max + 1)[:, None] < c_of_row[None, :], -INF, INF)
    starts, final = _solve(aeff_t, svc_t, exp_t, empty, breaks, lengths)

    def rerun(todo: np.ndarray, init: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = None if exp_t is None else exp_t[:, todo]
        return _solve(aeff_t[:, todo], svc_t[:, todo], e, init, breaks, lengths[todo])

    if rows:
        new_rep = np.concatenate([[True], row_rep[1:] != row_rep[:-1]])
        _chain(starts, final, aeff_t[0], new_rep, c_of_row, rerun)

    # back to residents
    t = np.empty(total)
    t[order] = starts[filled]
    served = t <= ef if ef is not None else np.ones(total, dtype=bool)
    wait = t - af
    if ef is not None:
        wait = np.where(served, wait, ef - af)
    overtime = np.zeros(total, dtype=bool)
    if len(shut):
        # the first closure after arrival is closure ``seg``; a start past its reopening may
        # fall in a later one
        close_next = np.append(shut[:, 0], INF)[seg]
        reopen_next = np.append(shut[:, 1], INF)[seg]
        overtime = served & (t >= close_next) & (t < reopen_next)
        later = np.flatnonzero(served & (t >= reopen_next))
        if len(later):
            k = np.searchsorted(shut[:, 0], t[later], "right") - 1
            overtime[later] = (k >= 0) & (t[later] < shut[np.maximum(k, 0), 1])

    start = np.where(served, t, np.nan)
    return {
        "valid": valid,
        "start": start,
        "wait": wait,
        "served": served,
        "abandoned": ~served,
        "overtime": overtime,
    }


# ------------------------------------------------------------------------------------------------
# Window centres
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationInputs:
    """What the SimPy :class:`sim.windows.WindowCentre` would see, for R replications.

    ``arrivals``/``services``/``patience``: (R, N), padded with ``+inf``/0/``+inf``;
    ``patience`` is None when the scenario has none. ``closed`` are the lunch breaks and
    ``closures`` the nights, weekends and holidays, as ``(start, end)`` minute pairs.
    """

    arrivals: np.ndarray
    services: np.ndarray
    patience: np.ndarray | None
    counts: np.ndarray
    closed: np.ndarray
    closures: np.ndarray
    servers: int
    horizon: float
    replications: tuple[int, ...]


def calendar_intervals(calendar: WorkCalendar) -> tuple[np.ndarray, np.ndarray]:
    """``(breaks, closures)`` of a window centre: lunch on every working day, and from each
    working day's closing to the next working day's opening (none when they touch)."""
    days = calendar.working_day_indices()
    base = days * DAY
    if calendar.lunch is not None and calendar.lunch[0] < calendar.lunch[1]:
        breaks = np.column_stack([base + calendar.lunch[0], base + calendar.lunch[1]])
    else:
        breaks = np.empty((0, 2))
    closures = np.column_stack([base[:-1] + calendar.close_min, base[1:] + calendar.open_min])
    closures = closures[closures[:, 0] < closures[:, 1]]
    return breaks, closures


def _street(scenario: Scenario, street: Street | str) -> Street:
    if isinstance(street, Street):
        return street
    for candidate in scenario.streets():
        if candidate.id == street:
            return candidate
    raise KeyError(f"no street {street!r} in scenario {scenario.name!r}")


def unqualified(
    scenario: Scenario, street: Street | str, ignore_returns: bool = False
) -> list[str]:
    """Why a street's window centre does not qualify for the fast path (empty if it does)."""
    st = _street(scenario, street)
    demand = scenario.demand.window
    reasons = []
    if scenario.policy.window_mode != "pooled":
        reasons.append("windows are specialised per category (policy.window_mode), not pooled")
    if demand.at_closing != "overtime":
        reasons.append(f"at_closing = {demand.at_closing!r}: only 'overtime' is modelled")
    if demand.return_share > 0 and not ignore_returns:
        reasons.append(f"return_share = {demand.return_share}: return visits are not modelled")
    if st.window_shifts:
        reasons.append("the street has window_shifts: only constant staffing is modelled")
    return reasons


def window_station_inputs(
    scenario: Scenario,
    street: Street | str,
    replications: int | Sequence[int],
    seed: int,
    days: int | None = None,
) -> StationInputs:
    """The residents of a street's window centre, drawn exactly as the SimPy engine draws them
    (:func:`sim.windows.draw_visits`, same named streams), for replications ``0..R-1`` (or the
    given numbers), with the centre's breaks and closures over the same calendar."""
    st = _street(scenario, street)
    days = days if days is not None else scenario.simulation.days
    reps = tuple(range(replications)) if isinstance(replications, int) else tuple(replications)
    horizon = days * DAY
    calendar = WorkCalendar.build(scenario.calendar, days + CALENDAR_SLACK_DAYS)
    segments = visit_segments(scenario, st, calendar)
    visits = [draw_visits(scenario, st, calendar, horizon, seed, r, segments) for r in reps]
    counts = np.array([len(v.arrivals) for v in visits], dtype=np.int64)
    width = int(counts.max()) if len(counts) else 0
    arrivals = np.full((len(reps), width), INF)
    services = np.zeros((len(reps), width))
    has_patience = scenario.demand.window.patience_min is not None
    patience = np.full((len(reps), width), INF) if has_patience else None
    for i, v in enumerate(visits):
        n = len(v.arrivals)
        arrivals[i, :n] = v.arrivals
        services[i, :n] = v.service
        if patience is not None:
            patience[i, :n] = v.patience
    breaks, closures = calendar_intervals(calendar)
    return StationInputs(
        arrivals=arrivals,
        services=services,
        patience=patience,
        counts=counts,
        closed=breaks,
        closures=closures,
        servers=st.windows,
        horizon=horizon,
        replications=reps,
    )


def window_curve(
    scenario: Scenario,
    street: Street | str,
    staff_levels: Sequence[int],
    replications: int | Sequence[int],
    seed: int,
    days: int | None = None,
    target_wait_min: float | None = None,
    *,
    warmup_days: int = 0,
    ignore_returns: bool = False,
    inputs: StationInputs | None = None,
) -> dict[str, Any]:
    """A street centre's service level at each staffing level, per replication.

    Every level sees the same residents (common random numbers). The figures are those of
    :func:`sim.monitor.window_metrics` for the same residents: the cohort arrives in
    ``[warm-up, horizon)``; ``share`` is met / (met + missed), where a resident served within
    ``target_wait_min`` (default: the scenario's ``targets.window.max_wait_min``) meets the target
    and one served later, one who abandoned, or one still waiting at the horizon past the target
    misses it; ``mean_wait`` is over residents whose service started before the horizon.

    Returns ``levels`` (L,) and (L, R) arrays ``share``, ``mean_wait``, ``arrivals``,
    ``completed`` (service started), ``abandoned``; ``residents`` is the number simulated.
    """
    reasons = unqualified(scenario, street, ignore_returns)
    reasons = [r for r in reasons if "window_shifts" not in r]  # the levels replace the shifts
    if reasons:
        raise ValueError("the fast path does not model this centre: " + "; ".join(reasons))
    if inputs is None:
        inputs = window_station_inputs(scenario, street, replications, seed, days)
    levels = np.asarray(staff_levels, dtype=np.int64)
    target = target_wait_min if target_wait_min is not None else (
        scenario.targets.window.max_wait_min
    )
    n_levels, n_reps = len(levels), len(inputs.replications)
    arrivals = np.tile(inputs.arrivals, (n_levels, 1))
    out = fcfs_waits(
        arrivals,
        np.tile(inputs.services, (n_levels, 1)),
        np.repeat(levels, n_reps),
        inputs.closed,
        inputs.closures,
        None if inputs.patience is None else np.tile(inputs.patience, (n_levels, 1)),
    )
    horizon = inputs.horizon
    warm = warmup_days * DAY
    cohort = out["valid"] & (arrivals >= warm) & (arrivals < horizon)
    started = cohort & out["served"] & (out["start"] < horizon)
    gave_up = cohort & out["abandoned"]
    if inputs.patience is not None:
        expiry = arrivals + np.tile(inputs.patience, (n_levels, 1))
        gave_up &= expiry < horizon
    waiting = cohort & ~started & ~gave_up
    wait = np.where(started, out["wait"], 0.0)
    n_started = started.sum(axis=1)
    met = (started & (wait <= target)).sum(axis=1)
    missed = (started & (wait > target)).sum(axis=1) + gave_up.sum(axis=1)
    missed += (waiting & (horizon - arrivals > target)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(met + missed > 0, met / (met + missed), np.nan)
        mean_wait = np.where(n_started > 0, wait.sum(axis=1) / n_started, np.nan)

    def grid(values: np.ndarray) -> np.ndarray:
        return values.reshape(n_levels, n_reps)

    return {
        "levels": levels,
        "share": grid(share),
        "mean_wait": grid(mean_wait),
        "arrivals": grid(cohort.sum(axis=1)),
        "completed": grid(n_started),
        "abandoned": grid(gave_up.sum(axis=1)),
        "residents": int(out["valid"].sum()),
    }
