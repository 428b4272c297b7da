"""Arrivals as a non-homogeneous Poisson process with a piecewise-constant rate.

Demand is stated as a mean per working day. On each working day the rate follows the hour-of-day
profile (weights per clock hour; only the open part of an hour counts) and the weekday profile
(multipliers, normalised so that their mean over the working weekdays is 1). Nobody arrives while a
site is closed (nights, lunch, weekends, holidays): demand that would fall there is assumed to come
during the open hours instead, which is what the normalisation does.

Arrival times are drawn by inversion from a unit-rate Poisson process (cumulative sums of
exponentials mapped through the inverse of the cumulative rate), so the same stream gives the same
residents in the same order whatever the staffing, and a higher rate adds residents rather than
reshuffling them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jiedao.sim.calendar import DAY, WorkCalendar


def rate_segments(
    calendar: WorkCalendar,
    per_working_day: float,
    hour_profile: Sequence[float] | None,
    weekday_profile: Sequence[float] | None,
    working_weekdays: Sequence[int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, rate per minute) of every open piece of every hour over the calendar."""
    hours = np.ones(24) if hour_profile is None else np.asarray(hour_profile, dtype=float)
    week = np.ones(7) if weekday_profile is None else np.asarray(weekday_profile, dtype=float)
    mean_week = float(np.mean([week[d] for d in working_weekdays])) if working_weekdays else 0.0
    multiplier = week / mean_week if mean_week > 0 else np.zeros(7)

    # pieces of one working day, relative to midnight, with their hour weight
    day_pieces: list[tuple[float, float, float]] = []
    days = calendar.working_day_indices()  # none when the horizon holds no working day
    for start, end in calendar.open_intervals(int(days[0])) if len(days) else []:
        base = (start // DAY) * DAY
        a, b = start - base, end - base
        h = int(a // 60)
        while a < b:
            edge = min(b, (h + 1) * 60.0)
            if hours[h % 24] > 0:
                day_pieces.append((a, edge, float(hours[h % 24])))
            a, h = edge, h + 1
    weight = sum((b - a) * w for a, b, w in day_pieces)
    if weight <= 0 or per_working_day <= 0:
        empty = np.empty(0)
        return empty, empty, empty

    starts, ends, rates = [], [], []
    for day in calendar.working_day_indices():
        daily = per_working_day * multiplier[calendar.weekday[day]]
        if daily <= 0:
            continue
        base = day * DAY
        for a, b, w in day_pieces:
            starts.append(base + a)
            ends.append(base + b)
            rates.append(daily * w / weight)
    return np.array(starts), np.array(ends), np.array(rates)


def arrival_times(
    rng: np.random.Generator,
    segments: tuple[np.ndarray, np.ndarray, np.ndarray],
    horizon: float,
) -> np.ndarray:
    """Sorted arrival minutes in ``[0, horizon)``."""
    starts, ends, rates = segments
    keep = starts < horizon
    starts, ends, rates = starts[keep], np.minimum(ends[keep], horizon), rates[keep]
    if len(starts) == 0:
        return np.empty(0)
    mass = (ends - starts) * rates
    cum_end = np.cumsum(mass)
    total = float(cum_end[-1])
    if total <= 0:
        return np.empty(0)
    points: list[np.ndarray] = []
    reached = 0.0
    chunk = int(total + 6.0 * np.sqrt(total) + 16)
    while reached < total:
        steps = np.cumsum(rng.exponential(1.0, size=chunk)) + reached
        points.append(steps)
        reached = float(steps[-1])
    unit = np.concatenate(points)
    unit = unit[unit < total]
    index = np.searchsorted(cum_end, unit, side="right")
    cum_start = cum_end - mass
    times = starts[index] + (unit - cum_start[index]) / rates[index]
    return np.minimum(times, ends[index])
