"""Model URIs as MLflow writes them: ``models:/<name>/<version|stage|latest>`` and ``models:/<name>@<alias>``."""

from __future__ import annotations

from typing import NamedTuple

from ..errors import ValidationError
from .records import normalize_stage, validate_alias, validate_model_name

SCHEME = "models:/"
URI_FORMS = "models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest or models:/<name>@<alias>"


class ModelRef(NamedTuple):
    """What a URI points at: at most one of version, stage and alias is set; none means the latest version."""

    name: str
    version: int | None = None
    stage: str | None = None
    alias: str | None = None


def is_model_uri(text: object) -> bool:
    return isinstance(text, str) and text.startswith(SCHEME)


def parse_model_uri(uri: str) -> ModelRef:
    """Split a ``models:/`` URI; raises :class:`ValidationError` naming the accepted forms."""
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        raise ValidationError(f"not a model URI: {uri!r}; use {URI_FORMS}")
    rest = uri[len(SCHEME) :].strip("/")
    try:
        if "@" in rest:
            name, alias = rest.split("@", 1)
            return ModelRef(validate_model_name(name), alias=validate_alias(alias))
        name, _, selector = rest.partition("/")
        name = validate_model_name(name)
        if not selector or selector.lower() == "latest":
            return ModelRef(name)
        if selector.isdigit():
            return ModelRef(name, version=int(selector))
        return ModelRef(name, stage=normalize_stage(selector))
    except ValidationError as exc:
        raise ValidationError(f"cannot read model URI {uri!r}: {exc}; use {URI_FORMS}") from None
