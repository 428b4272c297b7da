"""A multi-server station with a staffing schedule: windows, grid teams, community stations, teams.

SimPy's ``Resource.capacity`` is fixed, so staffing that changes over the day (lunch, shifts,
closing, part-time purchased hours) is modelled here the way Ciw's ``Schedule`` does it: the
station has a *target* number of servers on duty that a schedule changes at given minutes, and

- when the target rises, idle servers take queued residents at once;
- when it falls, a server in service finishes its resident first and only then leaves;
- at the daily closing the station either *drains* (``at_closing = "overtime"``: servers keep
  taking residents queued before closing until the queue is empty, and the minutes past closing
  are recorded as overtime), *holds* the queue for the next opening (grid teams and stations), or
  sends queued residents *home* to come back on a later working day (``"return"``).

Residents are rows of a :class:`Table` (struct of lists, one row per visit). Service is started by
scheduling one SimPy timeout whose callback frees the server, so a resident costs two events (its
arrival and its service end) rather than a process, a request and a condition.

Reneging is exact and needs no events of its own: a queued resident whose patience runs out leaves
at ``arrival + patience``; the station notices when that resident reaches the head of the queue (or
at closing, or at the horizon) and records the abandonment at its true time. Because the queue is
served in order within a priority class, nobody behind is affected by when the departure is
noticed.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

IN_SYSTEM, COMPLETED, ABANDONED, SENT_HOME = 0, 1, 2, 3
NAN = math.nan
INF = math.inf


@dataclass
class Table:
    """One row per visit. Times are simulation minutes; ``nan`` where it has not happened."""

    arrival: list[float] = field(default_factory=list)
    start: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    service: list[float] = field(default_factory=list)
    expiry: list[float] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    outcome: list[int] = field(default_factory=list)
    left: list[float] = field(default_factory=list)  # when an abandoning or sent-home resident left
    origin: list[int] = field(default_factory=list)  # caller's index (resident, event, case)
    kind: list[int] = field(default_factory=list)  # caller's class (category, route, source)

    def add(
        self,
        arrival: float,
        service: float,
        expiry: float = INF,
        priority: int = 1,
        origin: int = -1,
        kind: int = 0,
    ) -> int:
        self.arrival.append(arrival)
        self.start.append(NAN)
        self.end.append(NAN)
        self.service.append(service)
        self.expiry.append(expiry)
        self.priority.append(priority)
        self.outcome.append(IN_SYSTEM)
        self.left.append(NAN)
        self.origin.append(origin)
        self.kind.append(kind)
        return len(self.arrival) - 1


@dataclass(frozen=True)
class Change:
    """From ``time`` on, ``target`` servers are on duty. ``closing`` marks the daily close."""

    time: float
    target: int
    closing: bool = False


class Station:
    def __init__(
        self,
        env: simpy.Environment,
        table: Table,
        schedule: list[Change],
        at_closing: str = "hold",
        duration: Callable[[int, float], float] | None = None,
        on_done: Callable[[int], None] | None = None,
        on_leave: Callable[[int, float], None] | None = None,
        priorities: int = 2,
    ) -> None:
        self.env = env
        self.table = table
        self.at_closing = at_closing
        self.duration = duration
        self.on_done = on_done
        self.on_leave = on_leave
        self.queues: list[deque[int]] = [deque() for _ in range(priorities)]
        self.queued = 0
        self.busy = 0
        self.target = 0
        self.draining = False
        self.closed_at = NAN
        self.overtime_min = 0.0
        self.schedule = schedule
        if schedule:
            env.process(self._run_schedule())

    # --- staffing schedule ----------------------------------------------------------------------

    def _run_schedule(self):
        env = self.env
        for change in self.schedule:
            if change.time > env.now:
                yield env.timeout(change.time - env.now)
            self._set_target(change)

    def _set_target(self, change: Change) -> None:
        self.target = change.target
        if change.closing:
            self.closed_at = self.env.now
            if self.at_closing == "overtime":
                self.draining = True
            elif self.at_closing == "return":
                self._send_home()
        elif change.target > 0:
            self.draining = False
            self.closed_at = NAN
        while self.busy < self.target and self._start_next():
            self.busy += 1

    def _send_home(self) -> None:
        now = self.env.now
        expiry = self.table.expiry
        for queue in self.queues:
            while queue:
                row = queue.popleft()
                self.queued -= 1
                if expiry[row] < now:  # gave up before closing, unnoticed until now
                    self._leave(row, ABANDONED, expiry[row])
                else:
                    self._leave(row, SENT_HOME, now)

    # --- residents ------------------------------------------------------------------------------

    def arrive(self, row: int) -> None:
        """A resident (row of the table) joins the station now."""
        if self.busy < self.target and self.queued == 0:
            self.busy += 1
            self._serve(row)
        else:
            self.queues[self.table.priority[row]].append(row)
            self.queued += 1

    def _serve(self, row: int) -> None:
        env = self.env
        table = self.table
        table.start[row] = env.now
        service = table.service[row] if self.duration is None else self.duration(row, env.now)
        table.service[row] = service
        done = env.timeout(service, row)
        done.callbacks.append(self._finish)

    def _finish(self, event: simpy.Event) -> None:
        row: int = event._value
        table = self.table
        now = self.env.now
        table.end[row] = now
        table.outcome[row] = COMPLETED
        if self.busy <= self.target or self.draining:
            if self._start_next():
                self._after(row)
                return
        self.busy -= 1
        if self.target == 0 and self.closed_at == self.closed_at and now > self.closed_at:
            self.overtime_min += now - self.closed_at
        self._after(row)

    def _after(self, row: int) -> None:
        if self.on_done is not None:
            self.on_done(row)

    def _start_next(self) -> bool:
        """Give a free server to the next resident still waiting; False if there is none."""
        if not self.queued:
            return False
        now = self.env.now
        expiry = self.table.expiry
        for queue in self.queues:
            while queue:
                row = queue.popleft()
                self.queued -= 1
                if expiry[row] < now:
                    self._leave(row, ABANDONED, expiry[row])
                    continue
                self._serve(row)
                return True
        return False

    def _leave(self, row: int, outcome: int, when: float) -> None:
        self.table.outcome[row] = outcome
        self.table.left[row] = when
        if self.on_leave is not None:
            self.on_leave(row, when)

    def finish(self, horizon: float) -> None:
        """At the horizon: residents whose patience ran out while queued have abandoned."""
        expiry = self.table.expiry
        for queue in self.queues:
            for row in queue:
                if expiry[row] < horizon:
                    self.table.outcome[row] = ABANDONED
                    self.table.left[row] = expiry[row]
