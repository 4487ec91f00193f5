"""Any CSV (or attribute table) with coordinates and a date, through an explicit column mapping.

The mapping goes from the schema's field names (:data:`FIELDS`) to the file's column names, e.g.
``{"latitude": "lat", "longitude": "lng", "date": "when"}``; a value starting with ``=`` is a
fixed value for every row (``{"event_type": "=Battles"}``). :func:`suggest_mapping` proposes one
from common column names, for the dashboard's mapping step to show and let the analyst change.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely

from geo.groups import GroupRegistry
from geo.importers import _rows as rows
from geo.importers._errors import ImportFileError
from geo.schema import EVENT_TYPES

FORMAT = "csv"
PREFIX = "CSV"
DEFAULT_EVENT_TYPE = "Violence against civilians"
DEFAULT_GEO_PRECISION = "district"
FIELDS = {
    "incident_id": ("incident_id", "id", "event_id", "eventid", "fid"),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "x"),
    "wkt": ("wkt", "geom_wkt", "geometry", "geom", "the_geom"),
    "date": ("date", "start", "start_date", "event_date", "date_start", "datetime", "time"),
    "end_date": ("end", "end_date", "date_end"),
    "place": ("place", "location", "city", "town", "name"),
    "district": ("district", "admin2", "adm_2"),
    "province": ("province", "admin1", "adm_1", "provstate", "state"),
    "country": ("country",),
    "geo_precision": ("geo_precision",),
    "event_type": ("event_type", "type", "category"),
    "sub_event_type": ("sub_event_type", "subtype"),
    "groups": ("groups", "group", "actor", "actor1", "perpetrator", "gname", "organisation"),
    "target": ("target",),
    "summary": ("summary", "description", "notes", "note", "details"),
    "fatalities": ("fatalities", "killed", "deaths", "nkill"),
    "fatalities_low": ("fatalities_low",),
    "fatalities_high": ("fatalities_high",),
    "deaths_reported": ("deaths_reported", "all_deaths", "total_deaths"),
    "injured": ("injured", "wounded", "nwound"),
    "source": ("source", "publisher"),
    "source_title": ("source_title", "title", "headline"),
    "source_url": ("source_url", "url", "link"),
}
DATE_FORMATS = {
    "hour": ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"),
    "day": ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%d/%m/%Y", "%d.%m.%Y"),
    "month": ("%Y-%m", "%B %Y", "%b %Y"),
    "year": ("%Y",),
}
EVENT_KEYWORDS = (
    (r"explos|bomb|\bied\b|blast|grenade|rocket|shell|drone|air ?strike|remote", EVENT_TYPES[1]),
    (r"battle|clash|armed|ambush|assault|firefight", EVENT_TYPES[0]),
    (r"civilian|kidnap|abduct|assassin|massacre|execution", EVENT_TYPES[2]),
    (r"riot|mob", EVENT_TYPES[4]),
    (r"protest|demonstrat", EVENT_TYPES[5]),
    (r"strategic|arrest|seiz|property", EVENT_TYPES[3]),
)


def _fold(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


def suggest_mapping(columns: list[str]) -> dict[str, str]:
    """Propose a mapping from schema fields to columns, by common column names.

    Parameters
    ----------
    columns : list of str
        The file's column names.

    Returns
    -------
    dict of str to str
        ``{field: column}`` for each field with a recognisable column; fields without one are
        left out.
    """
    folded = {_fold(column): column for column in reversed(columns)}
    mapping = {}
    for field, names in FIELDS.items():
        found = next((folded[name] for name in names if name in folded), None)
        if found is not None and found not in mapping.values():
            mapping[field] = found
    return mapping


def check_mapping(mapping: dict[str, str], columns: list[str], *, name: str) -> None:
    """Check a mapping names known fields and existing columns, with coordinates and a date.

    Parameters
    ----------
    mapping : dict of str to str
        ``{field: column or "=fixed value"}``.
    columns : list of str
        The file's columns.
    name : str
        File name for messages.

    Raises
    ------
    ImportFileError
        Naming the unknown fields, the missing columns, or what is not mapped.
    """
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise ImportFileError(name, f"unknown mapping field(s) {unknown}; use {sorted(FIELDS)}")
    absent = sorted(c for c in mapping.values() if not c.startswith("=") and c not in columns)
    if absent:
        raise ImportFileError(name, f"mapped column(s) {absent} not in the file {columns}")
    has_points = {"latitude", "longitude"} <= set(mapping) or "wkt" in mapping
    if not has_points:
        problem = f"no latitude/longitude or WKT column; map one (columns found: {columns})"
        raise ImportFileError(name, problem)
    if "date" not in mapping:
        raise ImportFileError(name, f"no date column; map one (columns found: {columns})")


def candidates(
    frame: pd.DataFrame,
    raw: pd.Series,
    registry: GroupRegistry,
    *,
    mapping: dict[str, str],
    name: str,
    prefix: str = PREFIX,
) -> tuple[pd.DataFrame, list[str]]:
    """Map rows onto the incident schema through ``mapping``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows as strings.
    raw : pandas.Series
        Each row as written.
    registry : GroupRegistry
    mapping : dict of str to str
        Checked with :func:`check_mapping`.
    name : str
        The file's name: a file's own ids (``1``, ``2``...) mean nothing outside it, so they
        become ``CSV:<name>:1``, and two files numbered alike never collide.
    prefix : str
        Prefix of incident ids.

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        Candidate rows and notes on the file.
    """

    def value(field: str) -> pd.Series:
        return _value(frame, mapping, field)

    country = value("country")
    lat_text, lon_text, wkt_reason = coordinate_text(
        value("latitude"), value("longitude"), value("wkt")
    )
    lat, lon, where = rows.check_coordinates(lat_text, lon_text, country)
    where = rows.first_reason(wkt_reason, where)
    dates, when = _dates(value("date"), value("end_date"))
    figures, figure_reason = _figures(frame, mapping)
    notes = []
    event_type = value("event_type").map(_event_type)
    if "event_type" not in mapping:
        event_type[:] = DEFAULT_EVENT_TYPE
        notes.append(
            f"no event_type column: every row set to {DEFAULT_EVENT_TYPE!r} "
            "(map a column, or a fixed value such as '=Battles')"
        )
    groups, _, log = rows.map_actors([value("groups")], registry)
    geo_precision = value("geo_precision").str.lower()
    assumed = geo_precision == ""
    geo_precision = geo_precision.where(~assumed, DEFAULT_GEO_PRECISION)
    if "geo_precision" not in mapping:
        notes.append(
            "no geo_precision column: location precision not stated by the file, assumed "
            f"{DEFAULT_GEO_PRECISION!r} on every row (flag precision-assumed)"
        )
    out = pd.DataFrame(
        {
            "incident_id": _local_ids(prefix, name, value("incident_id")),
            "place": _place(value),
            "district": value("district"),
            "province": value("province"),
            "country": country,
            "geo_precision": geo_precision,
            "geo_note": np.where(
                assumed,
                f"precision not stated by the source; assumed {DEFAULT_GEO_PRECISION}",
                "",
            ),
            "flags": np.where(assumed, "precision-assumed", ""),
            "event_type": event_type,
            "sub_event_type": value("sub_event_type"),
            "groups": groups,
            "actor_map": log,
            "group_detail": value("groups"),
            "target": value("target"),
            "summary": value("summary"),
            "sources": _sources(value("source"), value("source_title"), value("source_url")),
            "lat": lat,
            "lon": lon,
        },
        index=frame.index,
    )
    out = out.join([dates, figures])
    out["reason"] = rows.first_reason(where, when, figure_reason)
    return out, notes


def _local_ids(prefix: str, name: str, ids: pd.Series) -> pd.Series:
    """Key a file's own ids by the file (``CSV:mine.csv:17``); ``""`` where blank."""
    return (prefix + ":" + name + ":" + ids).where(ids != "", "")


def _value(frame: pd.DataFrame, mapping: dict[str, str], field: str) -> pd.Series:
    column = mapping.get(field, "")
    if column.startswith("="):
        return pd.Series(column[1:].strip(), index=frame.index, dtype=object)
    return rows.text(frame, column) if column else rows.text(frame, "")


def coordinate_text(
    lat: pd.Series, lon: pd.Series, wkt: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return latitude/longitude text, taken from WKT where both are blank, and WKT problems.

    Parameters
    ----------
    lat, lon, wkt : pandas.Series of str
        Same index; blank where absent.

    Returns
    -------
    tuple of pandas.Series
        Latitude, longitude and the reason a WKT value gives no point (``""`` otherwise).
    """
    reason = pd.Series("", index=lat.index, dtype=object)
    use_wkt = (lat == "") & (lon == "") & (wkt != "")
    if use_wkt.any():
        lat, lon = lat.copy(), lon.copy()
        x, y, problems = wkt_xy(wkt[use_wkt])
        lat[use_wkt], lon[use_wkt], reason[use_wkt] = y, x, problems
    return lat, lon, reason


def wkt_xy(wkt: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return x and y of WKT points as text, and why a value gives no point.

    Parameters
    ----------
    wkt : pandas.Series of str

    Returns
    -------
    tuple of pandas.Series
        Longitude and latitude as text (``""`` where there is no point) and the reason
        (``""`` for a point): unreadable WKT, or a geometry that is not a point.
    """
    geometries = shapely.from_wkt(wkt.to_numpy(dtype=object), on_invalid="ignore")
    x, y, reasons = [], [], []
    for text, geometry in zip(wkt, geometries, strict=True):
        point = geometry is not None and geometry.geom_type == "Point" and not geometry.is_empty
        x.append(repr(geometry.x) if point else "")
        y.append(repr(geometry.y) if point else "")
        if geometry is None:
            reasons.append(f"WKT {text[:60]!r} is not readable")
        else:
            reasons.append("" if point else f"WKT is a {geometry.geom_type}, expected a POINT")
    index = wkt.index
    return pd.Series(x, index=index), pd.Series(y, index=index), pd.Series(reasons, index=index)


def parse_with_precision(written: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates written at any precision, from ``2024-11-09 14:30`` down to ``2024``.

    Parameters
    ----------
    written : pandas.Series of str

    Returns
    -------
    tuple of pandas.Series
        Timestamps (NaT when unparseable) and their precision (``""`` when unparseable).
    """
    stamps = pd.Series(pd.NaT, index=written.index, dtype="datetime64[ns]")
    precision = pd.Series("", index=written.index, dtype=object)
    for level, formats in DATE_FORMATS.items():
        pending = stamps.isna()
        parsed = rows.parse_dates(written.where(pending, ""), formats)
        found = pending & parsed.notna()
        stamps[found], precision[found] = parsed[found], level
    return stamps, precision


def _dates(first: pd.Series, last: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    stamps, precision = parse_with_precision(first)
    start, end = rows.bounds(stamps, precision)
    last_stamps, last_precision = parse_with_precision(last)
    _, last_end = rows.bounds(last_stamps, last_precision)
    end = end.where(last_end.isna(), last_end)
    reason = rows.first_reason(
        rows.described(stamps.isna(), "unparseable date {!r}", first),
        rows.described((last != "") & last_stamps.isna(), "unparseable end date {!r}", last),
    )
    dates = pd.DataFrame(
        {"start": start, "end": end, "date_precision": precision.where(precision != "", "day")},
        index=first.index,
    )
    return dates, reason


def _place(value: Callable[[str], pd.Series]) -> pd.Series:
    return rows.fallback(*[value(field) for field in ("place", "district", "province", "country")])


def _event_type(written: str) -> str:
    for known in EVENT_TYPES:
        if written.casefold() == known.casefold():
            return known
    for pattern, event_type in EVENT_KEYWORDS:
        if re.search(pattern, written, re.IGNORECASE):
            return event_type
    return written


def _figures(frame: pd.DataFrame, mapping: dict[str, str]) -> tuple[pd.DataFrame, pd.Series]:
    columns = {}
    reasons = []
    for field in ("fatalities", "fatalities_low", "fatalities_high", "injured", "deaths_reported"):
        values = _value(frame, mapping, field).to_frame(field)
        columns[field], reason = rows.counts(values, field)
        reasons.append(reason)
    best = columns["fatalities"]
    figures = pd.DataFrame(
        {
            "fatalities_low": columns["fatalities_low"].fillna(best),
            "fatalities_best": best,
            "fatalities_high": columns["fatalities_high"].fillna(best),
            "injured_low": columns["injured"],
            "injured_best": columns["injured"],
            "injured_high": columns["injured"],
            "deaths_reported": columns["deaths_reported"],
        },
        index=frame.index,
    )
    return figures, rows.first_reason(*reasons)


def _sources(publisher: pd.Series, title: pd.Series, url: pd.Series) -> pd.Series:
    records = [
        [rows.source_record(publisher=p, title=t, url=u)] if (p or t or u) else []
        for p, t, u in zip(publisher, title, url, strict=True)
    ]
    return pd.Series(records, index=publisher.index, dtype=object)
