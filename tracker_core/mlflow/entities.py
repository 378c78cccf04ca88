"""MLflow's entity classes, shaped as MLflow shapes them, built from tui-track records.

``Param``, ``Metric``, ``RunTag``, ``ViewType``, ``RunStatus``, ``Experiment``, ``Run`` (with
``.info`` and ``.data``), ``RunInfo``, ``RunData``, ``ModelVersion``, ``RegisteredModel``.
Times are integer milliseconds, params and tags are text, statuses are MLflow's names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..records import Experiment as TcExperiment
    from ..records import RunSummary
    from ..registry.records import ModelVersion as TcModelVersion
    from ..registry.records import RegisteredModel as TcRegisteredModel
    from ..store import Store


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


class ViewType:
    """Which experiments or runs a search returns."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def from_string(cls, text: str) -> int:
        names = {"active_only": 1, "deleted_only": 2, "all": 3}
        try:
            return names[text.lower()]
        except KeyError:
            raise ValidationError(f"unknown view type {text!r}; use ACTIVE_ONLY, DELETED_ONLY or ALL") from None


class RunStatus:
    """MLflow's run statuses, as numbers and names."""

    RUNNING = 1
    SCHEDULED = 2
    FINISHED = 3
    FAILED = 4
    KILLED = 5
    _NAMES: ClassVar[dict[int, str]] = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}

    @classmethod
    def to_string(cls, status: int) -> str:
        try:
            return cls._NAMES[status]
        except KeyError:
            raise ValidationError(f"unknown run status {status!r}; known: {sorted(cls._NAMES)}") from None

    @classmethod
    def from_string(cls, text: str) -> int:
        for number, name in cls._NAMES.items():
            if name == str(text).upper():
                return number
        raise ValidationError(f"unknown run status {text!r}; use one of {', '.join(cls._NAMES.values())}")

    @classmethod
    def is_terminated(cls, status: int) -> bool:
        return status in (cls.FINISHED, cls.FAILED, cls.KILLED)

    @classmethod
    def all_status(cls) -> list[int]:
        return list(cls._NAMES)


def status_name(status: str) -> str:
    """A tui-track status as MLflow names it (a crashed run is FAILED, as an export writes it)."""
    return {"finished": "FINISHED", "failed": "FAILED", "killed": "KILLED", "crashed": "FAILED"}.get(status, "RUNNING")


def text(value: Any) -> str:
    """A param or tag value as MLflow keeps it: ``str()`` of it, as ``mlflow.log_param`` does."""
    return value if isinstance(value, str) else str(value)


def ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None

    @classmethod
    def of(cls, store: Store, exp: TcExperiment) -> Experiment:
        return cls(
            experiment_id=exp.id,
            name=exp.name,
            artifact_location=(store.experiments_dir / exp.id).as_uri(),
            lifecycle_stage="deleted" if exp.deleted else "active",
            tags={k: text(v) for k, v in exp.tags.items()},
            creation_time=ms(exp.created),
            last_update_time=ms(exp.last_activity),
        )


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    run_name: str
    experiment_id: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True)
class RunData:
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData

    @classmethod
    def of(cls, store: Store, run: RunSummary) -> Run:
        info = RunInfo(
            run_id=run.id,
            run_name=run.name,
            experiment_id=run.experiment_id,
            user_id=run.user or "",
            status=status_name(run.status),
            start_time=ms(run.start_time),
            end_time=ms(run.end_time),
            artifact_uri=store.artifact_root(run.id).as_uri(),
            lifecycle_stage="deleted" if run.deleted else "active",
        )
        tags = {k: text(v) for k, v in run.tags.items()}
        tags.setdefault("mlflow.runName", run.name)
        if run.user:
            tags.setdefault("mlflow.user", run.user)
        if run.parent_id:
            tags.setdefault("mlflow.parentRunId", run.parent_id)
        metrics = {k: m.last for k, m in run.metrics.items()}
        return cls(info, RunData({k: text(v) for k, v in run.params.items()}, metrics, tags))


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    current_stage: str
    run_id: str | None
    source: str
    description: str | None
    tags: dict[str, str]
    aliases: list[str]
    creation_timestamp: int | None
    status: str = "READY"

    @classmethod
    def of(cls, version: TcModelVersion) -> ModelVersion:
        stage = {"development": "None"}.get(version.stage, version.stage.capitalize())
        source = f"runs:/{version.source_run_id}/{version.source_artifact or 'model'}" if version.source_run_id else ""
        return cls(
            name=version.model,
            version=str(version.version),
            current_stage=stage,
            run_id=version.source_run_id,
            source=source or str(version.path),
            description=version.description,
            tags={k: text(v) for k, v in version.tags.items()},
            aliases=list(version.aliases),
            creation_timestamp=ms(version.registered_at),
        )


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    description: str | None
    tags: dict[str, str]
    aliases: dict[str, str]
    creation_timestamp: int | None
    last_updated_timestamp: int | None

    @classmethod
    def of(cls, model: TcRegisteredModel) -> RegisteredModel:
        return cls(
            name=model.name,
            description=model.description,
            tags={k: text(v) for k, v in model.tags.items()},
            aliases={a: str(v) for a, v in model.aliases.items()},
            creation_timestamp=ms(model.created),
            last_updated_timestamp=ms(model.updated),
        )
