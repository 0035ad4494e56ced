"""Access to the SQL templates shipped in ``sql/`` (installed as ``cai_sql.sql``).

All SQL that cai-sql runs comes from these files, bound parameters, or sqlglot syntax trees;
keeping the text in files makes every statement reviewable and lets BI users read what runs.
"""

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def sql_text(name: str) -> str:
    """Return the text of ``sql/<name>.sql``."""
    path = resources.files("cai_sql.sql") / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"cai-sql is missing its SQL template {name}.sql; reinstall cai-sql")
    return path.read_text(encoding="utf-8")


def template_names() -> list[str]:
    """Names of every shipped SQL template, sorted."""
    return sorted(
        entry.name[: -len(".sql")]
        for entry in resources.files("cai_sql.sql").iterdir()
        if entry.name.endswith(".sql")
    )
