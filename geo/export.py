"""GeoJSON snapshots (RFC 7946) of a filtered selection, and reading them back.

A snapshot is a FeatureCollection of exactly the selected incidents with all their attributes
and sources, plus a top-level ``metadata`` member (a foreign member, which RFC 7946 permits):
the filters applied, the export time in UTC, the dataset's content hash and the counts. Reading
it back gives the same incidents and the same :class:`~geo.filters.IncidentFilter`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import pyogrio.errors
import shapely

from geo.encode import (
    COMPACT_STYLE,
    HASH_STYLE,
    NotEncodable,
    feature_texts,
    joined_chunks,
    json_sources,
)
from geo.filters import IncidentFilter
from geo.licences import snapshot_terms
from geo.parquet import (
    ParquetFileError,
    read_incidents_parquet,
    sources_from_json,
    write_incidents_parquet,
)
from geo.schema import (
    COUNT_COLUMNS,
    CRS,
    INCIDENT_COLUMNS,
    MAX_COUNT,
    conform,
    validate_incidents,
)

SNAPSHOT_FORMAT = "rail-incident-dashboard snapshot 1"
COORDINATE_DECIMALS = 6
# File formats a snapshot can be written in, with the file name ending and MIME type of each.
SNAPSHOT_FILE_FORMATS = {
    "geojson.gz": (".geojson.gz", "application/gzip"),
    "geojson": (".geojson", "application/geo+json"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "parquet": (".parquet", "application/vnd.apache.parquet"),
}
# Snapshots told apart by their first bytes, and the most a gzip snapshot may expand to.
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
GEOPACKAGE_MAGIC = b"SQLite format 3\x00"
MAX_SNAPSHOT_TEXT_BYTES = 2_000_000_000
HASH_SLICE_ROWS = 100_000
EXPORT_SLICE_ROWS = 50_000


def _json_value(value: object) -> object:
    """Return a JSON-ready value: NA becomes null, timestamps ISO strings."""
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def incident_features(incidents: gpd.GeoDataFrame) -> list[dict]:
    """Return incidents as GeoJSON Feature dicts (schema columns only, points in lon/lat).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema (extra columns are left out).

    Returns
    -------
    list of dict
    """
    columns = [c for c in INCIDENT_COLUMNS if c != "geometry"]
    features = []
    frame = incidents.to_crs(CRS)
    for record, geometry in zip(frame[columns].to_dict("records"), frame.geometry, strict=True):
        properties = {key: _json_value(record[key]) for key in columns}
        features.append(
            {
                "type": "Feature",
                "id": properties["incident_id"],
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(geometry.x, COORDINATE_DECIMALS),
                        round(geometry.y, COORDINATE_DECIMALS),
                    ],
                },
                "properties": properties,
            }
        )
    return features


def content_hash(incidents: gpd.GeoDataFrame) -> str:
    """Return a SHA-256 of the incidents' content, independent of row order.

    The hashed text is the JSON list of the incidents' features (as :func:`incident_features`
    builds them) sorted by id, written by ``json.dumps(..., sort_keys=True,
    ensure_ascii=False)``. It is encoded column by column (:mod:`geo.encode`) in slices of rows,
    so a million incidents hash in seconds without holding the text; the row-by-row encoder is
    used only for values the column kernels cannot encode exactly, and gives the same hash.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema.

    Returns
    -------
    str
        ``"sha256:<hex>"``.
    """
    digest = hashlib.sha256(b"[")
    ids = pa.array(incidents["incident_id"], from_pandas=True)
    if not pa.types.is_large_string(ids.type) and not pa.types.is_string(ids.type):
        return _content_hash_by_rows(incidents)
    if ids.null_count:
        return _content_hash_by_rows(incidents)
    order = pc.sort_indices(ids).to_numpy()
    for start in range(0, len(order), HASH_SLICE_ROWS):
        part = incidents.iloc[order[start : start + HASH_SLICE_ROWS]]
        texts = feature_texts(part, HASH_STYLE)
        if texts is None:
            return _content_hash_by_rows(incidents)
        if start:
            digest.update(b", ")
        for chunk in joined_chunks(texts, ", "):
            digest.update(chunk)
    digest.update(b"]")
    return "sha256:" + digest.hexdigest()


def _content_hash_by_rows(incidents: gpd.GeoDataFrame) -> str:
    """Hash as :func:`content_hash` does, with one ``json.dumps`` over every feature (reference)."""
    features = sorted(incident_features(incidents), key=lambda f: str(f["id"]))
    payload = json.dumps(features, sort_keys=True, ensure_ascii=False).encode()
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def snapshot_metadata(
    selected: gpd.GeoDataFrame,
    *,
    filters: IncidentFilter,
    dataset_hash: str,
    dataset_count: int,
    exported_at: datetime | None = None,
    matching: dict | None = None,
) -> dict:
    """Return the ``metadata`` member every snapshot carries (in any of its formats).

    Parameters
    ----------
    selected : geopandas.GeoDataFrame
        The filtered incidents.
    filters : IncidentFilter
        The filters that produced the selection.
    dataset_hash : str
        Content hash of the whole dataset (see :func:`content_hash`).
    dataset_count : int
        Number of incidents in the whole dataset.
    exported_at : datetime, optional
        Export time; now (UTC) by default.
    matching : dict, optional
        The matches and review decisions in force (:meth:`geo.matching.MatchResult.to_metadata`),
        recorded as ``matching``.

    Returns
    -------
    dict
    """
    exported_at = exported_at or datetime.now(UTC)
    extra = {"matching": matching} if matching is not None else {}
    return {
        "format": SNAPSHOT_FORMAT,
        "exported_at": exported_at.astimezone(UTC).isoformat(timespec="seconds"),
        "dataset_hash": dataset_hash,
        "filters": filters.to_dict(),
        "counts": {"selected": len(selected), "dataset": dataset_count},
        "time_zone": "start/end are Pakistan Standard Time (UTC+05:00)",
        "fatalities": "people killed who were not attackers; low/best/high as reported",
        "deaths_reported": "all deaths as the source reports them (attackers included)",
        "datasets": snapshot_terms(selected),
        **extra,
    }


def snapshot_chunks(selected: gpd.GeoDataFrame, metadata: dict) -> Iterator[bytes]:
    """Yield a GeoJSON snapshot as UTF-8 pieces, a few thousand features at a time.

    The whole text is never held at once: features are encoded column by column
    (:mod:`geo.encode`) in slices of rows, in compact JSON.

    Parameters
    ----------
    selected : geopandas.GeoDataFrame
        The filtered incidents, in the schema.
    metadata : dict
        From :func:`snapshot_metadata`.

    Yields
    ------
    bytes
    """
    head = {"type": "FeatureCollection", "metadata": metadata}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    yield (text[:-1] + ',"features":[').encode()
    for start in range(0, len(selected), EXPORT_SLICE_ROWS):
        part = selected.iloc[start : start + EXPORT_SLICE_ROWS]
        texts = feature_texts(part, COMPACT_STYLE)
        if start:
            yield b","
        if texts is None:
            features = (
                json.dumps(f, ensure_ascii=False, separators=(",", ":"))
                for f in incident_features(part)
            )
            yield ",".join(features).encode()
        else:
            yield from joined_chunks(texts, ",")
    yield b"]}\n"


def snapshot_bytes(
    selected: gpd.GeoDataFrame,
    *,
    filters: IncidentFilter,
    dataset_hash: str,
    dataset_count: int,
    exported_at: datetime | None = None,
    matching: dict | None = None,
) -> bytes:
    """Write the selected incidents as a GeoJSON snapshot.

    Parameters
    ----------
    selected : geopandas.GeoDataFrame
        The filtered incidents, in the schema.
    filters : IncidentFilter
        The filters that produced the selection.
    dataset_hash : str
        Content hash of the whole dataset (see :func:`content_hash`).
    dataset_count : int
        Number of incidents in the whole dataset.
    exported_at : datetime, optional
        Export time; now (UTC) by default.
    matching : dict, optional
        Recorded as ``metadata.matching`` (see :func:`snapshot_metadata`).

    Returns
    -------
    bytes
        UTF-8 GeoJSON (compact).
    """
    metadata = snapshot_metadata(
        selected,
        filters=filters,
        dataset_hash=dataset_hash,
        dataset_count=dataset_count,
        exported_at=exported_at,
        matching=matching,
    )
    return b"".join(snapshot_chunks(selected, metadata))


def write_snapshot(
    selected: gpd.GeoDataFrame,
    file_format: str,
    *,
    filters: IncidentFilter,
    dataset_hash: str,
    dataset_count: int,
    exported_at: datetime | None = None,
    matching: dict | None = None,
) -> bytes:
    """Write a snapshot of the selected incidents in one of :data:`SNAPSHOT_FILE_FORMATS`.

    - ``"geojson.gz"``: the GeoJSON snapshot, gzip-compressed while it is written (GDAL and so
      QGIS read ``.geojson.gz`` directly; this dashboard opens it again);
    - ``"geojson"``: the same, uncompressed;
    - ``"gpkg"``: a GeoPackage layer ``incidents`` (sources as JSON text), the snapshot's
      metadata in the layer metadata item ``snapshot``;
    - ``"parquet"``: GeoParquet 1.1 (sources as a list of records), the metadata in the file's
      key-value metadata ``snapshot``.

    Parameters
    ----------
    selected : geopandas.GeoDataFrame
        The filtered incidents, in the schema.
    file_format : str
        One of :data:`SNAPSHOT_FILE_FORMATS`.
    filters, dataset_hash, dataset_count, exported_at, matching
        As for :func:`snapshot_bytes`.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        If ``file_format`` is not one of :data:`SNAPSHOT_FILE_FORMATS`.
    """
    if file_format not in SNAPSHOT_FILE_FORMATS:
        msg = f"snapshot format {file_format!r} is not one of {', '.join(SNAPSHOT_FILE_FORMATS)}"
        raise ValueError(msg)
    metadata = snapshot_metadata(
        selected,
        filters=filters,
        dataset_hash=dataset_hash,
        dataset_count=dataset_count,
        exported_at=exported_at,
        matching=matching,
    )
    if file_format == "geojson":
        return b"".join(snapshot_chunks(selected, metadata))
    if file_format == "geojson.gz":
        buffer = io.BytesIO()
        # Level 1: a few times faster than the default and, on these repetitive records,
        # within a few percent of its size.
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1, mtime=0) as stream:
            for chunk in snapshot_chunks(selected, metadata):
                stream.write(chunk)
        return buffer.getvalue()
    if file_format == "gpkg":
        return _geopackage_bytes(selected, metadata)
    return _geoparquet_bytes(selected, metadata)


def _flat_sources(selected: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the schema columns with ``sources`` as JSON text (formats without lists)."""
    frame = selected[list(INCIDENT_COLUMNS)].copy()
    texts = feature_texts_sources(frame["sources"])
    frame["sources"] = pd.Series(texts, index=frame.index, dtype="str")
    return frame


def feature_texts_sources(sources: pd.Series) -> list[str]:
    """Return each ``sources`` cell as compact JSON text."""
    try:
        return json_sources(sources, COMPACT_STYLE).to_pylist()
    except NotEncodable:
        return [
            json.dumps(_json_value(s), ensure_ascii=False, separators=(",", ":")) for s in sources
        ]


def _geopackage_bytes(selected: gpd.GeoDataFrame, metadata: dict) -> bytes:
    frame = _flat_sources(selected)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snapshot.gpkg"
        pyogrio.write_dataframe(
            frame,
            path,
            layer="incidents",
            driver="GPKG",
            layer_metadata={"snapshot": json.dumps(metadata, ensure_ascii=False)},
        )
        return path.read_bytes()


def _geoparquet_bytes(selected: gpd.GeoDataFrame, metadata: dict) -> bytes:
    buffer = io.BytesIO()
    write_incidents_parquet(selected[list(INCIDENT_COLUMNS)], buffer, {"snapshot": metadata})
    return buffer.getvalue()


MAX_NESTING = 64  # a snapshot is at most ~5 levels deep; deeper JSON is refused unread
SHAPE_CHUNK = 1 << 20  # bytes json_shape examines at a time
_BRACKET_STEP = np.zeros(256, dtype=np.int8)  # +1 opens a level, -1 closes one, per byte
_BRACKET_STEP[[ord("["), ord("{")]] = 1
_BRACKET_STEP[[ord("]"), ord("}")]] = -1
MAX_PROBLEMS_SHOWN = 5


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A snapshot read back: its incidents, the filters it records and its metadata.

    ``problems`` lists the recorded filters that could not be read (each naming the filter and
    its value); the other filters are in ``filters``.
    """

    incidents: gpd.GeoDataFrame
    filters: IncidentFilter
    metadata: dict
    problems: tuple[str, ...] = ()


class SnapshotError(ValueError):
    """A file that is not a readable snapshot; the message names the problem in plain words."""


def read_snapshot(source: bytes | str | Path, *, max_bytes: int | None = None) -> Snapshot:
    """Read a snapshot written by :func:`snapshot_bytes` or :func:`write_snapshot`.

    Parameters
    ----------
    source : bytes, str or pathlib.Path
        The snapshot's bytes (GeoJSON, gzip-compressed GeoJSON, GeoPackage or GeoParquet, told
        apart by their first bytes), or a path to a regular file (devices and pipes are refused
        unread).
    max_bytes : int, optional
        Largest file accepted.

    Returns
    -------
    Snapshot

    Raises
    ------
    SnapshotError
        (a ValueError) If the input is not JSON, not a snapshot of this format, or any feature
        lacks properties, a point geometry, valid dates or valid counts; the message names up to
        five bad features and what was expected.
    """
    raw = _snapshot_bytes_of(source, max_bytes)
    if raw[:4] in (PARQUET_MAGIC, GEOPACKAGE_MAGIC[:4]):
        return _read_table_snapshot(raw)
    raw = _gunzipped(raw)
    collection = _parse_json(raw)
    metadata = collection.get("metadata") if isinstance(collection, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != SNAPSHOT_FORMAT:
        msg = f"not a snapshot: expected metadata.format {SNAPSHOT_FORMAT!r}"
        raise SnapshotError(msg)
    features = collection.get("features", [])
    if not isinstance(features, list):
        msg = f"not a snapshot: features is a {_kind(features)}, expected a list of Features"
        raise SnapshotError(msg)
    records, geometries, problems = _read_features(features)
    frame = pd.DataFrame.from_records(
        records, columns=[c for c in INCIDENT_COLUMNS if c != "geometry"]
    )
    problems += _fix_values(frame)
    if problems:
        raise SnapshotError(_problem_text(problems, len(features)))
    frame["sources"] = frame["sources"].map(lambda s: list(s) if isinstance(s, list) else [])
    incidents = conform(gpd.GeoDataFrame(frame, geometry=geometries, crs=CRS))
    validate_incidents(incidents, origin="snapshot")
    filters, filter_problems = IncidentFilter.from_query_lenient(metadata.get("filters") or {})
    return Snapshot(incidents, filters, metadata, tuple(filter_problems))


def _snapshot_bytes_of(source: bytes | str | Path, max_bytes: int | None) -> bytes:
    """Return the snapshot's bytes, refusing non-regular and oversized files before reading."""
    if not isinstance(source, str | Path):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.exists():
            raise SnapshotError(f"{path.name}: file not found")
        if not path.is_file():
            msg = f"{path.name}: not a regular file (a device, pipe or folder); not reading it"
            raise SnapshotError(msg)
        if max_bytes is not None and path.stat().st_size > max_bytes:
            msg = f"{path.name}: {path.stat().st_size:,} bytes, over the {max_bytes:,}-byte limit"
            raise SnapshotError(msg)
        data = path.read_bytes()
    if max_bytes is not None and len(data) > max_bytes:
        msg = f"the snapshot is {len(data):,} bytes, over the {max_bytes:,}-byte limit"
        raise SnapshotError(msg)
    return data


def _parse_json(raw: bytes) -> object:
    depth = json_depth(raw)
    if depth > MAX_NESTING:
        msg = f"snapshot is not valid: JSON nested {depth:,} levels deep (at most {MAX_NESTING})"
        raise SnapshotError(msg)
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        msg = f"snapshot is not JSON ({_json_problem(error)})"
        raise SnapshotError(msg) from error


def json_depth(raw: bytes | str) -> int:
    """Return the deepest nesting of ``[`` and ``{`` in JSON text, without parsing it.

    Strings are removed first (brackets in them do not count); the rest is counted with NumPy,
    so this is linear, fast and recursion-free: it vets a document before :func:`json.loads`,
    whose recursion a deeply nested document would exhaust.

    Parameters
    ----------
    raw : bytes or str

    Returns
    -------
    int
    """
    return json_shape(raw)[0]


def json_shape(raw: bytes | str, *, chunk: int = SHAPE_CHUNK) -> tuple[int, int]:
    """Return the deepest nesting and the number of arrays (``[``) in JSON text, unparsed.

    In GeoJSON the number of arrays bounds the number of coordinate positions (each is one), so
    a polygon of millions of vertices can be refused before it is parsed. See :func:`json_depth`.

    Parameters
    ----------
    raw : bytes or str
    chunk : int, optional
        Bytes examined at a time. The text is read in one pass, a chunk at a time, with NumPy:
        a quote's parity says whether a bracket is inside a string. Whole-text arrays of a
        100,000-incident snapshot (115 MB, 17 million quotes) took 0.5-3.5 s, most of it the
        system handing over fresh memory; chunks of 1 MiB take 0.55-0.8 s every time.

    Returns
    -------
    tuple of (int, int)
    """
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    codes = np.frombuffer(data, dtype=np.uint8)
    shape = _Shape()
    escaped: list[int] = []  # quotes after an odd run of backslashes: in a string, not its end
    inside = 0  # whether the text before this chunk ends inside a string
    for start in range(0, len(codes), chunk):
        part = codes[start : start + chunk]
        quotes = (part == ord('"')).view(np.uint8)  # a new array: ours to change
        if escaped and escaped[-1] == start:  # escaped by the last chunk's last backslash
            quotes[0] = 0
        found = _escaped_quotes(data, codes, start, len(part))
        quotes[[q - start for q in found if q < start + len(part)]] = 0
        escaped += found
        parity = np.bitwise_xor.accumulate(quotes) ^ inside
        kinds = _BRACKET_STEP[part]
        outside = (kinds != 0) & (parity == 0)
        shape.add(kinds[outside], part[outside])
        inside = int(parity[-1])
    if inside:  # an unterminated string is not a string: the text after its quote counts
        last, skipped = len(data), set(escaped)
        while (last := data.rfind(b'"', 0, last)) in skipped:
            pass
        tail = codes[last + 1 :]
        kinds = _BRACKET_STEP[tail]
        shape.add(kinds[kinds != 0], tail[kinds != 0])
    return shape.deepest, shape.arrays


@dataclass
class _Shape:
    """The nesting and arrays of JSON text, counted bracket by bracket (outside strings)."""

    depth: int = 0
    deepest: int = 0
    arrays: int = 0

    def add(self, steps: np.ndarray, brackets: np.ndarray) -> None:
        """Count the next brackets: their steps (+1, -1) and the bytes themselves."""
        if not len(steps):
            return
        levels = np.cumsum(steps, dtype=np.int64) + self.depth
        self.deepest = max(self.deepest, int(levels.max()))
        self.depth = int(levels[-1])
        self.arrays += int(np.count_nonzero(brackets == ord("[")))


def _escaped_quotes(data: bytes, codes: np.ndarray, start: int, length: int) -> list[int]:
    """Return the escaped quotes right after a backslash of ``codes[start:start + length]``.

    A quote is escaped when an odd run of backslashes precedes it (rare: checked one by one).
    The quote may be the first byte of the next chunk.
    """
    after = np.flatnonzero(codes[start : start + length] == ord("\\")) + start + 1
    after = after[after < len(codes)]
    return [q for q in after[codes[after] == ord('"')].tolist() if _backslashes_before(data, q) % 2]


def _backslashes_before(data: bytes, position: int) -> int:
    """Return how many backslashes immediately precede ``data[position]``."""
    count = 0
    while position - count - 1 >= 0 and data[position - count - 1] == ord("\\"):
        count += 1
    return count


def _json_problem(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno}, column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text: byte 0x{error.object[error.start]:02x} at {error.start:,}"
    return "nested too deeply"


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _read_features(features: list) -> tuple[list[dict], np.ndarray, list[str]]:
    """Return each feature's properties and point, and a problem per feature that has none."""
    records: list[dict] = []
    coordinates: list[tuple[float, float]] = []
    problems: list[str] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            problems.append(f"feature {number} is a {_kind(feature)}, expected a Feature object")
            continue
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            problems.append(
                f"feature {number} has properties {_kind(properties)}, expected an object"
            )
            continue
        point, problem = _point(feature.get("geometry"))
        if problem:
            problems.append(f"feature {number} ({_id_text(properties)}): {problem}")
            continue
        records.append(properties)
        coordinates.append(point)
    # Points made at once (a shapely Point per feature costs more than reading it).
    xy = np.array(coordinates, dtype=float).reshape(-1, 2)
    return records, shapely.points(xy[:, 0], xy[:, 1]), problems


def _id_text(properties: dict) -> str:
    text = str(properties.get("incident_id", "no id"))
    return text if len(text) <= 60 else text[:60] + "…"


def _point(geometry: object) -> tuple[tuple[float, float] | None, str]:
    """Return a GeoJSON Point geometry's longitude and latitude, or a problem."""
    if geometry is None:
        return None, "geometry is null, expected a Point"
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else _kind(geometry)
        return None, f"geometry is {str(kind)[:40]!r}, expected a Point"
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return None, "Point coordinates are not [longitude, latitude]"
    lon, lat = coordinates[:2]
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat))
    if not numbers or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        shown = f"[{str(lon)[:20]}, {str(lat)[:20]}]"
        return None, f"Point coordinates {shown} are not a longitude -180..180, latitude -90..90"
    return (lon, lat), ""


def _fix_values(frame: pd.DataFrame) -> list[str]:
    """Convert dates and counts in place; return a problem per value that is neither."""
    problems: list[str] = []
    for column in ("start", "end"):
        text = frame[column].astype(object).where(frame[column].notna(), "").map(str)
        parsed = _dates(text)
        for position in np.flatnonzero(parsed.isna().to_numpy()):
            problems.append(
                f"incident {_cell(frame, position, 'incident_id')}: {column} "
                f"{_cell(frame, position, column)!r} is not a date "
                "(expected ISO 8601, e.g. 2025-03-11T09:00:00, between 1678 and 2261)"
            )
        frame[column] = parsed
    for column in COUNT_COLUMNS:
        if _whole_counts(frame, column):
            continue
        values = frame[column].map(_count)
        bad = values.map(lambda v: v is False)
        for position in np.flatnonzero(bad.to_numpy()):
            problems.append(
                f"incident {_cell(frame, position, 'incident_id')}: {column} "
                f"{_cell(frame, position, column)!r} is not a count "
                f"(expected a whole number 0 to {MAX_COUNT:,}, or null)"
            )
        frame[column] = pd.array([v if v is not False else None for v in values], dtype="Int64")
    return problems


def _dates(text: pd.Series) -> pd.Series:
    """Parse ISO 8601 text; anything else, or outside pandas' range (1678-2261), is NaT."""
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, OverflowError):  # out of bounds may raise even with errors="coerce"
        parsed = pd.Series([_date(value) for value in text], index=text.index)
    parsed = pd.to_datetime(parsed)
    inside = (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    return parsed.where(inside).astype("datetime64[ns]")


def _date(value: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(pd.to_datetime(value, format="ISO8601"))
    except (ValueError, OverflowError):
        return pd.NaT


def _whole_counts(frame: pd.DataFrame, column: str) -> bool:
    """Convert a count column in place when every value is a JSON integer in range or null.

    The common case, done at once; any other value (text, a fraction, a boolean, out of range)
    leaves the column to the value-by-value check.
    """
    values = frame[column]
    # Integers with nulls arrive as floats with NaN.
    if pd.api.types.infer_dtype(values, skipna=True) not in ("integer", "floating", "empty"):
        return False
    known = values.dropna().to_numpy(dtype=float)
    whole = np.isfinite(known) & (known == np.trunc(known))
    if not (whole & (known >= 0) & (known <= MAX_COUNT)).all():
        return False
    frame[column] = pd.array(values.astype("Float64"), dtype="Int64")
    return True


def _cell(frame: pd.DataFrame, position: int, column: str) -> str:
    text = str(frame[column].iloc[position])
    return text if len(text) <= 60 else text[:60] + "…"


def _count(value: object) -> int | None | bool:
    """Return a count as an int, None when missing, or False when it is not a count."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = float(value)
    except ValueError:
        return False
    if not np.isfinite(number) or number < 0 or number > MAX_COUNT or number != int(number):
        return False
    return int(number)


def _problem_text(problems: list[str], total: int) -> str:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    tail = f"; and {more:,} more" if more > 0 else ""
    return f"snapshot has {len(problems):,} problem(s) in {total:,} feature(s): {shown}{tail}"


def _gunzipped(raw: bytes) -> bytes:
    """Return gzip-compressed bytes decompressed (others unchanged), refusing to grow too big.

    Raises
    ------
    SnapshotError
        If the data is not valid gzip or decompresses to more than
        :data:`MAX_SNAPSHOT_TEXT_BYTES`.
    """
    if raw[:2] != GZIP_MAGIC:
        return raw
    stream = gzip.GzipFile(fileobj=io.BytesIO(raw))
    try:
        text = stream.read(MAX_SNAPSHOT_TEXT_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        msg = f"snapshot is not valid gzip: {error}"
        raise SnapshotError(msg) from error
    if len(text) > MAX_SNAPSHOT_TEXT_BYTES:
        msg = (
            f"snapshot decompresses to more than {MAX_SNAPSHOT_TEXT_BYTES / 1e9:g} GB; "
            "expected a snapshot written by this dashboard"
        )
        raise SnapshotError(msg)
    return text


def _read_table_snapshot(raw: bytes) -> Snapshot:
    """Read a GeoParquet or GeoPackage snapshot (see :func:`write_snapshot`)."""
    if raw[:4] == PARQUET_MAGIC:
        try:
            incidents, writer = read_incidents_parquet(io.BytesIO(raw))
        except ParquetFileError as error:
            msg = f"snapshot is not a readable GeoParquet file: {error}"
            raise SnapshotError(msg) from error
        metadata = writer.get("snapshot")
    else:
        try:
            # A named .gpkg file: GDAL warns about GeoPackages in memory without the extension.
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "snapshot.gpkg"
                path.write_bytes(raw)
                frame = pyogrio.read_dataframe(path, layer="incidents")
                info = pyogrio.read_info(path, layer="incidents")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
            msg = f"snapshot is not a readable GeoPackage with an 'incidents' layer: {error}"
            raise SnapshotError(msg) from error
        text = (info.get("layer_metadata") or {}).get("snapshot", "")
        try:
            metadata = json.loads(text) if text else None
        except json.JSONDecodeError:
            metadata = None
        if metadata is not None and "sources" in frame:
            frame["sources"] = sources_from_json(pa.array(frame["sources"], pa.large_string()))
        incidents = frame
    if not isinstance(metadata, dict) or metadata.get("format") != SNAPSHOT_FORMAT:
        msg = f"not a snapshot: expected metadata.format {SNAPSHOT_FORMAT!r}"
        raise SnapshotError(msg)
    incidents = conform(incidents)
    validate_incidents(incidents, origin="snapshot")
    filters, filter_problems = IncidentFilter.from_query_lenient(metadata.get("filters") or {})
    return Snapshot(incidents, filters, metadata, tuple(filter_problems))
