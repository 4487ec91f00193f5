"""Turn GeoDataFrames into Folium layers. Data in, Folium objects out; no Streamlit here."""

from layers import rendered as _rendered  # noqa: F401 - every element renders as text (see it)
