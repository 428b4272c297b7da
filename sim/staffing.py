"""Staffing schedules: who is on duty when, turned into :class:`sim.station.Change` lists.

A station's day follows the calendar: closed at night, at lunch and on non-working days; on duty
from opening to closing with the street's window shifts (``window_shifts``: more clerks at peak
hours) where given. Staff-equivalents that are not whole numbers (posts plus purchased
service hours, 政府购买服务) are modelled as one part-time server present on a share of working
days equal to the fraction, spread evenly (see :func:`part_time_present`), so capacity over the
horizon matches the purchased hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from jiedao.scenarios.schema import Shift, minutes_of_day
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.station import Change

GOLDEN = 0.6180339887498949


def part_time_present(day_number: int, fraction: float) -> bool:
    """Whether the part-time server works on the ``day_number``-th working day.

    Days with ``frac((day_number + 1) x golden ratio) < fraction``: a low-discrepancy sequence, so
    over any run of days the share present is within a day or two of ``fraction``, and a larger
    fraction adds days without removing any (more purchased hours never mean less capacity on any
    day, which keeps comparisons between staffing levels paired day by day).
    """
    return ((day_number + 1) * GOLDEN) % 1.0 < fraction


def day_schedule(
    calendar: WorkCalendar,
    staff: float,
    shifts: Sequence[Shift] = (),
) -> list[Change]:
    """Changes of the on-duty count over the whole calendar, for ``staff`` staff-equivalents."""
    whole = math.floor(staff + 1e-9)
    fraction = staff - whole if staff - whole > 1e-9 else 0.0
    shift_spans = [
        (float(minutes_of_day(s.start)), float(minutes_of_day(s.end)), s.windows) for s in shifts
    ]
    points = {calendar.open_min}
    if calendar.lunch is not None:
        points.update(calendar.lunch)
    for start, end, _ in shift_spans:
        points.update((start, end))
    minutes = sorted(p for p in points if calendar.open_min <= p < calendar.close_min)

    def on_duty(minute: float, base: int) -> int:
        if calendar.lunch is not None and calendar.lunch[0] <= minute < calendar.lunch[1]:
            return 0
        for start, end, count in shift_spans:
            if start <= minute < end:
                return count
        return base

    # one day's pattern of (minute, on duty), for a day without and with the part-timer
    patterns = {base: [(m, on_duty(m, base)) for m in minutes] for base in (whole, whole + 1)}
    changes: list[Change] = [Change(0.0, 0)]
    for number, day in enumerate(calendar.working_day_indices()):
        base = whole + (1 if fraction and part_time_present(number, fraction) else 0)
        day_start = day * DAY
        for minute, target in patterns[base]:
            changes.append(Change(day_start + minute, target))
        changes.append(Change(day_start + calendar.close_min, 0, closing=True))
    return _merge(changes)


def _merge(changes: list[Change]) -> list[Change]:
    """Drop changes that change nothing; a close followed at once by an opening is no close."""
    out: list[Change] = []
    for change in changes:
        if out and out[-1].time == change.time:
            previous = out.pop()
            if previous.closing and not change.closing:
                change = Change(change.time, change.target)
        if out and out[-1].target == change.target and not change.closing and not out[-1].closing:
            continue
        out.append(change)
    return out


def always(staff: int) -> list[Change]:
    """A team on duty around the clock (enforcement case slots advance on the working clock)."""
    return [Change(0.0, staff)]


def on_duty_minutes(changes: Sequence[Change], start: float, end: float) -> float:
    """Server-minutes scheduled within ``[start, end)``."""
    total = 0.0
    for change, following in zip(changes, list(changes[1:]) + [None], strict=False):
        a = max(change.time, start)
        b = min(following.time if following is not None else math.inf, end)
        if b > a:
            total += change.target * (b - a)
    return total


def split_staff(staff: float, shares: dict[str, float]) -> dict[str, float]:
    """Split whole staff over departments by largest remainder; a fraction goes to the largest."""
    whole = math.floor(staff + 1e-9)
    fraction = staff - whole
    raw = {k: whole * v for k, v in shares.items()}
    out = {k: float(math.floor(x)) for k, x in raw.items()}
    left = whole - int(sum(out.values()))
    for key in sorted(raw, key=lambda k: (raw[k] - out[k], shares[k]), reverse=True)[:left]:
        out[key] += 1
    if fraction > 1e-9:
        biggest = max(shares, key=lambda k: shares[k])
        out[biggest] += fraction
    return out
