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


def xdm_record(event_id: str, *, ecid: str | None = None, mcid: str | None = None, aaid: str | None = None) -> dict:
    record: dict = {"_id": event_id, "timestamp": "2026-05-10T08:00:00Z", "eventType": "web.webpagedetails.pageViews"}
    if ecid is not None:
        record["identityMap"] = {"ECID": [{"id": ecid, "primary": True}]}
    experience = {name: {"id": value} for name, value in (("mcid", mcid), ("aaid", aaid)) if value is not None}
    record["endUserIDs"] = {"_experience": experience}
    return record


def write_ndjson(path, records: list[dict]):
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def test_identity_falls_back_from_identity_map_to_mcid_to_aaid(con, tmp_path):
    path = write_ndjson(tmp_path / "ids.ndjson", [
        xdm_record("e1", ecid="ecid-1", mcid="mcid-1", aaid="aaid-1"),
        xdm_record("e2", mcid="mcid-2", aaid="aaid-2"),
        xdm_record("e3", aaid="aaid-3"),
        xdm_record("e4", ecid="", mcid="mcid-4"),  # an empty id counts as missing
    ])
    cai_sql.ingest(con, path)
    assert rows(con, "SELECT event_id, customer_id FROM events ORDER BY 1") == [
        ("e1", "ecid-1"), ("e2", "mcid-2"), ("e3", "aaid-3"), ("e4", "mcid-4"),
    ]


def test_customer_id_mapping_overrides_the_identity_order(con, tmp_path):
    path = write_ndjson(tmp_path / "ids.ndjson", [
        xdm_record("e1", ecid="ecid-1", mcid="mcid-1", aaid="aaid-1"),
        xdm_record("e2", mcid="mcid-2", aaid="aaid-2"),
    ])
    report = cai_sql.ingest(con, path, mapping=cai_sql.EventMapping(customer_id="endUserIDs._experience.aaid.id"))
    assert report.shape == "XDM"
    assert rows(con, "SELECT event_id, customer_id FROM events ORDER BY 1") == [("e1", "aaid-1"), ("e2", "aaid-2")]


def test_customer_id_mapping_to_a_missing_or_non_id_field_names_the_fields(con):
    path = XDM / "analytics_source.ndjson"
    with pytest.raises(cai_sql.InputError, match=r"analytics_source.ndjson: the mapping names field 'endUserIDs._experience.ecid.id' "
                                                 r"for customer_id, but the file has no such field \(endUserIDs._experience has: mcid, aaid\)"):
        cai_sql.ingest(con, path, mapping=cai_sql.EventMapping(customer_id="endUserIDs._experience.ecid.id"))
    with pytest.raises(cai_sql.InputError, match=r"'endUserIDs._experience.aaid' for customer_id, but it holds a struct, "
                                                 r"not an id; name a field inside it \(it has: id\)"):
        cai_sql.ingest(con, path, mapping=cai_sql.EventMapping(customer_id="endUserIDs._experience.aaid"))
    with pytest.raises(cai_sql.InputError, match=r"the mapping names field 'crm' for customer_id, but the file has no such field "
                                                 r"\(fields: _id, timestamp, endUserIDs"):
        cai_sql.ingest(con, path, mapping=cai_sql.EventMapping(customer_id="crm"))
    assert rows(con, "SELECT count(*) FROM information_schema.tables") == [(0,)]


def test_customer_id_mapping_on_the_command_line(tmp_path):
    from .conftest import run_cai

    write_ndjson(tmp_path / "ids.ndjson", [xdm_record("e1", ecid="ecid-1", aaid="aaid-1")])
    result = run_cai("ingest", "ids.ndjson", "--db", "x.duckdb", "--map", "customer_id=endUserIDs._experience.aaid.id", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    con = cai_sql.connect(tmp_path / "x.duckdb")
    assert rows(con, "SELECT customer_id FROM events") == [("aaid-1",)]
    con.close()


def test_xdm_row_without_any_identity_is_rejected_with_its_record(con, tmp_path):
    """The case of issue 16: one event without an identity no longer refuses a whole export."""
    records = [xdm_record(f"e{i}", ecid=f"ecid-{i}") for i in range(1, 5)]
    records.insert(2, xdm_record("anonymous"))
    path = write_ndjson(tmp_path / "export.ndjson", records)
    with pytest.raises(cai_sql.InputError, match=r"customer_id is NULL or empty in 1 of 5 rows \(first: row 3\)"):
        cai_sql.ingest(con, path)
    report = cai_sql.ingest(con, path, bad_rows="reject")
    assert (report.rows_written, report.rejected) == (4, {"missing_customer_id": 1})
    [(row_number, reason, raw_row)] = rows(con, "SELECT row_number, reason, raw_row FROM cai_ingest_rejects")
    assert (row_number, reason) == (3, "missing_customer_id")
    # the nested record as staged: NULLs of fields the record does not have are left out
    assert json.loads(raw_row) == {
        "_id": "anonymous", "timestamp": "2026-05-10 08:00:00+00", "eventType": "web.webpagedetails.pageViews",
        "endUserIDs": {"_experience": {}},
    }


def test_xdm_event_without_type_is_rejected(con, tmp_path):
    records = [xdm_record("e1", ecid="a"), {**xdm_record("e2", ecid="b"), "eventType": None}]
    report = cai_sql.ingest(con, write_ndjson(tmp_path / "types.ndjson", records), bad_rows="reject")
    assert report.rejected == {"missing_event_type": 1}
    assert rows(con, "SELECT event_id FROM events") == [("e1",)]


def test_xdm_event_dated_in_the_future_fails_the_file_or_is_rejected(con, tmp_path):
    """XDM records go through the same checks as flat rows: a 2999 timestamp is a bad row."""
    records = [xdm_record("e1", ecid="a"), {**xdm_record("e2", ecid="b"), "timestamp": "2999-01-01T00:00:00Z"}]
    path = write_ndjson(tmp_path / "ahead.ndjson", records)
    with pytest.raises(cai_sql.InputError, match=r"ahead.ndjson: ts is in the future in 1 of 2 rows \(first: row 2, "
                                                 r"'2999-01-01 00:00:00\+00'\); events may be at most 1 day ahead"):
        cai_sql.ingest(con, path)
    assert rows(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'events'") == [(0,)]
    report = cai_sql.ingest(con, path, bad_rows="reject")
    assert (report.rows_written, report.rejected) == (1, {"future_timestamp": 1})
    assert rows(con, "SELECT event_id FROM events") == [("e1",)]
    assert rows(con, "SELECT row_number, reason FROM cai_ingest_rejects") == [(2, "future_timestamp")]
