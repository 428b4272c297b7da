"""Independent truths the simulation is checked against: queueing formulas, exact recursions, CIs.

Nothing here imports the engine in ``sim/``. Each helper is a second, independent way of computing
what the engine computes, so that an agreement between the two proves something.

Queueing formulas
    ``erlang_b``, ``erlang_c`` and ``mmc`` give the stationary M/M/c queue (Erlang C): the
    probability of waiting, mean wait, P(wait <= t), mean queue length and utilisation.
    ``priority_mmc_waits`` gives the class waits of a non-preemptive priority M/M/c queue with one
    service rate for every class (Cobham's formula). The
    Erlang B recursion ``B(k) = a B(k-1) / (k + a B(k-1))`` never forms ``a**c`` or ``c!``, so it
    stays exact in double precision for c in the thousands. ``erlang_a`` gives M/M/c+M (Erlang A,
    the Palm queue: exponential patience with rate theta) from its birth-death chain, truncated
    where the neglected tail is below 1e-17 of the mass, with P(wait <= t) from the transient
    phase-type chain of the customer's position in the queue.

Exact recursions
    ``kiefer_wolfowitz`` is the multi-server Lindley recursion for a first-come-first-served queue
    with c servers fed given arrival and service times. ``fcfs_multiserver`` is the same recursion
    with the features the engine needs to match exactly: abandonment by patience, closed intervals
    (lunch breaks) during which no service may start, and daily closures after which residents
    already queued are served in overtime (or, optionally, sent home). They are plain Python on
    purpose: slow, obvious, and independent of both SimPy and the vectorised fast path.

Statistics
    ``batch_means`` turns one long autocorrelated series (per-customer waits) into an estimate
    with a Student-t confidence half-width; ``student_t_ci`` does the same for independent
    replications; ``bonferroni_alpha`` and ``bonferroni_tolerance`` widen the interval for a family
    of comparisons so that a test making m comparisons has a family-wise false-alarm rate of at
    most alpha.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse, stats
from scipy.sparse.linalg import expm_multiply

# ------------------------------------------------------------------------------------------
# Erlang B and Erlang C (M/M/c)
# ------------------------------------------------------------------------------------------


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system with offered load ``a = lam/mu``.

    Computed by the recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``, which is stable
    for any c (every step is a ratio of positive numbers below one).
    """
    if c < 0 or int(c) != c:
        raise ValueError(f"c must be a non-negative integer, got {c}")
    if a < 0:
        raise ValueError(f"offered load must be non-negative, got {a}")
    b = 1.0
    for k in range(1, int(c) + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C probability that an arrival waits, M/M/c with offered load ``a = lam/mu < c``.

    ``C = c B / (c - a (1 - B))`` with B the Erlang B value, which is the stable form of
    ``(a^c/c!) (c/(c-a)) / (sum_{k<c} a^k/k! + (a^c/c!) (c/(c-a)))``.
    """
    if c < 1:
        raise ValueError(f"c must be at least 1, got {c}")
    if not 0 <= a < c:
        raise ValueError(f"Erlang C needs 0 <= a < c (a stable queue), got a={a}, c={c}")
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


@dataclass(frozen=True)
class MMc:
    """Stationary M/M/c FCFS queue: arrival rate ``lam``, service rate ``mu`` per server, c servers.

    Times are in the unit of 1/lam. ``mean_wait`` is Wq (time in queue, before service);
    ``mean_queue_length`` is Lq = lam Wq (Little); ``utilisation`` is lam / (c mu), the long-run
    share of busy server time.
    """

    lam: float
    mu: float
    c: int
    p_wait: float
    mean_wait: float
    mean_queue_length: float
    utilisation: float

    @property
    def offered_load(self) -> float:
        return self.lam / self.mu

    @property
    def mean_time_in_system(self) -> float:
        return self.mean_wait + 1.0 / self.mu

    @property
    def mean_in_system(self) -> float:
        return self.mean_queue_length + self.offered_load

    def wait_cdf(self, t: float | np.ndarray) -> float | np.ndarray:
        """P(Wq <= t) = 1 - C exp(-(c mu - lam) t) for t >= 0 (0 for t < 0)."""
        t_arr = np.asarray(t, dtype=float)
        value = np.where(
            t_arr < 0, 0.0, 1.0 - self.p_wait * np.exp(-(self.c * self.mu - self.lam) * t_arr)
        )
        return float(value) if value.ndim == 0 else value

    def wait_quantile(self, q: float) -> float:
        """The q-quantile of Wq (0 while q <= 1 - C)."""
        if not 0 <= q < 1:
            raise ValueError(f"q must be in [0, 1), got {q}")
        if q <= 1.0 - self.p_wait:
            return 0.0
        return math.log(self.p_wait / (1.0 - q)) / (self.c * self.mu - self.lam)


def mmc(lam: float, mu: float, c: int) -> MMc:
    """The Erlang C M/M/c queue; needs ``lam < c mu``."""
    if lam < 0 or mu <= 0:
        raise ValueError(f"need lam >= 0 and mu > 0, got lam={lam}, mu={mu}")
    a = lam / mu
    p_wait = erlang_c(c, a)
    mean_wait = p_wait / (c * mu - lam)
    return MMc(
        lam=lam,
        mu=mu,
        c=c,
        p_wait=p_wait,
        mean_wait=mean_wait,
        mean_queue_length=lam * mean_wait,
        utilisation=a / c,
    )


def priority_mmc_waits(lams: Sequence[float], mu: float, c: int) -> list[float]:
    """Mean waits in queue of the classes of a non-preemptive priority M/M/c queue (Cobham 1954).

    Class 0 is served first; every class has the same service rate ``mu`` (needed for the formula):
    ``W_k = C(c, a) / (c mu (1 - s_{k-1}) (1 - s_k))`` with ``a = sum(lams) / mu``, C the Erlang C
    probability of waiting and ``s_k = sum(lams[:k + 1]) / (c mu)``. Needs ``sum(lams) < c mu``.
    """
    total = float(sum(lams))
    if c < 1 or mu <= 0 or any(lam < 0 for lam in lams):
        raise ValueError(f"need c >= 1, mu > 0 and rates >= 0, got c={c}, mu={mu}, {lams}")
    p_wait = erlang_c(c, total / mu)
    out, below = [], 0.0
    for lam in lams:
        above = below + lam / (c * mu)
        out.append(p_wait / (c * mu * (1.0 - below) * (1.0 - above)))
        below = above
    return out


# ------------------------------------------------------------------------------------------
# Erlang A (M/M/c+M)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MMcM:
    """Stationary M/M/c+M (Erlang A) queue: exponential patience with rate ``theta``.

    A waiting resident abandons when its patience runs out; a resident in service never abandons.
    ``wait`` is the time spent in the queue whether or not the resident is then served (an abandoner
    contributes its patience), so ``mean_wait = Lq / lam = p_abandon / theta``.
    ``distribution[n]`` is P(n in system) of the truncated chain, n = 0..len-1.
    """

    lam: float
    mu: float
    c: int
    theta: float
    distribution: np.ndarray = field(repr=False)
    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_queue_length: float
    utilisation: float

    @property
    def throughput(self) -> float:
        return self.lam * (1.0 - self.p_abandon)

    @property
    def mean_wait_served(self) -> float:
        """E[wait | served], from the phase-type chain (no closed form used)."""
        return self._served_wait_integral() / (1.0 - self.p_abandon)

    def _queue_generator(self) -> sparse.csc_matrix:
        """Transposed generator of the tagged arrival's position, for evolving a distribution.

        Transient state j (0..K-1, K queue states of the truncated chain) counts the customers
        ahead in the queue; it moves to j-1 at rate c mu + j theta (a service completion or an
        abandonment ahead), and from j = 0 a service completion takes the tagged customer into
        service (absorbing index K). Its own abandonment, rate theta, leads to index K+1.
        """
        k_states = len(self.distribution) - self.c
        c_mu = self.c * self.mu
        j = np.arange(k_states)
        ahead_rate = c_mu + j * self.theta
        to_state = np.concatenate([j, j[1:] - 1, [k_states], np.full(k_states, k_states + 1)])
        from_state = np.concatenate([j, j[1:], [0], j])
        rate = np.concatenate(
            [-(ahead_rate + self.theta), ahead_rate[1:], [c_mu], np.full(k_states, self.theta)]
        )
        size = k_states + 2
        return sparse.csc_matrix((rate, (to_state, from_state)), shape=(size, size))

    def _initial(self) -> np.ndarray:
        """Where an arrival finds itself (PASTA): j customers ahead in queue with P(N = c + j)."""
        k_states = len(self.distribution) - self.c
        p0 = np.zeros(k_states + 2)
        p0[:k_states] = self.distribution[self.c :]
        return p0

    def _transient(self, times: np.ndarray) -> np.ndarray:
        """State distribution of the tagged arrival at each of ``times`` (rows), for t >= 0.

        Steps from one sorted time to the next with ``expm_multiply``, so a grid costs about as
        much as its largest time.
        """
        generator = self._queue_generator()
        order = np.argsort(times)
        out = np.empty((len(times), generator.shape[0]))
        state, now = self._initial(), 0.0
        for i in order:
            if times[i] > now:
                state = expm_multiply(generator * (times[i] - now), state)
                now = times[i]
            out[i] = state
        return out

    def wait_cdf(self, t: float | np.ndarray) -> float | np.ndarray:
        """P(wait <= t) over all arrivals, wait = min(offered wait, patience)."""
        t_arr = np.atleast_1d(np.asarray(t, dtype=float))
        k_states = len(self.distribution) - self.c
        x = self._transient(np.maximum(t_arr, 0.0))
        value = np.where(t_arr < 0, 0.0, 1.0 - x[:, :k_states].sum(axis=1))
        return float(value[0]) if np.ndim(t) == 0 else value

    def served_within(self, t: float | np.ndarray) -> float | np.ndarray:
        """P(served and wait <= t) over all arrivals: the service-level share met within t."""
        t_arr = np.atleast_1d(np.asarray(t, dtype=float))
        x = self._transient(np.maximum(t_arr, 0.0))
        value = np.where(t_arr < 0, 0.0, 1.0 - self.p_wait + x[:, -2])
        return float(value[0]) if np.ndim(t) == 0 else value

    def _served_wait_integral(self) -> float:
        """E[wait ; served] = sum_j P(start j) E[time to reach service ; before abandoning]."""
        # With state-dependent exit rates r_j = c mu + j theta + theta and success probability
        # s_j = (c mu + j theta) / r_j per step, E[T 1{served}] follows by one pass from j = 0 up.
        k_states = len(self.distribution) - self.c
        c_mu = self.c * self.mu
        j = np.arange(k_states)
        forward = c_mu + j * self.theta
        total = forward + self.theta
        succ = forward / total
        hold = 1.0 / total
        # P_j = P(served | start j) = prod_{i<=j} s_i; M_j = E[T 1{served} | start j]
        p_served = np.cumprod(succ)
        # M_j = s_j * (hold_j * P_{j-1} + M_{j-1}) with P_{-1} = 1, M_{-1} = 0
        m = np.empty(k_states)
        prev_p, prev_m = 1.0, 0.0
        for i in range(k_states):
            prev_m = succ[i] * (hold[i] * prev_p + prev_m)
            prev_p = p_served[i]
            m[i] = prev_m
        return float(np.dot(self.distribution[self.c :], m))


def erlang_a(lam: float, mu: float, c: int, theta: float, *, tail: float = 1e-17) -> MMcM:
    """The M/M/c+M (Erlang A) queue from its birth-death chain.

    Birth rate lam in every state; death rate ``min(n, c) mu + max(n - c, 0) theta``. The chain is
    truncated at the first N where the geometric bound on the neglected tail is below ``tail``
    times the largest state probability. ``theta = 0`` gives the (truncated) M/M/c and needs
    lam < c mu; any ``theta > 0`` is stable for every load.
    """
    if lam <= 0 or mu <= 0 or theta < 0 or c < 1:
        raise ValueError(f"need lam, mu > 0, theta >= 0, c >= 1; got {lam}, {mu}, {theta}, {c}")
    if theta == 0 and lam >= c * mu:
        raise ValueError("theta = 0 needs lam < c mu")
    a = lam / mu
    n = np.arange(c + 1)
    log_p_low = n * math.log(a) - np.array([math.lgamma(k + 1) for k in n])
    log_pc = log_p_low[-1]
    log_tail_tol = math.log(tail)
    chunk = 4096
    pieces: list[np.ndarray] = []
    last = log_pc
    k0 = 1
    while True:
        k = np.arange(k0, k0 + chunk)
        logs = last + np.cumsum(math.log(lam) - np.log(c * mu + k * theta))
        pieces.append(logs)
        top = max(float(log_p_low.max()), max(float(p.max()) for p in pieces))
        # The ratios p_{i+1}/p_i = lam / (c mu + (i+1) theta) do not increase, so once the next
        # ratio r is below one the tail beyond i is at most p_i r / (1 - r).
        r_next = lam / (c * mu + (k + 1) * theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = np.where(r_next < 1, logs + np.log(r_next / (1 - r_next)), np.inf)
        done = np.nonzero(bound < top + log_tail_tol)[0]
        if done.size:
            pieces[-1] = logs[: done[0] + 1]
            break
        last = float(logs[-1])
        k0 += chunk
        if k0 > 50_000_000:
            raise ValueError("the queue is too close to instability to truncate")
    log_p = np.concatenate([log_p_low, *pieces])
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    queue = np.maximum(np.arange(len(p)) - c, 0)
    lq = float(np.dot(queue, p))
    busy = float(np.dot(np.minimum(np.arange(len(p)), c), p))
    p_wait = float(p[c:].sum())
    p_abandon = theta * lq / lam
    return MMcM(
        lam=lam,
        mu=mu,
        c=c,
        theta=theta,
        distribution=p,
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait=lq / lam,
        mean_queue_length=lq,
        utilisation=busy / c,
    )


# ------------------------------------------------------------------------------------------
# Kiefer-Wolfowitz: exact FCFS multi-server waits for given arrival and service times
# ------------------------------------------------------------------------------------------


def _check_inputs(arrivals: Sequence[float], services: Sequence[float], c: int) -> None:
    if len(arrivals) != len(services):
        raise ValueError("arrivals and services differ in length")
    if c < 1:
        raise ValueError(f"c must be at least 1, got {c}")
    for i in range(1, len(arrivals)):
        if arrivals[i] < arrivals[i - 1]:
            raise ValueError(f"arrivals must be sorted (index {i})")


def kiefer_wolfowitz(arrivals: Sequence[float], services: Sequence[float], c: int) -> np.ndarray:
    """Each customer's wait in a FCFS queue with c identical servers, in absolute time.

    ``free`` holds the c times at which the servers next become free (a min-heap); customer n
    arriving at ``a_n`` starts at ``max(a_n, min free)`` on the earliest-free server, which is then
    free at ``start + s_n``. ``free - a_n`` clipped at zero and sorted is exactly the
    Kiefer-Wolfowitz workload vector W_n, and the wait is its first component; working in absolute
    time performs the same floating-point operations as an event-driven simulation (start = now,
    wait = start - arrival), so the two agree to the last bit in practice. A server that becomes
    free at time t can serve a customer arriving at t (wait 0).
    """
    _check_inputs(arrivals, services, c)
    free = [-math.inf] * c
    waits = np.empty(len(arrivals))
    for i, (a, s) in enumerate(zip(arrivals, services, strict=True)):
        earliest = free[0]
        start = a if a >= earliest else earliest
        heapq.heapreplace(free, start + s)
        waits[i] = start - a
    return waits


def kiefer_wolfowitz_workload(
    arrivals: Sequence[float], services: Sequence[float], c: int
) -> np.ndarray:
    """The textbook form: ``W_{n+1} = R(W_n + s_n e_1 - (a_{n+1} - a_n) 1)^+``, R sorting ascending.

    Equal to :func:`kiefer_wolfowitz` up to rounding (it works with differences of arrival times),
    kept as a cross-check of the absolute-time form.
    """
    _check_inputs(arrivals, services, c)
    work = [0.0] * c
    waits = np.empty(len(arrivals))
    for i in range(len(arrivals)):
        waits[i] = work[0]
        if i + 1 == len(arrivals):
            break
        gap = arrivals[i + 1] - arrivals[i]
        work[0] += services[i]
        work = sorted(max(w - gap, 0.0) for w in work)
    return waits


@dataclass(frozen=True)
class FCFSOutcome:
    """Per-customer outcome of :func:`fcfs_multiserver`, all arrays in arrival order.

    ``waits``: time from arrival to start of service, or to leaving the queue unserved.
    ``starts``: service start (NaN if not served). ``leaves``: service end, or the moment an
    unserved customer left. ``served`` / ``abandoned`` / ``sent_home`` partition the customers.
    ``overtime``: served customers whose service started inside a closure they arrived before.
    """

    waits: np.ndarray
    starts: np.ndarray
    leaves: np.ndarray
    served: np.ndarray
    abandoned: np.ndarray
    sent_home: np.ndarray
    overtime: np.ndarray


def _sorted_intervals(
    intervals: Sequence[tuple[float, float]], name: str
) -> list[tuple[float, float]]:
    out = sorted((float(s), float(e)) for s, e in intervals)
    for s, e in out:
        if not s < e:
            raise ValueError(f"{name}: interval ({s}, {e}) must have start < end")
    return out


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for s, e in intervals:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def fcfs_multiserver(
    arrivals: Sequence[float],
    services: Sequence[float],
    c: int,
    *,
    patience: Sequence[float] | None = None,
    closed: Sequence[tuple[float, float]] = (),
    closures: Sequence[tuple[float, float]] = (),
    overtime: bool = True,
) -> FCFSOutcome:
    """Exact FCFS waits with c servers, patience, breaks and daily closures.

    Semantics, for customer n arriving at ``a_n`` with service time ``s_n``:

    * **FCFS with c servers.** The customer takes the earliest-free server; its earliest possible
      start is ``t = max(a_n, min free)``.
    * **Closed intervals** (``closed``, e.g. lunch breaks), half-open ``[start, end)``: no service
      may start inside one, for anybody. A start that would fall inside moves to ``end`` (a
      server that frees up during lunch, or a resident arriving during lunch, waits for ``end``).
      A service in progress when the interval begins runs to completion. A start at exactly
      ``end`` is allowed, one at exactly ``start`` is not. Overlapping intervals are merged.
    * **Closures** (``closures``, e.g. ``(17:00, 08:30 next day)``), half-open ``[close, reopen)``
      and non-overlapping: they block the start of service only for customers who arrive at or after
      ``close``; these wait for ``reopen``. Customers who arrived before ``close`` and are still
      queued are, with ``overtime=True``, served as servers free up, through the closure if need
      be (flagged ``overtime`` when their service starts inside ``[close, reopen)``; a backlog
      that outlasts the night simply carries on after ``reopen``). With ``overtime=False`` they
      are sent home at ``close`` (``sent_home``, wait = close - a_n) unless their patience ran
      out first (abandonment at ``a_n + p_n < close``).
    * **Patience** (optional, one value per customer): if the start would come strictly later than
      ``a_n + p_n``, the customer abandons at ``a_n + p_n`` (wait = p_n) and never occupies a
      server; ties go to service. The patience clock runs through breaks and closures. This is exact
      for FCFS: an abandoner never delays anyone, because those behind it only see the servers.

    Start times are nondecreasing in arrival order, so the c servers are used first-come first-
    served exactly as in an event-driven simulation with one FIFO queue.
    """
    _check_inputs(arrivals, services, c)
    if patience is not None and len(patience) != len(arrivals):
        raise ValueError("patience must have one value per customer")
    breaks = _merge(_sorted_intervals(closed, "closed"))
    shut = _sorted_intervals(closures, "closures")
    for (_, e1), (s2, _) in zip(shut, shut[1:], strict=False):
        if s2 < e1:
            raise ValueError("closures must not overlap")
    break_starts = [s for s, _ in breaks]
    shut_starts = [s for s, _ in shut]

    n = len(arrivals)
    waits = np.empty(n)
    starts = np.full(n, np.nan)
    leaves = np.empty(n)
    served = np.zeros(n, dtype=bool)
    abandoned = np.zeros(n, dtype=bool)
    sent_home = np.zeros(n, dtype=bool)
    in_overtime = np.zeros(n, dtype=bool)
    free = [-math.inf] * c

    for i in range(n):
        a = float(arrivals[i])
        t = max(a, free[0])
        # push t out of every interval that blocks this customer, until none does
        while True:
            moved = False
            k = bisect_right(break_starts, t) - 1
            if k >= 0 and t < breaks[k][1]:
                t = breaks[k][1]
                moved = True
            k = bisect_right(shut_starts, t) - 1
            if k >= 0 and t < shut[k][1] and a >= shut[k][0]:
                t = shut[k][1]
                moved = True
            if not moved:
                break
        # the first closure starting after the arrival and at or before the start, if any
        k = bisect_right(shut_starts, a)
        closing = shut_starts[k] if k < len(shut_starts) and shut_starts[k] <= t else None
        # overtime: the start falls inside a closure that began after the customer arrived
        k = bisect_right(shut_starts, t) - 1
        inside_later_closure = k >= 0 and t < shut[k][1] and shut[k][0] > a
        give_up = a + float(patience[i]) if patience is not None else math.inf
        if closing is not None and not overtime and closing <= give_up:
            sent_home[i] = True
            leaves[i] = closing
            waits[i] = closing - a
        elif t > give_up:
            abandoned[i] = True
            leaves[i] = give_up
            waits[i] = give_up - a
        else:
            served[i] = True
            starts[i] = t
            waits[i] = t - a
            leaves[i] = t + float(services[i])
            heapq.heapreplace(free, leaves[i])
            in_overtime[i] = inside_later_closure
    return FCFSOutcome(waits, starts, leaves, served, abandoned, sent_home, in_overtime)


# ------------------------------------------------------------------------------------------
# Confidence intervals: batch means, replications, Bonferroni
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A point estimate with the standard error and degrees of freedom behind its t interval."""

    mean: float
    std_error: float
    dof: int
    alpha: float
    batch_means: np.ndarray = field(repr=False)

    @property
    def half_width(self) -> float:
        return self.half_width_at(self.alpha)

    def half_width_at(self, alpha: float) -> float:
        """Two-sided (1 - alpha) Student-t half-width."""
        return float(stats.t.ppf(1.0 - alpha / 2.0, self.dof) * self.std_error)

    def covers(self, value: float, alpha: float | None = None) -> bool:
        return abs(self.mean - value) <= self.half_width_at(self.alpha if alpha is None else alpha)

    @property
    def lag1_autocorrelation(self) -> float:
        """Lag-1 autocorrelation of the batch means: near 0 when batches are long enough."""
        x = self.batch_means - self.batch_means.mean()
        denom = float(np.dot(x, x))
        return float(np.dot(x[:-1], x[1:]) / denom) if denom > 0 else 0.0


def student_t_ci(values: Sequence[float] | np.ndarray, alpha: float = 0.05) -> Estimate:
    """Mean of independent values (e.g. replications) with its Student-t interval."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise ValueError("need at least two values for a confidence interval")
    return Estimate(
        mean=float(x.mean()),
        std_error=float(x.std(ddof=1) / math.sqrt(x.size)),
        dof=x.size - 1,
        alpha=alpha,
        batch_means=x,
    )


def batch_means(
    series: Sequence[float] | np.ndarray,
    n_batches: int = 20,
    *,
    alpha: float = 0.05,
    warmup: int = 0,
) -> Estimate:
    """Batch-means estimate of the steady-state mean of an autocorrelated series.

    The first ``warmup`` values are dropped, the rest cut into ``n_batches`` consecutive batches of
    equal size (the remainder at the end is dropped); the batch means are treated as independent
    and normal, giving a Student-t interval with ``n_batches - 1`` degrees of freedom. Batches must
    be much longer than the series' correlation time: check ``lag1_autocorrelation``.
    """
    x = np.asarray(series, dtype=float)[warmup:]
    if n_batches < 2:
        raise ValueError("need at least two batches")
    size = x.size // n_batches
    if size < 1:
        raise ValueError(f"{x.size} values cannot make {n_batches} batches")
    means = x[: size * n_batches].reshape(n_batches, size).mean(axis=1)
    return student_t_ci(means, alpha)


def bonferroni_alpha(family_alpha: float, comparisons: int) -> float:
    """Per-comparison alpha: m comparisons then have family-wise error <= ``family_alpha``."""
    if comparisons < 1 or not 0 < family_alpha < 1:
        raise ValueError("need comparisons >= 1 and 0 < family_alpha < 1")
    return family_alpha / comparisons


def bonferroni_tolerance(estimate: Estimate, comparisons: int, family_alpha: float = 0.01) -> float:
    """Half-width to use as a test tolerance when ``comparisons`` such checks run together."""
    return estimate.half_width_at(bonferroni_alpha(family_alpha, comparisons))
