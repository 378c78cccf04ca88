"""Axes of the run plots (scatter, parallel coordinates): one param or metric across runs.

Pure functions over run summaries, no Textual: read a column's value in each run, decide
whether the axis is numeric or categorical, map values to plot space (log10 on a log axis,
the category's index on a categorical one) and label its ticks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tracker_core.query import getter_for, quote_part
from tracker_core.records import RunSummary

from ..formatting import cell, ellipsize

MAX_CATEGORIES = 60
"""Distinct values a categorical axis keeps apart; the rest share one "other" position."""
OTHER = "other"


def axis_label(key: str) -> str:
    """``params.lr`` -> ``lr``; an aggregate keeps its suffix (``loss.min``)."""
    return key.split(".", 1)[-1].replace("`", "")


def axis_keys(runs: Sequence[RunSummary]) -> tuple[list[str], list[str]]:
    """The metric keys and the param keys these runs have (each sorted case-insensitively)."""
    metrics: set[str] = set()
    params: set[str] = set()
    for run in runs:
        metrics.update(run.metrics)
        params.update(run.params)
    return (
        [f"metrics.{quote_part(k)}" for k in sorted(metrics, key=str.lower)],
        [f"params.{quote_part(k)}" for k in sorted(params, key=str.lower)],
    )


def varying_params(runs: Sequence[RunSummary]) -> list[str]:
    """Param keys whose value differs between runs (or that some runs lack), sorted."""
    first: dict[str, Any] = {}
    count: dict[str, int] = {}
    varies: set[str] = set()
    for run in runs:
        for key, value in run.params.items():
            if key not in first:
                first[key], count[key] = value, 1
                continue
            count[key] += 1
            if value != first[key]:
                varies.add(key)
    keys = [k for k in first if k in varies or count[k] < len(runs)]
    return [f"params.{quote_part(k)}" for k in sorted(keys, key=str.lower)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Axis:
    """One axis over a list of runs: each run's raw value and its position in plot space.

    ``positions[i]`` is None when run ``i`` has no drawable value (missing, NaN/inf, or not
    positive on a log axis). ``categories`` is set on a categorical axis (any value not a number).
    """

    key: str
    values: tuple[Any, ...]
    positions: tuple[float | None, ...]
    categories: tuple[str, ...] | None = None
    log: bool = False

    @property
    def label(self) -> str:
        return axis_label(self.key)

    @property
    def categorical(self) -> bool:
        return self.categories is not None

    @property
    def missing(self) -> int:
        """Runs without a drawable value on this axis."""
        return sum(1 for p in self.positions if p is None)

    def span(self) -> tuple[float, float]:
        """The range of the drawn positions ((0, 1) when nothing is drawn), never empty."""
        return self._span

    @cached_property
    def _span(self) -> tuple[float, float]:
        if self.categories is not None:
            return -0.5, max(0.5, len(self.categories) - 0.5)
        drawn = [p for p in self.positions if p is not None]
        if not drawn:
            return 0.0, 1.0
        lo, hi = min(drawn), max(drawn)
        if lo == hi:
            pad = abs(lo) * 0.1 or 0.5
            return lo - pad, hi + pad
        return lo, hi

    def text(self, i: int) -> str:
        """Run ``i``'s value as shown in the detail line."""
        value = self.values[i]
        return "-" if value is None else cell(value)

    def ticks(self, count: int, width: int = 10, room: int = 0) -> tuple[list[float], list[str]] | None:
        """Tick positions and labels (about ``count``), or None to let the plot choose (linear axes).

        A category's label is cut to ``width`` cells, or to :func:`label_room` of its share of ``room``
        (the cells the axis spans, for an axis along the width) when that is more."""
        if self.categories is not None:
            n = len(self.categories)
            every = max(1, math.ceil(n / max(1, count)))
            picked = list(range(0, n, every))
            width = max(width, label_room(room // len(picked)))
            return [float(i) for i in picked], [ellipsize(self.categories[i], width) for i in picked]
        if not self.log:
            return None
        lo, hi = self.span()
        first, last = math.floor(lo), math.ceil(hi)
        powers = list(range(first, last + 1))
        step = max(1, math.ceil(len(powers) / max(1, count)))
        chosen = [p for p in powers[::step] if lo - 1e-9 <= p <= hi + 1e-9]
        if len(chosen) < 2:  # less than a decade: label both ends in plain numbers
            return [lo, hi], [cell(10.0**lo), cell(10.0**hi)]
        return [float(p) for p in chosen], [cell(10.0**p) for p in chosen]


def label_room(spacing: int) -> int:
    """Cells a tick label may take when ticks are ``spacing`` cells apart. plotext places each label
    around its tick by the labels already placed, in an order that changes with the process's string
    hashing: labels within two thirds of the spacing never meet that way, so the picture is the same
    in every process (wider ones moved by a cell from one run to the next)."""
    return spacing * 2 // 3


def log_refusal(values: Sequence[Any], label: str) -> str | None:
    """Why ``values`` cannot go on a log axis (non-numbers, or a value <= 0), None when they can."""
    numbers = [v for v in values if v is not None]
    if any(not _is_number(v) for v in numbers):
        return f"{label} is categorical: a log scale needs numbers"
    bad = [v for v in numbers if v <= 0]
    if bad:
        runs = "1 run has" if len(bad) == 1 else f"{len(bad)} runs have"
        return f"log scale refused: {runs} {label} <= 0 (smallest {cell(min(bad))}); a log axis needs values > 0"
    return None


def build_axis(runs: Sequence[RunSummary], key: str, *, log: bool = False, jitter: float = 0.0) -> Axis:
    """The axis of column ``key`` over ``runs`` (in order).

    Numbers (bools are not numbers) make a numeric axis; any other value makes it categorical,
    every value then shown as text. ``log`` is honoured only where :func:`log_refusal` allows it.
    ``jitter`` (0..0.45) spreads the runs of one category sideways, the same way every time.
    """
    get = getter_for(key)
    values = tuple(get(run) for run in runs)
    if all(v is None or type(v) in _NUMBER_TYPES or _is_number(v) for v in values):
        log = log and log_refusal(values, axis_label(key)) is None
        isfinite, log10 = math.isfinite, math.log10
        positions: list[float | None] = []
        for v in values:
            if v is None or not isfinite(v) or (log and v <= 0):
                positions.append(None)
            else:
                positions.append(log10(v) if log else float(v))
        return Axis(key, values, tuple(positions), None, log)
    texts_of = [_text(v) for v in values]  # one cell() per distinct value
    texts = sorted({t for t in texts_of if t is not None}, key=_natural)
    if len(texts) > MAX_CATEGORIES:
        texts = [*texts[: MAX_CATEGORIES - 1], OTHER]
    index = {t: float(i) for i, t in enumerate(texts)}
    other = index.get(OTHER, float(len(texts) - 1))
    cat_positions: list[float | None] = []
    for run, t in zip(runs, texts_of, strict=True):
        if t is None:
            cat_positions.append(None)
        elif jitter:
            cat_positions.append(index.get(t, other) + jitter * (2 * _unit_hash(run.id) - 1))
        else:
            cat_positions.append(index.get(t, other))
    return Axis(key, values, tuple(cat_positions), tuple(texts), False)


_NUMBER_TYPES = (int, float)
_TEXTS: dict[tuple[type, Any], str] = {}


def _text(value: Any) -> str | None:
    """A categorical value as its label (memoised for the few distinct values a param takes)."""
    if value is None:
        return None
    try:
        memo = (type(value), value)
        text = _TEXTS.get(memo)
    except TypeError:  # a list or dict: not hashable
        return cell(value)
    if text is None:
        text = cell(value)
        if len(_TEXTS) < 10_000:
            _TEXTS[memo] = text
    return text


def _natural(text: str) -> tuple[int, float, str]:
    """Numbers-as-text in numeric order first, then words alphabetically."""
    try:
        return 0, float(text), ""
    except ValueError:
        return 1, 0.0, text.lower()


def _unit_hash(run_id: str) -> float:
    """A number in [0, 1) fixed by the run id (jitter that does not move between drawings)."""
    import zlib

    return (zlib.crc32(run_id.encode()) & 0xFFFFFF) / 0x1000000
