"""What the peer apps share: the command line, the incidents' coordinates, how each peer draws."""

from __future__ import annotations

import argparse
import sys

import folium
import pandas as pd
import pydeck as pdk
import streamlit as st
from folium.plugins import FastMarkerCluster

from bench.peers import POINT_RGB
from geo.io import load_bundled
from geo.prepared import prepared_synthetic
from layers.assets import localize_assets

SEED = 20250311
CENTRE = (29.8, 69.3)  # latitude, longitude: Pakistan
ZOOM = 5


def size() -> int:
    """Return N of ``--synthetic N`` given after ``--`` on the streamlit command line."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--synthetic", type=int, required=True)
    options, _ = parser.parse_known_args(sys.argv[1:])
    return options.synthetic


@st.cache_resource(show_spinner="Reading incidents…")
def coordinates(n: int) -> pd.DataFrame:
    """Return ``lat``/``lon`` of the n synthetic incidents (one copy for every session)."""
    incidents = prepared_synthetic(n, SEED, load_bundled()).incidents
    return pd.DataFrame({"lat": incidents.geometry.y, "lon": incidents.geometry.x})


# How each peer draws points (``lat``/``lon``): on a page of its own (``bench/peers/*_app.py``) and
# as the map of the dashboard's page (``bench/peers/in_page.py``).


def draw_st_map(points: pd.DataFrame) -> None:
    """``st.map``: Streamlit's own deck.gl scatter map, points in magenta."""
    st.map(points, latitude="lat", longitude="lon", color="#ff00ff", size=300, zoom=ZOOM)


def draw_pydeck(points: pd.DataFrame) -> None:
    """``st.pydeck_chart`` with a deck.gl ScatterplotLayer (no basemap), points in magenta."""
    layer = pdk.Layer(
        "ScatterplotLayer",
        data=points,
        get_position=["lon", "lat"],
        get_fill_color=list(POINT_RGB),
        get_radius=300,
        radius_min_pixels=2,
        pickable=True,
    )
    view = pdk.ViewState(latitude=CENTRE[0], longitude=CENTRE[1], zoom=ZOOM)
    st.pydeck_chart(pdk.Deck(layers=[layer], initial_view_state=view, map_style=None), height=620)


def fastmarkercluster_map(points: pd.DataFrame) -> folium.Map:
    """Return folium's FastMarkerCluster of the points on a map without tiles, scripts local.

    Without tiles Leaflet has no maxZoom, and Leaflet.markercluster refuses to start ("Map has
    no maxZoom specified"): the map gets the maxZoom a tile layer would (OpenStreetMap's 19).
    Its default marker icon is an AwesomeMarker, so every script folium names is kept.
    """
    m = folium.Map(location=CENTRE, zoom_start=ZOOM, tiles=None)
    m.options["maxZoom"] = 19
    FastMarkerCluster(points[["lat", "lon"]].to_numpy().tolist()).add_to(m)
    localize_assets(m, drop_unused_scripts=False)
    return m
