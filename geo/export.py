"""GeoJSON snapshots (RFC 7946) of a filtered selection, and reading them back.

A snapshot is a FeatureCollection of exactly the selected incidents with all their attributes
and sources, plus a top-level ``metadata`` member (a foreign member, which RFC 7946 permits):
the filters applied, the export time in UTC, the dataset's content hash and the counts. Reading
it back gives the same incidents and the same :class:`~geo.filters.IncidentFilter`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo.filters import IncidentFilter
from geo.schema import COUNT_COLUMNS, CRS, INCIDENT_COLUMNS, conform, validate_incidents

SNAPSHOT_FORMAT = "rail-incident-dashboard snapshot 1"
COORDINATE_DECIMALS = 6


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

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema.

    Returns
    -------
    str
        ``"sha256:<hex>"``.
    """
    features = sorted(incident_features(incidents), key=lambda f: str(f["id"]))
    payload = json.dumps(features, sort_keys=True, ensure_ascii=False).encode()
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def snapshot_bytes(
    selected: gpd.GeoDataFrame,
    *,
    filters: IncidentFilter,
    dataset_hash: str,
    dataset_count: int,
    exported_at: datetime | None = None,
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

    Returns
    -------
    bytes
        UTF-8 GeoJSON.
    """
    exported_at = exported_at or datetime.now(UTC)
    collection = {
        "type": "FeatureCollection",
        "metadata": {
            "format": SNAPSHOT_FORMAT,
            "exported_at": exported_at.astimezone(UTC).isoformat(timespec="seconds"),
            "dataset_hash": dataset_hash,
            "filters": filters.to_dict(),
            "counts": {"selected": len(selected), "dataset": dataset_count},
            "time_zone": "start/end are Pakistan Standard Time (UTC+05:00)",
            "fatalities": "people killed who were not attackers; low/best/high as reported",
        },
        "features": incident_features(selected),
    }
    return json.dumps(collection, ensure_ascii=False, indent=1).encode("utf-8")


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A snapshot read back: its incidents, the filters it records and its metadata."""

    incidents: gpd.GeoDataFrame
    filters: IncidentFilter
    metadata: dict


def read_snapshot(source: bytes | str | Path) -> Snapshot:
    """Read a snapshot written by :func:`snapshot_bytes`.

    Parameters
    ----------
    source : bytes, str or pathlib.Path
        The GeoJSON bytes, or a path to the file.

    Returns
    -------
    Snapshot

    Raises
    ------
    ValueError
        If the input is not JSON, not a snapshot of this format, or its incidents are invalid.
    """
    raw = Path(source).read_bytes() if isinstance(source, str | Path) else source
    try:
        collection = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        msg = f"snapshot is not JSON: {error}"
        raise ValueError(msg) from error
    metadata = collection.get("metadata") if isinstance(collection, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != SNAPSHOT_FORMAT:
        msg = f"not a snapshot: expected metadata.format {SNAPSHOT_FORMAT!r}"
        raise ValueError(msg)
    records, geometries = [], []
    for feature in collection.get("features", []):
        records.append(feature["properties"])
        lon, lat = feature["geometry"]["coordinates"][:2]
        geometries.append(Point(lon, lat))
    frame = pd.DataFrame.from_records(
        records, columns=[c for c in INCIDENT_COLUMNS if c != "geometry"]
    )
    for column in COUNT_COLUMNS:
        frame[column] = pd.array(frame[column], dtype="Int64")
    frame["sources"] = frame["sources"].map(lambda s: list(s) if isinstance(s, list) else [])
    incidents = conform(gpd.GeoDataFrame(frame, geometry=geometries, crs=CRS))
    validate_incidents(incidents, origin="snapshot")
    return Snapshot(incidents, IncidentFilter.from_query(metadata.get("filters", {})), metadata)
