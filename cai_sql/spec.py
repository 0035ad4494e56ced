"""Prediction specs: what to predict, for whom, from what — read from TOML or built in Python.

A spec is validated as a whole before anything runs: every problem is reported at once, each
naming the file and the key, so a user fixes a spec in one pass.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from .database import table_exists
from .errors import CaiError
from .predicates import PredicateError, check_boolean, parse_predicate
from .tomlfiles import read_toml

NUMERIC_PROFILE_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "FLOAT", "DOUBLE", "BOOLEAN",
}
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MAX_LOOKBACK_DAYS = 365
DEFAULT_ACTIVE_DAYS = 45
ALL_HISTORY = "all"  # eligibility.active_days: anyone with an event before the cutoff


class SpecError(CaiError):
    """A prediction spec is invalid; the message lists every problem."""


@dataclass(frozen=True)
class Goal:
    """The outcome: conditions over events in the window after the cutoff."""

    conditions: tuple[str, ...]
    combine: str = "any_of"  # or "all_of"
    will_occur: bool = True
    window_days: int = 30


@dataclass(frozen=True)
class CustomEvent:
    """A named event predicate that gets its own count and recency features."""

    name: str
    predicate: str


@dataclass(frozen=True)
class PredictionSpec:
    name: str
    goal: Goal
    model_type: str = "conversion"  # or "churn"
    lookback_days: int = 90
    active_days: int | str = DEFAULT_ACTIVE_DAYS  # or ALL_HISTORY
    eligibility_events: tuple[str, ...] = ()
    eligibility_profiles: tuple[str, ...] = ()
    custom_events: tuple[CustomEvent, ...] = ()
    numeric_attributes: tuple[str, ...] = ()
    categorical_attributes: tuple[str, ...] = ()
    snapshots: int = 6
    stride_days: int = 14
    min_positives: int = 500
    min_negatives: int = 500
    clv_features: bool = True
    source: str = field(default="<python>", compare=False)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("source")
        return data

    @property
    def history_days(self) -> int:
        """History that the windowed features need before a cutoff: max(lookback, 30 days).
        Lifetime features need none; windows that do not fit are dropped from the plan."""
        return max(self.lookback_days, 30)

    @property
    def all_history_eligible(self) -> bool:
        """Eligible: anyone with an event before the cutoff (``active_days = "all"``)."""
        return self.active_days == ALL_HISTORY


TOP_LEVEL_KEYS = {"name", "model_type", "lookback_days", "goal", "eligibility", "custom_events", "attributes", "training"}
SECTION_KEYS = {
    "goal": {"all_of", "any_of", "will_occur", "window_days"},
    "eligibility": {"active_days", "events", "profiles"},
    "attributes": {"numeric", "categorical"},
    "training": {"snapshots", "stride_days", "min_positives", "min_negatives", "clv_features"},
}


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{key}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            count = f"{len(self.items)} problem{'s' if len(self.items) > 1 else ''}"
            raise SpecError(f"{self.source}: {count}: " + "; ".join(self.items))


def _int(problems: _Problems, data: dict, key: str, label: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(label, f"must be a whole number from {low} to {high} (got {value!r})")
        return default
    return value


def _bool(problems: _Problems, data: dict, key: str, label: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        problems.add(label, f"must be true or false (got {value!r})")
        return default
    return value


def _strings(problems: _Problems, data: dict, key: str, label: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.add(label, "must be a list of non-empty strings")
        return ()
    return tuple(value)


def _unknown_keys(problems: _Problems, data: dict, allowed: set[str], prefix: str) -> None:
    for key in sorted(set(data) - allowed):
        problems.add(f"{prefix}{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def spec_from_dict(data: dict, source: str = "<python>") -> PredictionSpec:
    """Build a spec from TOML-shaped data, reporting every structural problem at once."""
    problems = _Problems(source)
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a spec is a table of keys")
    _unknown_keys(problems, data, TOP_LEVEL_KEYS, "")
    sections = {}
    for section, allowed in SECTION_KEYS.items():
        value = data.get(section, {})
        if not isinstance(value, dict):
            problems.add(section, "must be a table")
            value = {}
        _unknown_keys(problems, value, allowed, f"{section}.")
        sections[section] = value

    name = data.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.add("name", f"must be lower-case letters, digits and _ starting with a letter, at most 48 (got {name!r})")
        name = "invalid"
    model_type = data.get("model_type", "conversion")
    if model_type not in ("conversion", "churn"):
        problems.add("model_type", f"must be 'conversion' or 'churn' (got {model_type!r})")
    lookback = _int(problems, data, "lookback_days", "lookback_days", 90, 7, MAX_LOOKBACK_DAYS)

    goal_data = sections["goal"]
    combiners = [key for key in ("all_of", "any_of") if key in goal_data]
    if len(combiners) != 1:
        problems.add("goal", "give exactly one of all_of or any_of (a list of conditions over events)")
        combine, conditions = "any_of", ()
    else:
        combine = combiners[0]
        conditions = _strings(problems, goal_data, combine, f"goal.{combine}")
        if not conditions and f"goal.{combine}: must be a list of non-empty strings" not in problems.items:
            problems.add(f"goal.{combine}", "needs at least one condition")
    will_occur = goal_data.get("will_occur", model_type != "churn")
    if not isinstance(will_occur, bool):
        problems.add("goal.will_occur", f"must be true or false (got {will_occur!r})")
        will_occur = True
    window = _int(problems, goal_data, "window_days", "goal.window_days", 30, 1, 365)

    eligibility = sections["eligibility"]
    if eligibility.get("active_days") == ALL_HISTORY:
        active_days: int | str = ALL_HISTORY
    else:
        active_days = _int(problems, eligibility, "active_days", "eligibility.active_days", DEFAULT_ACTIVE_DAYS, 1, MAX_LOOKBACK_DAYS)
        if problems.items and problems.items[-1].startswith("eligibility.active_days:"):
            problems.items[-1] += f' or "{ALL_HISTORY}" (anyone with an event before the cutoff)'

    custom = []
    raw_custom = data.get("custom_events", [])
    if not isinstance(raw_custom, list):
        problems.add("custom_events", "must be an array of tables with name and predicate")
        raw_custom = []
    seen = set()
    for index, item in enumerate(raw_custom):
        label = f"custom_events[{index}]"
        if not isinstance(item, dict) or set(item) != {"name", "predicate"}:
            problems.add(label, "needs exactly the keys name and predicate")
            continue
        if not isinstance(item["name"], str) or not NAME_PATTERN.match(item["name"]):
            problems.add(f"{label}.name", f"must be lower-case letters, digits and _ (got {item['name']!r})")
            continue
        if item["name"] in seen:
            problems.add(f"{label}.name", f"'{item['name']}' is used twice")
        seen.add(item["name"])
        if not isinstance(item["predicate"], str):
            problems.add(f"{label}.predicate", "must be a string")
            continue
        custom.append(CustomEvent(item["name"], item["predicate"]))

    attributes = sections["attributes"]
    training = sections["training"]
    spec = PredictionSpec(
        name=name,
        goal=Goal(conditions, combine, will_occur, window),
        model_type=model_type if model_type in ("conversion", "churn") else "conversion",
        lookback_days=lookback,
        active_days=active_days,
        eligibility_events=_strings(problems, eligibility, "events", "eligibility.events"),
        eligibility_profiles=_strings(problems, eligibility, "profiles", "eligibility.profiles"),
        custom_events=tuple(custom),
        numeric_attributes=_strings(problems, attributes, "numeric", "attributes.numeric"),
        categorical_attributes=_strings(problems, attributes, "categorical", "attributes.categorical"),
        snapshots=_int(problems, training, "snapshots", "training.snapshots", 6, 2, 52),
        stride_days=_int(problems, training, "stride_days", "training.stride_days", 14, 1, 180),
        min_positives=_int(problems, training, "min_positives", "training.min_positives", 500, 1, 10**9),
        min_negatives=_int(problems, training, "min_negatives", "training.min_negatives", 500, 1, 10**9),
        clv_features=_bool(problems, training, "clv_features", "training.clv_features", True),
        source=source,
    )
    if not spec.all_history_eligible and spec.active_days > spec.lookback_days:
        problems.add("eligibility.active_days", f"{spec.active_days} exceeds lookback_days ({spec.lookback_days}); features and eligibility only see the lookback")
    overlap = set(spec.numeric_attributes) & set(spec.categorical_attributes)
    if overlap:
        problems.add("attributes", f"{', '.join(sorted(overlap))} listed as both numeric and categorical")
    problems.raise_if_any()
    return spec


def load_spec(path: str | Path) -> PredictionSpec:
    """Read a spec from a TOML file."""
    return spec_from_dict(read_toml(path, "spec", SpecError), str(path))


def check_against_database(spec: PredictionSpec, con: duckdb.DuckDBPyConnection) -> dict:
    """Check tables, columns and predicates against the data; returns the parsed predicates.

    Every problem is collected and reported at once.
    """
    problems = _Problems(spec.source)
    if not table_exists(con, "events"):
        raise SpecError(f"{spec.source}: the database has no events table; load events with `cai ingest` first")
    event_columns = con.table("events").columns
    has_profiles = table_exists(con, "profiles")
    # the features query adds _cai_customer_id and _cai_first_day beside the profile columns
    profile_columns = [c for c in (con.table("profiles").columns if has_profiles else []) if not c.lower().startswith("_cai_")]
    parsed: dict[str, object] = {"goal": [], "eligibility_events": [], "eligibility_profiles": [], "custom_events": []}

    def parse(text: str, label: str, columns, table: str):
        try:
            tree = parse_predicate(text, columns, label)
            check_boolean(con, tree, table, label)
            return tree
        except PredicateError as exc:
            problems.items.append(str(exc))
            return None

    for index, text in enumerate(spec.goal.conditions):
        parsed["goal"].append(parse(text, f"goal.{spec.goal.combine}[{index}]", event_columns, "events"))
    for index, text in enumerate(spec.eligibility_events):
        parsed["eligibility_events"].append(parse(text, f"eligibility.events[{index}]", event_columns, "events"))
    for index, item in enumerate(spec.custom_events):
        parsed["custom_events"].append(parse(item.predicate, f"custom_events[{index}].predicate", event_columns, "events"))
    needs_profiles = spec.eligibility_profiles or spec.numeric_attributes or spec.categorical_attributes
    if needs_profiles and not has_profiles:
        problems.add("attributes", "the spec uses profile attributes but the database has no profiles table; load one with `cai ingest FILE --profiles`")
    elif has_profiles:
        for index, text in enumerate(spec.eligibility_profiles):
            parsed["eligibility_profiles"].append(parse(text, f"eligibility.profiles[{index}]", profile_columns, "profiles"))
        profile_types = dict(zip(con.table("profiles").columns, (str(t) for t in con.table("profiles").types)))
        for kind, names in (("numeric", spec.numeric_attributes), ("categorical", spec.categorical_attributes)):
            for name in names:
                if name.lower().startswith("_cai_"):
                    problems.add(f"attributes.{kind}", f"profile column names starting with _cai_ are reserved ('{name}')")
                elif name not in profile_columns or name == "customer_id":
                    problems.add(f"attributes.{kind}", f"profiles has no column '{name}' (columns: {', '.join(profile_columns)})")
                elif kind == "numeric" and profile_types[name] not in NUMERIC_PROFILE_TYPES and not profile_types[name].startswith("DECIMAL"):
                    problems.add("attributes.numeric", f"profiles.{name} is {profile_types[name]}, not a number; list it under attributes.categorical")
    problems.raise_if_any()
    return parsed
