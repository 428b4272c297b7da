"""The event loop of one community's grid team, on-call worker and station, without SimPy.

A line-by-line port of :class:`sim.station.Station` (``at_break = "pause"`` for the team and the
station, the plain always-on station for the on-call worker) and of the hooks of
:class:`sim.grids.CommunityGrids` (merged grids: one team), on plain arrays so that numba can
compile it. Events are kept in a binary heap ordered by (time, sequence number), the sequence
numbers given in the order the engine creates its timeouts, and every time is computed with the
engine's arithmetic (``now + (t - now)`` for a process waiting until ``t``), so the same events in
give the same times out, ties included. :mod:`sim.gridpath` drives it and proves it equal to the
engine (tests/sim/test_gridpath.py).

State lives in a few arrays: ``st`` (3, NF) per station (team, on-call, station); rows ``rf``
(cap, NR) floats and ``ri`` (cap, NI) ints; queues ``q`` (3, 2, cap) with heads ``qh`` and tails
``qt``; paused jobs ``pr``/``pi_``/``pm`` (row, pause index, remaining) with counts ``pn``; jobs in
hand ``rr``/``rt``/``rs``/``rm`` (row, token, since, remaining) with counts ``rn``; pause records
``zr``/``zf``/``zt``; time beyond the schedule ``ex`` (3, cape, 4) with counts ``exn``; the heap
``hf`` (times) and ``hi`` (sequence, type x 4 + station, a, b). ``cnt[C_ERR]`` is set when a
preallocated array would overflow: the caller retries with larger ones, then runs the engine.
"""

from __future__ import annotations

import importlib.util
import math
from types import ModuleType

import numpy as np

try:  # numba is an optional extra (``pip install jiedao[fast]``): without it the engine runs
    if globals().get("_INTERPRETED"):  # the copy :func:`interpreted` makes
        raise ImportError
    import numba

    def _jit(f):
        return numba.njit(cache=True, nogil=True)(f)

    COMPILED = True
except ImportError:

    def _jit(f):
        return f

    COMPILED = False

_COPY: list[ModuleType] = []


def interpreted() -> ModuleType:
    """This module's loop not compiled (the same source run by Python): for small cases and the
    default tests, which should not wait for numba to compile it (once per install, cached)."""
    if not _COPY:
        spec = importlib.util.spec_from_file_location("jiedao.sim._gridkernel_py", __file__)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        module.__dict__["_INTERPRETED"] = True
        spec.loader.exec_module(module)
        _COPY.append(module)
    return _COPY[0]

DAY = 1440.0
EPS = 1e-9
NAN = math.nan
INF = math.inf
TEAM, ONCALL, STATION = 0, 1, 2
URGENT, ORDINARY = 0, 1
COMPLETED, HANDED = 1, 4
COMMUNITY = 1  # the route of an event handed down to the station (sim.grids.ROUTES)
FROM_GRID, DAIBAN = 0, 1
# event types
E_ARRIVE, E_DAIBAN, E_CHANGE, E_FINISH, E_ALLOWANCE = 0, 1, 2, 3, 4
# station state fields (st[s, F])
F_BUSY, F_TARGET, F_CLOSED, F_CLOSURES, F_SINCE, F_EXCESS, F_AFTER, F_OVERTIME, F_TOKEN = range(9)
NF = 9
# row fields: floats (rf[row, R]) and ints (ri[row, I])
R_ARR, R_START, R_END, R_SVC, R_MARK, R_MARKED, R_LEFT = range(7)
NR = 7
I_ST, I_PRI, I_OUT, I_ORIG, I_KIND = range(5)
NI = 5
# counters (cnt[C])
C_ROWS, C_EID, C_HEAP, C_PAUSES, C_ERR = range(5)


@_jit
def _max0(x):
    """Python's ``max(0.0, x)`` (0.0 for nan, as the engine's builtin gives)."""
    return x if x > 0.0 else 0.0


@_jit
def _less(hf, hi, i, j):
    return hf[i] < hf[j] or (hf[i] == hf[j] and hi[i, 0] < hi[j, 0])


@_jit
def _swap(hf, hi, i, j):
    t = hf[i]
    hf[i] = hf[j]
    hf[j] = t
    for f in range(4):
        v = hi[i, f]
        hi[i, f] = hi[j, f]
        hi[j, f] = v


@_jit
def _push(hf, hi, cnt, time, typ, s, a, b):
    n = cnt[C_HEAP]
    if n >= len(hf):
        cnt[C_ERR] = 1
        return
    hf[n] = time
    hi[n, 0] = cnt[C_EID]
    cnt[C_EID] += 1
    hi[n, 1] = typ * 4 + s
    hi[n, 2] = a
    hi[n, 3] = b
    cnt[C_HEAP] = n + 1
    while n > 0:
        parent = (n - 1) // 2
        if _less(hf, hi, n, parent):
            _swap(hf, hi, n, parent)
            n = parent
        else:
            break


@_jit
def _pop(hf, hi, cnt):
    n = cnt[C_HEAP] - 1
    cnt[C_HEAP] = n
    _swap(hf, hi, 0, n)
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        small = left
        if left + 1 < n and _less(hf, hi, left + 1, left):
            small = left + 1
        if _less(hf, hi, small, i):
            _swap(hf, hi, small, i)
            i = small
        else:
            break
    return n  # the popped entry now sits at index n


@_jit
def _add(rf, ri, cnt, s, arrival, service, priority, origin, kind, mark):
    row = cnt[C_ROWS]
    if row >= len(rf):
        cnt[C_ERR] = 1
        return len(rf) - 1
    cnt[C_ROWS] = row + 1
    rf[row, R_ARR] = arrival
    rf[row, R_START] = NAN
    rf[row, R_END] = NAN
    rf[row, R_SVC] = service
    rf[row, R_MARK] = mark
    rf[row, R_MARKED] = NAN
    rf[row, R_LEFT] = NAN
    ri[row, I_ST] = s
    ri[row, I_PRI] = priority
    ri[row, I_OUT] = 0
    ri[row, I_ORIG] = origin
    ri[row, I_KIND] = kind
    return row


@_jit
def _tick(st, ex, exn, s, now):
    excess = st[s, F_EXCESS]
    since = st[s, F_SINCE]
    if excess > 0 and now > since:
        after = st[s, F_AFTER]
        if after > 0:
            st[s, F_OVERTIME] += (now - since) * excess
        n = exn[s]
        if n > 0 and ex[s, n - 1, 1] == since and ex[s, n - 1, 2] == excess and ex[
            s, n - 1, 3
        ] == after:
            ex[s, n - 1, 1] = now
        elif n < ex.shape[1]:
            ex[s, n, 0] = since
            ex[s, n, 1] = now
            ex[s, n, 2] = excess
            ex[s, n, 3] = after
            exn[s] = n + 1
        else:
            exn[s] = -(1 << 40)  # overflow: flagged by the caller
    st[s, F_SINCE] = now


@_jit
def _retally(st, s):
    busy, target = st[s, F_BUSY], st[s, F_TARGET]
    st[s, F_EXCESS] = busy - target if busy > target else 0.0
    closed = st[s, F_CLOSED]
    st[s, F_AFTER] = 1.0 if closed == closed else 0.0


@_jit
def _begin(st, rf, rr, rt, rs, rm, rn, hf, hi, cnt, s, row, remaining, now):
    st[s, F_BUSY] += 1
    mark = rf[row, R_MARK]
    marked = rf[row, R_MARKED]
    if mark == mark and marked != marked:
        done = rf[row, R_SVC] - remaining
        rf[row, R_MARKED] = now + _max0(mark - done)
    if s != ONCALL:
        st[s, F_TOKEN] += 1
        token = int(st[s, F_TOKEN])
        n = rn[s]
        if n >= rr.shape[1]:
            cnt[C_ERR] = 1
            return
        rr[s, n] = row
        rt[s, n] = token
        rs[s, n] = now
        rm[s, n] = remaining
        rn[s] = n + 1
        _push(hf, hi, cnt, now + remaining, E_FINISH, s, row, token)
    else:
        _push(hf, hi, cnt, now + remaining, E_FINISH, s, row, 0)


@_jit
def _start_next(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, hf, hi, cnt, s, now):  # noqa: E501
    if pn[s] > 0:
        row, remaining, index = pr[s, 0], pm[s, 0], pi_[s, 0]
        for j in range(1, pn[s]):
            pr[s, j - 1] = pr[s, j]
            pm[s, j - 1] = pm[s, j]
            pi_[s, j - 1] = pi_[s, j]
        pn[s] -= 1
        zt[index] = now
        _begin(st, rf, rr, rt, rs, rm, rn, hf, hi, cnt, s, row, remaining, now)
        return True
    for p in range(2):
        if qh[s, p] < qt[s, p]:
            row = q[s, p, qh[s, p]]
            qh[s, p] += 1
            rf[row, R_START] = now
            _begin(st, rf, rr, rt, rs, rm, rn, hf, hi, cnt, s, row, rf[row, R_SVC], now)
            return True
    return False


@_jit
def _arrive(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi, cnt, s, row, now):  # noqa: E501
    p = ri[row, I_PRI]
    if qt[s, p] >= q.shape[2]:
        cnt[C_ERR] = 1
        return
    q[s, p, qt[s, p]] = row
    qt[s, p] += 1
    if st[s, F_BUSY] < st[s, F_TARGET]:
        _tick(st, ex, exn, s, now)
        _start_next(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, hf, hi, cnt, s, now)  # noqa: E501
        _retally(st, s)


@_jit
def _pause_all(st, rf, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, cnt, s, now):  # noqa: E501
    n = rn[s]
    # the jobs in hand in order of their last (re)start, ties in the order they were taken
    order = np.empty(n, dtype=np.int64)
    for j in range(n):
        k = j
        while k > 0 and rs[s, order[k - 1]] > rs[s, j]:
            order[k] = order[k - 1]
            k -= 1
        order[k] = j
    keep = np.ones(n, dtype=np.bool_)
    for k in range(n):
        j = order[k]
        row = rr[s, j]
        left = rm[s, j] - (now - rs[s, j])
        if left <= EPS:
            continue  # it ends now: its completion is already on its way
        keep[j] = False
        st[s, F_BUSY] -= 1
        if rf[row, R_MARKED] > now + EPS:
            rf[row, R_MARKED] = NAN  # not on site yet
        z = cnt[C_PAUSES]
        if z >= len(zr) or pn[s] >= pr.shape[1]:
            cnt[C_ERR] = 1
            return
        zr[z] = row
        zf[z] = now
        zt[z] = NAN
        cnt[C_PAUSES] = z + 1
        pr[s, pn[s]] = row
        pm[s, pn[s]] = left
        pi_[s, pn[s]] = z
        pn[s] += 1
    m = 0
    for j in range(n):
        if keep[j]:
            rr[s, m] = rr[s, j]
            rt[s, m] = rt[s, j]
            rs[s, m] = rs[s, j]
            rm[s, m] = rm[s, j]
            m += 1
    rn[s] = m


@_jit
def _is_open(t, working, open_min, close_min, lunch0, lunch1, has_lunch):  # noqa: E501
    day = int(t // DAY)
    if day < 0 or day >= len(working) or not working[day]:
        return False
    base = day * DAY
    if has_lunch:
        return (base + open_min <= t < base + lunch0) or (base + lunch1 <= t < base + close_min)
    return base + open_min <= t < base + close_min


@_jit
def run_community(
    arrival, urgent, work, travel, route, station_service,
    d_arrival, d_service,
    ch_time, ch_target, ch_closing, ch_first, ch_end,
    allowance, has_oncall, horizon,
    working, open_min, close_min, lunch0, lunch1, has_lunch,
    rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, ex, exn, hf, hi, st,
    close, cnt,
):  # fmt: skip
    """Run one community to ``horizon``; results are left in the arrays (see module doc)."""
    n = len(arrival)
    m = len(d_arrival)
    for s in range(3):
        st[s, F_CLOSED] = NAN
    # the processes start in the engine's order: schedules (team, on-call, station), events, 代办
    nxt = np.zeros(3, dtype=np.int64)
    now = 0.0
    for phase in range(5):
        if phase < 3:
            s = phase
            if s == ONCALL and not has_oncall:
                continue
            k = ch_first[s]
            nxt[s] = k
            e_type = E_CHANGE
        elif phase == 3:
            e_type = E_ARRIVE
            s = 0
        else:
            if m == 0:
                continue
            e_type = E_DAIBAN
            s = STATION
        # run the process until its first wait (as its Initialize event would)
        _process(
            e_type, s, now, -1, arrival, urgent, work, travel, route, station_service,
            d_arrival, d_service, ch_time, ch_target, ch_closing, ch_end, nxt,
            allowance, has_oncall, working, open_min, close_min, lunch0, lunch1, has_lunch,
            rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, ex, exn, hf, hi,
            st, close, cnt, n, m,
        )  # fmt: skip
    while cnt[C_HEAP] > 0 and cnt[C_ERR] == 0:
        if hf[0] >= horizon:
            break
        top = _pop(hf, hi, cnt)
        now = hf[top]
        code = hi[top, 1]
        e_type, s = code // 4, code % 4
        a, b = hi[top, 2], hi[top, 3]
        if e_type == E_FINISH:
            _finish(
                s, a, b, now, route, station_service, allowance, rf, ri, q, qh, qt, pr, pi_,
                pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi, st, close, cnt,
            )  # fmt: skip
        elif e_type == E_ALLOWANCE:
            if a != int(st[s, F_CLOSURES]) or st[s, F_CLOSED] != st[s, F_CLOSED]:
                continue  # opened again since
            _tick(st, ex, exn, s, now)
            _pause_all(st, rf, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, cnt, s, now)
            _retally(st, s)
            if s == TEAM and has_oncall and not _is_open(
                now, working, open_min, close_min, lunch0, lunch1, has_lunch
            ):
                _hand_over(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex,
                           exn, hf, hi, cnt, now)  # fmt: skip
        else:
            _process(
                e_type, s, now, a, arrival, urgent, work, travel, route, station_service,
                d_arrival, d_service, ch_time, ch_target, ch_closing, ch_end, nxt,
                allowance, has_oncall, working, open_min, close_min, lunch0, lunch1, has_lunch,
                rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, ex, exn, hf,
                hi, st, close, cnt, n, m,
            )  # fmt: skip
    for s in range(3):
        _tick(st, ex, exn, s, horizon)
    if exn.min() < 0:
        cnt[C_ERR] = 1


@_jit
def _process(
    e_type, s, now, fired, arrival, urgent, work, travel, route, station_service,
    d_arrival, d_service, ch_time, ch_target, ch_closing, ch_end, nxt,
    allowance, has_oncall, working, open_min, close_min, lunch0, lunch1, has_lunch,
    rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, ex, exn, hf, hi,
    st, close, cnt, n, m,
):  # fmt: skip
    """A process resumes (``fired``: the index its timeout was for; -1 at its start) and runs on
    to its next wait."""
    if e_type == E_CHANGE:
        k = nxt[s] if fired < 0 else fired
        if fired >= 0:
            _set_target(s, k, now, ch_target, ch_closing, allowance, has_oncall, working,
                        open_min, close_min, lunch0, lunch1, has_lunch, rf, ri, q, qh, qt, pr,
                        pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, ex, exn, hf, hi, st,
                        cnt)  # fmt: skip
            k += 1
        while k < ch_end[s]:
            t = ch_time[k]
            if t > now:
                _push(hf, hi, cnt, now + (t - now), E_CHANGE, s, k, 0)
                return
            _set_target(s, k, now, ch_target, ch_closing, allowance, has_oncall, working,
                        open_min, close_min, lunch0, lunch1, has_lunch, rf, ri, q, qh, qt, pr,
                        pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, ex, exn, hf, hi, st,
                        cnt)  # fmt: skip
            k += 1
        return
    if e_type == E_ARRIVE:
        i = 0 if fired < 0 else fired
        if fired >= 0:
            _event_in(i, now, arrival, urgent, work, travel, route, has_oncall, working,
                      open_min, close_min, lunch0, lunch1, has_lunch, rf, ri, q, qh, qt, pr,
                      pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi, st, cnt)  # fmt: skip
            i += 1
        while i < n:
            t = arrival[i]
            if t > now:
                _push(hf, hi, cnt, now + (t - now), E_ARRIVE, 0, i, 0)
                return
            _event_in(i, now, arrival, urgent, work, travel, route, has_oncall, working,
                      open_min, close_min, lunch0, lunch1, has_lunch, rf, ri, q, qh, qt, pr,
                      pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi, st, cnt)  # fmt: skip
            i += 1
        return
    # 代办 matters for the station
    j = 0 if fired < 0 else fired
    if fired >= 0:
        row = _add(rf, ri, cnt, STATION, now, d_service[j], 0, j, DAIBAN, NAN)
        _arrive(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi,
                cnt, STATION, row, now)  # fmt: skip
        j += 1
    while j < m:
        t = d_arrival[j]
        if t > now:
            _push(hf, hi, cnt, now + (t - now), E_DAIBAN, STATION, j, 0)
            return
        row = _add(rf, ri, cnt, STATION, now, d_service[j], 0, j, DAIBAN, NAN)
        _arrive(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi,
                cnt, STATION, row, now)  # fmt: skip
        j += 1


@_jit
def _event_in(
    i, now, arrival, urgent, work, travel, route, has_oncall, working, open_min, close_min,
    lunch0, lunch1, has_lunch, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex,
    exn, hf, hi, st, cnt,
):  # fmt: skip
    t = arrival[i]
    if has_oncall and urgent[i] and not _is_open(
        t, working, open_min, close_min, lunch0, lunch1, has_lunch
    ):
        row = _add(rf, ri, cnt, ONCALL, t, work[i], URGENT, i, route[i], travel[i])
        _arrive(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi,
                cnt, ONCALL, row, now)  # fmt: skip
        return
    priority = URGENT if urgent[i] else ORDINARY
    row = _add(rf, ri, cnt, TEAM, t, work[i], priority, i, route[i], travel[i])
    _arrive(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi, cnt,
            TEAM, row, now)  # fmt: skip


@_jit
def _set_target(
    s, k, now, ch_target, ch_closing, allowance, has_oncall, working, open_min, close_min,
    lunch0, lunch1, has_lunch, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf,
    zt, ex, exn, hf, hi, st, cnt,
):  # fmt: skip
    _tick(st, ex, exn, s, now)
    target = ch_target[k]
    closing = ch_closing[k]
    st[s, F_TARGET] = target
    if closing:
        st[s, F_CLOSED] = now
        st[s, F_CLOSURES] += 1
        if s != ONCALL:
            _push(hf, hi, cnt, now + allowance, E_ALLOWANCE, s, int(st[s, F_CLOSURES]), 0)
    elif target > 0:
        st[s, F_CLOSED] = NAN
    if s != ONCALL and target == 0 and rn[s] > 0:
        if not (closing and allowance > 0):
            _pause_all(st, rf, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, cnt, s, now)
    while st[s, F_BUSY] < st[s, F_TARGET]:
        if not _start_next(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, hf, hi,
                           cnt, s, now):  # fmt: skip
            break
    _retally(st, s)
    if s == TEAM and has_oncall:
        if _is_open(now, working, open_min, close_min, lunch0, lunch1, has_lunch):
            _pull_back(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn,
                       hf, hi, cnt, now)  # fmt: skip
        else:
            _hand_over(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn,
                       hf, hi, cnt, now)  # fmt: skip


@_jit
def _finish(
    s, row, token, now, route, station_service, allowance, rf, ri, q, qh, qt, pr, pi_, pm, pn,
    rr, rt, rs, rm, rn, zt, ex, exn, hf, hi, st, close, cnt,
):  # fmt: skip
    if s != ONCALL:
        found = -1
        for j in range(rn[s]):
            if rr[s, j] == row:
                found = j
                break
        if found < 0 or rt[s, found] != token:
            return  # paused or handed on since this service was scheduled
        for j in range(found + 1, rn[s]):
            rr[s, j - 1] = rr[s, j]
            rt[s, j - 1] = rt[s, j]
            rs[s, j - 1] = rs[s, j]
            rm[s, j - 1] = rm[s, j]
        rn[s] -= 1
    _tick(st, ex, exn, s, now)
    rf[row, R_END] = now
    ri[row, I_OUT] = COMPLETED
    st[s, F_BUSY] -= 1
    if st[s, F_BUSY] < st[s, F_TARGET]:
        _start_next(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, hf, hi, cnt,
                    s, now)  # fmt: skip
    _retally(st, s)
    origin = ri[row, I_ORIG]
    if s == STATION:
        if ri[row, I_KIND] == FROM_GRID:
            close[origin] = now
        return
    if route[origin] == COMMUNITY:
        new = _add(rf, ri, cnt, STATION, now, station_service[origin], 0, origin, FROM_GRID, NAN)
        _arrive(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi,
                cnt, STATION, new, now)  # fmt: skip
        return
    close[origin] = now


@_jit
def _hand_over(
    st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi, cnt, now,
):  # fmt: skip
    """The team goes off duty: its urgent work, paused or queued, goes to the on-call worker."""
    s = TEAM
    total = pn[s] + qt[s, URGENT] - qh[s, URGENT]
    rows = np.empty(total, dtype=np.int64)
    left = np.empty(total)
    count = 0
    kept = 0
    for j in range(pn[s]):
        row = pr[s, j]
        if ri[row, I_PRI] == URGENT:
            zt[pi_[s, j]] = now
            ri[row, I_OUT] = HANDED
            rf[row, R_END] = now
            rows[count] = row
            left[count] = pm[s, j]
            count += 1
        else:
            pr[s, kept] = pr[s, j]
            pm[s, kept] = pm[s, j]
            pi_[s, kept] = pi_[s, j]
            kept += 1
    pn[s] = kept
    for h in range(qh[s, URGENT], qt[s, URGENT]):
        row = q[s, URGENT, h]
        ri[row, I_OUT] = HANDED
        rf[row, R_LEFT] = now
        rf[row, R_END] = now
        rows[count] = row
        left[count] = rf[row, R_SVC]
        count += 1
    qh[s, URGENT] = qt[s, URGENT]
    # by arrival, stable (insertion sort: a handful of rows)
    for a in range(1, count):
        b = a
        while b > 0 and rf[rows[b - 1], R_ARR] > rf[rows[b], R_ARR]:
            rows[b - 1], rows[b] = rows[b], rows[b - 1]
            left[b - 1], left[b] = left[b], left[b - 1]
            b -= 1
    for c in range(count):
        row = rows[c]
        remaining = left[c]
        done = rf[row, R_SVC] - remaining
        marked = rf[row, R_MARKED]
        on_site = marked == marked and marked <= now
        mark = NAN if on_site else _max0(rf[row, R_MARK] - done)
        new = _add(rf, ri, cnt, ONCALL, rf[row, R_ARR], remaining, URGENT, ri[row, I_ORIG],
                   ri[row, I_KIND], mark)  # fmt: skip
        _arrive(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi,
                cnt, ONCALL, new, now)  # fmt: skip


@_jit
def _pull_back(
    st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi, cnt, now,
):  # fmt: skip
    """The team is on duty again: urgent events the on-call worker has not started go back."""
    s = ONCALL
    first, last = qh[s, URGENT], qt[s, URGENT]
    qh[s, URGENT] = last
    for h in range(first, last):
        row = q[s, URGENT, h]
        ri[row, I_OUT] = HANDED
        rf[row, R_LEFT] = now
        rf[row, R_END] = now
        new = _add(rf, ri, cnt, TEAM, rf[row, R_ARR], rf[row, R_SVC], URGENT, ri[row, I_ORIG],
                   ri[row, I_KIND], rf[row, R_MARK])  # fmt: skip
        _arrive(st, rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zt, ex, exn, hf, hi,
                cnt, TEAM, new, now)  # fmt: skip
