"""Small statistics for the programme evaluation: Student's t distribution (two-sided p-values and the
quantile behind a 95% interval) and Welch's two-sample t-test, from means, variances and counts.

Written here because scipy is not a dependency and one distribution does not justify it. The t tail comes
from the regularized incomplete beta function, evaluated by its continued fraction (modified Lentz
method), which converges quickly for x below (a + 1) / (a + b + 2); above it the symmetry
I_x(a, b) = 1 - I_{1-x}(b, a) is used. tests/test_programme.py checks it against closed forms (one and two
degrees of freedom) and printed t tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_TINY = 1e-300  # keeps the continued fraction's terms away from a division by zero
_EPSILON = 1e-14
_MAX_TERMS = 500


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b): the regularized incomplete beta function, for 0 <= x <= 1 and a, b > 0."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x must lie in [0, 1], not {x!r}")
    if x in (0.0, 1.0):
        return x
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - regularized_beta(1.0 - x, b, a)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    return math.exp(log_front) * _beta_fraction(x, a, b) / a


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b), evaluated term by term until a term no longer changes it."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    fraction = d
    for m in range(1, _MAX_TERMS + 1):
        # Two steps per m: the even term m(b - m)x / ((a + 2m - 1)(a + 2m)), then the odd one.
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            step = c * d
            fraction *= step
        if abs(step - 1.0) < _EPSILON:
            return fraction
    return fraction


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom (df > 0, not necessarily whole)."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, not {df!r}")
    if math.isinf(t):
        return 0.0
    return regularized_beta(df / (df + t * t), df / 2.0, 0.5)


def t_quantile(p_two_sided: float, df: float) -> float:
    """The t > 0 with P(|T| >= t) = p_two_sided (e.g. 0.05 gives the 97.5% point), by bisection."""
    if not 0.0 < p_two_sided < 1.0:
        raise ValueError(f"the probability must lie strictly between 0 and 1, not {p_two_sided!r}")
    low, high = 0.0, 1.0
    while t_two_sided_p(high, df) > p_two_sided:  # the tail shrinks as t grows: widen until it is below
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_two_sided_p(middle, df) > p_two_sided:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


@dataclass(frozen=True)
class Sample:
    """What a test needs of one group: its mean, its sample variance (divided by n - 1) and its size."""

    mean: float
    variance: float
    n: float


@dataclass(frozen=True)
class Welch:
    """Welch's t-test of `second` against `first`: t > 0 when the second mean is higher."""

    t: float
    df: float
    p: float


def welch(first: Sample, second: Sample) -> Welch | None:
    """Welch's unequal-variance t-test; None when it cannot be made (a group of fewer than two, or no
    spread in either group, where a difference has nothing to be measured against).

    t = (m2 - m1) / sqrt(v1/n1 + v2/n2), and the Welch-Satterthwaite degrees of freedom
    df = (v1/n1 + v2/n2)^2 / ((v1/n1)^2 / (n1 - 1) + (v2/n2)^2 / (n2 - 1)).
    """
    if first.n < 2 or second.n < 2:
        return None
    a, b = first.variance / first.n, second.variance / second.n
    if a + b <= 0:
        return None
    t = (second.mean - first.mean) / math.sqrt(a + b)
    df = (a + b) ** 2 / (a * a / (first.n - 1) + b * b / (second.n - 1))
    return Welch(t, df, t_two_sided_p(t, df))


def mean_interval(values: list[float], level_p: float = 0.05) -> tuple[float, float] | None:
    """The t interval mean ± t(df = k - 1) · s / √k of k values (95% by default); None below two values."""
    k = len(values)
    if k < 2:
        return None
    mean = sum(values) / k
    variance = sum((v - mean) ** 2 for v in values) / (k - 1)
    half = t_quantile(level_p, k - 1) * math.sqrt(variance / k)
    return mean - half, mean + half


def sample_of(values: list[float]) -> Sample:
    """A Sample of plain values (each counted once)."""
    k = len(values)
    mean = sum(values) / k if k else math.nan
    variance = sum((v - mean) ** 2 for v in values) / (k - 1) if k > 1 else math.nan
    return Sample(mean, variance, k)
