"""The working calendar: when sites are open, and the clocks that count working time.

Simulation time is in minutes from 00:00 on the scenario's ``calendar.start_date``. A day is working
when its weekday is in ``working_days`` and its date is not a holiday; on a working day the site is
open from ``open`` to ``close`` with the ``lunch`` break closed.

Two clocks run on this calendar, and they differ on purpose:

- The **on-duty clock** is the one staff work on: the open spans of working days, *without* the
  lunch break (:meth:`WorkCalendar.open_intervals`, :meth:`WorkCalendar.duty_minutes_per_day`,
  :meth:`WorkCalendar.is_open`). Grid workers' and community stations' work in hand advances only
  on it (:mod:`sim.station`, ``at_break = "pause"``): a job in hand at lunch or closing pauses and
  resumes at the next opening, and the capacity and duties of a team are stated per on-duty minute.
- The **working clock** ``W(t)`` is the one deadlines are stated on: a case of "3 working days",
  an ordinary grid event to be closed "within 3 working days". It counts the whole opening span,
  lunch *included*, because a deadline does not stop for lunch.

Deadlines and case durations stated in working days use the *working clock* ``W(t)``: it advances
by exactly 1 over each working day's opening span (``open`` to ``close``, lunch included) and
stands still at night, at weekends and on holidays. So a case of 2.5 working days that starts at
10:00 on a Friday ends half-way through Tuesday's opening span, and ``W(end) - W(start)`` is the
time it took in working days. ``W`` is continuous and non-decreasing; its inverse maps a working
instant back to the earliest minute at that point (the opening of a day for a whole number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from jiedao.scenarios.schema import WEEKDAYS, Calendar, minutes_of_day

DAY = 1440.0


@dataclass(frozen=True)
class WorkCalendar:
    days: int
    open_min: float
    close_min: float
    lunch: tuple[float, float] | None
    working: np.ndarray  # bool per day
    weekday: np.ndarray  # 0 = Monday
    cum_before: np.ndarray  # working days completed before day k (length days + 1)
    horizon_days: int  # days that are simulated; the rest only places ends of long cases

    @classmethod
    def build(cls, calendar: Calendar, days: int, horizon_days: int | None = None) -> WorkCalendar:
        working_days = {WEEKDAYS.index(d) for d in calendar.working_days}
        holidays = set(calendar.holidays)
        dates = [calendar.start_date + dt.timedelta(days=k) for k in range(days)]
        weekday = np.array([d.weekday() for d in dates], dtype=np.int64)
        working = np.array(
            [d.weekday() in working_days and d not in holidays for d in dates], dtype=bool
        )
        cum = np.concatenate([[0.0], np.cumsum(working, dtype=float)])
        lunch = None
        if calendar.lunch:
            lunch = (
                float(minutes_of_day(calendar.lunch[0])),
                float(minutes_of_day(calendar.lunch[1])),
            )
        return cls(
            days=days,
            open_min=float(minutes_of_day(calendar.open)),
            close_min=float(minutes_of_day(calendar.close)),
            lunch=lunch,
            working=working,
            weekday=weekday,
            cum_before=cum,
            horizon_days=days if horizon_days is None else min(horizon_days, days),
        )

    # --- opening hours ----------------------------------------------------------------------------

    def open_intervals(self, day: int) -> list[tuple[float, float]]:
        """The absolute minutes during which the site is open on ``day`` (empty if closed)."""
        if day < 0 or day >= self.days or not self.working[day]:
            return []
        base = day * DAY
        if self.lunch is None:
            return [(base + self.open_min, base + self.close_min)]
        return [
            (base + self.open_min, base + self.lunch[0]),
            (base + self.lunch[1], base + self.close_min),
        ]

    def is_open(self, t: float) -> bool:
        """Whether minute ``t`` lies in an open span (on the on-duty clock: lunch is closed)."""
        day = int(t // DAY)
        return any(a <= t < b for a, b in self.open_intervals(day))

    def duty_minutes_per_day(self) -> float:
        """On-duty minutes of a working day: opening to closing less the lunch break."""
        span = self.close_min - self.open_min
        if self.lunch is not None:
            span -= self.lunch[1] - self.lunch[0]
        return span

    def working_day_indices(self) -> np.ndarray:
        """Working days within the simulated horizon."""
        return np.flatnonzero(self.working[: self.horizon_days])

    # --- the working clock ------------------------------------------------------------------------

    def work(self, t: float) -> float:
        """Working days elapsed at minute ``t``."""
        if t <= 0:
            return 0.0
        day = int(t // DAY)
        if day >= self.days:
            return float(self.cum_before[-1])
        before = float(self.cum_before[day])
        if not self.working[day]:
            return before
        into = t - day * DAY
        if into <= self.open_min:
            return before
        if into >= self.close_min:
            return before + 1.0
        return before + (into - self.open_min) / (self.close_min - self.open_min)

    def unwork(self, w: float) -> float:
        """The earliest minute at which ``work(t) == w``; ``inf`` past the calendar's end."""
        if w <= 0:
            first = np.flatnonzero(self.working)
            return first[0] * DAY + self.open_min if len(first) else float("inf")
        # the working day k with cum_before[k] <= w < cum_before[k] + 1
        day = int(np.searchsorted(self.cum_before[1:], w, side="right"))
        if day >= self.days:
            return float("inf")
        fraction = w - float(self.cum_before[day])
        return day * DAY + self.open_min + fraction * (self.close_min - self.open_min)

    def add_working_days(self, t: float, days: float) -> float:
        return self.unwork(self.work(t) + days)

    def working_days_per_year(self, working_weekdays: int) -> float:
        return 365.25 / 7.0 * working_weekdays

    def work_array(self, t: np.ndarray) -> np.ndarray:
        """:meth:`work` for an array of minutes (``nan`` stays ``nan``)."""
        t = np.asarray(t, dtype=float)
        out = np.full(t.shape, np.nan)
        ok = ~np.isnan(t)
        tt = np.clip(t[ok], 0.0, self.days * DAY - 1e-9)
        day = (tt // DAY).astype(np.int64)
        into = tt - day * DAY
        span = self.close_min - self.open_min
        fraction = np.clip((into - self.open_min) / span, 0.0, 1.0)
        out[ok] = self.cum_before[day] + np.where(self.working[day], fraction, 0.0)
        return out
