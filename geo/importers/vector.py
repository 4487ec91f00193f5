"""GeoJSON and GeoPackage files in any CRS, and this project's own GeoJSON snapshots.

Files are read with pyogrio and reprojected to EPSG:4326; a layer without a CRS is refused,
never guessed (GeoJSON without a ``crs`` member is WGS84 by RFC 7946, which GDAL reports).
Features are then mapped like a CSV (see :mod:`geo.importers.generic`), with the ``line`` of a
rejected row being the feature's number (1 = first feature).
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from geo.export import SNAPSHOT_FORMAT, read_snapshot
from geo.importers._errors import ImportFileError
from geo.schema import CRS

PYOGRIO_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
    pyogrio.errors.FeatureError,
)
LAT_FIELD, LON_FIELD = "__latitude", "__longitude"


def is_snapshot(text: str, *, name: str) -> bool:
    """Tell whether a JSON document is one of this project's snapshots.

    Parameters
    ----------
    text : str
        The decoded file.
    name : str
        File name for messages.

    Returns
    -------
    bool

    Raises
    ------
    ImportFileError
        If the text is not JSON or not GeoJSON.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        problem = (
            f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            "if the file was cut short, download it again"
        )
        raise ImportFileError(name, problem) from error
    if not isinstance(document, dict) or document.get("type") not in (
        "FeatureCollection",
        "Feature",
    ):
        raise ImportFileError(name, "is JSON but not GeoJSON (no FeatureCollection)")
    metadata = document.get("metadata")
    return isinstance(metadata, dict) and metadata.get("format") == SNAPSHOT_FORMAT


def read_snapshot_incidents(data: bytes, *, name: str) -> gpd.GeoDataFrame:
    """Read a snapshot's incidents with :func:`geo.export.read_snapshot`.

    Parameters
    ----------
    data : bytes
    name : str
        File name for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        In the schema.

    Raises
    ------
    ImportFileError
        If the snapshot's incidents do not pass the schema.
    """
    try:
        return read_snapshot(data).incidents
    except (ValueError, KeyError, TypeError) as error:
        raise ImportFileError(name, f"a snapshot that cannot be read back: {error}") from error


def read_layer(data: bytes, *, name: str, suffix: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read the first layer of a GeoJSON/GeoPackage file and reproject it to EPSG:4326.

    Parameters
    ----------
    data : bytes
        The file.
    name : str
        File name for messages.
    suffix : str
        ``".geojson"`` or ``".gpkg"`` (GDAL picks its driver by it).

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, list of str)
        The features (attributes as read, dates as text) and notes, including GDAL's warnings.

    Raises
    ------
    ImportFileError
        If GDAL cannot read the file, the layer has no CRS, or it has no features.
    """
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        frame = _read(path, name=name, notes=notes)
    notes += [f"GDAL: {warning.message}" for warning in caught]
    if frame.crs is None:
        raise ImportFileError(
            name, "the layer has no CRS; expected one (e.g. EPSG:4326), not guessing"
        )
    if frame.empty:
        raise ImportFileError(name, "the layer has no features")
    original = frame.crs.to_string()
    if frame.crs.to_epsg() != 4326:
        notes.append(f"reprojected from {original} to {CRS}")
        frame = frame.to_crs(CRS)
    return frame, notes


def _read(path: Path, *, name: str, notes: list[str]) -> gpd.GeoDataFrame:
    try:
        layers = pyogrio.list_layers(path)
        if len(layers) > 1:
            notes.append(f"read layer {layers[0][0]!r}, the first of {len(layers)}")
        return pyogrio.read_dataframe(path, layer=0, datetime_as_string=True, on_invalid="ignore")
    except PYOGRIO_ERRORS as error:
        raise ImportFileError(name, f"not a readable GeoJSON/GeoPackage file ({error})") from error


def features_as_table(frame: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Turn features into a table of strings with point coordinates in two extra columns.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        In EPSG:4326.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series, pandas.Series)
        Attributes as text plus ``__latitude``/``__longitude`` (``""`` for missing or non-point
        geometries), the feature numbers (1-based) and each feature as JSON text.
    """
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name)).reset_index(drop=True)
    table = attributes.astype(object).where(attributes.notna(), "").astype(str)
    geometries = frame.geometry.reset_index(drop=True)
    points = geometries.map(lambda g: g is not None and not g.is_empty and g.geom_type == "Point")
    table[LAT_FIELD] = [str(g.y) if p else "" for g, p in zip(geometries, points, strict=True)]
    table[LON_FIELD] = [str(g.x) if p else "" for g, p in zip(geometries, points, strict=True)]
    kinds = geometries.map(lambda g: "" if g is None else g.geom_type)
    numbers = pd.Series(range(1, len(table) + 1), index=table.index, dtype="int64")
    raw = pd.Series(
        [
            json.dumps({"properties": props, "geometry": kind}, ensure_ascii=False, default=str)
            for props, kind in zip(
                table.drop(columns=[LAT_FIELD, LON_FIELD]).to_dict("records"), kinds, strict=True
            )
        ],
        index=table.index,
    )
    table["__geometry_type"] = kinds
    return table, numbers, raw


def geometry_reasons(table: pd.DataFrame) -> pd.Series:
    """Say which features have no point: missing geometry, or a line or polygon.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`features_as_table`.

    Returns
    -------
    pandas.Series of str
    """
    kind = table["__geometry_type"]
    return kind.map(
        lambda k: (
            "no coordinates (no geometry)"
            if k == ""
            else ("" if k == "Point" else f"geometry is a {k}, expected a Point")
        )
    )
