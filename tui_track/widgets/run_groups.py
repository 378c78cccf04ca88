"""The grouped view of the runs table: one row per group of runs, which expands to its runs.

:class:`GroupView` turns the table's (filtered) runs into rows through
:func:`tracker_core.compare.group_runs`: a group row per group (row ids start with
:data:`GROUP_ROW`), followed by the ids of its runs when it is expanded. Cells of a group row: the
run count (status column), the group's values (name column), ``mean ± std`` per metric column and,
with :attr:`GroupView.show_range`, a min and a max column per metric. Sorting a column sorts the
groups: status by run count, name by the group values, a metric by its mean (its min or max column by
that), a group key by its value; the runs of an expanded group follow the same column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracker_core.compare import COUNT, Grouping, RunColumns, RunGroup, group_runs
from tracker_core.grouping import Stat, short_name
from tracker_core.query import OrderKey, sort_runs
from tracker_core.records import RunSummary

from ..formatting import cell, mean_std

GROUP_ROW = "group:"
"""Row ids of group rows start with this (run ids are hex: they never do)."""
RANGE_COLUMN = "range:"
"""Keys of the min and max columns: ``range:min:metrics.loss``."""
STATUS = "attributes.status"
NAME = "attributes.name"
START = "attributes.start_time"


def range_key(stat: str, metric: str) -> str:
    return f"{RANGE_COLUMN}{stat}:{metric}"


def split_range_key(key: str) -> tuple[Stat, str] | None:
    """(``min`` or ``max``, metric key) of a range column key, None for other keys."""
    if not key.startswith(RANGE_COLUMN):
        return None
    stat, _, metric = key[len(RANGE_COLUMN) :].partition(":")
    return ("min" if stat == "min" else "max"), metric


class GroupView:
    """Grouping state of a runs table: the keys, which groups are expanded, and the rows built last."""

    def __init__(self, by: Sequence[str]) -> None:
        self.by = list(by)
        self.expanded: set[str] = set()
        self.show_range = False
        self.grouping: Grouping | None = None
        self.rows: dict[str, RunGroup] = {}
        self.member_of: dict[str, str] = {}
        """run id -> the row id of its group (every run grouped)."""
        self.columns: RunColumns | None = None
        """What was read of each run for the last grouping: a re-grouping of the same runs reuses it."""

    @property
    def title(self) -> str:
        """``lr · depth``: the keys by their short names (the name column's header when grouped)."""
        return " · ".join(short_name(k) for k in self.by)

    def compute(
        self, runs: Sequence[RunSummary], metrics: list[str], sort: str | None, descending: bool
    ) -> tuple[Grouping, RunColumns | None]:
        """Group ``runs`` and sort the groups (in a worker: it changes nothing here), with what was read of
        each run (:attr:`columns` when it still matches ``runs``) for :meth:`layout` to keep."""
        columns = self.columns
        if not runs:
            grouping = Grouping(self.by, metrics, [])
        else:
            if columns is None or not columns.matches(runs):
                columns = RunColumns(runs)
            grouping = group_runs(runs, by=self.by, metrics=metrics, cache=columns)
        key, stat = self._sort_key(sort, grouping)
        if key is not None or descending:
            grouping = grouping.sorted(key, descending, stat)
        return grouping, columns

    def layout(self, grouping: Grouping | None = None, sort: str | None = None, descending: bool = False) -> list[str]:
        """The row ids in order (group rows, and the runs of expanded groups) of ``grouping`` (None: the
        last one again, e.g. after a group was expanded)."""
        if grouping is None:
            grouping = self.grouping
            assert grouping is not None
        self.grouping = grouping
        self.rows = {}
        self.member_of = {}
        order: list[str] = []
        for group in grouping.groups:
            row = GROUP_ROW + repr(group.values)
            self.rows[row] = group
            order.append(row)
            for run in group.runs:
                self.member_of[run.id] = row
            if row in self.expanded:
                members = group.runs
                if sort is not None and sort not in (STATUS,) and not sort.startswith(RANGE_COLUMN):
                    members = sort_runs(members, [OrderKey(sort, descending)])
                order.extend(run.id for run in members)
        self.expanded &= self.rows.keys()
        return order

    def _sort_key(self, sort: str | None, grouping: Grouping) -> tuple[str | None, Stat]:
        if sort is None or sort == NAME:
            return None, "mean"
        if sort == STATUS:
            return COUNT, "mean"
        ranged = split_range_key(sort)
        if ranged is not None:
            return ranged[1], ranged[0]
        if sort in grouping.metrics or grouping.key_position(sort) is not None:
            return sort, "mean"
        return None, "mean"  # a column groups have no value for: keep the group order

    def toggle(self, row: str) -> bool:
        """Expand or collapse a group row (or the group of a run row); False when ``row`` is in no group."""
        row = self.member_of.get(row, row)
        if row not in self.rows:
            return False
        self.expanded.symmetric_difference_update({row})
        return True

    def text(self, group: RunGroup, key: str) -> str:
        """A group row's cell in column ``key``."""
        grouping = self.grouping
        assert grouping is not None
        if key == STATUS:
            return f"{group.count} run{'s' if group.count != 1 else ''}"
        if key == NAME:  # the values alone under a header naming the keys (see :attr:`title`)
            return " · ".join(_value_text(v) for v in group.values)
        ranged = split_range_key(key)
        if ranged is not None:
            value = group.value(ranged[1], ranged[0])
            return "" if value is None else cell(value)
        if key in grouping.metrics:
            s = group.stats(key)
            return mean_std(s.mean, s.std, s.count, group.count)
        position = grouping.key_position(key)
        return "" if position is None else cell(group.values[position])

    def sample_texts(self, key: str, limit: int) -> list[str]:
        """Cell texts of the first ``limit`` groups in a column (to size it)."""
        return [self.text(g, key) for g in list(self.rows.values())[:limit]]


def _value_text(value: Any) -> str:
    return "-" if value is None else cell(value)


def group_choices(params: Sequence[str], varying: Sequence[str], tags: Sequence[str]) -> list[tuple[str, str]]:
    """(key, label) of what runs can be grouped by: params that vary first, then the other params, tags."""
    from tracker_core.query import quote_part

    rest = [p for p in params if p not in varying]
    out = [(f"params.{quote_part(p)}", f"params.{p}") for p in [*varying, *rest]]
    return out + [(f"tags.{quote_part(t)}", f"tags.{t}") for t in tags]
