"""The railway corridor view: one line's km posts across, time up, one mark per incident.

Brushing a rectangle (a km range and a period) filters the map and every panel; clicking a mark
opens that incident (its summary here, the map centred on it, and the Incident details tab set
to it). The chart is Vega-Lite through ``st.altair_chart``, which Streamlit serves itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from geo.corridor import (
    CorridorWindow,
    corridor_incidents,
    corridor_stations,
    line_incident_counts,
    nearest_stations,
    window_from_brush,
)
from geo.gazetteer import Place
from geo.selection import Rows
from ui import messages
from ui.data import Dataset

if TYPE_CHECKING:
    import altair as alt

CHART_KEY = "corridor_chart"
LINE_KEY = "corridor_line"
DISTANCE_KEY = "corridor_km"
POSSIBLE_KEY = "corridor_possible"
LAST_PICK_KEY = "corridor_last_pick"
DEFAULT_MAX_KM = 10.0
MAX_MARKS = 5_000  # Vega-Lite draws every mark in the page; beyond this the most recent are shown
CHART_HEIGHT = 420
LABEL_GAP_FRACTION = 1 / 45  # one station label per this fraction of the line's length
INCIDENT_ZOOM = 11
DETAIL_KEY = "detail_id"  # the Incident details tab's id box (ui/panels.py)


@dataclass(frozen=True)
class CorridorState:
    """What the corridor view asks of the rest of the page on this run."""

    window: CorridorWindow | None
    opened: pd.Series | None  # the incident a click opened (a row of the corridor table)


def _lines(dataset: Dataset) -> list[str]:
    return [str(line) for line in dataset.rail_lines["line"]]


def _default_line(selected: pd.DataFrame, dataset: Dataset, key: tuple) -> str:
    return _cached_default_line(selected, key, tuple(_lines(dataset)))


# Shared by every session and handed out as is (never changed in place): a million-incident
# selection takes over a second to place along a line, and each run of the page needs it.
@st.cache_resource(max_entries=8, show_spinner=False)
def _cached_default_line(_selected: pd.DataFrame, key: tuple, lines: tuple[str, ...]) -> str:
    counts = line_incident_counts(_selected, DEFAULT_MAX_KM)
    return next((line for line in counts.index if line in lines), lines[0])


@st.cache_resource(max_entries=8, show_spinner=False)
def _cached_corridor(
    _selected: pd.DataFrame,
    key: tuple,
    line: str,
    max_km: float,
    include_possible: bool,
    colours: tuple[tuple[str, str], ...],
) -> pd.DataFrame:
    return corridor_incidents(
        _selected, line, dict(colours), max_km=max_km, include_possible=include_possible
    )


def _corridor_of(
    selected: pd.DataFrame,
    key: tuple,
    line: str,
    colours: dict[str, str],
    *,
    max_km: float,
    include_possible: bool,
) -> pd.DataFrame:
    """:func:`geo.corridor.corridor_incidents`, cached on the selection's key (read only)."""
    return _cached_corridor(
        selected, key, line, max_km, include_possible, tuple(sorted(colours.items()))
    )


def _corridor(
    selected: pd.DataFrame, dataset: Dataset, colours: dict[str, str], key: tuple
) -> pd.DataFrame:
    line = st.session_state.get(LINE_KEY) or _default_line(selected, dataset, key)
    return _corridor_of(
        selected,
        key,
        line,
        colours,
        max_km=float(st.session_state.get(DISTANCE_KEY, DEFAULT_MAX_KM)),
        include_possible=bool(st.session_state.get(POSSIBLE_KEY, True)),
    )


def corridor_state(
    selected: Rows, dataset: Dataset, colours: dict[str, str], key: tuple
) -> CorridorState:
    """Read the chart's selections from this session (before the map and panels are drawn).

    Parameters
    ----------
    selected : Rows
        Incidents the sidebar filters select (copied whole only while the chart holds a
        brush or a pick).
    dataset : Dataset
        For the rail lines.
    colours : dict
        Group colours.
    key : tuple
        Identifies ``selected`` (dataset hash and filters, :func:`ui.data.selection_key`): the
        corridor of a selection is computed once and shared.

    Returns
    -------
    CorridorState
    """
    event = st.session_state.get(CHART_KEY)
    selection = getattr(event, "selection", None) or (event or {}).get("selection", {})
    if not selection or selected.empty or dataset.rail_lines.empty:
        return CorridorState(None, None)
    selected = selected.frame
    corridor = _corridor(selected, dataset, colours, key)
    line = st.session_state.get(LINE_KEY) or _default_line(selected, dataset, key)
    window = window_from_brush(corridor, line, selection.get("brush") or {})
    opened = None
    picks = selection.get("pick") or []
    if picks and isinstance(picks[0], dict):
        rows = corridor[corridor["incident_id"] == str(picks[0].get("incident_id"))]
        opened = rows.iloc[0] if len(rows) else None
    if opened is not None and st.session_state.get(LAST_PICK_KEY) != opened["incident_id"]:
        st.session_state[LAST_PICK_KEY] = opened["incident_id"]
        st.session_state[DETAIL_KEY] = opened["incident_id"]
    return CorridorState(window, opened)


def opened_place(opened: pd.Series, selected: pd.DataFrame) -> tuple[Place, int] | None:
    """Return the map position of an incident opened from the chart, and the zoom to show it."""
    rows = selected[selected["incident_id"].astype(str) == opened["incident_id"]]
    if rows.empty or rows.geometry.iloc[0] is None or rows.geometry.iloc[0].is_empty:
        return None
    point = rows.geometry.iloc[0]
    place = Place(
        name=str(opened["place"]),
        kind="incident place",
        lon=float(point.x),
        lat=float(point.y),
        province=None,
        population=None,
        source=f"incident {opened['incident_id']}",
    )
    return place, INCIDENT_ZOOM


def corridor_chart(corridor: pd.DataFrame, stations: pd.DataFrame, line: str) -> alt.LayerChart:
    """Return the corridor chart: stations as ticks, incidents as marks, brush and click.

    Parameters
    ----------
    corridor : pandas.DataFrame
        From :func:`geo.corridor.corridor_incidents`.
    stations : pandas.DataFrame
        From :func:`geo.corridor.corridor_stations`.
    line : str
        Line name, for the axis title.

    Returns
    -------
    altair.LayerChart
        With the selections ``brush`` (interval over km and time) and ``pick`` (a click on a
        mark, by ``incident_id``).
    """
    # Imported here: only an open corridor tab draws the chart, and Altair took 0.3 s of the
    # server's first page.
    import altair as alt

    low = float(min(stations["km"].min(), corridor["km"].min() if len(corridor) else 0))
    high = float(max(stations["km"].max(), corridor["km"].max() if len(corridor) else 1))
    x_scale = alt.Scale(domain=[low, high], nice=False, zero=False)
    x = alt.X("km:Q", scale=x_scale, title=f"km post on {line} (Pakistan Railways)")
    y = alt.Y(
        "start_text:T",
        scale=alt.Scale(type="utc"),
        title="date",
        axis=alt.Axis(format="%b %Y", labelOverlap=True),
    )
    brush = alt.selection_interval(name="brush", encodings=["x", "y"])
    pick = alt.selection_point(name="pick", fields=["incident_id"], on="click")
    ticks = alt.Chart(stations).mark_rule(color="#d4d0c8", strokeWidth=1).encode(x=x)
    labels = (
        alt.Chart(stations[stations["labelled"]])
        .mark_text(angle=315, align="left", baseline="middle", dx=4, fontSize=11, color="#5a2a22")
        .encode(x=x, y=alt.value(-6), text="station:N")
    )
    data = corridor.assign(
        km_low=corridor["km"] - corridor["km_uncertainty"],
        km_high=corridor["km"] + corridor["km_uncertainty"],
        fill=corridor["colour"].where(corridor["precise"], "#ffffff"),
        date_label=corridor["start"].dt.strftime("%Y-%m-%d %H:%M").str.removesuffix(" 00:00"),
    )
    spans = (
        alt.Chart(data[data["km_uncertainty"] > 0])
        .mark_rule(strokeWidth=2, opacity=0.35)
        .encode(x="km_low:Q", x2="km_high:Q", y=y, color=alt.Color("colour:N", scale=None))
    )
    marks = (
        alt.Chart(data)
        .mark_circle(size=110, strokeWidth=2, opacity=1)
        .encode(
            x=x,
            y=y,
            stroke=alt.Color("colour:N", scale=None),
            fill=alt.Color("fill:N", scale=None),
            tooltip=[
                alt.Tooltip("incident_id:N", title="Incident"),
                alt.Tooltip("date_label:N", title="Start"),
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("place:N", title="Place"),
                alt.Tooltip("km:Q", title="Km post"),
                alt.Tooltip("basis:N", title="Km post from"),
                alt.Tooltip("killed:Q", title="Killed (highest report)"),
            ],
        )
        .add_params(brush, pick)
    )
    return (
        alt.layer(ticks, labels, spans, marks)
        .properties(height=CHART_HEIGHT, padding={"top": 90, "right": 60, "left": 5, "bottom": 5})
        .configure_view(strokeWidth=0)
    )


def keep_settings() -> None:
    """Keep the chosen line and distance over runs that do not draw the corridor tab.

    The tab is drawn only while open (or while its chart holds a brush or a pick), and
    Streamlit forgets the value of a widget a run does not draw; a value written to the
    session state is kept. The defaults are set here too, so the widgets take no ``value``.
    """
    st.session_state[DISTANCE_KEY] = st.session_state.get(DISTANCE_KEY, DEFAULT_MAX_KM)
    st.session_state[POSSIBLE_KEY] = st.session_state.get(POSSIBLE_KEY, True)
    if LINE_KEY in st.session_state:
        st.session_state[LINE_KEY] = st.session_state[LINE_KEY]


def chart_in_use() -> bool:
    """Whether the corridor chart holds a brush or a pick (it must then be drawn every run)."""
    event = st.session_state.get(CHART_KEY)
    selection = getattr(event, "selection", None) or (event or {}).get("selection", {})
    return bool(selection and (selection.get("brush") or selection.get("pick")))


def corridor_panel(
    selected: pd.DataFrame,
    dataset: Dataset,
    colours: dict[str, str],
    state: CorridorState,
    key: tuple,
) -> None:
    """Show the corridor tab: line, distance, the chart, and the incident a click opened.

    Parameters
    ----------
    selected : pandas.DataFrame
        Incidents the sidebar filters select (before the corridor window).
    dataset : Dataset
        For rail lines and stations.
    colours : dict
        Group colours, as on the map.
    state : CorridorState
        As read by :func:`corridor_state` at the start of the run.
    key : tuple
        Identifies ``selected`` (see :func:`corridor_state`).
    """
    lines = _lines(dataset)
    if not lines:
        st.caption("No rail line is loaded.")
        return
    if st.session_state.get(LINE_KEY) not in lines:
        st.session_state[LINE_KEY] = _default_line(selected, dataset, key)
    left, middle, right = st.columns([2, 2, 1])
    line = left.selectbox("Rail line", lines, key=LINE_KEY)
    max_km = middle.slider(
        "Incidents within (km of the line)",
        min_value=1.0,
        max_value=50.0,
        step=1.0,
        key=DISTANCE_KEY,
    )
    right.checkbox(
        "Include possibly near",
        key=POSSIBLE_KEY,
        help="Incidents placed only at a town or area point, whose site may be farther away.",
    )
    corridor = _corridor_of(
        selected,
        key,
        line,
        colours,
        max_km=max_km,
        include_possible=bool(st.session_state.get(POSSIBLE_KEY, True)),
    )
    if len(corridor) > MAX_MARKS:
        messages.caption(
            "Showing the {shown:,} most recent of {total:,} incidents near this line.",
            shown=MAX_MARKS,
            total=len(corridor),
        )
        corridor = corridor.tail(MAX_MARKS)
    on_line = dataset.stations[dataset.stations["line"] == line]
    span = float(on_line["km"].max() - on_line["km"].min()) if len(on_line) else 1.0
    stations = corridor_stations(
        dataset.stations,
        line,
        min_label_gap_km=span * LABEL_GAP_FRACTION,
        prefer=nearest_stations(corridor["km"], on_line[["station", "km"]].reset_index(drop=True)),
    )
    messages.caption(
        "{count} incident(s) within {km:g} km of {line}. Drag a rectangle to keep a stretch "
        "of track and a period on the map and in every panel (double-click to clear); click a "
        "mark to open the incident. Hollow marks are only possibly near: their point is a town "
        "or area point; a bar shows how far along the track the site may be.",
        count=len(corridor),
        km=max_km,
        line=line,
    )
    st.altair_chart(
        corridor_chart(corridor, stations, line),
        on_select="rerun",
        selection_mode=["brush", "pick"],
        key=CHART_KEY,
        width="stretch",
    )
    if state.opened is not None:
        _show_opened(state.opened)


def _show_opened(row: pd.Series) -> None:
    messages.markdown(
        "**{incident}** · {start} · {group} · {place} · km {km}",
        incident=row["incident_id"],
        start=row["start_text"][:10],
        group=row["group"],
        place=row["place"],
        km=f"{row['km']:g}",
    )
    messages.caption(
        "The map is centred on it and the Incident details tab shows everything about it."
    )
