"""The business case as an Excel workbook: one formatted sheet per table.

Each sheet holds exactly the table written beside it as CSV (the same rows, columns
and numbers), with a bold frozen header in words, GBP number formats on money
columns and widths that fit.
"""

from __future__ import annotations

import io
import math
import re

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

GBP_FORMAT = '"£"#,##0;[Red]-"£"#,##0'
GBP_PENCE_FORMAT = '"£"#,##0.00;[Red]-"£"#,##0.00'
NUMBER_FORMAT = "#,##0.00"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

WORDS = (
    ("_gbp", ", GBP"),
    ("_pct", ", %"),
    ("n_reps", "replications"),
)


def header_in_words(column: str) -> str:
    """A column name as a header a finance reader reads (``net_saving_ci_low_gbp`` -> ``net saving 95% CI low, GBP``)."""
    text = re.sub(r"(^|_)ci_(low|high)", r" 95% CI \2", column)
    for code, words in WORDS:
        text = text.replace(code, words)
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _is_money(column: str) -> bool:
    return "gbp" in column and "pct" not in column


def _cell_value(value):
    """A value openpyxl can store: NaN becomes an empty cell, numpy scalars plain Python."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def add_sheet(book: Workbook, title: str, table: pd.DataFrame, note: str = "") -> None:
    """One sheet: an optional note row above a bold frozen header in words, then the table."""
    sheet = book.create_sheet(title)
    start = 1
    if note:
        sheet.cell(row=1, column=1, value=note).font = Font(italic=True)
        start = 2
    for j, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=start, column=j, value=header_in_words(str(column)))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    units = table["unit"].astype(str).tolist() if "unit" in table.columns else [""] * len(table)
    for i, (row, unit) in enumerate(zip(table.itertuples(index=False), units), start=start + 1):
        for j, (column, value) in enumerate(zip(table.columns, row), start=1):
            cell = sheet.cell(row=i, column=j, value=_cell_value(value))
            if isinstance(cell.value, float) or isinstance(cell.value, int) and not isinstance(cell.value, bool):
                if _is_money(str(column)) or ("GBP" in unit and column != "n_reps" and "pct" not in column):
                    small = table[column].abs().max() < 1000 if len(table) else False
                    cell.number_format = GBP_PENCE_FORMAT if small else GBP_FORMAT
                else:
                    cell.number_format = NUMBER_FORMAT
    sheet.freeze_panes = sheet.cell(row=start + 1, column=2)
    for j, column in enumerate(table.columns, start=1):
        longest = max([len(header_in_words(str(column))) // 2 + 2,
                       *(len(f"{v:,.2f}" if isinstance(v, float) else str(v)) for v in table[column].head(200))])
        sheet.column_dimensions[get_column_letter(j)].width = min(max(10, longest + 2), 70)


def workbook_bytes(sheets: list[tuple[str, pd.DataFrame, str]]) -> bytes:
    """The workbook with one sheet per ``(title, table, note)``, as bytes of an .xlsx file."""
    book = Workbook()
    book.remove(book.active)
    for title, table, note in sheets:
        add_sheet(book, title, table, note)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
