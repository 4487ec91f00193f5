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
import pyproj

from geo.export import SNAPSHOT_FORMAT, json_shape, read_snapshot
from geo.importers._errors import ImportFileError
from geo.importers._source import MAX_ROWS
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
MEMBER_FIELD = "__member_problem"  # set on a collection member that is not a Feature
MAX_POSITIONS = 1_000_000  # arrays in a GeoJSON file (each point is one; 100,000 rows at most)
MAX_JSON_DEPTH = 64  # a MultiPolygon's coordinates are 4 deep inside ~3 levels of GeoJSON


def vet_geojson(text: str, *, name: str) -> bytes:
    """Check a GeoJSON document's CRS and keep every member of its collection countable.

    GDAL silently skips collection members whose ``type`` is not ``Feature`` (so the report
    would miss them and later feature numbers would shift) and silently reads an unknown
    ``crs`` as WGS84. Here each such member becomes an empty Feature marked with its problem
    (it is then rejected with that reason, at its own position), and a ``crs`` member that
    pyproj cannot resolve is refused.

    Parameters
    ----------
    text : str
        The decoded document (already checked by :func:`is_snapshot`).
    name : str
        File name for messages.

    Returns
    -------
    bytes
        The document for GDAL (unchanged when nothing needed marking).

    Raises
    ------
    ImportFileError
        If the ``crs`` member names no known CRS.
    """
    document = json.loads(text)
    _check_crs_member(document.get("crs"), name=name)
    members = document.get("features")
    if document.get("type") != "FeatureCollection" or not isinstance(members, list):
        return text.encode("utf-8")
    changed = False
    for position, member in enumerate(members):
        kind = member.get("type") if isinstance(member, dict) else type(member).__name__
        if kind == "Feature":
            continue
        shown = str(kind)[:40]
        problem = f"member {position + 1} of features has type {shown!r}, expected 'Feature'"
        members[position] = {
            "type": "Feature",
            "geometry": None,
            "properties": {MEMBER_FIELD: problem},
        }
        changed = True
    return json.dumps(document).encode("utf-8") if changed else text.encode("utf-8")


def _check_crs_member(crs: object, *, name: str) -> None:
    """Refuse a GeoJSON ``crs`` member (2008 spec) that does not name a CRS pyproj knows."""
    if crs is None:
        return
    value = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    try:
        if not isinstance(value, str):
            raise pyproj.exceptions.CRSError("the crs member has no name")
        pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        shown = str(value if value is not None else crs)[:80]
        problem = (
            f"the crs member {shown!r} is not a coordinate reference system this app knows; "
            "expected a name such as 'urn:ogc:def:crs:EPSG::4326' (or no crs member: WGS84)"
        )
        raise ImportFileError(name, problem) from None


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
    depth, arrays = json_shape(text)
    if arrays > MAX_POSITIONS:
        problem = (
            f"about {arrays:,} coordinate positions, more than the {MAX_POSITIONS:,} one "
            "import may hold; incidents are points: simplify or drop the large shapes"
        )
        raise ImportFileError(name, problem)
    if depth > MAX_JSON_DEPTH:
        problem = (
            f"JSON nested {depth:,} levels deep; GeoJSON needs at most {MAX_JSON_DEPTH} "
            "(a file this deep is not geographic data)"
        )
        raise ImportFileError(name, problem)
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
        count = pyogrio.read_info(path, layer=0).get("features", 0)
        if count > MAX_ROWS:
            problem = (
                f"the layer has {count:,} features, more than the {MAX_ROWS:,} one import may "
                "hold; split it, or filter it to the area and years you need"
            )
            raise ImportFileError(name, problem)
        # GeoJSON dates stay text (GDAL would turn "2025-02-30" into an exception, not a row
        # the importer can reject with its line); the importers parse dates themselves.
        options = {"DATE_AS_STRING": "YES"} if path.suffix == ".geojson" else {}
        return pyogrio.read_dataframe(
            path, layer=0, datetime_as_string=True, on_invalid="ignore", **options
        )
    except ValueError as error:  # e.g. an impossible date stored in a GeoPackage
        raise ImportFileError(name, f"a value GDAL cannot read ({error})") from error
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
    if MEMBER_FIELD in table:
        member = table[MEMBER_FIELD].astype(str)
        kind = kind.where(member == "", "member:" + member)
    return kind.map(
        lambda k: (
            k.removeprefix("member:")
            if k.startswith("member:")
            else "no coordinates (no geometry)"
            if k == ""
            else ("" if k == "Point" else f"geometry is a {k}, expected a Point")
        )
    )
