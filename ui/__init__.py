"""Streamlit-side helpers for app.py: cached data access, filter widgets and panels."""
