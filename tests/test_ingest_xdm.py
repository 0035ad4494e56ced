"""XDM ExperienceEvents: nested fields, identities, event types derived from measures, revenue."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import cai_sql
from cai_sql.xdm import MEASURES

from .conftest import FIXTURES, rows

XDM = FIXTURES / "xdm"
ANA = "27905472151424330193483925553364442323"
BEN = "61029384756102938475610293847561029384"


def test_web_sdk_events_with_event_type_and_identity_map(con):
    report = cai_sql.ingest(con, XDM / "web_sdk_events.json")
    assert report.shape == "XDM" and report.rows_written == 5
    assert rows(con, "SELECT customer_id, ts, event_type, value, event_id FROM events ORDER BY event_id") == [
        (ANA, dt.datetime(2026, 3, 2, 9, 15), "web.webpagedetails.pageViews", None, "8d5b5a3c-0001"),
        (ANA, dt.datetime(2026, 3, 2, 9, 16, 30), "commerce.productViews", 19.99, "8d5b5a3c-0002"),
        # +01:00 offset converted to UTC; revenue is the sum of productListItems[].priceTotal
        (ANA, dt.datetime(2026, 3, 2, 8, 20, 5, 250000), "commerce.purchases", 59.97, "8d5b5a3c-0003"),
        (BEN, dt.datetime(2026, 3, 3, 18, 2, 11), "web.webinteraction.linkClicks", None, "8d5b5a3c-0004"),
        # no productListItems: commerce.order.priceTotal
        (BEN, dt.datetime(2026, 3, 3, 18, 5), "commerce.purchases", 120.0, "8d5b5a3c-0005"),
    ]


def test_identity_namespace_is_selectable(con, tmp_path):
    anas_events = json.loads((XDM / "web_sdk_events.json").read_text())[:3]
    path = tmp_path / "ana.json"
    path.write_text(json.dumps(anas_events))
    cai_sql.ingest(con, path, identity_namespace="Email")
    assert rows(con, "SELECT DISTINCT customer_id FROM events") == [("ana@example.com",)]


def test_missing_namespace_in_some_rows_is_reported(con):
    with pytest.raises(cai_sql.InputError, match=r"customer_id is NULL or empty in 2 of 5 rows"):
        cai_sql.ingest(con, XDM / "web_sdk_events.json", identity_namespace="Email")


def test_unknown_namespace_names_the_ones_present(con):
    with pytest.raises(cai_sql.InputError, match=r"no namespace 'CRMID' \(identityMap has: ECID, Email\)"):
        cai_sql.ingest(con, XDM / "web_sdk_events.json", identity_namespace="CRMID")


def test_event_type_derived_from_every_measure(con):
    cai_sql.ingest(con, XDM / "measures_only.ndjson")
    got = dict(rows(con, "SELECT event_id, event_type FROM events"))
    expected_by_id = {
        "m-01": "commerce.purchases", "m-02": "commerce.productViews", "m-03": "commerce.productListAdds",
        "m-04": "commerce.productListRemovals", "m-05": "commerce.productListOpens",
        "m-06": "commerce.productListViews", "m-07": "commerce.checkouts", "m-08": "commerce.saveForLaters",
        "m-09": "commerce.productListReopens", "m-10": "web.webpagedetails.pageViews",
        "m-11": "web.webinteraction.linkClicks", "m-12": "application.launches", "m-13": "application.installs",
        "m-14": "application.firstLaunches", "m-15": "application.upgrades", "m-16": "application.closes",
        "m-17": "application.crashes", "m-18": "application.featureUsages", "m-19": "commerce.inStorePurchase",
        # several measures set: purchases take precedence; a zero measure does not count
        "m-20": "commerce.purchases", "m-21": "web.webinteraction.linkClicks",
    }
    assert got == expected_by_id
    assert set(expected_by_id.values()) == {event_type for _, event_type in MEASURES}


def test_revenue_from_product_list_items_then_order_total(con):
    cai_sql.ingest(con, XDM / "measures_only.ndjson")
    assert dict(rows(con, "SELECT event_id, value FROM events WHERE value IS NOT NULL")) == {
        "m-01": 80.5, "m-19": 12.0, "m-20": 9.99,
    }


def test_analytics_source_identity_from_end_user_ids(con):
    report = cai_sql.ingest(con, XDM / "analytics_source.ndjson")
    assert report.shape == "XDM"
    assert rows(con, "SELECT customer_id, event_type, value FROM events ORDER BY ts") == [
        ("5004216738261", "web.webpagedetails.pageViews", None),
        ("5004216738261", "commerce.purchases", 42.0),
        ("7781120009341", "application.launches", None),
    ]


def test_parquet_with_identity_map_as_map_and_primary_identity(con, tmp_path):
    """AEP exports Parquet with identityMap as MAP(VARCHAR, STRUCT[]); the primary id wins."""
    path = tmp_path / "aep_export.parquet"
    source = cai_sql.connect(None)
    source.sql("""
        SELECT * FROM (VALUES
            ('p1', TIMESTAMPTZ '2026-06-01 12:00:00+00',
             MAP {'ECID': [{'id': 'secondary', 'primary': false}, {'id': 'main', 'primary': true}]},
             {'purchases': {'value': 1.0}}, [{'SKU': 'X', 'priceTotal': 5.0}]),
            ('p2', TIMESTAMPTZ '2026-06-01 13:00:00+00',
             MAP {'ECID': [{'id': 'only', 'primary': false}]},
             {'purchases': NULL}, NULL)
        ) AS t(_id, "timestamp", identityMap, commerce, productListItems)
    """).write_parquet(str(path))
    source.close()
    # p2 has no measure and no eventType: an event that cannot be typed is an error...
    with pytest.raises(cai_sql.InputError, match=r"event_type is NULL or empty in 1 of 2 rows \(first: row 2\)"):
        cai_sql.ingest(con, path)
    assert rows(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'events'") == [(0,)]


def test_parquet_map_identity(con, tmp_path):
    path = tmp_path / "aep_export.parquet"
    source = cai_sql.connect(None)
    source.sql("""
        SELECT * FROM (VALUES
            ('p1', TIMESTAMPTZ '2026-06-01 12:00:00+00', 'commerce.purchases',
             MAP {'ECID': [{'id': 'secondary', 'primary': false}, {'id': 'main', 'primary': true}]}),
            ('p2', TIMESTAMPTZ '2026-06-01 13:00:00+00', 'commerce.productViews',
             MAP {'ECID': [{'id': 'only', 'primary': false}]})
        ) AS t(_id, "timestamp", eventType, identityMap)
    """).write_parquet(str(path))
    source.close()
    cai_sql.ingest(con, path)
    assert rows(con, "SELECT event_id, customer_id, event_type FROM events ORDER BY 1") == [
        ("p1", "main", "commerce.purchases"),
        ("p2", "only", "commerce.productViews"),
    ]


def test_generated_demo_events_round_trip(con, demo_files):
    report = cai_sql.ingest(con, demo_files.events)
    assert report.shape == "XDM"
    assert report.rows_written == demo_files.events_written
    assert report.duplicates == 0
    purchases = rows(con, "SELECT count(*), count(value), min(value) > 0 FROM events WHERE event_type = 'commerce.purchases'")
    assert purchases[0][0] == purchases[0][1] and purchases[0][2]
