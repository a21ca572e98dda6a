"""How a claim's per-seed values become a verdict: one stated rule.

**Noise rule.** Every claim part compares a per-seed quantity ``d`` with what the paper predicts. With ``m`` the
mean of ``d`` over the seeds and ``se`` its standard error (std / sqrt(n)), a difference counts only when it
exceeds twice its standard error:

* "d > 0" (an effect): *reproduced* if ``m - 2 se > 0``, *not reproduced* if ``m + 2 se < 0``, else *inconclusive*;
* "d >= -tol" (at least as good, within ``tol``): *reproduced* if ``m - 2 se > -tol``, *not reproduced* if
  ``m + 2 se < -tol``, else *inconclusive*;
* "|d| < tol" (changes little): *reproduced* if ``|m| + 2 se < tol``, *not reproduced* if ``|m| - 2 se > tol``,
  else *inconclusive*.

With one seed ``se`` is undefined and every verdict is *inconclusive*. A claim with several parts is
reproduced when every part is, not reproduced when any part is, and inconclusive otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")


def judge_effect(values: Sequence[float]) -> str:
    """Verdict on "d > 0" by the noise rule."""
    m, se = _mean_se(values)
    if np.isnan(se):
        return INCONCLUSIVE
    return REPRODUCED if m - 2 * se > 0 else NOT_REPRODUCED if m + 2 * se < 0 else INCONCLUSIVE


def judge_at_least(values: Sequence[float], tol: float) -> str:
    """Verdict on "d >= -tol" (non-inferiority) by the noise rule."""
    m, se = _mean_se(values)
    if np.isnan(se):
        return INCONCLUSIVE
    return REPRODUCED if m - 2 * se > -tol else NOT_REPRODUCED if m + 2 * se < -tol else INCONCLUSIVE


def judge_within(values: Sequence[float], tol: float) -> str:
    """Verdict on "|d| < tol" (equivalence) by the noise rule."""
    m, se = _mean_se(values)
    if np.isnan(se):
        return INCONCLUSIVE
    return REPRODUCED if abs(m) + 2 * se < tol else NOT_REPRODUCED if abs(m) - 2 * se > tol else INCONCLUSIVE


def judge(values: Sequence[float], rule: str, tolerance: float = 0.0) -> str:
    """The verdict of ``rule`` (``effect``, ``at_least``, ``within``) on the per-seed values."""
    if rule == "effect":
        return judge_effect(values)
    if rule == "at_least":
        return judge_at_least(values, tolerance)
    if rule == "within":
        return judge_within(values, tolerance)
    raise ValueError(f"unknown rule {rule!r}; expected effect, at_least or within")


def combine(verdicts: Sequence[str]) -> str:
    """A claim's verdict from its parts'."""
    if all(v == REPRODUCED for v in verdicts):
        return REPRODUCED
    return NOT_REPRODUCED if NOT_REPRODUCED in verdicts else INCONCLUSIVE
