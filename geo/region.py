"""The land around Pakistan for the offline basemap, and the labels that name places on it.

``data/region_context_ne10m.geojson`` (Natural Earth, public domain) holds country faces,
international boundary pieces and lakes; :func:`display_context` turns it into the few, lighter
features a browser draws at country to district zoom. :func:`label_table` chooses the names to
write on the map and the zoom from which each appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.gazetteer import Place
from geo.io import DATA_DIR, DataFileError, read_vector
from geo.schema import CRS

CONTEXT_KINDS = ("country", "international boundary", "lake")
# Simplification for display: 0.002 degrees (about 200 m) is below a pixel up to zoom 9, where
# 1:10m data is already coarse; coordinates are kept to 0.001 degrees.
DISPLAY_TOLERANCE = 0.002
DISPLAY_GRID = 0.001


@dataclass(frozen=True)
class RegionContext:
    """Country faces (with ``name``), lakes and the merged international boundaries."""

    countries: gpd.GeoDataFrame
    lakes: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame


def load_region_context(
    path: str | Path = DATA_DIR / "region_context_ne10m.geojson",
) -> gpd.GeoDataFrame:
    """Read the region context layer and check its kinds.

    Parameters
    ----------
    path : str or pathlib.Path
        GeoJSON with ``kind`` (one of :data:`CONTEXT_KINDS`) and ``name``.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326.

    Raises
    ------
    DataFileError
        If the file is missing, unreadable, or has a feature of another kind.
    """
    frame = read_vector(path, required_columns=("kind", "name"))
    unknown = sorted(set(frame["kind"]) - set(CONTEXT_KINDS))
    if unknown:
        msg = f"{path}: unknown kind(s) {unknown}; expected {list(CONTEXT_KINDS)}"
        raise DataFileError(msg)
    return frame


def _lightened(geometries: gpd.GeoSeries) -> list:
    simplified = geometries.simplify(DISPLAY_TOLERANCE, preserve_topology=True).to_numpy()
    return list(shapely.set_precision(simplified, DISPLAY_GRID))


def display_context(context: gpd.GeoDataFrame) -> RegionContext:
    """Return the context simplified for drawing, with boundary pieces merged into lines.

    Parameters
    ----------
    context : geopandas.GeoDataFrame
        As read by :func:`load_region_context`.

    Returns
    -------
    RegionContext
    """
    countries = context[context["kind"] == "country"][["name", "geometry"]]
    lakes = context[context["kind"] == "lake"][["geometry"]]
    pieces = context[context["kind"] == "international boundary"].geometry.to_numpy()
    merged = shapely.line_merge(shapely.union_all(pieces)) if len(pieces) else None
    boundaries = gpd.GeoDataFrame(
        geometry=[] if merged is None or merged.is_empty else [merged], crs=CRS
    )
    return RegionContext(
        countries=gpd.GeoDataFrame(
            {"name": countries["name"].to_list()},
            geometry=_lightened(countries.geometry),
            crs=CRS,
        ),
        lakes=gpd.GeoDataFrame(geometry=_lightened(lakes.geometry), crs=CRS),
        boundaries=gpd.GeoDataFrame(geometry=_lightened(boundaries.geometry), crs=CRS),
    )


# Zoom from which a place is named: the bigger, the earlier. Populations are GeoNames'.
LABEL_MIN_ZOOM_BY_KIND = {"country": 4, "province": 5, "station": 10}
POPULATION_ZOOMS = ((1_000_000, 5), (300_000, 6), (100_000, 7), (20_000, 8), (5_000, 9))
SMALLEST_ZOOM = 10
LABEL_MAX_ZOOM_BY_KIND = {"country": 7, "province": 9}
LABEL_COLUMNS = ["name", "kind", "lon", "lat", "min_zoom", "max_zoom", "rank"]


def label_min_zoom(place: Place) -> int:
    """Return the zoom from which a place's name is written on the map.

    Parameters
    ----------
    place : Place
        A gazetteer place.

    Returns
    -------
    int
        Countries from zoom 4, provinces from 5, cities by population (a million people from 5,
        100,000 from 7, ...), every town from 10, stations from 10.
    """
    if place.kind in LABEL_MIN_ZOOM_BY_KIND:
        return LABEL_MIN_ZOOM_BY_KIND[place.kind]
    population = place.population or 0
    for threshold, zoom in POPULATION_ZOOMS:
        if population >= threshold:
            return zoom
    return SMALLEST_ZOOM


def label_table(places: list[Place]) -> pd.DataFrame:
    """Return the map labels for ``places``, most important first.

    Places named by incidents are left out (their names are descriptions, and the incident itself
    is on the map).

    Parameters
    ----------
    places : list of Place
        Gazetteer places.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LABEL_COLUMNS`; ``rank`` orders labels when they collide (countries, then
        provinces, then places by population, then stations).
    """
    order = {"country": 0, "province": 1, "city": 2, "town": 2, "station": 3}
    rows = [
        {
            "name": place.name,
            "kind": place.kind,
            "lon": round(place.lon, 4),
            "lat": round(place.lat, 4),
            "min_zoom": label_min_zoom(place),
            "max_zoom": LABEL_MAX_ZOOM_BY_KIND.get(place.kind, 18),
            "_order": order[place.kind],
            "_population": place.population or 0,
        }
        for place in places
        if place.kind in order
    ]
    if not rows:
        return pd.DataFrame(columns=LABEL_COLUMNS)
    table = pd.DataFrame(rows).sort_values(
        ["_order", "_population", "name"], ascending=[True, False, True], kind="stable"
    )
    table["rank"] = range(len(table))
    return table[LABEL_COLUMNS].reset_index(drop=True)
