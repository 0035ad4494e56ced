"""The `cai` command line: thin wrappers over the Python API, with progress and plain errors.

Known problems (:class:`CaiError`) print one ``Error: …`` line and exit 1; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import duckdb
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .clv import DEFAULT_DISCOUNT_RATE, DEFAULT_PURCHASE, DEFAULT_UNIT, DEFAULT_VALUE, UNITS, fit_clv, score_clv
from .database import STORAGE_VERSION_ENV, connect, storage_setting
from .demo import DEFAULT_CUSTOMERS, DEFAULT_DB, MIN_CUSTOMERS, run_demo
from .progress import Reporter
from .scoring import list_runs, score
from .udfs import DEFAULT_FACTORS
from .errors import CaiError
from .info import database_info
from .publish import publish
from .generate import DEFAULT_DAYS, DEFAULT_END, generate
from .ingestion import BAD_ROWS, ingest
from .mapping import EventMapping, ProfileMapping, event_mapping_from, load_mapping_file, parse_pairs
from .model_card import model_card
from .outcomes import evaluate_runs
from .profile import customer_profile
from .segments import (BUCKETS, EXPORT_FORMATS, auto_segments, create_auto_segments, create_segment, drop_segment,
                       export_segment, list_segments, segment_info, size_history)
from .macros import names as macro_names
from .registry import list_models, load_model
from .summary import EventsSummary, summarize
from .training import ALGORITHMS, train
from .xdm import DEFAULT_NAMESPACE

DEFAULT_PORT = 8765

console = Console()
db_option = click.option(
    "--db", "db", default="cai.duckdb", show_default=True, envvar="CAI_DB",
    type=click.Path(dir_okay=False, path_type=Path), help="DuckDB database file (env CAI_DB).",
)


class CaiGroup(click.Group):
    """Turns CaiError into one `Error:` line unless --debug was given."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CaiError as exc:
            if ctx.meta.get("cai.debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    try:
        setting = storage_setting().describe()
    except CaiError as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(1)
    click.echo(f"cai-sql {__version__}, duckdb {duckdb.__version__}; new database files use storage version {setting}")
    ctx.exit()


@click.group(cls=CaiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and the storage version new database files get, then exit.")
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """cai-sql: SQL-native Customer AI for DuckDB."""
    ctx.meta["cai.debug"] = debug


class RichReporter(Reporter):
    """Shows each demo step as a progress bar."""

    @contextlib.contextmanager
    def step(self, title: str, total: int | None = None) -> Iterator:
        columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(title, total=total or 1)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            yield advance
            progress.update(task, completed=progress.tasks[0].total)

    def note(self, message: str) -> None:
        console.print(message, highlight=False)


def _print_summary(summary: EventsSummary) -> None:
    console.print(
        f"[bold]{summary.customers:,}[/] customers, [bold]{summary.events:,}[/] events, "
        f"{summary.first_event:%Y-%m-%d} … {summary.last_event:%Y-%m-%d}"
        + (f", {summary.profiles:,} profiles" if summary.profiles is not None else "")
    )
    table = Table("event_type", "events", "customers", "total_value")
    for event_type, events, customers, total_value in summary.by_type:
        table.add_row(event_type, f"{events:,}", f"{customers:,}", "" if total_value is None else f"{total_value:,.2f}")
    console.print(table)


@main.command()
@click.option("--db", "db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB database file to (re)create the demo in.")
@click.option("--customers", default=DEFAULT_CUSTOMERS, show_default=True, type=click.IntRange(min=MIN_CUSTOMERS))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the generated files go [default: cai_demo_data/ beside the database].")
def demo(db: Path, customers: int, seed: int, data_dir: Path | None) -> None:
    """Generate a demo customer base, load it and train two predictions."""
    result = run_demo(db, customers=customers, seed=seed, data_dir=data_dir, reporter=RichReporter())
    for report in result.ingests:
        console.print(report.summary(), highlight=False)
    _print_summary(result.summary)
    for trained in result.models:
        console.print(trained.summary(), highlight=False)
    latest = {run.model: run for run in result.runs}
    for run in latest.values():
        console.print(f"Latest {run.summary()}", highlight=False)
    if result.clv_fit is not None:
        console.print(result.clv_fit.summary(), highlight=False)
        console.print(result.clv_run.summary(), highlight=False)
    console.print(
        f"Wrote {result.db} (tables events, profiles, demo_purchase_intent, cai_models, cai_runs, cai_scores "
        f"({len(result.runs)} weekly runs), cai_run_outcomes, cai_segments ({len(result.segments)} bucket segments), cai_clv_fits, cai_clv_runs, cai_clv; "
        "views cai_latest_scores, cai_score_history, cai_bucket_trend, cai_factors_by_bucket, cai_expected_vs_actual, "
        "cai_realized_auc, cai_segment_sizes, cai_latest_clv, cai_clv_deciles, cai_clv_high_value_at_risk, …; macros cai_features_<model>, cai_bucket_flow(model), "
        f"cai_drift(model), cai_score_change(model, customer), …) and generated files and specs in {result.data_dir}/.\n"
        f"Explore it: [bold]cai runs --db {result.db}[/], [bold]cai segment list --db {result.db}[/], "
        f"[bold]cai profile CUSTOMER_ID --db {result.db}[/], or in SQL: "
        "[bold]SELECT * FROM cai_bucket_flow('purchase_30d')[/]\n"
        f"For BI tools: [bold]cai publish --db {result.db} --to PATH[/] writes a read-only copy (storage version "
        f"{storage_setting().version}) to open in the DuckDB CLI, DBeaver, Metabase, Superset or Evidence.", highlight=False,
    )
    console.print(f"Open the dashboard: [bold]cai serve --db {result.db}[/] (then http://127.0.0.1:{DEFAULT_PORT}/), "
                  f"or write it to one file: [bold]cai report --db {result.db} --out cai_report.html[/]", highlight=False)


@main.command(name="generate")
@click.option("--customers", default=DEFAULT_CUSTOMERS, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--out", "out", default="cai_demo_data", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--days", default=DEFAULT_DAYS, show_default=True, type=click.IntRange(min=30))
@click.option("--end", "end", default=DEFAULT_END.isoformat(), show_default=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last simulated day.")
def generate_command(customers: int, seed: int, out: Path, days: int, end: dt.datetime) -> None:
    """Write synthetic XDM events, profiles and true purchase intent to --out."""
    columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"Simulating {customers:,} customers", total=days)
        files = generate(out, customers, seed, days=days, end=end.date(),
                         progress=lambda done, total: progress.update(task, completed=done))
    console.print(
        f"{files.events_written:,} events for {files.customers:,} customers, {files.start} … {files.end}:\n"
        f"  {files.events}\n  {files.profiles}\n  {files.intent}", highlight=False,
    )


@main.command(name="ingest")
@click.argument("path", type=click.Path(path_type=Path))
@db_option
@click.option("--profiles", is_flag=True, help="The file holds profiles (one row per customer), not events.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "json"]), help="Override the file type.")
@click.option("--mapping", "mapping_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file with [events] / [profiles] column mappings.")
@click.option("--map", "pairs", multiple=True, metavar="FIELD=COLUMN",
              help="Map a canonical field to a column or dotted path, e.g. --map customer_id=user.id.")
@click.option("--ts-format", help="strptime format of ts, or epoch_s / epoch_ms / epoch_us.")
@click.option("--xdm/--no-xdm", default=None, help="Read as XDM ExperienceEvents [default: detect].")
@click.option("--identity-namespace", default=DEFAULT_NAMESPACE, show_default=True,
              help="XDM identityMap namespace that identifies the customer.")
@click.option("--dedupe", is_flag=True, help="Drop duplicate events instead of only reporting them.")
@click.option("--replace", is_flag=True, help="Replace the table's contents instead of adding to them.")
@click.option("--bad-rows", "bad_rows", type=click.Choice(BAD_ROWS), default="error", show_default=True,
              help="error: refuse the file if any row fails a check; reject: load the other rows and keep the "
                   "failing ones in cai_ingest_rejects.")
def ingest_command(path: Path, db: Path, profiles: bool, fmt: str | None, mapping_file: Path | None,
                   pairs: tuple[str, ...], ts_format: str | None, xdm: bool | None, identity_namespace: str,
                   dedupe: bool, replace: bool, bad_rows: str) -> None:
    """Load an event (or profile) file: CSV, Parquet, JSON or NDJSON, flat or XDM."""
    events_mapping, profiles_mapping = load_mapping_file(mapping_file) if mapping_file else (EventMapping(), ProfileMapping())
    overrides = parse_pairs(pairs)
    if profiles:
        unknown = sorted(set(overrides) - {"customer_id"})
        if unknown or ts_format:
            raise CaiError(f"profiles take only --map customer_id=COLUMN (got {', '.join(unknown) or '--ts-format'})")
        mapping = ProfileMapping(overrides.get("customer_id", profiles_mapping.customer_id))
    else:
        values = {k: v for k, v in vars(events_mapping).items() if v not in (None, {})}
        values.update(overrides)
        if ts_format:
            values["ts_format"] = ts_format
        mapping = event_mapping_from(values, "--map")
    report = ingest(db, path, profiles=profiles, mapping=mapping, fmt=fmt, xdm=xdm,
                    identity_namespace=identity_namespace, dedupe=dedupe, replace=replace, bad_rows=bad_rows)
    console.print(report.summary(), highlight=False)


@main.command(name="train")
@click.argument("spec_path", metavar="SPEC.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--algorithm", "algorithms", multiple=True, type=click.Choice(ALGORITHMS),
              help="Only fit these candidates (repeatable) [default: both, keep the better].")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Train as if today were this date: only events before it; the validation window ends there.")
@db_option
def train_command(spec_path: Path, algorithms: tuple[str, ...], as_of: dt.datetime | None, db: Path) -> None:
    """Train a prediction from a spec, export it to ONNX and register it."""
    result = train(db, spec_path, reporter=RichReporter(), algorithms=algorithms or None,
                   as_of=as_of.date() if as_of else None)
    console.print(result.summary(), highlight=False)
    baselines = result.record.metrics.get("baselines") or {}
    if baselines:
        console.print("Baselines on the same validation rows: "
                      + ", ".join(f"{name} AUC {value:.3f}" for name, value in baselines.items()), highlight=False)
    names = macro_names(result.record.model, result.record.version)
    console.print(f"Registered in {db}: cai_models, macros {names['features']}(cutoff_date) and "
                  f"{names['labels']}(cutoff_date). Card: cai models show {result.record.model} --db {db}", highlight=False)


@main.command(name="backtest")
@click.argument("spec_path", metavar="SPEC.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--at", "dates", multiple=True, required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Backtest date (repeatable): train on the events before it, score at it, measure the window after it.")
@click.option("--algorithm", "algorithms", multiple=True, type=click.Choice(ALGORITHMS),
              help="Only consider these candidates (repeatable) [default: both].")
@db_option
def backtest_command(spec_path: Path, dates: tuple[dt.datetime, ...], algorithms: tuple[str, ...], db: Path) -> None:
    """Train as of each date, score every eligible customer at it and compare with what happened (model and baselines)."""
    from .backtest import backtest

    result = backtest(db, spec_path, [d.date() for d in dates], reporter=RichReporter(), algorithms=algorithms or None)
    table = Table("date", "scorer", "algorithm", "customers", "positives", "AUC", "top-decile lift", "Brier",
                  title=f"Backtest {result.backtest_id} of {result.model} ({result.window_days}-day window)")
    for date, scorer, algorithm, n, positives, auc_value, lift, brier in result.table():
        table.add_row(str(date), scorer, algorithm, f"{n:,}", f"{positives:,}", _fmt(auc_value, 3), _fmt(lift, 2), _fmt(brier, 4))
    console.print(table)
    console.print(f"Rows kept in cai_backtests (backtest_id = {result.backtest_id}); the registry is unchanged.", highlight=False)


def _fmt(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@main.command(name="score")
@click.argument("model")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Score date: features use events before it [default: the day after the last event].")
@click.option("--version", "version", type=int, help="Model version [default: the latest].")
@click.option("--factors", default=DEFAULT_FACTORS, show_default=True, type=int, help="Influential factors per customer.")
@click.option("--publish", "publish_to", default=None, envvar="CAI_PUBLISH_TO", type=click.Path(dir_okay=False, path_type=Path),
              help="After the run, publish a read-only copy for BI tools to this path (env CAI_PUBLISH_TO: after every run).")
@db_option
def score_command(model: str, as_of: dt.datetime | None, version: int | None, factors: int, publish_to: Path | None,
                  db: Path) -> None:
    """Score every customer eligible at a date with MODEL into cai_scores (one run)."""
    _must_exist(db)
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as progress:
        progress.add_task(f"Scoring {model}")
        result = score(db, model, as_of=as_of.date() if as_of else None, version=version, factors=factors)
    console.print(result.summary(), highlight=False)
    if publish_to is not None:
        _publish(db, publish_to, None)


@main.command(name="publish")
@click.option("--to", "to", required=True, envvar="CAI_PUBLISH_TO", type=click.Path(dir_okay=False, path_type=Path),
              help="Path of the read-only copy BI tools open (env CAI_PUBLISH_TO).")
@click.option("--storage-version", "storage_version", default=None, metavar="VERSION",
              help=f"Storage version of the copy, e.g. v1.4.0 or latest [default: ${STORAGE_VERSION_ENV} or v1.4.0].")
@db_option
def publish_command(to: Path, storage_version: str | None, db: Path) -> None:
    """Write a read-only copy of the database for BI tools, replacing the last one atomically."""
    _must_exist(db)
    _publish(db, to, storage_version)


def _publish(db: Path, to: Path, storage_version: str | None) -> None:
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as progress:
        progress.add_task(f"Publishing to {to}")
        result = publish(db, to, storage_version=storage_version)
    console.print(result.summary(), highlight=False)


@main.command(name="info")
@db_option
def info_command(db: Path) -> None:
    """Versions, the storage version new files get, and the database file's own (can a BI tool open it?)."""
    console.print(f"cai-sql {__version__}, duckdb {duckdb.__version__} (Python)", highlight=False)
    console.print(f"storage version of new database files: {storage_setting().describe()}; DuckDB clients and BI "
                  f"drivers from that release on open them (set ${STORAGE_VERSION_ENV} to change it)", highlight=False)
    for line in database_info(db).lines():
        console.print(line, highlight=False)


@main.command(name="runs")
@click.option("--model", default=None, help="Only this model's runs.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@db_option
def runs_command(model: str | None, limit: int, db: Path) -> None:
    """List scoring runs, newest first."""
    with _read(db) as con:
        rows = list_runs(con, model)
    if not rows:
        console.print("No scoring runs yet; score with: cai score MODEL")
        return
    table = Table("run", "model", "version", "score date", "status", "scored", "high", "medium", "low", "seconds", "note")
    for (run_id, name, version, score_date, status, n, high, medium, low, seconds, _, error, replaced_by) in rows[:limit]:
        note = (error or "").splitlines()[0][:60] if error else (f"replaced by run {replaced_by}" if replaced_by else "")
        table.add_row(str(run_id), name, str(version), str(score_date), status, f"{n:,}", f"{high:,}", f"{medium:,}",
                      f"{low:,}", f"{seconds:.1f}", note)
    console.print(table)


@main.group(name="models", invoke_without_command=True)
@db_option
@click.pass_context
def models_group(ctx: click.Context, db: Path) -> None:
    """List registered models (or `cai models show NAME`)."""
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is not None:
        return
    with _read(db) as con:
        rows = list_models(con)
    if not rows:
        console.print("No models registered yet; train one with: cai train SPEC.toml")
        return
    table = Table("model", "version", "created (UTC)", "type", "algorithm", "AUC", "features", "sha256")
    for model, version, created, model_type, algorithm, auc, n_features, sha, _ in rows:
        table.add_row(model, str(version), f"{created:%Y-%m-%d %H:%M}", model_type, algorithm, f"{auc:.3f}", str(n_features), sha[:12])
    console.print(table)


@models_group.command(name="show")
@click.argument("name")
@click.option("--version", "version", type=int, help="A specific version [default: the latest].")
@click.option("--db", "db", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB database file [default: as given to `cai models`].")
@click.pass_context
def models_show(ctx: click.Context, name: str, version: int | None, db: Path | None) -> None:
    """Print the model card of NAME."""
    with _read(db or ctx.obj["db"]) as con:
        record = load_model(con, name, version)
    click.echo(model_card(record))


@main.command(name="evaluate")
@click.option("--model", default=None, help="Only this model's runs.")
@db_option
def evaluate_command(model: str | None, db: Path) -> None:
    """Record realized outcomes of runs whose outcome window has closed (cai score does this too)."""
    _must_exist(db)
    done = evaluate_runs(db, model)
    if not done:
        console.print("No run is waiting for outcomes: every closed window is evaluated, the rest are still open.")
    for e in done:
        console.print(f"run {e.run_id}: {e.model} as of {e.score_date}: {e.positives:,} of {e.customers:,} customers "
                      f"reached the outcome ({e.positives / e.customers:.1%})", highlight=False)


@main.group(name="segment")
def segment_group() -> None:
    """Define, list, inspect, export and drop segments of scored customers."""


@segment_group.command(name="create")
@click.argument("name")
@click.option("--model", required=True, help="The model whose scored customers the segment selects.")
@click.option("--where", "where", default=None, metavar="PREDICATE",
              help="A boolean SQL expression over the columns of cai_segment_rows, e.g. \"bucket = 'high' AND loyalty_tier = 'gold'\".")
@click.option("--bucket", type=click.Choice(BUCKETS), default=None, help="Shortcut: everyone in this bucket.")
@click.option("--top-factor", "top_factor", default=None, metavar="CODE", help="Shortcut: everyone whose leading reason is CODE.")
@db_option
def segment_create(name: str, model: str, where: str | None, bucket: str | None, top_factor: str | None, db: Path) -> None:
    """Create segment NAME and record its members at every run of MODEL so far."""
    _must_exist(db)
    segment = create_segment(db, name, model, where, bucket=bucket, top_factor=top_factor)
    members = "no run yet" if segment.latest_members is None else f"{segment.latest_members:,} members at the latest run"
    console.print(f"Created segment {segment.name} on {segment.model}: {segment.predicate} ({members}, "
                  f"{segment.runs} runs recorded); live view {segment.view_name}", highlight=False)


@segment_group.command(name="list")
@db_option
def segment_list(db: Path) -> None:
    """List segments with their size at their model's latest run."""
    with _read(db) as con:
        rows = list_segments(con)
    if not rows:
        console.print("No segments yet; create one with: cai segment create NAME --model M --bucket high")
        return
    table = Table("segment", "model", "kind", "predicate", "latest run", "members", "share")
    for name, model, kind, predicate, _view, _created, run_id, _date, members, share in rows:
        table.add_row(name, model, kind, predicate, str(run_id or ""), f"{members:,}" if members is not None else "",
                      f"{share:.1%}" if share is not None else "")
    console.print(table)


@segment_group.command(name="show")
@click.argument("name")
@db_option
def segment_show(name: str, db: Path) -> None:
    """Show segment NAME: its definition and its size at every run."""
    with _read(db) as con:
        segment = segment_info(con, name)
        history = size_history(con, name)
    console.print(f"{segment.name} ({segment.kind}) on {segment.model}: {segment.predicate}\nlive view: "
                  f"SELECT * FROM {segment.view_name}", highlight=False)
    table = Table("run", "score date", "version", "members", "scored", "share")
    for run_id, score_date, version, members, scored, share in history:
        table.add_row(str(run_id), str(score_date), str(version), f"{members:,}", f"{scored:,}", f"{share:.1%}")
    console.print(table)


@segment_group.command(name="drop")
@click.argument("name")
@db_option
def segment_drop(name: str, db: Path) -> None:
    """Drop segment NAME: its definition, membership history and live view."""
    _must_exist(db)
    drop_segment(db, name)
    console.print(f"Dropped segment {name}")


@segment_group.command(name="export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file [default: NAME.csv or NAME.parquet].")
@click.option("--run", "run_id", type=int, default=None, help="Members at this run [default: the latest].")
@db_option
def segment_export(name: str, fmt: str, out: Path | None, run_id: int | None, db: Path) -> None:
    """Write the members of segment NAME to CSV or Parquet for activation tools."""
    with _read(db) as con:
        path, rows = export_segment(con, name, out or Path(f"{name}.{fmt}"), fmt, run_id)
    console.print(f"Wrote {rows:,} members of {name} to {path}", highlight=False)


@segment_group.command(name="auto")
@click.option("--model", default=None, help="Only this model.")
@click.option("--create", is_flag=True, help="Create every listed segment that does not exist yet (needs --model).")
@db_option
def segment_auto(model: str | None, create: bool, db: Path) -> None:
    """List the one-click segments of each model's latest run: per bucket and per leading reason code."""
    _must_exist(db)
    if create:
        if model is None:
            raise CaiError("--create needs --model: auto-segments are created one model at a time")
        for segment in create_auto_segments(db, model):
            console.print(f"Created {segment.name}: {segment.predicate} ({segment.latest_members:,} members)", highlight=False)
        return
    rows = auto_segments(db, model)
    table = Table("model", "kind", "value", "customers", "share", "suggested name")
    for name, _run, _date, kind, value, customers, share, _predicate, suggested in rows:
        table.add_row(name, kind, value, f"{customers:,}", f"{share:.1%}", suggested)
    console.print(table)


@main.group(name="clv")
def clv_group() -> None:
    """Customer lifetime value: fit BG/NBD + Gamma-Gamma, score P(alive), expected purchases and CLV."""


@clv_group.command(name="fit")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Fit on purchases before this date [default: the day after the last event].")
@click.option("--purchase", default=DEFAULT_PURCHASE, show_default=True, metavar="PREDICATE",
              help="Boolean SQL expression over events that marks a purchase.")
@click.option("--value", default=DEFAULT_VALUE, show_default=True, metavar="COLUMN", help="Column of events holding the amount.")
@click.option("--unit", type=click.Choice(list(UNITS)), default=DEFAULT_UNIT, show_default=True,
              help="Time unit of recency, T and the horizon.")
@db_option
def clv_fit(as_of: dt.datetime | None, purchase: str, value: str, unit: str, db: Path) -> None:
    """Fit the purchase (BG/NBD) and spend (Gamma-Gamma) models; recorded in cai_clv_fits."""
    _must_exist(db)
    fit = fit_clv(db, as_of=as_of.date() if as_of else None, purchase=purchase, value=value, unit=unit)
    console.print(fit.summary(), highlight=False)


@clv_group.command(name="score")
@click.option("--fit", "fit_id", type=int, default=None, help="Fit to use [default: the latest].")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Score date: summaries use purchases before it [default: the fit's date].")
@click.option("--horizon", type=float, default=None,
              help="Horizon in the fit's time unit [default: a year: 52 weeks, 365 days or 12 months].")
@click.option("--discount-rate", "discount_rate", type=float, default=DEFAULT_DISCOUNT_RATE, show_default=True,
              help="Yearly discount rate of future value (0.1 = 10%).")
@db_option
def clv_score(fit_id: int | None, as_of: dt.datetime | None, horizon: float | None, discount_rate: float, db: Path) -> None:
    """Score every purchaser into cai_clv (one run): P(alive), expected purchases, expected order value, CLV."""
    _must_exist(db)
    run = score_clv(db, fit_id=fit_id, as_of=as_of.date() if as_of else None, horizon=horizon, discount_rate=discount_rate)
    console.print(run.summary(), highlight=False)
    console.print("Latest values: SELECT * FROM cai_latest_clv; by decile: SELECT * FROM cai_clv_deciles WHERE run_id = "
                  f"{run.run_id}", highlight=False)


@main.command(name="profile")
@click.argument("customer_id")
@db_option
def profile_command(customer_id: str, db: Path) -> None:
    """Everything known about one customer: latest scores, reasons, lifetime value, score history."""
    with _read(db) as con:
        found = customer_profile(con, customer_id)
    _print_profile(found)


def _print_profile(found) -> None:
    attributes = ", ".join(f"{k}: {v}" for k, v in found.attributes.items()) or "no profile attributes"
    console.print(f"[bold]{found.customer_id}[/bold] — {attributes}")
    if found.lifetime_value:
        console.print("lifetime value: " + ", ".join(f"{k}: {_short(v)}" for k, v in found.lifetime_value.items()
                                                      if k != "customer_id"), highlight=False)
    if not found.scores:
        console.print("No scores yet.")
    for s in found.scores:
        note = "" if s.in_latest_run else " (not scored in the model's latest run)"
        console.print(f"\n[bold]{s.model}[/bold] v{s.model_version}, run {s.run_id} as of {s.score_date}{note}: score "
                      f"{s.score}, {s.bucket}, percentile {s.percentile}, probability {s.probability:.3f}")
        table = Table("factor", "value", "effect", "contribution", "importance")
        for f in s.factors:
            table.add_row(f["description"], "" if f["value"] is None else f"{f['value']:g}", f.get("direction") or "",
                          f"{f['contribution']:+.3f}", f["importance"])
        if s.factors:
            console.print(table)
        console.print("history: " + " → ".join(f"{d} {score} {bucket}" for d, _run, score, bucket in s.history),
                      highlight=False)


def _short(value) -> str:
    """A float as a person reads it (0.994, 1,234.57); anything else as it is."""
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def _must_exist(db: Path) -> None:
    if not db.exists():
        raise CaiError(f"database {db} does not exist; run `cai demo` or `cai ingest FILE --db {db}` first")


@contextlib.contextmanager
def _read(db: Path):
    _must_exist(db)
    con = connect(db, read_only=True)
    try:
        yield con
    finally:
        con.close()


@main.command(name="serve")
@db_option
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="TCP port (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The dashboard has no login: only bind another address on a network you trust.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Another host name requests may use (e.g. the machine's DNS name); repeatable.")
def serve_command(db: Path, port: int, host: str, allowed_hosts: tuple[str, ...]) -> None:
    """Run the Customer AI dashboard on this machine (models, runs, segments, profiles, lifetime value)."""
    from .web.serve import serve

    _must_exist(db)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]Warning:[/] listening on {host}: anyone who can reach it can read scores and create segments.")
    serve(db, host=host, port=port, allowed_hosts=allowed_hosts, announce=lambda url: console.print(
        f"cai-sql dashboard for {db} at [bold]{url}[/] (Ctrl+C stops it)", highlight=False))


@main.command(name="report")
@db_option
@click.option("--out", "out", default="cai_report.html", show_default=True, type=click.Path(path_type=Path),
              help="The HTML file to write (replaced atomically).")
def report_command(db: Path, out: Path) -> None:
    """Write the dashboard's content to one self-contained HTML file that opens without a network."""
    from .web.report import write_report

    _must_exist(db)
    written = write_report(db, out)
    console.print(f"Wrote {written} ({written.stat().st_size / 1e6:.1f} MB; opens offline in any browser)", highlight=False)


@main.command(name="summary")
@db_option
def summary_command(db: Path) -> None:
    """Customers, events by type and date range of the loaded events."""
    with _read(db) as con:
        _print_summary(summarize(con))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
