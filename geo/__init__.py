"""Pure-Python core of the dashboard: load, validate, filter, analyse and export incidents.

Nothing in this package imports Streamlit; every function works on GeoDataFrames.
"""
