"""A drop-in for MLflow's tracking API over a tui-track store: ``import tracker_core.mlflow as mlflow``.

A script written for MLflow runs unchanged once its imports name ``tracker_core.mlflow``
(``.sklearn``, ``.models``, ``.tracking``, ``.entities``), and logs what MLflow would have:
params and tags as text, metric timestamps in milliseconds (step 0 unless given), artifacts with
MLflow's ``artifact_path`` rules, MLflow's status names. The tracking URI is a directory or
``file:`` URI naming a tui-track store. A call it does not offer raises :class:`UnsupportedError`
(a ``TrackerError``) naming the call and what to do. Importing this does not import MLflow.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, ValidationError
from . import _state
from ._state import UnsupportedError, unsupported
from .entities import Experiment, ModelVersion, Run, ViewType, text

if TYPE_CHECKING:
    from ..run import Run as TcRun

__all__ = [
    "ActiveRun",
    "UnsupportedError",
    "active_run",
    "autolog",
    "create_experiment",
    "delete_experiment",
    "end_run",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

DEFAULT_EXPERIMENT = "Default"
_STATUS = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed"}
_last_run_id: str | None = None


# ----------------------------------------------------------------- tracking URI
def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Log to the tui-track store at ``uri`` (a path or ``file:`` URI; None or "": the default store)."""
    _state.set_store(uri)


def get_tracking_uri() -> str:
    """The store in use, as a ``file:`` URI."""
    return _state.get_store().root.as_uri()


def set_registry_uri(uri: str | os.PathLike[str] | None) -> None:
    """The registry lives in the store: a URI naming another place is refused."""
    if uri and _state.store_path(uri).absolute() != _state.get_store().root:
        raise unsupported(f"set_registry_uri({uri!r})", "the registry is the one inside the tracking store")


def get_registry_uri() -> str:
    return get_tracking_uri()


# ------------------------------------------------------------------ experiments
def _experiment_entity(name_or_id: str) -> Experiment:
    store = _state.get_store()
    return Experiment.of(store, store.get_experiment(name_or_id))


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment current (created when named and missing); return it."""
    store = _state.get_store()
    if (experiment_name is None) == (experiment_id is None):
        raise ValidationError("set_experiment needs exactly one of experiment_name and experiment_id")
    if experiment_id is not None:
        exp = store.get_experiment(str(experiment_id))
    else:
        try:
            exp = store.get_experiment(str(experiment_name))
        except NotFoundError:
            exp = store.get_or_create_experiment(str(experiment_name))
    if exp.deleted:
        raise ValidationError(f"experiment {exp.name!r} is deleted; restore it or choose another name")
    _state.experiment_name = exp.name
    return Experiment.of(store, exp)


def create_experiment(name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None) -> str:
    """Create an experiment and return its id (artifacts always live in the store: ``artifact_location`` is ignored)."""
    store = _state.get_store()
    return store.create_experiment(name, {k: text(v) for k, v in (tags or {}).items()}).id


def get_experiment(experiment_id: str) -> Experiment:
    return _experiment_entity(str(experiment_id))


def get_experiment_by_name(name: str) -> Experiment | None:
    store = _state.get_store()
    found = [e for e in store.list_experiments(include_deleted=True, with_counts=False) if e.name == name]
    return Experiment.of(store, found[0]) if found else None


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """Experiments by view type; ``filter_string`` may compare ``name`` (``=``, ``!=``, ``LIKE``, ``ILIKE``)."""
    store = _state.get_store()
    wanted = {ViewType.ACTIVE_ONLY: (False,), ViewType.DELETED_ONLY: (True,), ViewType.ALL: (False, True)}[view_type]
    found = [e for e in store.list_experiments(include_deleted=True) if e.deleted in wanted]
    if filter_string:
        found = [e for e in found if _name_matches(filter_string, e.name, e.tags)]
    if order_by:
        raise unsupported("search_experiments(order_by=...)", "sort the returned list in Python")
    return [Experiment.of(store, e) for e in found[:max_results]]


def _name_matches(filter_string: str, name: str, tags: dict[str, Any]) -> bool:
    import re

    from ..query.compiler import like_matcher

    m = re.fullmatch(r"\s*(name|tags\.`?([^`=!<> ]+)`?)\s*(=|!=|LIKE|ILIKE)\s*'(.*)'\s*", filter_string, re.IGNORECASE)
    if m is None:
        raise unsupported(f"search_experiments(filter_string={filter_string!r})", "filter on name or one tag")
    value = name if m.group(1).lower() == "name" else tags.get(m.group(2))
    if value is None:
        return False
    op, pattern = m.group(3).upper(), m.group(4)
    if op == "=":
        return text(value) == pattern
    if op == "!=":
        return text(value) != pattern
    return like_matcher(pattern, ignore_case=op == "ILIKE")(text(value))


def delete_experiment(experiment_id: str) -> None:
    _state.get_store().delete_experiment(str(experiment_id))


def set_experiment_tag(key: str, value: Any) -> None:
    _state.get_store().set_experiment_tag(_current_experiment(), key, text(value))


def set_experiment_tags(tags: dict[str, Any]) -> None:
    for key, value in tags.items():
        set_experiment_tag(key, value)


def _current_experiment() -> str:
    name = _state.experiment_name or os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
    return name


# ------------------------------------------------------------------------- runs
class ActiveRun:
    """The run :func:`start_run` returned: a context manager with MLflow's ``.info`` and ``.data``."""

    def __init__(self, run: TcRun) -> None:
        self._run = run

    @property
    def info(self) -> Any:
        return self._entity().info

    @property
    def data(self) -> Any:
        return self._entity().data

    def _entity(self) -> Run:
        if not self._run.ended:
            self._run.flush()
        return get_run(self._run.id)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        status = "FINISHED" if exc_type is None else ("KILLED" if exc_type is KeyboardInterrupt else "FAILED")
        if not self._run.ended:
            _end(self._run, status, None if exc is None else f"{exc_type.__name__}: {exc}")

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self._run.id!r}, run_name={self._run.name!r}>"


_runs: list[ActiveRun] = []


def _end(run: TcRun, status: str, error: str | None = None) -> None:
    global _last_run_id
    try:
        tc_status = _STATUS[str(status).upper()]
    except KeyError:
        raise ValidationError(f"end_run(status={status!r}): use FINISHED, FAILED or KILLED") from None
    run.end(tc_status, error)
    _last_run_id = run.id
    for active in [a for a in _runs if a._run is run]:
        _runs.remove(active)


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) in the current experiment and make it active, as MLflow does."""
    from .. import fluent

    global _last_run_id
    store = _state.get_store()
    if _runs and not nested and parent_run_id is None and run_id is None:
        current = _runs[-1]._run
        raise ValidationError(
            f"Run with UUID {current.id} is already active. To start a nested run, call start_run with "
            "nested=True; to start another, end this one first (end_run)"
        )
    experiment = store.get_experiment(str(experiment_id)).name if experiment_id is not None else None
    if experiment is None and run_id is None:
        experiment = _current_experiment()
        if not nested:
            try:
                store.get_experiment(experiment)
            except NotFoundError:
                store.get_or_create_experiment(experiment)
    all_tags = {k: text(v) for k, v in (tags or {}).items()}
    if description is not None:
        all_tags["mlflow.note.content"] = text(description)
    parent = parent_run_id
    if nested and parent is None and _runs:
        parent = _runs[-1]._run.id
    if nested and experiment is None and parent is not None:
        experiment = store.get_run(parent).experiment_id
    run = fluent.start_run(
        experiment,
        run_name,
        run_id=run_id,
        nested=bool(parent) or bool(_runs),
        parent_id=parent,
        tags=all_tags or None,
        store=store,
    )
    active = ActiveRun(run)
    _runs.append(active)
    _last_run_id = run.id
    _end_at_exit()
    return active


def _end_at_exit() -> None:
    """Like MLflow: runs still active when the interpreter exits end as FINISHED."""
    global _exit_registered
    if not _exit_registered:
        import atexit

        atexit.register(_end_all)
        _exit_registered = True


_exit_registered = False


def _end_all() -> None:
    for active in reversed(list(_runs)):
        if not active._run.ended:
            _end(active._run, "FINISHED")


def active_run() -> ActiveRun | None:
    return _runs[-1] if _runs else None


def last_active_run() -> Run | None:
    """The active run, else the run that ended last in this process (as :func:`get_run` returns it)."""
    if _runs:
        return _runs[-1]._entity()
    return get_run(_last_run_id) if _last_run_id else None


def end_run(status: str = "FINISHED") -> None:
    """End the active run with MLflow's status name (``FINISHED``, ``FAILED``, ``KILLED``)."""
    if _runs:
        _end(_runs[-1]._run, status)


def _run(run_id: str | None = None) -> TcRun:
    """The run to log to: ``run_id``'s if given and active, the active one, else a new one (as MLflow)."""
    if run_id is not None:
        for active in reversed(_runs):
            if active._run.id == run_id:
                return active._run
        from .tracking import open_run

        return open_run(run_id)
    if not _runs:
        start_run()
    return _runs[-1]._run


def _flush_all() -> None:
    for active in _runs:
        active._run.flush()


# --------------------------------------------------------------- params, metrics
def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    _run().log_param(key, text(value))
    return value


def log_params(params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None) -> None:
    _run(run_id).log_params({k: text(v) for k, v in params.items()})


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    _run().set_tag(key, text(value))


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> None:
    _run().set_tags({k: text(v) for k, v in tags.items()})


def _timestamp(ms: int | None) -> float:
    """MLflow's milliseconds as tui-track's seconds (now, at MLflow's millisecond precision, when None)."""
    return (int(time.time() * 1000) if ms is None else int(ms)) / 1000.0


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> None:
    """One point; ``timestamp`` in milliseconds, ``step`` 0 unless given (MLflow's defaults)."""
    _run(run_id).log_metric(key, float(value), step=0 if step is None else step, timestamp=_timestamp(timestamp))


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> None:
    run, ts = _run(run_id), _timestamp(timestamp)
    for key, value in metrics.items():
        run.log_metric(key, float(value), step=0 if step is None else step, timestamp=ts)


# -------------------------------------------------------------------- artifacts
def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy a file to ``artifact_path/<its name>`` (MLflow's rule)."""
    _run(run_id).log_artifact(local_path, artifact_path or None)


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy the *contents* of ``local_dir`` under ``artifact_path`` (MLflow's rule: the folder is not nested)."""
    source = Path(local_dir)
    if not source.is_dir():
        raise ValidationError(f"log_artifacts({str(local_dir)!r}): not a directory; use log_artifact for a file")
    run = _run(run_id)
    for child in sorted(source.iterdir()):
        run.log_artifact(child, artifact_path or None)


@contextmanager
def _staged(artifact_file: str) -> Iterator[Path]:
    """A temporary path named like ``artifact_file``; what is written there is logged at ``artifact_file``."""
    from ..validation import artifact_relpath

    rel = artifact_relpath(artifact_file)
    folder, _, name = rel.rpartition("/")
    run = _run()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        yield path
        run.log_artifact(path, folder or None)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _run(run_id).log_text(text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """JSON (indented by 2, as MLflow writes it), or YAML for a ``.yaml``/``.yml`` name."""
    if Path(artifact_file).suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise unsupported("log_dict to a .yaml file without PyYAML", "pip install pyyaml") from None
        body = yaml.safe_dump(dictionary, default_flow_style=False)
    else:
        body = json.dumps(dictionary, indent=2)
    _run(run_id).log_text(body, artifact_file)


def log_figure(figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None) -> None:
    """A matplotlib figure (any format it saves) or a plotly figure (``.html``; images need kaleido)."""
    module = type(figure).__module__
    with _staged(artifact_file) as path:
        if module.startswith("matplotlib"):
            figure.savefig(path, **(save_kwargs or {}))
        elif module.startswith("plotly"):
            if path.suffix == ".html":  # plotly.js from its CDN, as MLflow writes it
                figure.write_html(str(path), **{"include_plotlyjs": "cdn", **(save_kwargs or {})})
            else:
                figure.write_image(str(path), **(save_kwargs or {}))
        else:
            raise ValidationError(f"log_figure: {type(figure).__name__} is neither a matplotlib nor a plotly figure")


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
) -> None:
    """A numpy array (uint8 0-255, or floats 0-1) or a PIL image, as an image file (PNG unless named)."""
    if (artifact_file is None) == (key is None):
        raise ValidationError("log_image needs exactly one of artifact_file and key")
    pil = _to_pil(image)
    name = artifact_file or f"images/{key}/step_{0 if step is None else step}.png"
    with _staged(name) as path:
        pil.save(path)


def _to_pil(image: Any) -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise unsupported("log_image without Pillow", "pip install pillow") from None
    if isinstance(image, Image.Image):
        return image
    import numpy as np

    array = np.asarray(image)
    if array.dtype.kind == "f":
        if array.size and (array.min() < 0 or array.max() > 1):
            raise ValidationError("log_image: float pixel values must lie in [0, 1]")
        array = (array * 255).round().astype(np.uint8)
    elif array.dtype.kind in "iub":
        if array.size and (array.min() < 0 or array.max() > 255):
            raise ValidationError("log_image: integer pixel values must lie in [0, 255]")
        array = array.astype(np.uint8)
    else:
        raise ValidationError(f"log_image: unsupported pixel type {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValidationError(f"log_image: expected HxW, HxWx1, HxWx3 or HxWx4 pixels, got shape {array.shape}")
    return Image.fromarray(array)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """A dict of columns or a pandas DataFrame as MLflow's table JSON (``{"columns": ..., "data": ...}``)."""
    if isinstance(data, dict) or type(data).__name__ == "DataFrame":
        try:
            import pandas as pd
        except ImportError:
            pd = None
        if pd is not None:  # MLflow's own encoding: pandas' split orientation, without the index
            frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
            _run(run_id).log_text(frame.to_json(orient="split", index=False), artifact_file)
            return
        rows = [list(row) for row in zip(*(list(v) for v in data.values()), strict=True)]
        body = {"columns": list(data), "data": rows}
        _run(run_id).log_text(json.dumps(body, separators=(",", ":"), default=str), artifact_file)
        return
    raise ValidationError("log_table: data must be a dict of columns or a pandas DataFrame")


from .data import INPUTS_TAG  # noqa: E402 - beside log_input, which records it


def log_input(dataset: Any, context: str | None = None, tags: dict[str, str] | None = None, model: Any = None) -> None:
    """Record a dataset on the run (tag ``mlflow.inputs``): name, digest, source and schema."""
    from .data import describe

    run = _run()
    entry = {**describe(dataset), "context": context, "tags": {k: text(v) for k, v in (tags or {}).items()}}
    current = run.tags.get(INPUTS_TAG)
    inputs = [i for i in current if isinstance(i, dict)] if isinstance(current, list) else []
    inputs = [i for i in inputs if (i.get("name"), i.get("digest")) != (entry["name"], entry["digest"])] + [entry]
    run.set_tag(INPUTS_TAG, inputs)


# ---------------------------------------------------------------------- reading
def get_run(run_id: str) -> Run:
    """A run as MLflow shapes it (``.info``, ``.data``)."""
    _flush_all()
    store = _state.get_store()
    return Run.of(store, store.get_run(run_id))


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Runs matching MLflow's filter syntax, as a pandas DataFrame with MLflow's columns or a list of runs."""
    from ..query import search_runs as query

    if output_format not in ("pandas", "list"):
        raise ValidationError(f"search_runs(output_format={output_format!r}): use 'pandas' or 'list'")
    _flush_all()
    store = _state.get_store()
    if experiment_ids is not None or experiment_names is not None:
        names = [store.get_experiment(str(i)).name for i in experiment_ids or ()] + list(experiment_names or ())
    elif search_all_experiments:
        names = [e.name for e in store.list_experiments(include_deleted=True)]
    else:
        names = [_current_experiment()]
    runs = []
    for name in names:
        try:
            runs.extend(store.list_runs(name, include_deleted=run_view_type != ViewType.ACTIVE_ONLY))
        except NotFoundError:
            continue
    if run_view_type == ViewType.DELETED_ONLY:
        runs = [r for r in runs if r.deleted]
    found = [
        Run.of(store, r)
        for r in query(None, filter=filter_string or None, order_by=order_by, runs=runs, limit=max_results)
    ]
    if output_format == "list":
        return found
    return _frame(found)


def _frame(runs: list[Run]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise unsupported("search_runs() as a DataFrame without pandas", "pass output_format='list'") from None
    rows = []
    for run in runs:
        row: dict[str, Any] = {
            "run_id": run.info.run_id,
            "experiment_id": run.info.experiment_id,
            "status": run.info.status,
            "artifact_uri": run.info.artifact_uri,
            "start_time": pd.to_datetime(run.info.start_time, unit="ms", utc=True),
            "end_time": pd.to_datetime(run.info.end_time, unit="ms", utc=True) if run.info.end_time else None,
        }
        row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
        row.update({f"params.{k}": v for k, v in run.data.params.items()})
        row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
        rows.append(row)
    columns = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    return pd.DataFrame(rows, columns=columns + sorted({k for r in rows for k in r} - set(columns)))


# -------------------------------------------------------------------- registry
def register_model(
    model_uri: str, name: str, await_registration_for: int = 300, *, tags: dict[str, Any] | None = None
) -> ModelVersion:
    """Register the model at ``runs:/<run_id>/<path>`` as a new version of ``name``."""
    from .tracking import MlflowClient

    return MlflowClient().create_model_version(name, model_uri, tags=tags)


# --------------------------------------------------------------------- autolog
def autolog(log_models: bool = True, disable: bool = False, **_: Any) -> None:
    """scikit-learn autologging into the current experiment and store (other libraries: their own modules)."""
    from . import sklearn

    sklearn.autolog(log_models=log_models, disable=disable)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    if name in ("sklearn", "models", "tracking", "entities", "data"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise unsupported(f"mlflow.{name}")
