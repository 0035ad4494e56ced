"""The README's SQL examples and their outputs, kept true by running them.

A README example is a ```sql block followed directly by a ```text block holding its output, as
rendered by :func:`render`, on the database that ``cai demo`` builds with its defaults. The test
suite checks them; ``make readme`` rewrites the outputs after a deliberate change:

    .venv/bin/python -m tests.readme_examples --update
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE = re.compile(r"```sql\n(?P<sql>.*?)```\n\n?```text\n(?P<output>.*?)```", re.S)


def examples(text: str) -> list[re.Match]:
    return list(EXAMPLE.finditer(text))


def _cell(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:,.12g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def render(con, sql: str) -> str:
    """A query's result as an aligned pipe table, numbers right-aligned."""
    cursor = con.execute(sql)
    return render_rows([column[0] for column in cursor.description], cursor.fetchall())


def render_rows(names: list[str], data: list[tuple]) -> str:
    """Rows (from any client) as :func:`render` shows them."""
    cells = [[_cell(v) for v in row] for row in data]
    numeric = [all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool) for row in data if row[i] is not None)
               for i in range(len(names))]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]

    def line(values):
        return "| " + " | ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)) + " |"

    separator = "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(names), separator, *(line(r) for r in cells)]) + "\n"


def build_demo_database(directory: Path) -> Path:
    """The database `cai demo` builds with its default settings."""
    from cai_sql.demo import DEFAULT_DB, run_demo

    db = directory / DEFAULT_DB
    run_demo(db, data_dir=directory / "cai_demo_data")
    return db


def update(readme: Path = README) -> int:
    import cai_sql

    text = readme.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        con = cai_sql.connect(build_demo_database(Path(tmp)), read_only=True)
        parts, last = [], 0
        for match in examples(text):
            parts.append(text[last:match.start("output")])
            parts.append(render(con, match.group("sql")))
            last = match.end("output")
        parts.append(text[last:])
        con.close()
    readme.write_text("".join(parts), encoding="utf-8")
    return len(examples(text))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Check or rewrite the README's example outputs.")
    parser.add_argument("--update", action="store_true", help="rewrite the outputs in README.md")
    if parser.parse_args().update:
        print(f"updated {update()} README examples")
