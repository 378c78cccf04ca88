"""MLflow registered models into the tui-track registry: versions, stages, aliases, tags, descriptions.

A version's model file is the registry copy when MLflow holds a version exported by tui-track
(``model.joblib``), else the pickle of an MLflow model (``model.pkl``, which joblib also loads),
else a scikit-learn model in another serialization (MLflow 3 saves with skops), loaded with
MLflow's sklearn flavor and saved again with joblib. Other flavors are left out with a warning.
A version already imported (tag ``mlflow.version`` on the tui-track version, or the same sha256
and registration time for one exported from tui-track) is skipped, so importing twice adds nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..errors import TrackerError
from ..store import Store

MLFLOW_VERSION_TAG = "mlflow.version"
_MODEL_FILES = ("model.joblib", "model.pkl")


def import_registry(
    client: Any,
    uri: str,
    store: Store,
    id_map: dict[str, str],
    known: dict[str, tuple[str, str]],
    report: Any,
    everything: bool,
) -> None:
    """Bring MLflow registered models into ``store``'s registry (only those of imported runs unless ``everything``)."""
    from ..registry import Registry

    registry = Registry(store)
    token = None
    while True:
        page = client.search_registered_models(page_token=token)
        for model in page:
            _import_model(client, uri, registry, model, id_map, known, report, everything)
        token = page.token
        if not token:
            return


def _import_model(
    client: Any,
    uri: str,
    registry: Any,
    model: Any,
    id_map: dict[str, str],
    known: dict[str, tuple[str, str]],
    report: Any,
    everything: bool,
) -> None:
    import mlflow.artifacts

    versions = sorted(client.search_model_versions(f"name='{model.name}'"), key=lambda mv: int(mv.version))
    if not everything:
        versions = [mv for mv in versions if mv.run_id in id_map]
    if not versions:
        return
    existing = _existing_versions(registry, model.name)
    aliases: dict[str, list[str]] = {}
    for alias, number in _aliases(model).items():
        aliases.setdefault(str(number), []).append(alias)
    created_model = False
    for mv in versions:
        tags = dict(mv.tags or {})
        identity = (tags.get("tui_track.sha256"), tags.get("tui_track.registered_at"))
        if str(mv.version) in existing["mlflow"] or (identity[0] and identity in existing["identity"]):
            continue
        run_id = id_map.get(mv.run_id) if mv.run_id else None
        if run_id is None and mv.run_id in known:
            run_id = known[mv.run_id][0]
        with tempfile.TemporaryDirectory() as tmp:
            source = client.get_model_version_download_uri(model.name, mv.version)
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=tmp, tracking_uri=uri))
            found = next((p for name in _MODEL_FILES for p in sorted(local.rglob(name))), None)
            loaded = _load_sklearn_flavor(local) if found is None else None
            if found is None and loaded is None:
                report.warnings.append(
                    f"model {model.name} version {mv.version}: neither model.joblib, model.pkl nor a "
                    f"scikit-learn flavor in {source}; left out"
                )
                continue
            metrics, params = _run_facts(registry.store, run_id)
            for key in ("tui_track.version", "tui_track.sha256", "tui_track.registered_at"):
                tags.pop(key, None)
            tags[MLFLOW_VERSION_TAG] = str(mv.version)
            facts: dict[str, Any] = {
                "metrics": metrics,
                "params": params,
                "source_run_id": run_id,
                "stage": mv.current_stage or "none",
                "description": mv.description or None,
                "tags": tags,
                "reason": f"imported from MLflow version {mv.version}",
            }
            try:
                if found is not None:
                    version = registry.register_file(model.name, found, **facts)
                else:
                    version = registry.register_object(model.name, loaded, **facts)
            except TrackerError as exc:
                report.warnings.append(f"model {model.name} version {mv.version}: {exc}; left out")
                continue
        created_model = created_model or not existing["any"]
        existing["any"] = True
        report.versions += 1
        for alias in sorted(set(mv.aliases or ()) | set(aliases.get(str(mv.version), ()))):
            registry.set_alias(model.name, alias, version.version, reason="imported from MLflow")
    if created_model:
        report.models += 1
        if model.description:
            registry.set_model_description(model.name, model.description)
        for key, value in (model.tags or {}).items():
            registry.set_model_tag(model.name, key, value)


def _load_sklearn_flavor(local: Path) -> Any:
    """The model of a downloaded MLflow model directory with a sklearn flavor, or None."""
    import mlflow.sklearn

    for mlmodel in sorted(local.rglob("MLmodel")):
        if "sklearn:" in mlmodel.read_text(encoding="utf-8", errors="replace"):
            try:
                return mlflow.sklearn.load_model(str(mlmodel.parent))
            except Exception:  # a flavor this MLflow cannot load: the caller says so
                return None
    return None


def _aliases(model: Any) -> dict[str, str]:
    """A registered model's aliases as {alias: version}, whichever shape this MLflow returns."""
    found = getattr(model, "aliases", None) or {}
    if isinstance(found, dict):
        return {str(k): str(v) for k, v in found.items()}
    return {str(a.alias): str(a.version) for a in found}


def _existing_versions(registry: Any, name: str) -> dict[str, Any]:
    from ..errors import NotFoundError

    try:
        versions = registry.list_versions(name, include_deleted=True)
    except NotFoundError:
        return {"mlflow": set(), "identity": set(), "any": False}
    return {
        "mlflow": {str(v.tags.get(MLFLOW_VERSION_TAG)) for v in versions if MLFLOW_VERSION_TAG in v.tags},
        "identity": {(v.sha256, repr(v.registered_at)) for v in versions},
        "any": bool(versions),
    }


def _run_facts(store: Store, run_id: str | None) -> tuple[dict[str, float], dict[str, Any]]:
    if run_id is None:
        return {}, {}
    try:
        run = store.get_run(run_id)
    except TrackerError:
        return {}, {}
    return {k: m.last for k, m in run.metrics.items()}, dict(run.params)
