"""A run's facts as (label, text) rows for the app's tables: attributes, environment, metrics, sizes.

Pure functions over :class:`~tracker_core.records.RunSummary`, shared by the screens that show a run.
"""

from __future__ import annotations

import shlex
from typing import Any

from tracker_core.records import RunSummary

from .formatting import cell, duration, timestamp


def run_rows(run: RunSummary, experiment_name: str | None = None) -> list[tuple[str, str]]:
    """Identity, status and times of a run."""
    rows = [
        ("id", run.id),
        ("name", run.name),
        ("experiment", experiment_name or run.experiment_id),
        ("status", run.status),
        ("started", timestamp(run.start_time)),
        ("ended", timestamp(run.end_time)),
        ("duration", duration(run.duration)),
    ]
    if run.parent_id:
        rows.append(("parent", run.parent_id))
    if run.error:
        rows.append(("error", run.error.strip().splitlines()[-1] if run.error.strip() else run.error))
    if run.deleted:
        rows.append(("deleted", "yes (restorable)"))
    for name, digest, context, source, schema in dataset_rows(run):
        where = f" from {source}" if source != "-" else ""
        rows.append(("dataset", f"{name} {digest} ({context}){where}: {schema}"))
    return rows


def environment_rows(run: RunSummary) -> list[tuple[str, str]]:
    """Where and how the run ran: host, user, git, command line, Python and package versions."""
    env: dict[str, Any] = run.env or {}
    rows = [("host", cell(run.host)), ("user", cell(run.user)), ("pid", cell(run.pid))]
    git = env.get("git") or {}
    if isinstance(git, dict) and git:
        dirty = git.get("dirty")
        rows.append(("git commit", cell(git.get("commit"))))
        rows.append(("git branch", cell(git.get("branch"))))
        rows.append(("git dirty", "unknown" if dirty is None else ("yes" if dirty else "no")))
    else:
        rows.append(("git", "not a git work tree"))
    command = env.get("command")
    if isinstance(command, list):
        rows.append(("command", shlex.join(str(part) for part in command)))
    elif command:
        rows.append(("command", str(command)))
    if env.get("cwd"):
        rows.append(("cwd", str(env["cwd"])))
    python = " ".join(str(env[k]) for k in ("implementation", "python") if env.get(k))
    if python:
        rows.append(("python", python))
    if env.get("platform"):
        rows.append(("platform", str(env["platform"])))
    packages = env.get("packages") or {}
    if isinstance(packages, dict):
        rows.extend((name, str(version)) for name, version in sorted(packages.items()))
    return rows


def dataset_rows(run: RunSummary) -> list[tuple[str, str, str, str, str]]:
    """(name, digest, context, source, schema) of each dataset the run recorded (``log_input``, MLflow import)."""
    from tracker_core.mlflow.data import INPUTS_TAG

    inputs = run.tags.get(INPUTS_TAG)
    rows = []
    for entry in inputs if isinstance(inputs, list) else []:
        if isinstance(entry, dict):
            rows.append(
                (
                    cell(entry.get("name")),
                    cell(entry.get("digest")),
                    cell(entry.get("context")),
                    cell(entry.get("source")),
                    _schema_text(entry.get("schema")),
                )
            )
    return rows


def _schema_text(schema: Any) -> str:
    """A dataset schema in one line: its columns (name:type) or its tensor's dtype and shape."""
    if not isinstance(schema, dict):
        return cell(schema)
    columns = schema.get("columns") or schema.get("mlflow_colspec")
    if isinstance(columns, list):
        parts = [f"{c.get('name')}:{c.get('type')}" if isinstance(c, dict) else str(c) for c in columns]
        return f"{len(parts)} columns: " + ", ".join(parts)
    tensor = schema.get("tensor") or schema.get("mlflow_tensorspec")
    if isinstance(tensor, dict):
        return f"tensor {tensor.get('dtype')} {tensor.get('shape')}"
    return cell(schema) if schema else "-"


def metric_rows(run: RunSummary) -> list[tuple[str, str, str, str, str]]:
    """(metric, last, min, max, points) for each metric of the run, sorted by name."""
    return [
        (key, cell(m.last), cell(m.min), cell(m.max), str(m.count))
        for key, m in sorted(run.metrics.items(), key=lambda kv: kv[0].lower())
    ]
