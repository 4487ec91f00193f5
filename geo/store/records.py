"""Turning incidents into stored rows and back, and curated records into incidents.

Pure functions on frames and dicts: no database here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points

from geo.groups import GroupRegistry
from geo.schema import (
    CRS,
    GROUP_SEPARATOR,
    INCIDENT_COLUMNS,
    IncidentValidationError,
    conform,
    validate_incidents,
)
from geo.store.interface import StoreError
from geo.store.tables import COUNT_COLUMNS, INCIDENT_TEXT

DATA_COLUMNS = (
    "incident_id",
    "start",
    "end",
    *INCIDENT_TEXT,
    *COUNT_COLUMNS,
    "sources",
    "flags",
    "figures",
    "lon",
    "lat",
)
# What makes a row "changed" on re-import: not the dataset's name nor where the row was read
# (file name and line differ between two exports of the same event).
HASHED_COLUMNS = tuple(c for c in DATA_COLUMNS if c not in ("dataset", "provenance"))
MEASURES = ("killed", "injured")
FIGURE_COLUMNS = (
    "incident_id",
    "measure",
    "value_low",
    "value_high",
    "reported_by",
    "cited_in",
    "url",
    "note",
)
EDITABLE = (
    "start",
    "end",
    "date_precision",
    "time_note",
    "place",
    "district",
    "province",
    "country",
    "geo_precision",
    "geo_note",
    "event_type",
    "sub_event_type",
    "attack_detail",
    "groups",
    "group_detail",
    "claimed_by",
    "target",
    "hostages",
    "summary",
    "sources",
    "figures",
    "lon",
    "lat",
)


def rows_from_incidents(incidents: gpd.GeoDataFrame, dataset_name: str) -> pd.DataFrame:
    """Return the stored form of incidents: one column per :data:`DATA_COLUMNS` plus a hash.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema (a ``flags`` column is kept when present).
    dataset_name : str
        Written to the ``dataset`` column.

    Returns
    -------
    pandas.DataFrame
        With ``content_hash`` (changes whenever any stored field changes).
    """
    frame = pd.DataFrame(incidents.drop(columns="geometry"))
    points_ = incidents.geometry.to_crs(CRS)
    out = pd.DataFrame(index=frame.index)
    out["incident_id"] = frame["incident_id"].astype(str)
    for column in ("start", "end"):
        out[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    for column in INCIDENT_TEXT:
        out[column] = frame[column].astype(object).where(frame[column].notna(), "").map(str)
    out["dataset"] = dataset_name
    for column in COUNT_COLUMNS:
        out[column] = pd.array(frame[column], dtype="Int64")
    out["sources"] = frame["sources"].map(_json_list)
    out["flags"] = frame["flags"].fillna("").astype(str) if "flags" in frame else ""
    out["figures"] = frame["figures"].map(_json_list) if "figures" in frame else "[]"
    out["lon"] = points_.x.to_numpy()
    out["lat"] = points_.y.to_numpy()
    out["content_hash"] = row_hashes(out)
    return out.reset_index(drop=True)


def row_hashes(rows: pd.DataFrame) -> pd.Series:
    """Return a hex digest per row of the stored fields (order-sensitive, dataset excluded)."""
    hashed = pd.util.hash_pandas_object(rows[list(HASHED_COLUMNS)].astype(str), index=False)
    return hashed.map(lambda value: f"{int(value):016x}")


def _json_list(value: object) -> str:
    if isinstance(value, str):
        return value
    items = list(value) if isinstance(value, list | tuple | np.ndarray) else []
    return json.dumps([_plain(item) for item in items], ensure_ascii=False, sort_keys=True)


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or (not isinstance(value, str | list | tuple) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def incidents_from_rows(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return stored rows as incidents in the schema (plus ``flags``).

    Parameters
    ----------
    rows : pandas.DataFrame
        Columns from :data:`DATA_COLUMNS`.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    frame = rows.copy()
    # Parse each distinct sources text once (many rows of one export cite the same sources).
    codes, texts = pd.factorize(frame["sources"])
    parsed = [json.loads(text) for text in texts]
    frame["sources"] = [list(parsed[code]) for code in codes]
    geometry = points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    gdf = gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=geometry, crs=CRS)
    flags = frame["flags"].fillna("").astype(str).to_numpy()
    out = conform(gdf)
    out["flags"] = flags
    return out


def figures_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Return curated figures in the layout of ``data/incident_figures.csv``.

    Parameters
    ----------
    rows : pandas.DataFrame
        With ``incident_id`` and ``figures`` (JSON lists).

    Returns
    -------
    pandas.DataFrame
    """
    records = []
    for incident_id, text in zip(rows["incident_id"], rows["figures"], strict=True):
        for figure in json.loads(text or "[]"):
            records.append(
                {
                    "incident_id": incident_id,
                    "measure": figure.get("measure", ""),
                    "value_low": _figure_text(figure.get("low")),
                    "value_high": _figure_text(figure.get("high")),
                    "reported_by": figure.get("reported_by", ""),
                    "cited_in": figure.get("cited_in", ""),
                    "url": figure.get("url", ""),
                    "note": figure.get("note", ""),
                }
            )
    return pd.DataFrame(records, columns=list(FIGURE_COLUMNS))


def _figure_text(value: object) -> str:
    return "" if value is None else str(value)


def _as_timestamp(value: object, *, end_of_day: bool, name: str) -> pd.Timestamp:
    if isinstance(value, datetime):
        return pd.Timestamp(value)
    if isinstance(value, date):
        moment = time(23, 59, 59) if end_of_day else time(0, 0)
        return pd.Timestamp(datetime.combine(value, moment))
    try:
        stamp = pd.Timestamp(str(value))
    except ValueError as error:
        msg = f"{name} {value!r} is not a date (expected YYYY-MM-DD)"
        raise StoreError(msg) from error
    if end_of_day and stamp == stamp.normalize() and len(str(value).strip()) <= 10:
        stamp += pd.Timedelta(hours=23, minutes=59, seconds=59)
    return stamp


def check_figures(figures: object) -> list[dict]:
    """Return figures as clean dicts; each needs a measure, a low and/or high and who said it.

    Parameters
    ----------
    figures : list of dict
        ``measure`` (``killed``/``injured``), ``low``, ``high``, ``reported_by``, optional
        ``cited_in``, ``url``, ``note``.

    Returns
    -------
    list of dict

    Raises
    ------
    StoreError
    """
    clean = []
    for number, figure in enumerate(figures or [], start=1):
        if not isinstance(figure, Mapping):
            msg = f"figure {number} {figure!r} is not a record of measure, low, high, reported_by"
            raise StoreError(msg)
        measure = str(figure.get("measure", "")).strip()
        if measure not in MEASURES:
            msg = f"figure {number}: measure {measure!r} is not one of {', '.join(MEASURES)}"
            raise StoreError(msg)
        low, high = _count(figure.get("low"), number), _count(figure.get("high"), number)
        if low is None and high is None:
            msg = f"figure {number}: give a low or a high number"
            raise StoreError(msg)
        low, high = (high if low is None else low), (low if high is None else high)
        if low > high:
            msg = f"figure {number}: low {low} is greater than high {high}"
            raise StoreError(msg)
        who = str(figure.get("reported_by", "")).strip()
        if not who:
            msg = f"figure {number} ({measure} {low}-{high}): say who reported it"
            raise StoreError(msg)
        clean.append(
            {
                "measure": measure,
                "low": low,
                "high": high,
                "reported_by": who,
                "cited_in": str(figure.get("cited_in", "") or "").strip(),
                "url": str(figure.get("url", "") or "").strip(),
                "note": str(figure.get("note", "") or "").strip(),
            }
        )
    return clean


def _count(value: object, number: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        count = int(str(value).strip())
    except ValueError as error:
        msg = f"figure {number}: {value!r} is not a whole number"
        raise StoreError(msg) from error
    if count < 0:
        msg = f"figure {number}: {count} is negative"
        raise StoreError(msg)
    return count


def _figure_columns(figures: list[dict]) -> dict[str, object]:
    """Fatality and injury ranges over every report, and a note of who said what."""
    out: dict[str, object] = {}
    notes = []
    for measure, prefix in (("killed", "fatalities"), ("injured", "injured")):
        chosen = [f for f in figures if f["measure"] == measure]
        if not chosen:
            out.update({f"{prefix}_low": None, f"{prefix}_best": None, f"{prefix}_high": None})
            continue
        low, high = min(f["low"] for f in chosen), max(f["high"] for f in chosen)
        out.update({f"{prefix}_low": low, f"{prefix}_high": high})
        out[f"{prefix}_best"] = low if low == high else None
        said = "; ".join(f"{_range(f['low'], f['high'])} ({f['reported_by']})" for f in chosen)
        notes.append(f"{measure}: {said}")
    out["figures_note"] = " | ".join(notes)
    return out


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def check_sources(sources: object) -> list[dict]:
    """Return sources as publisher/title/date/url records; at least one needs a URL.

    Parameters
    ----------
    sources : list of dict

    Returns
    -------
    list of dict

    Raises
    ------
    StoreError
    """
    clean = []
    for source in sources or []:
        if not isinstance(source, Mapping):
            msg = f"source {source!r} is not a record of publisher, title, date, url"
            raise StoreError(msg)
        record = {key: str(source.get(key, "") or "").strip() for key in ("publisher", "title")}
        record["date"] = str(source.get("date", "") or "").strip()
        record["url"] = str(source.get("url", "") or "").strip()
        if any(record.values()):
            clean.append(record)
    if not any(record["url"] for record in clean):
        msg = "give at least one source with a URL (http:// or https://)"
        raise StoreError(msg)
    return clean


def curated_incident(
    record: Mapping[str, object],
    *,
    incident_id: str,
    dataset_name: str,
    registry: GroupRegistry | None = None,
) -> gpd.GeoDataFrame:
    """Build and validate one curated incident from what an analyst entered.

    Parameters
    ----------
    record : mapping
        ``start``, ``end`` (dates; ``end`` defaults to ``start``), ``date_precision``,
        ``place``, ``lon``, ``lat``, ``geo_precision``, ``event_type``, ``groups`` (names from
        the registry, a list or ``"; "``-joined), ``figures`` (see :func:`check_figures`),
        ``sources`` (see :func:`check_sources`), ``summary`` and any other text column.
    incident_id, dataset_name : str
    registry : GroupRegistry, optional
        When given, every group must be one of its names.

    Returns
    -------
    geopandas.GeoDataFrame
        One row in the schema plus ``flags`` and ``figures``.

    Raises
    ------
    StoreError
        Naming every problem found.
    """
    unknown = set(record) - set(EDITABLE) - {"incident_id"}
    if unknown:
        msg = f"unknown field(s) {sorted(unknown)}; expected some of {', '.join(EDITABLE)}"
        raise StoreError(msg)
    groups = record.get("groups", "")
    names = [g.strip() for g in groups.split(";")] if isinstance(groups, str) else list(groups)
    names = [name for name in names if name]
    if registry is not None:
        strange = [name for name in names if registry.canonical(name) is None]
        names = list(dict.fromkeys(registry.canonical(name) or name for name in names))
        if strange:
            msg = f"group(s) {strange} are not in the registry; add them or choose listed names"
            raise StoreError(msg)
    figures = check_figures(record.get("figures"))
    sources = check_sources(record.get("sources"))
    lon, lat = _coordinate(record.get("lon"), "lon"), _coordinate(record.get("lat"), "lat")
    start = _as_timestamp(record.get("start"), end_of_day=False, name="start")
    end = _as_timestamp(record.get("end") or record.get("start"), end_of_day=True, name="end")
    row = {column: "" for column in INCIDENT_COLUMNS if column != "geometry"}
    row.update({k: v for k, v in record.items() if k in INCIDENT_TEXT})
    row.update(
        incident_id=incident_id,
        start=start,
        end=end,
        groups=GROUP_SEPARATOR.join(names),
        sources=sources,
        dataset=dataset_name,
        **_figure_columns(figures),
    )
    frame = gpd.GeoDataFrame([row], geometry=points([lon], [lat]), crs=CRS)
    incident = conform(frame)
    try:
        validate_incidents(incident, origin=f"incident {incident_id}")
    except IncidentValidationError as error:
        raise StoreError(str(error)) from error
    incident["flags"] = ""
    incident["figures"] = [figures]
    return incident


def _coordinate(value: object, name: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        msg = f"{name} {value!r} is not a number (pick the place by search or on the map)"
        raise StoreError(msg) from error
    limit = 180 if name == "lon" else 90
    if not -limit <= number <= limit:
        msg = f"{name} {number} is outside -{limit}..{limit}"
        raise StoreError(msg)
    return number


def record_from_row(row: Mapping[str, object]) -> dict[str, object]:
    """Return a stored row as an editable record (the inverse of :func:`curated_incident`).

    Parameters
    ----------
    row : mapping
        A stored incident row.

    Returns
    -------
    dict
    """
    record = {key: row[key] for key in EDITABLE if key in row}
    record["sources"] = json.loads(str(row["sources"]))
    record["figures"] = json.loads(str(row["figures"] or "[]"))
    record["incident_id"] = row["incident_id"]
    return record


def display_value(value: object) -> str:
    """Return a stored value as the text a history table shows."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat(sep=" ")
    return str(value)
