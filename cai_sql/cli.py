"""The `cai` command line: thin wrappers over the Python API, with progress and plain errors.

Known problems (:class:`CaiError`) print one ``Error: …`` line and exit 1; Ctrl-C prints one line
saying what was written and exits 130; ``--debug`` shows the traceback instead. Results go to
stdout (``--format table|csv|json`` on the listing commands), progress and errors to stderr.
Each command imports what it needs when it runs, so ``cai --help`` and the listing commands start
without loading scikit-learn, ONNX or SciPy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click

from . import defaults, output
from .errors import CaiError, Interrupted, interrupted
from .progress import Reporter

DEFAULT_PORT = 8765
NOTHING_WRITTEN = "Interrupted; nothing was written"
MAX_ERROR_CHARS = 2_000  # a last resort: messages shorten what they echo (errors.shorten)
INTERRUPTED = "cai.interrupted"  # ctx.meta key: what an interrupted command leaves behind, when not nothing


def default_db() -> Path:
    """The database of a command run without --db or $CAI_DB: cai.duckdb in the current directory, or, when
    there is none, the demo's cai_demo.duckdb if `cai demo` built one here."""
    if not Path(defaults.DEFAULT_DB).exists() and Path(defaults.DEMO_DB).exists():
        return Path(defaults.DEMO_DB)
    return Path(defaults.DEFAULT_DB)


def _db_or_default(_ctx, _param, value: Path | None) -> Path:
    return value if value is not None else default_db()


db_option = click.option(
    "--db", "db", default=None, envvar=defaults.DB_ENV, callback=_db_or_default,
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"DuckDB database file [default: ${defaults.DB_ENV}, else {defaults.DEFAULT_DB}, else {defaults.DEMO_DB} "
         "(what `cai demo` builds) when only that one exists here].",
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(output.FORMATS), default="table", show_default=True,
    help="table for people; csv or json for scripts (every value in full, numbers as numbers).",
)


def on_interrupt(message: str) -> None:
    """What to say if Ctrl-C stops the running command (default: that nothing was written)."""
    click.get_current_context().meta[INTERRUPTED] = message


@functools.cache  # once per process
def _interrupt_duckdb_on_ctrl_c() -> None:
    """DuckDB can miss a Ctrl-C that arrives while it runs a query (and every one after it), so a thread woken by
    the signal itself (Python writes it to the wakeup file descriptor in whichever thread receives it) also
    interrupts the queries of the open connections; Python raises KeyboardInterrupt in the main thread as usual."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)

    def watch() -> None:
        while os.read(read_fd, 1):
            database = sys.modules.get("cai_sql.database")  # not imported: no connection to interrupt
            if database is not None:
                database.interrupt_queries()

    threading.Thread(target=watch, name="cai-interrupt", daemon=True).start()


class CaiGroup(click.Group):
    """Turns CaiError into one `Error:` line and Ctrl-C into one `Interrupted` line, unless --debug was given."""

    def invoke(self, ctx: click.Context):
        if threading.current_thread() is threading.main_thread():  # where signals arrive
            _interrupt_duckdb_on_ctrl_c()
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
            return result
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BaseException as exc:
            if ctx.meta.get("cai.debug"):
                raise
            try:
                _report(ctx, exc)
            except KeyboardInterrupt as late:  # still pending in Python after DuckDB stopped its query for it
                _report(ctx, late)
            raise


def _report(ctx: click.Context, exc: BaseException) -> None:
    """One line for a known problem and exit; return for anything else (a bug: its traceback shows)."""
    if interrupted(exc):
        written = exc.written if isinstance(exc, Interrupted) else None
        click.echo(f"Interrupted; written before it: {written}" if written else ctx.meta.get(INTERRUPTED, NOTHING_WRITTEN),
                   err=True)
        ctx.exit(130)
    if isinstance(exc, BrokenPipeError):  # the reader of stdout went away (`cai runs | head -1`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        ctx.exit(141)
    if isinstance(exc, CaiError):
        message = str(exc)
        if len(message) > MAX_ERROR_CHARS:
            message = f"{message[:MAX_ERROR_CHARS]}… (cut at {MAX_ERROR_CHARS:,} of {len(message):,} characters)"
        click.echo(f"Error: {message}", err=True)
        ctx.exit(1)


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    import duckdb

    from . import __version__
    from .database import storage_setting

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
@click.option("--memory-limit", "memory_limit", default=None, metavar="SIZE",
              help=f"Memory DuckDB may use before it spills to disk next to the database, e.g. 4GB or 50% "
                   f"[default: ${defaults.MEMORY_LIMIT_ENV}, else {defaults.DEFAULT_MEMORY_LIMIT} of this machine's memory].")
@click.pass_context
def main(ctx: click.Context, debug: bool, memory_limit: str | None) -> None:
    """cai-sql: SQL-native Customer AI for DuckDB."""
    ctx.meta["cai.debug"] = debug
    if memory_limit is not None:  # every connection of this command reads it (cai_sql.memory)
        os.environ[defaults.MEMORY_LIMIT_ENV] = memory_limit


def _progress(*, transient: bool, bar: bool = True):
    """A rich progress display on stderr. A transient one shows only on a terminal: elsewhere it would leave
    nothing but an empty line (before an error message, too)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    console = output.err_console()
    columns = ([TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn()] if bar
               else [TextColumn("{task.description}"), TimeElapsedColumn()])
    return Progress(*columns, console=console, transient=transient, disable=transient and not console.is_terminal)


class RichReporter(Reporter):
    """Shows each step as a progress bar on stderr; notes go to stderr too."""

    @contextlib.contextmanager
    def step(self, title: str, total: int | None = None) -> Iterator:
        with _progress(transient=False) as progress:
            task = progress.add_task(title, total=total or 1)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            yield advance
            progress.update(task, completed=progress.tasks[0].total)

    def note(self, message: str) -> None:
        output.err_console().print(message)


def _say(message: str) -> None:
    """One line of result text on stdout (rich markup allowed)."""
    output.console().print(message)


def _must_exist(db: Path) -> None:
    if not db.exists():
        raise CaiError(f"database {db} does not exist; run `cai demo` or `cai ingest FILE --db {db}` first")


@contextlib.contextmanager
def _read(db: Path):
    """The database opened read-only, without the scoring functions (reading needs no ONNX)."""
    from .database import connect

    _must_exist(db)
    con = connect(db, read_only=True, functions=False)
    try:
        yield con
    finally:
        con.close()


def _check_model(con, model: str | None) -> None:
    if model is not None:
        from .registry import check_model

        check_model(con, model)


def _flat(record: dict, prefix: str = "") -> dict:
    """A nested record as one row: {'bgnbd': {'r': 1}} → {'bgnbd_r': 1}."""
    flat = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}_"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _record(fmt: str, record: dict) -> None:
    """One result as JSON (an object) or CSV (a header and one row)."""
    if fmt == "json":
        output.write_json(record)
    else:
        flat = _flat(record)
        output.write_csv(list(flat), [list(flat.values())])


# --- demo, generate, ingest ---------------------------------------------------------------------------

@main.command()
@click.option("--db", "db", default=defaults.DEMO_DB, show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help=f"DuckDB database file to (re)create the demo in. Run from the same directory, the other commands "
                   f"use {defaults.DEMO_DB} when there is no {defaults.DEFAULT_DB} (and no --db or ${defaults.DB_ENV}).")
@click.option("--customers", default=defaults.DEMO_CUSTOMERS, show_default=True,
              type=click.IntRange(min=defaults.MIN_DEMO_CUSTOMERS))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the generated files go [default: cai_demo_data/ beside the database].")
def demo(db: Path, customers: int, seed: int, data_dir: Path | None) -> None:
    """Generate a demo customer base, load it and train two predictions."""
    from .database import storage_setting
    from .demo import run_demo

    shown_dir = data_dir or db.resolve().parent / "cai_demo_data"
    on_interrupt(f"Interrupted; {db} was not written (it is built in a temporary file, renamed when complete); "
                 f"files generated so far stay in {shown_dir}/")
    result = run_demo(db, customers=customers, seed=seed, data_dir=data_dir, reporter=RichReporter())
    for report in result.ingests:
        _say(report.summary())
    _print_summary(result.summary)
    for trained in result.models:
        _say(trained.summary())
    latest = {run.model: run for run in result.runs}
    for run in latest.values():
        _say(f"Latest {run.summary()}")
    if result.clv_fit is not None:
        _say(result.clv_fit.summary())
        _say(result.clv_run.summary())
    _say(
        f"Wrote {result.db} (tables events, profiles, demo_purchase_intent, cai_models, cai_runs, cai_scores "
        f"({len(result.runs)} weekly runs), cai_run_outcomes, cai_segments ({len(result.segments)} bucket segments), cai_clv_fits, cai_clv_runs, cai_clv; "
        "views cai_latest_scores, cai_score_history, cai_bucket_trend, cai_factors_by_bucket, cai_expected_vs_actual, "
        "cai_realized_auc, cai_segment_sizes, cai_latest_clv, cai_clv_deciles, cai_clv_high_value_at_risk, …; macros cai_features_<model>, cai_bucket_flow(model), "
        f"cai_drift(model), cai_score_change(model, customer), …) and generated files and specs in {result.data_dir}/.\n"
        f"Explore it: [bold]cai runs --db {result.db}[/], [bold]cai segment list --db {result.db}[/], "
        f"[bold]cai profile CUSTOMER_ID --db {result.db}[/], or in SQL: "
        "[bold]SELECT * FROM cai_bucket_flow('purchase_30d')[/]\n"
        f"For BI tools: [bold]cai publish --db {result.db} --to PATH[/] writes a read-only copy (storage version "
        f"{storage_setting().version}) to open in the DuckDB CLI, DBeaver, Metabase, Superset or Evidence."
    )
    _say(f"Open the dashboard: [bold]cai serve --db {result.db}[/] (then http://127.0.0.1:{DEFAULT_PORT}/), "
         f"or write it to one file: [bold]cai report --db {result.db} --out cai_report.html[/]")


@main.command(name="generate")
@click.option("--customers", default=defaults.DEMO_CUSTOMERS, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--out", "out", default="cai_demo_data", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--days", default=defaults.GENERATE_DAYS, show_default=True, type=click.IntRange(min=30))
@click.option("--end", "end", default=defaults.GENERATE_END.isoformat(), show_default=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last simulated day.")
def generate_command(customers: int, seed: int, out: Path, days: int, end: dt.datetime) -> None:
    """Write synthetic XDM events, profiles and true purchase intent to --out."""
    from .generate import generate

    on_interrupt(f"Interrupted; files written so far stay in {out}/ and are incomplete")
    with _progress(transient=False) as progress:
        task = progress.add_task(f"Simulating {customers:,} customers", total=days)
        files = generate(out, customers, seed, days=days, end=end.date(),
                         progress=lambda done, total: progress.update(task, completed=done))
    _say(f"{files.events_written:,} events for {files.customers:,} customers, {files.start} … {files.end}:\n"
         f"  {files.events}\n  {files.profiles}\n  {files.intent}")


@main.command(name="ingest")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", "db", default=defaults.DEFAULT_DB, show_default=True, envvar=defaults.DB_ENV,
              type=click.Path(dir_okay=False, path_type=Path), help=f"DuckDB database file, created if missing (env {defaults.DB_ENV}).")
@click.option("--profiles", is_flag=True, help="The file holds profiles (one row per customer), not events.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "json"]), help="Override the file type.")
@click.option("--mapping", "mapping_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file with [events] / [profiles] column mappings.")
@click.option("--map", "pairs", multiple=True, metavar="FIELD=COLUMN",
              help="Map a canonical field to a column or dotted path, e.g. --map customer_id=user.id.")
@click.option("--ts-format", help="strptime format of ts, or epoch_s / epoch_ms / epoch_us.")
@click.option("--xdm/--no-xdm", default=None, help="Read as XDM ExperienceEvents [default: detect].")
@click.option("--identity-namespace", default=defaults.XDM_NAMESPACE, show_default=True,
              help="XDM identityMap namespace that identifies the customer.")
@click.option("--dedupe", is_flag=True, help="Drop duplicate events instead of only reporting them.")
@click.option("--replace", is_flag=True, help="Replace the table's contents instead of adding to them.")
@click.option("--bad-rows", "bad_rows", type=click.Choice(defaults.BAD_ROWS), default="error", show_default=True,
              help="error: refuse the file if any row fails a check; reject: load the other rows and keep the "
                   "failing ones in cai_ingest_rejects.")
def ingest_command(path: Path, db: Path, profiles: bool, fmt: str | None, mapping_file: Path | None,
                   pairs: tuple[str, ...], ts_format: str | None, xdm: bool | None, identity_namespace: str,
                   dedupe: bool, replace: bool, bad_rows: str) -> None:
    """Load an event (or profile) file: CSV, Parquet, JSON or NDJSON, flat or XDM."""
    from .ingestion import ingest
    from .mapping import EventMapping, ProfileMapping, event_mapping_from, load_mapping_file, parse_pairs

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
    _say(report.summary())


# --- train, backtest, score, publish, info ------------------------------------------------------------

@main.command(name="train")
@click.argument("spec_path", metavar="SPEC.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--algorithm", "algorithms", multiple=True, type=click.Choice(defaults.ALGORITHMS),
              help="Only fit these candidates (repeatable) [default: both, keep the better].")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Train as if today were this date: only events before it; the validation window ends there.")
@db_option
def train_command(spec_path: Path, algorithms: tuple[str, ...], as_of: dt.datetime | None, db: Path) -> None:
    """Train a prediction from a spec, export it to ONNX and register it."""
    from .macros import names as macro_names
    from .training import train

    result = train(db, spec_path, reporter=RichReporter(), algorithms=algorithms or None,
                   as_of=as_of.date() if as_of else None)
    _say(result.summary())
    baselines = result.record.metrics.get("baselines") or {}
    if baselines:
        _say("Baselines on the same validation rows: " + ", ".join(f"{name} AUC {value:.3f}" for name, value in baselines.items()))
    names = macro_names(result.record.model, result.record.version)
    _say(f"Registered in {db}: cai_models, macros {names['features']}(cutoff_date) and "
         f"{names['labels']}(cutoff_date). Card: cai models show {result.record.model} --db {db}")


@main.command(name="backtest")
@click.argument("spec_path", metavar="SPEC.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--at", "dates", multiple=True, required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Backtest date (repeatable): train on the events before it, score at it, measure the window after it.")
@click.option("--algorithm", "algorithms", multiple=True, type=click.Choice(defaults.ALGORITHMS),
              help="Only consider these candidates (repeatable) [default: both].")
@format_option
@db_option
def backtest_command(spec_path: Path, dates: tuple[dt.datetime, ...], algorithms: tuple[str, ...], fmt: str, db: Path) -> None:
    """Train as of each date, score every eligible customer at it and compare with what happened (model and baselines)."""
    from .backtest import backtest

    result = backtest(db, spec_path, [d.date() for d in dates], reporter=RichReporter(), algorithms=algorithms or None)
    if fmt != "table":
        keys = ["backtest_id", "model", "window_days", *(f.name for f in dataclasses.fields(result.rows[0]))] if result.rows else []
        return output.records(fmt, keys, [[result.backtest_id, result.model, result.window_days, *dataclasses.astuple(r)]
                                          for r in result.rows])
    table = output.table("date", "scorer", "algorithm", "customers", "positives", "AUC", "top-decile lift", "Brier",
                         title=f"Backtest {result.backtest_id} of {result.model} ({result.window_days}-day window)")
    for date, scorer, algorithm, n, positives, auc_value, lift, brier in result.table():
        output.add_row(table, date, scorer, algorithm, output.count(n), output.count(positives), _fixed(auc_value, 3),
                       _fixed(lift, 2), _fixed(brier, 4))
    output.console().print(table)
    _say(f"Rows kept in cai_backtests (backtest_id = {result.backtest_id}); the registry is unchanged.")


def _fixed(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@main.command(name="score")
@click.argument("model")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Score date: features use events before it [default: the day after the last event].")
@click.option("--version", "version", type=int, help="Model version [default: the latest].")
@click.option("--factors", default=defaults.DEFAULT_FACTORS, show_default=True, type=int, help="Influential factors per customer.")
@click.option("--via", "via", default="udf", show_default=True, type=click.Choice(defaults.SCORE_VIA),
              help="What computes the scores: the cai_score functions (onnxruntime, fastest) or the model's SQL macros "
                   "(cai_score_<model>, as BI tools call them).")
@click.option("--publish", "publish_to", default=None, envvar="CAI_PUBLISH_TO", type=click.Path(dir_okay=False, path_type=Path),
              help="After the run, publish a read-only copy for BI tools to this path (env CAI_PUBLISH_TO: after every run).")
@db_option
def score_command(model: str, as_of: dt.datetime | None, version: int | None, factors: int, via: str,
                  publish_to: Path | None, db: Path) -> None:
    """Score every customer eligible at a date with MODEL into cai_scores (one run)."""
    from .scoring import score

    _must_exist(db)
    with _progress(transient=True, bar=False) as progress:
        progress.add_task(f"Scoring {model}" + (" through its SQL macros" if via == "sql" else ""))
        result = score(db, model, as_of=as_of.date() if as_of else None, version=version, factors=factors, via=via)
    _say(result.summary())
    if publish_to is not None:
        on_interrupt(f"Interrupted; written before it: run {result.run_id} of {result.model} (not published)")
        _publish(db, publish_to, None)


@main.command(name="publish")
@click.option("--to", "to", required=True, envvar="CAI_PUBLISH_TO", type=click.Path(dir_okay=False, path_type=Path),
              help="Path of the read-only copy BI tools open (env CAI_PUBLISH_TO).")
@click.option("--storage-version", "storage_version", default=None, metavar="VERSION",
              help="Storage version of the copy, e.g. v1.4.0 or latest [default: $CAI_STORAGE_VERSION or v1.4.0].")
@db_option
def publish_command(to: Path, storage_version: str | None, db: Path) -> None:
    """Write a read-only copy of the database for BI tools, replacing the last one atomically."""
    _must_exist(db)
    _publish(db, to, storage_version)


def _publish(db: Path, to: Path, storage_version: str | None) -> None:
    from .publish import publish

    with _progress(transient=True, bar=False) as progress:
        progress.add_task(f"Publishing to {to}")
        result = publish(db, to, storage_version=storage_version)
    _say(result.summary())


@main.command(name="info")
@db_option
def info_command(db: Path) -> None:
    """Versions, the storage version new files get, and the database file's own (can a BI tool open it?)."""
    import duckdb

    from . import __version__
    from .database import STORAGE_VERSION_ENV, storage_setting
    from .info import database_info

    _say(f"cai-sql {__version__}, duckdb {duckdb.__version__} (Python)")
    _say(f"storage version of new database files: {storage_setting().describe()}; DuckDB clients and BI "
         f"drivers from that release on open them (set ${STORAGE_VERSION_ENV} to change it)")
    for line in database_info(db).lines():
        _say(line)


# --- runs, models, evaluate ---------------------------------------------------------------------------

RUN_KEYS = ("run_id", "model", "model_version", "score_date", "status", "n_scored", "n_high", "n_medium", "n_low",
            "seconds", "started_at", "error", "replaced_by")  # the columns of sql/scoring/list_runs.sql


@main.command(name="runs")
@click.option("--model", default=None, help="Only this model's runs.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@format_option
@db_option
def runs_command(model: str | None, limit: int, fmt: str, db: Path) -> None:
    """List scoring runs, newest first."""
    from .ledger import list_runs

    with _read(db) as con:
        _check_model(con, model)
        rows = list_runs(con, model)[:limit]
    if fmt != "table":
        return output.records(fmt, RUN_KEYS, rows)
    if not rows:
        _say(f"No scoring runs of {model} yet; score with: cai score {model}" if model
             else "No scoring runs yet; score with: cai score MODEL")
        return
    table = output.table("run", "model", "version", "score date", "status", "scored", "high", "medium", "low", "seconds", "note")
    for (run_id, name, version, score_date, status, n, high, medium, low, seconds, _, error, replaced_by) in rows:
        note = error.splitlines()[0] if error else (f"replaced by run {replaced_by}" if replaced_by else "")
        output.add_row(table, str(run_id), name, str(version), score_date, status, output.count(n), output.count(high),
                       output.count(medium), output.count(low), _fixed(seconds, 1), note)
    output.console().print(table)


MODEL_KEYS = ("model", "version", "created_at", "model_type", "algorithm", "auc", "n_features", "sha256",
              "validation_cutoff", "model_sha256")  # the columns of sql/models/list_models.sql


@main.group(name="models", invoke_without_command=True)
@format_option
@db_option
@click.pass_context
def models_group(ctx: click.Context, fmt: str, db: Path) -> None:
    """List registered models (or `cai models show NAME`)."""
    ctx.obj = {"db": db, "fmt": fmt}
    if ctx.invoked_subcommand is not None:
        return
    from .registry import list_models

    with _read(db) as con:
        rows = list_models(con)
    if fmt != "table":
        return output.records(fmt, MODEL_KEYS, rows)
    if not rows:
        _say("No models registered yet; train one with: cai train SPEC.toml")
        return
    table = output.table("model", "version", "created (UTC)", "type", "algorithm", "AUC", "features", "sha256")
    for model, version, created, model_type, algorithm, auc, n_features, _, _, model_sha in rows:
        output.add_row(table, model, str(version), f"{created:%Y-%m-%d %H:%M}", model_type, algorithm, f"{auc:.3f}",
                       n_features, (model_sha or "none: retrain")[:12])
    output.console().print(table)


@models_group.command(name="show")
@click.argument("name")
@click.option("--version", "version", type=int, help="A specific version [default: the latest].")
@click.option("--format", "fmt", type=click.Choice(output.FORMATS), default=None,
              help="table: the model card; json: the whole registry record; csv: its features, one per row "
                   "[default: as given to `cai models`, else table].")
@click.option("--db", "db", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB database file [default: as given to `cai models`].")
@click.pass_context
def models_show(ctx: click.Context, name: str, version: int | None, fmt: str | None, db: Path | None) -> None:
    """Print the model card of NAME."""
    from .model_card import model_card
    from .registry import load_model

    with _read(db or ctx.obj["db"]) as con:
        record = load_model(con, name, version)
    fmt = fmt or ctx.obj["fmt"]
    if fmt == "json":
        output.write_json(dataclasses.asdict(record))
    elif fmt == "csv":
        keys = list(dict.fromkeys(k for f in record.features for k in f))
        output.write_csv(["model", "version", *keys], [[record.model, record.version, *(f.get(k) for k in keys)]
                                                       for f in record.features])
    else:
        click.echo(model_card(record))


@models_group.command(name="verify")
@click.argument("name", required=False)
@click.option("--restore", is_flag=True,
              help="Create dropped or replaced SQL macros again from the text registered with their model version.")
@click.option("--db", "db", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB database file [default: as given to `cai models`].")
@click.pass_context
def models_verify(ctx: click.Context, name: str | None, restore: bool, db: Path | None) -> None:
    """Check every model version (or NAME's) as scoring does: every artifact against its hash, both graphs
    against the parity rows, and the persisted SQL macros against their registered text. Exits 1 on any failure."""
    from .database import connect
    from .integrity import verify_models
    from .registry import check_model

    db = db or ctx.obj["db"]
    _must_exist(db)
    con = connect(db, read_only=not restore)
    try:
        if name is not None:
            check_model(con, name)
        results = verify_models(con, name, restore=restore)
    finally:
        con.close()
    if not results:
        _say("No models registered yet; train one with: cai train SPEC.toml")
        return
    for r in results:
        if r.restored:
            _say(f"{r.model} v{r.version}: restored {', '.join(r.restored)} from the registered SQL")
        _say(f"{r.model} v{r.version}: " + (f"ok, model sha256 {r.model_sha256}" if r.problem is None else f"FAILED: {r.problem}"))
    failed = [r for r in results if r.problem is not None]
    if failed:
        raise CaiError(f"{len(failed)} of {len(results)} model version{'s' if len(results) > 1 else ''} failed "
                       "verification; they will not score (see above)")


@main.command(name="evaluate")
@click.option("--model", default=None, help="Only this model's runs.")
@db_option
def evaluate_command(model: str | None, db: Path) -> None:
    """Record realized outcomes of runs whose outcome window has closed (cai score does this too)."""
    from .outcomes import evaluate_runs

    with _read(db) as con:
        _check_model(con, model)
    on_interrupt("Interrupted; the outcomes of runs evaluated before it are kept (each run is one transaction)")
    done = evaluate_runs(db, model)
    if not done:
        _say("No run is waiting for outcomes: every closed window is evaluated, the rest are still open.")
    for e in done:
        _say(f"run {e.run_id}: {e.model} as of {e.score_date}: {e.positives:,} of {e.customers:,} customers "
             f"reached the outcome ({e.positives / e.customers:.1%})")


# --- segments -----------------------------------------------------------------------------------------

@main.group(name="segment")
def segment_group() -> None:
    """Define, list, inspect, export and drop segments of scored customers."""


@segment_group.command(name="create")
@click.argument("name")
@click.option("--model", required=True, help="The model whose scored customers the segment selects.")
@click.option("--where", "where", default=None, metavar="PREDICATE",
              help="A boolean SQL expression over the columns of cai_segment_rows, e.g. \"bucket = 'high' AND loyalty_tier = 'gold'\".")
@click.option("--bucket", type=click.Choice(defaults.BUCKETS), default=None, help="Shortcut: everyone in this bucket.")
@click.option("--top-factor", "top_factor", default=None, metavar="CODE", help="Shortcut: everyone whose leading reason is CODE.")
@db_option
def segment_create(name: str, model: str, where: str | None, bucket: str | None, top_factor: str | None, db: Path) -> None:
    """Create segment NAME and record its members at every run of MODEL so far."""
    from .segments import create_segment

    _must_exist(db)
    segment = create_segment(db, name, model, where, bucket=bucket, top_factor=top_factor)
    members = "no run yet" if segment.latest_members is None else f"{segment.latest_members:,} members at the latest run"
    _say(f"Created segment {segment.name} on {segment.model}: {segment.predicate} ({members}, "
         f"{segment.runs} runs recorded); live view {segment.view_name}")


SEGMENT_KEYS = ("segment", "model", "kind", "predicate", "view_name", "created_at", "run_id", "score_date", "members",
                "share")  # the columns of sql/segments/list_segments.sql
SIZE_KEYS = ("run_id", "score_date", "model_version", "members", "scored", "share")  # sql/segments/segment_size_history.sql
AUTO_KEYS = ("model", "run_id", "score_date", "kind", "value", "customers", "share", "predicate",
             "suggested_name")  # sql/segments/list_auto_segments.sql


@segment_group.command(name="list")
@format_option
@db_option
def segment_list(fmt: str, db: Path) -> None:
    """List segments with their size at their model's latest run."""
    from .segments import list_segments

    with _read(db) as con:
        rows = list_segments(con)
    if fmt != "table":
        return output.records(fmt, SEGMENT_KEYS, rows)
    if not rows:
        _say("No segments yet; create one with: cai segment create NAME --model M --bucket high")
        return
    table = output.table("segment", "model", "kind", "predicate", "latest run", "members", "share")
    for name, model, kind, predicate, _view, _created, run_id, _date, members, share in rows:
        output.add_row(table, name, model, kind, predicate, str(run_id or ""), output.count(members), output.share(share))
    output.console().print(table)


@segment_group.command(name="show")
@click.argument("name")
@format_option
@db_option
def segment_show(name: str, fmt: str, db: Path) -> None:
    """Show segment NAME: its definition and its size at every run (csv: the sizes, one run per row)."""
    from .segments import segment_info, size_history

    with _read(db) as con:
        segment = segment_info(con, name)
        history = size_history(con, name)
    if fmt == "json":
        details = {k: v for k, v in dataclasses.asdict(segment).items() if k != "name"}
        return output.write_json({"segment": segment.name, **details, "history": [dict(zip(SIZE_KEYS, row)) for row in history]})
    if fmt == "csv":
        return output.write_csv(["segment", *SIZE_KEYS], [[segment.name, *row] for row in history])
    _say(f"{segment.name} ({segment.kind}) on {segment.model}: {segment.predicate}\nlive view: SELECT * FROM {segment.view_name}")
    table = output.table("run", "score date", "version", "members", "scored", "share")
    for run_id, score_date, version, members, scored, share in history:
        output.add_row(table, str(run_id), score_date, str(version), output.count(members), output.count(scored), output.share(share))
    output.console().print(table)


@segment_group.command(name="drop")
@click.argument("name")
@db_option
def segment_drop(name: str, db: Path) -> None:
    """Drop segment NAME: its definition, membership history and live view."""
    from .segments import drop_segment

    _must_exist(db)
    drop_segment(db, name)
    _say(f"Dropped segment {name}")


@segment_group.command(name="export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(defaults.EXPORT_FORMATS), default="csv", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file [default: NAME.csv or NAME.parquet].")
@click.option("--run", "run_id", type=int, default=None, help="Members at this run [default: the latest].")
@db_option
def segment_export(name: str, fmt: str, out: Path | None, run_id: int | None, db: Path) -> None:
    """Write the members of segment NAME to CSV or Parquet for activation tools."""
    from .segments import export_segment

    with _read(db) as con:
        path, rows = export_segment(con, name, out or Path(f"{name}.{fmt}"), fmt, run_id)
    _say(f"Wrote {rows:,} members of {name} to {path}")


@segment_group.command(name="auto")
@click.option("--model", default=None, help="Only this model.")
@click.option("--create", is_flag=True, help="Create every listed segment that does not exist yet (needs --model).")
@format_option
@db_option
def segment_auto(model: str | None, create: bool, fmt: str, db: Path) -> None:
    """List the one-click segments of each model's latest run: per bucket and per leading reason code."""
    from .segments import auto_segments, create_auto_segments

    with _read(db) as con:
        _check_model(con, model)
    if create:
        if model is None:
            raise CaiError("--create needs --model: auto-segments are created one model at a time")
        for segment in create_auto_segments(db, model):
            _say(f"Created {segment.name}: {segment.predicate} ({segment.latest_members:,} members)")
        return
    with _read(db) as con:
        rows = auto_segments(con, model)
    if fmt != "table":
        return output.records(fmt, AUTO_KEYS, rows)
    table = output.table("model", "kind", "value", "customers", "share", "suggested name")
    for name, _run, _date, kind, value, customers, share, _predicate, suggested in rows:
        output.add_row(table, name, kind, value, output.count(customers), output.share(share), suggested)
    output.console().print(table)


# --- lifetime value -----------------------------------------------------------------------------------

@main.group(name="clv")
def clv_group() -> None:
    """Customer lifetime value: fit BG/NBD + Gamma-Gamma, score P(alive), expected purchases and CLV."""


@clv_group.command(name="fit")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Fit on purchases before this date [default: the day after the last event].")
@click.option("--purchase", default=defaults.CLV_PURCHASE, show_default=True, metavar="PREDICATE",
              help="Boolean SQL expression over events that marks a purchase.")
@click.option("--value", default=defaults.CLV_VALUE, show_default=True, metavar="COLUMN", help="Column of events holding the amount.")
@click.option("--unit", type=click.Choice(list(defaults.CLV_UNITS)), default=defaults.CLV_UNIT, show_default=True,
              help="Time unit of recency, T and the horizon.")
@format_option
@db_option
def clv_fit(as_of: dt.datetime | None, purchase: str, value: str, unit: str, fmt: str, db: Path) -> None:
    """Fit the purchase (BG/NBD) and spend (Gamma-Gamma) models; recorded in cai_clv_fits."""
    from .clv import fit_clv

    _must_exist(db)
    fit = fit_clv(db, as_of=as_of.date() if as_of else None, purchase=purchase, value=value, unit=unit)
    if fmt != "table":
        return _record(fmt, dataclasses.asdict(fit))
    _say(fit.summary())


@clv_group.command(name="score")
@click.option("--fit", "fit_id", type=int, default=None, help="Fit to use [default: the latest].")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Score date: summaries use purchases before it [default: the fit's date].")
@click.option("--horizon", type=float, default=None,
              help="Horizon in the fit's time unit [default: a year: 52 weeks, 365 days or 12 months].")
@click.option("--discount-rate", "discount_rate", type=float, default=defaults.CLV_DISCOUNT_RATE, show_default=True,
              help="Yearly discount rate of future value (0.1 = 10%).")
@format_option
@db_option
def clv_score(fit_id: int | None, as_of: dt.datetime | None, horizon: float | None, discount_rate: float, fmt: str,
              db: Path) -> None:
    """Score every purchaser into cai_clv (one run): P(alive), expected purchases, expected order value, CLV."""
    from .clv import score_clv

    _must_exist(db)
    run = score_clv(db, fit_id=fit_id, as_of=as_of.date() if as_of else None, horizon=horizon, discount_rate=discount_rate)
    if fmt != "table":
        return _record(fmt, dataclasses.asdict(run))
    _say(run.summary())
    _say(f"Latest values: SELECT * FROM cai_latest_clv; by decile: SELECT * FROM cai_clv_deciles WHERE run_id = {run.run_id}")


# --- one customer, what is loaded ----------------------------------------------------------------------

@main.command(name="profile")
@click.argument("customer_id")
@format_option
@db_option
def profile_command(customer_id: str, fmt: str, db: Path) -> None:
    """Everything known about one customer: latest scores, reasons, lifetime value, score history
    (csv: one row per model and factor)."""
    from .profile import customer_profile

    with _read(db) as con:
        found = customer_profile(con, customer_id)
    if fmt == "json":
        output.write_json(_profile_record(found))
    elif fmt == "csv":
        _profile_csv(found)
    else:
        _print_profile(found)


HISTORY_KEYS = ("score_date", "run_id", "score", "bucket")
SCORE_KEYS = ("model", "model_version", "run_id", "score_date", "score", "bucket", "percentile", "probability", "in_latest_run")


def _profile_record(found) -> dict:
    return {
        "customer_id": found.customer_id, "attributes": found.attributes, "lifetime_value": found.lifetime_value,
        "scores": [{**{k: getattr(s, k) for k in SCORE_KEYS}, "factors": s.factors,
                    "history": [dict(zip(HISTORY_KEYS, h)) for h in s.history]} for s in found.scores],
    }


def _profile_csv(found) -> None:
    factor_keys = list(dict.fromkeys(k for s in found.scores for f in s.factors for k in f))
    rows = []
    for s in found.scores:
        score = [found.customer_id, *(getattr(s, k) for k in SCORE_KEYS)]
        rows += [[*score, rank, *(f.get(k) for k in factor_keys)] for rank, f in enumerate(s.factors, start=1)]
        if not s.factors:
            rows.append([*score, None, *(None for _ in factor_keys)])
    output.write_csv(["customer_id", *SCORE_KEYS, "factor_rank", *factor_keys], rows)


def _print_profile(found) -> None:
    attributes = ", ".join(f"{k}: {'none' if v is None else output.text(v)}" for k, v in found.attributes.items()) or "no profile attributes"
    _say(f"[bold]{found.customer_id}[/bold] — {attributes}")
    if found.lifetime_value:
        _say("lifetime value: " + ", ".join(f"{k}: {output.text(v)}" for k, v in found.lifetime_value.items()
                                             if k != "customer_id"))
    if not found.scores:
        _say("No scores yet.")
    for s in found.scores:
        note = "" if s.in_latest_run else " (not scored in the model's latest run)"
        _say(f"\n[bold]{s.model}[/bold] v{s.model_version}, run {s.run_id} as of {s.score_date}{note}: score "
             f"{s.score}, {s.bucket}, percentile {s.percentile}, probability {s.probability:.3f}")
        table = output.table("factor", "value", "effect", "contribution", "importance")
        for f in s.factors:
            output.add_row(table, f["description"], output.number(f["value"]), f.get("direction") or "",
                           f"{f['contribution']:+.3f}", f["importance"])
        if s.factors:
            output.console().print(table)
        _say("history: " + " → ".join(f"{d} {score} {bucket}" for d, _run, score, bucket in s.history))


@main.command(name="summary")
@format_option
@db_option
def summary_command(fmt: str, db: Path) -> None:
    """Customers, events by type and date range of the loaded events (csv: the event types, one per row)."""
    from .summary import summarize

    with _read(db) as con:
        summary = summarize(con)
    keys = ("event_type", "events", "customers", "total_value")  # sql/ingest/events_by_type.sql
    if fmt == "json":
        output.write_json({**{f.name: getattr(summary, f.name) for f in dataclasses.fields(summary) if f.name != "by_type"},
                           "by_type": [dict(zip(keys, row)) for row in summary.by_type]})
    elif fmt == "csv":
        output.write_csv(keys, summary.by_type)
    else:
        _print_summary(summary)


def _print_summary(summary) -> None:
    _say(f"[bold]{summary.customers:,}[/] customers, [bold]{summary.events:,}[/] events, "
         f"{summary.first_event:%Y-%m-%d} … {summary.last_event:%Y-%m-%d}"
         + (f", {summary.profiles:,} profiles" if summary.profiles is not None else ""))
    table = output.table("event_type", "events", "customers", "total_value")
    for event_type, events, customers, total_value in summary.by_type:
        output.add_row(table, event_type, output.count(events), output.count(customers),
                       "" if total_value is None else f"{total_value:,.2f}")
    output.console().print(table)


# --- dashboard ----------------------------------------------------------------------------------------

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
    on_interrupt("Interrupted; the dashboard stopped (segments created in it are saved)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        output.err_console().print(f"[yellow]Warning:[/] listening on {host}: anyone who can reach it can read scores and create segments.")
    serve(db, host=host, port=port, allowed_hosts=allowed_hosts, announce=lambda url: _say(
        f"cai-sql dashboard for {db} at [bold]{url}[/] (Ctrl+C stops it)"))


@main.command(name="report")
@db_option
@click.option("--out", "out", default="cai_report.html", show_default=True, type=click.Path(path_type=Path),
              help="The HTML file to write (replaced atomically).")
def report_command(db: Path, out: Path) -> None:
    """Write the dashboard's content to one self-contained HTML file that opens without a network."""
    from .web.report import write_report

    _must_exist(db)
    written = write_report(db, out)
    _say(f"Wrote {written} ({written.stat().st_size / 1e6:.1f} MB; opens offline in any browser)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
