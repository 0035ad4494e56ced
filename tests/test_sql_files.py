"""Every SQL template is a reviewable asset: named after its object, with a header that says what it returns."""

from __future__ import annotations

import re

import pytest

from pathlib import Path

from cai_sql.sqlfiles import STAGES, sql_text, template_names, template_stage

NAMES = template_names()
REPO_SQL = Path(__file__).resolve().parent.parent / "sql"


def test_templates_are_shipped():
    assert {"events", "ingest_problems", "demo_xdm_events"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_header_names_the_object_its_grain_and_parameters(name):
    text = sql_text(name)
    header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
    assert text.startswith(f"-- {name}: "), f"{name}.sql must start with '-- {name}: <what it returns>'"
    assert "Grain:" in header and "Parameters:" in header, f"{name}.sql header must state its grain and parameters"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_bound_not_formatted(name):
    body = "\n".join(line for line in sql_text(name).splitlines() if not line.startswith("--"))
    assert not re.search(r"\{[a-z_]+\}", body), f"{name}.sql looks like a format string; bind $parameters instead"


# --- layout: one folder per stage, the contract marked ---------------------------------------------

# Files that define a public object without the cai_ prefix: the input tables and the segment views.
CONTRACT_WITHOUT_PREFIX = {"events", "ensure_profiles", "create_profiles", "segment_view"}
CONTRACT = re.compile(r"^-- Contract: (.*)\.$", re.M)


def test_every_template_lives_in_a_stage_folder_under_a_unique_name():
    folders = {p.parent.name for p in REPO_SQL.rglob("*.sql")}
    assert folders <= set(STAGES) and not list(REPO_SQL.glob("*.sql"))
    names = [p.stem for p in REPO_SQL.rglob("*.sql")]
    assert len(names) == len(set(names)) == len(NAMES)
    assert template_stage("cai_models") == "models"


@pytest.mark.parametrize("name", NAMES)
def test_a_file_is_marked_as_contract_exactly_when_it_defines_a_public_object(name):
    marked = CONTRACT.search(sql_text(name)) is not None
    assert marked == (name.startswith("cai_") or name in CONTRACT_WITHOUT_PREFIX), (
        f"{name}.sql: files named cai_* (and {sorted(CONTRACT_WITHOUT_PREFIX)}) define public objects and carry a "
        "'-- Contract: <kind> <name>.' header line; other files must not")


def _contract_patterns() -> list[re.Pattern]:
    patterns = []
    for name in NAMES:
        for declared in CONTRACT.findall(sql_text(name)):
            for object_name in re.findall(r"(?<!\w)(cai_[a-z0-9_<>]+|events|profiles)(?![\w<>])", declared):
                pattern = re.escape(object_name).replace("<model>", "[a-z0-9_]+?").replace("<n>", "[0-9]+")
                patterns.append(re.compile(pattern.replace("<segment>", "[a-z0-9_]+") + "$"))
    return patterns


def test_every_public_object_of_the_demo_database_is_declared_in_the_contract(demo_db):
    import cai_sql

    con = cai_sql.connect(demo_db, read_only=True, functions=False)
    try:
        public = {name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "UNION SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal "
            "UNION SELECT function_name FROM duckdb_functions() WHERE database_name = current_database() "
            "AND function_type IN ('macro', 'table_macro')").fetchall()
            if not name.startswith("_") and not name.startswith("demo_")}
    finally:
        con.close()
    patterns = _contract_patterns()
    undeclared = sorted(n for n in public if not any(p.match(n) for p in patterns))
    assert {"cai_models", "cai_scores", "events", "cai_features_purchase_30d_v1"} <= public
    assert not undeclared, f"public objects no '-- Contract:' line declares: {undeclared}"


TEMPLATE_FUNCTIONS = {"sql_text", "records", "execute_each", "render_query", "render_create", "_render", "_render_tree",
                      "render_template", "_fetch_dict"}


def test_every_template_name_in_the_code_exists():
    """A misspelt or moved name fails here, not at run time for a user."""
    import ast

    missing = []
    for path in [*(REPO_SQL.parent / "cai_sql").rglob("*.py"), *(REPO_SQL.parent / "udfs").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if function not in TEMPLATE_FUNCTIONS:
                continue
            for arg in node.args[:2]:
                if (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                        and re.fullmatch(r"[a-z][a-z0-9_]*", arg.value) and arg.value not in NAMES):
                    missing.append(f"{path.name}:{node.lineno} {function}({arg.value!r})")
    assert not missing
