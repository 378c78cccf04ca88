"""The run tree: child runs (nested runs, search candidates, trials) listed under their parent.

:func:`tree_order` turns the table's filtered, sorted ids into a depth-first order where each
child follows its parent and siblings keep the sort. A run whose parent is not shown (filtered
out, deleted, in another experiment) is a root. Children of a collapsed parent are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tracker_core.records import RunSummary


@dataclass
class TreeLayout:
    """The rows of a tree view: ``order`` to show, each run's depth and its shown children's count."""

    order: list[str] = field(default_factory=list)
    depth: dict[str, int] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)


def tree_order(order: Sequence[str], runs: Mapping[str, RunSummary], collapsed: set[str]) -> TreeLayout:
    """Arrange ``order`` as a tree (see the module docstring); parent cycles are broken, never lost."""
    shown = set(order)
    kids: dict[str, list[str]] = {}
    roots: list[str] = []
    for run_id in order:
        parent = runs[run_id].parent_id
        if parent is not None and parent != run_id and parent in shown:
            kids.setdefault(parent, []).append(run_id)
        else:
            roots.append(run_id)
    reached: set[str] = set()

    def reach(start: str) -> None:
        stack = [start]
        while stack:
            run_id = stack.pop()
            if run_id not in reached:
                reached.add(run_id)
                stack.extend(kids.get(run_id, ()))

    for run_id in roots:
        reach(run_id)
    for run_id in order:  # runs in a parent cycle have no root: the first of each cycle becomes one
        if run_id not in reached:
            roots.append(run_id)
            reach(run_id)
    layout = TreeLayout(children={p: len(c) for p, c in kids.items()})
    visited: set[str] = set()
    for root in roots:
        stack = [(root, 0)]
        while stack:
            run_id, depth = stack.pop()
            if run_id in visited:
                continue
            visited.add(run_id)
            layout.order.append(run_id)
            layout.depth[run_id] = depth
            if run_id not in collapsed:
                stack.extend((c, depth + 1) for c in reversed(kids.get(run_id, ())))
    return layout


def tree_label(name: str, depth: int, children: int, collapsed: bool) -> str:
    """A name cell of the tree view: indented under its parent, a parent with ▾/▸ and its children's count."""
    indent = "  " * (depth - 1) + "└ " if depth else ""
    if children:
        return f"{indent}{'▸' if collapsed else '▾'} {name} ({children})"
    return f"{indent}{name}"
