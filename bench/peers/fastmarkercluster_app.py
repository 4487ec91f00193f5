"""Peer: folium's FastMarkerCluster of every incident through ``st_folium``.

The map's scripts are served by the app (``layers.assets.localize_assets``), as the dashboard
does, since the benchmark runs offline. Clusters are drawn in Leaflet.markercluster's own
colours; single markers are its default blue pins.
"""

import folium
import streamlit as st
from folium.plugins import FastMarkerCluster
from streamlit_folium import st_folium

from bench.peers.common import CENTRE, ZOOM, coordinates, size
from layers.assets import localize_assets

st.set_page_config(page_title="peer: FastMarkerCluster", layout="wide")
points = coordinates(size())
# Without tiles Leaflet has no maxZoom, and Leaflet.markercluster refuses to start ("Map has no
# maxZoom specified"): give it the maxZoom a tile layer would (OpenStreetMap's 19).
m = folium.Map(location=CENTRE, zoom_start=ZOOM, tiles=None)
m.options["maxZoom"] = 19
FastMarkerCluster(points[["lat", "lon"]].to_numpy().tolist()).add_to(m)
localize_assets(m, drop_unused_scripts=False)  # its default marker icon is an AwesomeMarker
st_folium(m, height=620, use_container_width=True, returned_objects=[], key="peer_map")
