"""Templates, static files and figure embedding shared by the web app and the HTML report."""

from __future__ import annotations

import datetime as dt
import json
import math
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from . import charts


def static_dir() -> Path:
    return Path(str(resources.files("cai_sql.web") / "static"))


def plotly_js_path() -> Path:
    """plotly.js as shipped inside the installed ``plotly`` package: no CDN, works offline."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"plotly.js is missing from the plotly package at {path}; reinstall plotly")
    return path


def _finite(value):
    """JSON for the browser: NaN and infinity become null, dates their ISO text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def chart(figure: dict, chart_id: str = "") -> Markup:
    """A placeholder the page's script fills with the plotly figure it carries."""
    data = json.dumps(_finite(figure), default=str, allow_nan=False)
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    return Markup(f'<div class="chart"{ident} data-figure="{escape(data)}"></div>')


def _number(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _percent(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}%}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cai_sql.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(chart=chart, charts=charts, bucket_style=charts.bucket_style)
    env.filters.update(number=_number, percent=_percent)
    return env
