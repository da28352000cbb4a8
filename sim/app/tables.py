"""A table in words that stays readable at phone width: columns on a laptop, stacked on a phone.

``st.table`` keeps every column side by side, so at 390 px a comparison of four
scenarios is cut. :func:`stacked_table` writes the same table as plain HTML with a
stylesheet: wide windows see columns whose text wraps; below ``NARROW_PX`` each row
becomes a block headed by its row name, one line per column, named by the column.
Pure functions; nothing here draws or keeps state.
"""

from __future__ import annotations

import html

import pandas as pd

NARROW_PX = 640
"""Below this window width the table's rows are stacked (a phone; Streamlit folds its sidebar away there too)."""
CSS_CLASS = "stacked-table"

STYLE = f"""
<style>
table.{CSS_CLASS} {{border-collapse: collapse; width: 100%; table-layout: auto; font-size: 0.9rem}}
table.{CSS_CLASS} th, table.{CSS_CLASS} td {{border-bottom: 1px solid rgba(128, 128, 128, 0.3);
  padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere}}
table.{CSS_CLASS} thead th {{font-weight: 600}}
table.{CSS_CLASS} tbody th {{font-weight: 600; min-width: 9rem}}
@media (max-width: {NARROW_PX}px) {{
  table.{CSS_CLASS} thead {{display: none}}
  table.{CSS_CLASS}, table.{CSS_CLASS} tbody, table.{CSS_CLASS} tr {{display: block; width: 100%}}
  table.{CSS_CLASS} tr {{border-bottom: 2px solid rgba(128, 128, 128, 0.5); padding: 0.3rem 0}}
  table.{CSS_CLASS} tbody th, table.{CSS_CLASS} td {{display: block; border: 0; padding: 0.1rem 0.25rem;
    min-width: 0}}
  table.{CSS_CLASS} td:empty {{display: none}}
  table.{CSS_CLASS} td::before {{content: attr(data-label) ": "; font-weight: 600}}
}}
</style>
"""


def stacked_table(table: pd.DataFrame) -> str:
    """The table as HTML: a header row of column names, one row per index entry (named in a row header).

    Every cell carries its column's name (``data-label``), which the narrow layout shows before it.
    Text is escaped; an empty or missing cell is left empty (and hidden when stacked).
    """
    corner = html.escape(str(table.index.name or ""))
    head = f"<th scope='col'>{corner}</th>" + "".join(
        f"<th scope='col'>{html.escape(str(c))}</th>" for c in table.columns
    )
    rows = []
    for name, row in table.iterrows():
        cells = "".join(
            f"<td data-label='{html.escape(str(c), quote=True)}'>{'' if pd.isna(v) else html.escape(str(v))}</td>"
            for c, v in row.items()
        )
        rows.append(f"<tr><th scope='row'>{html.escape(str(name))}</th>{cells}</tr>")
    return f"{STYLE}<table class='{CSS_CLASS}'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def read_stacked_table(text: str) -> pd.DataFrame:
    """The table :func:`stacked_table` wrote, read back (for tests and checks): text cells, index named."""
    body = text.split("<thead>", 1)[1]
    head, rows = body.split("</thead>", 1)
    names = [html.unescape(h.split(">", 1)[1].split("</th>", 1)[0]) for h in head.split("<th ")[1:]]
    data, index = [], []
    for tr in rows.split("<tr>")[1:]:
        index.append(html.unescape(tr.split("<th scope='row'>", 1)[1].split("</th>", 1)[0]))
        data.append([html.unescape(td.split(">", 1)[1].split("</td>", 1)[0]) for td in tr.split("<td ")[1:]])
    out = pd.DataFrame(data, index=index, columns=names[1:])
    out.index.name = names[0] or None
    return out
