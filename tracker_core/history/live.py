"""A run's histories held for a live view: loaded once from the index, then grown from the JSONL's tail."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .index import HistoryIndex
from .series import Series
from .tail import HistoryTail

if TYPE_CHECKING:
    import numpy.typing as npt


class LiveHistory:
    """Histories of one run for a view that follows it.

    :meth:`update` reads only what was appended since the previous call (the index covers the rest);
    :meth:`series` gives a key's whole history at full resolution, :meth:`view` one sized to a chart.
    """

    def __init__(self, metrics_path: Path) -> None:
        self.index = HistoryIndex(metrics_path).refresh()
        self.tail = HistoryTail(metrics_path, self.index.covered)
        self._loaded: dict[str, list[npt.NDArray[Any]]] = {}
        self._new: dict[str, list[npt.NDArray[Any]]] = {}
        self._keys: list[str] = self.index.key_names()

    @property
    def keys(self) -> list[str]:
        """Keys in first-logged order."""
        return list(self._keys)

    def count(self, key: str) -> int:
        return self.index.count(key) + sum(len(c) for c in self._new.get(key, ()))

    def update(self) -> set[str]:
        """Read the lines appended since the last call; returns the keys that got new points."""
        new = self.tail.read()
        if self.tail.reset:  # the file was replaced or cut: start again from the index
            self.__init__(self.tail.path)  # type: ignore[misc]
            return set(self._keys)
        for key, series in new.items():
            import numpy as np

            rec = np.empty(len(series), dtype=[("s", "<i8"), ("v", "<f8"), ("t", "<f8")])
            rec["s"], rec["v"], rec["t"] = series.steps, series.values, series.times
            self._new.setdefault(key, []).append(rec)
            if key in self._loaded:
                self._loaded[key].append(rec)
            if key not in self._keys:
                self._keys.append(key)
        return set(new)

    def _records(self, key: str) -> npt.NDArray[Any]:
        import numpy as np

        parts = self._loaded.get(key)
        if parts is None:
            parts = self._loaded[key] = [self.index.records(key), *self._new.get(key, ())]
        if len(parts) > 1:
            parts[:] = [np.concatenate(parts)]
        return parts[0]

    def series(self, key: str) -> Series:
        """The whole history of ``key`` (full resolution, sorted by step)."""
        return Series.from_records(key, self._records(key))

    def view(self, key: str, *, points: int | None = None, start: int | None = None, end: int | None = None) -> Series:
        """``key`` between ``start`` and ``end`` (steps), downsampled to ``points`` buckets when given."""
        s = self.series(key)
        if start is not None or end is not None:
            s = s.between(start, end)
        return s.downsample(points) if points else s
