"""A self-contained HTML report of the business case: one file, charts embedded as PNG.

A finance lead reads it without the code: the headline figures, the savings by
change, the reconciliation with the paper, the economic summary and switching
values, the charts, every assumption with its source, and what the model leaves out.
"""

from __future__ import annotations

import base64
import html
import math

import pandas as pd

LEFT_OUT = (
    "Capital and one-off transition costs (the paper treats 2025/26 as transitional); only recurrent annual "
    "figures are shown.",
    "Patients' own costs and time, and quality of care: the model measures waits, not outcomes.",
    "Changes in demand beyond the growth multipliers in the configs (population growth, the Digital Front Door).",
    "Out-of-hours GP and NHS 111 contract effects outside Tower Hamlets.",
    "Input uncertainty: the intervals shown are simulation noise on the same patients; run `sweep` with a "
    "sampled design for the uncertainty of the inputs.",
)

CSS = """
body { font-family: Arial, Helvetica, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; }
th { background: #ddebf7; } td.text, th.text { text-align: left; }
img { max-width: 100%; margin: 0.6em 0; border: 1px solid #eee; }
.note { color: #555; font-size: 0.9em; }
"""


def _fmt(value, column: str) -> str:
    if isinstance(value, (bool,)):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        if "gbp" in column and "pct" not in column:
            sign = "-" if value < 0 else ""
            return f"{sign}£{abs(value):,.0f}" if abs(value) >= 1000 else f"{sign}£{abs(value):,.2f}"
        if column.endswith("_pct") or "_pct_" in column:
            return f"{value:,.1f}%"
        if column in ("discount_rate", "ramp_up"):
            return f"{value:.1%}"
        if column in ("n_reps", "replications", "slots", "booked", "year", "rank", "hour"):
            return f"{value:,.0f}"
        return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
    return html.escape(str(value))


def table_html(table: pd.DataFrame, columns: list[str] | None = None) -> str:
    """A table as HTML, money as GBP, text columns left-aligned."""
    from .workbook import header_in_words

    columns = columns or list(table.columns)
    text = {c for c in columns if table[c].dtype == object}
    head = "".join(f'<th class="{"text" if c in text else ""}">{html.escape(header_in_words(c))}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"text" if c in text else ""}">{_fmt(row[c], c)}</td>' for c in columns) + "</tr>"
        for _, row in table.iterrows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def image_html(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def report_html(title: str, intro: str, sections: list[tuple[str, str]], charts: dict[str, bytes]) -> str:
    """The whole report: ``sections`` are ``(heading, html)``; ``charts`` ``{caption: png bytes}`` follow them."""
    parts = [f"<h1>{html.escape(title)}</h1>", f'<p class="note">{html.escape(intro)}</p>']
    for heading, body in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>{body}")
    parts.append("<h2>Charts</h2>")
    for caption, png in charts.items():
        parts.append(f"<h3>{html.escape(caption)}</h3>{image_html(png, caption)}")
    parts.append(
        "<h2>What the model leaves out</h2><ul>"
        + "".join(f"<li>{html.escape(item)}</li>" for item in LEFT_OUT)
        + "</ul>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>" + "\n".join(parts) + "</body></html>\n"
    )
