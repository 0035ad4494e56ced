"""``cai report``: the dashboard's content as one self-contained HTML file that opens offline.

The report renders the dashboard's own templates from the same page data (so the two cannot
disagree), with the stylesheet, plotly.js and the drawing script inlined instead of linked, and links
turned into anchors within the file. It is written to a temporary file and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from markupsafe import Markup

from ..database import opened
from ..errors import InputError
from ..files import replaced_atomically
from . import pages
from .rendering import environment, plotly_js_path, static_dir


def report_href(kind: str, *args, **_query) -> str:
    """Links of the report: anchors to its own sections; pages it does not hold lead to the top."""
    anchors = {"model": "#model-{}", "trends": "#trends-{}", "segments": "#segments", "clv": "#clv"}
    pattern = anchors.get(kind)
    if pattern is None:
        return "#segments" if kind in ("segment", "export") else "#"
    return pattern.format(*args[:1])


def render_report(con, *, db_name: str, generated_at: dt.datetime | None = None) -> str:
    """The report's HTML for an open connection."""
    overview = pages.overview(con)
    names = [m["model"] for m in overview["models"]]
    env = environment()
    static = static_dir()
    script = plotly_js_path().read_text(encoding="utf-8")
    if "</script" in script.lower():  # would end the inline <script> early
        raise RuntimeError("the installed plotly.js cannot be inlined (it contains '</script')")
    return env.get_template("report.html").render(
        href=report_href, static=True, token="", db_name=db_name,
        generated_at=(generated_at or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        overview=overview,
        model_pages=[pages.model_page(con, name) for name in names],
        trend_pages=[pages.trends_page(con, name) for name in names],
        segments_page=pages.segments_page(con),
        clv_page=pages.clv_page(con),
        created=None,
        inline_css=Markup((static / "dashboard.css").read_text(encoding="utf-8")),
        inline_js=Markup((static / "dashboard.js").read_text(encoding="utf-8")),
        inline_plotly=Markup(script),
    )


def write_report(db, out: str | os.PathLike) -> Path:
    """Write the report of ``db`` (a path or an open connection) to ``out``; returns the path written."""
    target = Path(out).expanduser()
    if target.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"cannot write the report to {target}: give a file name ending in .html (e.g. report.html)")
    directory = target.parent.resolve()
    if not directory.is_dir():
        raise InputError(f"cannot write {target}: directory {target.parent} does not exist")
    if target.is_dir():
        raise InputError(f"cannot write the report to {target}: it is a directory")
    with opened(db, read_only=True) as con:
        name = Path(db).name if isinstance(db, (str, os.PathLike)) else "database"
        html = render_report(con, db_name=name)
    with replaced_atomically(target) as temporary:
        temporary.write_text(html, encoding="utf-8")
    return target
