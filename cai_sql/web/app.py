"""The dashboard's web app (Starlette): pages over the ledger's views and a Create Segment action.

Pages only render what :mod:`cai_sql.web.pages` read from SQL; the one write, creating a segment,
calls :func:`cai_sql.segments.create_segment` exactly as ``cai segment create`` does, so names and
predicates from the browser meet the same checks. Forms carry a per-server token (another web
site cannot make the browser post to this one) and only local host names are answered.
"""

from __future__ import annotations

import secrets
import tempfile
import urllib.parse
from pathlib import Path

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..database import DatabaseBusyError
from ..errors import CaiError, shorten
from ..segments import EXPORT_FORMATS, SegmentError, create_segment, export_segment
from . import pages
from .access import DatabaseAccess
from .rendering import environment, plotly_js_path, static_dir

LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
# Pages may not be framed (clickjacking) and run only this app's own scripts; plotly sets inline styles.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items())]
            await send(message)

        await self.app(scope, receive, with_headers)


def _quote(value) -> str:
    return urllib.parse.quote(str(value), safe="")


def app_href(kind: str, *args, **query) -> str:
    """The URL of a page (the report resolves the same names to anchors)."""
    paths = {
        "home": "/",
        "model": "/models/{}",
        "trends": "/models/{}/trends",
        "factor": "/models/{}/factors/{}",
        "segments": "/segments",
        "segment": "/segments/{}",
        "export": "/segments/{}/export.{}",
        "profile": "/customers/{}",
        "clv": "/clv",
    }
    path = paths[kind].format(*(_quote(a) for a in args))
    query = {k: v for k, v in query.items() if v is not None}
    return path + ("?" + urllib.parse.urlencode(query) if query else "")


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name) or None
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(404, f"'{shorten(value)}' is not a run id ({name} must be a whole number, see the run history).") from None


def create_app(db: str | Path, *, allowed_hosts: list[str] | None = None) -> Starlette:
    """The dashboard for one database file; it answers requests for local host names and ``allowed_hosts``."""
    access = DatabaseAccess(db)
    token = secrets.token_urlsafe(24)
    env = environment()

    def render(name: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(name).render(href=app_href, static=False, token=token, db_name=access.path.name, **context)
        return HTMLResponse(html, status_code=status)

    def read(page, *args, **kwargs) -> dict:
        return {"page": access.page(page, *args, **kwargs)}

    def index(request: Request):
        return render("index.html", **read(pages.overview))

    def model(request: Request):
        return render("model.html", **read(pages.model_page, request.path_params["model"]))

    def factor(request: Request):
        return render("factor.html", **read(pages.factor_page, request.path_params["model"], request.path_params["code"]))

    def trends(request: Request):
        return render("trends.html", **read(
            pages.trends_page, request.path_params["model"], run_a=_int_param(request, "run_a"),
            run_b=_int_param(request, "run_b"), cohort_run=_int_param(request, "cohort_run"),
            bucket=request.query_params.get("bucket") or "high"))

    def segment_list(request: Request, status: int = 200, error: str | None = None, form: dict | None = None):
        return render("segments.html", status=status, created=request.query_params.get("created"), error=error,
                      form=form or {}, **read(pages.segments_page))

    async def segments_view(request: Request):
        if request.method == "GET":
            return await run_in_threadpool(segment_list, request)
        form = {k: (v.strip() if isinstance(v, str) else "") for k, v in (await request.form()).items()}
        if not secrets.compare_digest(form.get("token", ""), token):
            raise HTTPException(403, "This form is out of date or did not come from this dashboard; reload the page and try again.")
        try:
            created = await run_in_threadpool(_create, form)
        except DatabaseBusyError as exc:  # not created; a refresh would not resubmit, so say so instead
            message = f"The segment was not created: {exc} Submit again."
            try:
                return await run_in_threadpool(segment_list, request, 503, message, form)
            except DatabaseBusyError:  # the list itself cannot be read now either
                return render("error.html", status=503, title="The segment was not created", message=message)
        except CaiError as exc:
            return await run_in_threadpool(segment_list, request, 400, str(exc), form)
        return RedirectResponse(app_href("segments", created=created.name) + f"#segment-{created.name}", status_code=303)

    def _create(form: dict):
        with access.writing() as con:
            return create_segment(con, form.get("name", ""), form.get("model", ""), form.get("where") or None,
                                  bucket=form.get("bucket") or None, top_factor=form.get("top_factor") or None)

    def segment(request: Request):
        return render("segment.html", **read(pages.segment_page, request.path_params["name"]))

    def export(request: Request):
        name, fmt = request.path_params["name"], request.path_params["fmt"]
        if fmt not in EXPORT_FORMATS:
            raise HTTPException(404, f"There is no .{shorten(fmt)} export; use .csv or .parquet.")
        run = _int_param(request, "run")
        directory = tempfile.TemporaryDirectory(prefix="cai-export-")
        target = Path(directory.name) / f"{name}.{fmt}"
        try:
            with access.reading() as con:
                pages.segment_page(con, name)  # 404 for an unknown segment
                export_segment(con, name, target, fmt, run)
        except SegmentError as exc:  # a run the segment has no members at
            directory.cleanup()
            raise HTTPException(404, str(exc)[0].upper() + str(exc)[1:] + ".") from None
        except BaseException:
            directory.cleanup()
            raise
        media = "text/csv" if fmt == "csv" else "application/vnd.apache.parquet"
        return FileResponse(target, media_type=media, filename=target.name, background=BackgroundTask(directory.cleanup))

    def profile_lookup(request: Request):
        customer = (request.query_params.get("customer") or "").strip()
        if not customer:
            return RedirectResponse("/", status_code=303)
        return RedirectResponse(app_href("profile", customer), status_code=303)

    def profile(request: Request):
        return render("profile.html", **read(pages.profile_page, request.path_params["customer"]))

    def clv(request: Request):
        return render("clv.html", **read(pages.clv_page))

    def plotly_js(request: Request):
        return FileResponse(plotly_js_path(), media_type="text/javascript")

    def not_found(request: Request, exc: Exception):
        message = exc.detail if isinstance(exc, HTTPException) else str(exc)
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status == 404 and message == "Not Found":
            message = f"There is no page at {request.url.path}."
        return render("error.html", status=status, title="Not found" if status == 404 else "Refused", message=message)

    def busy(request: Request, exc: Exception):
        response = render("error.html", status=503, title="The database is busy", retry=True,
                          message=f"{exc} This page retries by itself.")
        response.headers["Retry-After"] = "5"
        return response

    def failed(request: Request, exc: Exception):
        return render("error.html", status=500, title="Something went wrong", message=str(exc))

    routes = [
        Route("/", index),
        Route("/models/{model}", model),
        Route("/models/{model}/trends", trends),
        Route("/models/{model}/factors/{code}", factor),
        Route("/segments", segments_view, methods=["GET", "POST"]),
        Route("/segments/{name}", segment),
        Route("/segments/{name}/export.{fmt}", export),
        Route("/profile", profile_lookup),
        Route("/customers/{customer:path}", profile),
        Route("/clv", clv),
        Route("/static/plotly.min.js", plotly_js),
        Mount("/static", StaticFiles(directory=static_dir()), name="static"),
    ]
    handlers = {HTTPException: not_found, pages.NotFound: not_found, DatabaseBusyError: busy, CaiError: failed}
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=[*LOCAL_HOSTS, *(allowed_hosts or [])]),
                  Middleware(SecurityHeaders)]
    app = Starlette(routes=routes, exception_handlers=handlers, middleware=middleware)
    app.state.access = access
    return app

