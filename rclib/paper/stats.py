"""How a claim's per-seed values become a verdict: one rule, stated here with its reasoning.

**The values.** Every claim part compares a per-seed quantity ``d``: a paired difference between two configurations
trained with the same seed and scored on the same test images, or one configuration's own change. Seeds are fixed
by the analysis plan (:mod:`rclib.paper.plan`) before any run is looked at.

**The interval.** With ``m`` the mean of ``d`` over ``n`` seeds, ``s`` its sample standard deviation and
``se_test`` the test-sampling error of ``m`` (a paired bootstrap over test images, where the plan measures it; 0
elsewhere), the standard error is ``se = sqrt(s^2 / n + se_test^2)`` and the interval is Student's:
``m +- t_q(n - 1) * se``. Student's t, not a normal quantile: with 3 seeds the 97.5% quantile is 4.30, and
"twice the standard error" would be an 82% interval.

**The three kinds of claim** (Schuirmann's one-sided tests for the last two):

* an effect, "d > 0": the two-sided 95% interval (q = 0.975) lies above 0: *reproduced*; below 0: *not
  reproduced*; otherwise *inconclusive*;
* at least as good, "d >= -tol" (non-inferiority): the one-sided 95% bound ``m - t_0.95 se`` lies above ``-tol``:
  *reproduced*; the upper one ``m + t_0.95 se`` lies below ``-tol``: *not reproduced*; otherwise *inconclusive*
  (the two bounds are the ends of the two-sided 90% interval);
* changes little, "|d| < tol" (equivalence, TOST): the two-sided 90% interval lies inside ``(-tol, tol)``:
  *reproduced*; entirely outside it: *not reproduced*; otherwise *inconclusive*.

With one seed there is no spread and every verdict is *inconclusive*. A claim with several parts is reproduced when
every part is, not reproduced when any part is, and inconclusive otherwise. :func:`seeds_needed` is the power
calculation the plan's seed counts come from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
RULES = ("effect", "at_least", "within")
# the two-sided level of the interval each rule reads: 95% for an effect, 90% (two one-sided 95% bounds) otherwise
LEVEL = {"effect": 0.95, "at_least": 0.90, "within": 0.90}


@dataclass(frozen=True)
class Interval:
    """A two-sided Student-t interval of the mean of per-seed values, widened by the test-sampling error."""

    mean: float
    low: float
    high: float
    level: float
    n: int
    se: float  # the standard error the interval is built on (seeds and test sampling together)
    se_seeds: float  # s / sqrt(n): the seeds' share
    se_test: float  # the test set's share (0 where it is not measured)


def interval(values: Sequence[float], level: float = 0.95, se_test: float = 0.0) -> Interval:
    """The two-sided ``level`` interval of the mean of ``values`` (NaN bounds with fewer than two values)."""
    v = np.asarray(values, dtype=float)
    m = float(v.mean())
    if v.size < 2:
        return Interval(m, float("nan"), float("nan"), level, int(v.size), float("nan"), float("nan"), se_test)
    se_seeds = float(v.std(ddof=1) / np.sqrt(v.size))
    se = float(np.hypot(se_seeds, se_test))
    half = float(stats.t.ppf(0.5 + level / 2, df=v.size - 1)) * se
    return Interval(m, m - half, m + half, level, int(v.size), se, se_seeds, se_test)


def verdict_of(ci: Interval, rule: str, tolerance: float = 0.0) -> str:
    """The verdict of ``rule`` read off the interval ``ci`` (built at :data:`LEVEL` [rule])."""
    if np.isnan(ci.low):
        return INCONCLUSIVE
    if rule == "effect":
        boundary_low = boundary_high = 0.0
    elif rule == "at_least":
        boundary_low = boundary_high = -tolerance
    elif rule == "within":
        if -tolerance < ci.low and ci.high < tolerance:
            return REPRODUCED
        return NOT_REPRODUCED if ci.low > tolerance or ci.high < -tolerance else INCONCLUSIVE
    else:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    if ci.low > boundary_low:
        return REPRODUCED
    return NOT_REPRODUCED if ci.high < boundary_high else INCONCLUSIVE


def judge(values: Sequence[float], rule: str, tolerance: float = 0.0, se_test: float = 0.0) -> tuple[str, Interval]:
    """The verdict of ``rule`` on the per-seed ``values`` and the interval it was read from."""
    if rule not in LEVEL:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    ci = interval(values, LEVEL[rule], se_test)
    return verdict_of(ci, rule, tolerance), ci


def combine(verdicts: Sequence[str]) -> str:
    """A claim's verdict from its parts'."""
    if all(v == REPRODUCED for v in verdicts):
        return REPRODUCED
    return NOT_REPRODUCED if NOT_REPRODUCED in verdicts else INCONCLUSIVE


def seeds_needed(spread: float, margin: float, rule: str = "effect", *, power: float = 0.8, floor: int = 3) -> int:
    """Seeds to tell a true mean ``margin`` away from the rule's boundary with probability ``power``, when the
    per-seed values spread by ``spread`` (their standard deviation): the smallest ``n >= floor`` with
    ``n >= ((t_a(n-1) + t_power(n-1)) * spread / margin)^2``, ``a`` the rule's one-sided level (0.975 for an
    effect, 0.95 otherwise). For equivalence the margin is the distance from the expected value to either
    tolerance, and the power quantile is two-sided (both bounds must clear)."""
    if spread <= 0 or margin <= 0:
        raise ValueError(f"spread={spread} and margin={margin} must be positive")
    a = 0.5 + LEVEL[rule] / 2
    b = 0.5 + power / 2 if rule == "within" else power
    n = floor
    while n < 1000:
        need = ((stats.t.ppf(a, n - 1) + stats.t.ppf(b, n - 1)) * spread / margin) ** 2
        if n >= need:
            return n
        n += 1
    raise ValueError(f"more than 1000 seeds needed for spread {spread} and margin {margin}")


def auroc_differences(scores: np.ndarray, labels: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """I-AUROC (in points) of each row of ``scores`` (runs x images) on each bootstrap resample of images
    (``resamples``: resamples x images, indices); returns resamples x runs. Ties count one half, as
    scikit-learn's ``roc_auc_score``."""
    out = np.empty((len(resamples), len(scores)))
    for k, idx in enumerate(resamples):
        y = labels[idx]
        pos, neg = y.sum(), len(y) - y.sum()
        ranks = stats.rankdata(scores[:, idx], axis=1)
        out[k] = (ranks[:, y == 1].sum(axis=1) - pos * (pos + 1) / 2) / (pos * neg) * 100
    return out


def bootstrap_indices(labels: np.ndarray, n: int = 1000, seed: int = 0) -> np.ndarray:
    """``n`` stratified bootstrap resamples of the test images (normal and defective resampled apart, so every
    resample keeps both classes): n x images indices."""
    rng = np.random.default_rng(seed)
    normal, defective = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
    return np.stack(
        [np.concatenate([rng.choice(normal, normal.size), rng.choice(defective, defective.size)]) for _ in range(n)]
    )


def paired_test_se(treated: np.ndarray, control: np.ndarray, labels: np.ndarray, n: int = 1000) -> float:
    """The test-sampling standard error of the mean over seeds of ``I-AUROC(treated) - I-AUROC(control)``: a
    paired bootstrap that resamples the same test images for every run (``treated``, ``control``: seeds x
    images scores on one test set)."""
    idx = bootstrap_indices(labels, n)
    diff = auroc_differences(treated, labels, idx) - auroc_differences(control, labels, idx)
    return float(diff.mean(axis=1).std(ddof=1))
