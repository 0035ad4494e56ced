"""Flat files (CSV, Parquet, JSON/NDJSON) with default names or a column mapping."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

import cai_sql
from cai_sql import EventMapping, ProfileMapping, load_mapping_file

from .conftest import rows

CSV = """customer_id,ts,event_type,value
007,2026-01-01 10:00:00,commerce.purchases,12.5
008,2026-01-02T10:00:00+02:00,web.webpagedetails.pageViews,
009,2026-01-03,commerce.productViews,
"""


def test_csv_with_canonical_names(con, write):
    report = cai_sql.ingest(con, write("events.csv", CSV))
    assert (report.rows_read, report.rows_written, report.shape) == (3, 3, "flat")
    assert rows(con, "SELECT * FROM events ORDER BY ts") == [
        ("007", dt.datetime(2026, 1, 1, 10, 0), "commerce.purchases", 12.5, None),
        ("008", dt.datetime(2026, 1, 2, 8, 0), "web.webpagedetails.pageViews", None, None),
        ("009", dt.datetime(2026, 1, 3, 0, 0), "commerce.productViews", None, None),
    ]


def test_customer_ids_keep_leading_zeros_and_offsets_become_utc(con, write):
    cai_sql.ingest(con, write("events.csv", CSV))
    assert rows(con, "SELECT customer_id FROM events ORDER BY 1")[0] == ("007",)
    assert rows(con, "SELECT ts FROM events WHERE customer_id = '008'") == [(dt.datetime(2026, 1, 2, 8, 0),)]


def test_gzipped_csv(con, tmp_path):
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(CSV.encode()))
    assert cai_sql.ingest(con, path).rows_written == 3


def test_mapping_renames_columns_and_copies_extras(con, write):
    path = write("shop.csv", "user,when,action,amount,id,channel\nu1,2026-02-01 08:00:00,buy,9.5,a1,email\n")
    mapping = EventMapping(customer_id="user", ts="when", event_type="action", value="amount", event_id="id",
                           extra={"channel": "channel"})
    cai_sql.ingest(con, path, mapping=mapping)
    assert rows(con, "SELECT customer_id, ts, event_type, value, event_id, channel FROM events") == [
        ("u1", dt.datetime(2026, 2, 1, 8, 0), "buy", 9.5, "a1", "email"),
    ]


def test_mapping_file_and_strptime_format(con, write, tmp_path):
    mapping_path = write("mapping.toml", """
[events]
customer_id = "user.id"
ts = "time"
ts_format = "%d/%m/%Y %H:%M"
event_type = "kind"
value = "order.total"

[profiles]
customer_id = "crm_id"
""")
    events_mapping, profiles_mapping = load_mapping_file(mapping_path)
    assert profiles_mapping == ProfileMapping(customer_id="crm_id")
    records = [
        {"user": {"id": "u1"}, "time": "31/01/2026 23:15", "kind": "commerce.purchases", "order": {"total": 20}},
        {"user": {"id": "u2"}, "time": "01/02/2026 07:00", "kind": "web.webpagedetails.pageViews", "order": None},
    ]
    path = tmp_path / "nested.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in records))
    cai_sql.ingest(con, path, mapping=events_mapping)
    assert rows(con, "SELECT customer_id, ts, value FROM events ORDER BY 1") == [
        ("u1", dt.datetime(2026, 1, 31, 23, 15), 20.0),
        ("u2", dt.datetime(2026, 2, 1, 7, 0), None),
    ]


@pytest.mark.parametrize("unit, raw", [("epoch_s", 1767261600), ("epoch_ms", 1767261600000), ("epoch_us", 1767261600000000)])
def test_epoch_timestamps(con, write, unit, raw):
    path = write("epoch.csv", f"customer_id,ts,event_type\nc1,{raw},x\n")
    cai_sql.ingest(con, path, mapping=EventMapping(ts_format=unit))
    assert rows(con, "SELECT ts FROM events") == [(dt.datetime(2026, 1, 1, 10, 0),)]


def test_parquet_and_json_array(con, tmp_path):
    source = cai_sql.connect(None)
    parquet = tmp_path / "events.parquet"
    source.sql(
        "SELECT 'c' || i::VARCHAR AS customer_id, TIMESTAMP '2026-01-01' + INTERVAL (i) HOUR AS ts, "
        "'commerce.purchases' AS event_type, i * 1.5 AS value FROM range(5) t(i)"
    ).write_parquet(str(parquet))
    array = tmp_path / "events.json"
    array.write_text(json.dumps([{"customer_id": "z", "ts": "2026-03-01T00:00:00Z", "event_type": "e", "value": 1}]))
    assert cai_sql.ingest(con, parquet).rows_written == 5
    assert cai_sql.ingest(con, array).rows_written == 1
    assert rows(con, "SELECT count(*), sum(value) FROM events") == [(6, 16.0)]


def test_append_and_replace(con, write):
    path = write("events.csv", CSV)
    cai_sql.ingest(con, path)
    other = write("more.csv", "customer_id,ts,event_type\nx,2026-05-01,e\n")
    cai_sql.ingest(con, other)
    assert rows(con, "SELECT count(*) FROM events") == [(4,)]
    cai_sql.ingest(con, other, replace=True)
    assert rows(con, "SELECT customer_id FROM events") == [("x",)]


def test_duplicates_are_counted_and_optionally_removed(con, write):
    text = (
        "customer_id,ts,event_type,event_id\n"
        "a,2026-01-01 10:00:00,e,1\n"
        "a,2026-01-01 10:00:00,e,2\n"   # same customer/ts/type as row 1
        "b,2026-01-02 10:00:00,e,1\n"   # same event id as row 1
        "c,2026-01-03 10:00:00,e,3\n"
    )
    first = cai_sql.ingest(con, write("dups.csv", text))
    assert (first.rows_written, first.duplicates_in_file, first.duplicates_of_existing) == (4, 2, 0)
    assert "2 duplicates" in first.summary() and "--dedupe" in first.summary()
    again = cai_sql.ingest(con, write("dups2.csv", text), dedupe=True)
    assert (again.rows_written, again.duplicates_of_existing) == (0, 4)
    fresh = cai_sql.ingest(con, write("dups3.csv", text), dedupe=True, replace=True)
    assert fresh.rows_written == 2
    assert rows(con, "SELECT customer_id, event_id FROM events ORDER BY 1") == [("a", "1"), ("c", "3")]


def test_profiles_upsert_keeps_unmentioned_attributes(con, write):
    cai_sql.ingest(con, write("p1.csv", "customer_id,age,tier\n007,31,gold\n008,40,silver\n"), profiles=True)
    cai_sql.ingest(con, write("p2.csv", "customer_id,age,region\n007,32,EU\n009,22,US\n"), profiles=True)
    assert rows(con, "SELECT customer_id, age, tier, region FROM profiles ORDER BY 1") == [
        ("007", 32, "gold", "EU"),
        ("008", 40, "silver", None),
        ("009", 22, None, "US"),
    ]


def test_profiles_with_mapped_id(con, write):
    path = write("crm.csv", "crm_id,segment\n001,vip\n")
    cai_sql.ingest(con, path, profiles=True, mapping=ProfileMapping(customer_id="crm_id"))
    assert rows(con, "SELECT customer_id, segment FROM profiles") == [("001", "vip")]
