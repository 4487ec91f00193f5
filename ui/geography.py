"""Geography widgets: the place search box, and the cached layers behind the offline basemap.

The gazetteer, the serialised offline basemap and the place labels are built once per process
(they depend only on bundled files) and reused on every rerun.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from geo.gazetteer import Gazetteer, Place
from geo.region import display_context, label_table, load_region_context
from layers.basemap import OfflineBasemapData, offline_basemap_data
from layers.context import OverlayData
from ui.data import DISPLAY_TOLERANCE_DEG, bundled_layers

# How close the map zooms to a place found by search, by kind.
FOCUS_ZOOM = {
    "country": 5,
    "province": 6,
    "city": 11,
    "town": 12,
    "station": 13,
    "incident place": 12,
}
RESULTS_SHOWN = 8
SEARCH_KEY = "place_query"
CHOICE_KEY = "place_choice"
FOCUS_KEY = "map_focus"
SOURCES_KEY = "map_focus_sources"


@dataclass(frozen=True)
class MapFocus:
    """Where the map should go: a found place and the zoom to show it at."""

    place: Place
    zoom: int

    @property
    def center(self) -> tuple[float, float]:
        """The place as ``(lat, lon)``, the order ``st_folium`` expects."""
        return (self.place.lat, self.place.lon)


@st.cache_resource(show_spinner="Loading place names…")
def gazetteer() -> Gazetteer:
    """Return the bundled gazetteer, built once per process and shared by every session."""
    return Gazetteer.bundled()


@st.cache_resource(show_spinner=False)
def offline_basemap() -> OfflineBasemapData:
    """Return the offline basemap's layers, serialised once per process."""
    provinces = bundled_layers().provinces.copy()
    provinces["geometry"] = provinces.geometry.simplify(
        DISPLAY_TOLERANCE_DEG, preserve_topology=True
    )
    return offline_basemap_data(provinces, display_context(load_region_context()))


@st.cache_resource(show_spinner=False)
def map_overlays() -> OverlayData:
    """Return the rail lines and stations, serialised once per process."""
    bundle = bundled_layers()
    return OverlayData.of(bundle.rail_lines, bundle.stations)


@st.cache_data(show_spinner=False)
def place_labels() -> pd.DataFrame:
    """Return the map's place labels (countries, provinces, towns, stations)."""
    return label_table(gazetteer().places)


def warm_start() -> None:
    """Build the layers every page's map shows (the server's warm start, :mod:`ui.warm`)."""
    gazetteer()
    offline_basemap()
    map_overlays()
    place_labels()


def describe(place: Place) -> str:
    """Return one line that tells an analyst which place this is.

    Parameters
    ----------
    place : Place
        A gazetteer place.

    Returns
    -------
    str
        For example ``"Mushkaf — station, Balochistan (ML-3 Rohri–Chaman km 257)"``.
    """
    name = place.name if len(place.name) <= 70 else place.name[:69] + "…"
    where = place.province or place.country or ""
    text = f"{name} — {place.kind}" + (f", {where}" if where and place.kind != where else "")
    if place.kind == "station":
        text += f" ({place.source.split(': ', 1)[-1]})"
    elif place.kind == "incident place":
        text += f" ({place.source.split(': ', 1)[-1]})"
    elif place.population:
        text += f", pop. {place.population:,}"
    return text


def place_search(places: Gazetteer) -> MapFocus | None:
    """Sidebar search box over the gazetteer; return where the map should go, if anywhere.

    Parameters
    ----------
    places : Gazetteer
        Places to search.

    Returns
    -------
    MapFocus or None
        The chosen place (the best match until the analyst picks another), or None while the
        box is empty or nothing matches.
    """
    box = st.sidebar.container(border=True)
    query = box.text_input(
        "Find a place",
        key=SEARCH_KEY,
        placeholder="Town, station or incident place",
        help="Any usual spelling: Mashkaf or Mushkaf, Machh or Mach, Dadhar or Dhadar.",
    )
    if not query.strip():
        return None
    results = places.search(query, limit=RESULTS_SHOWN)
    if not results:
        box.caption("No place matches that name.")
        return None
    choice = box.selectbox(
        f"{len(results)} place(s) found",
        options=range(len(results)),
        format_func=lambda i: describe(results[i]),
        key=f"{CHOICE_KEY}:{query.strip().casefold()}",
    )
    place = results[choice]
    return MapFocus(place=place, zoom=FOCUS_ZOOM[place.kind])


def map_focus(**requests: MapFocus | None) -> MapFocus | None:
    """Return where the map should be centred: the request that changed most recently.

    Each source (the place search, a click in the corridor chart) asks for its focus on every
    run while it is active; only a new or changed request moves the map, so a search that is
    still in its box does not pull the map back after the analyst opens an incident elsewhere.

    Parameters
    ----------
    **requests : MapFocus or None
        The current request of each source, by source name.

    Returns
    -------
    MapFocus or None
    """
    previous = st.session_state.get(SOURCES_KEY, {})
    for source, request in requests.items():
        if request is not None and previous.get(source) != request:
            st.session_state[FOCUS_KEY] = request
    st.session_state[SOURCES_KEY] = dict(requests)
    return st.session_state.get(FOCUS_KEY)
