"""Prediction specs: every problem reported at once, with file and key; predicates are safe."""

from __future__ import annotations

from importlib import resources

import pytest

from cai_sql.predicates import MAX_NESTING, MAX_PREDICATE_CHARS, PredicateError, parse_predicate
from cai_sql.spec import SpecError, load_spec, spec_from_dict

EVENT_COLUMNS = ["customer_id", "ts", "event_type", "value", "event_id"]


def test_shipped_demo_specs_load():
    for name in ("purchase_30d", "churn_60d"):
        path = resources.files("cai_sql").joinpath("specs", f"{name}.toml")
        spec = load_spec(path)
        assert spec.name == name
    churn = load_spec(resources.files("cai_sql").joinpath("specs", "churn_60d.toml"))
    assert churn.model_type == "churn" and churn.goal.will_occur is False and churn.goal.window_days == 60


def test_every_problem_is_reported_at_once(write):
    path = write("bad.toml", """
name = "Bad Name"
model_type = "upsell"
lookback_days = 400
colour = "blue"

[goal]
window_days = 0

[training]
snapshots = 1
""")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 7 problems: ")
    for expected in ("colour: unknown key", "name: must be lower-case", "model_type: must be 'conversion' or 'churn'",
                     "lookback_days: must be a whole number from 7 to 365 (got 400)",
                     "goal: give exactly one of all_of or any_of", "goal.window_days: must be a whole number from 1 to 365",
                     "training.snapshots: must be a whole number from 2 to 52"):
        assert expected in message


def test_invalid_toml_and_missing_file(write, tmp_path):
    with pytest.raises(SpecError, match=r"not valid TOML"):
        load_spec(write("x.toml", "name = "))
    with pytest.raises(SpecError, match=r"does not exist"):
        load_spec(tmp_path / "nope.toml")


def test_custom_events_are_checked():
    with pytest.raises(SpecError, match=r"custom_events\[1\].name: 'x' is used twice"):
        spec_from_dict({"name": "m", "goal": {"any_of": ["true"]},
                        "custom_events": [{"name": "x", "predicate": "true"}, {"name": "x", "predicate": "true"}]})


@pytest.mark.parametrize("text, match", [
    ("1=1; DROP TABLE events", r"holds 2 statements"),
    ("DROP TABLE events", r"is a statement, not an expression"),
    ("read_csv('/etc/passwd') IS NOT NULL", r"the function READ_CSV\(\) is not allowed"),
    ("query_table('events') IS NULL", r"the function query_table\(\) is not allowed"),
    ("value IN (SELECT value FROM events)", r"a subquery is not allowed"),
    ("EXISTS (SELECT 1)", r"a subquery is not allowed"),
    ("secret_column > 1", r"unknown column 'secret_column'"),
    ("e.value > 1", r"write column names without a table"),
    ("now() > ts", r"the function now\(\) is not allowed"),
    ("", r"the predicate is empty"),
    ("value >", r"cannot parse"),
    ("'; ATTACH '/tmp/x.duckdb' AS x; --", r"cannot read .*a quote .* is not closed"),
    ('"value > 1', r"is not closed"),
    ("value > 1 /* open", r"is not closed"),
    ("value = $$abc", r"is not closed"),
    ("(" * 3000 + "1=1" + ")" * 3000, rf"more than {MAX_NESTING} levels deep"),
    ("lower(" * 30 + "event_type" + ")" * 30 + " = 'a'", r"more than \d+ levels deep"),
    ("CASE WHEN " * 30 + "true" + " THEN true END" * 30, r"more than \d+ levels deep"),
    ("NOT " * 2000 + "true", r"nested too deeply to parse"),
    ("value = 1 OR " * 1000 + "true", r"is 13,004 characters long; the limit is 10,000"),
])
def test_unsafe_or_invalid_predicates(text, match):
    with pytest.raises(PredicateError, match=match):
        parse_predicate(text, EVENT_COLUMNS, "spec.toml: goal.any_of[0]")


@pytest.mark.parametrize("text", [
    "event_type = 'commerce.purchases' AND value > 50",
    "lower(event_type) LIKE '%purchase%'",
    "value BETWEEN 10 AND 20 OR value IS NULL",
    "starts_with(event_type, 'commerce.') AND hour(ts) >= 18",
    "CASE WHEN value > 100 THEN true ELSE false END",
])
def test_ordinary_predicates_are_accepted(text):
    parse_predicate(text, EVENT_COLUMNS, "x")


def test_the_limits_leave_room_for_ordinary_predicates():
    parse_predicate("(" * MAX_NESTING + "value > 1" + ")" * MAX_NESTING, EVENT_COLUMNS, "x")
    in_list = "value IN (" + ", ".join(str(n) for n in range(1500)) + ")"
    assert len(in_list) < MAX_PREDICATE_CHARS
    parse_predicate(in_list, EVENT_COLUMNS, "x")


def test_long_input_is_echoed_shortened():
    with pytest.raises(PredicateError) as caught:
        parse_predicate("'" + "x" * 5000, EVENT_COLUMNS, "x")
    assert len(str(caught.value)) < 300 and "(5,001 characters)" in str(caught.value)


def test_casts_to_extension_types_are_refused():
    with pytest.raises(PredicateError, match=r"casts to INET are not allowed"):
        parse_predicate("CAST(event_type AS INET) IS NULL", EVENT_COLUMNS, "x")


@pytest.mark.parametrize("text", [
    "dayofweek(ts) = 6", "isodow(ts) >= 6", "dayofyear(ts) > 300", "date_trunc('month', ts) = DATE '2026-01-01'",
    "EVENT_TYPE = 'commerce.purchases'",
])
def test_renamed_functions_and_column_case(text):
    parse_predicate(text, EVENT_COLUMNS, "x")


def test_active_days_cannot_exceed_the_lookback():
    with pytest.raises(SpecError, match=r"eligibility.active_days: 60 exceeds lookback_days \(14\)"):
        spec_from_dict({"name": "m", "lookback_days": 14, "goal": {"any_of": ["true"]}, "eligibility": {"active_days": 60}})


def test_a_utf8_byte_order_mark_is_skipped(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfname = \"m\"\n[goal]\nany_of = [\"true\"]\n")
    assert load_spec(path).name == "m"


def test_a_file_that_is_not_utf8_is_named_with_the_byte(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("name = \"m\"\n# café\n".encode("latin-1"))
    with pytest.raises(SpecError, match=rf"^spec file {path} is not UTF-8 text \(byte 16 is 0xe9\); save it as UTF-8"):
        load_spec(path)
    with pytest.raises(SpecError, match=r"cannot read spec file .*: Is a directory"):
        load_spec(tmp_path)


def test_comments_are_not_kept_in_the_checked_expression():
    tree = parse_predicate("value > 1 -- a */ ; DROP TABLE events; /*", EVENT_COLUMNS, "x")
    assert tree.sql("duckdb") == "value > 1"
