"""The README's quick start and SQL examples are true of the current code."""

from __future__ import annotations

import re

import pytest

import cai_sql

from .readme_examples import README, cli_examples, cli_outputs, examples, normalize_cli, render

TEXT = README.read_text(encoding="utf-8")
EXAMPLES = examples(TEXT)


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", TEXT, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text()
    assert re.search(r"^\s*make test\s*$", ci, re.M)


@pytest.fixture(scope="module")
def demo_con(demo_db):
    con = cai_sql.connect(demo_db, read_only=True)
    yield con
    con.close()


def test_readme_has_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_readme_example_output(demo_con, index):
    match = EXAMPLES[index]
    assert render(demo_con, match.group("sql")) == match.group("output"), (
        "README output is stale; run: make readme"
    )


def test_readme_shows_the_shipped_purchase_spec():
    from importlib import resources

    shipped = resources.files("cai_sql").joinpath("specs", "purchase_30d.toml").read_text(encoding="utf-8")
    assert f"```toml\n{shipped}```" in TEXT


CLI = cli_examples(TEXT)


@pytest.fixture(scope="module")
def cli_actual(demo_db, tmp_path_factory):
    """Every README CLI example run as the README says (demo copy, CDNOW walk-through), once."""
    return cli_outputs(TEXT, demo_db, tmp_path_factory.mktemp("readme_cli"))


def test_readme_shows_cli_output_only_from_commands_the_tests_run():
    commands = [match.group("command").split()[1] for match in CLI]
    assert {"demo", "profile", "info", "backtest", "train", "score"} <= set(commands)


@pytest.mark.parametrize("index", range(len(CLI)))
def test_readme_cli_output(cli_actual, index):
    assert normalize_cli(cli_actual[index]) == normalize_cli(CLI[index].group("output")), CLI[index].group("command")
