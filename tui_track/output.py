"""Printing tables for people and for scripts: rich in a terminal, plain when piped, JSON, CSV.

Every subcommand builds a list of column names and rows of plain values, then calls
:func:`emit`; ``NO_COLOR`` is honoured by rich itself.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from tracker_core.jsonio import to_jsonable

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


def cell(value: Any) -> str:
    """A value as text for tables: floats with 4 significant decimals, times as local dates."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def timestamp(value: float | None) -> str:
    """Unix seconds as ``YYYY-MM-DD HH:MM:SS`` local time."""
    if value is None:
        return "-"
    return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    """A duration as ``1h02m``, ``3m05s`` or ``4.2s``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


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
        out.write(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if v is None else cell(v) for v in r])
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
