"""Named random streams and the distributions drawn from them.

Every random source has its own :class:`numpy.random.Generator`, seeded from the root seed, the
replication number and the *name* of the source (site id, stream, purpose), never from the order in
which sources are created. Adding a community therefore leaves every other community's draws alone,
and two scenarios run with the same seed see the same residents: comparisons are paired (common
random numbers).

Service times, patience and the like are drawn by inversion from one uniform per resident, so a
resident keeps its rank in the distribution when a parameter changes (the strongest coupling for
paired comparisons and sensitivity runs).
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy import special

from jiedao.scenarios.schema import Deterministic, Empirical, Exponential, Gamma, Lognormal

Dist = Exponential | Lognormal | Gamma | Deterministic | Empirical


def name_words(name: str) -> list[int]:
    """A stable 128-bit key for a name, as four 32-bit words (Python's hash() is salted)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()[:16]
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def generator(
    seed: int, replication: int, site: str, stream: str, purpose: str
) -> np.random.Generator:
    entropy = [seed & 0xFFFFFFFF, seed >> 32, replication]
    sequence = np.random.SeedSequence(entropy + name_words(f"{site}|{stream}|{purpose}"))
    return np.random.Generator(np.random.PCG64(sequence))


# Root seeds derived for a purpose of a workflow, not of a site: the plan's check, the window
# clerks' check, the demand draws of sensitivity analysis and their simulations. Each is a name,
# like the engine's streams, never arithmetic on the seed.
# The plan's repair loop: round r measures the failing communities again on "repair-measure-r" and
# checks the re-solved allocation on "repair-check-r"; the last check, after any repair, runs on
# "final-check", which no round sees.
REPAIR_ROUNDS_MAX = 8
PURPOSES = (
    "check",
    "clerk-check",
    "demand-factors",
    "demand-check",
    *(f"repair-measure-{r}" for r in range(1, REPAIR_ROUNDS_MAX + 1)),
    *(f"repair-check-{r}" for r in range(1, REPAIR_ROUNDS_MAX + 1)),
    "final-check",
    "clerk-measure",
    "clerk-final-check",
)


def derived_seed(seed: int, purpose: str) -> int:
    """The root seed for ``purpose`` (one of :data:`PURPOSES`): 63 bits of SHA-256 of the root
    seed and the name, so that residents drawn for it are independent of every other purpose's
    and still the same for the same seed."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}; known: {', '.join(PURPOSES)}")
    digest = hashlib.sha256(f"jiedao|{seed}|{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def purpose_generator(seed: int, purpose: str) -> np.random.Generator:
    """A generator for draws a workflow makes itself (sensitivity's demand factors)."""
    sequence = np.random.SeedSequence(name_words(f"{seed}|{purpose}") + [seed & 0xFFFFFFFF])
    return np.random.Generator(np.random.PCG64(sequence))


def inverse_cdf(dist: Dist, u: np.ndarray) -> np.ndarray:
    """Values of ``dist`` at probabilities ``u`` (in [0, 1))."""
    u = np.asarray(u, dtype=float)
    if isinstance(dist, Exponential):
        return -dist.mean * np.log1p(-u)
    if isinstance(dist, Lognormal):
        sigma2 = np.log1p(dist.cv**2)
        mu = np.log(dist.mean) - sigma2 / 2.0
        return np.exp(mu + np.sqrt(sigma2) * special.ndtri(np.clip(u, 1e-300, None)))
    if isinstance(dist, Gamma):
        shape = 1.0 / dist.cv**2
        return special.gammaincinv(shape, u) * (dist.mean / shape)
    if isinstance(dist, Deterministic):
        return np.full(u.shape, float(dist.value))
    values = np.asarray(dist.values, dtype=float)
    return values[np.minimum((u * len(values)).astype(np.int64), len(values) - 1)]
