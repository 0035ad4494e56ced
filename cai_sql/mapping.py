"""Column mappings: where the canonical event and profile fields live in a user's file.

A mapping names a column, or a dotted path into nested fields (``user.id``), for each canonical
field. It can be written in a TOML file::

    [events]
    customer_id = "user.id"
    ts = "event_time"
    ts_format = "%d/%m/%Y %H:%M"     # strptime format, or epoch_s / epoch_ms / epoch_us
    event_type = "action"
    value = "amount"
    event_id = "id"

    [events.extra]                  # further columns copied into `events`
    channel = "channel"

    [profiles]
    customer_id = "crm_id"
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import InputError, shorten
from .tomlfiles import read_toml

EVENT_FIELDS = ("customer_id", "ts", "event_type", "value", "event_id")
REQUIRED_EVENT_FIELDS = ("customer_id", "ts", "event_type")
EPOCH_UNITS = ("epoch_s", "epoch_ms", "epoch_us")
INTERNAL_COLUMNS = ("ts_raw", "value_raw", "_row")  # helper columns of an ingest


@dataclass(frozen=True)
class EventMapping:
    """Where each canonical ``events`` field comes from; ``None`` means the column of that name."""

    customer_id: str | None = None
    ts: str | None = None
    event_type: str | None = None
    value: str | None = None
    event_id: str | None = None
    ts_format: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def source(self, name: str) -> tuple[str, bool]:
        """The path for a canonical field and whether the user named it explicitly."""
        given = getattr(self, name)
        return (given, True) if given is not None else (name, False)

    @property
    def is_default(self) -> bool:
        return self == EventMapping()


@dataclass(frozen=True)
class ProfileMapping:
    """Which column identifies the customer in a profiles file."""

    customer_id: str | None = None

    def source(self) -> tuple[str, bool]:
        return (self.customer_id, True) if self.customer_id is not None else ("customer_id", False)


def event_mapping_from(values: dict, origin: str) -> EventMapping:
    """Build an :class:`EventMapping` from a plain dict, rejecting unknown keys by name."""
    known = {f.name for f in fields(EventMapping)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(
            f"{origin}: unknown mapping key(s) {', '.join(unknown)}; "
            f"valid keys are {', '.join(sorted(known))}"
        )
    for key, value in values.items():
        if key == "extra":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise InputError(f"{origin}: 'extra' must map new column names to source fields")
            reserved = {name.lower() for name in (*EVENT_FIELDS, *INTERNAL_COLUMNS)}
            clash = sorted(name for name in value if name.lower() in reserved)
            if clash:
                raise InputError(f"{origin}: extra column name(s) {', '.join(clash)} are reserved; choose other names")
        elif not isinstance(value, str) or not value:
            raise InputError(f"{origin}: mapping key '{shorten(key)}' must be a non-empty field name")
    return EventMapping(**values)


def parse_pairs(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["customer_id=user", "ts=time"]`` → dict, for ``--map`` on the command line."""
    result: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"--map {shorten(pair)!r}: write it as FIELD=COLUMN, e.g. --map customer_id=user_id")
        result[name.strip()] = value.strip()
    return result


def load_mapping_file(path: str | Path) -> tuple[EventMapping, ProfileMapping]:
    """Read the ``[events]`` and ``[profiles]`` sections of a TOML mapping file."""
    document = read_toml(path, "mapping", InputError)
    unknown = sorted(set(document) - {"events", "profiles"})
    if unknown:
        raise InputError(f"{path}: unknown section(s) {', '.join(unknown)}; use [events] and [profiles]")
    events = event_mapping_from(document.get("events", {}), f"{path} [events]")
    profile_values = document.get("profiles", {})
    extra_keys = sorted(set(profile_values) - {"customer_id"})
    if extra_keys:
        raise InputError(f"{path} [profiles]: unknown key(s) {', '.join(extra_keys)}; only customer_id is read")
    return events, ProfileMapping(**profile_values)
