"""The demo generator: deterministic per seed, and structured enough to make models meaningful."""

from __future__ import annotations

import datetime as dt

import pytest

import cai_sql
from cai_sql.generate import EVENT_TYPES

from .conftest import rows

FINGERPRINT = """
SELECT count(*), sum(hash(_id, "timestamp", eventType, identityMap, commerce, productListItems))
FROM read_parquet($path)
"""


def fingerprint(path) -> tuple:
    con = cai_sql.connect(None)
    try:
        return rows(con, FINGERPRINT, {"path": str(path)})[0]
    finally:
        con.close()


def test_deterministic_per_seed(tmp_path, demo_files):
    again = cai_sql.generate(tmp_path / "again", customers=400, seed=7)
    other = cai_sql.generate(tmp_path / "other", customers=400, seed=8)
    assert fingerprint(again.events) == fingerprint(demo_files.events)
    assert again.profiles.read_bytes() == demo_files.profiles.read_bytes()
    assert fingerprint(other.events) != fingerprint(demo_files.events)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_files):
    con = cai_sql.connect(tmp_path_factory.mktemp("gen") / "gen.duckdb")
    cai_sql.ingest(con, demo_files.events)
    cai_sql.ingest(con, demo_files.profiles, profiles=True)
    con.execute("CREATE TABLE intent AS SELECT * FROM read_parquet($path)", {"path": str(demo_files.intent)})
    yield con
    con.close()


def test_spans_more_than_thirteen_months_with_every_event_type(demo_db, demo_files):
    first, last = rows(demo_db, "SELECT min(ts)::DATE, max(ts)::DATE FROM events")[0]
    assert (last - first).days >= 395
    assert last <= demo_files.end and first >= demo_files.start
    assert {t for (t,) in rows(demo_db, "SELECT DISTINCT event_type FROM events")} == set(EVENT_TYPES)


def test_purchases_carry_revenue_and_items_add_up(demo_files):
    con = cai_sql.connect(None)
    mismatches = rows(con, """
        SELECT count(*) FROM read_parquet($path)
        WHERE eventType = 'commerce.purchases'
          AND abs(list_sum(list_transform(productListItems, lambda x: x.priceTotal)) - commerce."order".priceTotal) > 0.005
    """, {"path": str(demo_files.events)})
    assert mismatches == [(0,)]


def test_profiles_have_tiers_regions_and_signup_dates(demo_db):
    tiers = dict(rows(demo_db, "SELECT loyalty_tier, count(*) FROM profiles GROUP BY 1"))
    assert set(tiers) == {"bronze", "silver", "gold"} and tiers["bronze"] > tiers["silver"] > tiers["gold"]
    assert rows(demo_db, "SELECT count(DISTINCT region), count(*) FILTER (WHERE signup_date IS NULL) FROM profiles") == [(4, 0)]


def test_gold_customers_spend_more(demo_db):
    spend = dict(rows(demo_db, """
        SELECT p.loyalty_tier, sum(e.value) / count(DISTINCT p.customer_id)
        FROM profiles p LEFT JOIN events e ON e.customer_id = p.customer_id AND e.event_type = 'commerce.purchases'
        GROUP BY 1
    """))
    assert spend["gold"] > spend["silver"] > spend["bronze"]


def test_customers_arrive_and_churn(demo_db, demo_files):
    start, end = demo_files.start, demo_files.end
    arrived_late, gone_early = rows(demo_db, """
        SELECT count(*) FILTER (WHERE first_seen >= $start + 90),
               count(*) FILTER (WHERE last_seen < $end - 120)
        FROM (SELECT customer_id, min(ts)::DATE AS first_seen, max(ts)::DATE AS last_seen FROM events GROUP BY 1)
    """, {"start": start, "end": end})[0]
    assert arrived_late > 20 and gone_early > 20


def test_weekly_and_yearly_seasonality(demo_db):
    weekend, weekday = rows(demo_db, """
        SELECT avg(n) FILTER (WHERE isodow(d) >= 6), avg(n) FILTER (WHERE isodow(d) BETWEEN 2 AND 5)
        FROM (SELECT ts::DATE AS d, count(DISTINCT customer_id) AS n FROM events GROUP BY 1)
    """)[0]
    assert weekend > 1.1 * weekday
    holiday, summer = rows(demo_db, """
        SELECT count(*) FILTER (WHERE month(ts) IN (11, 12)), count(*) FILTER (WHERE month(ts) IN (6, 7))
        FROM events WHERE event_type = 'commerce.purchases' AND ts >= TIMESTAMP '2025-11-01'
    """)[0]
    assert holiday > 1.2 * summer


def test_true_intent_predicts_purchases(demo_db):
    """The side table is an oracle: intent over the next 30 days ranks buyers well above chance."""
    cutoff = dt.date(2026, 6, 1)
    (auc,) = rows(demo_db, """
        WITH scored AS (
            SELECT customer_id, 1 - exp(sum(ln(1 - least(purchase_intent, 0.999999)))) AS p
            FROM intent WHERE day >= $cutoff AND day < $cutoff + 30 GROUP BY 1
        ),
        labelled AS (
            SELECT s.p, EXISTS (SELECT 1 FROM events e WHERE e.customer_id = s.customer_id
                   AND e.event_type = 'commerce.purchases' AND e.ts >= $cutoff AND e.ts < $cutoff + 30) AS y
            FROM scored s
        ),
        ranked AS (SELECT y, rank() OVER (ORDER BY p) AS r FROM labelled)
        SELECT (sum(r) FILTER (WHERE y) - count(*) FILTER (WHERE y) * (count(*) FILTER (WHERE y) + 1) / 2)
               / (count(*) FILTER (WHERE y) * count(*) FILTER (WHERE NOT y))
        FROM ranked
    """, {"cutoff": cutoff})[0]
    assert 0.75 < auc < 1.0
    (bounds,) = rows(demo_db, "SELECT min(purchase_intent) >= 0 AND max(purchase_intent) < 1 FROM intent")[0:1]
    assert bounds == (True,)
