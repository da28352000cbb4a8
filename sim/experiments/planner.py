"""Capacity planner: the cheapest slots and staffing that meet the KPI targets, by simulation optimisation.

Two stages, on common random numbers (replication *r* of every plan sees the
same patients, so plans are compared pair by pair):

1. **Search.** Optuna's TPE sampler, told each plan's constraint shortfalls
   (``constraints_func``), tries plans on few replications each. The study is
   kept in SQLite, so an interrupted search resumes where it stopped.
2. **Selection.** The best plans of the search enter a fully sequential
   ranking-and-selection procedure: the feasibility check of Batur and Kim
   (2010) on every KPI target, with tolerance, combined (as in Andradottir and
   Kim, 2010) with KN++ (Kim and Nelson, 2006) on the net recurrent cost, on
   paired differences. Replications are added to the surviving plans until
   one plan declared to meet every target beats all the others, or none is
   left. With probability at least ``confidence`` the chosen plan then meets
   the targets (up to each target's tolerance) and is the cheapest such plan
   among the candidates (up to ``cost_indifference_gbp``).

Today's pathway (the plan file's ``baseline``) is run once, on the same
replications, and reused for every plan: for the comparison and for any
block contract whose value it sets.

Every replication the planner runs counts against one budget (``--budget``).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..analysis.business_case import Arm, implementation_cost
from ..analysis.costs import line_savings
from ..inputs.business_case import BusinessCase, load_business_case
from ..inputs.calendar import expand_weekly
from ..inputs.config import Config, ConfigError, load_config, validate_config
from ..inputs.parameters import ParameterSpace
from ..inputs.plan import (
    STATIONS,
    Constraint,
    Plan,
    SlotsVariable,
    StaffVariable,
    ValueVariable,
)
from .evaluate import evaluate
from .executors import Executor, SerialExecutor
from .store import SessionStore

DAYS_PER_YEAR = 365.0
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7.0
COST = "net_recurrent_cost_gbp"
"""Column of the per-replication tables holding the objective."""
BASELINE = "baseline"
"""Key of today's pathway among the evaluated configs."""
SHIPPED = "shipped"
"""Key of the planned scenario as shipped (its own slots and staffing), for the comparison with the chosen plan."""


# ------------------------------------------------------------ the plan space ----
def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` whole units shared in proportion to ``weights`` (largest remainders)."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(weights.size, dtype=np.int64)
    quota = total * weights / weights.sum()
    out = np.floor(quota).astype(np.int64)
    left = total - int(out.sum())
    order = np.argsort(-(quota - out), kind="stable")
    out[order[:left]] += 1
    return out


def _session_share(diary) -> np.ndarray:
    """How much of each clock hour lies in a diary's session (0..1)."""
    hours = np.arange(24)
    return np.clip(np.minimum(hours + 1, diary.session_end_hour) - np.maximum(hours, diary.session_start_hour), 0, 1)


def _slot_grid(diary) -> np.ndarray:
    """The diary's slots by weekday and clock hour (7 x 24 whole numbers), as the scenario has them."""
    if diary.hour_weights is not None:
        weights = expand_weekly(diary.hour_weights).reshape(7, 24)
    else:
        weights = np.tile(_session_share(diary), (7, 1))
    return np.stack([_largest_remainder(n, weights[d]) for d, n in enumerate(diary.slots_per_day)])


def _get(data: Any, dotted: str) -> Any:
    node = data
    for key in dotted.split("."):
        node = node[key]
    return node


class PlanSpace:
    """The plans a plan file allows, and the scenario config of each.

    Parameters
    ----------
    plan : Plan
        The plan file.
    scenario : Config
        The scenario whose capacity is planned (run settings already applied).

    Raises
    ------
    ConfigError
        A variable the scenario cannot take (a diary hour outside its session, a
        path that is not a number, a bound the config refuses), in one line.
    """

    def __init__(self, plan: Plan, scenario: Config):
        self.plan = plan
        self.scenario = scenario
        self.names = list(plan.variables)
        self.levels = {name: var.levels() for name, var in plan.variables.items()}
        data = scenario.model_dump()
        for name, var in plan.variables.items():
            where = f"plan variables.{name}"
            if isinstance(var, SlotsVariable) and var.hours is not None:
                diary = getattr(scenario.slot_diaries, var.diary)
                share = _session_share(diary)
                outside = [h for h in range(*var.hours) if share[h] <= 0]
                if outside:
                    raise ConfigError(
                        f"{where}.hours = {var.hours}: {outside[0]:02d}:00 lies outside the {var.diary} session "
                        f"{diary.session_start_hour:g}-{diary.session_end_hour:g}"
                    )
            if isinstance(var, ValueVariable):
                try:
                    current = _get(data, var.path)
                except (KeyError, TypeError):
                    raise ConfigError(f"{where}.path = {var.path!r}: no such field in the scenario") from None
                if isinstance(current, bool) or not isinstance(current, (int, float)):
                    raise ConfigError(
                        f"{where}.path = {var.path!r}: not a number in the scenario (it is {type(current).__name__})"
                    )
        for name in self.names:  # every bound must give a valid config
            for value in (self.levels[name][0], self.levels[name][-1]):
                self.config({**self.default(), name: value})

    def default(self) -> dict[str, Any]:
        """The lowest level of every variable."""
        return {name: self.levels[name][0] for name in self.names}

    def size(self) -> int:
        return math.prod(len(v) for v in self.levels.values())

    def key(self, values: Mapping[str, Any]) -> str:
        """A short stable name of a plan, from its values."""
        text = json.dumps({n: values[n] for n in self.names}, sort_keys=True)
        return "plan-" + hashlib.sha256(text.encode()).hexdigest()[:10]

    def all_plans(self) -> list[dict[str, Any]]:
        """Every plan of the space (for exhaustive checks on small spaces)."""
        out = [{}]
        for name in self.names:
            out = [{**p, name: v} for p in out for v in self.levels[name]]
        return out

    def design(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A plan as a design for :func:`sim.experiments.evaluate.evaluate`: the config values it sets, by path.

        A diary with slots set by hour block is given whole (slots a day and hour
        weights, 7 x 24); a rota whole (7 x 24); any other value as it is.
        """
        design: dict[str, Any] = {}
        grids: dict[str, np.ndarray] = {}
        days_of: dict[str, list[int]] = {}
        for var_name in self.names:
            var, value = self.plan.variables[var_name], values[var_name]
            if isinstance(var, SlotsVariable):
                diary = getattr(self.scenario.slot_diaries, var.diary)
                share = _session_share(diary)
                if (
                    var.hours is None
                    and var.diary not in grids
                    and not any(
                        isinstance(v, SlotsVariable) and v.diary == var.diary and v.hours is not None
                        for v in self.plan.variables.values()
                    )
                ):
                    days = days_of.setdefault(var.diary, list(diary.slots_per_day))
                    for d in var.day_numbers():
                        days[d] = int(value)
                    continue
                grid = grids.setdefault(var.diary, _slot_grid(diary))
                for d in var.day_numbers():
                    if var.hours is None:
                        grid[d] = _largest_remainder(int(value), grid[d] if grid[d].sum() else share)
                    else:
                        block = np.zeros(24)
                        block[var.hours[0] : var.hours[1]] = 1.0
                        block *= share > 0
                        grid[d, var.hours[0] : var.hours[1]] = _largest_remainder(int(value), block)[
                            var.hours[0] : var.hours[1]
                        ]
            elif isinstance(var, StaffVariable):
                path = STATIONS[var.station]
                if path not in design:
                    block, rota_key = path.split(".")
                    design[path] = expand_weekly(getattr(getattr(self.scenario, block), rota_key)).reshape(7, 24)
                for d in var.day_numbers():
                    design[path][d, var.hours[0] : var.hours[1]] = int(value)
            else:
                current = _get(self.scenario.model_dump(), var.path)
                whole = isinstance(current, int) and float(value).is_integer()
                design[var.path] = int(value) if whole else float(value)
        for diary_name, days in days_of.items():
            design[f"slot_diaries.{diary_name}.slots_per_day"] = days
        for diary_name, grid in grids.items():
            design[f"slot_diaries.{diary_name}.slots_per_day"] = [int(n) for n in grid.sum(axis=1)]
            design[f"slot_diaries.{diary_name}.hour_weights"] = [[float(x) for x in row] for row in grid]
        for station_path in STATIONS.values():
            if station_path in design:
                design[station_path] = [[int(x) for x in row] for row in design[station_path]]
        return design

    def config(self, values: Mapping[str, Any], name: str | None = None) -> Config:
        """The scenario with a plan's values set, validated like any config (what :meth:`design` runs)."""
        shown = ", ".join(f"{n} = {values[n]:g}" for n in self.names)
        cfg = ParameterSpace([]).apply(self.scenario, self.design(values), source=f"plan {self.plan.name} ({shown})")
        return cfg.model_copy(update={"name": name or self.key(values), "description": f"{self.plan.name}: {shown}"})

    def scenario_values(self) -> dict[str, list[float]]:
        """What each decision variable is in the scenario as shipped: its distinct values, lowest first.

        A slots variable with an hour block gives the slots the scenario's diary has in that
        block on each of its days (the diary's own spread over the session); a staff variable
        the staff on duty in each hour of its block; a value variable the number at its path.
        One value means the scenario sets the variable uniformly, several that it varies
        (by weekday or hour) where the plan would set one value.
        """
        out: dict[str, list[float]] = {}
        data = self.scenario.model_dump()
        for name, var in self.plan.variables.items():
            if isinstance(var, SlotsVariable):
                grid = _slot_grid(getattr(self.scenario.slot_diaries, var.diary))
                lo, hi = var.hours if var.hours is not None else (0, 24)
                found = [float(grid[d, lo:hi].sum()) for d in var.day_numbers()]
            elif isinstance(var, StaffVariable):
                block, rota_key = STATIONS[var.station].split(".")
                rota = expand_weekly(getattr(getattr(self.scenario, block), rota_key)).reshape(7, 24)
                found = [float(x) for d in var.day_numbers() for x in rota[d, var.hours[0] : var.hours[1]]]
            else:
                found = [float(_get(data, var.path))]
            out[name] = sorted(set(found))
        return out

    def staff_hours_per_week(self, cfg: Config) -> dict[str, float]:
        """Staff hours a week at each station of a config's rotas."""
        out = {}
        for station, path in STATIONS.items():
            block, rota_key = path.split(".")
            out[station] = float(expand_weekly(getattr(getattr(cfg, block), rota_key)).sum())
        return out


# ------------------------------------------------------------- the objective ----
def net_recurrent_cost(
    summary: pd.DataFrame,
    cfg: Config,
    baseline_summary: pd.DataFrame,
    baseline_cfg: Config,
    case: BusinessCase,
    new_services: bool,
    extra_staff_cost_gbp: float,
) -> pd.Series:
    """A scenario's net recurrent cost a year, GBP, per replication: THE planner's objective.

    What is paid a year on every line of the costing table (``configs/costing.yaml``,
    through :func:`sim.analysis.costs.line_savings`: a tariff line its activity, a
    commissioned SDA line its commissioned slots whether used or not, a block or fixed
    line today's value, taken from today's pathway on the same replication; GP time is
    not money), plus the redesign's new services when ``new_services``, plus
    ``extra_staff_cost_gbp`` (staff hours a plan adds to, or removes from, the
    scenario's rota). One function, so the costing basis is wired in one place.
    """
    costing = case.costing
    paid = line_savings(
        Arm(baseline_summary, baseline_cfg).lines(costing),
        Arm(summary, cfg).lines(costing),
        costing,
        new_services_gbp=implementation_cost(case) if new_services else 0.0,
    )
    total = paid[[f"scenario_paid_{line}" for line in [*costing.lines, "implementation"]]].sum(axis=1)
    return (total + extra_staff_cost_gbp).rename(COST)


# ------------------------------------------------------------- evaluations ----
def _kpis(row: pd.Series) -> dict[str, float]:
    """One replication's KPIs from a row of :func:`evaluate`'s table."""
    return {k: float(v) for k, v in row.items() if k != "replication"}


@dataclass
class Evaluated:
    """One plan (or today's pathway): its values, config and per-replication results so far."""

    key: str
    values: dict[str, Any]
    cfg: Config
    rows: dict[int, dict[str, float]] = field(default_factory=dict)
    stage: str = "search"
    trial: int | None = None
    order: int = 0


class Evaluator:
    """Runs replications of plans and of today's pathway, keeps them, and counts the budget.

    Parameters
    ----------
    space : PlanSpace
    baseline : Config
        Today's pathway (run settings applied).
    case : BusinessCase
    executor : Executor
    budget : int
        Most replications to run (plans and today's pathway together).
    checkpoints : CheckpointFolder or None
        Where finished replications are kept (resume).
    progress : tqdm or None
        The overall bar (one tick a replication).
    on_progress : callable or None
        ``on_progress(spent, budget)`` after every round of replications (the app's progress bar).
    """

    def __init__(
        self,
        space: PlanSpace,
        baseline: Config,
        case: BusinessCase,
        executor: Executor,
        budget: int,
        checkpoints=None,
        progress=None,
        on_progress: Callable[[int, int], None] | None = None,
    ):
        self.space, self.baseline, self.case = space, baseline, case
        self.executor, self.budget, self.checkpoints, self.bar = executor, budget, checkpoints, progress
        self.on_progress = on_progress
        self.spent = 0
        self.plans: dict[str, Evaluated] = {}
        self.references: dict[str, Evaluated] = {}
        """Configs run for comparison only (the scenario as shipped), never candidates."""
        self.base = Evaluated(BASELINE, {}, baseline, stage="baseline")
        # replications already run are kept here (on disk with checkpoints, else in memory) and come
        # back from it when a later round asks for replications 0..n-1 again
        self.store = checkpoints if checkpoints is not None else SessionStore()
        staff = space.staff_hours_per_week(space.scenario)
        self._scenario_staff = staff
        self._new_services = any(space.scenario.changes.model_dump().values())

    def plan(self, values: Mapping[str, Any]) -> Evaluated:
        """The record of a plan (made, not run, on first sight)."""
        key = self.space.key(values)
        if key not in self.plans:
            cfg = self.space.config(values, key)
            self.plans[key] = Evaluated(key, dict(values), cfg, order=len(self.plans))
        return self.plans[key]

    def cost_to_run(self, wanted: Mapping[str, int]) -> int:
        """Replications that ``run(wanted)`` would add (today's pathway included)."""
        need = {k: n for k, n in wanted.items()}
        top = max(need.values(), default=0)
        need[BASELINE] = max(need.get(BASELINE, 0), top)
        return sum(max(0, n - len(self._record(k).rows)) for k, n in need.items())

    def _record(self, key: str) -> Evaluated:
        if key == BASELINE:
            return self.base
        return self.plans[key] if key in self.plans else self.references[key]

    def shipped(self) -> Evaluated:
        """The record of the planned scenario as shipped (its own slots and staffing), made on first sight."""
        if SHIPPED not in self.references:
            self.references[SHIPPED] = Evaluated(
                SHIPPED, self.space.scenario_values(), self.space.scenario, stage="shipped", order=-1
            )
        return self.references[SHIPPED]

    def run(self, wanted: Mapping[str, int]) -> None:
        """Make sure replications ``0..n-1`` of each plan ``key: n`` (and of today's pathway) are done.

        Every replication runs through :func:`sim.experiments.evaluate.evaluate`, on common random
        numbers: replication *r* of every plan and of today's pathway sees the same patients.
        """
        need = dict(wanted)
        need[BASELINE] = max(need.get(BASELINE, 0), max(need.values(), default=0))
        adds = self.cost_to_run(need)
        if adds == 0:
            return
        base_n = need.pop(BASELINE)
        if base_n > len(self.base.rows):
            frame = evaluate(self.baseline, [{}], base_n, executor=self.executor, store=self.store, progress=False)
            fresh = frame[~frame["replication"].isin(list(self.base.rows))].drop(columns="design")
            cost = net_recurrent_cost(
                fresh, self.baseline, fresh, self.baseline, self.case, new_services=False, extra_staff_cost_gbp=0.0
            )
            for (_, row), c in zip(fresh.iterrows(), cost.to_numpy()):
                self.base.rows[int(row["replication"])] = {**_kpis(row), COST: float(c)}
        by_n: dict[int, list[str]] = {}
        for key, n in need.items():
            if n > len(self._record(key).rows):
                by_n.setdefault(n, []).append(key)
        for n, keys in sorted(by_n.items()):
            # a reference (the scenario as shipped) is the scenario itself: the empty design
            designs = [{} if key in self.references else self.space.design(self.plans[key].values) for key in keys]
            frame = evaluate(self.space.scenario, designs, n, executor=self.executor, store=self.store, progress=False)
            for i, key in enumerate(keys):
                record = self._record(key)
                fresh = frame[(frame["design"] == i) & ~frame["replication"].isin(list(record.rows))]
                fresh = fresh.drop(columns="design").dropna(axis=1, how="all")
                cost = self._cost(fresh, record.cfg)
                for (_, row), c in zip(fresh.iterrows(), cost.to_numpy()):
                    record.rows[int(row["replication"])] = {**_kpis(row), COST: float(c)}
        self.spent += adds
        if self.bar is not None:
            self.bar.update(adds)
        if self.on_progress is not None:
            self.on_progress(self.spent, self.budget)

    def _base_frame(self, reps) -> pd.DataFrame:
        return pd.DataFrame([{"replication": r, **self.base.rows[r]} for r in reps])

    def _cost(self, frame: pd.DataFrame, cfg: Config) -> pd.Series:
        staff = self.space.staff_hours_per_week(cfg)
        rates = self.space.plan.objective.staff_cost_gbp_per_hour.model_dump()
        extra = sum((staff[s] - self._scenario_staff[s]) * rates[s] for s in staff) * WEEKS_PER_YEAR
        return net_recurrent_cost(
            frame,
            cfg,
            self._base_frame(frame["replication"]),
            self.baseline,
            self.case,
            new_services=self._new_services,
            extra_staff_cost_gbp=extra,
        )

    def values(self, key: str, column: str, n: int | None = None) -> np.ndarray:
        """Replications ``0..n-1`` of one column for one plan (or today's pathway)."""
        rec = self._record(key)
        n = len(rec.rows) if n is None else n
        return np.array([rec.rows[r].get(column, np.nan) for r in range(n)], dtype=float)


# ------------------------------------------------------------- stage 1: search ----
def _shortfalls(constraints: list[Constraint], means: Mapping[str, float]) -> list[float]:
    """Each target's shortfall in units of its tolerance (<= 0: met)."""
    out = []
    for c in constraints:
        value = means.get(c.kpi, float("nan"))
        out.append(1e6 if not np.isfinite(value) else c.shortfall(value) / c.slack_tolerance)
    return out


def _means(rec: Evaluated, n: int) -> dict[str, float]:
    cols = {k for r in range(n) for k in rec.rows[r]}
    with warnings.catch_warnings():  # a KPI undefined in every replication (no patients of its kind) is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return {k: float(np.nanmean([rec.rows[r].get(k, np.nan) for r in range(n)])) for k in cols}


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ConfigError("the planner needs Optuna: pip install 'sim-pathway[plan]' (or pip install optuna)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def search(ev: Evaluator, storage: str | None, budget: int, say: Callable[[str], None] = lambda s: None) -> None:
    """Stage 1: plans tried by Optuna's TPE sampler with constraints, ``search.replications`` each.

    ``storage``: an Optuna storage URL (``sqlite:///...``) so the study survives an interruption;
    ``None`` keeps it in memory. Stops after ``search.trials`` trials, when the next batch would
    pass ``budget`` replications, or when every plan of the space has been tried.
    """
    optuna = _optuna()
    from optuna.trial import TrialState

    plan, space = ev.space.plan, ev.space
    n0 = plan.search.replications

    def constraints_of(trial) -> list[float]:
        return trial.user_attrs["shortfalls"]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        # Optuna 5 reads constraints set on the trial; Optuna 4 asks a function for them
        modern = hasattr(optuna.trial.Trial, "set_constraint")
        sampler = optuna.samplers.TPESampler(
            seed=plan.search.seed,
            constraints_func=None if modern else constraints_of,
            multivariate=True,
            n_startup_trials=min(10, max(2, plan.search.trials // 5)),
        )
        study = optuna.create_study(
            study_name=plan.name, storage=storage, sampler=sampler, direction="minimize", load_if_exists=True
        )
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
        study.tell(trial.number, state=TrialState.FAIL)  # asked by a run that was interrupted
    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    for t in done:  # an interrupted run's plans: their replications come back from the checkpoints
        rec = ev.plan({n: space.levels[n][t.params[f"{n}_level"]] for n in space.names})
        rec.trial = t.number if rec.trial is None else rec.trial
    if done:
        ev.run({k: n0 for k in ev.plans})
        say(f"resumed the search: {len(done)} trial(s) kept in the study")
    trials = len(done)
    repeats = 0
    while trials < plan.search.trials and len(ev.plans) < space.size():
        batch = min(plan.search.batch, plan.search.trials - trials)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            asked = [study.ask() for _ in range(batch)]
            picks = [
                {n: space.levels[n][t.suggest_int(f"{n}_level", 0, len(space.levels[n]) - 1)] for n in space.names}
                for t in asked
            ]
        new_keys = {space.key(p) for p in picks} - set(ev.plans)
        cost = n0 * len(new_keys) + (n0 if not ev.base.rows else 0)
        if ev.spent + cost > budget:
            for t in asked:
                study.tell(t, state=TrialState.FAIL)
            break
        for t, p in zip(asked, picks):
            rec = ev.plan(p)
            if rec.trial is None:
                rec.trial = t.number
        ev.run({space.key(p): n0 for p in picks})
        for t, p in zip(asked, picks):
            rec = ev.plans[space.key(p)]
            means = _means(rec, n0)
            shortfalls = _shortfalls(plan.constraints, means)
            t.set_user_attr("shortfalls", shortfalls)
            if modern:
                for j, value in enumerate(shortfalls):
                    t.set_constraint(f"target_{j}", value)
            t.set_user_attr("plan", rec.key)
            study.tell(t, means[COST])
        trials += batch
        repeats = repeats + 1 if not new_keys else 0
        if repeats >= 5:  # the sampler keeps proposing plans already tried: it has settled
            break


def neighbours(space: PlanSpace, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plans one step away from ``values``: one variable a level up or down."""
    out = []
    for name in space.names:
        levels = space.levels[name]
        i = levels.index(values[name])
        for j in (i - 1, i + 1):
            if 0 <= j < len(levels):
                out.append({**values, name: levels[j]})
    return out


def polish(ev: Evaluator, budget: int, rounds: int = 20) -> None:
    """Stage 1b: the untried neighbours of the search's best plan, until the best has none left untried.

    The cheapest plan meeting the targets usually sits on a target's edge, where a
    global sampler may step over it; trying each plan one level away from the best
    (on the search's replications) finds it. Stops on ``budget`` replications.
    """
    n0 = ev.space.plan.search.replications
    for _ in range(rounds):
        best = candidates_of(ev, 1)
        if not best:
            return
        fresh = [p for p in neighbours(ev.space, ev.plans[best[0]].values) if ev.space.key(p) not in ev.plans]
        if not fresh:
            return
        keys = [ev.space.key(p) for p in fresh]
        if ev.spent + n0 * len(fresh) > budget:
            return
        for p in fresh:
            ev.plan(p).stage = "neighbourhood"
        ev.run(dict.fromkeys(keys, n0))


# ---------------------------------------------------------- stage 2: selection ----
@dataclass
class Selection:
    """The outcome of the ranking-and-selection stage."""

    chosen: str | None
    """Key of the chosen plan, or ``None`` if no candidate meets every target."""
    guaranteed: bool
    """The procedure stopped on its own rule (not on the budget or the replication cap)."""
    status: dict[str, str]
    """Each candidate's fate, in words."""
    replications: dict[str, int]
    binding: dict[str, Any] | None = None
    """Without a feasible plan: the target that binds, the closest plan and by how much it misses."""


def _kn_h2(alpha: float, k: int, n: int) -> float:
    """KN++'s ``h^2`` after ``n`` replications (Kim and Nelson 2006, c = 1): ``2 eta (n - 1)``."""
    beta = 1.0 - (1.0 - alpha) ** (1.0 / max(1, k - 1))
    eta = 0.5 * ((2.0 * beta) ** (-2.0 / (n - 1)) - 1.0)
    return 2.0 * eta * (n - 1)


def _feasibility_h2(alpha: float, tests: int, n0: int) -> float:
    """Batur and Kim's (2010) ``h^2`` for ``tests`` feasibility tests at total error ``alpha`` (Bonferroni)."""
    beta = alpha / max(1, tests)
    eta = 0.5 * ((2.0 * beta) ** (-2.0 / (n0 - 1)) - 1.0)
    return 2.0 * eta * (n0 - 1)


def candidates_of(ev: Evaluator, n: int) -> list[str]:
    """The plans that enter selection: the cheapest of those that may meet the targets, else the nearest misses.

    A plan "may meet" a target when its search mean misses it by less than the
    tolerance plus two standard errors.
    """
    plan = ev.space.plan
    rows = []
    for key, rec in ev.plans.items():
        reps = len(rec.rows)
        if reps == 0:
            continue
        plausible, miss = True, 0.0
        for c in plan.constraints:
            x = ev.values(key, c.kpi)
            se = float(np.nanstd(x, ddof=1) / math.sqrt(reps)) if reps > 1 else 0.0
            short = c.shortfall(float(np.nanmean(x))) if np.isfinite(np.nanmean(x)) else float("inf")
            plausible &= short <= c.slack_tolerance + 2.0 * se
            miss += max(0.0, short) / c.slack_tolerance
        rows.append((key, plausible, miss, float(np.nanmean(ev.values(key, COST))), rec.order))
    maybe = sorted([r for r in rows if r[1]], key=lambda r: (r[3], r[4]))
    if maybe:
        return [r[0] for r in maybe[:n]]
    return [r[0] for r in sorted(rows, key=lambda r: (r[2], r[4]))[:n]]


def select(ev: Evaluator, keys: list[str], budget: int) -> Selection:
    """Stage 2: KN++ on cost with Batur-Kim feasibility checks, on paired replications, until one plan is left.

    A plan leaves when a target is shown missed (beyond its tolerance), or when a
    plan already shown to meet every target is cheaper by more than KN++'s
    continuation region. A plan not yet shown feasible never eliminates another.
    Replications are added to every surviving plan ``selection.batch`` at a time;
    the decisions are taken one replication at a time, so they do not depend on the batch.
    Two plans whose costs are equal in every replication (paid by capacity alone) are
    equally good: the one tried later leaves when the other is shown to meet every target.
    """
    sel = ev.space.plan.selection
    constraints = ev.space.plan.constraints
    alpha = 1.0 - sel.confidence
    alpha_feasible, alpha_best = (alpha / 2.0, alpha / 2.0) if constraints else (0.0, alpha)
    n0, k = sel.first_replications, len(keys)
    status: dict[str, str] = {}
    alive = list(keys)
    feasible = {key: [None] * len(constraints) for key in keys}  # per target: True / False / None (undecided)
    if ev.spent + ev.cost_to_run({key: n0 for key in keys}) > budget:
        raise ConfigError(
            f"--budget {budget}: too small for the selection stage's first {n0} replications of "
            f"{k} candidate plan(s); give a larger budget"
        )
    ev.run({key: n0 for key in keys})
    h2_f = _feasibility_h2(alpha_feasible, k * len(constraints), n0) if constraints else 0.0
    var0 = {
        (key, j): float(np.var(_violation(ev, key, c, n0), ddof=1)) for key in keys for j, c in enumerate(constraints)
    }

    def known() -> list[str]:
        return [key for key in alive if all(f is True for f in feasible[key])]

    def decide(r: int) -> None:
        nonlocal alive
        for key in list(alive):
            for j, c in enumerate(constraints):
                if feasible[key][j] is not None:
                    continue
                total = float(np.sum(_violation(ev, key, c, r)))
                eps = c.slack_tolerance
                reach = h2_f * var0[(key, j)] / (2.0 * eps)
                if total <= min(0.0, -reach + eps * r / 2.0):
                    feasible[key][j] = True
                elif total >= max(0.0, reach - eps * r / 2.0):
                    feasible[key][j] = False
            misses = [j for j, f in enumerate(feasible[key]) if f is False]
            if misses:
                alive.remove(key)
                status[key] = f"misses {_target_words(constraints[misses[0]])}"
        leaders = known()
        if len(alive) < 2 or not leaders:
            return
        h2 = _kn_h2(alpha_best, k, r)
        delta = sel.cost_indifference_gbp
        costs = {key: ev.values(key, COST, r) for key in alive}
        out = set()
        for i in alive:
            for leader in leaders:
                if i == leader or leader in out:
                    continue
                diff = costs[i] - costs[leader]
                s2 = float(np.var(diff, ddof=1))
                w = max(0.0, delta / (2.0 * r) * (h2 * s2 / delta**2 - r))
                # the same cost in every replication (a cost set by capacity alone): the difference is known
                # to be nil, inside the indifference zone, so the plan tried later gives way; KN++'s region,
                # of zero width here, would never part them
                same = bool(np.all(np.abs(diff) <= 1e-9 * max(1.0, float(np.abs(costs[leader]).max()))))
                if diff.mean() > w or (same and ev.plans[i].order > ev.plans[leader].order):
                    out.add(i)
                    status[i] = (
                        f"costs the same as {leader} in every replication" if same else f"costlier than {leader}"
                    )
                    break
        alive = [key for key in alive if key not in out]

    def finished() -> bool:
        return not alive or (len(alive) == 1 and bool(known()))

    r = n0
    decide(r)
    guaranteed = True
    while not finished():
        step = min(sel.batch, sel.max_replications - r)
        if step <= 0 or ev.spent + ev.cost_to_run({key: r + step for key in alive}) > budget:
            guaranteed = False
            break
        ev.run({key: r + step for key in alive})
        for _ in range(step):
            r += 1
            decide(r)
            if finished():
                break
    chosen = None
    if alive:
        pool = known() if guaranteed or not constraints else []
        if not pool:
            # stopped on the budget or the replication cap: the cheapest survivor whose means
            # meet every target, and the guarantee is not reached
            pool = [
                key
                for key in alive
                if all(c.shortfall(float(np.mean(ev.values(key, c.kpi, r)))) <= c.slack_tolerance for c in constraints)
            ]
            guaranteed = False
        if pool:
            chosen = min(pool, key=lambda key: (float(np.mean(ev.values(key, COST, r))), ev.plans[key].order))
        for key in alive:
            status[key] = (
                "chosen"
                if key == chosen
                else "not separated from the chosen plan"
                if chosen is not None
                else "not shown to meet every target"
            )
    reps = {key: len(ev.plans[key].rows) for key in keys}
    binding = None if chosen is not None else binding_constraint(ev)
    return Selection(chosen, guaranteed, status, reps, binding)


def _violation(ev: Evaluator, key: str, c: Constraint, n: int) -> np.ndarray:
    """Per replication, how far a KPI misses its target (positive: missed)."""
    x = ev.values(key, c.kpi, n)
    return (c.bound - x) if c.sense == "at_least" else (x - c.bound)


def _target_words(c: Constraint) -> str:
    """A target in words: its label (the command fills a missing one from the label table), its sense and bound."""
    return f"{c.label or c.kpi} {'at least' if c.sense == 'at_least' else 'at most'} {c.bound:g}"


def binding_constraint(ev: Evaluator) -> dict[str, Any]:
    """Which target binds when no plan meets them all.

    The plan that comes nearest to meeting every target (least total shortfall, in
    tolerances) is found among every plan tried; the target it misses most is the
    binding one. Each target's best value over all plans is given too.
    ``nearest_meets_all`` says the nearest plan meets every target on its own means
    (it was tried, but not confirmed: the budget or the candidates ran out first), so
    no target binds and a larger budget or more candidates is the answer.
    """
    constraints = ev.space.plan.constraints
    best_key, best_miss = None, float("inf")
    for key, rec in ev.plans.items():
        if not rec.rows:
            continue
        means = _means(rec, len(rec.rows))
        miss = sum(max(0.0, s) for s in _shortfalls(constraints, means))
        if miss < best_miss:
            best_key, best_miss = key, miss
    means = _means(ev.plans[best_key], len(ev.plans[best_key].rows))
    shorts = _shortfalls(constraints, means)
    j = int(np.argmax(shorts))
    c = constraints[j]
    reached = []
    for c2 in constraints:
        vals = [float(np.nanmean(ev.values(k, c2.kpi))) for k, rec in ev.plans.items() if rec.rows]
        reached.append(max(vals) if c2.sense == "at_least" else min(vals))
    return {
        "kpi": c.kpi,
        "target": _target_words(c),
        "bound": c.bound,
        "sense": c.sense,
        "nearest_plan": best_key,
        "nearest_value": means.get(c.kpi, float("nan")),
        "nearest_shortfall": c.shortfall(means.get(c.kpi, float("nan"))),
        "nearest_meets_all": bool(best_miss <= 0.0),
        "best_reached": {c2.kpi: v for c2, v in zip(constraints, reached)},
    }


# ------------------------------------------------------------------ the run ----
@dataclass
class PlanResult:
    """Everything a plan run found."""

    plan: Plan
    space: PlanSpace
    evaluator: Evaluator
    candidates: list[str]
    selection: Selection
    budget: int
    reporting: int = 0
    """Replications run after the selection only to report the chosen plan against today's pathway and the
    scenario as shipped (``evaluator.spent`` counts them too)."""

    @property
    def chosen(self) -> Evaluated | None:
        key = self.selection.chosen
        return None if key is None else self.evaluator.plans[key]


def resolve(
    plan: Plan, folder: Path, *, days: int | None = None, seed: int | None = None
) -> tuple[Config, Config, BusinessCase]:
    """The scenario, today's pathway and the business case a plan file names, with its run settings."""
    scenario = load_config(folder / plan.scenario)
    baseline = load_config(folder / plan.baseline)
    case = load_business_case(folder / plan.business_case)
    run = {k: v for k, v in plan.run.model_dump().items() if v is not None}
    if days is not None:
        run["days"] = days
    if seed is not None:
        run["seed"] = seed
    out = []
    for cfg in (scenario, baseline):
        data = cfg.model_dump()
        data["run"].update(run)
        out.append(validate_config(data, f"plan {plan.name} run settings"))
    return out[0], out[1], case


def run_plan(
    plan: Plan,
    scenario: Config,
    baseline: Config,
    case: BusinessCase,
    *,
    budget: int | None = None,
    executor: Executor | None = None,
    checkpoints=None,
    storage: str | None = None,
    progress: bool = True,
    say: Callable[[str], None] = lambda s: None,
    on_progress: Callable[[int, int], None] | None = None,
    shipped: bool = False,
) -> PlanResult:
    """Search, then select: the cheapest plan that meets the targets, within ``budget`` replications.

    Parameters
    ----------
    plan, scenario, baseline, case
        The plan file and what it names (see :func:`resolve`).
    budget : int or None
        Most simulator replications (default: the plan file's ``budget``).
    executor : Executor or None
        Where replications run (default: this process). Results do not depend on it.
    checkpoints : CheckpointFolder or None
        Keeps finished replications, so a rerun after an interruption reuses them.
    storage : str or None
        Optuna storage URL for the search's study (``sqlite:///path``), for resuming.
    on_progress : callable or None
        ``on_progress(spent, budget)`` as replications finish (a progress bar other than the terminal's).
    shipped : bool
        Also run the planned scenario as shipped on the chosen plan's replications, for
        :func:`shipped_comparison` (beyond the budget, like today's pathway's final replications).
    """
    budget = plan.budget if budget is None else budget
    space = PlanSpace(plan, scenario)
    enabled = progress and sys.stderr.isatty()
    bar = tqdm(
        total=budget,
        desc=f"plan {plan.name}",
        unit="rep",
        disable=not enabled,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
    )
    executor = executor or SerialExecutor()
    try:
        ev = Evaluator(space, baseline, case, executor, budget, checkpoints, bar, on_progress)
        search_budget = max(int(budget * plan.search.budget_share), plan.search.replications * 2)
        search(ev, storage, search_budget, say)
        polish(ev, search_budget)
        keys = candidates_of(ev, plan.selection.candidates)
        if not keys:
            raise ConfigError(
                f"--budget {budget}: too small to try a single plan "
                f"({plan.search.replications} replications of a plan and of today's pathway)"
            )
        selection = select(ev, keys, budget)
        chosen = selection.chosen
        selected = ev.spent
        if chosen is not None:  # today's pathway on as many replications as the chosen plan
            n = len(ev.plans[chosen].rows)
            ev.run({chosen: n})
            if shipped:
                ev.run({ev.shipped().key: n})
        for key in keys:
            ev.plans[key].stage = "selection"
    finally:
        bar.close()
    return PlanResult(plan, space, ev, keys, selection, budget, ev.spent - selected)


# --------------------------------------------------------------- the tables ----
SUMMARY_EXCLUDE = (
    "cost_annual_gbp_",
    "volume_per_day_",
    "sda_unused_slots_per_day_gpcg_h",
    "sda_unused_slots_per_day_pcn_h",
)


def evaluations_table(result: PlanResult) -> pd.DataFrame:
    """Every replication the planner ran, one row each (today's pathway as ``plan = baseline``)."""
    ev = result.evaluator
    rows = []
    for rec in [ev.base, *sorted(ev.plans.values(), key=lambda r: r.order)]:
        for rep in sorted(rec.rows):
            kpis = {k: v for k, v in rec.rows[rep].items() if not k.startswith(SUMMARY_EXCLUDE)}
            rows.append(
                {
                    "plan": rec.key,
                    "stage": rec.stage,
                    "trial": rec.trial,
                    "replication": rep,
                    **{n: rec.values.get(n) for n in result.space.names},
                    **kpis,
                }
            )
    frame = pd.DataFrame(rows)
    first = ["plan", "stage", "trial", "replication", *result.space.names, COST]
    return frame[first + [c for c in frame.columns if c not in first]]


def plans_table(result: PlanResult, replications: int | None = None) -> pd.DataFrame:
    """One row per plan tried: its values, replications, mean cost and KPI targets, and its fate.

    ``replications``: means over the first ``n`` replications of every plan (the same
    patients for all, so the plans compare fairly); default: all of each plan's.
    """
    ev, plan = result.evaluator, result.plan
    rows = []
    for rec in sorted(ev.plans.values(), key=lambda r: r.order):
        n = len(rec.rows) if replications is None else min(replications, len(rec.rows))
        means = _means(rec, n)
        cost = ev.values(rec.key, COST, n)
        row = {
            "plan": rec.key,
            "order": rec.order,
            "trial": rec.trial,
            **rec.values,
            "replications": n,
            "cost_mean_gbp": means[COST],
            "cost_se_gbp": float(np.std(cost, ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
        }
        for c in plan.constraints:
            row[c.kpi] = means.get(c.kpi, float("nan"))
        row["meets_targets_on_means"] = all(s <= 0 for s in _shortfalls(plan.constraints, means))
        row["candidate"] = rec.key in result.candidates
        row["outcome"] = result.selection.status.get(rec.key, "")
        rows.append(row)
    return pd.DataFrame(rows)


def pareto_table(result: PlanResult) -> pd.DataFrame:
    """The trade-off of cost against the main target (the first constraint): plans no other beats on both.

    Judged on the search's replications, which every plan has (common random numbers).
    """
    plans = plans_table(result, result.plan.search.replications)
    if not result.plan.constraints or plans.empty:
        return plans.iloc[0:0]
    main = result.plan.constraints[0]
    sign = 1.0 if main.sense == "at_least" else -1.0
    others = result.plan.constraints[1:]
    keep = []
    for i, row in plans.iterrows():
        better = plans[
            (plans["cost_mean_gbp"] <= row["cost_mean_gbp"])
            & (sign * plans[main.kpi] >= sign * row[main.kpi])
            & ((plans["cost_mean_gbp"] < row["cost_mean_gbp"]) | (sign * plans[main.kpi] > sign * row[main.kpi]))
        ]
        if better.empty:
            keep.append(i)
    front = plans.loc[keep].sort_values("cost_mean_gbp").copy()
    front["meets_other_targets"] = [all(c.shortfall(r[c.kpi]) <= 0 for c in others) for _, r in front.iterrows()]
    return front.reset_index(drop=True)


COMPARED_KPIS = (
    "sda_redirections_front_door_per_day",
    "sda_slot_utilisation_pct",
    "sda_unused_slots_per_day",
    "sda_refused_while_unused_per_day",
    "sda_no_slot_per_day",
    "utc_attendances_per_day",
    "utc_within_4h_pct",
    "ed_within_4h_pct",
    "ia_within_15min_pct",
    "redirected_time_to_slot_mean_min",
    "gp_reattendance_hours_per_week",
)
"""KPIs shown beside the cost and the targets when the chosen plan is compared (targets first)."""


def _paired(ev: Evaluator, reference: str, chosen: str, n: int, kpis, prefix: str) -> pd.DataFrame:
    """Each KPI of ``reference`` and of ``chosen`` over replications ``0..n-1``, with 95% intervals, and the paired
    difference (chosen - reference); the reference's columns are named ``{prefix}_mean`` etc."""
    from ..analysis.output_analysis import t_interval

    rows = []
    for kpi in dict.fromkeys(kpis):
        ref, plan = ev.values(reference, kpi, n), ev.values(chosen, kpi, n)
        b, p, d = t_interval(ref), t_interval(plan), t_interval(plan - ref)
        rows.append(
            {
                "kpi": kpi,
                f"{prefix}_mean": b[0],
                f"{prefix}_ci_low": b[1],
                f"{prefix}_ci_high": b[2],
                "plan_mean": p[0],
                "plan_ci_low": p[1],
                "plan_ci_high": p[2],
                "difference_mean": d[0],
                "difference_ci_low": d[1],
                "difference_ci_high": d[2],
                "n_reps": p[3],
            }
        )
    return pd.DataFrame(rows)


def _compared(result: PlanResult) -> list[str]:
    targets = [c.kpi for c in result.plan.constraints]
    return [COST, *targets, *[k for k in COMPARED_KPIS if k not in targets]]


def comparison_table(result: PlanResult) -> pd.DataFrame:
    """The chosen plan against today's pathway: KPIs and costs with 95% intervals, and the paired difference."""
    chosen = result.chosen
    if chosen is None:
        return pd.DataFrame()
    return _paired(result.evaluator, BASELINE, chosen.key, len(chosen.rows), _compared(result), "today")


def shipped_comparison(result: PlanResult) -> pd.DataFrame:
    """The chosen plan against the planned scenario as shipped, on the same replications (paired).

    Columns as :func:`comparison_table`'s with ``shipped_*`` for ``today_*``; empty when no plan
    was chosen or the run did not include the shipped scenario (``run_plan(..., shipped=True)``).
    """
    chosen = result.chosen
    ev = result.evaluator
    if chosen is None or SHIPPED not in ev.references or len(ev.references[SHIPPED].rows) < len(chosen.rows):
        return pd.DataFrame()
    return _paired(ev, SHIPPED, chosen.key, len(chosen.rows), _compared(result), "shipped")


def exhaustive(
    plan: Plan,
    scenario: Config,
    baseline: Config,
    case: BusinessCase,
    replications: int,
    executor: Executor | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """Every plan of a (small) space on ``replications`` replications: the reference a planner run is checked against.

    Returns the table of plan means (``plan``, the variables, ``cost_mean_gbp``, each target's KPI,
    ``meets_targets``) and the key of the cheapest plan whose means meet every target (``None`` if none).
    """
    space = PlanSpace(plan, scenario)
    ev = Evaluator(space, baseline, case, executor or SerialExecutor(), budget=10**9)
    for values in space.all_plans():
        ev.plan(values)
    ev.run({key: replications for key in ev.plans})
    rows = []
    for key, rec in ev.plans.items():
        means = _means(rec, replications)
        rows.append(
            {
                "plan": key,
                **rec.values,
                "cost_mean_gbp": means[COST],
                **{c.kpi: means.get(c.kpi, float("nan")) for c in plan.constraints},
                "meets_targets": all(s <= 0 for s in _shortfalls(plan.constraints, means)),
            }
        )
    table = pd.DataFrame(rows).sort_values("cost_mean_gbp", kind="stable").reset_index(drop=True)
    feasible = table[table["meets_targets"]]
    return table, (None if feasible.empty else str(feasible.iloc[0]["plan"]))
