"""Cached data access for the Streamlit app: the only place that loads files.

``st.cache_data`` wrappers live here, at the edge; everything they call is pure ``geo/`` code.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.analysis import enrich
from geo.export import content_hash
from geo.groups import GroupRegistry
from geo.io import BundledData, load_bundled

DISPLAY_TOLERANCE_DEG = 0.005  # ~500 m: province outlines for display only, never for analysis.


@dataclass(frozen=True, eq=False)
class Dataset:
    """Incidents ready to filter and map, with the layers and facts around them."""

    incidents: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    provinces_display: gpd.GeoDataFrame
    rail_lines: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    figures: pd.DataFrame
    groups: GroupRegistry
    content_hash: str
    label: str


def command_line() -> argparse.Namespace:
    """Parse the options given after ``--`` in ``streamlit run app.py -- ...``."""
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--incidents", type=Path, default=None)
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--basemap", default=None)
    options, _ = parser.parse_known_args(sys.argv[1:])
    return options


@st.cache_data(show_spinner="Loading the bundled layers…")
def bundled_layers() -> BundledData:
    """Load and validate the bundled layers once per process."""
    return load_bundled()


def build_dataset(
    bundle: BundledData, incidents: gpd.GeoDataFrame, label: str, incidents_hash: str | None = None
) -> Dataset:
    """Enrich incidents against the bundled layers and wrap everything in a Dataset."""
    simplified = bundle.provinces.copy()
    simplified["geometry"] = simplified.geometry.simplify(
        DISPLAY_TOLERANCE_DEG, preserve_topology=True
    )
    return Dataset(
        incidents=enrich(incidents, bundle.provinces, bundle.rail_lines, bundle.stations),
        provinces=bundle.provinces,
        provinces_display=simplified,
        rail_lines=bundle.rail_lines,
        stations=bundle.stations,
        figures=bundle.figures,
        groups=bundle.groups,
        content_hash=incidents_hash or content_hash(incidents),
        label=label,
    )


@st.cache_data(show_spinner="Preparing incidents…")
def bundled_dataset() -> Dataset:
    """Return the bundled incidents, enriched (cached for every session)."""
    bundle = bundled_layers()
    return build_dataset(bundle, bundle.incidents, "bundled incidents (data/incidents.csv)")


def dataset_from_incidents(incidents: gpd.GeoDataFrame, label: str) -> Dataset:
    """Return an enriched Dataset for incidents read from a file or snapshot (cached by content)."""
    return _cached_dataset(incidents, label, content_hash(incidents))


@st.cache_data(show_spinner="Preparing incidents…", max_entries=16)
def _cached_dataset(_incidents: gpd.GeoDataFrame, label: str, incidents_hash: str) -> Dataset:
    """Cache keyed on the incidents' content hash (GeoDataFrames are not hashed directly)."""
    return build_dataset(bundled_layers(), _incidents, label, incidents_hash)


def with_incidents(dataset: Dataset, incidents: gpd.GeoDataFrame, label: str) -> Dataset:
    """Return ``dataset`` with other incidents (already enriched)."""
    return replace(dataset, incidents=incidents, label=label)
