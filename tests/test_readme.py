"""The manual (README.md and docs/*.md): its quick start, SQL and CLI examples are true of the current code."""

from __future__ import annotations

import re
import shlex

import pytest

import cai_sql

from .readme_examples import (
    DOCS,
    DOCUMENTS,
    README,
    all_cli_examples,
    all_examples,
    cli_outputs,
    database_of,
    normalize_cli,
    read_documents,
    render,
)

TEXTS = read_documents()
TEXT = TEXTS[README]
EXAMPLES = all_examples(TEXTS)


def _id(pair: tuple) -> str:
    return pair[0].name


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", TEXT, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text()
    assert re.search(r"^\s*make test\s*$", ci, re.M)


def test_the_manual_is_the_readme_and_the_reference_pages():
    assert DOCUMENTS[0] == README and len(DOCUMENTS) > 1 and all(path.parent == DOCS for path in DOCUMENTS[1:])
    for path in DOCUMENTS[1:]:  # every page: a one-line title, then the way back
        lines = TEXTS[path].splitlines()
        assert lines[0].startswith("# ") and "](../README.md)" in lines[2], path.name


@pytest.fixture(scope="module")
def demo_con(demo_db):
    con = cai_sql.connect(demo_db, read_only=True)
    yield con
    con.close()


def test_readme_has_examples():
    assert len(examples_in(README)) >= 3


def examples_in(path):
    return [match for document, match in EXAMPLES if document == path]


@pytest.mark.parametrize("index", range(len(EXAMPLES)), ids=[f"{_id(e)}-{i}" for i, e in enumerate(EXAMPLES)])
def test_readme_example_output(demo_con, index):
    path, match = EXAMPLES[index]
    assert render(demo_con, match.group("sql")) == match.group("output"), (
        f"{path.name}: output is stale; run: make readme"
    )


def test_readme_shows_the_shipped_purchase_spec():
    from importlib import resources

    shipped = resources.files("cai_sql").joinpath("specs", "purchase_30d.toml").read_text(encoding="utf-8")
    assert f"```toml\n{shipped}```" in TEXTS[DOCS / "predictions.md"]


CLI = all_cli_examples(TEXTS)


@pytest.fixture(scope="module")
def cli_actual(demo_db, tmp_path_factory):
    """Every CLI example of the manual run as it says (demo copy, CDNOW walk-through), once, in document order."""
    return cli_outputs(TEXTS, demo_db, tmp_path_factory.mktemp("readme_cli"))


def test_readme_shows_cli_output_only_from_commands_the_tests_run():
    commands = [match.group("command").split()[1] for _, match in CLI]
    assert {"demo", "profile", "info", "backtest", "train", "score"} <= set(commands)
    assert [match.group("command").split()[1] for _, match in all_cli_examples({README: TEXT})][0] == "demo"


def test_cli_examples_run_after_the_commands_they_depend_on():
    """The commands of one database run in document order (README, then docs/*.md by name): a model is
    trained before it is scored, a segment created before it is shown, exported or dropped."""
    by_database: dict[str, list[list[str]]] = {}
    for _, match in CLI:
        command = match.group("command")
        by_database.setdefault(database_of(command), []).append(shlex.split(command)[1:])
    walkthrough = [words[0] for words in by_database["cdnow.duckdb"]]
    assert "train" in walkthrough and walkthrough.index("train") < walkthrough.index("score")
    for commands in by_database.values():
        created = [words[2] for words in commands if words[:2] == ["segment", "create"]]
        for position, words in enumerate(commands):
            if words[:1] == ["segment"] and words[1:2] in (["show"], ["export"], ["drop"]) and words[2] in created:
                assert ["segment", "create", words[2]] in [w[:3] for w in commands[:position]], words


@pytest.mark.parametrize("index", range(len(CLI)), ids=[f"{_id(e)}-{i}" for i, e in enumerate(CLI)])
def test_readme_cli_output(cli_actual, index):
    path, match = CLI[index]
    assert normalize_cli(cli_actual[index]) == normalize_cli(match.group("output")), f"{path.name}: {match.group('command')}"
