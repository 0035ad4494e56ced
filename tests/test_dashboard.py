"""The dashboard and its report: real uvicorn on 127.0.0.1, real HTTP, real DuckDB files, headless Chromium."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pytest
import uvicorn

import cai_sql
from cai_sql.database import DatabaseBusyError, connect
from cai_sql.web.app import create_app
from cai_sql.web.report import write_report

from .conftest import cai_executable, rows, run_cai
from .test_scoring import DATE, scored_db  # noqa: F401  (module fixture reused)

CHROMIUM = os.environ.get("CAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
RUN_DATES = [DATE - dt.timedelta(days=d) for d in (70, 63, 56)] + [DATE]


@pytest.fixture(scope="module")
def dashboard_db(scored_db, tmp_path_factory):  # noqa: F811
    """Four weekly-ish runs of the purchase model (three with closed outcome windows), a bucket segment, CLV."""
    db = tmp_path_factory.mktemp("dashboard") / "dash.duckdb"
    shutil.copy(scored_db, db)
    con = cai_sql.connect(db)
    for day in RUN_DATES:
        cai_sql.score(con, "purchase_30d", as_of=day, version=1)
    cai_sql.create_segment(con, "purchase_30d_high", "purchase_30d", bucket="high")
    cai_sql.fit_clv(con, as_of=DATE)
    cai_sql.score_clv(con)
    con.close()
    return db


@pytest.fixture
def db(dashboard_db, tmp_path) -> Path:
    copy = tmp_path / "dash.duckdb"
    shutil.copy(dashboard_db, copy)
    return copy


class Server:
    """The dashboard app under uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, db: Path, allowed_hosts: list[str] | None = None):
        self.db = db
        app = create_app(db, allowed_hosts=allowed_hosts)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
        return self._send(urllib.request.Request(self.url + path, headers=headers or {}))

    def post(self, path: str, fields: dict) -> tuple[int, str, dict]:
        data = urllib.parse.urlencode(fields).encode()
        return self._send(urllib.request.Request(self.url + path, data=data, method="POST"))

    def token(self) -> str:
        _, html, _ = self.get("/segments")
        return html.split('name="token" value="', 1)[1].split('"', 1)[0]

    @staticmethod
    def _send(request) -> tuple[int, str, dict]:
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def server(db):
    with Server(db) as running:
        yield running


def segments_in(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT segment FROM cai_segments ORDER BY 1").fetchall()]


# --- pages -------------------------------------------------------------------------------------------

def test_every_page_answers_from_the_ledger(server, db):
    customer = rows(duckdb.connect(str(db), read_only=True), "SELECT customer_id FROM cai_latest_scores ORDER BY 1 LIMIT 1")[0][0]
    pages = {
        "/": ["purchase_30d", "Across 4 runs"],
        "/models/purchase_30d": ["Latest run by bucket", "Create Segment", "Top influential factors", "Lift by decile",
                                 "realized AUC", "Run history"],
        "/models/purchase_30d/trends": ["Bucket trend", "Cohort", "Flow between runs", "Drift"],
        "/models/purchase_30d/trends?run_a=1&run_b=3&bucket=low&cohort_run=2": ["Flow between runs 1 and 3"],
        "/segments": ["purchase_30d_high", "export.csv"],
        "/segments/purchase_30d_high": ["cai_seg_purchase_30d_high", "Members at every run"],
        "/clv": ["Lifetime value distribution", "Share of lifetime value by decile"],
        f"/customers/{customer}": [customer, "purchase_30d", "influential factor", "Lifetime value"],
    }
    for path, expected in pages.items():
        status, html, _ = server.get(path)
        assert status == 200, (path, html[:500])
        for text in expected:
            assert text in html, (path, text)
    # the figures are the views' numbers: the latest run's high bucket as cai_bucket_trend has it
    high = rows(duckdb.connect(str(db), read_only=True),
                "SELECT customers FROM cai_bucket_trend WHERE run_id = (SELECT max(run_id) FROM cai_runs) AND bucket = 'high'")[0][0]
    assert f'<p class="big">{high:,}</p>' in server.get("/models/purchase_30d")[1]


@pytest.mark.parametrize("stage", ["events only", "trained, never scored"])
def test_a_database_before_its_first_run_shows_what_to_do_next(base_db, scored_db, tmp_path, stage):  # noqa: F811
    copy = tmp_path / "early.duckdb"
    shutil.copy(base_db if stage == "events only" else scored_db, copy)
    with Server(copy) as early:
        home = early.get("/")[1]
        if stage == "events only":
            assert "No models yet" in home
        else:
            assert "Not scored yet: <code>cai score purchase_30d</code>" in home
            status, html, _ = early.get("/models/purchase_30d")
            assert status == 200 and "Lift by decile" in html and "Not scored yet" in html
            assert "has no scoring runs yet" in early.get("/models/purchase_30d/trends")[1]
        for path in ("/segments", "/clv"):
            assert early.get(path)[0] == 200
        assert "No lifetime-value run yet" in early.get("/clv")[1]


def test_unusual_ledger_states_render(db, tmp_path):
    """A bucket empty in both compared runs, two segments on one bucket, a model whose runs all failed."""
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE cai_scores SET bucket = 'medium' WHERE bucket = 'high' AND run_id IN (3, 4)")
    cai_sql.create_segment(db, "dup_high", "purchase_30d", bucket="high")
    with Server(db) as running:
        status, html, _ = running.get("/models/purchase_30d/trends")
        assert status == 200 and "Jaccard \\u2013" in html  # inside the figure's JSON
        assert running.get("/models/purchase_30d")[1].count('class="card bucket-card"') == 2  # medium, low; once each
    write_report(db, tmp_path / "r.html")
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE cai_runs SET status = 'failed', error = 'features failed: boom'")
    cai_sql.create_segment(db, "no_runs_yet", "purchase_30d", bucket="low")
    with Server(db) as running:
        status, html, _ = running.get("/models/purchase_30d")
        assert status == 200 and "Not scored yet" in html and "features failed: boom" in html
        status, html, _ = running.get("/segments/no_runs_yet")
        assert status == 200 and "No members yet" in html
        assert running.get("/segments")[0] == 200 and running.get("/")[0] == 200
    write_report(db, tmp_path / "r.html")


def test_a_factor_drills_down_and_a_profile_lookup_redirects(server, db):
    code = rows(duckdb.connect(str(db), read_only=True),
                "SELECT code FROM cai_factors_by_bucket WHERE rank = 1 ORDER BY run_id DESC LIMIT 1")[0][0]
    status, html, _ = server.get(f"/models/purchase_30d/factors/{code}")
    assert status == 200 and code in html and "leading reason" in html
    status, _, headers = server.get("/profile?customer=" + urllib.parse.quote("cust 1/2"))
    assert status == 303 and headers["location"] == "/customers/cust%201%2F2"


@pytest.mark.parametrize("path, message", [
    ("/models/nope", "There is no model 'nope'. Models in this database: purchase_30d"),
    ("/models/nope/trends", "There is no model 'nope'"),
    ("/models/purchase_30d/trends?run_a=999", "Run 999 is not a successful run of purchase_30d. Its runs: 1, 2, 3, 4"),
    ("/models/purchase_30d/trends?run_b=abc", "'abc' is not a run id"),
    ("/models/purchase_30d/trends?bucket=vip", "There is no bucket 'vip'"),
    ("/models/purchase_30d/factors/nope", "Reason code 'nope' is not among the top 10 factors"),
    ("/customers/nobody", "No customer 'nobody' in cai_scores or profiles"),
    ("/segments/nope", "There is no segment 'nope'"),
    ("/segments/nope/export.csv", "There is no segment 'nope'"),
    ("/segments/purchase_30d_high/export.xlsx", "There is no .xlsx export"),
    ("/segments/purchase_30d_high/export.csv?run=999", "Run 999 is not a run of segment 'purchase_30d_high''s model (runs: 1, 2, 3, 4)"),
    ("/no/such/page", "There is no page at /no/such/page"),
])
def test_unknown_things_get_a_404_page_that_says_what_exists(server, path, message):
    status, html, _ = server.get(path)
    assert status == 404
    assert message.replace("'", "&#39;") in html
    assert "Back to the models" in html


def test_only_local_host_names_are_answered(server):
    status, _, _ = server.get("/", headers={"Host": "evil.example"})
    assert status == 400


def test_another_listening_address_allows_its_own_names_never_any_name(db):
    from cai_sql.web.serve import host_names

    names = host_names("0.0.0.0", ("dash.example",))
    assert "0.0.0.0" in names and socket.gethostname() in names and "dash.example" in names and "*" not in names
    assert host_names("127.0.0.1") == []
    with Server(db, allowed_hosts=["dash.example"]) as running:
        assert running.get("/", headers={"Host": "dash.example"})[0] == 200
        assert running.get("/", headers={"Host": "rebound.evil.example"})[0] == 400


def test_pages_may_not_be_framed_and_run_only_their_own_scripts(server):
    _, html, headers = server.get("/")
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "<script>" not in html  # every script of a served page comes from /static


def test_markup_in_ids_and_attributes_is_shown_as_text(db, tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO profiles (customer_id, loyalty_tier) VALUES ($id, '</div><script>alert(2)</script>')", {"id": evil})
    with Server(db) as running:
        status, html, _ = running.get("/customers/" + urllib.parse.quote(evil, safe=""))
        assert status == 200
        assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;/div&gt;&lt;script&gt;alert(2)" in html
        assert evil not in html and "<script>alert" not in html
        _, html, _ = running.get("/segments?created=" + urllib.parse.quote("<script>alert(3)</script>"))
        assert "alert(3)" not in html  # only a segment that exists is announced


def test_an_export_link_downloads_the_segment(server, db):
    status, text, headers = server.get("/segments/purchase_30d_high/export.csv?run=1")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    members = rows(duckdb.connect(str(db), read_only=True),
                   "SELECT count(*) FROM cai_segment_members WHERE segment = 'purchase_30d_high' AND run_id = 1")[0][0]
    assert len(text.strip().splitlines()) == members + 1


# --- creating segments from the browser ----------------------------------------------------------------

def test_the_form_creates_a_segment_exactly_as_the_cli_does(server, db, dashboard_db, tmp_path):
    status, _, headers = server.post("/segments", {"token": server.token(), "name": "low_purchase", "model": "purchase_30d",
                                                   "bucket": "low"})
    assert status == 303 and headers["location"].startswith("/segments?created=low_purchase")
    shutil.copy(dashboard_db, tmp_path / "cli.duckdb")
    assert run_cai("segment", "create", "low_purchase", "--model", "purchase_30d", "--bucket", "low",
                   "--db", str(tmp_path / "cli.duckdb"), cwd=tmp_path).returncode == 0
    query = ("SELECT g.predicate, g.kind, g.view_name, list(m.run_id ORDER BY m.run_id), count(*) FROM cai_segments g "
             "JOIN cai_segment_members m USING (segment) WHERE segment = 'low_purchase' GROUP BY ALL")
    web = rows(duckdb.connect(str(db), read_only=True), query)
    cli = rows(duckdb.connect(str(tmp_path / "cli.duckdb"), read_only=True), query)
    assert web == cli and web[0][:2] == ("bucket = 'low'", "bucket")
    status, html, _ = server.get(headers["location"])
    assert "Segment <strong>low_purchase</strong> created." in html


@pytest.mark.parametrize("fields, message", [
    ({"name": "x", "where": "1=1; DROP TABLE events"}, "one expression"),
    ({"name": "x", "where": "read_csv('/etc/passwd') IS NOT NULL"}, "read_csv"),
    ({"name": "x", "where": "customer_id IN (SELECT customer_id FROM events)"}, "subquer"),
    ({"name": "x', 'y'); DROP TABLE events; --", "where": "bucket = 'high'"}, "is not allowed"),
    ({"name": "purchase_30d_high", "where": "bucket = 'high'"}, "already exists"),
    ({"name": "x", "where": "no_such_column > 1"}, "no_such_column"),
    ({"name": "x", "model": "nope", "where": "bucket = 'high'"}, "unknown model 'nope'"),
])
def test_injection_and_bad_definitions_through_the_form_are_refused(server, db, fields, message):
    before = segments_in(db)
    status, html, _ = server.post("/segments", {"token": server.token(), "model": "purchase_30d", **fields})
    assert status == 400
    assert 'role="alert"' in html and message.replace("'", "&#39;") in html
    assert segments_in(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] > 0


def test_a_post_without_the_dashboards_token_is_refused(server, db):
    status, html, _ = server.post("/segments", {"token": "forged", "name": "x", "model": "purchase_30d", "bucket": "high"})
    assert status == 403 and "did not come from this dashboard" in html
    assert segments_in(db) == ["purchase_30d_high"]


# --- sharing the file with scoring runs ---------------------------------------------------------------------

HOLD = "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\ntime.sleep(float(sys.argv[2]))\n"


def hold_for_writing(db: Path, seconds: float) -> subprocess.Popen:
    """Another process that holds the file for writing, as a running `cai score` does."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_page_asked_for_while_another_process_writes_says_busy_and_retries(server, db):
    holder = hold_for_writing(db, 6)
    try:
        status, html, headers = server.get("/models/purchase_30d")
    finally:
        holder.kill()
        holder.wait()
    assert status == 503 and headers["retry-after"] == "5"
    assert "is in use by another process" in html and 'http-equiv="refresh"' in html
    assert server.get("/models/purchase_30d")[0] == 200  # and it is back once the writer is done


def settle(db: Path) -> None:
    """Date the file back, as if its last write were long ago (pages read right after a write are not cached)."""
    past = time.time() - 60
    os.utime(db, (past, past))


def test_a_page_seen_before_comes_from_the_cache_until_the_file_changes(server, db):
    settle(db)
    assert server.get("/segments")[0] == 200
    holder = hold_for_writing(db, 6)  # holds the file but writes nothing
    try:
        assert server.get("/segments")[0] == 200  # the file is unchanged: no need to open it
    finally:
        holder.kill()
        holder.wait()
    with duckdb.connect(str(db)) as con:  # any committed write changes the file's state
        con.execute("UPDATE cai_runs SET seconds = seconds + 1 WHERE run_id = 1")
    assert server.get("/segments")[0] == 200
    assert "Across 4 runs" in server.get("/")[1]


def test_create_segment_while_another_process_writes_says_it_was_not_created(server, db):
    token = server.token()
    holder = hold_for_writing(db, 20)
    try:
        status, html, _ = server.post("/segments", {"token": token, "name": "later", "model": "purchase_30d", "bucket": "low"})
    finally:
        holder.kill()
        holder.wait()
    assert status == 503 and "The segment was not created" in html and "Submit again" in html
    assert 'http-equiv="refresh"' not in html and "later" not in segments_in(db)


def test_scoring_while_the_dashboard_serves_waits_for_requests_instead_of_failing(server, db, tmp_path):
    stop = threading.Event()
    statuses = []

    def browse():
        while not stop.is_set():
            statuses.append(server.get("/models/purchase_30d/trends")[0])

    browsing = threading.Thread(target=browse)
    browsing.start()
    try:
        for _ in range(2):
            result = run_cai("score", "purchase_30d", "--version", "1", "--as-of", str(DATE + dt.timedelta(days=7)),
                             "--db", str(db), cwd=tmp_path)
            assert result.returncode == 0, result.stderr
    finally:
        stop.set()
        browsing.join()
    assert statuses and set(statuses) <= {200, 503}
    assert server.get("/")[0] == 200
    assert "Across 5 runs" in server.get("/")[1]  # the re-run replaced the first, atomically


def test_opening_waits_for_a_short_holder_and_then_says_who_holds_it(db):
    holder = hold_for_writing(db, 1.0)
    try:
        started = time.monotonic()
        con = connect(db, read_only=True, wait=15)  # waits for the holder to finish
        con.close()
        assert time.monotonic() - started >= 0.3
    finally:
        holder.wait()
    holder = hold_for_writing(db, 8)
    try:
        with pytest.raises(DatabaseBusyError, match=r"is in use by another process \(.*PID \d+\)"):
            connect(db, wait=0.3)
    finally:
        holder.kill()
        holder.wait()


def test_cai_serve_listens_on_127_0_0_1_and_says_where(db, tmp_path):
    process = subprocess.Popen([cai_executable(), "serve", "--db", str(db), "--port", "0"], cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"})
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line + process.stderr.read()
        with urllib.request.urlopen(url.group(0), timeout=30) as response:
            assert response.status == 200 and "purchase_30d" in response.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)
    missing = run_cai("serve", "--db", str(tmp_path / "nope.duckdb"), cwd=tmp_path)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


# --- the one-file report ------------------------------------------------------------------------------------

def test_the_report_is_one_file_with_the_dashboards_content(db, tmp_path):
    out = write_report(db, tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")
    for text in ["purchase_30d", "Latest run by bucket", "Top influential factors", "Lift by decile", "Bucket trend",
                 "Flow between runs", "Drift", "purchase_30d_high", "Lifetime value distribution", "Plotly"]:
        assert text in html, text
    assert "<script src=" not in html and "<link rel=\"stylesheet\"" not in html
    assert 'method="post"' not in html  # a file cannot create segments: it shows the CLI command instead
    assert "cai segment create purchase_30d_medium --model purchase_30d --bucket medium" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dash.duckdb", "report.html"]  # no temporary file left


def test_report_bad_outputs_are_refused_and_nothing_is_left_behind(db, tmp_path):
    with pytest.raises(cai_sql.CaiError, match="directory .* does not exist"):
        write_report(db, tmp_path / "missing" / "r.html")
    with pytest.raises(cai_sql.CaiError, match="ending in .html"):
        write_report(db, tmp_path / "report.pdf")
    result = run_cai("report", "--db", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "r.html"), cwd=tmp_path)
    assert result.returncode == 1 and "does not exist" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dash.duckdb"]


# --- in a real browser ------------------------------------------------------------------------------------------

def artefacts(tmp_path: Path) -> Path:
    """Screenshots go to $CAI_TEST_ARTIFACTS when CI sets it, else next to the test's files."""
    directory = Path(os.environ.get("CAI_TEST_ARTIFACTS") or tmp_path / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package (or set CAI_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser, errors: list):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("requestfinished", lambda request: errors.append(f"{request.url} failed")
            if request.resource_type != "document" and request.response().status >= 400 else None)
    return page


def unexpected(errors: list[str]) -> list[str]:
    """Errors besides the browser's note on the pages meant to answer 400 or 404 (refused form, unknown model)."""
    return [e for e in errors if not e.startswith("Failed to load resource: the server responded with a status of 40")]


def test_in_chromium_every_page_draws_create_segment_works_and_a_profile_is_found(server, db, browser, tmp_path):
    shots = artefacts(tmp_path)
    errors: list[str] = []
    page = open_page(browser, errors)
    for name, path in [("home", "/"), ("model", "/models/purchase_30d"), ("trends", "/models/purchase_30d/trends"),
                       ("segments", "/segments"), ("segment", "/segments/purchase_30d_high"), ("clv", "/clv")]:
        page.goto(server.url + path)
        page.wait_for_selector("body[data-charts=drawn]")
        charts = page.locator("div.chart").count()
        assert page.locator("div.chart[data-drawn=true]:has(svg.main-svg)").count() == charts and (charts or name == "home"), name
        page.screenshot(path=str(shots / f"dashboard-{name}.png"), full_page=True)

    # the factor drill-down from the factor table, and the trends form with runs picked
    page.goto(server.url + "/models/purchase_30d")
    page.locator("a.factor").first.click()
    page.wait_for_selector("body[data-charts=drawn]")
    assert "leading reason" in page.locator("main").inner_text()
    page.screenshot(path=str(shots / "dashboard-factor.png"), full_page=True)
    page.goto(server.url + "/models/purchase_30d/trends")
    page.select_option("select[name=run_a]", "1")
    page.select_option("select[name=run_b]", "3")
    page.select_option("select[name=bucket]", "low")
    page.locator("form.pick button").click()
    page.wait_for_selector("body[data-charts=drawn]")
    assert "Flow between runs 1 and 3" in page.locator("main").inner_text()
    page.screenshot(path=str(shots / "dashboard-trends-picked.png"), full_page=True)

    # one click on the medium bucket's card creates the segment, and the list shows it
    page.goto(server.url + "/models/purchase_30d")
    page.locator(".bucket-card[data-bucket=medium] button", has_text="Create Segment").click()
    page.wait_for_selector("p.flash.ok")
    assert page.locator("tr.created td a").first.inner_text() == "purchase_30d_medium"
    page.screenshot(path=str(shots / "dashboard-segment-created.png"), full_page=True)
    assert "purchase_30d_medium" in segments_in(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT run_id) FROM cai_segment_members WHERE segment = 'purchase_30d_medium'").fetchone()[0] == 4

    # an injection attempt typed into the form is refused on the page, nothing created
    page.fill("form.define-segment input[name=name]", "sneaky")
    page.fill("form.define-segment input[name=where]", "1=1; DROP TABLE events")
    page.locator("form.define-segment button").click()
    assert "one expression" in page.locator("p.flash.error").inner_text()
    assert "sneaky" not in segments_in(db)

    # profile lookup from the search box
    customer = rows(duckdb.connect(str(db), read_only=True), "SELECT customer_id FROM cai_latest_scores ORDER BY score DESC LIMIT 1")[0][0]
    page.fill("form.lookup input[name=customer]", customer)
    page.locator("form.lookup button").click()
    page.wait_for_selector("body[data-charts=drawn]")
    assert page.locator("h1").first.inner_text() == f"Customer {customer}"
    assert page.locator("table.factors tbody tr").count() >= 1
    page.screenshot(path=str(shots / "dashboard-profile.png"), full_page=True)

    page.goto(server.url + "/models/nope")
    assert "There is no model 'nope'" in page.locator("p.message").inner_text()
    page.screenshot(path=str(shots / "dashboard-404.png"))
    assert unexpected(errors) == []


def test_in_chromium_the_report_opens_with_no_network(db, browser, tmp_path):
    out = write_report(db, tmp_path / "report.html")
    errors: list[str] = []
    requested: list[str] = []
    context = browser.new_context(offline=True)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: requested.append(request.url))
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-charts=drawn]")
    assert page.locator("div.chart[data-drawn=true]:has(svg.main-svg)").count() >= 10
    page.screenshot(path=str(artefacts(tmp_path) / "report.png"), full_page=True)
    assert errors == [] and requested == [out.as_uri()]
    context.close()


# --- charts an analyst can read: the layout Chromium draws ------------------------------------------------------

CHURN = {"name": "churn_60d", "model_type": "churn",
         "goal": {"any_of": ["event_type = 'commerce.purchases'", "event_type = 'web.webpagedetails.pageViews'"],
                  "will_occur": False, "window_days": 60},
         "training": {"min_positives": 50, "min_negatives": 50}}

# Boxes ([left, top, right, bottom] in page pixels) and texts of what plotly drew in one chart.
CHART_LAYOUT_JS = """el => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const texts = selector => [...el.querySelectorAll(selector)].filter(t => t.textContent.trim())
    .map(t => ({text: t.textContent, box: box(t), transform: t.getAttribute('transform') || ''}));
  const drag = el.querySelector('.nsewdrag');
  return {
    svg: box(el.querySelector('svg.main-svg')), plot: drag ? box(drag) : null,
    title: texts('.gtitle'), xticks: texts('.xtick text'), yticks: texts('.ytick text'),
    labels: texts('.xtitle, .ytitle, .gtitle-subtitle, .legendtext, .annotation-text, .node-label'),
    legend: [...el.querySelectorAll('.legend')].map(box),
    modebar: [...el.querySelectorAll('.modebar-group')].map(box),
    circles: [...el.querySelectorAll('.shapelayer path')].map(p => ({box: box(p), fill: getComputedStyle(p).fill})),
    bars: [...el.querySelectorAll('.trace.bars')].map(t => ({name: t.__data__[0].trace.name || '',
      fills: [...t.querySelectorAll('.point path')].map(p => getComputedStyle(p).fill),
      boxes: [...t.querySelectorAll('.point path')].map(box)})),
    range: el._fullLayout.xaxis ? el._fullLayout.xaxis.range : null,
  };
}"""


def inside(inner, outer, slack: float = 0.5) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def drawn_charts(page) -> list[dict]:
    page.wait_for_selector("body[data-charts=drawn]")
    return [chart.evaluate(CHART_LAYOUT_JS) for chart in page.locator("div.chart").all()]


def draw_figures(browser, figures: list[dict], width: int = 900):
    """Chromium drawing figures exactly as the pages do: the chart() markup, dashboard.css and .js, plotly.js."""
    from cai_sql.web.rendering import chart, plotly_js_path, static_dir

    page = browser.new_page(viewport={"width": width, "height": 900})
    css = (static_dir() / "dashboard.css").read_text(encoding="utf-8")
    page.set_content(f"<!doctype html><html><head><style>{css}</style></head><body><main>"
                     + "".join(chart(f) for f in figures) + "</main></body></html>")
    page.add_script_tag(path=str(plotly_js_path()))
    page.add_script_tag(path=str(static_dir() / "dashboard.js"))
    return page


@pytest.mark.parametrize("width", [1280, 520])
def test_in_chromium_every_tick_label_and_title_is_whole_and_clear_of_the_toolbar(server, browser, tmp_path, width):
    """Tick labels (rotated run dates on narrow screens, the CLV axis), axis titles and legends lie inside their
    chart; on a wide screen every title and legend is clear of the plotly toolbar shown on hover."""
    customer = rows(duckdb.connect(str(server.db), read_only=True), "SELECT min(customer_id) FROM cai_latest_scores")[0][0]
    page = open_page(browser, errors := [])
    page.set_viewport_size({"width": width, "height": 900})
    rotated = []
    for path in ["/models/purchase_30d", "/models/purchase_30d/trends", "/clv", "/segments", f"/customers/{customer}"]:
        page.goto(server.url + path)
        charts = drawn_charts(page)
        page.screenshot(path=str(artefacts(tmp_path) / f"layout-{width}-{path.strip('/').replace('/', '-')}.png"), full_page=True)
        for index, chart in enumerate(charts):
            for label in chart["xticks"] + chart["yticks"] + chart["labels"]:
                assert inside(label["box"], chart["svg"]), (path, index, label)
            rotated += [t["text"] for t in chart["xticks"] if "rotate(" in t["transform"] and "run" in t["text"]]
            if width >= 1000:
                assert len(chart["title"]) == 1 and inside(chart["title"][0]["box"], chart["svg"]), (path, index)
                page.locator("div.chart").nth(index).hover()
                assert chart["modebar"], (path, index)
                for tool in page.locator("div.chart").nth(index).evaluate(CHART_LAYOUT_JS)["modebar"]:
                    assert not any(overlap(tool, box) for box in [chart["title"][0]["box"], *chart["legend"]]), (path, index)
        if path == "/clv":  # a numeric CLV axis: every tick a whole number, the open last bin labelled "N+"
            ticks = [t["text"] for t in charts[0]["xticks"]]
            assert len(ticks) >= 3 and all(re.fullmatch(r"\d{1,3}(,\d{3})*", t) for t in ticks), ticks
            assert any(re.fullmatch(r"[\d,]+\+", t["text"]) for t in charts[0]["labels"])
    if width < 1000:  # the trend and cohort charts turn their run dates, and still show them whole
        assert {"2026-08-06 · run 1", "2026-10-15 · run 4"} <= set(rotated)
    assert unexpected(errors) == []


def test_in_chromium_the_drift_axis_is_scaled_to_the_data_with_the_thresholds_marked(server, browser):
    def drift_rows(*psis):
        return [{"measure": f"m{i}", "psi": psi, "flag": "stable" if psi < 0.1 else "moderate shift" if psi < 0.25 else "major shift"}
                for i, psi in enumerate(psis)]

    from cai_sql.web import charts

    tiny, near = charts.drift(drift_rows(0.001, 0.0004, 0.0002)), charts.drift(drift_rows(0.07, 0.02))
    page = draw_figures(browser, [tiny, near])
    drawn = drawn_charts(page)
    for chart, share in zip(drawn, (0.8, 0.6)):  # the largest bar spans most of the plot: a PSI of 0.001 is plain to see
        plot = chart["plot"]
        widest = max(b[2] - b[0] for b in chart["bars"][0]["boxes"])
        assert widest > share * (plot[2] - plot[0]), chart["range"]
    assert drawn[0]["range"][1] < 0.002 and drawn[0]["circles"] == []  # no threshold line within reach
    assert "beyond this scale: moderate shift 0.1, major shift 0.25" in " ".join(t["text"] for t in drawn[0]["labels"])
    lines = drawn[1]["circles"]  # 0.1 is near 0.07: its line is drawn inside the plot; 0.25 is named beyond
    assert len(lines) == 1 and inside(lines[0]["box"], drawn[1]["plot"]) and lines[0]["box"][2] > max(
        b[2] for b in drawn[1]["bars"][0]["boxes"])
    assert "dotted line: moderate shift 0.1; beyond this scale: major shift 0.25" in " ".join(t["text"] for t in drawn[1]["labels"])

    page.goto(server.url + "/models/purchase_30d/trends")  # the fixture's drift reaches past 0.25: both lines, bars by flag
    real = drawn_charts(page)[-1]
    with duckdb.connect(str(server.db), read_only=True) as con:
        largest = con.execute("SELECT max(psi) FROM cai_drift('purchase_30d', run_a := 3, run_b := 4)").fetchone()[0]
    assert largest > 0.25 and len(real["circles"]) == 2 and largest <= real["range"][1] < 1.2 * largest
    assert "rgb(207, 34, 46)" in real["bars"][0]["fills"]  # major shifts in red


VENN_CASES = [(70, 237, 84), (900, 100, 0), (300, 0, 30), (5, 20, 975)]  # the fixture's, contained, apart, cramped


def test_in_chromium_venn_circle_areas_are_proportional_to_the_counts(browser):
    from cai_sql.web import charts

    figures = [charts.venn({"bucket": "high", "run_a": 3, "run_b": 4, "only_a": only_a, "both_runs": both, "only_b": only_b,
                            "jaccard": both / (only_a + both + only_b)}) for only_a, both, only_b in VENN_CASES]
    for (only_a, both, only_b), chart in zip(VENN_CASES, drawn_charts(draw_figures(browser, figures, width=600))):
        a, b = [c["box"] for c in chart["circles"]]
        for circle in (a, b):  # round, and inside the chart
            assert abs((circle[2] - circle[0]) - (circle[3] - circle[1])) < 1 and inside(circle, chart["svg"])
        r_a, r_b = (a[2] - a[0]) / 2, (b[2] - b[0]) / 2
        assert (r_a / r_b) ** 2 == pytest.approx((only_a + both) / (both + only_b), rel=0.03)
        # the shared area, counted on a grid of points, is to circle A's as `both` is to A's count
        centre_a, centre_b = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
        step = r_a / 150
        in_a = shared = 0
        for i in range(-150, 151):
            for j in range(-150, 151):
                x, y = centre_a[0] + i * step, centre_a[1] + j * step
                if (x - centre_a[0]) ** 2 + (y - centre_a[1]) ** 2 <= r_a ** 2:
                    in_a += 1
                    shared += (x - centre_b[0]) ** 2 + (y - centre_b[1]) ** 2 <= r_b ** 2
        assert shared / in_a == pytest.approx(both / (only_a + both), abs=0.015)
        labels = [t for t in chart["labels"] if t["text"].startswith(("only", "both"))]
        assert sorted(t["text"] for t in labels) == sorted(f"{name}{count:,}" for name, count in
                                                         [("only run 3", only_a), ("both", both), ("only run 4", only_b)] if count)
        for i, label in enumerate(labels):  # every count readable: inside the chart, no two on top of each other
            assert inside(label["box"], chart["svg"]) and not any(overlap(label["box"], other["box"]) for other in labels[i + 1:])


def test_in_chromium_factor_tables_fit_the_page_and_wrap_long_texts(server, browser, tmp_path):
    customer = rows(duckdb.connect(str(server.db), read_only=True),
                    "SELECT customer_id FROM cai_latest_scores ORDER BY score DESC LIMIT 1")[0][0]
    page = open_page(browser, errors := [])
    checked = 0
    for width in (1280, 1000, 800):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ["/models/purchase_30d", f"/customers/{customer}"]:
            page.goto(server.url + path)
            page.wait_for_selector("body[data-charts=drawn]")
            fit = page.evaluate("""() => {
              const main = document.querySelector('main'), style = getComputedStyle(main);
              const right = main.getBoundingClientRect().right - parseFloat(style.paddingRight);
              const tables = [...document.querySelectorAll('table.factors')].map(t => t.getBoundingClientRect());
              const broken = [...document.querySelectorAll('table.factors td')].filter(td => {
                const text = td.textContent.trim(), range = document.createRange();
                range.selectNodeContents(td);
                return text.length <= 9 && !text.includes(' ') && range.getClientRects().length > 1; });
              return {page: [document.documentElement.scrollWidth, window.innerWidth], right,
                      tables: tables.map(r => [r.left, r.top, r.right, r.bottom]),
                      scrolled: [...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth).length,
                      broken: broken.map(td => td.textContent)}; }""")
            assert fit["page"][0] <= fit["page"][1], (path, width)
            assert fit["tables"] and all(t[2] <= fit["right"] + 0.5 for t in fit["tables"]), (path, width, fit)
            assert fit["scrolled"] == 0 and fit["broken"] == [], (path, width, fit)
            assert not any(overlap(a, b) for i, a in enumerate(fit["tables"]) for b in fit["tables"][i + 1:])
            checked += len(fit["tables"])
        page.goto(server.url + "/models/purchase_30d")
        page.locator("section.model .columns").screenshot(path=str(artefacts(tmp_path) / f"factor-tables-{width}.png"))
    assert checked >= 12 and unexpected(errors) == []


@pytest.fixture(scope="module")
def churn_db(dashboard_db, tmp_path_factory):
    """The dashboard's database with a churn model too (logistic regression: seconds), scored once."""
    from cai_sql.spec import spec_from_dict
    from cai_sql.training import train

    from .test_training import NOW

    db = tmp_path_factory.mktemp("churn") / "churn.duckdb"
    shutil.copy(dashboard_db, db)
    con = cai_sql.connect(db)
    train(con, spec_from_dict(CHURN), now=NOW, algorithms=("logistic_regression",))
    cai_sql.score(con, "churn_60d", as_of=RUN_DATES[-2])
    cai_sql.score(con, "churn_60d", as_of=DATE)
    con.close()
    return db


def test_in_chromium_buckets_are_coloured_by_what_they_mean_for_the_model(churn_db, browser, tmp_path):
    """A churn model's high bucket (customers likely to leave) is red and its low bucket green; a purchase
    model's high bucket is green: on badges, bucket cards, model cards, profiles and every chart of buckets."""
    red, green, grey = "rgb(207, 34, 46)", "rgb(26, 127, 55)", "rgb(110, 119, 129)"
    expected = {"churn_60d": {"high": red, "low": green}, "purchase_30d": {"high": green, "low": grey}}
    badge = "el => getComputedStyle(el).backgroundColor"
    copy = tmp_path / "churn.duckdb"
    shutil.copy(churn_db, copy)
    customer = rows(duckdb.connect(str(copy), read_only=True),
                    "SELECT customer_id FROM cai_latest_scores GROUP BY 1 HAVING count(*) = 2 ORDER BY 1 LIMIT 1")[0][0]
    with Server(copy) as running:
        page = open_page(browser, errors := [])
        for model, colors in expected.items():
            page.goto(f"{running.url}/models/{model}")
            page.wait_for_selector("body[data-charts=drawn]")
            for bucket, color in colors.items():
                assert page.locator(f".bucket-card[data-bucket={bucket}] .badge").evaluate(badge) == color, (model, bucket)
                assert page.locator(f".columns .badge.{bucket}").first.evaluate(badge) == color, (model, bucket)
            page.goto(f"{running.url}/models/{model}/trends")
            trend, cohort = drawn_charts(page)[:2]
            page.screenshot(path=str(artefacts(tmp_path) / f"colours-{model}-trends.png"), full_page=True)
            for chart in (trend, cohort):
                fills = {bars["name"]: set(bars["fills"]) for bars in chart["bars"]}
                assert fills["high"] == {colors["high"]} and fills.get("low", {colors["low"]}) == {colors["low"]}, (model, fills)
            sankey = page.locator("div.chart").nth(2).evaluate(
                "el => [...el.querySelectorAll('.sankey-node')].map(n => [n.textContent, getComputedStyle(n.querySelector('rect')).fill])")
            assert {color for label, color in sankey if label.startswith("high")} == {colors["high"]}, sankey
        page.goto(running.url + "/")
        for model, colors in expected.items():
            card = page.locator(".model-card", has_text=model)
            assert card.locator(".badge.high").evaluate(badge) == colors["high"]
            assert card.locator(".badge.low").evaluate(badge) == colors["low"]
        page.goto(f"{running.url}/customers/{customer}")
        page.wait_for_selector("body[data-charts=drawn]")
        for model in expected:
            card = page.locator(".score-card", has_text=model)
            bucket = card.locator(".big .badge").inner_text()
            assert card.locator(".big .badge").evaluate(badge) == {**expected[model], "medium": "rgb(212, 167, 44)"}[bucket]
        page.screenshot(path=str(artefacts(tmp_path) / "colours-profile.png"), full_page=True)
    assert unexpected(errors) == []
