"""`cai demo`: the whole product on synthetic data, end to end, in one command.

Generate XDM events, ingest them and the profiles, keep the generator's true purchase intent
beside them, train the two shipped predictions (purchase propensity and churn) and register them,
then score both weekly for the last ten weeks of simulated time, so the ledger has history (and
the older runs, whose outcome windows have closed, have realized outcomes), define the
bucket segments of both models, and fit and score lifetime value (weeks, a 52-week horizon).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from .clv import ClvFit, ClvRun, fit_clv, score_clv
from .database import connect, table_exists, transaction
from .defaults import DEMO_CUSTOMERS, DEMO_DB, MIN_DEMO_CUSTOMERS
from .errors import CaiError
from .generate import GeneratedFiles, generate
from .ingestion import IngestReport, ingest_events, ingest_profiles
from .progress import Reporter
from .scoring import RunResult, score
from .segments import Segment, create_segment
from .sqlfiles import sql_text
from .summary import EventsSummary, summarize
from .training import TrainResult, train

DEMO_SPECS = ("purchase_30d", "churn_60d")

DEFAULT_DB = DEMO_DB
DEFAULT_CUSTOMERS = DEMO_CUSTOMERS
MIN_CUSTOMERS = MIN_DEMO_CUSTOMERS  # below this the shipped specs cannot reach their 500/500 minimum examples
SCORING_RUNS = 10
SEGMENT_BUCKETS = ("high", "medium", "low")
SCORING_INTERVAL_DAYS = 7
CLV_UNIT = "weeks"
CLV_HORIZON = 52  # weeks


@dataclass(frozen=True)
class DemoResult:
    db: Path
    data_dir: Path
    files: GeneratedFiles
    ingests: tuple[IngestReport, ...]
    summary: EventsSummary
    models: tuple[TrainResult, ...]
    runs: tuple[RunResult, ...]
    segments: tuple[Segment, ...] = ()
    clv_fit: ClvFit | None = None
    clv_run: ClvRun | None = None


def run_demo(
    db: str | os.PathLike = DEFAULT_DB,
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = 42,
    data_dir: str | os.PathLike | None = None,
    reporter: Reporter | None = None,
) -> DemoResult:
    """Generate, ingest, summarise and train on a demo customer base in ``db``.

    The database is built in a temporary file beside ``db`` and renamed to ``db`` only when complete,
    so a failed or interrupted demo leaves no half-built database (and an earlier demo stays as it
    was). An earlier demo database at ``db`` is replaced; any other existing file is refused.
    """
    if customers < MIN_CUSTOMERS:
        raise CaiError(f"the demo trains two predictions and needs at least {MIN_CUSTOMERS:,} customers (got {customers:,})")
    reporter = reporter or Reporter()
    db = Path(db)
    data_dir = Path(data_dir) if data_dir is not None else db.resolve().parent / "cai_demo_data"
    _check_replaceable(db)
    with reporter.step(f"Simulating {customers:,} customers", total=1) as advance:
        files = generate(data_dir, customers, seed, progress=advance)
    # Simulated time: the demo's "now" is the day after the last simulated day.
    now = dt.datetime.combine(files.end + dt.timedelta(days=1), dt.time())
    with _built_in_place_of(db) as building:
        result = _build(building, files, data_dir, now, reporter)
    return replace(result, db=db)


def _build(db: Path, files: GeneratedFiles, data_dir: Path, now: dt.datetime, reporter: Reporter) -> DemoResult:
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
        models = tuple(train(con, spec_path, now=now, reporter=reporter) for spec_path in demo_spec_paths(data_dir))
        dates = [now.date() - dt.timedelta(days=SCORING_INTERVAL_DAYS * k) for k in range(SCORING_RUNS - 1, -1, -1)]
        runs = []
        with reporter.step(f"Scoring {len(models)} models weekly, {dates[0]} … {dates[-1]}", total=len(dates) * len(models)) as advance:
            for trained in models:
                for date in dates:
                    runs.append(score(con, trained.record.model, as_of=date))
                    advance(len(runs), len(dates) * len(models))
        segments = []
        with reporter.step("Defining the bucket segments of each model", total=len(models)) as advance:
            for done, trained in enumerate(models, start=1):
                for bucket in SEGMENT_BUCKETS:
                    segments.append(create_segment(con, f"{trained.record.model}_{bucket}", trained.record.model, bucket=bucket))
                advance(done, len(models))
        with reporter.step("Fitting and scoring lifetime value (BG/NBD + Gamma-Gamma)", total=2) as advance:
            clv_fit = fit_clv(con, as_of=now.date(), unit=CLV_UNIT)
            advance(1, 2)
            clv_run = score_clv(con, as_of=now.date(), horizon=CLV_HORIZON)
            advance(2, 2)
        con.execute("CHECKPOINT")  # everything in the file itself, none in a write-ahead log, before the rename
    finally:
        con.close()
    return DemoResult(db=db, data_dir=data_dir, files=files, ingests=(events, profiles), summary=summary, models=models,
                      runs=tuple(runs), segments=tuple(segments), clv_fit=clv_fit, clv_run=clv_run)


def _check_replaceable(db: Path) -> None:
    """Only an earlier demo database may be replaced; never any other database."""
    if not db.exists():
        return
    con = connect(db, read_only=True, functions=False)
    try:
        is_demo = table_exists(con, "demo_purchase_intent")
    finally:
        con.close()
    if not is_demo:
        raise CaiError(f"{db} exists and is not a cai-sql demo database; choose another path with --db")


@contextlib.contextmanager
def _built_in_place_of(db: Path) -> Iterator[Path]:
    """A new path beside ``db`` to build a database in; it replaces ``db`` in one rename when the block
    completes, and is removed (with its write-ahead log) when the block fails or is interrupted."""
    building = db.resolve().parent / f".{db.name}.{secrets.token_hex(4)}.building"
    try:
        yield building
        Path(f"{db}.wal").unlink(missing_ok=True)  # the earlier demo's log must not be replayed onto the new file
        os.replace(building, db)
    finally:
        for leftover in (building, Path(f"{building}.wal")):
            leftover.unlink(missing_ok=True)


def demo_spec_paths(directory: Path) -> list[Path]:
    """Copy the shipped demo specs into ``directory`` (for the user to read and edit) and list them."""
    paths = []
    for name in DEMO_SPECS:
        target = directory / f"{name}.toml"
        target.write_text(resources.files("cai_sql").joinpath("specs", f"{name}.toml").read_text(encoding="utf-8"), encoding="utf-8")
        paths.append(target)
    return paths
