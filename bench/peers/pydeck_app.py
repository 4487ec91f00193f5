"""Peer: ``st.pydeck_chart`` with a deck.gl ScatterplotLayer of every incident (no basemap)."""

import streamlit as st

from bench.peers.common import coordinates, draw_pydeck, size

st.set_page_config(page_title="peer: pydeck", layout="wide")
draw_pydeck(coordinates(size()))
