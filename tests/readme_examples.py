"""The manual's SQL and CLI examples and their outputs, kept true by running them.

The manual is README.md and the reference pages docs/*.md (:data:`DOCUMENTS`, in that order: the
README first, then the pages by name). A SQL example is a ```sql block followed directly by a
```text block holding its output, as rendered by :func:`render`, on the database that ``cai demo``
builds with its defaults. A CLI example is a ```text block whose first line is ``$ cai …``: the
command's stdout follows it. The commands of one database run in document order (each document's
examples in their order, the documents in :data:`DOCUMENTS` order) in one directory (``cai demo``'s
own output comes from the demo build; ``--db cai_demo.duckdb`` runs on a copy of the demo;
``--db cdnow.duckdb`` is the "Working with real data" walk-through of docs/data.md, set up from its
own blocks). A command that changes its database must come before the commands that depend on it in
that order. Outputs are compared after :func:`normalize_cli` (durations, sizes, temporary paths and
table borders vary). The test suite checks them; ``make readme`` rewrites the outputs in every
document after a deliberate change:

    .venv/bin/python -m tests.readme_examples --update
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
DOCUMENTS = [README, *sorted(DOCS.glob("*.md"))]  # the order their CLI examples run in
EXAMPLE = re.compile(r"```sql\n(?P<sql>.*?)```\n\n?```text\n(?P<output>.*?)```", re.S)


CLI_EXAMPLE = re.compile(r"```text\n\$ (?P<command>cai [^\n]*)\n(?P<output>.*?)```", re.S)
DEMO_OUTPUT = "demo_stdout.txt"  # beside the demo database: what `cai demo` printed while building it
_BOX = re.compile(r"[\u2500-\u257f]")
_DURATION = re.compile(r"\b\d+(?:\.\d+)? s\b")
_SIZE = re.compile(r"\b\d+(?:\.\d+)? [KMG]B\b")
_TEMP_PATH = re.compile(r"(?<![\w.])/[^\s,()]*?/(?=cai_demo_data)")


def examples(text: str) -> list[re.Match]:
    return list(EXAMPLE.finditer(text))


def cli_examples(text: str) -> list[re.Match]:
    return list(CLI_EXAMPLE.finditer(text))


def read_documents(documents: list[Path] = DOCUMENTS) -> dict[Path, str]:
    """Each document's text, in :data:`DOCUMENTS` order."""
    return {path: path.read_text(encoding="utf-8") for path in documents}


def all_examples(texts: dict[Path, str]) -> list[tuple[Path, re.Match]]:
    """Every SQL example of every document, with its document, in order."""
    return [(path, match) for path, text in texts.items() for match in examples(text)]


def all_cli_examples(texts: dict[Path, str]) -> list[tuple[Path, re.Match]]:
    """Every CLI example of every document, with its document, in the order they run."""
    return [(path, match) for path, text in texts.items() for match in cli_examples(text)]


def shown_path(text: str) -> str:
    """Temporary directories as the README shows them: ``/…/cai_demo_data``."""
    return _TEMP_PATH.sub("/…/", text)


def normalize_cli(text: str) -> str:
    """CLI output without what varies from run to run or terminal to terminal: durations, file sizes,
    temporary paths, table borders, line wrapping."""
    text = _SIZE.sub("N MB", _DURATION.sub("N s", shown_path(text)))
    return " ".join(_BOX.sub(" ", text).split())


def database_of(command: str) -> str:
    """Which database a README command runs on: its --db, or the demo's for `cai demo`."""
    words = shlex.split(command)
    return words[words.index("--db") + 1] if "--db" in words else "cai_demo.duckdb"


def run_command(command: str, cwd: Path) -> str:
    """A README command's stdout, run in ``cwd``; a failing command fails loudly."""
    cai = Path(sys.executable).with_name("cai")
    result = subprocess.run([str(cai), *shlex.split(command)[1:]], cwd=cwd, capture_output=True, text=True,
                            timeout=900, env={**os.environ, "COLUMNS": "100"})
    if result.returncode != 0:
        raise AssertionError(f"`{command}` failed: {result.stderr}")
    return result.stdout


def _block(text: str, start: str, fence: str) -> str:
    match = re.search(rf"```{fence}\n({re.escape(start)}.*?)```", text, re.S)
    assert match, f"no document has a ```{fence} block starting {start!r}"
    return match.group(1)


def setup_walkthrough(text: str, directory: Path) -> None:
    """The "Working with real data" set-up, from its blocks (in ``text``: every document): the CSV, the ingest,
    the spec."""
    script = _block(text, "import csv, importlib.metadata as md", "python")
    subprocess.run([sys.executable, "-c", script], cwd=directory, check=True, timeout=120)
    (directory / "buy_90d.toml").write_text(_block(text, "# buy_90d.toml", "toml"), encoding="utf-8")
    run_command("cai ingest cdnow.csv --db cdnow.duckdb", directory)


def cli_outputs(texts: dict[Path, str], demo_db: Path, directory: Path) -> dict[int, str]:
    """Each CLI example's actual stdout, by its position in ``all_cli_examples(texts)``."""
    outputs = {}
    walkthrough = directory / "walkthrough"
    demo = directory / "demo"
    text = "\n".join(texts.values())
    for index, (path, match) in enumerate(all_cli_examples(texts)):
        command, database = match.group("command"), database_of(match.group("command"))
        if command.split()[:2] == ["cai", "demo"]:
            outputs[index] = (demo_db.parent / DEMO_OUTPUT).read_text(encoding="utf-8")
        elif database == "cai_demo.duckdb":
            if not demo.exists():
                demo.mkdir(parents=True)
                shutil.copy(demo_db, demo / "cai_demo.duckdb")
            outputs[index] = run_command(command, demo)
        elif database == "cdnow.duckdb":
            if not walkthrough.exists():
                walkthrough.mkdir(parents=True)
                setup_walkthrough(text, walkthrough)
            outputs[index] = run_command(command, walkthrough)
        else:
            raise AssertionError(f"{path.name}: command `{command}` uses a database no test builds: {database}")
    return outputs


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
    """The database `cai demo` builds with its default settings (run as the command, its stdout kept beside it)."""
    from cai_sql.demo import DEFAULT_DB

    db = directory / DEFAULT_DB
    (directory / DEMO_OUTPUT).write_text(run_command(f"cai demo --db {DEFAULT_DB}", directory), encoding="utf-8")
    return db


def update(documents: list[Path] = DOCUMENTS) -> int:
    """Rewrite every example's output in ``documents``; the number of examples."""
    import cai_sql

    texts = read_documents(documents)
    with tempfile.TemporaryDirectory() as tmp:
        con = cai_sql.connect(build_demo_database(Path(tmp)), read_only=True)
        n_sql = 0
        for path, text in texts.items():
            parts, last = [], 0
            for match in examples(text):
                parts.append(text[last:match.start("output")])
                parts.append(render(con, match.group("sql")))
                last = match.end("output")
                n_sql += 1
            parts.append(text[last:])
            texts[path] = "".join(parts)
        con.close()
        outputs = cli_outputs(texts, Path(tmp) / "cai_demo.duckdb", Path(tmp))
        index = 0
        for path, text in texts.items():
            parts, last = [], 0
            for match in cli_examples(text):
                parts.append(text[last:match.start("output")])
                parts.append(shown_path(outputs[index]))
                last = match.end("output")
                index += 1
            parts.append(text[last:])
            texts[path] = "".join(parts)
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    return n_sql + len(outputs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Check or rewrite the example outputs of README.md and docs/*.md.")
    parser.add_argument("--update", action="store_true", help="rewrite the outputs in README.md and docs/*.md")
    if parser.parse_args().update:
        print(f"updated {update()} examples in {len(DOCUMENTS)} documents")
