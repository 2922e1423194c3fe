"""Date filters and response timestamps (§6.2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from ..contract import ErrorCode
from .errors import BadRequest

_PLAIN_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def _parse_plain(raw: str) -> datetime | None:
    for fmt in _PLAIN_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def parse_filter(query: Mapping[str, str], name: str) -> datetime | None:
    """`name` takes YYYY-MM-DD[ HH:MM:SS] in UTC; `name_utc` also takes ISO 8601 and wins when both are sent."""
    raw_utc = query.get(f"{name}_utc")
    if raw_utc:
        parsed = _parse_plain(raw_utc)
        if parsed is None:
            try:
                parsed = datetime.fromisoformat(raw_utc.replace("Z", "+00:00"))
            except ValueError:
                raise BadRequest(
                    f"{name}_utc must be an ISO 8601 date-time, got {raw_utc!r}", code=ErrorCode.INVALID_PARAMETER
                ) from None
            parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        return parsed
    raw = query.get(name)
    if raw:
        parsed = _parse_plain(raw)
        if parsed is None:
            raise BadRequest(
                f"{name} must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got {raw!r}", code=ErrorCode.INVALID_PARAMETER
            )
        return parsed
    return None


def has_filter(query: Mapping[str, str], name: str) -> bool:
    return bool(query.get(name) or query.get(f"{name}_utc"))


def in_window(value: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or value >= start) and (end is None or value <= end)


def stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


def stamp_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
