"""Printing tables for people and for scripts: rich in a terminal, plain when piped, JSON, CSV.

Every subcommand builds a list of column names and rows of plain values, then calls
:func:`emit`; ``NO_COLOR`` is honoured by rich itself. Points in time go in rows as
:class:`~tui_track.formatting.Instant` and in JSON records under the usual keys: machine formats
write them as ISO-8601 with the UTC offset.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from tracker_core.jsonio import to_jsonable

from .formatting import cell, machine_value

FORMATS = ("table", "plain", "json", "csv")


def format_option(f: Any) -> Any:
    """``--json`` / ``--csv`` / ``--plain`` flags that set ``fmt``."""
    f = click.option("--json", "fmt", flag_value="json", help="JSON for scripts.")(f)
    f = click.option("--csv", "fmt", flag_value="csv", help="CSV for spreadsheets and scripts.")(f)
    f = click.option("--plain", "fmt", flag_value="plain", help="Aligned plain text.")(f)
    return f


def resolve_format(fmt: str | None) -> str:
    """The format to use: the flag given, else a rich table on a terminal, plain text when piped."""
    if fmt:
        return fmt
    return "table" if sys.stdout.isatty() else "plain"


def json_text(data: Any) -> str:
    """``data`` as indented JSON for scripts, times as ISO-8601 with their UTC offset."""
    return json.dumps(to_jsonable(machine_value(data)), indent=2, ensure_ascii=False, allow_nan=False)


def emit(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str | None,
    *,
    title: str | None = None,
    records: Any = None,
) -> None:
    """Print rows in the chosen format. ``records`` replaces the rows for ``--json``."""
    fmt = resolve_format(fmt)
    out = sys.stdout
    if fmt == "json":
        data = records if records is not None else [dict(zip(columns, r, strict=True)) for r in rows]
        out.write(json_text(data) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if v is None else cell(machine_value(v)) for v in r])
    elif fmt == "plain":
        text = [[cell(v) for v in r] for r in rows]
        widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
        if title:
            out.write(title + "\n")
        out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
        for r in text:
            out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, header_style="bold", show_lines=False)
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*(cell(v) for v in r))
        Console().print(table)
