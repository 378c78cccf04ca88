"""MLflow registered models into the tui-track registry: versions, stages, aliases, tags, descriptions.

A version's model file is the registry copy when MLflow holds a version exported by tui-track
(``model.joblib``), else the pickle of an MLflow model (``model.pkl``, which joblib also loads),
else a scikit-learn model in another serialization (MLflow 3 saves with skops), loaded with
MLflow's sklearn flavor and saved again with joblib. Other flavors are left out with a warning.
A version already imported (tag ``mlflow.version`` on the tui-track version, or the same sha256
and registration time for one exported from tui-track) is not added again: instead its stage,
description, tags and aliases are brought up to date through the registry's API, so each change
is in the model's history. A new version keeps MLflow's registration time (or, for one exported
from tui-track, its own), so a store -> MLflow -> store -> MLflow round trip adds no duplicates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..errors import TrackerError
from ..registry.records import normalize_stage
from ..store import Store
from .mlflow_common import (
    MLFLOW_VERSION_TAG,
    REGISTERED_AT_TAG,
    SHA256_TAG,
    ms_to_seconds,
    registered_aliases,
    value_to_text,
)

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
    versions = sorted(client.search_model_versions(f"name='{model.name}'"), key=lambda mv: int(mv.version))
    if not everything:
        versions = [mv for mv in versions if mv.run_id in id_map]
    if not versions:
        return
    existing = _existing_versions(registry, model.name)
    had_model = bool(existing)
    aliases: dict[str, list[str]] = {}
    for alias, number in registered_aliases(model).items():
        aliases.setdefault(str(number), []).append(alias)
    matched: dict[str, int] = {}  # MLflow version -> tui-track version
    for mv in versions:
        local = _matching(existing, mv)
        if local is None:
            local = _register(client, uri, registry, model.name, mv, id_map, known, report)
            if local is None:
                continue
            report.versions += 1
        matched[str(mv.version)] = local.version
        if not local.deleted:
            _pull_version_state(registry, model.name, local, mv, report)
    _pull_aliases(registry, model.name, aliases, matched, report)
    if matched:
        if not had_model:
            report.models += 1
        _pull_model_state(registry, model, report)


def _matching(existing: list[Any], mv: Any) -> Any:
    tags = mv.tags or {}
    identity = (tags.get(SHA256_TAG), tags.get(REGISTERED_AT_TAG))
    for version in existing:
        if identity[0] and (version.sha256, repr(version.registered_at)) == identity:
            return version
        if str(version.tags.get(MLFLOW_VERSION_TAG)) == str(mv.version) and SHA256_TAG not in tags:
            return version
    return None


def _register(
    client: Any,
    uri: str,
    registry: Any,
    name: str,
    mv: Any,
    id_map: dict[str, str],
    known: dict[str, tuple[str, str]],
    report: Any,
) -> Any:
    """A new tui-track version for an MLflow version, registered when it was there; None if left out."""
    import mlflow.artifacts

    tags = dict(mv.tags or {})
    run_id = id_map.get(mv.run_id) if mv.run_id else None
    if run_id is None and mv.run_id in known:
        run_id = known[mv.run_id][0]
    with tempfile.TemporaryDirectory() as tmp:
        source = client.get_model_version_download_uri(name, mv.version)
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=tmp, tracking_uri=uri))
        found = next((p for file in _MODEL_FILES for p in sorted(local.rglob(file))), None)
        loaded = _load_sklearn_flavor(local) if found is None else None
        if found is None and loaded is None:
            report.warnings.append(
                f"model {name} version {mv.version}: neither model.joblib, model.pkl nor a "
                f"scikit-learn flavor in {source}; left out"
            )
            return None
        metrics, params = _run_facts(registry.store, run_id)
        registered_at: float | None = ms_to_seconds(getattr(mv, "creation_timestamp", None))
        try:
            registered_at = float(tags.get(REGISTERED_AT_TAG) or "")  # exported from tui-track: its own time
        except ValueError:
            pass
        for key in ("tui_track.version", SHA256_TAG, REGISTERED_AT_TAG):
            tags.pop(key, None)
        if SHA256_TAG not in (mv.tags or {}):
            tags[MLFLOW_VERSION_TAG] = str(mv.version)
        facts: dict[str, Any] = {
            "metrics": metrics,
            "params": params,
            "source_run_id": run_id,
            "stage": mv.current_stage or "none",
            "description": mv.description or None,
            "tags": tags,
            "reason": f"imported from MLflow version {mv.version}",
            "registered_at": registered_at,
        }
        try:
            if found is not None:
                return registry.register_file(name, found, **facts)
            return registry.register_object(name, loaded, **facts)
        except TrackerError as exc:
            report.warnings.append(f"model {name} version {mv.version}: {exc}; left out")
            return None


def _pull_version_state(registry: Any, name: str, local: Any, mv: Any, report: Any) -> None:
    """Stage, description and tags of a version MLflow changed since the last import (each one audited)."""
    reason = f"imported from MLflow version {mv.version}"
    stage = normalize_stage(mv.current_stage or "none")
    if local.stage != stage:
        registry.promote(name, local.version, stage, reason=reason, expect_stage=local.stage)
        report.registry_changes += 1
    if (mv.description or None) != (local.description or None):
        registry.set_version_description(name, local.version, mv.description or None, reason=reason)
        report.registry_changes += 1
    for key, text in (mv.tags or {}).items():
        if key.startswith("tui_track.") or key == MLFLOW_VERSION_TAG:
            continue
        if key not in local.tags or value_to_text(local.tags[key]) != text:
            registry.set_version_tag(name, local.version, key, text, reason=reason)
            report.registry_changes += 1


def _pull_aliases(
    registry: Any, name: str, aliases: dict[str, list[str]], matched: dict[str, int], report: Any
) -> None:
    """The aliases of the imported versions become MLflow's: moved, added or removed."""
    if not matched:
        return
    wanted = {alias: matched[number] for number, names in aliases.items() if number in matched for alias in names}
    current = registry.get_model(name).aliases
    for alias, version in current.items():
        if alias not in wanted and version in matched.values():
            registry.delete_alias(name, alias, reason="imported from MLflow", expect_current=version)
            report.registry_changes += 1
    for alias, version in sorted(wanted.items()):
        if current.get(alias) != version:
            try:
                registry.set_alias(
                    name, alias, version, reason="imported from MLflow", expect_current=current.get(alias)
                )
            except TrackerError as exc:  # e.g. reserved in tui-track, or moved here meanwhile
                report.warnings.append(f"model {name}: alias {alias!r} not set ({exc})")
                continue
            report.registry_changes += 1


def _pull_model_state(registry: Any, model: Any, report: Any) -> None:
    current = registry.get_model(model.name)
    if (model.description or None) != (current.description or None):
        registry.set_model_description(model.name, model.description or None, reason="imported from MLflow")
        report.registry_changes += 1
    for key, text in (model.tags or {}).items():
        if key not in current.tags or value_to_text(current.tags[key]) != text:
            registry.set_model_tag(model.name, key, text, reason="imported from MLflow")
            report.registry_changes += 1


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


def _existing_versions(registry: Any, name: str) -> list[Any]:
    from ..errors import NotFoundError

    try:
        return list(registry.list_versions(name, include_deleted=True))
    except NotFoundError:
        return []


def _run_facts(store: Store, run_id: str | None) -> tuple[dict[str, float], dict[str, Any]]:
    if run_id is None:
        return {}, {}
    try:
        run = store.get_run(run_id)
    except TrackerError:
        return {}, {}
    return {k: m.last for k, m in run.metrics.items()}, dict(run.params)
