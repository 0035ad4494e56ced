"""The hostile list (tests/fixtures/hostile.txt) through every predicate surface: segment --where, clv fit
--purchase, the four spec predicate keys, the dashboard's segment form and the `cai` command line.

Each string is refused with one clear error (a CaiError; one `Error:` line at the command line; a 4xx page
in the dashboard), or accepted as a checked boolean expression; afterwards the database holds the same
objects and rows and no file the strings name has appeared.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner

import cai_sql
from cai_sql.cli import main
from cai_sql.errors import CaiError
from cai_sql.predicates import ALLOWED_FUNCTIONS, ALLOWED_NODES, MAX_NESTING, MAX_PREDICATE_CHARS
from cai_sql.spec import check_against_database, spec_from_dict

from .conftest import FIXTURES, cai_executable
from .test_dashboard import Server
from .test_scoring import DATE, scored_db  # noqa: F401  (module fixture reused)

MODEL = "purchase_30d"
LEFTOVERS = "/tmp/cai-hostile-*"
ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|n|\\)")


def _decode(line: str) -> str:
    def one(match: re.Match) -> str:
        code = match.group(1)
        return {"n": "\n", "\\": "\\"}.get(code) or chr(int(code[1:], 16))

    return ESCAPE.sub(one, line)


def hostile_strings() -> list[str]:
    """The fixture's strings, decoded, and the long and deep ones made here."""
    lines = (FIXTURES / "hostile.txt").read_text(encoding="utf-8").splitlines()
    strings = [_decode(line) for line in lines if line.strip() and not line.startswith("## ")]
    return strings + [
        "x" * 100_000,  # a 100 KB identifier
        "'" + "a" * (MAX_PREDICATE_CHARS + 1),  # too long and unterminated
        "1=1 OR " * (MAX_PREDICATE_CHARS // 7) + "1=1",  # just under the limit: accepted
        "1=1 OR " * (MAX_PREDICATE_CHARS // 7 + 1) + "1=1",  # just over it
        "(" * 3000 + "1=1" + ")" * 3000,
        "(" * (MAX_NESTING + 1) + "1=1" + ")" * (MAX_NESTING + 1),
        "NOT " * 2000 + "true",
        "CASE WHEN " * 200 + "true" + " THEN true END" * 200,
        "lower(" * 500 + "customer_id" + ")" * 500 + " = 'x'",
        "[" * 1000 + "1" + "]" * 1000 + " IS NOT NULL",
    ]


HOSTILE = hostile_strings()


@pytest.fixture(scope="module")
def hostile_db(scored_db, tmp_path_factory):  # noqa: F811
    """The scored purchase model with one run, so that segments have members to select."""
    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    shutil.copy(scored_db, db)
    cai_sql.score(db, MODEL, as_of=DATE)
    return db


def snapshot(db: Path) -> tuple:
    """What a hostile string might change: objects, attached databases, loaded extensions, row counts, files."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return _snapshot(con)
    finally:
        con.close()


def _snapshot(con) -> tuple:
    objects = con.execute(
        "SELECT database_name, schema_name, table_name, 'table' FROM duckdb_tables() WHERE NOT temporary "
        "UNION ALL SELECT database_name, schema_name, view_name, 'view' FROM duckdb_views() WHERE NOT internal AND NOT temporary "
        "UNION ALL SELECT database_name, schema_name, function_name, function_type FROM duckdb_functions() "
        "WHERE NOT internal AND function_type LIKE '%macro' ORDER BY ALL").fetchall()
    databases = con.execute("SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY 1").fetchall()
    extensions = con.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded ORDER BY 1").fetchall()
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
              for t in ("events", "profiles", "cai_models", "cai_runs", "cai_scores", "cai_segments")}
    return objects, databases, extensions, counts, sorted(glob.glob(LEFTOVERS))


@pytest.fixture
def db(hostile_db, tmp_path):
    copy = tmp_path / "h.duckdb"
    shutil.copy(hostile_db, copy)
    before = snapshot(copy)
    yield copy
    assert snapshot(copy) == before


def assert_harmless(predicate: str) -> None:
    """An accepted predicate, as stored: one expression of allowlisted nodes and functions, no statement."""
    trees = [t for t in sqlglot.parse(predicate, read="duckdb") if t is not None]
    assert len(trees) == 1, predicate
    for node in trees[0].walk():
        if isinstance(node, sqlglot.exp.Anonymous):
            assert node.name.lower() in ALLOWED_FUNCTIONS, predicate
        else:
            assert isinstance(node, ALLOWED_NODES) or node.sql_name().lower() in ALLOWED_FUNCTIONS, predicate


def assert_one_error_line(result, text: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (text[:80], result.exception)
    lines = result.stderr.splitlines()
    if result.exit_code == 0:
        return
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), (text[:80], result.stderr[:500])
    assert len(lines[0]) <= 2_100 and "Traceback" not in result.stderr
    assert lines[0].isprintable(), lines[0]  # no NUL, RTL override or byte order mark reaches the terminal


def test_the_list_is_long_enough_and_decoded():
    assert 100 <= len(HOSTILE) <= 200
    assert "customer_id = '\x00'" in HOSTILE and "\u202e1=1" in HOSTILE and "1=1 --\nAND 1=0; DROP TABLE events" in HOSTILE
    assert "1=1; DROP TABLE events" in HOSTILE and not any(text.startswith("## ") for text in HOSTILE)


def test_segment_where(db):
    accepted = []
    con = cai_sql.connect(db)
    try:
        for index, text in enumerate(HOSTILE):
            try:
                segment = cai_sql.create_segment(con, f"h{index}", MODEL, text)
            except CaiError:
                continue
            accepted.append(text)
            assert_harmless(segment.predicate)
            cai_sql.drop_segment(con, segment.name)
    finally:
        con.close()
    assert accepted and len(accepted) < len(HOSTILE) // 4  # 1=1, true, … but not the rest


def test_clv_purchase(db):
    con = cai_sql.connect(db)
    try:
        before = _snapshot(con)
        for text in HOSTILE:
            try:
                fit = cai_sql.fit_clv(con, as_of=DATE, purchase=text)
            except CaiError:
                continue
            assert_harmless(fit.purchase_predicate)  # and its fit is recorded in cai_clv_fits
        assert _snapshot(con) == before
    finally:
        con.close()


SPEC_KEYS = {
    "goal.any_of": lambda text: {"goal": {"any_of": [text]}},
    "eligibility.events": lambda text: {"goal": {"any_of": ["true"]}, "eligibility": {"events": [text]}},
    "eligibility.profiles": lambda text: {"goal": {"any_of": ["true"]}, "eligibility": {"profiles": [text]}},
    "custom_events.predicate": lambda text: {"goal": {"any_of": ["true"]},
                                             "custom_events": [{"name": "c", "predicate": text}]},
}


@pytest.mark.parametrize("key", list(SPEC_KEYS))
def test_spec_predicate_keys(db, key):
    con = cai_sql.connect(db)
    try:
        for text in HOSTILE:
            try:
                spec = spec_from_dict({"name": "h", **SPEC_KEYS[key](text)}, "hostile.toml")
                parsed = check_against_database(spec, con)
            except CaiError:
                continue
            assert all(tree is not None for trees in parsed.values() for tree in trees)
            for trees in parsed.values():
                for tree in trees:
                    assert_harmless(tree.sql("duckdb"))
    finally:
        con.close()


def test_dashboard_segment_form(db):
    with Server(db) as server:
        token = server.token()
        for index, text in enumerate(HOSTILE):
            status, html, _ = server.post("/segments", {"token": token, "name": f"h{index}", "model": MODEL,
                                                        "where": text})
            assert status in (303, 400), (text[:80], status, html[:300])
            if status == 400:
                assert '<p class="flash error" role="alert">' in html, (text[:80], html[:300])
    for name, *_ in cai_sql.list_segments(db):
        cai_sql.drop_segment(db, name)


def test_cli_in_process(db):
    """Every fourth string through the click commands (each opens the database: the functions above take all)."""
    runner = CliRunner()
    for index, text in list(enumerate(HOSTILE))[::4]:
        for args in (["segment", "create", f"h{index}", "--model", MODEL, "--where", text],
                     ["clv", "fit", "--as-of", str(DATE), "--purchase", text, "--format", "json"]):
            assert_one_error_line(runner.invoke(main, [*args, "--db", str(db)]), text)
    for name, *_ in cai_sql.list_segments(db):
        cai_sql.drop_segment(db, name)


# A few through the installed `cai` (each start opens the database with the scoring functions: ~3 s)
SUBPROCESS = ["'; ATTACH '/tmp/cai-hostile-x.duckdb' AS x; --", "1=1; DROP TABLE events",
              "read_csv('/etc/passwd') IS NOT NULL", "customer_id \u202e= 'x'", "x" * 100_000,
              "(" * 3000 + "1=1" + ")" * 3000]


def test_the_real_command_line(db, tmp_path):
    for text in SUBPROCESS:
        result = subprocess.run([cai_executable(), "segment", "create", "h", "--model", MODEL, "--where", text,
                                 "--db", str(db)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1 and result.stderr.startswith("Error: "), (text[:80], result.stderr[-500:])
        assert result.stderr.count("\n") == 1 and len(result.stderr) < 600, result.stderr[:600]
        assert result.stderr.strip().isprintable(), result.stderr
