"""Peer: ``st.map`` (Streamlit's own deck.gl scatter map) with every incident as a point."""

import streamlit as st

from bench.peers.common import coordinates, size

st.set_page_config(page_title="peer: st.map", layout="wide")
points = coordinates(size())
st.map(points, latitude="lat", longitude="lon", color="#ff00ff", size=300, zoom=5)
