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
import shapely

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
    out = frame.copy(deep=False)  # columns are replaced, never changed in place
    for column in TEXT_COLUMNS:
        if column not in out:
            out[column] = ""
        values = out[column]
        if values.dtype == "str" and not values.hasnans:
            continue  # the schema's text already
        if isinstance(values.dtype, pd.StringDtype) or pd.api.types.infer_dtype(
            values, skipna=True
        ) in ("string", "empty"):
            out[column] = values.fillna("").astype("str")  # text already: no value by value
            continue
        out[column] = values.astype(object).where(values.notna(), "")
        out[column] = out[column].map(str)
    for column in COUNT_COLUMNS:
        if column not in out:
            out[column] = pd.NA
        out[column] = _whole_numbers(out[column])
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


def _whole_numbers(values: pd.Series) -> pd.Series:
    """Return counts as ``Int64``: numbers rounded, anything else missing."""
    if values.dtype == "Int64":
        return values
    if values.dtype == np.float64:
        numbers = values.to_numpy()
        missing = np.isnan(numbers)
        # Finite and exact as floats, as an importer's counts are: 50 -> 6 ms a million.
        if (np.abs(numbers[~missing]) < 2**53).all():
            whole = np.where(missing, 0, np.round(numbers)).astype(np.int64)
            return pd.Series(pd.arrays.IntegerArray(whole, missing), index=values.index)
    return pd.to_numeric(values, errors="coerce").round().astype("Int64")


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

    found = _column_problems(incidents) + _source_problems(incidents["sources"])
    found.sort(key=lambda item: (item[0], item[1]))
    problems += [
        Problem(position + row_offset, column, value, expected)
        for position, _, column, value, expected in found
    ]

    duplicated = incidents["incident_id"].duplicated(keep="first").to_numpy()
    for position in np.flatnonzero(duplicated):
        value = incidents["incident_id"].iloc[position]
        problems.append(Problem(position + row_offset, "incident_id", value, "is not unique"))

    if problems:
        raise IncidentValidationError(problems, origin)
    return incidents


# A problem found column by column: (position, order within the row, column, value, expected).
# The order within a row is the order the checks are listed in, so the report reads row by row
# exactly as a row-by-row validator would write it.
Found = tuple[int, float, str, object, str]


def _flagged(values: pd.Series, is_bad: Callable[[object], bool]) -> np.ndarray:
    """Positions of the values ``is_bad`` holds for, asking it once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    bad = [code for code, value in enumerate(uniques) if is_bad(value)]
    return np.flatnonzero(np.isin(codes, bad)) if bad else np.array([], dtype=np.int64)


def _blank(values: pd.Series) -> np.ndarray:
    """Positions of the values that are empty or whitespace only (``not str(v).strip()``).

    Only a value that is empty or opens with whitespace can be blank, so the exact test runs on
    those: asked of every distinct value, it made a million calls for a column of ids.
    """
    if values.dtype != "str":
        return _flagged(values, lambda v: not str(v).strip())
    opening = values.str.slice(0, 1)
    maybe = _flagged(opening, lambda v: isinstance(v, str) and not v.strip())
    if not maybe.size:
        return maybe
    return maybe[_flagged(values.iloc[maybe], lambda v: not str(v).strip())]


def _column_problems(incidents: gpd.GeoDataFrame) -> list[Found]:
    """Every problem of the scalar columns, found with one pass per check over each column."""
    found: list[Found] = []
    step = 0

    def add(positions: np.ndarray, column: str, values: object, expected: object) -> None:
        nonlocal step
        step += 1
        for number, position in enumerate(positions):
            value = values[number] if isinstance(values, list) else values
            text = expected[number] if isinstance(expected, list) else expected
            found.append((int(position), step, column, value, text))

    def column_values(column: str, positions: np.ndarray) -> list:
        return list(incidents[column].iloc[positions])

    for column in REQUIRED_TEXT:
        where = _blank(incidents[column])
        add(where, column, column_values(column, where), "is empty but required")

    def check_text(column: str, is_bad: Callable[[object], bool], expected: str) -> None:
        where = _flagged(incidents[column], is_bad)
        add(where, column, column_values(column, where), expected)

    check_text(
        "date_precision",
        lambda v: bool(v) and v not in DATE_PRECISIONS,
        f"is not one of {', '.join(DATE_PRECISIONS)}",
    )
    check_text(
        "geo_precision",
        lambda v: bool(v) and v not in ALL_GEO_PRECISIONS,
        f"is not one of {', '.join(ALL_GEO_PRECISIONS)}",
    )
    check_text(
        "flags",
        lambda v: bool(v) and not FLAG_CELL.fullmatch(v),
        'is not flag codes (lower-case words and "-") joined by "; "',
    )
    where = np.flatnonzero((incidents["deaths_reported"] < 0).fillna(False).to_numpy(dtype=bool))
    add(where, "deaths_reported", column_values("deaths_reported", where), "is negative")
    check_text(
        "event_type",
        lambda v: bool(v) and v not in EVENT_TYPES,
        f"is not one of {', '.join(EVENT_TYPES)}",
    )
    start, end = incidents["start"], incidents["end"]
    for column, values in (("start", start), ("end", end)):
        where = np.flatnonzero(values.isna().to_numpy())
        add(where, column, column_values(column, where), "is not a date")
    before = np.flatnonzero((end < start).fillna(False).to_numpy(dtype=bool))
    add(
        before,
        "end",
        [str(v) for v in end.iloc[before]],
        [f"is before start {str(v)!r}" for v in start.iloc[before]],
    )
    _geometry_problems(incidents.geometry, add)
    for kind in ("fatalities", "injured"):
        low, best, high = (incidents[f"{kind}_{part}"] for part in ("low", "best", "high"))
        for part, values in (("low", low), ("best", best), ("high", high)):
            where = np.flatnonzero((values < 0).fillna(False).to_numpy(dtype=bool))
            add(where, f"{kind}_{part}", column_values(f"{kind}_{part}", where), "is negative")
        where = np.flatnonzero((low > high).fillna(False).to_numpy(dtype=bool))
        add(
            where,
            f"{kind}_low",
            list(low.iloc[where]),
            [f"is greater than {kind}_high {v}" for v in high.iloc[where]],
        )
        outside = (best < low).fillna(False) | (best > high).fillna(False)
        where = np.flatnonzero(outside.to_numpy(dtype=bool))
        add(where, f"{kind}_best", list(best.iloc[where]), f"is outside {kind}_low..{kind}_high")
    return found


def _geometry_problems(geometry: gpd.GeoSeries, add: Callable[..., None]) -> None:
    """Report missing, non-point and out-of-range point geometries through ``add``."""
    values = geometry.array
    missing = shapely.is_missing(values) | shapely.is_empty(values)
    types = shapely.get_type_id(values)
    not_point = ~missing & (types != 0)
    x, y = shapely.get_x(values), shapely.get_y(values)
    with np.errstate(invalid="ignore"):
        outside = ~missing & ~not_point & ((np.abs(x) > 180) | (np.abs(y) > 90))
    where = np.flatnonzero(missing)
    # One check ("geometry") with three outcomes: they share the same place in the row order.
    found_missing = [(p, "is missing: every incident needs a point", None) for p in where]
    found_type = [(p, "is not a Point", values[p].geom_type) for p in np.flatnonzero(not_point)]
    found_range = [
        (p, "is outside latitude/longitude range", f"({float(y[p])}, {float(x[p])})")
        for p in np.flatnonzero(outside)
    ]
    rows = sorted(found_missing + found_type + found_range)
    add(
        np.array([p for p, _, _ in rows], dtype=np.int64),
        "geometry",
        [v for _, _, v in rows],
        [e for _, e, _ in rows],
    )


def _source_problems(sources: pd.Series) -> list[Found]:
    """Problems of the ``sources`` cells, checking each distinct cell once (by identity)."""
    found: list[Found] = []
    cells = sources.tolist()
    checked: dict[object, list[tuple[str, object, str]]] = {}
    by_cell: dict[int, list[tuple[str, object, str]]] = {}  # rows often share one list
    for position, cell in enumerate(cells):
        problems = by_cell.get(id(cell))
        if problems is None:
            key = tuple(map(id, cell)) if isinstance(cell, list | tuple) else ("cell", id(cell))
            problems = checked.get(key)
            if problems is None:
                problems = []
                _check_sources(cell, lambda c, v, e, out=problems: out.append((c, v, e)))
                checked[key] = problems
            by_cell[id(cell)] = problems
        if problems:  # after every scalar check of the row (they are numbered from 1 up)
            found += [(position, 1000 + n, c, v, e) for n, (c, v, e) in enumerate(problems)]
    return found


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
