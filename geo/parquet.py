"""Incidents in GeoParquet: the columnar file a million incidents load from in seconds.

Layout: GeoParquet 1.1 (WKB points, EPSG:4326, written by geopandas with pyarrow), the schema's
columns with their types (text as UTF-8, counts as nullable int64, times as timestamps), the
``sources`` lists as compact JSON text (the way GDAL shows nested fields; each distinct text is
parsed once on reading, so rows citing the same sources share one list), any extra columns (the
enrichment a prepared dataset stores) as they are, and a JSON document of the writer's own under
the file metadata key ``rail-incident-dashboard``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyproj
import shapely

from geo.collector import no_collections
from geo.encode import COMPACT_STYLE, NotEncodable, json_sources
from geo.schema import COUNT_COLUMNS, CRS, DATETIME_COLUMNS, INCIDENT_COLUMNS

METADATA_KEY = b"rail-incident-dashboard"


class ParquetFileError(ValueError):
    """A Parquet file that is not a readable incident table, with the reason."""


def sources_as_json(sources: pd.Series) -> pd.Series:
    """Return each ``sources`` cell (a list of records) as compact JSON text."""
    try:
        texts = json_sources(sources, COMPACT_STYLE)
        return pd.Series(texts.to_pandas(types_mapper=pd.ArrowDtype), index=sources.index).astype(
            "str"
        )
    except NotEncodable:
        return sources.map(lambda cell: json.dumps(cell, ensure_ascii=False, default=str))


def sources_from_json(texts: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Parse JSON texts into lists of records, once per distinct text (shared by its rows).

    ``texts`` may be dictionary-encoded already (as :func:`read_incidents_parquet` reads them).

    Raises
    ------
    ParquetFileError
        If a text is not a JSON list.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()  # chunks' dictionaries are unified into one
    encoded = texts if pa.types.is_dictionary(texts.type) else pc.dictionary_encode(texts)
    distinct = encoded.dictionary.to_pylist()
    parsed = np.empty(len(distinct) + 1, dtype=object)
    for position, text in enumerate(distinct):
        parsed[position] = _source_list(text)
    parsed[-1] = []  # every missing cell: no sources
    missing = len(distinct)
    indices = pc.fill_null(encoded.indices.cast(pa.int64()), missing)
    return parsed[indices.to_numpy(zero_copy_only=False)]


def _source_list(text: str) -> list:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        msg = f"sources {text[:80]!r} is not JSON ({error})"
        raise ParquetFileError(msg) from error
    if not isinstance(value, list):
        msg = f"sources {text[:80]!r} is not a list of source records"
        raise ParquetFileError(msg)
    return value


def write_incidents_parquet(
    incidents: gpd.GeoDataFrame,
    target: str | Path | BinaryIO,
    metadata: dict,
    *,
    geometry_encoding: str = "WKB",
) -> None:
    """Write incidents (schema columns plus any extra columns) as GeoParquet.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema, EPSG:4326.
    target : str, pathlib.Path or binary file
        Where to write.
    metadata : dict
        JSON-ready document stored under the file metadata key ``rail-incident-dashboard``.
    geometry_encoding : {"WKB", "point"}
        GeoParquet 1.1 geometry encoding: WKB (what every GeoParquet reader takes) or the
        native ``point`` encoding (a struct of x and y; read several times faster, GDAL >= 3.8).
    """
    frame = pd.DataFrame(incidents.drop(columns="geometry"))
    frame["sources"] = sources_as_json(frame["sources"])
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if geometry_encoding == "point":
        x, y = shapely.get_x(incidents.geometry.array), shapely.get_y(incidents.geometry.array)
        geometry = pa.StructArray.from_arrays([pa.array(x), pa.array(y)], names=["x", "y"])
    elif geometry_encoding == "WKB":
        geometry = pa.array(shapely.to_wkb(incidents.geometry.array), pa.binary())
    else:
        msg = f"geometry_encoding {geometry_encoding!r} is not 'WKB' or 'point'"
        raise ValueError(msg)
    table = table.append_column("geometry", geometry)
    extra = {
        b"geo": json.dumps(_geo_metadata(incidents, geometry_encoding)).encode(),
        METADATA_KEY: json.dumps(metadata).encode(),
    }
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    pq.write_table(table, target, compression="zstd")


def _geo_metadata(incidents: gpd.GeoDataFrame, encoding: str) -> dict:
    """Return GeoParquet 1.1 ``geo`` metadata: points in EPSG:4326."""
    if len(incidents):
        bbox = [float(v) for v in incidents.total_bounds]
    else:
        bbox = []
    column = {
        "encoding": encoding,
        "geometry_types": sorted(set(incidents.geom_type.dropna())),
        "crs": pyproj.CRS(CRS).to_json_dict(),
    }
    if bbox and all(np.isfinite(bbox)):
        column["bbox"] = bbox
    return {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}


def read_incidents_parquet(source: str | Path | BinaryIO) -> tuple[gpd.GeoDataFrame, dict]:
    """Read incidents written by :func:`write_incidents_parquet` (or any GeoParquet in the schema).

    Parameters
    ----------
    source : str, pathlib.Path or binary file

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, dict)
        The incidents (schema columns first, then any extra columns) and the writer's metadata
        (``{}`` for a file from elsewhere).

    Raises
    ------
    ParquetFileError
        If the file is not Parquet, has no point geometry column or lacks schema columns.
    """
    is_path = isinstance(source, str | Path)
    name = Path(source).name if is_path else getattr(source, "name", source)
    try:
        # The sources' JSON read as a dictionary: each distinct text once, not once per row (a
        # million rows of repeated sources took 1.4 s more to read, as 260 MB of strings).
        table = pq.read_table(source, read_dictionary=["sources"])
    except (pa.ArrowInvalid, OSError) as error:
        # Arrow quotes the whole path; the message names the file only (no server folders).
        detail = str(error).replace(f"'{source}'", f"'{name}'") if is_path else str(error)
        msg = f"{name}: not a readable Parquet file ({detail})"
        raise ParquetFileError(msg) from error
    schema_metadata = table.schema.metadata or {}
    if b"geo" not in schema_metadata:
        msg = f"{name}: not GeoParquet (no 'geo' metadata); expected a geometry column"
        raise ParquetFileError(msg)
    missing = [c for c in INCIDENT_COLUMNS if c not in table.column_names]
    if missing:
        msg = f"{name}: missing column(s) {missing}; found {table.column_names}"
        raise ParquetFileError(msg)
    geo = json.loads(schema_metadata[b"geo"])
    geometry_column = geo.get("primary_column", "geometry")
    described = geo.get("columns", {}).get(geometry_column, {})
    with no_collections():
        geometry = _geometry(table.column(geometry_column), described.get("encoding", "WKB"), name)
    crs = described.get("crs", CRS) or CRS
    data_columns = [c for c in INCIDENT_COLUMNS if c not in ("sources", "geometry")]
    extra = [c for c in table.column_names if c not in INCIDENT_COLUMNS and c != geometry_column]
    frame = table.select(data_columns + extra).to_pandas()
    frame.insert(INCIDENT_COLUMNS.index("sources"), "sources", sources_from_json(table["sources"]))
    del table  # the Arrow copy: only the pandas frame is kept
    for column in DATETIME_COLUMNS:
        if frame[column].dtype != "datetime64[ns]":
            frame[column] = frame[column].astype("datetime64[ns]")
    for column in COUNT_COLUMNS:
        if frame[column].dtype != "Int64":
            frame[column] = frame[column].astype("Int64")
    geometry = gpd.GeoSeries(geometry, crs=crs)
    if not geometry.crs.equals(pyproj.CRS(CRS)):
        geometry = geometry.to_crs(CRS)
    order = [*INCIDENT_COLUMNS[: INCIDENT_COLUMNS.index("geometry")], "geometry"]
    frame.insert(len(order) - 1, "geometry", geometry.array)
    incidents = gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS, copy=False)
    writer = schema_metadata.get(METADATA_KEY)
    return incidents, json.loads(writer) if writer else {}


def _geometry(column: pa.ChunkedArray, encoding: str, name: object) -> np.ndarray:
    """Return shapely geometries of a GeoParquet geometry column (WKB or ``point``)."""
    if encoding == "point":
        joined = column.combine_chunks()
        x = pc.struct_field(joined, "x").to_numpy(zero_copy_only=False)
        y = pc.struct_field(joined, "y").to_numpy(zero_copy_only=False)
        points = shapely.points(x, y)
        points[~joined.is_valid().to_numpy(zero_copy_only=False)] = None
        return points
    if encoding != "WKB":
        msg = f"{name}: geometry encoding {encoding!r} is not WKB or point"
        raise ParquetFileError(msg)
    return shapely.from_wkb(column.to_numpy())
