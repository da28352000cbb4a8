"""The planner page's words and tables: settings, targets and where every number comes from.

Pure functions on a plan file and a finished :class:`~sim.experiments.planner.PlanResult`;
nothing here draws on the page or keeps state. The page is :mod:`sim.app.planner_page`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from ..experiments.planner import COST, PlanResult, shipped_comparison
from ..inputs.config import SHIPPED_CONFIGS, ConfigError, read_yaml_mapping
from ..inputs.plan import STATIONS, Constraint, Plan, SlotsVariable, StaffVariable, load_plan
from ..inputs.provenance import load_registry
from ..outputs.labels import PROVIDER_NAMES, kpi_label
from .trust import interval, quote, signed

PLANS = SHIPPED_CONFIGS / "plans"
"""Where the shipped plan files are."""
COST_WORDS = "Net recurrent cost a year"
DIARY_WORDS = MappingProxyType({diary: words.split(" (")[0] for diary, words in PROVIDER_NAMES.items()})
"""Each slot diary in a few words (``GP Care Group SDA service``)."""
STATION_WORDS = MappingProxyType(
    {
        "reception": "Reception clerks",
        "ia_nurse": "IA nurses",
        "care_navigator": "Care Navigators",
        "utc": "UTC clinicians",
        "ed": "ED cubicles",
    }
)
"""Each station's staff (or places) a ``staff`` variable sets, in words."""
VALUE_WORDS = MappingProxyType(
    {
        "slot_diaries.pcn_sda.carve_out.nhs111": "Share of PCN SDA slots held for NHS 111",
        "slot_diaries.gpcg_sda.booking_lead_min": "Minutes from booking to the first GPCG SDA slot",
    }
)
"""Value variables in words, by config path (others use the plan file's label or the path)."""
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TAGS = ("paper", "public", "assumed", "calibrated")


@dataclass(frozen=True)
class TargetChoice:
    """A target the page offers: the KPI, its sense, a bound and tolerance to start from."""

    kpi: str
    sense: str  # "at_least" or "at_most"
    bound: float
    tolerance: float
    label: str | None = None

    @property
    def words(self) -> str:
        return self.label or kpi_label(self.kpi)

    def constraint(self, bound: float) -> Constraint:
        """This target at ``bound`` (one line naming it if the bound is refused)."""
        return Constraint.model_validate(
            {"kpi": self.kpi, self.sense: bound, "tolerance": self.tolerance, "label": self.words}
        )


EXTRA_TARGETS = (
    TargetChoice("sda_no_slot_per_day", "at_most", 15.0, 1.0),
    TargetChoice("ed_within_4h_pct", "at_least", 60.0, 1.0),
    TargetChoice("ia_within_15min_pct", "at_least", 90.0, 1.0),
    TargetChoice("utc_wait_mean_min", "at_most", 60.0, 5.0),
)
"""Targets offered besides a plan file's own (off until a lead ticks them)."""


def target_choices(plan: Plan) -> list[TargetChoice]:
    """A plan file's targets, then the extra ones it does not already set."""
    own = [TargetChoice(c.kpi, c.sense, c.bound, c.slack_tolerance, c.label) for c in plan.constraints]
    seen = {(t.kpi, t.sense) for t in own}
    return own + [t for t in EXTRA_TARGETS if (t.kpi, t.sense) not in seen]


def sense_words(sense: str) -> str:
    return "at least" if sense == "at_least" else "at most"


def shipped_plans(folder: Path = PLANS) -> dict[str, tuple[Plan, Path]]:
    """The plan files in ``folder`` that read as plan files, by file name (others are scenarios they name)."""
    out = {}
    for path in sorted(folder.glob("*.yaml")):
        if "variables" not in read_yaml_mapping(path, "plan"):
            continue
        try:
            out[path.name] = load_plan(path)
        except ConfigError:
            continue
    return out


def days_words(days: list[str]) -> str:
    """``every day``, ``Monday to Friday``, ``Saturday and Sunday``, ``Monday, Wednesday``."""
    order = [["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].index(d) for d in days]
    order.sort()
    if len(order) == 7:
        return "every day"
    if len(order) > 2 and order == list(range(order[0], order[-1] + 1)):
        return f"{DAY_NAMES[order[0]]} to {DAY_NAMES[order[-1]]}"
    names = [DAY_NAMES[i] for i in order]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _hours(block) -> str:
    return f"{block[0]:02d}:00-{block[1]:02d}:00"


def variable_words(var) -> str:
    """A decision variable in words: ``GP Care Group SDA service slots 08:00-14:00 a day, Monday to Friday``."""
    if isinstance(var, SlotsVariable):
        when = f" {_hours(var.hours)}" if var.hours is not None else ""
        return f"{DIARY_WORDS[var.diary]} slots{when} a day, {days_words(var.days)}"
    if isinstance(var, StaffVariable):
        return f"{STATION_WORDS[var.station]} on duty {_hours(var.hours)}, {days_words(var.days)}"
    return var.label or VALUE_WORDS.get(var.path, var.path.replace("_", " "))


def is_whole(var) -> bool:
    return isinstance(var, (SlotsVariable, StaffVariable))


def value_words(value: float, var) -> str:
    """A variable's value as a lead reads it: whole numbers for slots and staff, a share as a per cent."""
    if is_whole(var):
        return f"{value:,.0f}"
    if "carve_out" in getattr(var, "path", "") or getattr(var, "path", "").endswith(("probability", "share")):
        return f"{100 * value:.0f}%"
    return f"{value:g}"


def setting_paths(var) -> list[str]:
    """The config paths a decision variable sets."""
    if isinstance(var, SlotsVariable):
        return [f"slot_diaries.{var.diary}.slots_per_day"]
    if isinstance(var, StaffVariable):
        return [STATIONS[var.station]]
    return [var.path]


_KEY = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z0-9_]+):(.*)$")
_TAG = re.compile(r"\[(paper|public|assumed|calibrated)\]")


def line_comment(path: Path, dotted: str) -> str | None:
    """The comment on the line of a YAML file that sets ``dotted`` (block or flow style), or ``None``.

    Reads the keys by indentation; a key in a one-line ``{...}`` mapping takes that line's comment.
    """
    want = dotted.split(".")
    stack: list[tuple[int, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _KEY.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        indent, key, rest = len(m.group(1)), m.group(2), m.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        keys = [k for _, k in stack]
        comment = rest.split(" #", 1)[1].strip() if " #" in rest else None
        if keys == want:
            return comment
        body = rest.split(" #", 1)[0].strip()
        if (
            keys == want[: len(keys)]
            and body.startswith("{")
            and re.search(rf"[{{,]\s*{re.escape(want[len(keys)])}\s*:", body)
        ):
            return comment
    return None


def _chain(scenario_file: Path) -> list[Path]:
    """The scenario file and the files it extends, nearest first."""
    out, path = [], scenario_file
    while path is not None and len(out) < 12:
        out.append(path)
        parent = read_yaml_mapping(path).get("extends")
        path = path.parent / parent if isinstance(parent, str) else None
    return out


def _sets(data: dict, dotted: str) -> bool:
    node = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(SHIPPED_CONFIGS.parent))
    except ValueError:
        return path.name


def setting_source(scenario_file: Path, dotted: str, registry=None) -> str:
    """Where a scenario's value at ``dotted`` comes from: the file that sets it, its tag and note.

    The nearest file of the ``extends`` chain that sets the value is named with its inline
    comment; a value left at ``configs/base.yaml`` takes the provenance registry's tag and note.
    """
    registry = load_registry() if registry is None else registry
    for path in _chain(scenario_file):
        if not _sets(read_yaml_mapping(path), dotted):
            continue
        comment = line_comment(path, dotted) or ""
        entry = registry.get(dotted)
        if path.name == "base.yaml" and entry is not None:
            return f"[{entry.tag}] {entry.note} ({_name(path)})".replace(" ()", "")
        tag = _TAG.search(comment)
        if tag is None and entry is not None:
            comment = f"[{entry.tag}] (tag of the default) {comment}".strip()
        return f"{comment or 'no source given'} ({_name(path)})"
    entry = registry.get(dotted)
    return f"[{entry.tag}] {entry.note}" if entry is not None else "no source given"


def bounds_source(plan_file: Path, name: str) -> str:
    """What the plan file says of a variable's bounds (its comment), or that it gives no source."""
    comment = line_comment(plan_file, f"variables.{name}")
    if comment and not _TAG.search(comment):
        header = plan_file.read_text(encoding="utf-8")
        if "Every number below is a planning choice [assumed]" in header:
            comment = f"[assumed] {comment}"
    return f"{comment or 'no source given'} ({_name(plan_file)})"


def _values_words(values: list[float], var) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return value_words(values[0], var)
    return f"{value_words(values[0], var)} to {value_words(values[-1], var)} (varies by weekday or hour)"


def settings_table(result: PlanResult, plan_file: Path, scenario_file: Path) -> pd.DataFrame:
    """Every setting the planner could change: shipped and recommended values, and where each comes from."""
    shipped = result.space.scenario_values()
    chosen = result.chosen
    registry = load_registry()
    rows = []
    for name, var in result.plan.variables.items():
        levels = result.space.levels[name]
        source = "; ".join(setting_source(scenario_file, p, registry) for p in setting_paths(var))
        row = {
            "Setting": variable_words(var),
            "Shipped": _values_words(shipped[name], var),
            "Shipped: where it comes from": source,
        }
        if chosen is not None:
            row["Recommended"] = value_words(chosen.values[name], var)
            step = levels[1] - levels[0] if len(levels) > 1 else 0
            row["Recommended: where it comes from"] = (
                f"chosen by the planner from {value_words(levels[0], var)} to {value_words(levels[-1], var)}"
                + (f" in steps of {value_words(step, var)}" if step else "")
                + f"; bounds: {bounds_source(plan_file, name)}"
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("Setting")


def _met(c: Constraint, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    short = c.shortfall(value)
    if short <= 0:
        return "yes"
    return "within tolerance" if short <= c.slack_tolerance else "no"


def targets_table(result: PlanResult) -> pd.DataFrame:
    """The cost and each target: shipped and recommended plans with 95% intervals, the paired change, the target.

    Empty if no plan was chosen or the shipped scenario was not run beside it.
    """
    table = shipped_comparison(result)
    if table.empty:
        return pd.DataFrame()
    by_kpi = table.set_index("kpi")
    constraints = {c.kpi: c for c in result.plan.constraints}
    rows = []
    for kpi in [COST, *constraints]:
        r = by_kpi.loc[kpi]
        c = constraints.get(kpi)
        words = COST_WORDS if kpi == COST else (c.label or kpi_label(kpi))
        unit = "cost_annual_gbp" if kpi == COST else kpi  # how each figure is quoted (money as GBP)
        rows.append(
            {
                "Figure": words,
                "Target": "as low as possible" if c is None else f"{sense_words(c.sense)} {c.bound:g}",
                "Shipped": quote(r["shipped_mean"], unit),
                "Shipped, 95% interval": interval(r["shipped_ci_low"], r["shipped_ci_high"], unit),
                "Recommended": quote(r["plan_mean"], unit),
                "Recommended, 95% interval": interval(r["plan_ci_low"], r["plan_ci_high"], unit),
                "Change": signed(r["difference_mean"], unit),
                "Change, 95% interval": interval(r["difference_ci_low"], r["difference_ci_high"], unit, change=True),
                "Shipped meets it?": "-" if c is None else _met(c, r["shipped_mean"]),
                "Recommended meets it?": "-" if c is None else _met(c, r["plan_mean"]),
            }
        )
    return pd.DataFrame(rows).set_index("Figure")
