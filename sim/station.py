"""A multi-server station with a staffing schedule: windows, grid teams, community stations, teams.

SimPy's ``Resource.capacity`` is fixed, so staffing that changes over the day (lunch, shifts,
closing, part-time purchased hours) is modelled here the way Ciw's ``Schedule`` does it: the
station has a *target* number of servers on duty that a schedule changes at given minutes, and

- when the target rises, idle servers take queued residents at once (jobs paused at the last break
  first, then the queue in priority order);
- when it falls to a positive number (the end of a peak shift), a server in service finishes its
  resident first and only then leaves.

What happens to work in hand when the station goes off duty (lunch, closing: the target falls to 0)
is the station's ``at_break`` rule:

``"finish"`` (windows, enforcement)
    the server finishes the resident in hand. At the daily closing the station then either
    *drains* (``at_closing = "overtime"``: servers keep taking residents queued before closing until
    the queue is empty), *holds* the queue for the next opening, or sends queued residents *home* to
    come back on a later working day (``"return"``). With an overtime ``allowance_min`` (minutes per
    server per day) no server starts a resident whose service would end after the coming closing
    plus the allowance, and residents still queued at closing plus the allowance are sent home:
    overtime then never exceeds the allowance. Without one (``None``), the queue is served whatever
    it takes.

``"pause"`` (grid teams and community stations: the *on-duty clock*)
    work in hand pauses when the station goes off duty and resumes, with the work remaining, at the
    next opening, before anything queued. At the daily closing a job in hand may run on for up to
    ``allowance_min`` (the overtime allowance, per server per day) and pauses then if unfinished;
    at lunch it pauses at once. Nothing new starts while off duty. ``allowance_min = None`` keeps
    the job running to its end (unbounded overtime, for comparison with the old model only).

Every minute a server works while the schedule has it off duty is recorded in :attr:`extra` as a
segment ``(from, to, servers, after_closing)``: after closing it is *overtime*
(:attr:`overtime_min`), otherwise it is a break or shift overrun (a window clerk finishing the
resident in hand at lunch). On-duty time is the schedule's server-minutes plus these, so busy time
never exceeds it: utilisation is at most 100%.

Residents are rows of a :class:`Table` (struct of lists, one row per visit). Service is started by
scheduling one SimPy timeout whose callback frees the server, so a resident costs two events (its
arrival and its service end) rather than a process, a request and a condition. A paused job's
timeout is left to fire and ignored (each start carries a token).

A row may carry a *mark*: a work offset (the grid worker's travel) whose moment is recorded in
``marked`` when the worked time reaches it (the arrival on site, the moment an urgent event counts
as answered).

Reneging is exact and needs no events of its own: a queued resident whose patience runs out leaves
at ``arrival + patience``; the station notices when that resident reaches the head of the queue (or
at closing, or at the horizon) and records the abandonment at its true time. Because the queue is
served in order within a priority class, nobody behind is affected by when the departure is
noticed.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

IN_SYSTEM, COMPLETED, ABANDONED, SENT_HOME, HANDED = 0, 1, 2, 3, 4
NAN = math.nan
INF = math.inf
EPS = 1e-9


@dataclass
class Table:
    """One row per visit. Times are simulation minutes; ``nan`` where it has not happened."""

    arrival: list[float] = field(default_factory=list)
    start: list[float] = field(default_factory=list)  # first start of service
    end: list[float] = field(
        default_factory=list
    )  # service completed, or handed to another station
    service: list[float] = field(default_factory=list)
    expiry: list[float] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    outcome: list[int] = field(default_factory=list)
    left: list[float] = field(default_factory=list)  # when an abandoning or sent-home resident left
    origin: list[int] = field(default_factory=list)  # caller's index (resident, event, case)
    kind: list[int] = field(default_factory=list)  # caller's class (category, route, source)
    mark: list[float] = field(default_factory=list)  # work offset to time (nan: none)
    marked: list[float] = field(default_factory=list)  # when the worked time reached ``mark``
    # pauses of work in hand (on-duty clock): row, from, to (nan while paused)
    pause_row: list[int] = field(default_factory=list)
    pause_from: list[float] = field(default_factory=list)
    pause_to: list[float] = field(default_factory=list)

    def add(
        self,
        arrival: float,
        service: float,
        expiry: float = INF,
        priority: int = 1,
        origin: int = -1,
        kind: int = 0,
        mark: float = NAN,
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
        self.mark.append(mark)
        self.marked.append(NAN)
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
        at_break: str = "finish",
        allowance_min: float | None = None,
        on_change: Callable[[Change], None] | None = None,
        on_pause: Callable[[], None] | None = None,
    ) -> None:
        if at_break not in ("finish", "pause"):
            raise ValueError(f"at_break must be 'finish' or 'pause', got {at_break!r}")
        self.env = env
        self.table = table
        self.at_closing = at_closing
        self.at_break = at_break
        self._pauses = at_break == "pause"
        self.allowance = allowance_min
        self.duration = duration
        self.on_done = on_done
        self.on_leave = on_leave
        self.on_change = on_change
        self.on_pause = on_pause
        self.queues: list[deque[int]] = [deque() for _ in range(priorities)]
        self.queued = 0
        self.busy = 0
        self.target = 0
        self.draining = False
        self.closed_at = NAN
        self.closures = 0  # closings so far (an allowance's end belongs to one of them)
        self.overtime_min = 0.0
        # work in hand: row -> (resumed at, work remaining then, token)
        self.running: dict[int, tuple[float, float, int]] = {}
        self.paused: deque[tuple[int, float, int]] = deque()  # (row, remaining, pause index)
        self._token = 0
        # server-minutes worked beyond the schedule: (from, to, servers, after closing)
        self.extra: list[tuple[float, float, int, bool]] = []
        self._since = 0.0
        self._excess = 0
        self._after_closing = False
        self.schedule = schedule
        self._closings = [c.time for c in schedule if c.closing]
        self._limit_value = NAN
        if schedule:
            env.process(self._run_schedule())

    # --- time beyond the schedule ----------------------------------------------------------------

    def _tick(self) -> None:
        """Close the current beyond-schedule segment at now (before busy or target change)."""
        now = self.env.now
        if self._excess > 0 and now > self._since:
            after = self._after_closing
            if after:
                self.overtime_min += (now - self._since) * self._excess
            extra = self.extra
            if extra and extra[-1][1] == self._since and extra[-1][2:] == (self._excess, after):
                extra[-1] = (extra[-1][0], now, self._excess, after)
            else:
                extra.append((self._since, now, self._excess, after))
        self._since = now

    def _retally(self) -> None:
        self._excess = self.busy - self.target if self.busy > self.target else 0
        self._after_closing = self.closed_at == self.closed_at

    # --- staffing schedule ----------------------------------------------------------------------

    def _run_schedule(self):
        env = self.env
        for change in self.schedule:
            if change.time > env.now:
                yield env.timeout(change.time - env.now)
            self._set_target(change)

    def _set_target(self, change: Change) -> None:
        self._tick()
        self._limit_value = NAN
        self.target = change.target
        if change.closing:
            self.closed_at = self.env.now
            self.closures += 1
            if self.at_closing == "overtime":
                self.draining = True
            elif self.at_closing == "return":
                self._send_home()
            if self.allowance is not None and (
                self.at_break == "pause" or self.at_closing == "overtime"
            ):
                end = self.env.timeout(self.allowance, self.closures)
                end.callbacks.append(self._allowance_over)
        elif change.target > 0:
            self.draining = False
            self.closed_at = NAN
        if self.at_break == "pause" and self.target == 0 and self.running:
            if not (change.closing and (self.allowance is None or self.allowance > 0)):
                self._pause_all()
        while self.busy < self.target and self._start_next():
            pass
        self._retally()
        if self.on_change is not None:
            self.on_change(change)

    def _allowance_over(self, event: simpy.Event) -> None:
        """The overtime allowance after a closing is used up: pause work in hand (on-duty clock),
        or send the residents still queued home (windows draining the evening queue)."""
        if event._value != self.closures or self.closed_at != self.closed_at:
            return  # the station has opened again since
        self._tick()
        if self.at_break == "pause":
            self._pause_all()
        else:
            self.draining = False
            self._send_home()
        self._retally()
        if self.at_break == "pause" and self.on_pause is not None:
            self.on_pause()

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

    def _limit(self) -> float:
        """The latest moment a service may end (finish mode with an overtime allowance): the
        coming closing (or the one just past) plus the allowance. It changes only with the
        schedule, so it is computed once after each change."""
        if self._limit_value != self._limit_value:
            if self.closed_at == self.closed_at:
                closing = self.closed_at
            else:
                k = bisect_left(self._closings, self.env.now)
                closing = self._closings[k] if k < len(self._closings) else INF
            self._limit_value = closing + (self.allowance or 0.0)
        return self._limit_value

    # --- work in hand ---------------------------------------------------------------------------

    def _begin(self, row: int, remaining: float) -> None:
        """A server takes ``row`` now with ``remaining`` minutes of work left."""
        env = self.env
        table = self.table
        now = env.now
        self.busy += 1
        mark = table.mark[row]
        if mark == mark and table.marked[row] != table.marked[row]:
            done = table.service[row] - remaining
            table.marked[row] = now + max(0.0, mark - done)
        if self._pauses:  # only work that may pause needs to know what is in hand
            self._token += 1
            self.running[row] = (now, remaining, self._token)
            finish = env.timeout(remaining, (row, self._token))
        else:
            finish = env.timeout(remaining, (row, 0))
        finish.callbacks.append(self._finish)

    def _serve(self, row: int) -> None:
        now = self.env.now
        table = self.table
        table.start[row] = now
        service = table.service[row] if self.duration is None else self.duration(row, now)
        table.service[row] = service
        self._begin(row, service)

    def _pause_all(self) -> None:
        """Pause every job in hand now (its remaining work resumes at the next opening)."""
        now = self.env.now
        table = self.table
        for row, (resumed, remaining, _) in sorted(self.running.items(), key=lambda x: x[1][0]):
            left = remaining - (now - resumed)
            if left <= EPS:
                continue  # it ends now: its completion is already on its way
            del self.running[row]
            self.busy -= 1
            if table.marked[row] > now + EPS:
                table.marked[row] = NAN  # not on site yet
            table.pause_row.append(row)
            table.pause_from.append(now)
            table.pause_to.append(NAN)
            self.paused.append((row, left, len(table.pause_row) - 1))

    def _finish(self, event: simpy.Event) -> None:
        row, token = event._value
        if self._pauses:
            held = self.running.get(row)
            if held is None or held[2] != token:
                return  # paused or handed on since this service was scheduled
            del self.running[row]
        self._tick()
        table = self.table
        now = self.env.now
        table.end[row] = now
        table.outcome[row] = COMPLETED
        self.busy -= 1
        if self.busy < self.target or self.draining:
            self._start_next()
        self._retally()
        if self.on_done is not None:
            self.on_done(row)

    def _start_next(self) -> bool:
        """Give a free server to the next job: paused work first, then the queue; False if none."""
        if self.paused:
            row, remaining, index = self.paused.popleft()
            self.table.pause_to[index] = self.env.now
            self._begin(row, remaining)
            return True
        if not self.queued:
            return False
        now = self.env.now
        table = self.table
        expiry = table.expiry
        fit = self.allowance is not None and self.at_break == "finish"
        for queue in self.queues:
            while queue:
                row = queue[0]
                if expiry[row] < now:
                    queue.popleft()
                    self.queued -= 1
                    self._leave(row, ABANDONED, expiry[row])
                    continue
                if fit:
                    need = table.service[row] if self.duration is None else self.duration(row, now)
                    if now + need > self._limit() + EPS:
                        return False  # first come, first served: nobody overtakes the head
                queue.popleft()
                self.queued -= 1
                self._serve(row)
                return True
        return False

    def _leave(self, row: int, outcome: int, when: float) -> None:
        self.table.outcome[row] = outcome
        self.table.left[row] = when
        if self.on_leave is not None:
            self.on_leave(row, when)

    # --- residents ------------------------------------------------------------------------------

    def arrive(self, row: int) -> None:
        """A resident (row of the table) joins the station now."""
        self.queues[self.table.priority[row]].append(row)
        self.queued += 1
        if self.busy < self.target:
            self._tick()
            self._start_next()
            self._retally()

    def take_queued(self, priority: int, select: Callable[[int], bool] | None = None) -> list[int]:
        """Remove and return the rows waiting in one priority class (those ``select`` accepts),
        handed to another station now: their outcome is HANDED, ``left`` and ``end`` are now."""
        now = self.env.now
        queue = self.queues[priority]
        rows = [row for row in queue if select is None or select(row)]
        if len(rows) == len(queue):
            queue.clear()
        else:
            taken = set(rows)
            kept = [row for row in queue if row not in taken]
            queue.clear()
            queue.extend(kept)
        self.queued -= len(rows)
        for row in rows:
            self.table.outcome[row] = HANDED
            self.table.left[row] = now
            self.table.end[row] = now
        return rows

    def take_paused(self, priority: int) -> list[tuple[int, float]]:
        """Remove and return the paused jobs of one priority class with their remaining work
        (handed to another station now: outcome HANDED, ``end`` now)."""
        now = self.env.now
        table = self.table
        keep: deque[tuple[int, float, int]] = deque()
        out = []
        for row, remaining, index in self.paused:
            if table.priority[row] == priority:
                table.pause_to[index] = now
                table.outcome[row] = HANDED
                table.end[row] = now
                out.append((row, remaining))
            else:
                keep.append((row, remaining, index))
        self.paused = keep
        return out

    def finish(self, horizon: float) -> None:
        """At the horizon: residents whose patience ran out while queued have abandoned; the
        segment of time beyond the schedule in progress is closed."""
        expiry = self.table.expiry
        for queue in self.queues:
            for row in queue:
                if expiry[row] < horizon:
                    self.table.outcome[row] = ABANDONED
                    self.table.left[row] = expiry[row]
        if self.env.now >= horizon:
            self._tick()
