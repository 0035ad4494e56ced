"""A synthetic but structured customer base, written as XDM ExperienceEvents.

Each customer has a latent engagement and purchase intent that drift from day to day (an AR(1)
walk around a personal baseline), weekly and yearly seasonality, a replenishment cycle after
each purchase, cart momentum, arrival during the period for new customers, and churn preceded
by a slow decline. Visits are drawn from engagement; within a visit, page views, product views,
cart adds and removals, link clicks, app launches, checkouts and purchases (with revenue) are
drawn from the day's intent. The true daily purchase probability of every active customer is
kept, so model quality can be compared with an oracle.

Simulation is vectorised over customers, one step per day; events are expanded with numpy and
shaped into nested XDM by DuckDB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from .defaults import GENERATE_DAYS, GENERATE_END
from .sqlfiles import sql_text

DEFAULT_END = GENERATE_END
DEFAULT_DAYS = GENERATE_DAYS  # a little over 13 months: a year of lookback plus room for outcome windows

# Event type codes; the order is also the order of events within a visit.
EVENT_TYPES = (
    "application.launches",
    "web.webpagedetails.pageViews",
    "commerce.productViews",
    "web.webinteraction.linkClicks",
    "commerce.productListAdds",
    "commerce.productListRemovals",
    "commerce.checkouts",
    "commerce.purchases",
)
LAUNCH, PAGE, PRODUCT, LINK, ADD, REMOVE, CHECKOUT, PURCHASE = range(len(EVENT_TYPES))
TIERS = ("bronze", "silver", "gold")
REGIONS = ("north_america", "europe", "asia_pacific", "latin_america")
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 7, 6, 6, 6, 6, 7, 9, 11, 12, 10, 6, 3], dtype=float)

ProgressCallback = Callable[[int, int], None]


@dataclass
class Population:
    """Per-customer latent traits and profile attributes."""

    n: int
    base_engagement: np.ndarray
    base_intent: np.ndarray
    app_user: np.ndarray
    arrival_day: np.ndarray  # first day the customer can be active (negative: before the period)
    churn_day: np.ndarray  # first day the customer is gone (>= days: not within the period)
    tier: np.ndarray
    region: np.ndarray
    order_value_scale: np.ndarray


@dataclass
class Simulation:
    """Everything the generator produced, as flat arrays."""

    population: Population
    start: dt.date
    days: int
    event_customer: np.ndarray
    event_ts_ms: np.ndarray
    event_type: np.ndarray
    event_value: np.ndarray
    event_items: np.ndarray
    intent_customer: np.ndarray
    intent_day: np.ndarray
    intent: np.ndarray


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _population(rng: np.random.Generator, n: int, days: int) -> Population:
    latent = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.55], [0.55, 1.0]], size=n)
    base_engagement, base_intent = latent[:, 0], latent[:, 1]
    region = rng.choice(len(REGIONS), size=n, p=[0.4, 0.3, 0.2, 0.1])
    region_effect = np.array([0.1, 0.0, -0.1, -0.2])[region]
    base_intent = base_intent + region_effect
    # 70% are customers when the period starts (signed up up to three years earlier); the rest
    # arrive during it, more of them later (a growing business).
    existing = rng.random(n) < 0.7
    arrival = np.where(
        existing,
        -rng.integers(1, 3 * 365, size=n),
        (days * np.sqrt(rng.random(n))).astype(np.int64),
    )
    # Churn: a constant hazard that is higher for weakly engaged customers.
    hazard = _sigmoid(-6.3 - 0.7 * base_engagement)
    lifetime = rng.geometric(hazard)
    churn = np.maximum(arrival, 0) + lifetime
    value_rank = base_intent + 0.5 * rng.standard_normal(n)
    cut = np.quantile(value_rank, [0.55, 0.85])
    tier = np.digitize(value_rank, cut)
    return Population(
        n=n,
        base_engagement=base_engagement,
        base_intent=base_intent,
        app_user=rng.random(n) < 0.4,
        arrival_day=arrival,
        churn_day=churn,
        tier=tier,
        region=region,
        order_value_scale=np.exp(np.log(45.0) + 0.25 * base_intent + 0.2 * tier + 0.3 * rng.standard_normal(n)),
    )


def _seasonality(start: dt.date, days: int) -> tuple[np.ndarray, np.ndarray]:
    dates = [start + dt.timedelta(days=d) for d in range(days)]
    day_of_year = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    weekday = np.array([d.weekday() for d in dates])
    holiday = np.exp(-(((day_of_year - 335.0 + 182.5) % 365.0 - 182.5) / 18.0) ** 2)  # peaks around 1 December
    yearly = 0.15 * np.cos(2 * np.pi * (day_of_year - 15.0) / 365.0) + 0.6 * holiday
    weekly = np.where(weekday >= 5, 0.25, 0.0) - np.where(weekday == 0, 0.1, 0.0)
    return yearly, weekly


def simulate(
    customers: int,
    seed: int = 42,
    *,
    days: int = DEFAULT_DAYS,
    end: dt.date = DEFAULT_END,
    progress: ProgressCallback | None = None,
) -> Simulation:
    """Simulate ``customers`` customers day by day over ``days`` days ending on ``end``."""
    rng = np.random.default_rng(seed)
    pop = _population(rng, customers, days)
    start = end - dt.timedelta(days=days - 1)
    yearly, weekly = _seasonality(start, days)
    engagement_drift = rng.normal(0.0, 0.45, customers)
    intent_drift = rng.normal(0.0, 0.45, customers)
    days_since_purchase = np.full(customers, 90.0)
    days_since_cart = np.full(customers, 90.0)
    start_seconds = int(dt.datetime.combine(start, dt.time()).replace(tzinfo=dt.timezone.utc).timestamp())

    chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("customer", "ts", "type", "value", "items")}
    intent_chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("customer", "day", "intent")}
    for day in range(days):
        engagement_drift = 0.97 * engagement_drift + rng.normal(0.0, 0.11, customers)
        intent_drift = 0.96 * intent_drift + rng.normal(0.0, 0.13, customers)
        active = (day >= pop.arrival_day) & (day < pop.churn_day)
        decline = np.clip((day - (pop.churn_day - 50)) / 50.0, 0.0, 1.0) * 2.2
        newcomer = np.where((day - pop.arrival_day) < 21, 0.6, 0.0)
        visit_logit = (
            -2.5 + 0.9 * pop.base_engagement + engagement_drift + weekly[day] + 0.5 * yearly[day]
            - decline + newcomer
        )
        replenish = -1.4 * np.exp(-days_since_purchase / 12.0)
        momentum = 1.3 * np.exp(-days_since_cart / 2.0)
        buy_logit = -2.4 + 0.9 * pop.base_intent + intent_drift + yearly[day] + replenish + momentum - 0.5 * decline
        p_visit = _sigmoid(visit_logit) * active
        p_buy = _sigmoid(buy_logit)
        intent = p_visit * p_buy
        idx = np.flatnonzero(active)
        intent_chunks["customer"].append(idx.astype(np.int32))
        intent_chunks["day"].append(np.full(idx.size, day, dtype=np.int16))
        intent_chunks["intent"].append(intent[idx].astype(np.float32))

        visitors = np.flatnonzero(rng.random(customers) < p_visit)
        days_since_purchase += 1.0
        days_since_cart += 1.0
        if visitors.size == 0:
            continue
        pb = p_buy[visitors]
        buys = rng.random(visitors.size) < pb
        counts = np.zeros((visitors.size, len(EVENT_TYPES)), dtype=np.int64)
        counts[:, LAUNCH] = pop.app_user[visitors] & (rng.random(visitors.size) < 0.6)
        counts[:, PAGE] = 1 + rng.poisson(1.5 * np.exp(0.25 * pop.base_engagement[visitors]))
        counts[:, PRODUCT] = rng.poisson(0.8 + 2.0 * pb)
        counts[:, LINK] = rng.poisson(0.4, visitors.size)
        counts[:, ADD] = np.maximum(rng.poisson(0.15 + 1.2 * pb), buys)
        counts[:, REMOVE] = rng.binomial(counts[:, ADD], 0.2)
        counts[:, CHECKOUT] = np.maximum(buys, rng.random(visitors.size) < 0.3 * pb)
        counts[:, PURCHASE] = buys
        days_since_purchase[visitors[buys]] = 0.0
        days_since_cart[visitors[counts[:, ADD] > 0]] = 0.0

        per_visit = counts.sum(axis=1)
        visit_of_event = np.repeat(np.arange(visitors.size), per_visit)
        type_of_event = np.repeat(np.tile(np.arange(len(EVENT_TYPES)), visitors.size), counts.ravel())
        first = np.cumsum(per_visit) - per_visit
        rank = np.arange(visit_of_event.size) - first[visit_of_event]
        hour = rng.choice(24, size=visitors.size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
        visit_start_ms = (start_seconds + day * 86400 + hour * 3600 + rng.integers(0, 3000, visitors.size)) * 1000
        ts = visit_start_ms[visit_of_event] + rank * 40_000 + rng.integers(0, 30_000, visit_of_event.size)

        items = np.zeros(visit_of_event.size, dtype=np.int8)
        value = np.full(visit_of_event.size, np.nan)
        is_purchase = type_of_event == PURCHASE
        buyers = visitors[visit_of_event[is_purchase]]
        n_items = 1 + rng.binomial(3, 0.3, buyers.size)
        items[is_purchase] = n_items
        order_value = pop.order_value_scale[buyers] * np.exp(0.2 * yearly[day]) * rng.lognormal(0.0, 0.45, buyers.size)
        value[is_purchase] = np.round(order_value * (0.7 + 0.3 * n_items), 2)

        chunks["customer"].append(visitors[visit_of_event].astype(np.int32))
        chunks["ts"].append(ts)
        chunks["type"].append(type_of_event.astype(np.int8))
        chunks["value"].append(value)
        chunks["items"].append(items)
        if progress is not None:
            progress(day + 1, days)
    if progress is not None:
        progress(days, days)
    return Simulation(
        population=pop,
        start=start,
        days=days,
        event_customer=np.concatenate(chunks["customer"]),
        event_ts_ms=np.concatenate(chunks["ts"]),
        event_type=np.concatenate(chunks["type"]),
        event_value=np.concatenate(chunks["value"]),
        event_items=np.concatenate(chunks["items"]),
        intent_customer=np.concatenate(intent_chunks["customer"]),
        intent_day=np.concatenate(intent_chunks["day"]),
        intent=np.concatenate(intent_chunks["intent"]),
    )


@dataclass(frozen=True)
class GeneratedFiles:
    """Where :func:`generate` wrote its output, and how much."""

    events: Path
    profiles: Path
    intent: Path
    customers: int
    events_written: int
    start: dt.date
    end: dt.date


def generate(
    out_dir: str | Path,
    customers: int = 20_000,
    seed: int = 42,
    *,
    days: int = DEFAULT_DAYS,
    end: dt.date = DEFAULT_END,
    progress: ProgressCallback | None = None,
) -> GeneratedFiles:
    """Simulate and write ``events.parquet`` (XDM), ``profiles.csv`` and ``purchase_intent.parquet``."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sim = simulate(customers, seed, days=days, end=end, progress=progress)
    pop = sim.population
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register(
        "generated_events",
        pa.table({
            "event_index": np.arange(sim.event_customer.size, dtype=np.int64),
            "idx": sim.event_customer,
            "ts_ms": sim.event_ts_ms,
            "code": sim.event_type,
            "revenue": pa.array(sim.event_value, from_pandas=True),
            "n_items": sim.event_items,
        }),
    )
    events_path = out / "events.parquet"
    con.sql(sql_text("demo_xdm_events"), params={"event_types": list(EVENT_TYPES)}).write_parquet(
        str(events_path), compression="zstd"
    )

    signup = np.array(sim.start, dtype="datetime64[D]") + np.minimum(pop.arrival_day, days - 1).astype("timedelta64[D]")
    age_band = np.random.default_rng(seed + 1).choice(["18-24", "25-34", "35-44", "45-54", "55+"], size=customers)
    con.register(
        "generated_profiles",
        pa.table({
            "idx": pa.array(np.arange(customers, dtype=np.int32)),
            "loyalty_tier": pa.array(np.array(TIERS)[pop.tier]),
            "region": pa.array(np.array(REGIONS)[pop.region]),
            "signup_date": pa.array(signup),
            "age_band": pa.array(age_band),
            "email_opt_in": pa.array(np.random.default_rng(seed + 2).random(customers) < 0.6 + 0.1 * pop.tier),
        }),
    )
    profiles_path = out / "profiles.csv"
    con.sql(sql_text("demo_profiles")).write_csv(str(profiles_path))

    con.register(
        "generated_intent",
        pa.table({"idx": sim.intent_customer, "day": sim.intent_day, "purchase_intent": sim.intent}),
    )
    intent_path = out / "purchase_intent.parquet"
    con.sql(sql_text("demo_purchase_intent"), params={"start": sim.start}).write_parquet(str(intent_path), compression="zstd")
    con.close()
    return GeneratedFiles(
        events=events_path,
        profiles=profiles_path,
        intent=intent_path,
        customers=customers,
        events_written=int(sim.event_customer.size),
        start=sim.start,
        end=end,
    )
