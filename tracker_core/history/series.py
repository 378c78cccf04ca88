"""A metric history as arrays, step ranges, downsampling that keeps spikes, and EMA smoothing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy.typing as npt


@dataclass(frozen=True)
class Series:
    """One metric's points as numpy arrays, sorted by step (points of equal step stay in logged order).

    ``total`` counts the points of the history (or of the step range asked for) before downsampling;
    ``downsampled`` says whether the arrays hold fewer points than that.
    """

    key: str
    steps: npt.NDArray[Any]
    """int64 steps."""
    values: npt.NDArray[Any]
    """float64 values (NaN and infinities as logged)."""
    times: npt.NDArray[Any]
    """float64 unix times of logging."""
    total: int
    downsampled: bool = False

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def from_records(cls, key: str, records: npt.NDArray[Any]) -> Series:
        """A series from a record array in logged order (fields s, v, t)."""
        import numpy as np

        steps = records["s"]
        if len(steps) > 1 and bool(np.any(steps[1:] < steps[:-1])):
            records = records[np.argsort(steps, kind="stable")]
        return cls(
            key,
            np.ascontiguousarray(records["s"]),
            np.ascontiguousarray(records["v"]),
            np.ascontiguousarray(records["t"]),
            len(records),
        )

    def between(self, start: int | None = None, end: int | None = None) -> Series:
        """The points with ``start <= step <= end`` (either bound may be None)."""
        import numpy as np

        lo = 0 if start is None else int(np.searchsorted(self.steps, start, side="left"))
        hi = len(self.steps) if end is None else int(np.searchsorted(self.steps, end, side="right"))
        return Series(self.key, self.steps[lo:hi], self.values[lo:hi], self.times[lo:hi], hi - lo)

    def downsample(self, buckets: int) -> Series:
        """At most about ``3 * buckets`` points: per equal step-width bucket its min, max and last point.

        Every bucket's smallest and largest value (NaN ignored unless the bucket holds nothing else)
        are kept with their steps and times, so spikes stay visible; "last" is the bucket's point of
        highest step. A series no longer than ``buckets`` is returned as it is.
        """
        import numpy as np

        if buckets < 1:
            raise ValueError("buckets must be at least 1")
        n = len(self.steps)
        if n <= buckets:
            return self
        steps = self.steps
        lo, hi = int(steps[0]), int(steps[-1])
        width = (hi - lo + 1) / buckets
        edges = lo + np.ceil(np.arange(buckets) * width).astype(np.int64)
        starts = np.unique(np.searchsorted(steps, edges, side="left"))
        starts = starts[starts < n]
        ends = np.append(starts[1:], n)
        counts = ends - starts
        bucket_of = np.repeat(np.arange(len(starts)), counts)
        values = self.values
        with np.errstate(invalid="ignore"):
            bmin = np.fmin.reduceat(values, starts)
            bmax = np.fmax.reduceat(values, starts)
        keep = [ends - 1]
        for target in (bmin, bmax):
            hits = np.flatnonzero(values == np.repeat(target, counts))
            _, first = np.unique(bucket_of[hits], return_index=True)
            keep.append(hits[first])
        idx = np.unique(np.concatenate(keep))
        return Series(self.key, steps[idx], values[idx], self.times[idx], self.total, True)


def ema(values: Any, weight: float) -> npt.NDArray[Any]:
    """TensorBoard's debiased exponential moving average (``weight`` in [0, 1); non-finite values pass through).

    A non-finite value does not enter the average and is returned unchanged at its position.
    """
    import numpy as np

    if not 0.0 <= weight < 1.0:
        raise ValueError("smoothing weight must be in [0, 1)")
    vals: npt.NDArray[Any] = np.asarray(values, dtype=np.float64)
    out: npt.NDArray[Any] = vals.copy()
    last = 0.0
    seen = 0
    for i, v in enumerate(vals.tolist()):
        if not math.isfinite(v):
            continue
        last = last * weight + (1.0 - weight) * v
        seen += 1
        out[i] = last / (1.0 - weight**seen) if weight else v
    return out
