"""`cai demo`: the whole product on synthetic data, end to end, in one command.

For now: generate XDM events, ingest them and the profiles, keep the generator's true purchase
intent beside them, and summarise what was loaded. Later steps (training, scoring runs, segments,
lifetime value, the dashboard) extend this same pipeline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .database import connect, transaction
from .generate import GeneratedFiles, generate
from .ingestion import IngestReport, ingest_events, ingest_profiles
from .progress import Reporter
from .sqlfiles import sql_text
from .summary import EventsSummary, summarize

DEFAULT_DB = "cai_demo.duckdb"
DEFAULT_CUSTOMERS = 20_000


@dataclass(frozen=True)
class DemoResult:
    db: Path
    data_dir: Path
    files: GeneratedFiles
    ingests: tuple[IngestReport, ...]
    summary: EventsSummary


def run_demo(
    db: str | os.PathLike = DEFAULT_DB,
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = 42,
    data_dir: str | os.PathLike | None = None,
    reporter: Reporter | None = None,
) -> DemoResult:
    """Generate, ingest and summarise a demo customer base in ``db`` (replacing earlier demo data)."""
    reporter = reporter or Reporter()
    db = Path(db)
    data_dir = Path(data_dir) if data_dir is not None else db.resolve().parent / "cai_demo_data"
    with reporter.step(f"Simulating {customers:,} customers", total=1) as advance:
        files = generate(data_dir, customers, seed, progress=advance)
    con = connect(db)
    try:
        with reporter.step("Ingesting XDM events") as advance:
            events = ingest_events(con, files.events, replace=True)
            advance(1, 1)
        with reporter.step("Ingesting profiles") as advance:
            profiles = ingest_profiles(con, files.profiles, replace=True)
            advance(1, 1)
        with reporter.step("Storing true purchase intent (demo_purchase_intent)") as advance:
            with transaction(con):
                con.execute(sql_text("load_demo_purchase_intent"), {"path": str(files.intent)})
            advance(1, 1)
        summary = summarize(con)
    finally:
        con.close()
    return DemoResult(db=db, data_dir=data_dir, files=files, ingests=(events, profiles), summary=summary)
