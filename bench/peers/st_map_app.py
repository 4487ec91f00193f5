"""Peer: ``st.map`` (Streamlit's own deck.gl scatter map) with every incident as a point."""

import streamlit as st

from bench.peers.common import coordinates, draw_st_map, size

st.set_page_config(page_title="peer: st.map", layout="wide")
draw_st_map(coordinates(size()))
