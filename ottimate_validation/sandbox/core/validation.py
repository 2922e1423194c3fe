"""Request-body validation with pydantic, turned into 400 ErrorResponses that name the field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from .. import readings
from ..contract import MAX_TEXT_LENGTH, ErrorCode
from ..faults import FaultSwitches
from .errors import BadRequest, ValidationFailed

Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH)]

M = TypeVar("M", bound=BaseModel)


class Body(BaseModel):
    """Strict: "5" is not an integer and 5 is not a string; unknown fields are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


def describe(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        out.append({"field": f"{prefix}{loc}", "message": err["msg"]})
    return out


def summary(errors: list[dict[str, str]]) -> str:
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors)


def parse(model: type[M], body: Any, faults: FaultSwitches, prefix: str = "") -> dict[str, Any]:
    """The validated fields as a dict; with `validation_not_enforced` on, whatever was sent."""
    if faults.on("validation_not_enforced"):
        source = body if isinstance(body, dict) else {}
        return {
            name: source.get(name, None if field.is_required() else field.default)
            for name, field in model.model_fields.items()
        }
    try:
        return model.model_validate(body).model_dump()
    except ValidationError as exc:
        errors = describe(exc, prefix)
        raise ValidationFailed(summary(errors), errors=errors) from None


def check(model: type[M], body: Any, prefix: str = "") -> tuple[dict[str, Any] | None, str | None]:
    """Validate without raising: (fields, None) or (None, message). For per-item bulk errors."""
    try:
        return model.model_validate(body).model_dump(), None
    except ValidationError as exc:
        return None, summary(describe(exc, prefix))


def outside_enum(name: str, value: str | None, allowed: Iterable[str]) -> bool:
    """Whether a list filter's value lies outside its documented enum and so matches nothing
    ("undocumented-filter-values": match-nothing); under our choice such a value is 400 `invalid_parameter`."""
    allowed = tuple(allowed)
    if not value or value in allowed:
        return False
    if readings.current().takes("undocumented-filter-values", "match-nothing"):
        return True
    raise BadRequest(f"{name} must be one of {', '.join(allowed)}, got {value!r}", code=ErrorCode.INVALID_PARAMETER)
