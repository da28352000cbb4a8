"""Hypothesis strategies and helpers shared by the property tests.

``valid_config_dicts()`` starts from ``configs/current.yaml`` or
``configs/redesign.yaml`` (as plain dicts) and varies demand, capacities, slot
diaries, probabilities, redirection windows, switches X1-X8 and run lengths,
keeping every example cheap (<= 150 arrivals/day per channel, <= 21 days).

``invalid_mutations()`` turns a valid dict into an invalid one and says which
field it broke, so tests can check the error message names that field.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, assume
from hypothesis import strategies as st

from sim.inputs.config import ConfigError, load_config, validate_config
from sim.inputs.distributions import MAX_CV

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "configs"
SCENARIOS = ("current", "redesign")
CHANNELS = ("walk_in", "nhs111", "practice_overflow")
CHANNEL_LABEL = {"walk_in": "walk_in", "nhs111": "nhs111", "practice_overflow": "gp_overflow"}
STATIONS = {
    "reception": "clerks",
    "ia_nurse": "nurses",
    "care_navigator": "navigators",
    "utc": "clinicians",
    "ed": "cubicles",
}
DIARIES = ("gpcg_sda", "pcn_sda", "practice_111", "st_andrews_hub")
DIARY_STEP = {"gpcg_sda": "sda_gpcg", "pcn_sda": "sda_pcn", "practice_111": "practice_111", "st_andrews_hub": "hub_111"}
MIN_PER_DAY = 1440.0


@cache
def _base(name: str) -> dict:
    return load_config(CONFIG_DIR / f"{name}.yaml").model_dump()


def base_dict(name: str = "current") -> dict:
    """A fresh, mutable copy of a shipped scenario as a plain dict."""
    return copy.deepcopy(_base(name))


# ------------------------------------------------------------ building blocks --
# Generated values lean towards the ordinary (a few in ten are edge cases such as
# zero demand, zero staff, probabilities of exactly 0 or 1) so that most examples
# exercise queues and bookings instead of an empty pathway.
def sometimes(common, rare, rare_in_ten: int = 2):
    """``common`` most of the time, ``rare`` in about ``rare_in_ten`` of 10 draws."""
    return st.integers(0, 9).flatmap(lambda i: rare if i < rare_in_ten else common)


probs = sometimes(
    st.floats(0.05, 1.0), st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, allow_subnormal=False))
)
multipliers = sometimes(st.floats(0.2, 3.0), st.one_of(st.just(0.0), st.floats(0.05, 3.0)))
hours = st.one_of(st.integers(0, 24), st.floats(0.0, 24.0, allow_subnormal=False))
EXAMPLE_SETTINGS = dict(
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""Settings for tests whose examples are whole configs or scenarios: shrinking a failure can take
minutes (over the CI budget), so failures are reported as generated, in full."""

day_windows = st.tuples(hours, hours).map(lambda ab: (min(ab), max(ab)))
"""A (start, end) window within one day, empty ones (start == end) included."""
slot_counts = st.lists(sometimes(st.integers(5, 200), st.integers(0, 5)), min_size=7, max_size=7)


@st.composite
def simplex(draw, keys):
    """Probabilities over ``keys`` that sum to 1 (within float rounding)."""
    weights = draw(st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1.0)), min_size=len(keys), max_size=len(keys)))
    if sum(weights) == 0:
        weights[draw(st.integers(0, len(keys) - 1))] = 1.0
    total = sum(weights)
    values = [w / total for w in weights]
    return dict(zip(keys, values))


def rotas(max_small: int = 6, max_large: int = 10_000):
    """A staffing rota: a number, 24 hourly numbers, or 7 x 24 with whole zero days."""
    hourly = st.lists(sometimes(st.integers(1, max_small), st.just(0)), min_size=24, max_size=24)
    day = sometimes(hourly, st.just([0] * 24), rare_in_ten=1)
    return sometimes(
        st.one_of(st.integers(1, max_small), hourly, st.lists(day, min_size=7, max_size=7)),
        st.one_of(st.just(0), st.integers(0, max_large), st.lists(st.integers(0, max_small), min_size=24, max_size=24)),
    )


def durations(max_mean: float = 30.0):
    """Any of the configurable task-time distributions, with modest means."""
    pos = st.floats(0.1, max_mean)
    return st.one_of(
        st.builds(lambda v: {"dist": "fixed", "value": v}, st.floats(0.0, max_mean)),
        st.builds(lambda m: {"dist": "exponential", "mean": m}, pos),
        # sd as mean x coefficient of variation, within the schema's limit
        st.builds(lambda m, cv: {"dist": "lognormal", "mean": m, "sd": m * cv}, pos, st.floats(0.05, MAX_CV)),
        st.builds(lambda a, b: {"dist": "uniform", "low": min(a, b), "high": max(a, b)}, pos, pos),
        st.builds(
            lambda a, b, c: dict(zip(("low", "mode", "high"), sorted((a, b, c))), dist="triangular"),
            st.floats(0.0, max_mean / 2),
            st.floats(0.0, max_mean / 2),
            st.floats(max_mean / 2 + 0.1, max_mean),
        ),
    )


@st.composite
def demand_profiles(draw, profile: dict, max_per_day: float = 150.0) -> dict:
    """Scale a channel's demand down and reshape its weekly profile (zeros allowed)."""
    p = dict(profile)
    p["mean_per_day"] = draw(sometimes(st.floats(5.0, max_per_day), st.floats(0.0, max_per_day), rare_in_ten=1))
    p["growth"] = draw(sometimes(st.one_of(st.just(1.0), st.floats(0.5, 2.0)), st.sampled_from([0.0, 0.1, 3.0]), 1))
    shape = draw(st.sampled_from(["keep", "keep", "hod_dow", "how"]))
    if shape == "hod_dow":
        hod = draw(st.lists(multipliers, min_size=24, max_size=24))
        if sum(hod) == 0:  # an all-zero day shape is refused when mean > 0
            hod[draw(st.integers(0, 23))] = 1.0
        p["hour_of_day"] = hod
        dow = draw(st.lists(multipliers, min_size=7, max_size=7))
        if sum(dow) == 0:  # an all-zero week is refused when mean > 0
            dow[draw(st.integers(0, 6))] = 1.0
        p["day_of_week"] = dow
        p["hour_of_week"] = None
    elif shape == "how":
        day = sometimes(st.lists(multipliers, min_size=24, max_size=24), st.just([0.0] * 24), 1)
        how = draw(st.lists(day, min_size=7, max_size=7))
        if not any(v > 0 for d in how for v in d):  # an all-zero week is refused when mean > 0
            how[draw(st.integers(0, 6))] = [1.0] * 24
        p["hour_of_week"] = how
        p["hour_of_day"] = None
        p["day_of_week"] = None
    return p


@st.composite
def slot_diaries(draw, diary: dict) -> dict:
    d = dict(diary)
    d["slots_per_day"] = draw(slot_counts)
    if draw(sometimes(st.just(False), st.just(True), 3)):
        d["session_start_hour"], d["session_end_hour"] = draw(day_windows)
    d["appointment_min"] = draw(st.floats(1.0, 30.0))
    d["booking_lead_min"] = draw(sometimes(st.floats(0.0, 90.0), st.floats(0.0, 1000.0), 1))
    inside = [h for h in range(24) if h + 1 > d["session_start_hour"] and h < d["session_end_hour"]]
    if inside and draw(st.booleans()):  # slots shared among the session's hours by weight
        weights = [0.0] * 24
        for h in inside:
            weights[h] = draw(sometimes(st.floats(0.1, 5.0), st.just(0.0), 3))
        weights[draw(st.sampled_from(inside))] = 1.0  # every day with slots needs a weight
        d["hour_weights"] = weights
    else:
        d["hour_weights"] = None
    return d


@st.composite
def windows(draw, window: dict) -> dict:
    """A clock window with random hours and weekdays."""
    w = dict(window)
    if draw(sometimes(st.just(False), st.just(True), 4)):
        w["start_hour"], w["end_hour"] = draw(day_windows)
    w["days"] = draw(st.lists(sometimes(st.just(True), st.just(False), 3), min_size=7, max_size=7))
    return w


@st.composite
def redirections(draw, policy: dict) -> dict:
    p = dict(policy)
    p["probability"] = draw(probs)
    if draw(sometimes(st.just(False), st.just(True), 4)):
        p["start_hour"], p["end_hour"] = draw(day_windows)
    p["days"] = draw(st.lists(sometimes(st.just(True), st.just(False), 3), min_size=7, max_size=7))
    p["care_navigator_books"] = draw(st.booleans())
    p["next_day_accept_probability"] = draw(sometimes(st.just(0.0), probs, 5))
    return p


@st.composite
def valid_config_dicts(draw, max_days: int = 21, max_per_day: float = 150.0) -> dict:
    """A random valid scenario (plain dict), small enough to run in well under a second."""
    d = base_dict(draw(st.sampled_from(SCENARIOS)))
    days = draw(st.integers(1, max_days))
    d["run"].update(
        days=days,
        warmup_days=draw(st.integers(0, days - 1)),
        start_weekday=draw(st.integers(0, 6)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )
    dem = d["demand"]
    for ch in CHANNELS:
        dem[ch] = draw(demand_profiles(dem[ch], max_per_day))
    dem["walk_in"]["registered_th"] = draw(probs)
    dem["walk_in"]["utc_suitable"] = draw(probs)
    if draw(st.booleans()):
        dem["nhs111"]["dispositions"] = draw(simplex(tuple(dem["nhs111"]["dispositions"])))
    dem["nhs111"]["no_slot_to_front_door"] = draw(probs)
    if draw(st.booleans()):
        dem["practice_overflow"]["choice"] = draw(simplex(tuple(dem["practice_overflow"]["choice"])))
    dem["practice_overflow"]["utc_suitable"] = draw(probs)
    dem["practice_overflow"]["next_day_group_uses_sda"] = draw(st.booleans())
    if draw(st.booleans()):
        dem["nhs111"]["call_time_min"] = draw(durations(60.0))
    d["patients"]["sda_eligible"] = draw(probs)
    d["patients"]["accepts_redirection"] = draw(probs)
    if draw(st.booleans()):
        d["patients"]["travel_time_min"] = draw(durations(90.0))

    for station, key in STATIONS.items():
        if draw(sometimes(st.just(True), st.just(False), 3)):
            d[station][key] = draw(rotas(max_large=500 if station == "ed" else 10_000))
    for station in ("reception", "ia_nurse", "care_navigator"):
        if draw(st.booleans()):
            d[station]["time_min"] = draw(durations(10.0))
    if draw(st.booleans()):
        d["utc"]["consult_time_min"] = draw(durations(30.0))
    if draw(st.booleans()):
        d["ed"]["time_min"] = draw(durations(300.0))
    d["ia_nurse"]["pharmacy_first_probability"] = draw(sometimes(st.floats(0.0, 0.2), probs))
    d["ia_nurse"]["redirection_current"] = draw(redirections(d["ia_nurse"]["redirection_current"]))
    d["ia_nurse"]["redirection_x8"] = draw(redirections(d["ia_nurse"]["redirection_x8"]))
    d["utc"]["triage_redirect_probability"] = draw(probs)
    d["utc"]["reattend_probability"] = draw(probs)
    d["calibration"]["current_redirection_propensity"] = draw(probs)
    d["calibration"]["current_redirections_share_at_ia"] = draw(probs)
    if draw(st.booleans()):  # today's rates from the calibration, as shipped
        d["ia_nurse"]["redirection_current"]["probability"] = None
        d["utc"]["triage_redirect_probability"] = None
    d["utc"]["triage_time_min"] = draw(durations(30.0))
    d["utc"]["triage_window"] = draw(windows(d["utc"]["triage_window"]))
    for name in DIARIES:
        d["slot_diaries"][name] = draw(slot_diaries(d["slot_diaries"][name]))
    d["slot_diaries"]["pcn_sda"]["carve_out"] = draw(sometimes(st.none(), st.builds(lambda p: {"nhs111": p}, probs), 5))
    dem["nhs111"]["booking_order"] = draw(
        st.permutations(["practice_111", "st_andrews_hub", "pcn_sda"]).flatmap(
            lambda order: st.integers(1, 3).map(lambda n: list(order[:n]))
        )
    )
    for key in d["changes"]:
        d["changes"][key] = draw(st.booleans())
    sc = d["sda_consultation"]
    sc["reattend_probability_current"] = draw(probs)
    sc["reattend_probability_comprehensive"] = draw(probs)
    return d


# ------------------------------------------------------- event-log helpers --
def step_mask(events: pd.DataFrame, step: str) -> np.ndarray:
    """Rows whose route includes ``step`` (routes look like ``walk_in:ia>utc>sda_gpcg``)."""
    pattern = rf"[:>]{re.escape(step)}(?:>|$)"
    return events["route"].astype(str).str.contains(pattern, regex=True).to_numpy()


def count_step(events: pd.DataFrame, step: str) -> int:
    return int(step_mask(events, step).sum())


def channel_mask(events: pd.DataFrame, channel: str) -> np.ndarray:
    return (events["channel"].astype(str) == CHANNEL_LABEL.get(channel, channel)).to_numpy()


def sim_day(t) -> np.ndarray:
    return np.floor(np.asarray(t, dtype=float) / MIN_PER_DAY).astype(np.int64)


def weekday(t, start_weekday: int) -> np.ndarray:
    return (sim_day(t) + start_weekday) % 7


def minute_of_day(t) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    return t - sim_day(t) * MIN_PER_DAY


def channel_has_demand(profile: dict) -> bool:
    """Whether a channel's demand can produce any arrival at all."""
    if profile["mean_per_day"] * profile["growth"] <= 0:
        return False
    if profile.get("hour_of_week") is not None:
        return any(v > 0 for day in profile["hour_of_week"] for v in day)
    return sum(profile["hour_of_day"]) > 0 and any(v > 0 for v in profile["day_of_week"])


# ------------------------------------------------------------ config paths --
def leaf_paths(node, path=()):
    """Every (path, value) of a nested dict/list, leaves and containers alike."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaf_paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaf_paths(v, path + (i,))


def get_path(d, path):
    for p in path:
        d = d[p]
    return d


def set_path(d, path, value):
    get_path(d, path[:-1])[path[-1]] = value


def names_field(message: str, path) -> bool:
    """Whether the message names the field: its keys appear in order (indices may be dropped)."""
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", message)
    it = iter(words)
    return all(any(w == key for w in it) for key in path if isinstance(key, str))


# --------------------------------------------------------- invalid configs --
PROB_KEYS = {
    "registered_th",
    "utc_suitable",
    "no_slot_to_front_door",
    "sda_eligible",
    "accepts_redirection",
    "pharmacy_first_probability",
    "probability",
    "triage_redirect_probability",
    "reattend_probability_current",
    "reattend_probability_comprehensive",
    "next_day_accept_probability",
    "reattend_probability",
    "via_nhs111",
    "current_redirection_propensity",
    "current_redirections_share_at_ia",
    "left_unseen_sees_gp",
}
HOUR_KEYS = {"start_hour", "end_hour", "session_start_hour", "session_end_hour"}
NONNEG_KEYS = {"mean_per_day", "growth", "booking_lead_min"}
POSITIVE_KEYS = {"appointment_min", "gp_appointment_min"}
WEEKLY_LISTS = {"hour_of_day", "day_of_week", "hour_weights"}
NAN = float("nan")

below_zero = st.one_of(st.floats(-1e6, -1e-6), st.just(NAN))
above_one = st.one_of(st.floats(1.0 + 1e-6, 1e6), st.just(NAN))
not_positive = st.one_of(st.floats(-1e6, 0.0), st.just(NAN))
bad_hour = st.one_of(st.floats(-1e3, -1e-6), st.floats(24.0 + 1e-6, 1e3), st.just(NAN))
RUN_BAD = {
    "days": st.one_of(st.integers(-(10**6), 0), st.integers(3661, 10**7)),
    "replications": st.one_of(st.integers(-(10**6), 0), st.integers(10_001, 10**7)),
    "seed": st.integers(-(10**12), -1),
    "warmup_days": st.integers(-(10**6), -1),
    "start_weekday": st.one_of(st.integers(-100, -1), st.integers(7, 100)),
    "bank_holiday_as_weekday": st.one_of(st.integers(-100, -1), st.integers(7, 100)),
}


def _range_targets(d: dict):
    """(path, strategy of out-of-range values) for every bounded number in ``d``."""
    for path, value in leaf_paths(d):
        if not path or isinstance(value, (dict, list)) or value is None or isinstance(value, (bool, str)):
            continue
        key, parent_key = path[-1], (path[-2] if len(path) > 1 else None)
        parent = get_path(d, path[:-1])
        if path[0] == "run":
            yield path, RUN_BAD[key]
        elif key in PROB_KEYS or parent_key in ("dispositions", "choice"):
            yield path, st.one_of(below_zero, above_one)
        elif key in HOUR_KEYS:
            yield path, bad_hour
        elif key in NONNEG_KEYS or path[0] == "unit_costs_gbp":
            yield path, below_zero
        elif key in POSITIVE_KEYS:
            yield path, not_positive
        elif isinstance(parent, dict) and "dist" in parent:
            positive = parent["dist"] in ("exponential", "lognormal") and key in ("mean", "sd")
            yield path, not_positive if positive else below_zero
        elif isinstance(key, int) and (
            parent_key in WEEKLY_LISTS or parent_key in STATIONS.values() or parent_key == "slots_per_day"
        ):
            yield path, st.integers(-(10**6), -1) if isinstance(value, int) else below_zero
        elif key in STATIONS.values():  # a scalar rota
            yield path, st.integers(-(10**6), -1)


def _accepted(data: dict) -> bool:
    """Whether the config schema accepts ``data`` as it stands."""
    try:
        validate_config(copy.deepcopy(data), "strategy")
    except ConfigError:
        return False
    return True


def _wrong_type_values(value):
    if isinstance(value, bool):
        return st.sampled_from(["yes", "true", 1, 0, None, 1.5, [True]])
    if isinstance(value, int):
        return st.sampled_from(["abc", "12", None, {"x": 1}, [], 2.5])
    if isinstance(value, float):
        return st.sampled_from(["abc", "1.5", None, {"x": 1}, [], True])
    if isinstance(value, str):
        return st.sampled_from([5, None, ["a"], {"x": 1}, True])
    if isinstance(value, list):
        return st.sampled_from(["abc", {"x": 1}, [{"x": 1}]])
    return st.sampled_from(["abc", 5, [1, 2], None])  # a section


# includes names such as "interval" or "float_x" that look like pydantic's union
# branch labels ("int", "float", ...), which error paths must not drop
unknown_keys = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{1,12}", fullmatch=True),
    st.builds(
        lambda a, b: a + b,
        st.sampled_from(["int", "float", "list", "union", "function"]),
        st.from_regex(r"[a-z0-9_]{0,8}", fullmatch=True),
    ),
)


@st.composite
def invalid_mutations(draw, base: dict | None = None):
    """``(config dict, path of the broken field, kind)``: a config the schema must refuse."""
    d = copy.deepcopy(base) if base is not None else base_dict(draw(st.sampled_from(SCENARIOS)))
    kind = draw(
        st.sampled_from(
            ["range", "range", "wrong_type", "unknown_key", "missing_key", "wrong_length", "sum", "cross_field"]
        )
    )
    everything = list(leaf_paths(d))
    if kind == "range":
        path, bad = draw(st.sampled_from(list(_range_targets(d))))
        set_path(d, path, draw(bad))
    elif kind == "wrong_type":
        path, value = draw(st.sampled_from([(p, v) for p, v in everything if p and v is not None]))
        bad = draw(_wrong_type_values(value))
        set_path(d, path, bad)
        if bad is None:  # null is a wrong type only where the schema does not allow it (e.g. patience)
            assume(not _accepted(d))
    elif kind == "unknown_key":
        parent, node = draw(st.sampled_from([(p, v) for p, v in everything if isinstance(v, dict)]))
        key = draw(unknown_keys.filter(lambda k: k not in node))
        node[key] = draw(st.sampled_from([1, "x", None, [1], {"a": 1}]))
        path = parent + (key,)
    elif kind == "missing_key":
        path, _ = draw(
            st.sampled_from([(p, v) for p, v in everything if p and isinstance(p[-1], str) and v is not None])
        )
        del get_path(d, path[:-1])[path[-1]]
    elif kind == "wrong_length":
        lists = [
            (p, v)
            for p, v in everything
            if p and isinstance(p[-1], str) and isinstance(v, list) and p[-1] != "booking_order"
        ]
        path, value = draw(st.sampled_from(lists))
        n = draw(st.integers(0, 40).filter(lambda k: k != len(value)))
        if draw(st.booleans()) and path[-1] in STATIONS.values():
            # a 7 x 24 rota with one day of the wrong length
            day = draw(st.integers(0, 6))
            value = [list(value) for _ in range(7)]
            value[day] = (value[day] * 2)[: n if n != 24 else 23]
            set_path(d, path, value)
        else:
            set_path(d, path, (list(value) * 40)[:n] if value else [1] * n)
    elif kind == "sum":
        which = draw(st.sampled_from([("demand", "nhs111", "dispositions"), ("demand", "practice_overflow", "choice")]))
        node = get_path(d, which)
        key = draw(st.sampled_from(sorted(node)))
        node[key] = node[key] + draw(st.floats(0.001, 0.5))
        path = which + (key,) if node[key] > 1 else which
    else:  # cross_field
        case = draw(st.sampled_from(["warmup", "session", "triangular", "uniform", "all_zero_hours", "how_shape"]))
        if case == "warmup":
            d["run"]["warmup_days"] = d["run"]["days"] + draw(st.integers(0, 100))
            path = ("run", "warmup_days")
        elif case == "session":
            name = draw(st.sampled_from(DIARIES))
            diary = d["slot_diaries"][name]
            diary["session_end_hour"] = draw(st.floats(0.0, 23.0))
            diary["session_start_hour"] = diary["session_end_hour"] + draw(
                st.floats(0.01, 24.0 - diary["session_end_hour"])
            )
            path = ("slot_diaries", name, "session_end_hour")
        elif case == "triangular":
            low = draw(st.floats(0.0, 50.0))
            mode, high = draw(
                st.sampled_from(
                    [(low, low), (low + 2, low + 1), (max(low - 1, 0.0) / 2, low) if low > 0 else (0.0, 0.0)]
                )
            )
            d["ed"]["time_min"] = {"dist": "triangular", "low": low, "mode": mode, "high": high}
            path = ("ed", "time_min")
        elif case == "uniform":
            high = draw(st.floats(0.0, 50.0))
            d["utc"]["consult_time_min"] = {"dist": "uniform", "low": high + draw(st.floats(0.01, 10.0)), "high": high}
            path = ("utc", "consult_time_min")
        elif case == "all_zero_hours":
            ch = draw(st.sampled_from(CHANNELS))
            d["demand"][ch]["hour_of_day"] = [0.0] * 24
            d["demand"][ch]["mean_per_day"] = draw(st.floats(0.1, 500.0))
            path = ("demand", ch, "hour_of_day")
        else:  # hour_of_week with the wrong shape
            ch = draw(st.sampled_from(CHANNELS))
            n_days = draw(st.integers(0, 10))
            how = [[1.0] * 24 for _ in range(n_days)]
            if n_days == 7:
                how[draw(st.integers(0, 6))] = [1.0] * draw(st.sampled_from([0, 1, 23, 25, 168]))
            d["demand"][ch]["hour_of_week"] = how
            path = ("demand", ch, "hour_of_week")
    return d, path, kind
