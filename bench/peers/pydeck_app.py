"""Peer: ``st.pydeck_chart`` with a deck.gl ScatterplotLayer of every incident (no basemap)."""

import pydeck as pdk
import streamlit as st

from bench.peers import POINT_RGB
from bench.peers.common import CENTRE, ZOOM, coordinates, size

st.set_page_config(page_title="peer: pydeck", layout="wide")
points = coordinates(size())
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
