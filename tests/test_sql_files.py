"""Every SQL template is a reviewable asset: named after its object, with a header that says what it returns."""

from __future__ import annotations

import re

import pytest

from cai_sql.sqlfiles import sql_text, template_names

NAMES = template_names()


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
