"""Peer: folium's FastMarkerCluster of every incident through ``st_folium``.

The map's scripts are served by the app (``layers.assets.localize_assets``), as the dashboard
does, since the benchmark runs offline. Clusters are drawn in Leaflet.markercluster's own
colours; single markers are its default blue pins.
"""

import streamlit as st
from streamlit_folium import st_folium

from bench.peers.common import coordinates, fastmarkercluster_map, size

st.set_page_config(page_title="peer: FastMarkerCluster", layout="wide")
m = fastmarkercluster_map(coordinates(size()))
st_folium(m, height=620, use_container_width=True, returned_objects=[], key="peer_map")
