"""A training script pays nothing for the app: tracker_core never loads textual, rich or heavy ML libraries."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import tracker_core

FORBIDDEN = ("textual", "rich", "tui_track", "sklearn", "numpy", "joblib", "mlflow", "msgspec")
# Modules that exist to integrate with a library may import it, but only when used.
MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(tracker_core.__path__, "tracker_core."))
FRAMEWORK_MODULES = {
    f"tracker_core.{m}" for m in ("transformers", "lightning", "keras", "xgboost", "lightgbm", "optuna")
}
"""Integrations import their framework at import time, and frameworks load rich themselves (keras does);
that these modules never import the app directly is import-linter's contract in pyproject.toml."""


def _loaded_after(import_line: str) -> list[str]:
    code = f"import sys, json\n{import_line}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_import_tracker_core_loads_no_ui_or_ml_library() -> None:
    loaded = _loaded_after("import tracker_core")
    offenders = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_import_tracker_core_loads_neither_dataclasses_nor_inspect() -> None:
    """Together they are a third of the import's time (records are NamedTuples and slotted classes)."""
    loaded = _loaded_after("import tracker_core")
    assert "tracker_core.store" in loaded and "tracker_core.records" in loaded
    assert [m for m in ("dataclasses", "inspect", "ast") if m in loaded] == []


def test_no_tracker_core_module_imports_the_app() -> None:
    assert "tracker_core.store" in MODULES  # the walk found the package's modules
    ours = [m for m in MODULES if m not in FRAMEWORK_MODULES]
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in ours)
    code += "print(' '.join(sorted(k for k in sys.modules if k.split('.')[0] in ('textual', 'rich', 'tui_track'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_logging_a_run_loads_no_listing_or_ml_library(tmp_path) -> None:
    loaded = _loaded_after(
        "import tracker_core as tc\n"
        f"s = tc.Store({str(tmp_path / 's')!r})\n"
        "with s.start_run('e', 'r', params={'lr': 0.1}) as run:\n"
        "    run.log_metric('loss', 0.5, step=1)\n"
        "s.get_run(run.id)"
    )
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN] == []
