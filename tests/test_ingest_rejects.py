"""`bad_rows="reject"` (`cai ingest --bad-rows reject`): good rows load, each bad row is kept in
cai_ingest_rejects with its file, row number, failed checks and raw row, in the same transaction."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

import cai_sql
from cai_sql import EventMapping, InputError
from cai_sql.ingestion import FUTURE_TOLERANCE, REJECT_REASONS

from .conftest import rows

HEADER = "customer_id,ts,event_type,value\n"
GOOD_ROWS = "a,2026-01-01 10:00:00,e,1\nb,2026-01-02 10:00:00,e,2\n"


def future(days: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


def rejects(con) -> list[tuple]:
    return rows(con, "SELECT file, row_number, reason, reasons, raw_row FROM cai_ingest_rejects ORDER BY load_id, row_number")


def has_table(con, name: str) -> bool:
    return rows(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}) == [(1,)]


@pytest.mark.parametrize("bad_row, reason, raw", [
    (",2026-01-03 10:00:00,e,3", "missing_customer_id",
     {"customer_id": None, "ts": "2026-01-03 10:00:00", "event_type": "e", "value": "3"}),
    ("   ,2026-01-03 10:00:00,e,3", "missing_customer_id",
     {"customer_id": "   ", "ts": "2026-01-03 10:00:00", "event_type": "e", "value": "3"}),
    ("c,,e,3", "missing_timestamp", {"customer_id": "c", "ts": None, "event_type": "e", "value": "3"}),
    ("c,yesterday,e,3", "bad_timestamp", {"customer_id": "c", "ts": "yesterday", "event_type": "e", "value": "3"}),
    ("c,2999-01-01 00:00:00,e,3", "future_timestamp",
     {"customer_id": "c", "ts": "2999-01-01 00:00:00", "event_type": "e", "value": "3"}),
    ("c,2026-01-03 10:00:00,,3", "missing_event_type",
     {"customer_id": "c", "ts": "2026-01-03 10:00:00", "event_type": None, "value": "3"}),
    ("c,2026-01-03 10:00:00,e,abc", "bad_value",
     {"customer_id": "c", "ts": "2026-01-03 10:00:00", "event_type": "e", "value": "abc"}),
])
def test_each_check_rejects_its_row_and_keeps_the_raw_row(con, write, bad_row, reason, raw):
    path = write("events.csv", HEADER + "a,2026-01-01 10:00:00,e,1\n" + bad_row + "\nb,2026-01-02 10:00:00,e,2\n")
    report = cai_sql.ingest(con, path, bad_rows="reject")
    assert (report.rows_read, report.rows_written, report.rejected) == (3, 2, {reason: 1})
    assert rows(con, "SELECT customer_id FROM events ORDER BY 1") == [("a",), ("b",)]
    [(file, row_number, first, every, raw_row)] = rejects(con)
    assert (file, row_number, first, every) == (str(path), 2, reason, [reason])
    assert json.loads(raw_row) == raw


def test_a_row_failing_several_checks_is_one_reject_listing_every_check(con, write):
    path = write("events.csv", HEADER + GOOD_ROWS + ",yesterday,,abc\n")
    report = cai_sql.ingest(con, path, bad_rows="reject")
    assert report.rejected == {"missing_customer_id": 1}
    assert rows(con, "SELECT row_number, reason, reasons FROM cai_ingest_rejects") == [
        (3, "missing_customer_id", ["missing_customer_id", "bad_timestamp", "missing_event_type", "bad_value"]),
    ]


def test_report_and_summary_count_rejects_by_check_in_check_order(con, write):
    path = write("events.csv", HEADER + "a,2026-01-01,e,1\nb,never,e,1\n,2026-01-01,e,1\nc,never,e,1\nd,2026-01-01,e,1\n")
    report = cai_sql.ingest(con, path, bad_rows="reject")
    assert report.rejected == {"missing_customer_id": 1, "bad_timestamp": 2}
    assert report.rows_rejected == 3 and report.rows_written == 2
    assert list(report.rejected) == [r for r in REJECT_REASONS if r in report.rejected]
    assert "; 3 rows rejected (missing_customer_id: 1, bad_timestamp: 2), kept in cai_ingest_rejects with load_id " in report.summary()
    assert rows(con, "SELECT reason, count(*) FROM cai_ingest_rejects GROUP BY ALL ORDER BY 1") == [
        ("bad_timestamp", 2), ("missing_customer_id", 1),
    ]


def test_rejects_carry_a_load_id_and_time_per_ingest(con, write):
    first = cai_sql.ingest(con, write("one.csv", HEADER + GOOD_ROWS + "c,never,e,1\n"), bad_rows="reject")
    second = cai_sql.ingest(con, write("two.csv", HEADER + "d,2026-02-01,e,1\n,2026-02-01,e,1\n"), bad_rows="reject")
    assert first.load_id and second.load_id and first.load_id != second.load_id
    got = rows(con, "SELECT load_id, file, target, row_number, ingested_at FROM cai_ingest_rejects ORDER BY ingested_at")
    assert [(r[0], r[1].rsplit("/", 1)[-1], r[2], r[3]) for r in got] == [
        (first.load_id, "one.csv", "events", 3), (second.load_id, "two.csv", "events", 2),
    ]
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert all(abs(now - r[4]) < dt.timedelta(minutes=5) for r in got)


def test_no_bad_rows_writes_no_rejects(con, write):
    report = cai_sql.ingest(con, write("good.csv", HEADER + GOOD_ROWS), bad_rows="reject")
    assert report.rows_rejected == 0 and "rejected" not in report.summary()
    assert rows(con, "SELECT count(*) FROM events") == [(2,)]


def test_future_tolerance_accepts_events_less_than_a_day_ahead(con, write):
    assert FUTURE_TOLERANCE == dt.timedelta(days=1)
    path = write("soon.csv", HEADER + f"a,{future(0.5)},e,1\nb,{future(2)},e,1\n")
    report = cai_sql.ingest(con, path, bad_rows="reject")
    assert report.rejected == {"future_timestamp": 1}
    assert rows(con, "SELECT customer_id FROM events") == [("a",)]


def test_duplicates_are_counted_among_accepted_rows_only(con, write):
    # row 3 repeats row 1's (customer_id, ts, event_type) but is rejected for its value
    path = write("dups.csv", HEADER + GOOD_ROWS + "a,2026-01-01 10:00:00,e,abc\n")
    report = cai_sql.ingest(con, path, bad_rows="reject")
    assert report.duplicates == 0 and report.rejected == {"bad_value": 1}
    cai_sql.ingest(con, path, bad_rows="reject")  # the same file again: its two good rows are duplicates
    again = cai_sql.ingest(con, path, bad_rows="reject", dedupe=True)
    assert (again.duplicates_of_existing, again.duplicates_in_file, again.rows_written) == (2, 0, 0)


def test_every_row_rejected_refuses_the_file_and_writes_nothing(con, write):
    path = write("all_bad.csv", HEADER + ",2026-01-01,e,1\nb,never,e,1\nc,never,e,1\n")
    with pytest.raises(InputError, match=r"all_bad.csv: all 3 rows failed the checks \(missing_customer_id: 1, bad_timestamp: 2\); "
                                         r"nothing was written: customer_id is NULL or empty in 1 of 3 rows"):
        cai_sql.ingest(con, path, bad_rows="reject")
    assert rows(con, "SELECT count(*) FROM information_schema.tables") == [(0,)]


def test_a_failed_load_keeps_no_rejects(con, tmp_path, write):
    """The rejects are written before the events; a type clash at the insert rolls both back."""
    first = tmp_path / "typed.json"
    first.write_text('[{"customer_id": "a", "ts": "2026-01-01T10:00:00", "event_type": "e", "qty": 1}]')
    cai_sql.ingest(con, first, mapping=EventMapping(extra={"qty": "qty"}))
    clash = write("clash.csv", "customer_id,ts,event_type,qty\nb,2026-01-02,e,many\n,2026-01-02,e,1\n")
    with pytest.raises(InputError, match=r"clash.csv: a column's type does not match the existing events table"):
        cai_sql.ingest(con, clash, mapping=EventMapping(extra={"qty": "qty"}), bad_rows="reject")
    assert not has_table(con, "cai_ingest_rejects")
    assert rows(con, "SELECT customer_id FROM events") == [("a",)]
    # with rejects of an earlier load in place, a failed load adds none
    cai_sql.ingest(con, write("ok.csv", HEADER + "c,2026-01-03,e,1\nd,never,e,1\n"), bad_rows="reject")
    before = rejects(con)
    with pytest.raises(InputError):
        cai_sql.ingest(con, clash, mapping=EventMapping(extra={"qty": "qty"}), bad_rows="reject")
    assert rejects(con) == before and len(before) == 1


def test_unknown_bad_rows_value_writes_nothing(tmp_path, write):
    path = write("good.csv", HEADER + GOOD_ROWS)
    db = tmp_path / "never.duckdb"
    with pytest.raises(InputError, match=r"bad_rows must be one of error, reject \(got 'skip'\)"):
        cai_sql.ingest(db, path, bad_rows="skip")
    assert not db.exists()


def test_parquet_rejects_keep_the_row_without_helper_columns(con, tmp_path):
    path = tmp_path / "events.parquet"
    source = duckdb.connect()
    source.sql("""
        SELECT * FROM (VALUES ('a', TIMESTAMP '2026-01-01 10:00:00', 'e', 1.5),
                              (NULL, TIMESTAMP '2026-01-02 10:00:00', 'e', 2.0),
                              ('c', TIMESTAMP '2026-01-03 10:00:00', 'e', 3.0))
        AS t(customer_id, ts, event_type, value)
    """).write_parquet(str(path))
    source.close()
    report = cai_sql.ingest(con, path, bad_rows="reject")
    assert report.rows_written == 2 and report.rejected == {"missing_customer_id": 1}
    [(_, row_number, _, _, raw_row)] = rejects(con)
    assert row_number == 2
    assert json.loads(raw_row) == {"customer_id": None, "ts": "2026-01-02 10:00:00", "event_type": "e", "value": 2.0}


def test_profiles_without_an_id_are_rejected(con, write):
    path = write("people.csv", "customer_id,tier\na,gold\n,silver\nb,bronze\n  ,gold\n")
    report = cai_sql.ingest(con, path, profiles=True, bad_rows="reject")
    assert (report.rows_read, report.rows_written, report.rejected) == (4, 2, {"missing_customer_id": 2})
    assert rows(con, "SELECT customer_id, tier FROM profiles ORDER BY 1") == [("a", "gold"), ("b", "bronze")]
    got = rows(con, "SELECT target, row_number, reason, raw_row FROM cai_ingest_rejects ORDER BY row_number")
    assert [(t, n, r, json.loads(raw)) for t, n, r, raw in got] == [
        ("profiles", 2, "missing_customer_id", {"customer_id": None, "tier": "silver"}),
        ("profiles", 4, "missing_customer_id", {"customer_id": "  ", "tier": "gold"}),
    ]
    with pytest.raises(InputError, match=r"nobody.csv: the only row failed the checks \(missing_customer_id: 1\)"):
        cai_sql.ingest(con, write("nobody.csv", "customer_id,tier\n,gold\n"), profiles=True, bad_rows="reject")
