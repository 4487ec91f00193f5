"""The peers inside this dashboard's page: ``app.py`` as it is, its incident map drawn by a peer.

A team that picked FastMarkerCluster, ``st.map`` or ``st.pydeck_chart`` would still build the
page around it: the filters in the sidebar, the header and counts, the export panel, the tabs
with the timeline. Those cost the browser the same whichever map the page holds (a bare peer
page at 10,000 incidents painted 1 s sooner than the same peer under this page's kind of
controls, measured 2026-12-06), so the side by side is also run with every map in the same
page. :func:`run` executes ``app.py`` unchanged except for its map element: before ``app.py``
imports them, ``ui.data.select_rows`` is wrapped to keep the page run's selection and
``streamlit_folium.st_folium`` is replaced by a function that draws that selection (the rows
with a place to draw, as the dashboard's map draws them) with the peer. The page run still
builds the dashboard's own map layers before that call (40-60 ms of server time at 10,000
incidents): a cost the peers pay here and would not in a page of their own.

Each peer has a script of its own (``bench/peers/in_page_*.py``) so that it runs as
``streamlit run bench/peers/in_page_<peer>.py -- --synthetic N`` like the bare peers.
"""

from __future__ import annotations

import runpy
import threading
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit_folium

import ui.data
from bench.peers.common import draw_pydeck, draw_st_map, fastmarkercluster_map
from geo.filters import on_map_mask

APP = Path(__file__).resolve().parents[2] / "app.py"
_run = threading.local()  # the selection of the page run in this thread (one per session)


def _points() -> pd.DataFrame:
    """Return ``lat``/``lon`` of the page run's selection that the dashboard's map would draw."""
    frame = _run.selected.columns(["geometry", "geo_precision"])
    # A GeoSeries of its own: columns taken from a selection come as a plain frame of them.
    points = gpd.GeoSeries(frame["geometry"][on_map_mask(frame).to_numpy(dtype=bool)])
    return pd.DataFrame({"lat": points.y, "lon": points.x})


def _fastmarkercluster(points: pd.DataFrame, key: str) -> None:
    m = fastmarkercluster_map(points)
    _ST_FOLIUM(m, height=620, use_container_width=True, returned_objects=[], key=key)


PEERS: dict[str, Callable[[pd.DataFrame, str], None]] = {  # (points, the map's key)
    "FastMarkerCluster": _fastmarkercluster,
    "st.map": lambda points, _key: draw_st_map(points),
    "pydeck": lambda points, _key: draw_pydeck(points),
}


# Kept as imported, once per process: every session's run puts the same replacements in place
# (sessions run at once, in threads of their own), and each replacement calls these.
_ST_FOLIUM = streamlit_folium.st_folium
_SELECT_ROWS = ui.data.select_rows


def _keeping_selection(*args, **kwargs):
    _run.selected = _SELECT_ROWS(*args, **kwargs)
    return _run.selected


def run(peer: str) -> None:
    """Run ``app.py`` with its incident map drawn by ``peer`` (a key of :data:`PEERS`)."""
    draw_peer = PEERS[peer]

    def peer_map(_figure, key: str = "incident_map", **_options) -> None:
        draw_peer(_points(), key)  # the page reads no value from it: nothing is clicked

    streamlit_folium.st_folium, ui.data.select_rows = peer_map, _keeping_selection
    runpy.run_path(str(APP), run_name="__main__")
