"""Reading Adobe XDM ExperienceEvent data (nested JSON or Parquet) into canonical events.

What an XDM event needs and where it is found:

* customer: the field a mapping names (``customer_id = "endUserIDs._experience.aaid.id"``), used
  alone; else the first set (not NULL, not empty) of, in this order:
  1. ``identityMap.<namespace>[]`` — the id marked primary, else the first;
  2. ``endUserIDs._experience.mcid.id`` (the Experience Cloud ID of Analytics source data);
  3. ``endUserIDs._experience.aaid.id`` (the legacy Analytics visitor ID).
  ``identityMap`` may be a STRUCT (JSON) or a MAP (Parquet). A row with none of them has no
  customer id (an error, or a ``missing_customer_id`` reject with ``bad_rows="reject"``).
* timestamp: ``timestamp``; event id: ``_id``.
* event type: ``eventType`` when present and set, else derived from which measure is set
  (``commerce.purchases.value > 0`` → ``commerce.purchases``, …), purchases taking precedence.
* value: the sum of ``productListItems[].priceTotal``, else ``commerce.order.priceTotal``.
"""

from __future__ import annotations

from sqlglot import exp

from .canonical import RawField, incoming_select, split_path
from .readers import STAGE
from .defaults import XDM_NAMESPACE
from .errors import InputError
from .mapping import EventMapping
from .schema import Shape
from .sqltree import dot, field_path, first_element, func, key

DEFAULT_NAMESPACE = XDM_NAMESPACE

# Measure path → XDM eventType, in precedence order when an event sets several measures.
MEASURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("commerce", "purchases"), "commerce.purchases"),
    (("commerce", "inStorePurchase"), "commerce.inStorePurchase"),
    (("commerce", "checkouts"), "commerce.checkouts"),
    (("commerce", "productListAdds"), "commerce.productListAdds"),
    (("commerce", "productListRemovals"), "commerce.productListRemovals"),
    (("commerce", "productListOpens"), "commerce.productListOpens"),
    (("commerce", "productListReopens"), "commerce.productListReopens"),
    (("commerce", "productListViews"), "commerce.productListViews"),
    (("commerce", "saveForLaters"), "commerce.saveForLaters"),
    (("commerce", "productViews"), "commerce.productViews"),
    (("application", "installs"), "application.installs"),
    (("application", "firstLaunches"), "application.firstLaunches"),
    (("application", "upgrades"), "application.upgrades"),
    (("application", "launches"), "application.launches"),
    (("application", "featureUsages"), "application.featureUsages"),
    (("application", "crashes"), "application.crashes"),
    (("application", "closes"), "application.closes"),
    (("web", "webInteraction", "linkClicks"), "web.webinteraction.linkClicks"),
    (("web", "webPageDetails", "pageViews"), "web.webpagedetails.pageViews"),
)

MCID_PATH = ("endUserIDs", "_experience", "mcid", "id")
AAID_PATH = ("endUserIDs", "_experience", "aaid", "id")
# Where a customer id is looked for after identityMap, in order.
FALLBACK_IDENTITY_PATHS = (MCID_PATH, AAID_PATH)
CONTAINER_TYPE_IDS = {"struct", "list", "map"}


def looks_like_xdm(shape: Shape) -> bool:
    """XDM ExperienceEvents carry a ``timestamp`` and an identity block."""
    return "timestamp" in shape.columns and ("identityMap" in shape.columns or "endUserIDs" in shape.columns)


def _identity_from_map(shape: Shape, namespace: str) -> exp.Expression | None:
    identity_map = shape.resolve(["identityMap"])
    if identity_map is None:
        return None
    if identity_map.id == "struct":
        if namespace not in shape.struct_fields(["identityMap"]):
            return None
        item = shape.list_item(["identityMap", namespace])
    elif identity_map.id == "map":
        value_type = dict(identity_map.children)["value"]
        item = dict(value_type.children).get("child") if value_type.id == "list" else None
    else:
        return None
    if item is None or item.id != "struct" or "id" not in dict(item.children):
        return None
    ids = key(field_path(["identityMap"], STAGE), namespace)
    first = dot(first_element(ids), "id")
    if "primary" not in dict(item.children):
        return first
    candidate = exp.to_identifier("i")
    primary_only = func(
        "list_filter", ids, exp.Lambda(this=dot(exp.column(candidate), "primary"), expressions=[candidate])
    )
    return exp.func("coalesce", dot(first_element(primary_only), "id"), first)


def _set(expression: exp.Expression) -> exp.Expression:
    """The id as text, NULL when it is empty, so that the next source is tried."""
    return func("nullif", exp.cast(expression, "VARCHAR"), exp.Literal.string(""))


def _available_fields(shape: Shape, parts: list[str]) -> str:
    """What exists along ``parts``: the fields of the deepest struct on the path, else the columns."""
    for depth in range(len(parts) - 1, 0, -1):
        found = shape.struct_fields(parts[:depth])
        if found:
            return f"{'.'.join(parts[:depth])} has: {', '.join(found)}"
    return f"fields: {shape.describe_columns()}"


def _mapped_identity(shape: Shape, path: str, origin: str) -> RawField:
    """The customer id from the field a mapping names (a dotted path into the record)."""
    parts = split_path(shape, path)
    found = shape.resolve(parts)
    prefix = f"{origin}: the mapping names field '{path}' for customer_id, but"
    if found is None:
        raise InputError(f"{prefix} the file has no such field ({_available_fields(shape, parts)})")
    if found.id in CONTAINER_TYPE_IDS:
        if found.id == "struct":
            hint = f"; name a field inside it (it has: {', '.join(shape.struct_fields(parts))})"
        elif parts[0] == "identityMap":
            hint = "; for identityMap choose the namespace with --identity-namespace instead"
        else:
            hint = ""
        raise InputError(f"{prefix} it holds a {found.id}, not an id{hint}")
    return RawField(field_path(parts, STAGE), found.id, f"field '{path}'")


def _identity(shape: Shape, namespace: str, origin: str, mapped: str | None = None) -> RawField:
    if mapped is not None:
        return _mapped_identity(shape, mapped, origin)
    sources = []
    from_map = _identity_from_map(shape, namespace)
    if from_map is not None:
        sources.append(from_map)
    for path in FALLBACK_IDENTITY_PATHS:
        if shape.resolve(list(path)) is not None:
            sources.append(field_path(list(path), STAGE))
    if not sources:
        found = shape.struct_fields(["identityMap"])
        hint = f" (identityMap has: {', '.join(found)})" if found else ""
        raise InputError(
            f"{origin}: no customer identity: identityMap has no namespace '{namespace}'{hint} and there is no "
            f"endUserIDs._experience.mcid.id or .aaid.id; choose the namespace with --identity-namespace, "
            f"or name the id's field with --map customer_id=PATH"
        )
    sources = [_set(source) for source in sources]
    expression = sources[0] if len(sources) == 1 else exp.func("coalesce", *sources)
    return RawField(expression, "varchar", f"identity '{namespace}'")


def _derived_event_type(shape: Shape) -> exp.Expression | None:
    case = exp.Case()
    any_measure = False
    for path, event_type in MEASURES:
        if shape.resolve([*path, "value"]) is None:
            continue
        measure = field_path([*path, "value"], STAGE)
        case = case.when(exp.GT(this=measure, expression=exp.Literal.number(0)), exp.Literal.string(event_type))
        any_measure = True
    return case if any_measure else None


def _event_type(shape: Shape, origin: str) -> exp.Expression:
    derived = _derived_event_type(shape)
    explicit = field_path(["eventType"], STAGE) if shape.resolve(["eventType"]) is not None else None
    if explicit is not None and derived is not None:
        return exp.func("coalesce", explicit, derived)
    if explicit is not None or derived is not None:
        return explicit if explicit is not None else derived
    raise InputError(
        f"{origin}: no event type: there is no eventType column and no measure "
        f"(commerce.*, web.*, application.*) with a value field"
    )


def _value(shape: Shape) -> RawField | None:
    sources = []
    item = shape.list_item(["productListItems"])
    if item is not None and item.id == "struct" and "priceTotal" in dict(item.children):
        line = exp.to_identifier("line")
        prices = func(
            "list_transform",
            field_path(["productListItems"], STAGE),
            exp.Lambda(this=dot(exp.column(line), "priceTotal"), expressions=[line]),
        )
        sources.append(exp.cast(func("list_sum", prices), "DOUBLE"))
    if shape.resolve(["commerce", "order", "priceTotal"]) is not None:
        sources.append(exp.cast(field_path(["commerce", "order", "priceTotal"], STAGE), "DOUBLE"))
    if not sources:
        return None
    expression = sources[0] if len(sources) == 1 else exp.func("coalesce", *sources)
    return RawField(expression, "double", "productListItems[].priceTotal")


def xdm_select(shape: Shape, namespace: str, mapping: EventMapping, origin: str, row_number: exp.Expression) -> exp.Select:
    """``_cai_incoming`` for XDM ExperienceEvents; ``mapping.customer_id`` may name the id's field and
    ``mapping.extra`` add further fields."""
    ts_type = shape.resolve(["timestamp"])
    ts = RawField(field_path(["timestamp"], STAGE), ts_type.id, "field 'timestamp'")
    event_id = field_path(["_id"], STAGE) if shape.resolve(["_id"]) is not None else None
    extras: dict[str, exp.Expression] = {}
    for name, path in mapping.extra.items():
        parts = split_path(shape, path)
        if shape.resolve(parts) is None:
            raise InputError(f"{origin}: the mapping names field '{path}' for extra column {name}, but the file has no such field")
        extras[name] = field_path(parts, STAGE)
    return incoming_select(
        _identity(shape, namespace, origin, mapping.customer_id), ts, _event_type(shape, origin), _value(shape), event_id,
        mapping.ts_format, origin, row_number, extras,
    )
