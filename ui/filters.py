"""Sidebar filter widgets, kept in step with the URL query string.

The whole filter state is an :class:`geo.filters.IncidentFilter`. It is read from the query
string when a session opens (so a bookmarked or shared URL reopens the same view), shown in the
widgets, and written back to the query string after every change.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from geo.filters import IncidentFilter
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
    incidents = dataset.incidents
    if incidents.empty:
        first = last = date.today()
    else:
        first, last = incidents["start"].min().date(), incidents["end"].max().date()
    # A slider needs two different ends; a one-day dataset gets the following day too.
    return first, max(last, first + timedelta(days=1))


def _set_widgets(flt: IncidentFilter, dataset: Dataset) -> None:
    """Put a filter's values into the widgets' session state."""
    first, last = date_bounds(dataset)
    start = max(first, flt.start) if flt.start else first
    end = min(last, flt.end) if flt.end else last
    state = st.session_state
    state[KEYS["dates"]] = (min(start, end), max(start, end))
    state[KEYS["preset"]] = "All time" if (start, end) == (first, last) else "Custom"
    state[KEYS["groups"]] = [g for g in flt.groups if g in _group_options(dataset)]
    state[KEYS["include_affiliates"]] = flt.include_affiliates
    state[KEYS["event_types"]] = [
        e for e in flt.event_types if e in _options(dataset, "event_type")
    ]
    state[KEYS["provinces"]] = [p for p in flt.provinces if p in _options(dataset, "province")]
    state[KEYS["min_fatalities"]] = flt.min_fatalities
    state[KEYS["text"]] = flt.text
    state[KEYS["rail_on"]] = flt.rail_km is not None
    state[KEYS["rail_km"]] = float(flt.rail_km if flt.rail_km is not None else DEFAULT_RAIL_KM)
    state[KEYS["rail_possible"]] = flt.rail_possible
    state[KEYS["flagged_only"]] = flt.flagged_only
    state[KEYS["datasets"]] = [d for d in flt.datasets if d in _options(dataset, "dataset")]


def request_filter(flt: IncidentFilter) -> None:
    """Ask for ``flt`` to be shown in the widgets on the next run (e.g. from a snapshot)."""
    st.session_state[PENDING] = flt


def initialise(dataset: Dataset) -> None:
    """Fill the widgets from a pending filter, or from the URL when the session opens."""
    state = st.session_state
    if PENDING in state:
        _set_widgets(state.pop(PENDING), dataset)
        state["filters_ready"] = True
        return
    if state.get("filters_ready"):
        return
    try:
        flt = IncidentFilter.from_query(st.query_params.to_dict())
    except ValueError as error:
        state["url_error"] = str(error)
        flt = IncidentFilter()
    _set_widgets(flt, dataset)
    state["filters_ready"] = True


def _options(dataset: Dataset, column: str) -> list[str]:
    return sorted(v for v in dataset.incidents[column].astype(str).unique() if v)


def _group_options(dataset: Dataset) -> list[str]:
    cells = pd.Series(dataset.incidents["groups"].astype(str).unique())
    present = set(cells.str.split(";").explode().str.strip()) - {""}
    registry_order = [g for g in dataset.groups.names if g in present]
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
    """Clear every filter (an on_click callback)."""
    request_filter(IncidentFilter())
    st.query_params.clear()


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
    if "url_error" in st.session_state:
        st.sidebar.error(f"Ignored the link's filters: {st.session_state.pop('url_error')}")
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
    if (dataset.incidents["flags"] != "").any() or st.session_state[KEYS["flagged_only"]]:
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


def sync_query_string(flt: IncidentFilter) -> None:
    """Write the filter to the URL so the view can be bookmarked and shared."""
    wanted = flt.to_query()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
