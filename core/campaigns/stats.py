"""The statistics of a campaign: the random split into treated and control, and the differences between
the groups with their intervals. Pure numpy and scipy; no database.

- `split_groups`: which customers form the control group, stratified by risk band and reproducible from
  a seed.
- `mean_difference`: treated mean minus control mean with a Welch interval (Student's t with the
  Welch-Satterthwaite degrees of freedom), for visits and revenue per customer.
- `proportion_difference`: treated share minus control share with Newcombe's interval (his method 10,
  built from the two Wilson intervals), for churn; it stays sensible when a share is near 0 or 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from core.i18n import _

LEVEL = 0.90  # the intervals shown are 90% intervals


@dataclass(frozen=True)
class Difference:
    """treated − control, with its interval at `level`; the groups' sizes and values."""

    treated: float
    control: float
    diff: float
    lo: float
    hi: float
    n_treated: int
    n_control: int
    level: float = LEVEL

    @property
    def clear(self) -> bool:
        """Whether the interval excludes zero (the difference is clear at this level)."""
        return self.lo > 0 or self.hi < 0

    def scaled(self, factor: float, shift: float = 0.0) -> tuple[float, float, float]:
        """(diff, lo, hi) × factor + shift: e.g. per customer -> for every treated customer, less a cost."""
        ends = sorted((self.lo * factor + shift, self.hi * factor + shift))
        return self.diff * factor + shift, ends[0], ends[1]

    def to_dict(self) -> dict[str, float]:
        return {"treated": self.treated, "control": self.control, "diff": self.diff, "lo": self.lo,
                "hi": self.hi, "n_treated": self.n_treated, "n_control": self.n_control, "level": self.level}


def _values(x: Sequence[float] | np.ndarray, what: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{what} must be a flat list of numbers")
    if not np.isfinite(a).all():
        raise ValueError(f"{what} holds a missing or infinite value")
    return a


def mean_difference(treated: Sequence[float] | np.ndarray, control: Sequence[float] | np.ndarray,
                    level: float = LEVEL) -> Difference:
    """Difference of means with Welch's interval. Each group needs at least two customers; when both
    groups have no spread at all the interval is the difference itself."""
    t, c = _values(treated, "the treated values"), _values(control, "the control values")
    if len(t) < 2 or len(c) < 2:
        raise ValueError(_("each group needs at least two customers to measure a difference"))
    _level(level)
    vt, vc = t.var(ddof=1) / len(t), c.var(ddof=1) / len(c)
    diff = float(t.mean() - c.mean())
    se2 = vt + vc
    if se2 <= 0:
        return Difference(float(t.mean()), float(c.mean()), diff, diff, diff, len(t), len(c), level)
    df = se2 ** 2 / (vt ** 2 / (len(t) - 1) + vc ** 2 / (len(c) - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * float(np.sqrt(se2))
    return Difference(float(t.mean()), float(c.mean()), diff, diff - half, diff + half, len(t), len(c), level)


def _wilson(successes: float, n: int, z: float) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def proportion_difference(treated: Sequence[bool] | np.ndarray, control: Sequence[bool] | np.ndarray,
                          level: float = LEVEL) -> Difference:
    """Difference of two shares (treated − control) with Newcombe's hybrid Wilson interval."""
    t = _values(treated, "the treated outcomes")
    c = _values(control, "the control outcomes")
    if len(t) < 1 or len(c) < 1:
        raise ValueError(_("each group needs at least one customer to measure a difference"))
    if not (np.isin(t, (0, 1)).all() and np.isin(c, (0, 1)).all()):
        raise ValueError("a share is measured from yes/no outcomes (0 or 1)")
    _level(level)
    z = float(stats.norm.ppf(0.5 + level / 2))
    p1, p2 = float(t.mean()), float(c.mean())
    l1, u1 = _wilson(t.sum(), len(t), z)
    l2, u2 = _wilson(c.sum(), len(c), z)
    diff = p1 - p2
    lo = diff - float(np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2))
    hi = diff + float(np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    return Difference(p1, p2, diff, lo, hi, len(t), len(c), level)


def _level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError("the interval's level must be between 0 and 1, e.g. 0.9")


def split_groups(user_ids: Sequence[int] | np.ndarray, strata: Sequence[str] | np.ndarray,
                 control_share: float, seed: int) -> np.ndarray:
    """Which customers are held out as the control group (True) and which are contacted (False).

    Within each stratum (risk band), the customers are put in user-id order, shuffled by a generator
    seeded with `seed`, and the first round(control_share × n) form the control. The same customers,
    strata, share and seed always give the same split, whatever order they come in.
    """
    ids = np.asarray(user_ids, dtype=np.int64)
    bands = np.asarray([str(b) for b in strata], dtype=object)
    if ids.ndim != 1 or len(ids) != len(bands):
        raise ValueError("every customer needs one risk band")
    if len(np.unique(ids)) != len(ids):
        raise ValueError("a customer is listed twice")
    if not 0 < control_share < 1:
        raise ValueError("the control share must be between 0 and 1 (e.g. 0.15)")
    if int(seed) < 0:
        raise ValueError("the seed must be zero or positive")
    control = np.zeros(len(ids), dtype=bool)
    rng = np.random.default_rng(int(seed))
    for band in sorted(set(bands)):
        members = np.flatnonzero(bands == band)
        members = members[np.argsort(ids[members], kind="stable")]
        shuffled = members[rng.permutation(len(members))]
        control[shuffled[:int(round(control_share * len(members)))]] = True
    return control
