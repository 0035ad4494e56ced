"""Feature, label and eligibility SQL for a prediction, rendered from the ``sql/`` templates.

The templates hold the query shape; this module decides which features a spec gets on the data
at hand (one set per event type present, per custom event, per profile attribute), names and
describes them, and substitutes them into the templates' syntax trees. Two renderings of one
feature list: the per-model table macro persisted in the database (``feature_rows_macro``: one cutoff,
plain aggregates) and the training query (``cai_features``: many cutoffs in one pass over
``events``); tests hold their rows equal at every cutoff.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

import duckdb
import sqlglot
from sqlglot import exp

from .errors import CaiError
from .predicates import qualify
from .spec import PredictionSpec
from .sqlfiles import sql_text
from .sqltree import DIALECT, ident

COUNT_WINDOWS = (7, 30, 90)
VALUE_WINDOWS = (30, 90)
MAX_EVENT_TYPES = 40
MAX_LEVELS = 20
MIN_LEVEL_SHARE = 0.005


@dataclass(frozen=True)
class Feature:
    """One model input: its column name, the reason-code text, and how it is computed."""

    name: str
    description: str
    kind: str  # count | recency | value_sum | custom_count | custom_recency | active_days | tenure | numeric | flag | category
    #            | lifetime_days | lifetime_span | lifetime_age | lifetime_recency | lifetime_value | lifetime_mean_value | lifetime_gap
    #            | lifetime_idle_share | lifetime_rate
    source: str | None = None  # event type, custom event name, profile attribute, or lifetime source (any, goal:N, custom:NAME)
    days: int | None = None
    level: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def slug(text: str) -> str:
    """A readable identifier fragment: ``web.webpagedetails.pageViews`` → ``web_webpagedetails_pageviews``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def _windows(candidates: tuple[int, ...], lookback: int) -> list[int]:
    return [w for w in candidates if w <= lookback]


# Readable nouns for the standard XDM event types, for lifetime reason codes ("Purchase days ever").
EVENT_NOUNS = {
    "commerce.purchases": ("purchase", "purchases"),
    "commerce.productViews": ("product view", "product views"),
    "commerce.productListAdds": ("cart addition", "cart additions"),
    "commerce.productListRemovals": ("cart removal", "cart removals"),
    "commerce.productListOpens": ("cart open", "cart opens"),
    "commerce.productListViews": ("cart view", "cart views"),
    "commerce.checkouts": ("checkout", "checkouts"),
    "web.webpagedetails.pageViews": ("page view", "page views"),
    "web.webinteraction.linkClicks": ("link click", "link clicks"),
    "application.launches": ("app launch", "app launches"),
    "application.installs": ("app install", "app installs"),
}
ANY_EVENT = "any"


@dataclass(frozen=True)
class LifetimeSource:
    """Events whose whole history before a cutoff becomes lifetime features: all events, a goal
    condition, or a custom event. ``key`` is what a feature's ``source`` holds."""

    key: str  # any | goal:N | custom:NAME
    noun: str
    plural: str


def _event_type_of(condition: str) -> str | None:
    """The event type of a goal condition of the form ``event_type = 'X'``, else None."""
    try:
        tree = sqlglot.parse_one(condition, read=DIALECT)
    except sqlglot.errors.SqlglotError:
        return None
    if isinstance(tree, exp.EQ):
        sides = (tree.this, tree.expression)
        for column, literal in (sides, sides[::-1]):
            if isinstance(column, exp.Column) and column.name.lower() == "event_type" and isinstance(literal, exp.Literal) \
                    and literal.is_string:
                return literal.this
    return None


def lifetime_sources(spec: PredictionSpec) -> list[LifetimeSource]:
    """All events, each goal condition (named after its event type when it is ``event_type = 'X'``),
    and each custom event; a goal condition repeated verbatim counts once."""
    sources = [LifetimeSource(ANY_EVENT, "event", "events")]
    seen = set()
    several = len(spec.goal.conditions) > 1
    for index, condition in enumerate(spec.goal.conditions):
        if condition in seen:
            continue
        seen.add(condition)
        event_type = _event_type_of(condition)
        if event_type is not None:
            noun, plural = EVENT_NOUNS.get(event_type, (f"{event_type} event", f"{event_type} events"))
        else:
            noun = f"goal event {index + 1}" if several else "goal event"
            plural = f"{noun}s"
        sources.append(LifetimeSource(f"goal:{index}", noun, plural))
    for custom in spec.custom_events:
        sources.append(LifetimeSource(f"custom:{custom.name}", f"{custom.name} event", f"{custom.name} events"))
    return sources


def _lifetime_features(spec: PredictionSpec, has_value: bool) -> list[Feature]:
    """Point-in-time features over all history before the cutoff (no lookback limit, no history needed)."""
    features = []
    for source in lifetime_sources(spec):
        s = "event" if source.key == ANY_EVENT else slug(source.noun)
        noun, plural = source.noun, source.plural
        if source.key == ANY_EVENT:  # days since the first event is tenure_days
            rows = [("days", "Active days ever"), ("span", "Days from first to last event"),
                    ("recency", "Days since last event"), ("gap", "Mean days between active days"),
                    ("idle_share", "Share of the customer's life since the last event"),
                    ("rate", "Active days per 30 days since the first event")]
            if has_value:
                rows += [("value", "Total value of all events"), ("mean_value", "Mean value per active day")]
        else:
            rows = [("days", f"{noun[0].upper()}{noun[1:]} days ever"), ("span", f"Days from first to last {noun}"),
                    ("age", f"Days since first {noun}"), ("recency", f"Days since last {noun}"),
                    ("gap", f"Mean days between {plural}"),
                    ("idle_share", f"Share of the time since the first {noun} without one"),
                    ("rate", f"{noun[0].upper()}{noun[1:]} days per 30 days since the first")]
            if has_value:
                rows += [("value", f"Total {noun} value"), ("mean_value", f"Mean {noun} value")]
        for measure, description in rows:
            features.append(Feature(f"lt_{s}_{measure}", description, f"lifetime_{measure}", source.key))
    return features


def windowed_drops(spec: PredictionSpec, history_days: int | None) -> list[str]:
    """Notes for the windowed features left out because their window does not fit in ``history_days``
    (the history before the earliest training cutoff)."""
    if history_days is None or history_days >= spec.lookback_days:
        return []
    notes = [f"counts over {w} days" for w in COUNT_WINDOWS if history_days < w <= spec.lookback_days]
    notes += [f"value sums over {w} days" for w in VALUE_WINDOWS if history_days < w <= spec.lookback_days]
    notes.append(f"days since last (capped at the {spec.lookback_days}-day lookback) and active days in the lookback")
    return [f"left out windowed features that need more history than the {history_days} days before the earliest "
            f"training cutoff: {', '.join(notes)}; lifetime features cover them"]


def clv_features(spec: PredictionSpec) -> list[Feature]:
    """BG/NBD P(alive) and expected goal events in the goal window, from the goal's first condition."""
    source = next(s for s in lifetime_sources(spec) if s.key.startswith("goal:"))
    window = spec.goal.window_days
    return [
        Feature("clv_p_alive", f"Chance the customer still makes {source.plural} (BG/NBD)", "clv_p_alive", source.key),
        Feature(f"clv_expected_{window}d", f"Expected {source.plural} in the next {window} days (BG/NBD)", "clv_expected",
                source.key, window),
    ]


def plan_features(con: duckdb.DuckDBPyConnection, spec: PredictionSpec, until, history_days: int | None = None) -> list[Feature]:
    """Decide the feature list from the spec and the events before ``until`` (training data only).

    ``history_days``: the days of data before the earliest training cutoff; a windowed feature
    whose window is longer is left out (see :func:`windowed_drops`), lifetime features never are.
    """
    types = con.execute(sql_text("event_types_present"), {"until": until, "limit": MAX_EVENT_TYPES}).fetchall()
    if not types:
        raise CaiError(f"{spec.source}: no events before {until}; the data does not cover the training period")
    fits = spec.lookback_days if history_days is None else min(spec.lookback_days, history_days)
    whole_lookback = fits >= spec.lookback_days
    features: list[Feature] = []
    counts = _windows(COUNT_WINDOWS, fits)
    values = _windows(VALUE_WINDOWS, fits)
    for event_type, has_value in types:
        s = slug(event_type)
        for days in counts:
            features.append(Feature(f"n_{s}_{days}d", f"Count of {event_type} in last {days} days", "count", event_type, days))
        if whole_lookback:
            features.append(Feature(f"days_since_{s}", f"Days since last {event_type}", "recency", event_type))
        if has_value:
            for days in values:
                features.append(Feature(f"value_{s}_{days}d", f"Sum of value of {event_type} in last {days} days", "value_sum", event_type, days))
    for custom in spec.custom_events:
        for days in counts:
            features.append(Feature(f"n_custom_{custom.name}_{days}d", f"Count of {custom.name} in last {days} days", "custom_count", custom.name, days))
        if whole_lookback:
            features.append(Feature(f"days_since_custom_{custom.name}", f"Days since last {custom.name}", "custom_recency", custom.name))
    if whole_lookback:
        features.append(Feature(f"active_days_{spec.lookback_days}d", f"Distinct active days in last {spec.lookback_days} days", "active_days"))
    features.append(Feature("tenure_days", "Days since first event", "tenure"))
    features += _lifetime_features(spec, any(has_value for _, has_value in types))
    if spec.clv_features:
        features += clv_features(spec)
    profile_types = _profile_types(con) if spec.numeric_attributes else {}
    for name in spec.numeric_attributes:
        # a BOOLEAN attribute is a yes/no flag: its reason code says "is" or "is not" (cai_sql.factors)
        kind = "flag" if profile_types.get(name) == "BOOLEAN" else "numeric"
        features.append(Feature(f"attr_{slug(name)}", f"Profile {name}", kind, name))
    for name in spec.categorical_attributes:
        query = render_template("category_levels", {"__attribute__": exp.column(ident(name), table="p")})
        rows = con.execute(query, {"limit": MAX_LEVELS, "min_share": MIN_LEVEL_SHARE}).fetchall()
        for (level,) in rows:
            features.append(Feature(f"attr_{slug(name)}_{slug(str(level))}", f"Profile {name} is {level}", "category", name, level=str(level)))
    return _unique_names(features)


def _profile_types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    relation = con.table("profiles")
    return dict(zip(relation.columns, (str(t) for t in relation.types)))


def _unique_names(features: list[Feature]) -> list[Feature]:
    """Different sources can slug to one name (``Gold``/``gold``, non-ASCII levels): number the repeats."""
    seen: dict[str, int] = {}
    unique = []
    for feature in features:
        count = seen.get(feature.name, 0) + 1
        seen[feature.name] = count
        unique.append(feature if count == 1 else replace(feature, name=f"{feature.name}_{count}"))
    return unique


def _placeholder_map(tree: exp.Expression) -> dict[str, list[exp.Expression]]:
    found: dict[str, list[exp.Expression]] = {}
    for node in tree.walk():
        if (isinstance(node, (exp.Column, exp.Table)) and node.name.startswith("__") and node.name.endswith("__")
                and node.name != "__macro__"):
            found.setdefault(node.name, []).append(node)
    return found


def _substitute(tree: exp.Expression, values: dict[str, exp.Expression], lists: dict[str, list[exp.Expression]]) -> exp.Expression:
    """Replace value placeholders by expressions and list placeholders by select items."""
    for name, nodes in _placeholder_map(tree).items():
        for node in nodes:
            if name in lists:
                select = node.parent
                items = list(select.expressions)
                position = next(i for i, item in enumerate(items) if item is node)
                select.set("expressions", items[:position] + [item.copy() for item in lists[name]] + items[position + 1:])
            elif name in values:
                replacement = values[name].copy()
                if isinstance(node, exp.Table) and node.alias:
                    replacement.set("alias", exp.TableAlias(this=exp.to_identifier(node.alias)))
                node.replace(replacement)
            else:
                raise KeyError(f"template placeholder {name} has no value")
    return tree


def render_template(template: str, values: dict[str, exp.Expression]) -> str:
    """A ``sql/`` template with its placeholders substituted on the syntax tree."""
    tree = _substitute(sqlglot.parse_one(sql_text(template), read=DIALECT), values, {})
    return tree.sql(DIALECT, comments=False)


def _number(value: int) -> exp.Expression:
    return exp.Literal.number(value)


def _age_within(days: int | None, lookback: int) -> exp.Expression | None:
    if days is None or days >= lookback:
        return None
    return exp.LTE(this=exp.column("age", table="w"), expression=_number(days))


def _filtered(aggregate: exp.Expression, *conditions: exp.Expression | None) -> exp.Expression:
    kept = [c for c in conditions if c is not None]
    if not kept:
        return aggregate
    return exp.Filter(this=aggregate, expression=exp.Where(this=exp.and_(*kept)))


def event_type_codes(features: list[Feature]) -> list[str]:
    """The model's event types in first-use order; a type's code is its 1-based position."""
    codes: list[str] = []
    for f in features:
        if f.kind in ("count", "recency", "value_sum") and f.source not in codes:
            codes.append(f.source)
    return codes


COUNT_BITS = 21  # each window's count takes 21 bits of one BIGINT sum: up to 2,097,151 events
COUNT_MASK = (1 << COUNT_BITS) - 1
AGE_BITS = 9  # an age fits 9 bits (lookback_days <= 365)
AGE_MASK = (1 << AGE_BITS) - 1
AGES_PER_SUM = 7  # days since last of 7 event types share one BIGINT sum (63 bits)
DAYS_MASK = (1 << COUNT_BITS) - 1  # active_days: distinct days in the low bits, recent ones above
COUNT_SUM_BITS = 126  # the window counts of several event types share one HUGEINT sum (126 bits)
DAYS_PER_MASK = 126  # one cutoff: active days as a bitmask of ages, 126 days per HUGEINT bit_or


def _source_key(feature: Feature, codes: list[str], custom_names: list[str]) -> str:
    """Internal column stem for a feature's source: ``t<code>`` for event types, ``c<n>`` for custom events."""
    if feature.kind in ("count", "recency", "value_sum"):
        return f"t{codes.index(feature.source) + 1}"
    return f"c{custom_names.index(feature.source) + 1}"


def _selector(feature: Feature, codes: list[str], custom_flags: dict[str, str]) -> exp.Expression:
    if feature.kind in ("count", "recency", "value_sum"):
        return exp.EQ(this=exp.column("type_code", table="w"), expression=_number(codes.index(feature.source) + 1))
    return exp.column(custom_flags[feature.source], table="w")


def _count_windows(features: list[Feature], codes: list[str], custom_names: list[str]) -> dict[str, list[int]]:
    """Per source (by its column stem), the count windows its features use, in ascending order."""
    windows: dict[str, list[int]] = {}
    for f in features:
        if f.kind in ("count", "custom_count"):
            windows.setdefault(_source_key(f, codes, custom_names), []).append(f.days)
    return {stem: sorted(days) for stem, days in windows.items()}


def _type_count_layout(windows: dict[str, list[int]], codes: list[str]) -> tuple[list[int], int]:
    """The count windows every event type shares, and how many types share one HUGEINT sum
    (a type's field holds COUNT_BITS bits per window: 2 types at 3 windows, 3 at 2, 6 at 1)."""
    lists = {tuple(days) for stem, days in windows.items() if stem.startswith("t")}
    if len(lists) > 1:
        raise CaiError(f"internal: event types with different count windows {sorted(lists)}")
    shared = list(next(iter(lists))) if lists else [0]
    return shared, max(1, COUNT_SUM_BITS // (COUNT_BITS * len(shared)))


def _type_counts(group: int, shared: list[int], per_sum: int, lookback: int) -> exp.Expression:
    """Window counts of event types per_sum·group+1 … per_sum·group+per_sum in one HUGEINT sum: an
    event adds 1 to each window it falls in (COUNT_BITS bits per window), shifted to its type's field."""
    packed = None
    for slot, days in enumerate(shared):
        within = _age_within(days, lookback)
        flag = exp.cast(within if within is not None else exp.true(), "BIGINT")
        term = exp.BitwiseLeftShift(this=flag, expression=_number(COUNT_BITS * slot)) if slot else flag
        packed = term if packed is None else exp.Add(this=packed, expression=term)
    code = exp.column("type_code", table="w")
    value = exp.cast(exp.paren(packed), "HUGEINT")
    if per_sum > 1:
        offset = exp.Mod(this=exp.paren(exp.Sub(this=code, expression=_number(1))), expression=_number(per_sum))
        shift = exp.Mul(this=_number(COUNT_BITS * len(shared)), expression=exp.paren(offset))
        value = exp.BitwiseLeftShift(this=value, expression=exp.cast(shift, "HUGEINT"))
    first = per_sum * group + 1
    in_group = exp.Between(this=code, low=_number(first), high=_number(first + per_sum - 1))
    return exp.alias_(_filtered(exp.Sum(this=value), in_group), f"_counts_{group}")


def _latest_ages(group: int) -> exp.Expression:
    """Days since last for event types 7·group+1 … 7·group+7, packed: each type's latest event before
    the cutoff (exactly one row per customer, cutoff and type) adds its age at 9 bits per type."""
    code = exp.column("type_code", table="w")
    offset = exp.Mod(this=exp.paren(exp.Sub(this=code, expression=_number(1))), expression=_number(AGES_PER_SUM))
    shift = exp.Mul(this=_number(AGE_BITS), expression=exp.paren(offset))
    term = exp.BitwiseLeftShift(this=exp.cast(exp.column("age", table="w"), "BIGINT"), expression=exp.paren(shift))
    first = AGES_PER_SUM * group + 1
    in_group = exp.Between(this=code, low=_number(first), high=_number(first + AGES_PER_SUM - 1))
    return exp.alias_(_filtered(exp.Sum(this=term), exp.column("latest_of_type", table="w"), in_group), f"_latest_{group}")


def _aggregates(features: list[Feature], spec: PredictionSpec, codes: list[str], custom_flags: dict[str, str],
                one_cutoff: bool = False) -> list[exp.Expression]:
    """One aggregate per source and measure, not per feature: the work of the GROUP BY grows with its
    aggregate states, so the window counts of two event types share one HUGEINT sum (COUNT_BITS bits
    per window; a custom event's counts, which may overlap any type, one BIGINT sum of its own) and
    the days since last of seven event types share another (AGE_BITS bits per type), unpacked by
    :func:`_output_for`. At one cutoff (``one_cutoff``) days since last is a ``min`` of the age per
    event type instead: the packed sum needs each type's latest event marked by a window sort."""
    lookback = spec.lookback_days
    custom_names = [c.name for c in spec.custom_events]
    windows = _count_windows(features, codes, custom_names)
    shared, per_sum = _type_count_layout(windows, codes)
    aggregates, done = [], set()
    for f in features:
        if f.kind not in ("count", "recency", "value_sum", "custom_count", "custom_recency"):
            continue
        stem = _source_key(f, codes, custom_names)
        selector = _selector(f, codes, custom_flags)
        if f.kind == "count":
            group = codes.index(f.source) // per_sum
            if ("counts", group) not in done:
                done.add(("counts", group))
                aggregates.append(_type_counts(group, shared, per_sum, lookback))
        elif f.kind == "custom_count" and (stem, "n") not in done:
            done.add((stem, "n"))
            packed = None
            for slot, days in enumerate(windows[stem]):
                within = _age_within(days, lookback)
                flag = exp.cast(within if within is not None else exp.true(), "BIGINT")
                term = exp.BitwiseLeftShift(this=flag, expression=_number(COUNT_BITS * slot)) if slot else flag
                packed = term if packed is None else exp.Add(this=packed, expression=term)
            aggregates.append(exp.alias_(exp.cast(_filtered(exp.Sum(this=packed), selector), "BIGINT"), f"_{stem}_n"))
        elif f.kind == "recency" and one_cutoff:
            aggregates.append(exp.alias_(_filtered(exp.Min(this=exp.column("age", table="w")), selector), f"_{stem}_last"))
        elif f.kind == "recency":
            group = (codes.index(f.source)) // AGES_PER_SUM
            if ("latest", group) not in done:
                done.add(("latest", group))
                aggregates.append(_latest_ages(group))
        elif f.kind == "custom_recency":
            aggregates.append(exp.alias_(_filtered(exp.Min(this=exp.column("age", table="w")), selector), f"_{stem}_last"))
        elif f.kind == "value_sum":
            total = _filtered(exp.Sum(this=exp.column("value", table="w")), selector, _age_within(f.days, lookback))
            aggregates.append(exp.alias_(total, f"_{stem}_v{f.days}"))
    return aggregates


def _mask_count(lookback: int) -> int:
    return (lookback + DAYS_PER_MASK - 1) // DAYS_PER_MASK


def _day_mask(k: int, lookback: int) -> exp.Expression:
    """One cutoff: the days with an event as bits of HUGEINTs, bit (age - 1) % 126 of mask k = (age - 1) // 126."""
    offset = exp.Sub(this=exp.column("age", table="w"), expression=_number(1))
    inside = None
    if lookback > DAYS_PER_MASK:
        offset = exp.Mod(this=exp.paren(offset), expression=_number(DAYS_PER_MASK))
        inside = exp.Between(this=exp.column("age", table="w"), low=_number(DAYS_PER_MASK * k + 1), high=_number(DAYS_PER_MASK * (k + 1)))
    bit = exp.BitwiseLeftShift(this=exp.cast(_number(1), "HUGEINT"), expression=exp.paren(offset))
    return _filtered(exp.func("bit_or", bit), inside)


def _recently_active(spec: PredictionSpec) -> exp.Expression:
    """One cutoff: a bit for an age <= active_days is set in the day masks."""
    terms = []
    for k in range(_mask_count(spec.lookback_days)):
        bits = min(DAYS_PER_MASK, spec.active_days - DAYS_PER_MASK * k)
        if bits > 0:
            low = exp.Sub(this=exp.paren(exp.BitwiseLeftShift(this=exp.cast(_number(1), "HUGEINT"), expression=_number(bits))), expression=_number(1))
            terms.append(exp.NEQ(this=exp.paren(exp.BitwiseAnd(this=_day_mask(k, spec.lookback_days), expression=low)), expression=_number(0)))
    return exp.or_(*terms)


def _lifetime_index(spec: PredictionSpec) -> dict[str, int]:
    return {source.key: k for k, source in enumerate(lifetime_sources(spec))}


def _lifetime_flag(key: str, spec: PredictionSpec, parsed: "ParsedPredicates") -> exp.Expression:
    if key.startswith("goal:"):
        return _false_flag(parsed.goal[int(key.split(":", 1)[1])])
    names = [c.name for c in spec.custom_events]
    return _false_flag(parsed.custom_events[names.index(key.split(":", 1)[1])])


def _day_columns(spec: PredictionSpec, parsed: "ParsedPredicates") -> list[exp.Expression]:
    """Per customer and day: the value of all events, and per lifetime source whether it occurred and its value."""
    value = exp.column("value", table="e")
    columns = [exp.alias_(exp.Sum(this=value), "_s0_value")]
    for k, source in enumerate(lifetime_sources(spec)):
        if source.key == ANY_EVENT:
            continue
        flag = _lifetime_flag(source.key, spec, parsed)
        columns.append(exp.alias_(exp.func("bool_or", flag), f"_s{k}"))
        columns.append(exp.alias_(_filtered(exp.Sum(this=value.copy()), flag.copy()), f"_s{k}_value"))
    return columns


def _lifetime_aggregates(spec: PredictionSpec) -> list[exp.Expression]:
    """Per customer and cutoff, over the event days before the cutoff: per source, its days, first and
    last day and value."""
    day = exp.column("day", table="d")
    aggregates = []
    for k, source in enumerate(lifetime_sources(spec)):
        flag = None if source.key == ANY_EVENT else exp.column(f"_s{k}", table="d")
        aggregates += [
            exp.alias_(_filtered(exp.Count(this=exp.Star()), flag), f"_l{k}_days"),
            exp.alias_(_filtered(exp.Min(this=day.copy()), flag), f"_l{k}_first"),
            exp.alias_(_filtered(exp.Max(this=day.copy()), flag), f"_l{k}_last"),
            exp.alias_(exp.Sum(this=exp.column(f"_s{k}_value", table="d")), f"_l{k}_value"),
        ]
    return aggregates


CLV_UNIT_DAYS = 7.0  # BG/NBD features are computed in weeks, as `cai clv fit` does by default


def _clv_output(feature: Feature, spec: PredictionSpec) -> exp.Expression:
    """BG/NBD on the goal source's history before the cutoff, with the cutoff's fit (``k``): x = repeat
    event days, t_x = first to last, T = first to the cutoff's eve, in weeks; NULL without such events
    or without a fit at that cutoff."""
    k = _lifetime_index(spec)[feature.source]
    days, first, last = (exp.column(f"_l{k}_{part}", table="l") for part in ("days", "first", "last"))
    cutoff = exp.column("cutoff", table="l")
    unit = exp.Literal.number(repr(CLV_UNIT_DAYS))
    x = exp.Sub(this=days, expression=_number(1))
    t_x = exp.Div(this=exp.cast(exp.paren(exp.Sub(this=last, expression=first)), "DOUBLE"), expression=unit)
    T = exp.Div(this=exp.cast(exp.paren(exp.Sub(this=exp.Sub(this=cutoff, expression=first.copy()), expression=_number(1))), "DOUBLE"),
                expression=unit.copy())
    params = [exp.column(f"clv_{name}", table="k") for name in ("r", "alpha", "a", "b")]
    if feature.kind == "clv_p_alive":
        value = exp.func("cai_clv_p_alive", x, t_x, T, *params)
    else:
        horizon = exp.Literal.number(repr(feature.days / CLV_UNIT_DAYS))
        value = exp.func("cai_clv_expected_purchases", horizon, x, t_x, T, *params)
    fitted = exp.Not(this=exp.Is(this=exp.column("clv_r", table="k"), expression=exp.null()))
    return exp.Case(ifs=[exp.If(this=exp.and_(exp.GT(this=days.copy(), expression=_number(0)), fitted), true=value)])


def clv_fits_source(params: dict | None, one_cutoff: bool = True) -> exp.Expression:
    """The macro's one-row BG/NBD parameters (NULLs when the model has no fit); no rows for a training
    query without a fits table."""
    cutoff = exp.column("cutoff_date") if one_cutoff else exp.null()
    values = [exp.alias_(exp.cast(cutoff, "DATE"), "cutoff")]
    for name in ("r", "alpha", "a", "b"):
        value = exp.null() if params is None else exp.Literal.number(repr(float(params[name])))
        values.append(exp.alias_(exp.cast(value, "DOUBLE"), f"clv_{name}"))
    select = exp.select(*values)
    return (select if one_cutoff else select.where(exp.false())).subquery()


RUNNING = "sum(b.__part__) OVER (PARTITION BY cc.customer_id ORDER BY cc.cutoff ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"


def _lifetime_running(spec: PredictionSpec) -> list[exp.Expression]:
    """Training: each cutoff's lifetime aggregates as running totals over the spans between cutoffs
    (days and value summed, the first day the minimum, the last day the maximum)."""
    columns = []
    for aggregate in _lifetime_aggregates(spec):
        name = aggregate.alias
        window = _substitute(sqlglot.parse_one(RUNNING, read=DIALECT), {"__part__": exp.column(name, table="b")}, {})
        if name.endswith("_first"):
            window.set("this", exp.Min(this=window.this.this))
        elif name.endswith("_last"):
            window.set("this", exp.Max(this=window.this.this))
        columns.append(exp.alias_(window, name))
    return columns


def _lifetime_output(feature: Feature, spec: PredictionSpec) -> exp.Expression:
    """A lifetime feature from its source's days, first and last day and value (NULL when the customer
    has no such event, except counts and totals, which are 0)."""
    k = _lifetime_index(spec)[feature.source]
    days, first, last, total = (exp.column(f"_l{k}_{part}", table="l") for part in ("days", "first", "last", "value"))
    cutoff = exp.column("cutoff", table="l")
    measure = feature.kind.removeprefix("lifetime_")
    if measure == "days":
        return exp.func("coalesce", days, _number(0))
    if measure == "span":
        return exp.Sub(this=last, expression=first)
    if measure == "age":
        return exp.Sub(this=cutoff, expression=first)
    if measure == "recency":
        return exp.Sub(this=cutoff, expression=last)
    if measure == "value":
        return exp.func("coalesce", total, _number(0))
    if measure == "mean_value":
        return exp.Div(this=exp.cast(total, "DOUBLE"), expression=exp.func("nullif", days, _number(0)))
    if measure == "idle_share":  # days since last / days since first: 0 = active on the cutoff's eve, 1 = never again
        return exp.Div(this=exp.cast(exp.paren(exp.Sub(this=cutoff, expression=last)), "DOUBLE"),
                       expression=exp.paren(exp.Sub(this=cutoff.copy(), expression=first)))
    if measure == "rate":  # event days per 30 days of life: calendar-free where counts and ages drift
        return exp.Div(this=exp.Mul(this=exp.cast(days, "DOUBLE"), expression=_number(30)),
                       expression=exp.paren(exp.Sub(this=cutoff.copy(), expression=first)))
    # gap: the mean of the gaps between consecutive event days = span / (days - 1)
    return exp.Div(this=exp.cast(exp.paren(exp.Sub(this=last, expression=first)), "DOUBLE"),
                   expression=exp.func("nullif", exp.Sub(this=days.copy(), expression=_number(1)), _number(0)))


def _output_for(feature: Feature, spec: PredictionSpec, codes: list[str], windows: dict[str, list[int]],
                one_cutoff: bool = False) -> exp.Expression:
    custom_names = [c.name for c in spec.custom_events]
    if feature.kind.startswith("lifetime_"):
        return exp.alias_(exp.cast(_lifetime_output(feature, spec), "DOUBLE"), feature.name, quoted=True)
    if feature.kind.startswith("clv_"):
        return exp.alias_(exp.cast(_clv_output(feature, spec), "DOUBLE"), feature.name, quoted=True)
    if feature.kind == "tenure":  # days since the first event before the cutoff
        value = exp.Sub(this=exp.column("cutoff", table="l"), expression=exp.column(f"_l{_lifetime_index(spec)[ANY_EVENT]}_first", table="l"))
    elif feature.kind == "recency" and one_cutoff:
        stem = _source_key(feature, codes, custom_names)
        value = exp.func("coalesce", exp.column(f"_{stem}_last", table="a"), _number(spec.lookback_days + 1))
    elif feature.kind == "active_days" and one_cutoff:
        days = [exp.func("coalesce", exp.func("bit_count", exp.column(f"_days_{k}", table="a")), _number(0))
                for k in range(_mask_count(spec.lookback_days))]
        value = days[0]
        for term in days[1:]:
            value = exp.Add(this=value, expression=term)
    elif feature.kind == "count":
        shared, per_sum = _type_count_layout(windows, codes)
        position = codes.index(feature.source)
        offset = COUNT_BITS * (len(shared) * (position % per_sum) + shared.index(feature.days))
        packed = exp.column(f"_counts_{position // per_sum}", table="a")
        shifted = exp.BitwiseRightShift(this=packed, expression=_number(offset)) if offset else packed
        value = exp.func("coalesce", exp.BitwiseAnd(this=exp.paren(shifted), expression=_number(COUNT_MASK)), _number(0))
    elif feature.kind == "custom_count":
        stem = _source_key(feature, codes, custom_names)
        slot = windows[stem].index(feature.days)
        packed = exp.column(f"_{stem}_n", table="a")
        shifted = exp.BitwiseRightShift(this=packed, expression=_number(COUNT_BITS * slot)) if slot else packed
        value = exp.func("coalesce", exp.BitwiseAnd(this=exp.paren(shifted), expression=_number(COUNT_MASK)), _number(0))
    elif feature.kind == "recency":
        # days since the last such event: its 9-bit field (0 = none in the lookback: lookback + 1)
        position = codes.index(feature.source)
        packed = exp.column(f"_latest_{position // AGES_PER_SUM}", table="a")
        slot = position % AGES_PER_SUM
        shifted = exp.BitwiseRightShift(this=packed, expression=_number(AGE_BITS * slot)) if slot else packed
        age = exp.func("nullif", exp.BitwiseAnd(this=exp.paren(shifted), expression=_number(AGE_MASK)), _number(0))
        value = exp.func("coalesce", age, _number(spec.lookback_days + 1))
    elif feature.kind == "custom_recency":
        # days since the last such event: its smallest age; none in the lookback: lookback + 1
        stem = _source_key(feature, codes, custom_names)
        value = exp.func("coalesce", exp.column(f"_{stem}_last", table="a"), _number(spec.lookback_days + 1))
    elif feature.kind == "value_sum":
        stem = _source_key(feature, codes, custom_names)
        value = exp.func("coalesce", exp.column(f"_{stem}_v{feature.days}", table="a"), _number(0))
    elif feature.kind == "active_days":
        value = exp.func("coalesce", exp.BitwiseAnd(this=exp.column("active_days", table="a"), expression=_number(DAYS_MASK)), _number(0))
    elif feature.kind in ("numeric", "flag"):
        value = exp.column(ident(feature.source), table="p")
    else:  # category: 1 when the attribute has this level, else 0 (unknown and NULL levels too)
        matches = exp.EQ(this=exp.column(ident(feature.source), table="p"), expression=exp.cast(exp.Literal.string(feature.level), "VARCHAR"))
        value = exp.func("coalesce", exp.cast(matches, "INTEGER"), _number(0))
    return exp.alias_(exp.cast(value, "DOUBLE"), feature.name, quoted=True)


@dataclass(frozen=True)
class ParsedPredicates:
    goal: list[exp.Expression]
    eligibility_events: list[exp.Expression]
    eligibility_profiles: list[exp.Expression]
    custom_events: list[exp.Expression]


def _false_flag(tree: exp.Expression) -> exp.Expression:
    return exp.func("coalesce", exp.paren(qualify(tree, "e")), exp.false())


def _cutoffs_source(macro: bool, table: str) -> exp.Expression:
    if macro:
        return exp.select(exp.alias_(exp.column("cutoff_date"), "cutoff")).subquery()
    return exp.to_table(table)


def _render(template: str, name: str | None, cutoffs_table: str, values: dict, lists: dict) -> str:
    return _render_tree(template, name, cutoffs_table, values, lists).sql(DIALECT, comments=False)


def _render_tree(template: str, name: str | None, cutoffs_table: str, values: dict, lists: dict) -> exp.Expression:
    tree = sqlglot.parse_one(sql_text(template), read=DIALECT)
    macro = name is not None
    values = {**values, "__cutoffs__": _cutoffs_source(macro, cutoffs_table)}
    tree = _substitute(tree, values, lists)
    if macro:
        tree.this.set("this", exp.to_table(name))
        return tree
    return tree.expression


def _profiles_source(has_profiles: bool) -> exp.Expression:
    if has_profiles:
        return exp.to_table("profiles")
    empty = exp.select(exp.alias_(exp.cast(exp.null(), "VARCHAR"), "customer_id")).where(exp.false())
    return empty.subquery()


def features_sql(spec: PredictionSpec, features: list[Feature], parsed: ParsedPredicates, *,
                 has_profiles: bool, macro_name: str | None = None, cutoffs_table: str = "_cai_cutoffs",
                 clv_params: dict | None = None, clv_table: str | None = None) -> str:
    """The features query: the one-cutoff ``CREATE MACRO`` (``feature_rows_macro``) when ``macro_name`` is
    given, else the training query over every cutoff of ``cutoffs_table`` in one pass (``cai_features``).

    BG/NBD features read their fit from ``clv_params`` (the macro: r, alpha, a, b) or ``clv_table``
    (training: one row per cutoff, see ``training_clv_fits``); without either they are NULL."""
    one_cutoff = macro_name is not None
    custom_flags = {c.name: f"custom_{c.name}" for c in spec.custom_events}
    flags = [exp.alias_(_false_flag(tree), custom_flags[c.name]) for c, tree in zip(spec.custom_events, parsed.custom_events)]
    flags += [exp.alias_(_false_flag(tree), f"eligible_{i}") for i, tree in enumerate(parsed.eligibility_events)]
    flag_list = flags or [exp.alias_(exp.true(), "_no_flags")]
    codes = event_type_codes(features)
    aggregates = _aggregates(features, spec, codes, custom_flags, one_cutoff=one_cutoff)
    if one_cutoff:
        aggregates = [exp.alias_(_day_mask(k, spec.lookback_days), f"_days_{k}") for k in range(_mask_count(spec.lookback_days))] + aggregates
    eligibility = [exp.func("bool_or", exp.column(f"eligible_{i}", table="w")) for i in range(len(parsed.eligibility_events))]
    profile_filter = [exp.func("coalesce", exp.paren(qualify(tree, "p")), exp.false()) for tree in parsed.eligibility_profiles]
    windows = _count_windows(features, codes, [c.name for c in spec.custom_events])
    active_days = spec.lookback_days if spec.all_history_eligible else spec.active_days
    if spec.all_history_eligible:
        recently_active = exp.true()
    elif one_cutoff:
        recently_active = _recently_active(spec)
    else:
        recently_active = _substitute(sqlglot.parse_one(
            "(sum(1 + (CAST(w.age <= __active_days__ AS BIGINT) << 21)) FILTER (WHERE w.opens_day) >> 21) > 0", read=DIALECT),
            {"__active_days__": _number(active_days)}, {})
    # customers with no event in the lookback are eligible only when every event counts (active_days = "all")
    # and no eligibility predicate needs a lookback event
    in_lookback = exp.Not(this=exp.Is(this=exp.column("customer_id", table="a"), expression=exp.null()))
    values = {
        "__lookback__": _number(spec.lookback_days),
        "__active_days__": _number(active_days),
        "__recently_active__": recently_active,
        "__eligibility__": exp.and_(*eligibility) if eligibility else exp.true(),
        "__eligible__": exp.true() if spec.all_history_eligible and not eligibility else in_lookback,
        "__clv_fits__": exp.to_table(clv_table) if clv_table and not one_cutoff else clv_fits_source(clv_params, one_cutoff),
        "__profile_filter__": exp.and_(*profile_filter) if profile_filter else exp.true(),
        "__profiles__": _profiles_source(has_profiles),
        "__event_types__": exp.Array(expressions=[exp.Literal.string(t) for t in codes] or [exp.Literal.string("")]),
    }
    lists = {
        "__event_flags__": flag_list,
        "__aggregates__": aggregates or [exp.alias_(exp.Count(this=exp.Star()), "_events")],
        "__day_columns__": _day_columns(spec, parsed),
        "__lifetime__": _lifetime_aggregates(spec),
        "__lifetime_running__": _lifetime_running(spec),
        "__features__": [_output_for(f, spec, codes, windows, one_cutoff=one_cutoff) for f in features],
    }
    return _render("feature_rows_macro" if one_cutoff else "features_query", macro_name, cutoffs_table, values, lists)


def labels_sql(spec: PredictionSpec, parsed: ParsedPredicates, *, macro_name: str | None = None,
               cutoffs_table: str = "_cai_cutoffs") -> str:
    """The labels query: a ``CREATE MACRO`` when ``macro_name`` is given, else a SELECT over ``cutoffs_table``."""
    met = [exp.func("bool_or", exp.func("coalesce", exp.paren(qualify(tree, "e")), exp.false())) for tree in parsed.goal]
    goal = exp.and_(*met) if spec.goal.combine == "all_of" else exp.or_(*met)
    values = {
        "__window__": _number(spec.goal.window_days),
        "__goal__": exp.paren(goal),
        "__will_occur__": exp.Boolean(this=spec.goal.will_occur),
    }
    return _render("cai_labels", macro_name, cutoffs_table, values, {})


def training_rows_sql(spec: PredictionSpec, features: list[Feature], parsed: ParsedPredicates, *,
                      has_profiles: bool, cutoffs_table: str = "_cai_cutoffs", clv_table: str | None = None) -> str:
    """Features joined to labels over every cutoff of ``cutoffs_table``, in one pass per query."""
    features_query = sqlglot.parse_one(features_sql(spec, features, parsed, has_profiles=has_profiles, cutoffs_table=cutoffs_table,
                                                    clv_table=clv_table), read=DIALECT)
    labels_query = sqlglot.parse_one(labels_sql(spec, parsed, cutoffs_table=cutoffs_table), read=DIALECT)
    values = {
        "__features_rows__": features_query.subquery(),
        "__label_rows__": labels_query.subquery(),
        "__unmet_label__": exp.Boolean(this=not spec.goal.will_occur),
        "__cutoffs__": exp.to_table(cutoffs_table),
    }
    return render_template("training_rows", values)
