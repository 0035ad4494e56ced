"""Plotly figures (as JSON-ready dicts) from the rows the pages read: presentation only.

Each function maps columns of one view or macro onto traces; none computes a number the SQL did not
return. The browser draws them with the plotly.js that ships inside the ``plotly`` Python package.
"""

from __future__ import annotations

import datetime as dt
import math

ACCENT = "#0969da"
SECOND = "#bf3989"
GOOD, CAUTION, BAD, NEUTRAL = "#1a7f37", "#d4a72c", "#cf222e", "#6e7781"
OTHER_BUCKETS = {"new": ACCENT, "exited": "#424a53"}  # in flows between runs
RISK_MODEL_TYPES = ("churn",)
# plotly's toolbar (shown on hover) sits in the top-right corner of a chart: titles start below it
MODEBAR_ROOM = 30


def model_kind(model_type: str) -> str:
    """'risk' when a high score predicts bad news (churn), 'opportunity' when it predicts good news (conversion)."""
    return "risk" if model_type in RISK_MODEL_TYPES else "opportunity"


def bucket_colors(model_type: str) -> dict[str, str]:
    """Bucket colours by meaning: a risk model's high bucket is red and its low one green; an opportunity
    model's high bucket is green. Every chart and badge that colours a bucket takes its colour from here."""
    high, low = (BAD, GOOD) if model_kind(model_type) == "risk" else (GOOD, NEUTRAL)
    return {"high": high, "medium": CAUTION, "low": low, **OTHER_BUCKETS}


def bucket_style(model_type: str) -> str:
    """The bucket colours as CSS custom properties, for the badges inside the element that carries them."""
    colors = bucket_colors(model_type)
    return "; ".join(f"--{bucket}: {colors[bucket]}" for bucket in ("high", "medium", "low"))


def _layout(title: str, **extra) -> dict:
    layout = {
        "title": {"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left", "xref": "container",
                  "y": 1, "yanchor": "top", "yref": "container", "pad": {"t": MODEBAR_ROOM, "l": 4}},
        "margin": {"l": 56, "r": 16, "t": 84, "b": 48},
        "height": 320,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, sans-serif", "size": 12},
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
    }
    layout.update(extra)
    for axis in ("xaxis", "yaxis"):  # margins grow to fit tick labels (rotated dates, long bins) instead of cutting them
        layout[axis] = {"automargin": True, **layout.get(axis, {})}
    return layout


def _label(run: dict) -> str:
    date = run["score_date"]
    return f"{date.isoformat() if isinstance(date, dt.date) else date} · run {run['run_id']}"


def score_distribution(rows: list[dict]) -> dict:
    return {
        "data": [{"type": "bar", "x": [f"{r['score_from']}–{r['score_to']}" for r in rows],
                  "y": [r["customers"] for r in rows], "marker": {"color": ACCENT},
                  "customdata": [r["share"] for r in rows],
                  "hovertemplate": "score %{x}: %{y:,} customers (%{customdata:.1%})<extra></extra>"}],
        "layout": _layout("Scores in the latest run", xaxis={"title": {"text": "score"}},
                          yaxis={"title": {"text": "customers"}}),
    }


def lift(rows: list[dict]) -> dict:
    deciles = [r for r in rows if r["curve"] == "decile"]
    return {
        "data": [{"type": "bar", "x": [r["bin"] for r in deciles], "y": [r["lift"] for r in deciles],
                  "marker": {"color": ACCENT}, "hovertemplate": "decile %{x}: lift %{y:.2f}<extra></extra>"}],
        "layout": _layout("Lift by decile (validation)", xaxis={"title": {"text": "decile (1 = highest scores)"}, "dtick": 1},
                          yaxis={"title": {"text": "lift"}},
                          shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1, "y1": 1,
                                   "line": {"dash": "dot", "color": "#57606a"}}]),
    }


def gains(rows: list[dict]) -> dict:
    deciles = [r for r in rows if r["curve"] == "decile"]
    xs = [0] + [r["bin"] * 10 for r in deciles]
    return {
        "data": [
            {"type": "scatter", "mode": "lines+markers", "name": "model", "x": xs,
             "y": [0] + [r["cumulative_gain"] for r in deciles], "line": {"color": ACCENT}},
            {"type": "scatter", "mode": "lines", "name": "random", "x": [0, 100], "y": [0, 1],
             "line": {"dash": "dot", "color": "#57606a"}},
        ],
        "layout": _layout("Cumulative gains (validation)", xaxis={"title": {"text": "% of customers, highest scores first"}},
                          yaxis={"title": {"text": "share of positives"}, "tickformat": ".0%"}),
    }


def calibration(rows: list[dict]) -> dict:
    bins = [r for r in rows if r["curve"] == "calibration"]
    return {
        "data": [
            {"type": "scatter", "mode": "lines+markers", "name": "model",
             "x": [r["mean_probability"] for r in bins], "y": [r["observed_rate"] for r in bins],
             "text": [f"{r['customers']:,} customers" for r in bins], "line": {"color": ACCENT}},
            {"type": "scatter", "mode": "lines", "name": "perfect", "x": [0, 1], "y": [0, 1],
             "line": {"dash": "dot", "color": "#57606a"}},
        ],
        "layout": _layout("Calibration (validation)", xaxis={"title": {"text": "predicted probability"}, "range": [0, 1]},
                          yaxis={"title": {"text": "observed rate"}, "range": [0, 1]}),
    }


def expected_vs_actual(rows: list[dict], model_type: str) -> dict:
    colors = bucket_colors(model_type)
    data = []
    for bucket in ("high", "medium", "low"):
        mine = [r for r in rows if r["bucket"] == bucket]
        if not mine:
            continue
        x = [_label(r) for r in mine]
        color = colors[bucket]
        data.append({"type": "scatter", "mode": "lines+markers", "name": f"{bucket}: expected", "x": x,
                     "y": [r["expected_rate"] for r in mine], "line": {"color": color, "dash": "dot"}})
        data.append({"type": "scatter", "mode": "lines+markers", "name": f"{bucket}: actual", "x": x,
                     "y": [r["actual_rate"] for r in mine], "line": {"color": color}})
    return {"data": data, "layout": _layout("Expected vs actual rate per run", yaxis={"tickformat": ".0%"})}


def stacked_buckets(rows: list[dict], title: str, model_type: str, value: str = "customers") -> dict:
    """Stacked bars of bucket counts per run (cai_bucket_trend, cai_cohort_tracking)."""
    colors = bucket_colors(model_type)
    runs = sorted({(r["score_date"], r["run_id"]) for r in rows})
    labels = [_label({"score_date": d, "run_id": i}) for d, i in runs]
    data = []
    for bucket in ("high", "medium", "low", "exited"):
        by_run = {(r["score_date"], r["run_id"]): r[value] for r in rows if r["bucket"] == bucket}
        if by_run:
            data.append({"type": "bar", "name": bucket, "x": labels, "y": [by_run.get(k, 0) for k in runs],
                         "marker": {"color": colors[bucket]}})
    return {"data": data, "layout": _layout(title, barmode="stack", yaxis={"title": {"text": value}})}


def sankey(rows: list[dict], model_type: str) -> dict:
    """Flow between two runs (cai_bucket_flow) as a Sankey diagram."""
    palette = bucket_colors(model_type)
    sources = sorted({r["from_bucket"] for r in rows}, key=_bucket_order)
    targets = sorted({r["to_bucket"] for r in rows}, key=_bucket_order)
    labels = [f"{b} (run {rows[0]['from_run']})" for b in sources] + [f"{b} (run {rows[0]['to_run']})" for b in targets]
    colors = [palette.get(b, NEUTRAL) for b in sources + targets]
    return {
        "data": [{
            "type": "sankey",
            "node": {"label": labels, "color": colors, "pad": 18},
            "link": {"source": [sources.index(r["from_bucket"]) for r in rows],
                     "target": [len(sources) + targets.index(r["to_bucket"]) for r in rows],
                     "value": [r["customers"] for r in rows],
                     "color": ["rgba(140,149,159,0.35)"] * len(rows)},
        }],
        "layout": _layout(f"Bucket flow: {rows[0]['from_date']} → {rows[0]['to_date']}", height=360),
    }


def _bucket_order(bucket: str) -> int:
    order = ["new", "high", "medium", "low", "exited"]
    return order.index(bucket) if bucket in order else len(order)


def _lens_area(r1: float, r2: float, d: float) -> float:
    """Area shared by two circles of radii r1, r2 whose centres are d apart."""
    if d >= r1 + r2:
        return 0.0
    if d <= abs(r1 - r2):
        return math.pi * min(r1, r2) ** 2
    a1 = r1 * r1 * math.acos((d * d + r1 * r1 - r2 * r2) / (2 * d * r1))
    a2 = r2 * r2 * math.acos((d * d + r2 * r2 - r1 * r1) / (2 * d * r2))
    return a1 + a2 - 0.5 * math.sqrt((-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2))


def _centre_distance(r1: float, r2: float, overlap: float) -> float:
    """The distance between centres at which two circles share ``overlap`` (bisection: the area falls with d)."""
    near, far = abs(r1 - r2), r1 + r2
    for _ in range(60):
        middle = (near + far) / 2
        near, far = (middle, far) if _lens_area(r1, r2, middle) > overlap else (near, middle)
    return (near + far) / 2


def venn(row: dict) -> dict:
    """Two circles for a bucket's members in two runs (cai_bucket_overlap): each circle's area is proportional
    to the bucket's size in its run and the area they share to the customers in both."""
    size_a, size_b, both = row["only_a"] + row["both_runs"], row["only_b"] + row["both_runs"], row["both_runs"]
    largest = max(size_a, size_b, 1)
    r_a, r_b = math.sqrt(size_a / largest), math.sqrt(size_b / largest)  # the larger circle has radius 1
    d = _centre_distance(r_a, r_b, math.pi * both / largest)
    # each region's label at the middle of its stretch of the line through both centres (A at 0, B at d)
    regions = [(f"only run {row['run_a']}", row["only_a"], -r_a, min(d - r_b, r_a) if r_b else r_a),
               ("both", both, max(-r_a, d - r_b), min(r_a, d + r_b)),
               (f"only run {row['run_b']}", row["only_b"], max(r_a, d - r_b) if r_a else d - r_b, d + r_b)]
    regions = [(name, count, (left + right) / 2, right - left < 0.55) for name, count, left, right in regions if count]
    # labels of regions too narrow to hold them go side by side under the circles, with an arrow to their region
    cramped = [x for _, _, x, narrow in regions if narrow]
    slots = [sum(cramped) / len(cramped) + 1.1 * (k - (len(cramped) - 1) / 2) for k in range(len(cramped))]
    below = -1.35
    annotations = []
    for name, count, x, narrow in regions:
        annotations.append({"x": x, "y": 0, "xref": "x", "yref": "y", "text": f"{name}<br><b>{count:,}</b>",
                            "font": {"size": 13}, "showarrow": narrow, "arrowhead": 0, "arrowcolor": "#57606a",
                            "axref": "x", "ayref": "y", "ax": slots.pop(0) if narrow else x, "ay": below})
    circle = {"type": "circle", "xref": "x", "yref": "y", "opacity": 0.35, "line": {"width": 1}}
    shapes = [{**circle, "x0": centre - r, "x1": centre + r, "y0": -r, "y1": r, "fillcolor": color}
              for centre, r, color in ((0.0, r_a, ACCENT), (d, r_b, SECOND)) if r > 0]
    texts = [a["ax"] for a in annotations if a["showarrow"]]
    left, right = min([-r_a, d - r_b, *(x - 0.3 for x in texts)]), max([r_a, d + r_b, *(x + 0.3 for x in texts)])
    if not shapes:
        annotations.append({"x": 0, "y": 0, "text": f"nobody in '{row['bucket']}' in either run", "showarrow": False})
    return {
        "data": [{"type": "scatter", "x": [left, right], "y": [0, 0], "mode": "markers", "hoverinfo": "skip",
                  "marker": {"opacity": 0}}],
        "layout": _layout(
            f"'{row['bucket']}' in runs {row['run_a']} and {row['run_b']} (Jaccard "
            f"{'–' if row['jaccard'] is None else format(row['jaccard'], '.2f')})",
            xaxis={"visible": False, "range": [left - 0.3, right + 0.3]},
            yaxis={"visible": False, "range": [below - 0.3, 1.1], "scaleanchor": "x"},
            margin={"l": 16, "r": 16, "t": 64, "b": 16}, showlegend=False, shapes=shapes, annotations=annotations),
    }


PSI_THRESHOLDS = ((0.1, "moderate shift", CAUTION), (0.25, "major shift", BAD))  # as cai_drift flags them


def drift(rows: list[dict]) -> dict:
    """The 20 largest PSIs on an axis scaled to them. A threshold within twice the largest value is drawn as a
    dotted line; the subtitle names the lines and the thresholds beyond the scale."""
    shown = [r for r in rows if r["psi"] is not None][:20]
    largest = max((r["psi"] for r in shown), default=0.0) or 0.001
    marked = [t for t in PSI_THRESHOLDS if t[0] <= 2 * largest]
    beyond = [t for t in PSI_THRESHOLDS if t not in marked]
    notes = [f"{label}: " + ", ".join(f"{name} {value:g}" for value, name, _ in group)
             for label, group in ((f"dotted line{'s' if len(marked) > 1 else ''}", marked), ("beyond this scale", beyond))
             if group]
    flag_colors = {name: color for _, name, color in PSI_THRESHOLDS}
    layout = _layout("Population stability index (20 largest)", height=max(320, 22 * len(shown) + 130),
                     xaxis={"range": [0, max([largest * 1.15] + [t[0] * 1.08 for t in marked])], "title": {"text": "PSI"}},
                     shapes=[{"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": value, "x1": value,
                              "line": {"dash": "dot", "color": color}} for value, _, color in marked])
    layout["title"]["subtitle"] = {"text": "; ".join(notes), "font": {"size": 12, "color": "#57606a"}}
    return {
        "data": [{"type": "bar", "orientation": "h", "y": [r["measure"] for r in shown][::-1],
                  "x": [r["psi"] for r in shown][::-1],
                  "marker": {"color": [flag_colors.get(r["flag"], ACCENT) for r in shown][::-1]},
                  "hovertemplate": "%{y}: PSI %{x:.4f}<extra></extra>"}],
        "layout": layout,
    }


def segment_sizes(rows: list[dict], title: str = "Segment size over runs") -> dict:
    data = []
    for segment in sorted({r["segment"] for r in rows}):
        mine = [r for r in rows if r["segment"] == segment]
        data.append({"type": "scatter", "mode": "lines+markers", "name": segment,
                     "x": [str(r["score_date"]) for r in mine], "y": [r["members"] for r in mine]})
    return {"data": data, "layout": _layout(title, yaxis={"title": {"text": "members"}})}


def score_history(history: list[tuple], model: str) -> dict:
    return {
        "data": [{"type": "scatter", "mode": "lines+markers", "x": [str(d) for d, _run, _score, _bucket in history],
                  "y": [score for _d, _run, score, _bucket in history], "text": [b for *_, b in history],
                  "line": {"color": ACCENT}, "hovertemplate": "%{x}: score %{y} (%{text})<extra></extra>"}],
        "layout": _layout(f"{model}: score history", height=260, yaxis={"range": [0, 100], "title": {"text": "score"}}),
    }


def clv_distribution(rows: list[dict]) -> dict:
    """The bins of dash_clv_distribution on a numeric CLV axis (its ticks stay short and level, however many
    bins); the last, open bin is drawn as wide as the others and labelled with its lower bound."""
    widths = [r["upper"] - r["lower"] for r in rows if r["upper"] != float("inf")]
    step = widths[0] if widths else 1.0
    lowers = [r["lower"] for r in rows]
    uppers = [r["upper"] if r["upper"] != float("inf") else r["lower"] + step for r in rows]
    ranges = [f"{r['lower']:,.0f}+" if r["upper"] == float("inf") else f"{r['lower']:,.0f}–{r['upper']:,.0f}" for r in rows]
    return {
        "data": [{"type": "bar", "x": [(lo + up) / 2 for lo, up in zip(lowers, uppers)], "width": [up - lo for lo, up in zip(lowers, uppers)],
                  "y": [r["customers"] for r in rows], "marker": {"color": ACCENT, "line": {"color": "#fff", "width": 1}},
                  "customdata": ranges, "hovertemplate": "CLV %{customdata}: %{y:,} customers<extra></extra>"}],
        "layout": _layout("Lifetime value distribution", xaxis={"title": {"text": "CLV"}, "tickformat": ",", "rangemode": "tozero"},
                          yaxis={"title": {"text": "customers"}},
                          annotations=[{"x": (lo + up) / 2, "y": r["customers"], "yanchor": "bottom", "text": label,
                                        "showarrow": False, "font": {"size": 11}}
                                       for lo, up, r, label in zip(lowers, uppers, rows, ranges) if label.endswith("+")]),
    }


def clv_deciles(rows: list[dict]) -> dict:
    ordered = sorted(rows, key=lambda r: r["clv_decile"])
    return {
        "data": [{"type": "bar", "x": [r["clv_decile"] for r in ordered], "y": [r["share_of_clv"] for r in ordered],
                  "marker": {"color": ACCENT}, "customdata": [r["avg_clv"] for r in ordered],
                  "hovertemplate": "decile %{x}: %{y:.1%} of all CLV, average %{customdata:,.2f}<extra></extra>"}],
        "layout": _layout("Share of lifetime value by decile", xaxis={"title": {"text": "CLV decile (10 = highest)"}, "dtick": 1},
                          yaxis={"tickformat": ".0%"}),
    }
