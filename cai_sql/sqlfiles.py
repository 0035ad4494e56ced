"""Access to the SQL templates shipped in ``sql/`` (installed as ``cai_sql.sql``).

All SQL that cai-sql runs comes from these files, bound parameters, or sqlglot syntax trees;
keeping the text in files makes every statement reviewable and lets BI users read what runs.
The files sit in one folder per pipeline stage (``sql/ingest/``, ``sql/features/``, …) and are
loaded by name alone: a name is unique across folders, which the index checks when it is built.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

# The pipeline stages, in order: each is a folder of sql/ (see the README's layout section).
STAGES = ("database", "ingest", "features", "models", "scoring", "segments", "analytics", "clv", "dashboard",
          "publish", "demo")


@lru_cache(maxsize=None)
def _index() -> dict[str, tuple[str, Traversable]]:
    """Every template by name, with its stage; a template outside a stage folder, or a name in two folders, is a bug."""
    root = resources.files("cai_sql.sql")
    found: dict[str, tuple[str, Traversable]] = {}
    for entry in root.iterdir():
        if entry.name.endswith(".sql"):
            raise RuntimeError(f"sql/{entry.name} is outside a stage folder; move it to one of {', '.join(STAGES)}")
    for stage in STAGES:
        folder = root / stage
        if not folder.is_dir():
            raise RuntimeError(f"cai-sql is missing its SQL folder sql/{stage}; reinstall cai-sql")
        for entry in folder.iterdir():
            if not entry.name.endswith(".sql"):
                continue
            name = entry.name[: -len(".sql")]
            if name in found:
                raise RuntimeError(f"two SQL templates are named {name}: sql/{found[name][0]}/{entry.name} "
                                   f"and sql/{stage}/{entry.name}; template names must be unique")
            found[name] = (stage, entry)
    return found


@lru_cache(maxsize=None)
def sql_text(name: str) -> str:
    """Return the text of the template ``<name>.sql`` (in whichever stage folder holds it)."""
    found = _index().get(name)
    if found is None:
        raise FileNotFoundError(f"cai-sql is missing its SQL template {name}.sql; reinstall cai-sql")
    return found[1].read_text(encoding="utf-8")


def template_stage(name: str) -> str:
    """The stage folder holding ``<name>.sql``."""
    return _index()[name][0]


def template_names() -> list[str]:
    """Names of every shipped SQL template, sorted."""
    return sorted(_index())
