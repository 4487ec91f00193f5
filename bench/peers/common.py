"""What every peer app shares: the command line and the incidents' coordinates (one copy)."""

from __future__ import annotations

import argparse
import sys

import pandas as pd
import streamlit as st

from geo.io import load_bundled
from geo.prepared import prepared_synthetic

SEED = 20250311
CENTRE = (29.8, 69.3)  # latitude, longitude: Pakistan
ZOOM = 5


def size() -> int:
    """Return N of ``--synthetic N`` given after ``--`` on the streamlit command line."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--synthetic", type=int, required=True)
    options, _ = parser.parse_known_args(sys.argv[1:])
    return options.synthetic


@st.cache_resource(show_spinner="Reading incidents…")
def coordinates(n: int) -> pd.DataFrame:
    """Return ``lat``/``lon`` of the n synthetic incidents (one copy for every session)."""
    incidents = prepared_synthetic(n, SEED, load_bundled()).incidents
    return pd.DataFrame({"lat": incidents.geometry.y, "lon": incidents.geometry.x})
