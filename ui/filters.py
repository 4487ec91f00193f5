"""Sidebar filter widgets, kept in step with the URL query string.

The whole filter state is an :class:`geo.filters.IncidentFilter`. It is read from the query
string when a session opens (so a bookmarked or shared URL reopens the same view), shown in the
widgets, and written back to the query string after every change.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from geo.compact import distinct_text
from geo.filters import IncidentFilter
from layers.basemap import OFFLINE_BASEMAP, TILE_BASEMAPS
from ui import messages
from ui.data import Dataset

PRESETS = ("All time", "Last 30 days of data", "Last 12 months of data", "Custom")
KEYS = {
    "dates": "f_dates",
    "preset": "f_preset",
    "groups": "f_groups",
    "include_affiliates": "f_affiliates",
    "event_types": "f_event_types",
    "provinces": "f_provinces",
    "min_fatalities": "f_min_fatalities",
    "text": "f_text",
    "rail_on": "f_rail_on",
    "rail_km": "f_rail_km",
    "rail_possible": "f_rail_possible",
    "flagged_only": "f_flagged",
    "datasets": "f_datasets",
}
DEFAULT_RAIL_KM = 10.0
PENDING = "pending_filter"


def date_bounds(dataset: Dataset) -> tuple[date, date]:
    """Return the first start date and last end date in the dataset."""
    first, last = dataset.date_span or (date.today(), date.today())
    # A slider needs two different ends; a one-day dataset gets the following day too.
    return first, max(last, first + timedelta(days=1))


RAIL_KM_RANGE = (0.5, 100.0)  # the "Within km of a rail line" slider
MAX_MIN_FATALITIES = 100_000  # above any incident ever recorded; keeps the number box sane
MAX_TEXT = 500  # characters of search text taken from a link
PERIODS = {  # the ``period`` link parameter: a preset that stays a preset when reopened
    "last-30-days": "Last 30 days of data",
    "last-12-months": "Last 12 months of data",
}
NOTES = "filter_notes"  # what a link or snapshot asked for that could not be shown as asked
FILTER_KEYS = frozenset({f.name for f in fields(IncidentFilter)} | {"period"})


def _unknown(kind: str, names: tuple[str, ...], known: list[str], notes: list[str]) -> list[str]:
    """Return the names that are options, noting those that are not."""
    options = set(known)
    missing = [name for name in names if name not in options]
    if missing:
        shown = ", ".join(repr(name) for name in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        notes.append(f"{kind} not in this data, left out: {shown}{more}")
    return [name for name in names if name in options]


def _clamped_dates(
    flt: IncidentFilter, first: date, last: date, notes: list[str]
) -> tuple[date, date]:
    """Return the filter's date range inside the data's, noting each value moved."""
    start, end = flt.start or first, flt.end or last
    if start > last:
        notes.append(
            f"start={start.isoformat()} is after the last incident ({last.isoformat()}); "
            f"showing from {last.isoformat()}"
        )
        start = last
    if end < first:
        notes.append(
            f"end={end.isoformat()} is before the first incident ({first.isoformat()}); "
            f"showing up to {first.isoformat()}"
        )
        end = first
    start, end = max(first, start), min(last, end)
    return min(start, end), max(start, end)


def _clamped_rail_km(rail_km: float, notes: list[str]) -> float:
    low, high = RAIL_KM_RANGE
    if low <= rail_km <= high:
        return float(rail_km)
    clamped = low if rail_km < low else high
    notes.append(
        f"rail_km={rail_km:g} is outside {low:g}–{high:g} km, the range of the railway "
        f"filter; using {clamped:g} km"
    )
    return clamped


def _set_widgets(
    flt: IncidentFilter, dataset: Dataset, notes: list[str] | None = None, period: str = ""
) -> None:
    """Put a filter's values into the widgets' session state, within the widgets' ranges.

    Values the widgets cannot show (a date outside the data, a distance outside the slider,
    a group the data does not have) are moved into range or left out, and each is described
    in ``notes`` (naming the value), so one bad value never drops the rest of a link.
    """
    notes = [] if notes is None else notes
    first, last = date_bounds(dataset)
    state = st.session_state
    start, end = _clamped_dates(flt, first, last, notes)
    state[KEYS["dates"]] = (start, end)
    state[KEYS["preset"]] = "All time" if (start, end) == (first, last) else "Custom"
    if period:
        state[KEYS["preset"]] = PERIODS[period]
        _apply_preset(dataset)
    state[KEYS["groups"]] = _unknown("group(s)", flt.groups, _group_options(dataset), notes)
    state[KEYS["include_affiliates"]] = flt.include_affiliates
    state[KEYS["event_types"]] = _unknown(
        "event type(s)", flt.event_types, _options(dataset, "event_type"), notes
    )
    state[KEYS["provinces"]] = _unknown(
        "province(s)", flt.provinces, _options(dataset, "province"), notes
    )
    minimum = flt.min_fatalities
    if minimum > MAX_MIN_FATALITIES:
        notes.append(f"min_fatalities={minimum:,} is above {MAX_MIN_FATALITIES:,}; using that")
        minimum = MAX_MIN_FATALITIES
    state[KEYS["min_fatalities"]] = minimum
    text = flt.text
    if len(text) > MAX_TEXT:
        notes.append(f"the search text ({len(text):,} characters) was cut to {MAX_TEXT}")
        text = text[:MAX_TEXT]
    state[KEYS["text"]] = text
    state[KEYS["rail_on"]] = flt.rail_km is not None
    rail_km = flt.rail_km if flt.rail_km is not None else DEFAULT_RAIL_KM
    state[KEYS["rail_km"]] = _clamped_rail_km(rail_km, notes)
    state[KEYS["rail_possible"]] = flt.rail_possible
    state[KEYS["flagged_only"]] = flt.flagged_only
    state[KEYS["datasets"]] = _unknown(
        "dataset(s)", flt.datasets, _options(dataset, "dataset"), notes
    )
    if flt.bbox is not None:
        notes.append("bbox is not shown by the sidebar and was left out")


def request_filter(flt: IncidentFilter, problems: list[str] | tuple[str, ...] = ()) -> None:
    """Ask for ``flt`` to be shown in the widgets on the next run (e.g. from a snapshot).

    ``problems`` are what could not be read of the filters (shown with the other notes).
    """
    st.session_state[PENDING] = (flt, list(problems))


def link_filter(query: dict[str, str]) -> tuple[IncidentFilter, str, list[str]]:
    """Read a link's filters: the filter, its preset period (or ``""``) and the problems.

    Parameters
    ----------
    query : dict of str to str
        The URL's query parameters (other keys are ignored).

    Returns
    -------
    tuple of (IncidentFilter, str, list of str)
    """
    flt, problems = IncidentFilter.from_query_lenient(query)
    period = query.get("period", "")
    if period and period not in PERIODS:
        problems.append(
            f"period={messages.cut(period, 60)!r} is not one of {', '.join(PERIODS)}; "
            "showing the dates instead"
        )
        period = ""
    return flt, period, problems


def initialise(dataset: Dataset) -> None:
    """Fill the widgets from a pending filter, or from the URL when the session opens."""
    state = st.session_state
    if PENDING in state:
        flt, notes = state.pop(PENDING)
        _set_widgets(flt, dataset, notes)
        state[NOTES] = ("the snapshot's filters", notes)
        state["filters_ready"] = True
        return
    if state.get("filters_ready"):
        return
    flt, period, notes = link_filter(st.query_params.to_dict())
    _set_widgets(flt, dataset, notes, period)
    state[NOTES] = ("the link", notes)
    state["filters_ready"] = True


def _options(dataset: Dataset, column: str) -> list[str]:
    return _column_options(dataset, dataset.content_hash, column)


def _group_options(dataset: Dataset) -> list[str]:
    return _groups_present(dataset, dataset.content_hash, tuple(dataset.groups.names))


# The choices of a filter depend on the data alone: worked out once per dataset, not on every
# page run (10 ms a run at a million incidents).
@st.cache_data(max_entries=64, show_spinner=False)
def _column_options(_dataset: Dataset, content_hash: str, column: str) -> list[str]:
    return sorted(v for v in distinct_text(_dataset.incidents[column]) if v)


@st.cache_data(max_entries=16, show_spinner=False)
def _groups_present(_dataset: Dataset, content_hash: str, registry: tuple[str, ...]) -> list[str]:
    cells = pd.Series(distinct_text(_dataset.incidents["groups"]), dtype="str")
    present = set(cells.str.split(";").explode().str.strip()) - {""}
    registry_order = [g for g in registry if g in present]
    return registry_order + sorted(present - set(registry_order))


def _apply_preset(dataset: Dataset) -> None:
    """Move the date slider when a preset is chosen (runs as an on_change callback)."""
    first, last = date_bounds(dataset)
    preset = st.session_state[KEYS["preset"]]
    if preset == "All time":
        st.session_state[KEYS["dates"]] = (first, last)
    elif preset == "Last 30 days of data":
        st.session_state[KEYS["dates"]] = (max(first, last - timedelta(days=29)), last)
    elif preset == "Last 12 months of data":
        start = (pd.Timestamp(last) - pd.DateOffset(months=12) + pd.Timedelta(days=1)).date()
        st.session_state[KEYS["dates"]] = (max(first, start), last)


def state_has(key: str) -> bool:
    """Whether a multi-choice widget currently holds a value."""
    return bool(st.session_state.get(key))


def _mark_custom() -> None:
    st.session_state[KEYS["preset"]] = "Custom"


def reset() -> None:
    """Clear every filter (an on_click callback); the map view and other link keys stay."""
    request_filter(IncidentFilter())
    for key in [k for k in st.query_params.to_dict() if k in FILTER_KEYS]:
        del st.query_params[key]


def _show_notes() -> None:
    """Say, once, which values of a link or snapshot were moved into range or left out."""
    source, notes = st.session_state.pop(NOTES, ("", []))
    if notes:
        fields = "; ".join(f"{{note{number}}}" for number in range(len(notes)))
        messages.warning(
            "Some of {source}'s filters could not be used as given: " + fields + ". "
            "The other filters are applied.",
            where=st.sidebar,
            source=source,
            **{f"note{number}": note for number, note in enumerate(notes)},
        )


def sidebar(dataset: Dataset) -> IncidentFilter:
    """Draw the filter widgets and return the filter they describe.

    Parameters
    ----------
    dataset : Dataset
        The incidents being explored (for the widgets' options and date range).

    Returns
    -------
    IncidentFilter
    """
    initialise(dataset)
    first, last = date_bounds(dataset)
    _show_notes()
    sb = st.sidebar
    sb.header("Filters")
    sb.radio(
        "Time",
        PRESETS,
        key=KEYS["preset"],
        horizontal=True,
        on_change=_apply_preset,
        args=(dataset,),
    )
    sb.slider(
        "Date range",
        min_value=first,
        max_value=last,
        key=KEYS["dates"],
        format="YYYY-MM-DD",
        on_change=_mark_custom,
        help="An incident that spans several days is shown if any of its days is in the range.",
    )
    registry = dataset.groups
    sb.multiselect(
        "Armed groups",
        _group_options(dataset),
        key=KEYS["groups"],
        format_func=lambda g: f"{g} ({registry.full_name(g)})" if registry.full_name(g) != g else g,
        placeholder="All groups",
    )
    sb.checkbox(
        "Include factions and wings (e.g. TTP → JuA, TJP)",
        value=True,
        key=KEYS["include_affiliates"],
    )
    sb.multiselect(
        "Event types",
        _options(dataset, "event_type"),
        key=KEYS["event_types"],
        placeholder="All types",
    )
    sb.multiselect(
        "Provinces (as stated by sources)",
        _options(dataset, "province"),
        key=KEYS["provinces"],
        placeholder="All provinces",
    )
    sb.number_input(
        "Minimum people killed (highest report)",
        min_value=0,
        step=1,
        key=KEYS["min_fatalities"],
    )
    sb.text_input(
        "Search text",
        key=KEYS["text"],
        placeholder='e.g. Jaffar Express, "railway station"',
        help="Searches summary, place, groups, claims, target and id. All words must match.",
    )
    sb.checkbox("Only near the railway", key=KEYS["rail_on"])
    if st.session_state[KEYS["rail_on"]]:
        sb.slider("Within km of a rail line", 0.5, 100.0, step=0.5, key=KEYS["rail_km"])
        sb.checkbox(
            "Include incidents only possibly near (town or area points)",
            key=KEYS["rail_possible"],
            help="An incident located only to a town or area may be up to about 25 km from "
            "its point. Sites that sources name by station or km post are always placed on "
            "the line.",
        )
    if dataset.any_flagged or st.session_state[KEYS["flagged_only"]]:
        sb.checkbox(
            "Only flagged incidents (location contradicts source)", key=KEYS["flagged_only"]
        )
    if len(_options(dataset, "dataset")) > 1 or state_has(KEYS["datasets"]):
        sb.multiselect(
            "Datasets",
            _options(dataset, "dataset"),
            key=KEYS["datasets"],
            placeholder="All datasets",
        )
    sb.button("Reset filters", on_click=reset, width="stretch")
    return current_filter(dataset)


def current_filter(dataset: Dataset) -> IncidentFilter:
    """Return the filter the widgets describe (open-ended where a widget is at its default)."""
    state = st.session_state
    first, last = date_bounds(dataset)
    start, end = state[KEYS["dates"]]
    return IncidentFilter(
        start=start if start > first else None,
        end=end if end < last else None,
        groups=tuple(state[KEYS["groups"]]),
        include_affiliates=bool(state[KEYS["include_affiliates"]]),
        event_types=tuple(state[KEYS["event_types"]]),
        provinces=tuple(state[KEYS["provinces"]]),
        min_fatalities=int(state[KEYS["min_fatalities"]]),
        text=str(state[KEYS["text"]]).strip(),
        rail_km=float(state[KEYS["rail_km"]]) if state[KEYS["rail_on"]] else None,
        rail_possible=bool(state.get(KEYS["rail_possible"], True)),
        flagged_only=bool(state[KEYS["flagged_only"]]),
        datasets=tuple(state.get(KEYS["datasets"], ())),
    )


def link_query(flt: IncidentFilter) -> dict[str, str]:
    """Return the link parameters of the filters, with a preset period kept as a preset."""
    query = flt.to_query()
    preset = st.session_state.get(KEYS["preset"])
    period = next((key for key, label in PERIODS.items() if label == preset), None)
    if period is not None:
        query.pop("start", None)
        query.pop("end", None)
        query["period"] = period
    return query


def sync_query_string(flt: IncidentFilter) -> None:
    """Write the filters to the URL so the view can be bookmarked and shared.

    Keys that are not filters (the map view, the basemap, the layers) are kept. The URL is
    written on every run, even when this run's copy of it already agrees: after fast
    changes the browser may still apply an earlier run's URL, and this run's must come last.
    """
    wanted = link_query(flt)
    others = {k: v for k, v in st.query_params.to_dict().items() if k not in FILTER_KEYS}
    st.query_params.from_dict({**others, **wanted})


def basemap_names() -> dict[str, str]:
    """Return every accepted basemap name (short, lower case) and the label it stands for.

    ``offline``, ``street``, ``satellite`` and ``terrain`` (the first word of each label), and
    each full label in lower case.
    """
    labels = [OFFLINE_BASEMAP, *(spec["name"] for spec in TILE_BASEMAPS)]
    names = {label.split()[0].casefold(): label for label in labels}
    names.update({label.casefold(): label for label in labels})
    return names


def basemap_choice(requested: str | None) -> str:
    """Return the basemap label for ``--basemap NAME``, or the offline one with a warning.

    Parameters
    ----------
    requested : str or None
        A short name (``satellite``), a full label, in any case; None for the default.

    Returns
    -------
    str
        A label that :func:`layers.basemap.build_base_map` accepts.
    """
    if not requested:
        return OFFLINE_BASEMAP
    names = basemap_names()
    chosen = names.get(requested.strip().casefold())
    if chosen is None:
        short = ", ".join(name for name in names if " " not in name)
        messages.warning(
            "--basemap {requested} is not a basemap; expected one of {short}. "
            "Showing the offline basemap.",
            requested=requested,
            short=short,
        )
        return OFFLINE_BASEMAP
    return chosen
