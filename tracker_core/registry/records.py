"""What the registry returns: models, versions and history entries, plus the name rules."""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ValidationError

DEVELOPMENT = "development"
STAGING = "staging"
PRODUCTION = "production"
ARCHIVED = "archived"
STAGES = (DEVELOPMENT, STAGING, PRODUCTION, ARCHIVED)
UNREADABLE = "unreadable"
"""The action of a history entry standing for a damaged line."""
_STAGE_SYNONYMS = {"none": DEVELOPMENT, "dev": DEVELOPMENT, "prod": PRODUCTION}

_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_ALIAS = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RESERVED_ALIAS = re.compile(r"latest|v[0-9]+", re.IGNORECASE)


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "UNSET"


UNSET = Unset.UNSET
"""Default of the ``expect_*`` keywords of the registry's changes: no expectation given."""


def validate_model_name(name: object) -> str:
    """A model name: letters, digits, ``_``, ``.``, ``-`` (it names a directory and fits in a URI)."""
    if not isinstance(name, str) or not _MODEL_NAME.fullmatch(name):
        raise ValidationError(
            f"invalid model name {name!r}: use 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    return name


def validate_alias(alias: object, *, existing: bool = False) -> str:
    """An alias such as ``champion``: 1-64 of ``[A-Za-z0-9_-]``, not all digits (that reads as a version).

    ``latest`` and ``v<digits>`` (any case) are reserved, as in MLflow: ``models:/m@latest`` would
    otherwise differ from ``models:/m/latest``. With ``existing`` (removing an alias) a reserved
    name made before this rule is accepted so that it can be removed.
    """
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias) or alias.isdigit():
        raise ValidationError(
            f"invalid alias {alias!r}: use 1-64 letters, digits, '_' or '-' (not only digits), e.g. 'champion'"
        )
    if not existing and _RESERVED_ALIAS.fullmatch(alias):
        raise ValidationError(
            f"alias {alias!r} is reserved: MLflow keeps 'latest' and 'v<number>' for the latest version and "
            f"version numbers (models:/<name>/latest, models:/<name>/3); choose another name, e.g. 'champion'"
        )
    return alias


def normalize_stage(stage: object) -> str:
    """A stage name in canonical form (case-insensitive; MLflow's ``None`` means development)."""
    text = stage.strip().lower() if isinstance(stage, str) else None
    if text is not None:
        text = _STAGE_SYNONYMS.get(text, text)
        if text in STAGES:
            return text
    raise ValidationError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of a model's audit trail.

    ``action`` is one of ``register``, ``stage``, ``alias_set``, ``alias_delete``, ``delete``,
    ``restore``, ``description``, ``tag`` (``version`` is None for model-level changes), or
    ``unreadable`` for a damaged line (then ``error`` says why).
    ``key`` names the alias or tag concerned; ``from_value``/``to_value`` are text.
    """

    time: float
    user: str
    host: str
    action: str
    version: int | None
    from_value: str | None
    to_value: str | None
    reason: str | None = None
    key: str | None = None
    error: str | None = None
    """Set on an ``unreadable`` entry: which history line is damaged and why (the other fields are empty)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """The change in words, e.g. ``v3 staging -> production``."""
        if self.action == UNREADABLE:
            return f"unreadable: {self.error}"
        target = f"v{self.version}" if self.version is not None else "model"
        if self.action == "register":
            source = f" from run {self.from_value[:8]}" if self.from_value else ""
            return f"{target} registered{source} in {self.to_value}"
        if self.action == "stage":
            return f"{target} {self.from_value} -> {self.to_value}"
        if self.action == "alias_set":
            was = f" (was v{self.from_value})" if self.from_value is not None else ""
            return f"alias {self.key} -> v{self.to_value}{was}"
        if self.action == "alias_delete":
            return f"alias {self.key} removed (was v{self.from_value})"
        if self.action in ("delete", "restore"):
            return f"{target} {self.action}d"
        what = f"{self.action} {self.key}" if self.key else self.action
        return f"{target} {what}: {self.from_value or '-'} -> {self.to_value or '-'}"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A registered version: where it came from, what it scored, and where it stands now."""

    model: str
    version: int
    stage: str
    aliases: list[str]
    source_run_id: str | None
    metrics: dict[str, float]
    params: dict[str, Any]
    registered_by: str
    host: str
    registered_at: float
    sha256: str
    size: int
    description: str | None
    tags: dict[str, Any]
    deleted: bool
    path: Path
    source_artifact: str | None = None
    model_class: str | None = None
    error: str | None = None
    """Why this version's record could not be read (then most fields are empty)."""

    @property
    def uri(self) -> str:
        return f"models:/{self.model}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["uri"] = self.uri
        return data


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A named model with its versions summarized (counts exclude deleted versions)."""

    name: str
    description: str | None
    tags: dict[str, Any]
    created: float
    latest_version: int | None
    production_version: int | None
    aliases: dict[str, int] = field(default_factory=dict)
    version_count: int = 0
    staging_versions: list[int] = field(default_factory=list)
    updated: float | None = None
    deleted: bool = False
    error: str | None = None
    """Why this model's files could not be read (then the other fields are empty)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
