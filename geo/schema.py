"""The incident schema: one definition of columns, types and allowed values, and one validator.

Every source of incidents (the bundled dataset, ACLED/GTD/UCDP imports, snapshots) is turned into a
GeoDataFrame with these columns and checked by :func:`validate_incidents`, which collects every
problem it finds before raising a single :class:`IncidentValidationError`.

Conventions
-----------
- ``start`` and ``end`` are naive timestamps in Pakistan Standard Time (UTC+5). ``end`` is the last
  instant the incident may cover: for day precision it is 23:59:59 of the last day, so an incident
  spanning days overlaps a time window when ``start <= window_end and end >= window_start``.
- Fatality columns count people killed who were not attackers. Attackers killed, people aboard,
  claims by the perpetrators and other disputed figures are kept, with who said them, in
  ``figures_note`` and in the reported-figures table.
- ``deaths_reported`` is the source's own death toll as it counts it (ACLED ``fatalities``, GTD
  ``nkill``, UCDP ``best``: attackers and both sides included), kept beside the fatality columns
  so that no total changes meaning silently; blank where the source gives no such figure.
- ``groups`` holds canonical group names (see :mod:`geo.groups`) joined by ``"; "``; the wording of
  the sources is kept in ``group_detail`` and ``claimed_by``.
- ``flags`` holds codes (:data:`geo.flags.FLAGS`) joined by ``"; "``, e.g.
  ``"province-mismatch; precision-assumed"``; ``""`` when nothing is flagged.
- ``geo_precision`` ``"country"`` marks a row located only to its country: it counts in totals and
  the timeline but is not drawn on the map and not selected by spatial filters.
- ``licence`` names the terms the row's dataset is under (see :mod:`geo.licences`), ``provenance``
  where the row was read (file, line, format).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

CRS = "EPSG:4326"
METRIC_CRS = "EPSG:32642"  # UTM zone 42N: covers Balochistan, metres.
LOCAL_TZ = "Asia/Karachi"
GROUP_SEPARATOR = "; "

DATE_PRECISIONS = ("hour", "day", "week", "month", "year")
# Precisions that are drawn on the map, finest first.
GEO_PRECISIONS = ("exact", "near", "district", "province")
# A row located only to its country: kept in totals and the timeline, never drawn.
COUNTRY_PRECISION = "country"
ALL_GEO_PRECISIONS = (*GEO_PRECISIONS, COUNTRY_PRECISION)
GEO_PRECISION_LABELS = {
    "exact": "exact site",
    "near": "near, within ~5 km",
    "district": "district / town level",
    "province": "province level",
    COUNTRY_PRECISION: "country only (not drawn on the map)",
}
EVENT_TYPES = (
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Strategic developments",
    "Riots",
    "Protests",
)

COUNT_COLUMNS = (
    "fatalities_low",
    "fatalities_best",
    "fatalities_high",
    "injured_low",
    "injured_best",
    "injured_high",
    "deaths_reported",
)
# No single incident has killed or injured more people; a larger figure (1e20) is an error.
MAX_COUNT = 10_000_000
DATETIME_COLUMNS = ("start", "end")
INCIDENT_COLUMNS = (
    "incident_id",
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
    *COUNT_COLUMNS,
    "hostages",
    "summary",
    "figures_note",
    "sources",
    "dataset",
    "flags",
    "licence",
    "provenance",
    "geometry",
)
NON_TEXT_COLUMNS = (*DATETIME_COLUMNS, *COUNT_COLUMNS, "sources", "geometry")
TEXT_COLUMNS = tuple(c for c in INCIDENT_COLUMNS if c not in NON_TEXT_COLUMNS)
REQUIRED_TEXT = ("incident_id", "date_precision", "place", "geo_precision", "event_type", "groups")
SOURCE_KEYS = ("publisher", "title", "date", "url")
FLAG_CELL = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:; [a-z0-9]+(?:-[a-z0-9]+)*)*")


def plain(value: object) -> object:
    """Return a value as plain Python for messages: ``np.int64(2)`` becomes ``2``.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
        ``value.item()`` for NumPy scalars, ``None`` for missing values, else ``value``.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one value of one row."""

    row: int | None
    column: str
    value: object
    expected: str

    def __str__(self) -> str:
        where = f" (row {self.row})" if self.row is not None else ""
        return f"{self.column} {plain(self.value)!r} {self.expected}{where}"


@dataclass
class IncidentValidationError(ValueError):
    """Raised with every problem the validator found, not just the first."""

    problems: list[Problem] = field(default_factory=list)
    origin: str = "incidents"

    def __str__(self) -> str:
        head = f"{self.origin}: {len(self.problems)} problem(s)"
        shown = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = "" if len(self.problems) <= 50 else f"\n  ... and {len(self.problems) - 50} more"
        return f"{head}\n{shown}{more}"


def conform(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Give a frame the schema's column order and dtypes, filling optional columns.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents with at least a ``geometry`` column; missing optional text columns become
        empty strings, missing counts become ``<NA>``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns in :data:`INCIDENT_COLUMNS` order with the schema's dtypes, EPSG:4326.
    """
    out = frame.copy()
    for column in TEXT_COLUMNS:
        if column not in out:
            out[column] = ""
        out[column] = out[column].astype(object).where(out[column].notna(), "")
        out[column] = out[column].map(str)
    for column in COUNT_COLUMNS:
        if column not in out:
            out[column] = pd.NA
        out[column] = pd.to_numeric(out[column], errors="coerce").round().astype("Int64")
    for column in DATETIME_COLUMNS:
        values = out[column]
        if not pd.api.types.is_datetime64_any_dtype(values):
            values = pd.to_datetime(values.astype(str), format="ISO8601")
        out[column] = values.astype("datetime64[ns]")
    if "sources" not in out:
        out["sources"] = [[] for _ in range(len(out))]
    if "country" in out:
        out.loc[out["country"] == "", "country"] = "Pakistan"
    gdf = gpd.GeoDataFrame(out, geometry="geometry", crs=out.crs if hasattr(out, "crs") else CRS)
    if gdf.crs is None:
        gdf = gdf.set_crs(CRS)
    return gdf[list(INCIDENT_COLUMNS)].reset_index(drop=True)


def validate_incidents(
    incidents: gpd.GeoDataFrame, *, origin: str = "incidents", row_offset: int = 0
) -> gpd.GeoDataFrame:
    """Check incidents against the schema and raise one error listing every problem.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Frame in the schema (see :func:`conform`).
    origin : str
        Name of the file or dataset, used in the error message.
    row_offset : int
        Added to the 0-based position to report rows as the user counts them (for a CSV with a
        header, pass 2 so the first data row is "row 2", its line number).

    Returns
    -------
    geopandas.GeoDataFrame
        The same frame, unchanged, when it is valid.

    Raises
    ------
    IncidentValidationError
        Listing every problem (row, column, value, expectation).
    """
    problems: list[Problem] = []
    missing = [c for c in INCIDENT_COLUMNS if c not in incidents.columns]
    if missing:
        problems += [Problem(None, c, None, "is a required column but is missing") for c in missing]
        raise IncidentValidationError(problems, origin)
    if incidents.crs is None or incidents.crs.to_epsg() != 4326:
        problems.append(Problem(None, "crs", str(incidents.crs), "is not EPSG:4326"))

    def row_no(position: int) -> int:
        return position + row_offset

    for position, row in enumerate(incidents.itertuples(index=False)):
        problems += _row_problems(row, row_no(position))

    duplicated = incidents["incident_id"].duplicated(keep="first").to_numpy()
    for position in np.flatnonzero(duplicated):
        value = incidents["incident_id"].iloc[position]
        problems.append(Problem(row_no(position), "incident_id", value, "is not unique"))

    if problems:
        raise IncidentValidationError(problems, origin)
    return incidents


def _row_problems(row: tuple, row_number: int) -> list[Problem]:
    """Return the problems of one incident row (a namedtuple from ``itertuples``)."""
    problems: list[Problem] = []

    def add(column: str, value: object, expected: str) -> None:
        problems.append(Problem(row_number, column, value, expected))

    for column in REQUIRED_TEXT:
        if not str(getattr(row, column)).strip():
            add(column, getattr(row, column), "is empty but required")
    if row.date_precision and row.date_precision not in DATE_PRECISIONS:
        add("date_precision", row.date_precision, f"is not one of {', '.join(DATE_PRECISIONS)}")
    if row.geo_precision and row.geo_precision not in ALL_GEO_PRECISIONS:
        add("geo_precision", row.geo_precision, f"is not one of {', '.join(ALL_GEO_PRECISIONS)}")
    if row.flags and not FLAG_CELL.fullmatch(row.flags):
        add("flags", row.flags, 'is not flag codes (lower-case words and "-") joined by "; "')
    if not pd.isna(row.deaths_reported) and row.deaths_reported < 0:
        add("deaths_reported", row.deaths_reported, "is negative")
    if row.event_type and row.event_type not in EVENT_TYPES:
        add("event_type", row.event_type, f"is not one of {', '.join(EVENT_TYPES)}")
    if pd.isna(row.start):
        add("start", row.start, "is not a date")
    if pd.isna(row.end):
        add("end", row.end, "is not a date")
    if not pd.isna(row.start) and not pd.isna(row.end) and row.end < row.start:
        add("end", str(row.end), f"is before start {str(row.start)!r}")
    _check_geometry(row.geometry, add)
    for kind in ("fatalities", "injured"):
        low, best, high = (getattr(row, f"{kind}_{part}") for part in ("low", "best", "high"))
        for part, value in (("low", low), ("best", best), ("high", high)):
            if not pd.isna(value) and value < 0:
                add(f"{kind}_{part}", value, "is negative")
        if not pd.isna(low) and not pd.isna(high) and low > high:
            add(f"{kind}_low", low, f"is greater than {kind}_high {high}")
        if not pd.isna(best) and (
            (not pd.isna(low) and best < low) or (not pd.isna(high) and best > high)
        ):
            add(f"{kind}_best", best, f"is outside {kind}_low..{kind}_high")
    _check_sources(row.sources, add)
    return problems


def _check_geometry(geometry: object, add: Callable[[str, object, str], None]) -> None:
    """Check one point geometry; problems are reported through ``add``."""
    if geometry is None or getattr(geometry, "is_empty", True):
        add("geometry", None, "is missing: every incident needs a point")
    elif geometry.geom_type != "Point":
        add("geometry", geometry.geom_type, "is not a Point")
    elif not (-180 <= geometry.x <= 180 and -90 <= geometry.y <= 90):
        add("geometry", f"({geometry.y}, {geometry.x})", "is outside latitude/longitude range")


def _check_sources(sources: object, add: Callable[[str, object, str], None]) -> None:
    """Check the list of source dicts; problems are reported through ``add``."""
    if not isinstance(sources, list | tuple):
        add("sources", sources, "is not a list of sources")
        return
    for number, source in enumerate(sources, start=1):
        if not isinstance(source, dict) or set(source) - set(SOURCE_KEYS) - {"note"}:
            add("sources", source, f"entry {number} is not a publisher/title/date/url record")
            continue
        url = str(source.get("url", ""))
        if url and not url.startswith(("http://", "https://")):
            add("sources", url, f"entry {number} URL does not start with http:// or https://")


def split_groups(groups: str) -> list[str]:
    """Split a ``groups`` cell into canonical group names.

    Parameters
    ----------
    groups : str
        Names joined by ``"; "``.

    Returns
    -------
    list of str
        The names, stripped, without empties.
    """
    return [name.strip() for name in str(groups).split(";") if name.strip()]
