"""The business case as an Excel workbook: one formatted sheet per table.

Each sheet holds exactly the table written beside it as CSV (the same rows, columns
and numbers), with a bold frozen header in words, GBP number formats on money
columns and widths that fit.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

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
    words = [
        ACRONYMS.get(word.rstrip(","), word.rstrip(",")) + ("," if word.endswith(",") else "")
        for word in text.split(" ")
    ]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


ACRONYMS = {
    "gbp": "GBP",
    "kpi": "KPI",
    "npv": "NPV",
    "utc": "UTC",
    "ia": "IA",
    "ed": "ED",
    "sda": "SDA",
    "gp": "GP",
    "pcn": "PCN",
    "nhs111": "NHS 111",
}
"""Words a header spells in capitals."""


def _is_money(column: str) -> bool:
    return "gbp" in column and "pct" not in column


COUNT_COLUMNS = ("n_reps", "replications", "slots", "booked", "year", "rank", "hour", "horizon_years")
PERCENT_FORMAT = '0.0"%"'
"""Percentages held as 0-100 (``used_pct``, ``difference_pct``...)."""


def number_format(column: str, unit: str, value: float, pence: bool) -> str:
    """The Excel format of a number: GBP with separators (pence for prices under GBP 1,000), percentages
    as %, counts without decimals, shares as %, other figures to one decimal place."""
    if column in COUNT_COLUMNS:
        return "#,##0"
    if column.endswith("_pct") or "_pct_" in column or unit.strip() == "%":
        return PERCENT_FORMAT
    if column in ("discount_rate", "ramp_up") or unit == "share":
        return "0.0%"
    if _is_money(column) or ("GBP" in unit and "hours" not in unit):
        return GBP_PENCE_FORMAT if pence or (column == "value" and abs(value) < 1000) else GBP_FORMAT
    if column in ("discount_factor", "price_index"):
        return "0.0000"
    return "#,##0.0" if abs(value) >= 1 or value == 0 else "0.000"


def _cell_value(value, column: str = ""):
    """A value openpyxl can store: NaN becomes an empty cell, numpy scalars plain Python.

    In a ``value`` column (the Assumptions sheet) a number written as text is stored as a number.
    """
    if value is None:
        return None
    if column == "value" and isinstance(value, str):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def add_sheet(book: Workbook, title: str, table: pd.DataFrame, note: str | Sequence[str] = "") -> None:
    """One sheet: optional note rows (a paragraph each) above a bold frozen header in words, then the table."""
    sheet = book.create_sheet(title)
    paragraphs = [note] if isinstance(note, str) else list(note)
    paragraphs = [p for p in paragraphs if p]
    for i, paragraph in enumerate(paragraphs, start=1):
        sheet.cell(row=i, column=1, value=paragraph).font = Font(italic=True)
    start = len(paragraphs) + 1
    for j, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=start, column=j, value=header_in_words(str(column)))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    units = table["unit"].astype(str).tolist() if "unit" in table.columns else [""] * len(table)
    pence = {
        c: bool(len(table)) and pd.api.types.is_numeric_dtype(table[c]) and table[c].abs().max() < 1000
        for c in table.columns
    }
    for i, (row, unit) in enumerate(zip(table.itertuples(index=False), units), start=start + 1):
        for j, (column, value) in enumerate(zip(table.columns, row), start=1):
            cell = sheet.cell(row=i, column=j, value=_cell_value(value, str(column)))
            if isinstance(cell.value, float) or isinstance(cell.value, int) and not isinstance(cell.value, bool):
                cell.number_format = number_format(str(column), unit, cell.value, pence.get(column, False))
    columns = [str(c) for c in table.columns]
    hidden = [j for j in range(len(columns) - 1) if columns[j] in ID_COLUMNS and columns[j + 1] in WORDS_COLUMNS]
    sheet.freeze_panes = sheet.cell(row=start + 1, column=3 if 0 in hidden else 2)
    for j, column in enumerate(table.columns, start=1):
        longest = max(
            [
                len(header_in_words(str(column))) // 2 + 2,
                *(len(f"{v:,.2f}" if isinstance(v, float) else str(v)) for v in table[column].head(200)),
            ]
        )
        sheet.column_dimensions[get_column_letter(j)].width = min(max(10, longest + 2), 70)
    for j in hidden:  # the id a program reads stays in the sheet (and the CSV); the reader sees its words
        sheet.column_dimensions[get_column_letter(j + 1)].hidden = True


ID_COLUMNS = {"measure", "line", "step", "figure", "item", "option", "input", "route", "kpi"}
"""Columns of internal ids (``gross_total``, ``walk_in:ia>ed``): hidden in a sheet where the next column says them in words."""
WORDS_COLUMNS = {"label", "route_in_words"}


def workbook_bytes(sheets: list[tuple[str, pd.DataFrame, str]], live: tuple | None = None) -> bytes:
    """The workbook with one sheet per ``(title, table, note)``, as bytes of an .xlsx file.

    ``live``: ``(lines, inputs, years[, financial])`` for :func:`add_live_sheets`, placed after the first sheet.
    """
    book = Workbook()
    book.remove(book.active)
    for title, table, note in sheets:
        add_sheet(book, title, table, note)
    if live is not None:
        add_live_sheets(book, *live)
        names = ("Inputs", "Live savings", "Live economic case", "Live financial case")
        order = [book.sheetnames.index(n) for n in names if n in book.sheetnames]
        rest = [i for i in range(len(book.sheetnames)) if i not in order]
        book._sheets = [book._sheets[i] for i in (rest[:1] + order + rest[1:])]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ live sheets ----
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
"""Inputs a reader may change (the live sheets recompute from them)."""


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def add_live_sheets(
    book: Workbook,
    lines: pd.DataFrame,
    inputs: list[tuple[str, str, float, str]],
    years: int,
    financial: tuple | None = None,
) -> dict[str, str]:
    """The Assumptions-as-numbers sheet and the savings and economic sheets that compute from it by formulas.

    Parameters
    ----------
    book : Workbook
        The workbook to add three sheets to: *Inputs* (every number the formulas read, one a
        row, shaded cells to change), *Live savings* (each line's gross, net and cash saving
        and GP hours, from the simulated volumes and the inputs) and *Live economic case*
        (years 0..``years``: benefits, costs, optimism bias, discounting, NPV).
    lines : DataFrame
        One row per line of the costing table: ``line, label, basis, current_per_day,
        redesign_per_day`` (the simulated volumes, means over replications).
    inputs : list of (key, label, value, unit)
        The numbers: ``price_<line>``, ``funded_slots_<line>``, ``redesign_slots_<line>``
        (slots a year, commissioned lines), ``days_per_year``, ``gp_hours_each``, ``new_services_gbp``,
        ``discount_rate``, ``ob_costs_pct``, ``ob_benefits_pct``, ``gp_hour_value_gbp``,
        ``patient_hour_value_gbp``, ``waiting_hours_saved``, ``one_off_costs_gbp``,
        ``transition_costs_gbp``, ``ramp_<year>``; for the financial case also
        ``cost_inflation_pct``, ``price_base_year``, ``go_live_year``, ``reset_year_<event>`` and
        ``reset_share_<event>`` (the calendar year the reset's financial year starts in, and the share
        of that year after the reset date), ``cash_from_year_<line>`` and ``cash_from_share_<line>``.
    years : int
        The economic case's horizon.
    financial : (int, list of (str, dict of str to list of str)), optional
        ``(years, scenarios)`` of the financial case: each scenario's label and, for each block
        line, the contract events reset in it. If given, a fourth sheet, *Live financial case*,
        holds nominal cash by financial year 0..``years`` per scenario, by formulas.

    Returns
    -------
    dict of str to str
        Cell addresses (``'Live savings'!F20``) of the figures a test or reader checks:
        ``gross_total``, ``net_total``, ``cash_total``, ``gp_hours_total``, ``npv_total``,
        ``npv_cash_releasing``, each ``gross_<line>`` and, with ``financial``, ``cash_<scenario>_<year>``
        (scenario numbered from 0 in the given order) and ``cumulative_<scenario>_<year>``.
    """
    sheet = book.create_sheet("Inputs")
    sheet.cell(
        row=1,
        column=1,
        value="Every number the live sheets compute from. Change a shaded cell and the "
        "Live savings, Live economic case and Live financial case sheets "
        "follow.",
    ).font = Font(italic=True)
    for j, head in enumerate(("Key", "Input", "Value", "Unit"), start=1):
        cell = sheet.cell(row=2, column=j, value=head)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    where: dict[str, str] = {}
    for i, (key, label, value, unit) in enumerate(inputs, start=3):
        sheet.cell(row=i, column=1, value=key)
        sheet.cell(row=i, column=2, value=label)
        cell = sheet.cell(row=i, column=3, value=float(value))
        cell.fill = INPUT_FILL
        cell.number_format = (
            "0.0%"
            if unit == "share"
            else "0"
            if unit == "year"
            else GBP_PENCE_FORMAT
            if unit.startswith("GBP") and abs(value) < 1000
            else GBP_FORMAT
            if unit.startswith("GBP")
            else "#,##0.00"
        )
        sheet.cell(row=i, column=4, value=unit)
        where[key] = f"Inputs!$C${i}"
    sheet.freeze_panes = "A3"
    for col, width in zip("ABCD", (26, 70, 16, 22)):
        sheet.column_dimensions[col].width = width

    live = book.create_sheet("Live savings")
    title = _quoted("Live savings")
    live.cell(
        row=1,
        column=1,
        value="Each line's saving a year, computed by formula from the simulated volumes "
        "(patients a day) and the Inputs sheet. A saving is positive.",
    ).font = Font(italic=True)
    heads = (
        "Line",
        "Basis",
        "Current, a day",
        "Redesign, a day",
        "Gross saving, GBP",
        "Net saving, GBP",
        "Cash-releasing saving as contracts stand, GBP",
        "Cash-releasing saving once block contracts are reset, GBP",
        "GP hours freed a week",
    )
    for j, head in enumerate(heads, start=1):
        cell = live.cell(row=2, column=j, value=head)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    days, hours_each = where["days_per_year"], where["gp_hours_each"]
    out: dict[str, str] = {}
    first = 3
    for i, row in enumerate(lines.itertuples(index=False), start=first):
        live.cell(row=i, column=1, value=row.label)
        live.cell(row=i, column=2, value=row.basis)
        live.cell(row=i, column=3, value=float(row.current_per_day)).number_format = "#,##0.0"
        live.cell(row=i, column=4, value=float(row.redesign_per_day)).number_format = "#,##0.0"
        price = where.get(f"price_{row.line}", "0")
        change = f"(C{i}-D{i})"
        money = row.basis in ("tariff", "block", "commissioned", "fixed")
        gross = f"={change}*{days}*{price}" if money else "=0"
        if row.basis == "commissioned":
            net = f"=({where[f'funded_slots_{row.line}']}-{where[f'redesign_slots_{row.line}']})*{price}"
            cash = reset = f"=F{i}"
        else:
            net = f"=E{i}"
            cash = f"=E{i}" if row.basis == "tariff" else "=0"  # a block or fixed line is paid as today
            reset = f"=E{i}" if row.basis in ("tariff", "block") else "=0"  # the block reset to the new activity
        hours = f"={change}*7*{hours_each}" if row.basis == "capitation" else "=0"
        for j, formula in zip(range(5, 10), (gross, net, cash, reset, hours)):
            cell = live.cell(row=i, column=j, value=formula)
            cell.number_format = GBP_FORMAT if j < 9 else "#,##0.0"
        out[f"gross_{row.line}"] = f"{title}!E{i}"
    last = first + len(lines) - 1
    services = last + 1
    live.cell(row=services, column=1, value="New services (Care Navigator, extra IA nurse time, PCN pilots, estates)")
    live.cell(row=services, column=2, value="new services")
    live.cell(row=services, column=5, value="=0").number_format = GBP_FORMAT
    live.cell(row=services, column=6, value=f"=-{where['new_services_gbp']}").number_format = GBP_FORMAT
    live.cell(row=services, column=7, value=f"=-{where['new_services_gbp']}").number_format = GBP_FORMAT
    live.cell(row=services, column=8, value=f"=-{where['new_services_gbp']}").number_format = GBP_FORMAT
    live.cell(row=services, column=9, value="=0").number_format = "#,##0.0"
    total = services + 1
    live.cell(row=total, column=1, value="Total").font = Font(bold=True)
    for j, letter in zip(range(5, 10), "EFGHI"):
        cell = live.cell(row=total, column=j, value=f"=SUM({letter}{first}:{letter}{services})")
        cell.number_format = GBP_FORMAT if j < 9 else "#,##0.0"
        cell.font = Font(bold=True)
    note = total + 2
    live.cell(
        row=note,
        column=1,
        value="A block contract (the UTC) is paid as today until it is reset to the new "
        "activity: column H is a steady year after that. When the "
        "reset happens is an input of the Live financial case (the reset's year and "
        "share of it on the Inputs sheet).",
    ).font = Font(italic=True)
    out.update(
        gross_total=f"{title}!E{total}",
        net_total=f"{title}!F{total}",
        cash_total=f"{title}!G{total}",
        cash_after_reset_total=f"{title}!H{total}",
        gp_hours_total=f"{title}!I{total}",
    )
    commissioned = [first + k for k, b in enumerate(lines["basis"]) if b == "commissioned"]
    live.freeze_panes = "C3"
    for col, width in zip("ABCDEFGHI", (48, 14, 12, 12, 18, 18, 18, 18, 14)):
        live.column_dimensions[col].width = width

    econ = book.create_sheet("Live economic case")
    etitle = _quoted("Live economic case")
    econ.cell(
        row=1,
        column=1,
        value="Green Book economic case in real terms, computed by formula from Live savings and the Inputs sheet.",
    ).font = Font(italic=True)
    net_commissioned = "+".join(f"{title}!F{r}" for r in commissioned) or "0"
    items = [
        (
            "Activity avoided at unit cost a year, before optimism bias",
            f"={title}!F{total}-({net_commissioned})-{title}!F{services}",
        ),
        ("Benefits after optimism bias", f"=B3*(1-{where['ob_benefits_pct']}/100)"),
        (
            "New SDA slots and new services a year, before optimism bias",
            f"=-(({net_commissioned})+{title}!F{services})",
        ),
        ("Costs after optimism bias", f"=B5*(1+{where['ob_costs_pct']}/100)"),
        ("GP time freed a year (non-cash)", f"={title}!I{total}*52*{where['gp_hour_value_gbp']}"),
        ("Waiting time saved a year (non-cash)", f"={where['waiting_hours_saved']}*{where['patient_hour_value_gbp']}"),
        (
            "Set-up costs in year 0 after optimism bias",
            f"=({where['one_off_costs_gbp']}+{where['transition_costs_gbp']})*(1+{where['ob_costs_pct']}/100)",
        ),
    ]
    for i, (label, formula) in enumerate(items, start=3):
        econ.cell(row=i, column=1, value=label)
        econ.cell(row=i, column=2, value=formula).number_format = GBP_FORMAT
    head_row = 3 + len(items) + 1
    heads = (
        "Year",
        "Ramp-up",
        "Discount factor",
        "Benefits, GBP",
        "Costs, GBP",
        "Non-cash benefits, GBP",
        "Present value, GBP",
        "Present value without non-cash benefits, GBP",
    )
    for j, head in enumerate(heads, start=1):
        cell = econ.cell(row=head_row, column=j, value=head)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for year in range(years + 1):
        r = head_row + 1 + year
        econ.cell(row=r, column=1, value=year)
        econ.cell(row=r, column=2, value=f"={where[f'ramp_{year}']}" if year else "=0").number_format = "0%"
        econ.cell(row=r, column=3, value=f"=1/(1+{where['discount_rate']})^A{r}").number_format = "0.0000"
        econ.cell(row=r, column=4, value=f"=B{r}*$B$4").number_format = GBP_FORMAT
        econ.cell(row=r, column=5, value="=$B$9" if year == 0 else "=$B$6").number_format = GBP_FORMAT
        econ.cell(row=r, column=6, value=f"=B{r}*($B$7+$B$8)").number_format = GBP_FORMAT
        econ.cell(row=r, column=7, value=f"=(D{r}-E{r}+F{r})*C{r}").number_format = GBP_FORMAT
        econ.cell(row=r, column=8, value=f"=(D{r}-E{r})*C{r}").number_format = GBP_FORMAT
    end = head_row + 1 + years
    r = end + 1
    econ.cell(row=r, column=1, value="Net present value").font = Font(bold=True)
    econ.cell(row=r, column=7, value=f"=SUM(G{head_row + 1}:G{end})").number_format = GBP_FORMAT
    econ.cell(row=r, column=8, value=f"=SUM(H{head_row + 1}:H{end})").number_format = GBP_FORMAT
    out.update(npv_total=f"{etitle}!G{r}", npv_cash_releasing=f"{etitle}!H{r}")
    econ.column_dimensions["A"].width = 58
    for col in "BCDEFGH":
        econ.column_dimensions[col].width = 18
    if financial is not None:
        rows = {row.line: first + k for k, row in enumerate(lines.itertuples(index=False))}
        out.update(add_live_financial_sheet(book, lines, rows, services, where, *financial))
    return out


def _share_from(where: dict[str, str], year_key: str, share_key: str, starts: str) -> str:
    """Share of the year starting in calendar year ``starts`` on or after a date given as (year, share)."""
    return f"IF({starts}>{where[year_key]},1,IF({starts}={where[year_key]},{where[share_key]},0))"


def add_live_financial_sheet(
    book: Workbook,
    lines: pd.DataFrame,
    rows: dict[str, int],
    services: int,
    where: dict[str, str],
    years: int,
    scenarios: list[tuple[str, dict[str, list[str]]]],
) -> dict[str, str]:
    """The financial case (nominal cash by financial year, per scenario) by formulas from the live sheets.

    Each money line's annual cash at today's prices comes from *Live savings* (a tariff line's
    cash, a block line's gross saving once its contract is reset, a commissioned line's cash,
    the new services); it is raised by the ramp-up share (activity lines only), the share of the
    year after the line's date (a tariff line's cash-from date, a block line's reset) and the
    price index ``(1 + cost inflation) ^ (year start - price base year)``. Year 0 carries the
    one-off and transition costs. ``rows``: each line's row on *Live savings*; ``services``: the
    new services' row there. Returns the cells of each year's cash and cumulative cash.
    """
    sheet = book.create_sheet("Live financial case")
    title, savings = _quoted("Live financial case"), _quoted("Live savings")
    sheet.cell(
        row=1,
        column=1,
        value="Nominal cash by financial year, not discounted, computed by formula from Live "
        "savings and the Inputs sheet (ramp-up, cost inflation, one-off and transition "
        "costs, the UTC block reset's year). Positive = cash released; negative = new "
        "spend.",
    ).font = Font(italic=True)
    basis = dict(zip(lines["line"], lines["basis"], strict=True))
    label = dict(zip(lines["line"], lines["label"], strict=True))
    money = [n for group in ("tariff", "block", "commissioned") for n in lines["line"] if basis[n] == group]
    heads = [
        "Scenario",
        "Year",
        "Year starts in",
        "Ramp-up",
        "Price index",
        *(f"{label[n]}, GBP" for n in money),
        "New services, GBP",
        "Set-up, GBP",
        "Cash, GBP",
        "Cumulative cash, GBP",
    ]
    for j, head in enumerate(heads, start=1):
        cell = sheet.cell(row=2, column=j, value=head)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    go_live, base = where["go_live_year"], where["price_base_year"]
    inflation = where["cost_inflation_pct"]
    set_up = f"({where['one_off_costs_gbp']}+{where['transition_costs_gbp']})"
    col = {name: get_column_letter(6 + k) for k, name in enumerate(money)}
    services_col, set_up_col = get_column_letter(6 + len(money)), get_column_letter(7 + len(money))
    cash_col, cumulative_col = get_column_letter(8 + len(money)), get_column_letter(9 + len(money))
    out: dict[str, str] = {}
    r = 3
    for s, (scenario, resets) in enumerate(scenarios):
        for year in range(years + 1):
            sheet.cell(row=r, column=1, value=scenario)
            sheet.cell(row=r, column=2, value=year)
            sheet.cell(row=r, column=3, value=f"={go_live}+B{r}-1").number_format = "0"
            sheet.cell(row=r, column=4, value=f"={where[f'ramp_{year}']}" if year else "=0").number_format = "0%"
            sheet.cell(row=r, column=5, value=f"=(1+{inflation}/100)^(C{r}-{base})").number_format = "0.0000"
            for name in money:
                source = rows[name]
                if not year:
                    formula = "=0"
                elif basis[name] == "commissioned":  # slots are paid in full from go-live, used or not
                    formula = f"={savings}!G{source}*E{r}"
                elif basis[name] == "tariff":
                    share = (
                        _share_from(where, f"cash_from_year_{name}", f"cash_from_share_{name}", f"C{r}")
                        if f"cash_from_year_{name}" in where
                        else "1"
                    )
                    formula = f"={savings}!G{source}*{share}*D{r}*E{r}"
                else:  # block: the gross saving once the contract is reset to the new activity
                    events = resets.get(name, [])
                    shares = [_share_from(where, f"reset_year_{e}", f"reset_share_{e}", f"C{r}") for e in events]
                    share = f"MAX({','.join(shares)},0)" if shares else "0"
                    formula = f"={savings}!E{source}*{share}*D{r}*E{r}"
                sheet.cell(row=r, column=6 + money.index(name), value=formula).number_format = GBP_FORMAT
            sheet[f"{services_col}{r}"] = f"={savings}!G{services}*E{r}" if year else "=0"
            sheet[f"{set_up_col}{r}"] = "=0" if year else f"=-{set_up}*E{r}"
            span = f"{col[money[0]] if money else services_col}{r}:{set_up_col}{r}"
            sheet[f"{cash_col}{r}"] = f"=SUM({span})"
            sheet[f"{cumulative_col}{r}"] = f"={cash_col}{r}" if not year else f"={cumulative_col}{r - 1}+{cash_col}{r}"
            for letter in (services_col, set_up_col, cash_col, cumulative_col):
                sheet[f"{letter}{r}"].number_format = GBP_FORMAT
            out[f"cash_{s}_{year}"] = f"{title}!{cash_col}{r}"
            out[f"cumulative_{s}_{year}"] = f"{title}!{cumulative_col}{r}"
            r += 1
    sheet.freeze_panes = "C3"
    sheet.column_dimensions["A"].width = 40
    for j in range(2, len(heads) + 1):
        sheet.column_dimensions[get_column_letter(j)].width = 16 if j > 5 else 11
    return out
