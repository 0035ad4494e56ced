"""Bad input: one clear error naming the file, the column and how many rows, and nothing written."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

import cai_sql
import cai_sql.ingestion as ingest_module
from cai_sql import EventMapping, InputError, ProfileMapping, load_mapping_file

from .conftest import rows, run_cai

GOOD = "customer_id,ts,event_type,value\na,2026-01-01 10:00:00,e,1\nb,2026-01-02 10:00:00,e,2\n"


def snapshot(con) -> tuple:
    tables = rows(con, "SELECT table_name FROM information_schema.tables ORDER BY 1")
    events = rows(con, "SELECT * FROM events ORDER BY ALL") if ("events",) in tables else None
    profiles = rows(con, "SELECT * FROM profiles ORDER BY ALL") if ("profiles",) in tables else None
    return tables, events, profiles


@pytest.fixture
def loaded(con, write):
    """A database that already holds events and profiles, to show that failures leave it as it was."""
    cai_sql.ingest(con, write("good.csv", GOOD))
    cai_sql.ingest(con, write("people.csv", "customer_id,tier\na,gold\n"), profiles=True)
    return con


def assert_refused(con, match: str, *args, **kwargs):
    before = snapshot(con)
    with pytest.raises(InputError, match=match):
        cai_sql.ingest(con, *args, **kwargs)
    assert snapshot(con) == before


def test_missing_column(loaded, write):
    path = write("no_ts.csv", "customer_id,event_type\na,e\n")
    assert_refused(loaded, r"no_ts.csv: the file has no column 'ts'; map it with --map ts=COLUMN \(columns in the file: customer_id, event_type\)", path)


def test_mapping_names_absent_field(loaded, write):
    path = write("shop.csv", "user,when,action\na,2026-01-01,e\n")
    mapping = EventMapping(customer_id="usr", ts="when", event_type="action")
    assert_refused(loaded, r"shop.csv: the mapping names field 'usr' for customer_id, but the file has no such field", path, mapping=mapping)


def test_mapping_names_absent_extra_field(loaded, write):
    path = write("shop.csv", GOOD)
    assert_refused(loaded, r"field 'channel' for extra column channel", path, mapping=EventMapping(extra={"channel": "channel"}))


def test_unparseable_timestamps_name_file_column_and_count(loaded, write):
    path = write("bad_ts.csv", "customer_id,ts,event_type\na,2026-01-01,e\nb,yesterday,e\nc,31/12/2025,e\n")
    assert_refused(loaded, r"bad_ts.csv: ts is not a timestamp in 2 of 3 rows \(first: row 2, 'yesterday'\); give the format with --ts-format", path)


def test_numbers_as_timestamps_need_a_unit(loaded, tmp_path):
    path = tmp_path / "epoch.json"
    path.write_text('[{"customer_id": "a", "ts": 1767261600, "event_type": "e"}]')
    assert_refused(loaded, r"epoch.json: column 'ts' holds numbers, not timestamps; .* epoch_s, epoch_ms or epoch_us", path)


def test_null_or_empty_customer_ids_are_counted(loaded, write):
    path = write("ids.csv", "customer_id,ts,event_type\n,2026-01-01,e\n  ,2026-01-01,e\nc,2026-01-01,e\n")
    assert_refused(loaded, r"ids.csv: customer_id is NULL or empty in 2 of 3 rows \(first: row 1\)", path)


def test_missing_event_type_and_bad_values_reported_together(loaded, write):
    path = write("mixed.csv", "customer_id,ts,event_type,value\na,2026-01-01,,1\nb,2026-01-01,e,abc\n")
    before = snapshot(loaded)
    with pytest.raises(InputError) as caught:
        cai_sql.ingest(loaded, path)
    message = str(caught.value)
    assert message.startswith("mixed.csv: event_type is NULL or empty in 1 of 2 rows (first: row 1); ")
    assert "; value is not a number in 1 of 2 rows (first: row 2, 'abc')" in message
    assert "\n" not in message
    assert snapshot(loaded) == before


@pytest.mark.parametrize("name, text, match", [
    ("empty.csv", "", r"empty.csv: the file is empty"),
    ("header_only.csv", "customer_id,ts,event_type\n", r"header_only.csv: the file has no rows"),
    ("empty.json", "[]", r"empty.json: the file has no rows"),
    ("empty.ndjson", "", r"empty.ndjson: the file is empty"),
])
def test_empty_files(loaded, write, name, text, match):
    assert_refused(loaded, match, write(name, text))


def test_unknown_file_type(loaded, write):
    path = write("events.xlsx", "not really a spreadsheet")
    assert_refused(loaded, r"events.xlsx: unknown file type '.xlsx'; cai-sql reads .* name the format with --format", path)


def test_missing_file(loaded, tmp_path):
    assert_refused(loaded, r"nowhere.csv: no such file", tmp_path / "nowhere.csv")


def test_corrupt_parquet(loaded, write):
    assert_refused(loaded, r"broken.parquet: cannot read it as PARQUET", write("broken.parquet", "this is not parquet"))


def test_malformed_json(loaded, write):
    assert_refused(loaded, r"broken.json: cannot read it as JSON", write("broken.json", '{"customer_id": "a", '))


def test_xdm_without_any_identity(loaded, write):
    path = write("anon.json", '[{"timestamp": "2026-01-01T00:00:00Z", "identityMap": {"Email": [{"id": "x"}]}, "eventType": "e"}]')
    assert_refused(loaded, r"anon.json: no customer identity: identityMap has no namespace 'ECID' \(identityMap has: Email\)", path)


def test_profiles_without_id_column(loaded, write):
    path = write("crm.csv", "crm_id,tier\n1,gold\n")
    assert_refused(loaded, r"crm.csv: profiles are keyed by column 'customer_id', but the file has no such column \(columns: crm_id, tier\)", path, profiles=True)
    assert_refused(loaded, r"crm.csv: the mapping names column 'crmid'", path, profiles=True, mapping=ProfileMapping("crmid"))


def test_profiles_with_repeated_or_empty_ids(loaded, write):
    assert_refused(loaded, r"p.csv: 1 rows repeat a customer already in the file \(e.g. 'a'\)",
                   write("p.csv", "customer_id,tier\na,gold\na,silver\nb,bronze\n"), profiles=True)
    assert_refused(loaded, r"q.csv: column 'customer_id' is NULL or empty in 1 of 2 rows",
                   write("q.csv", "customer_id,tier\n,gold\nb,bronze\n"), profiles=True)


def test_failure_after_rows_were_inserted_rolls_everything_back(loaded, write, monkeypatch):
    """An injected fault after the INSERT (at clean-up) leaves events and profiles untouched."""
    real_sql_text = ingest_module.sql_text

    def failing_sql_text(name: str) -> str:
        if name == "ingest_cleanup":
            raise RuntimeError("injected fault")
        return real_sql_text(name)

    monkeypatch.setattr(ingest_module, "sql_text", failing_sql_text)
    before = snapshot(loaded)
    with pytest.raises(RuntimeError, match="injected fault"):
        cai_sql.ingest(loaded, write("more.csv", GOOD.replace("a,", "z,")), mapping=EventMapping(extra={"note": "value"}))
    with pytest.raises(RuntimeError, match="injected fault"):
        cai_sql.ingest(loaded, write("more_people.csv", "customer_id,tier,age\nz,silver,30\n"), profiles=True)
    assert snapshot(loaded) == before
    assert "note" not in loaded.table("events").columns


def test_first_ingest_failing_creates_no_table(con, write):
    with pytest.raises(InputError):
        cai_sql.ingest(con, write("bad.csv", "customer_id,ts,event_type\na,never,e\n"))
    assert rows(con, "SELECT count(*) FROM information_schema.tables") == [(0,)]


@pytest.mark.parametrize("text, match", [
    ("[events]\nuser = 'x'\n", r"unknown mapping key\(s\) user; valid keys are"),
    ("[event]\ncustomer_id = 'x'\n", r"unknown section\(s\) event"),
    ("[events\n", r"is not valid TOML"),
    ("[events]\nts = 3\n", r"mapping key 'ts' must be a non-empty field name"),
    ("[profiles]\ntier = 'x'\n", r"unknown key\(s\) tier"),
])
def test_bad_mapping_files(write, text, match):
    with pytest.raises(InputError, match=match):
        load_mapping_file(write("mapping.toml", text))


def test_reserved_extra_column_names(loaded, write):
    with pytest.raises(InputError, match=r"extra column name\(s\) TS, _row are reserved"):
        cai_sql.ingest(loaded, write("x.csv", GOOD), mapping=cai_sql.mapping.event_mapping_from({"extra": {"_row": "value", "TS": "ts"}}, "--map"))


def test_file_names_with_glob_characters(loaded, write):
    write("a1.csv", GOOD)
    assert_refused(loaded, r"a\*.csv: DuckDB reads \*, \? and \[ in a file name as a pattern", write("a*.csv", GOOD))


def test_profile_columns_differing_only_in_case_are_one_column(loaded, write):
    cai_sql.ingest(loaded, write("p1.csv", "customer_id,region\na,EU\n"), profiles=True)
    cai_sql.ingest(loaded, write("p2.csv", "customer_id,Region\nb,US\n"), profiles=True)
    assert rows(loaded, "SELECT customer_id, region FROM profiles WHERE region IS NOT NULL ORDER BY 1") == [("a", "EU"), ("b", "US")]


def test_timestamps_are_utc_on_a_callers_own_connection(tmp_path, write):
    import duckdb

    con = duckdb.connect(str(tmp_path / "own.duckdb"))
    con.execute("SET TimeZone = 'America/New_York'")
    cai_sql.ingest(con, write("tz.csv", "customer_id,ts,event_type\na,2025-01-01T10:00:00Z,e\nb,2025-01-01 10:00:00,e\n"))
    assert [r[0].hour for r in rows(con, "SELECT ts FROM events ORDER BY customer_id")] == [10, 10]


def test_future_timestamps_fail_the_file(loaded, write):
    ahead = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    path = write("ahead.csv", f"customer_id,ts,event_type\na,2026-01-01,e\nb,{ahead},e\nc,2999-12-31,e\n")
    assert_refused(loaded, rf"ahead.csv: ts is in the future in 2 of 3 rows \(first: row 2, '{ahead}'\); "
                           r"events may be at most 1 day ahead of now \(UTC\); to load the other rows and keep these in "
                           r"cai_ingest_rejects, pass --bad-rows reject$", path)


def test_error_mode_writes_no_rejects_table(loaded, write):
    with pytest.raises(InputError):
        cai_sql.ingest(loaded, write("bad.csv", "customer_id,ts,event_type\na,never,e\nb,2026-01-01,e\n"))
    assert rows(loaded, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cai_ingest_rejects'") == [(0,)]


@pytest.mark.parametrize("ts_format", ["%r", "%Y-%m-%d %Q", "%d/%m/%Y %"])
def test_an_unknown_ts_format_is_refused_before_reading(loaded, write, ts_format):
    path = write("good.csv", GOOD)
    assert_refused(loaded, r"^--ts-format \(ts_format\) '.*' is not a timestamp format DuckDB knows \(.*\); write it with "
                           r"strptime codes", path, mapping=EventMapping(ts_format=ts_format))


def test_mapping_files_with_a_byte_order_mark_or_not_in_utf8(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_bytes(b"\xef\xbb\xbf[events]\ncustomer_id = 'user'\n")
    assert load_mapping_file(path)[0].customer_id == "user"
    path.write_bytes("[events]\ncustomer_id = 'usér'\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"mapping file .* is not UTF-8 text \(byte 26 is 0xe9\); save it as UTF-8"):
        load_mapping_file(path)


def test_data_files_not_in_utf8_say_so_and_a_bom_is_fine(loaded, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("customer_id,ts,event_type\ncafé,2026-01-01,e\n".encode("latin-1"))
    assert_refused(loaded, r"latin.csv: cannot read it as CSV: it is not UTF-8 text \(.*\); save it as UTF-8", latin)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfcustomer_id,ts,event_type\nz,2026-01-01,e\n")
    assert cai_sql.ingest(loaded, bom).rows_written == 1


def test_a_failed_first_ingest_leaves_no_database_file(tmp_path, write):
    """`cai ingest bad.csv --db new.duckdb` used to leave an empty new.duckdb (and .wal) behind."""
    bad = write("bad.csv", "customer_id,ts,event_type\n,2026-01-01,e\n")
    result = run_cai("ingest", "bad.csv", "--db", "new.duckdb", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("Error: bad.csv: customer_id is NULL or empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]
    with pytest.raises(InputError):
        cai_sql.ingest(tmp_path / "new.duckdb", bad, profiles=True, mapping=ProfileMapping("missing"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_an_interrupted_first_ingest_leaves_no_database_file(tmp_path, write, monkeypatch):
    def interrupted(con, *args, **kwargs):
        con.execute("CREATE TABLE events AS SELECT 1 AS x")
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module, "ingest_events", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cai_sql.ingest(tmp_path / "new.duckdb", write("good.csv", GOOD))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv"]


def test_a_failed_ingest_into_an_existing_database_leaves_it_unchanged(tmp_path, write):
    write("good.csv", GOOD)
    write("bad.csv", "customer_id,ts,event_type\n,2026-01-01,e\n")
    assert run_cai("ingest", "good.csv", "--db", "shop.duckdb", cwd=tmp_path).returncode == 0
    before = hashlib.sha256((tmp_path / "shop.duckdb").read_bytes()).hexdigest()
    result = run_cai("ingest", "bad.csv", "--db", "shop.duckdb", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert hashlib.sha256((tmp_path / "shop.duckdb").read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "good.csv", "shop.duckdb"]


def test_cli_refuses_an_event_dated_2999_with_one_error_line(tmp_path, write):
    """The repro of issue 18: `cai ingest` of a 2999-01-01 event used to exit 0 (and score and fit as of 2999)."""
    write("late.csv", "customer_id,ts,event_type\na,2026-01-01,e\nb,2999-01-01,e\n")
    result = run_cai("ingest", "late.csv", "--db", "shop.duckdb", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.splitlines() == [
        "Error: late.csv: ts is in the future in 1 of 2 rows (first: row 2, '2999-01-01'); events may be at most 1 day "
        "ahead of now (UTC); to load the other rows and keep these in cai_ingest_rejects, pass --bad-rows reject"]
    assert not (tmp_path / "shop.duckdb").exists()
    kept = run_cai("ingest", "late.csv", "--db", "shop.duckdb", "--bad-rows", "reject", cwd=tmp_path)
    assert kept.returncode == 0 and "1 row rejected (future_timestamp: 1)" in kept.stdout, kept.stderr
