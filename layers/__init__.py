"""Turn GeoDataFrames into Folium layers. Data in, Folium objects out; no Streamlit here."""
