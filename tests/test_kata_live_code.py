"""The kata's Live Code runs unchanged on tracker_core once its two classes are replaced by imports.

``tests/data/kata_live_code.py`` is a verbatim copy of the ```python block under "Live Code" in
the seed kata; when the seed is present (``../shared/seed`` beside the clone) the copy must
still equal it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

COPY = Path(__file__).parent / "data" / "kata_live_code.py"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "experiment-tracking-kata.md"
IMPORT = "from tracker_core import ExperimentTracker, ModelRegistry\n\n\n"
RUN_NAMES = ["logistic_regression", "random_forest_small", "random_forest_large", "gradient_boosting"]


def live_code_block(markdown: str) -> str:
    match = re.search(r"^## Live Code\s*\n```python\n(.*?)^```", markdown, re.S | re.M)
    assert match, "the seed kata has no ```python block under '## Live Code'"
    return match.group(1)


def with_our_classes(code: str) -> str:
    """Replace ``class ExperimentTracker`` and ``class ModelRegistry`` (up to the next unindented line)."""
    for name, replacement in (("ExperimentTracker", IMPORT), ("ModelRegistry", "")):
        code, count = re.subn(rf"^class {name}\b.*?(?=^\S)", replacement, code, count=1, flags=re.S | re.M)
        assert count == 1, f"class {name} not found in the kata's code"
    return code


@pytest.mark.skipif(not SEED.is_file(), reason=f"the seed kata is not beside this clone ({SEED})")
def test_copy_matches_the_seed() -> None:
    assert COPY.read_text() == live_code_block(SEED.read_text())


def test_live_code_runs_on_tracker_core(tmp_path: Path) -> None:
    script = tmp_path / "kata.py"
    script.write_text(with_our_classes(COPY.read_text()))
    work = tmp_path / "tmp"
    work.mkdir()
    env = {**os.environ, "TMPDIR": str(work), "PYTHONHASHSEED": "0"}  # tempfile.mkdtemp() lands in work/
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout

    runs = {
        m["name"]: (float(m["acc"]), float(m["auc"]))
        for m in re.finditer(
            r"^Run:\s+(?P<name>\S+) \| Acc: (?P<acc>[\d.]+) \| F1: [\d.]+ \| AUC: (?P<auc>[\d.]+)$", out, re.M
        )
    }
    assert list(runs) == RUN_NAMES

    table = out.split("=== Run Comparison (sorted by AUC) ===")[1].split("\nBest run:")[0]
    rows = [line.split() for line in table.strip().splitlines()[2:]]
    assert sorted(r[0] for r in rows) == sorted(RUN_NAMES)
    aucs = [float(r[3]) for r in rows]
    assert aucs == sorted(aucs, reverse=True) and len(set(aucs)) > 1
    assert all(runs[r[0]] == (float(r[1]), float(r[3])) for r in rows)
    assert f"\nBest run: {rows[0][0]}\n" in out

    for version, name in enumerate(RUN_NAMES, start=1):
        assert f"Registered: churn_model v{version} ({name})" in out
    assert "Promoted v4 to staging\nPromoted v4 to production\n" in out
    registry = re.findall(r"^v\s*(\d)\s+(\w+)\s+([\d.]+)\s+([\d.]+)$", out, re.M)
    assert [(int(v), stage) for v, stage, _, _ in registry] == [
        (1, "development"),
        (2, "development"),
        (3, "development"),
        (4, "production"),
    ]
    assert [(float(acc), float(auc)) for _, _, auc, acc in registry] == [runs[n] for n in RUN_NAMES]
    production = re.search(r"^Production model: v(\d), accuracy: ([\d.]+)$", out, re.M)
    assert production and production.group(1) == "4"
    assert float(production.group(2)) == runs["gradient_boosting"][0]  # the registered model, reloaded
    assert list(work.iterdir()) == []  # the kata's cleanup removed our whole store
