"""The event loop of one community's grid team, on-call worker and station, without SimPy.

A line-by-line port of :class:`sim.station.Station` (``at_break = "pause"`` for the team and the
station, the plain always-on station for the on-call worker) and of the hooks of
:class:`sim.grids.CommunityGrids` (merged grids: one team), on plain arrays so that numba can
compile it. Events are kept in a binary heap ordered by (time, sequence number), the sequence
numbers given in the order the engine creates its timeouts, and every time is computed with the
engine's arithmetic (``now + (t - now)`` for a process waiting until ``t``), so the same events in
give the same times out, ties included. :mod:`sim.gridpath` drives it and proves it equal to the
engine (tests/sim/test_gridpath.py).

State lives in a few arrays (few, because numba passes every array argument of a call field by
field): ``st`` (3, NF) per station (team, on-call, station); rows ``rf`` (cap, NR) floats and
``ri`` (cap, NI) ints; queues ``q`` (3, 2, cap) with heads and tails ``QHT`` (2, 3, 2); paused
jobs and jobs in hand ``PI`` (4, 3, capp: paused row, pause index, row in hand, token) and ``PF``
(3, 3, capp: paused remaining, in hand since, remaining) with counts ``PN`` (2, 3); pause records
``Z`` (3, capz: row, from, to); time beyond the schedule ``ex`` (3, cape, 4) with counts ``exn``;
the heap ``hf`` (times) and ``hi`` (sequence, type x 4 + station, a, b); the events ``EV`` (6, n:
arrival, urgent, work, travel, route, station service), the 代办 matters ``D`` (2, m) and the
schedules ``CH`` (3, changes: time, target, closing) with each station's range ``CHI`` (2, 3).
``cnt[C_ERR]`` is set when a
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

    def _leaf(f):  # small helpers called at every event: inlined into their callers
        return numba.njit(cache=True, nogil=True, inline="always")(f)

    COMPILED = True
except ImportError:

    def _jit(f):
        return f

    _leaf = _jit
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


@_leaf
def _max0(x):
    """Python's ``max(0.0, x)`` (0.0 for nan, as the engine's builtin gives)."""
    return x if x > 0.0 else 0.0


@_leaf
def _less(hf, hi, i, j):
    return hf[i] < hf[j] or (hf[i] == hf[j] and hi[i, 0] < hi[j, 0])


@_leaf
def _swap(hf, hi, i, j):
    t = hf[i]
    hf[i] = hf[j]
    hf[j] = t
    for f in range(4):
        v = hi[i, f]
        hi[i, f] = hi[j, f]
        hi[j, f] = v


@_leaf
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


@_leaf
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


@_leaf
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


@_leaf
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


@_leaf
def _retally(st, s):
    busy, target = st[s, F_BUSY], st[s, F_TARGET]
    st[s, F_EXCESS] = busy - target if busy > target else 0.0
    closed = st[s, F_CLOSED]
    st[s, F_AFTER] = 1.0 if closed == closed else 0.0


@_leaf
def _begin(st, rf, PI, PF, PN, hf, hi, cnt, s, row, remaining, now):
    st[s, F_BUSY] += 1
    mark = rf[row, R_MARK]
    marked = rf[row, R_MARKED]
    if mark == mark and marked != marked:
        done = rf[row, R_SVC] - remaining
        rf[row, R_MARKED] = now + _max0(mark - done)
    if s != ONCALL:
        st[s, F_TOKEN] += 1
        token = int(st[s, F_TOKEN])
        n = PN[1, s]
        if n >= PI.shape[2]:
            cnt[C_ERR] = 1
            return
        PI[2, s, n] = row
        PI[3, s, n] = token
        PF[1, s, n] = now
        PF[2, s, n] = remaining
        PN[1, s] = n + 1
        _push(hf, hi, cnt, now + remaining, E_FINISH, s, row, token)
    else:
        _push(hf, hi, cnt, now + remaining, E_FINISH, s, row, 0)


@_jit
def _start_next(st, rf, ri, q, QHT, PI, PF, PN, Z, hf, hi, cnt, s, now):  # noqa: E501
    if PN[0, s] > 0:
        row, remaining, index = PI[0, s, 0], PF[0, s, 0], PI[1, s, 0]
        for j in range(1, PN[0, s]):
            PI[0, s, j - 1] = PI[0, s, j]
            PF[0, s, j - 1] = PF[0, s, j]
            PI[1, s, j - 1] = PI[1, s, j]
        PN[0, s] -= 1
        Z[2, index] = now
        _begin(st, rf, PI, PF, PN, hf, hi, cnt, s, row, remaining, now)
        return True
    for p in range(2):
        if QHT[0, s, p] < QHT[1, s, p]:
            row = q[s, p, QHT[0, s, p]]
            QHT[0, s, p] += 1
            rf[row, R_START] = now
            _begin(st, rf, PI, PF, PN, hf, hi, cnt, s, row, rf[row, R_SVC], now)
            return True
    return False


@_jit
def _arrive(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi, cnt, s, row, now):  # noqa: E501
    p = ri[row, I_PRI]
    if QHT[1, s, p] >= q.shape[2]:
        cnt[C_ERR] = 1
        return
    q[s, p, QHT[1, s, p]] = row
    QHT[1, s, p] += 1
    if st[s, F_BUSY] < st[s, F_TARGET]:
        _tick(st, ex, exn, s, now)
        _start_next(st, rf, ri, q, QHT, PI, PF, PN, Z, hf, hi, cnt, s, now)  # noqa: E501
        _retally(st, s)


@_jit
def _pause_all(st, rf, PI, PF, PN, Z, cnt, s, now):  # noqa: E501
    n = PN[1, s]
    # the jobs in hand in order of their last (re)start, ties in the order they were taken
    order = np.empty(n, dtype=np.int64)
    for j in range(n):
        k = j
        while k > 0 and PF[1, s, order[k - 1]] > PF[1, s, j]:
            order[k] = order[k - 1]
            k -= 1
        order[k] = j
    keep = np.ones(n, dtype=np.bool_)
    for k in range(n):
        j = order[k]
        row = PI[2, s, j]
        left = PF[2, s, j] - (now - PF[1, s, j])
        if left <= EPS:
            continue  # it ends now: its completion is already on its way
        keep[j] = False
        st[s, F_BUSY] -= 1
        if rf[row, R_MARKED] > now + EPS:
            rf[row, R_MARKED] = NAN  # not on site yet
        z = cnt[C_PAUSES]
        if z >= Z.shape[1] or PN[0, s] >= PI.shape[2]:
            cnt[C_ERR] = 1
            return
        Z[0, z] = row
        Z[1, z] = now
        Z[2, z] = NAN
        cnt[C_PAUSES] = z + 1
        PI[0, s, PN[0, s]] = row
        PF[0, s, PN[0, s]] = left
        PI[1, s, PN[0, s]] = z
        PN[0, s] += 1
    m = 0
    for j in range(n):
        if keep[j]:
            PI[2, s, m] = PI[2, s, j]
            PI[3, s, m] = PI[3, s, j]
            PF[1, s, m] = PF[1, s, j]
            PF[2, s, m] = PF[2, s, j]
            m += 1
    PN[1, s] = m


@_leaf
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
    EV,
    D,
    CH, CHI,
    allowance, has_oncall, horizon,
    working, open_min, close_min, lunch0, lunch1, has_lunch,
    rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi, st,
    close, cnt,
):  # fmt: skip
    """Run one community to ``horizon``; results are left in the arrays (see module doc)."""
    n = EV.shape[1]
    m = D.shape[1]
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
            k = CHI[0, s]
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
            e_type, s, now, -1, EV,
            D, CH, CHI, nxt,
            allowance, has_oncall, working, open_min, close_min, lunch0, lunch1, has_lunch,
            rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi,
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
                s, a, b, now, EV, allowance, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi, st,
                    close, cnt,
            )  # fmt: skip
        elif e_type == E_ALLOWANCE:
            if a != int(st[s, F_CLOSURES]) or st[s, F_CLOSED] != st[s, F_CLOSED]:
                continue  # opened again since
            _tick(st, ex, exn, s, now)
            _pause_all(st, rf, PI, PF, PN, Z, cnt, s, now)
            _retally(st, s)
            if s == TEAM and has_oncall and not _is_open(
                now, working, open_min, close_min, lunch0, lunch1, has_lunch
            ):
                _hand_over(st, rf, ri, q, QHT, PI, PF, PN, Z, ex,
                           exn, hf, hi, cnt, now)  # fmt: skip
        else:
            _process(
                e_type, s, now, a, EV,
                D, CH, CHI, nxt,
                allowance, has_oncall, working, open_min, close_min, lunch0, lunch1, has_lunch,
                rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf,
                hi, st, close, cnt, n, m,
            )  # fmt: skip
    for s in range(3):
        _tick(st, ex, exn, s, horizon)
    if exn.min() < 0:
        cnt[C_ERR] = 1


@_jit
def _process(
    e_type, s, now, fired, EV,
    D, CH, CHI, nxt,
    allowance, has_oncall, working, open_min, close_min, lunch0, lunch1, has_lunch,
    rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi,
    st, close, cnt, n, m,
):  # fmt: skip
    """A process resumes (``fired``: the index its timeout was for; -1 at its start) and runs on
    to its next wait."""
    if e_type == E_CHANGE:
        k = nxt[s] if fired < 0 else fired
        if fired >= 0:
            _set_target(s, k, now, CH, allowance, has_oncall, working,
                        open_min, close_min, lunch0, lunch1, has_lunch, rf, ri, q, QHT, PI, PF,
                            PN, Z, ex, exn, hf, hi, st,
                        cnt)  # fmt: skip
            k += 1
        while k < CHI[1, s]:
            t = CH[0, k]
            if t > now:
                _push(hf, hi, cnt, now + (t - now), E_CHANGE, s, k, 0)
                return
            _set_target(s, k, now, CH, allowance, has_oncall, working,
                        open_min, close_min, lunch0, lunch1, has_lunch, rf, ri, q, QHT, PI, PF,
                            PN, Z, ex, exn, hf, hi, st,
                        cnt)  # fmt: skip
            k += 1
        return
    if e_type == E_ARRIVE:
        i = 0 if fired < 0 else fired
        if fired >= 0:
            _event_in(i, now, EV, has_oncall, working,
                      open_min, close_min, lunch0, lunch1, has_lunch, rf, ri, q, QHT, PI, PF, PN,
                          Z, ex, exn, hf, hi, st, cnt)  # fmt: skip
            i += 1
        while i < n:
            t = EV[0, i]
            if t > now:
                _push(hf, hi, cnt, now + (t - now), E_ARRIVE, 0, i, 0)
                return
            _event_in(i, now, EV, has_oncall, working,
                      open_min, close_min, lunch0, lunch1, has_lunch, rf, ri, q, QHT, PI, PF, PN,
                          Z, ex, exn, hf, hi, st, cnt)  # fmt: skip
            i += 1
        return
    # 代办 matters for the station
    j = 0 if fired < 0 else fired
    if fired >= 0:
        row = _add(rf, ri, cnt, STATION, now, D[1, j], 0, j, DAIBAN, NAN)
        _arrive(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi,
                cnt, STATION, row, now)  # fmt: skip
        j += 1
    while j < m:
        t = D[0, j]
        if t > now:
            _push(hf, hi, cnt, now + (t - now), E_DAIBAN, STATION, j, 0)
            return
        row = _add(rf, ri, cnt, STATION, now, D[1, j], 0, j, DAIBAN, NAN)
        _arrive(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi,
                cnt, STATION, row, now)  # fmt: skip
        j += 1


@_jit
def _event_in(
    i, now, EV, has_oncall, working, open_min, close_min,
    lunch0, lunch1, has_lunch, rf, ri, q, QHT, PI, PF, PN, Z, ex,
    exn, hf, hi, st, cnt,
):  # fmt: skip
    t = EV[0, i]
    if has_oncall and (EV[1, i] > 0) and not _is_open(
        t, working, open_min, close_min, lunch0, lunch1, has_lunch
    ):
        row = _add(rf, ri, cnt, ONCALL, t, EV[2, i], URGENT, i, int(EV[4, i]), EV[3, i])
        _arrive(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi,
                cnt, ONCALL, row, now)  # fmt: skip
        return
    priority = URGENT if (EV[1, i] > 0) else ORDINARY
    row = _add(rf, ri, cnt, TEAM, t, EV[2, i], priority, i, int(EV[4, i]), EV[3, i])
    _arrive(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi, cnt,
            TEAM, row, now)  # fmt: skip


@_jit
def _set_target(
    s, k, now, CH, allowance, has_oncall, working, open_min, close_min,
    lunch0, lunch1, has_lunch, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi, st, cnt,
):  # fmt: skip
    _tick(st, ex, exn, s, now)
    target = CH[1, k]
    closing = (CH[2, k] > 0)
    st[s, F_TARGET] = target
    if closing:
        st[s, F_CLOSED] = now
        st[s, F_CLOSURES] += 1
        if s != ONCALL:
            _push(hf, hi, cnt, now + allowance, E_ALLOWANCE, s, int(st[s, F_CLOSURES]), 0)
    elif target > 0:
        st[s, F_CLOSED] = NAN
    if s != ONCALL and target == 0 and PN[1, s] > 0:
        if not (closing and allowance > 0):
            _pause_all(st, rf, PI, PF, PN, Z, cnt, s, now)
    while st[s, F_BUSY] < st[s, F_TARGET]:
        if not _start_next(st, rf, ri, q, QHT, PI, PF, PN, Z, hf, hi,
                           cnt, s, now):  # fmt: skip
            break
    _retally(st, s)
    if s == TEAM and has_oncall:
        if _is_open(now, working, open_min, close_min, lunch0, lunch1, has_lunch):
            _pull_back(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn,
                       hf, hi, cnt, now)  # fmt: skip
        else:
            _hand_over(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn,
                       hf, hi, cnt, now)  # fmt: skip


@_jit
def _finish(
    s, row, token, now, EV, allowance, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi, st, close,
        cnt,
):  # fmt: skip
    if s != ONCALL:
        found = -1
        for j in range(PN[1, s]):
            if PI[2, s, j] == row:
                found = j
                break
        if found < 0 or PI[3, s, found] != token:
            return  # paused or handed on since this service was scheduled
        for j in range(found + 1, PN[1, s]):
            PI[2, s, j - 1] = PI[2, s, j]
            PI[3, s, j - 1] = PI[3, s, j]
            PF[1, s, j - 1] = PF[1, s, j]
            PF[2, s, j - 1] = PF[2, s, j]
        PN[1, s] -= 1
    _tick(st, ex, exn, s, now)
    rf[row, R_END] = now
    ri[row, I_OUT] = COMPLETED
    st[s, F_BUSY] -= 1
    if st[s, F_BUSY] < st[s, F_TARGET]:
        _start_next(st, rf, ri, q, QHT, PI, PF, PN, Z, hf, hi, cnt,
                    s, now)  # fmt: skip
    _retally(st, s)
    origin = ri[row, I_ORIG]
    if s == STATION:
        if ri[row, I_KIND] == FROM_GRID:
            close[origin] = now
        return
    if int(EV[4, origin]) == COMMUNITY:
        new = _add(rf, ri, cnt, STATION, now, EV[5, origin], 0, origin, FROM_GRID, NAN)
        _arrive(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi,
                cnt, STATION, new, now)  # fmt: skip
        return
    close[origin] = now


@_jit
def _hand_over(
    st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi, cnt, now,
):  # fmt: skip
    """The team goes off duty: its urgent work, paused or queued, goes to the on-call worker."""
    s = TEAM
    total = PN[0, s] + QHT[1, s, URGENT] - QHT[0, s, URGENT]
    rows = np.empty(total, dtype=np.int64)
    left = np.empty(total)
    count = 0
    kept = 0
    for j in range(PN[0, s]):
        row = PI[0, s, j]
        if ri[row, I_PRI] == URGENT:
            Z[2, PI[1, s, j]] = now
            ri[row, I_OUT] = HANDED
            rf[row, R_END] = now
            rows[count] = row
            left[count] = PF[0, s, j]
            count += 1
        else:
            PI[0, s, kept] = PI[0, s, j]
            PF[0, s, kept] = PF[0, s, j]
            PI[1, s, kept] = PI[1, s, j]
            kept += 1
    PN[0, s] = kept
    for h in range(QHT[0, s, URGENT], QHT[1, s, URGENT]):
        row = q[s, URGENT, h]
        ri[row, I_OUT] = HANDED
        rf[row, R_LEFT] = now
        rf[row, R_END] = now
        rows[count] = row
        left[count] = rf[row, R_SVC]
        count += 1
    QHT[0, s, URGENT] = QHT[1, s, URGENT]
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
        _arrive(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi,
                cnt, ONCALL, new, now)  # fmt: skip


@_jit
def _pull_back(
    st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi, cnt, now,
):  # fmt: skip
    """The team is on duty again: urgent events the on-call worker has not started go back."""
    s = ONCALL
    first, last = QHT[0, s, URGENT], QHT[1, s, URGENT]
    QHT[0, s, URGENT] = last
    for h in range(first, last):
        row = q[s, URGENT, h]
        ri[row, I_OUT] = HANDED
        rf[row, R_LEFT] = now
        rf[row, R_END] = now
        new = _add(rf, ri, cnt, TEAM, rf[row, R_ARR], rf[row, R_SVC], URGENT, ri[row, I_ORIG],
                   ri[row, I_KIND], rf[row, R_MARK])  # fmt: skip
        _arrive(st, rf, ri, q, QHT, PI, PF, PN, Z, ex, exn, hf, hi,
                cnt, TEAM, new, now)  # fmt: skip
