"""ACLED exports: today's 31-column layout, older layouts and cut-down extracts.

Older layouts have ``data_id``, ``event_id_no_cnty``, ``iso3`` and numeric ``inter1``/``inter2``
codes (1 state forces ... 8 external/other forces); dates are written ``2024-11-09`` or
``9 November 2024``. Only ``event_date``, ``latitude`` and ``longitude`` are required.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.groups import GroupRegistry
from geo.importers import _rows as rows
from geo.importers.generic import DEFAULT_EVENT_TYPE
from geo.schema import COUNTRY_PRECISION

FORMAT = "acled"
PREFIX = "ACLED"
REQUIRED = ("event_date", "latitude", "longitude")
ID_COLUMNS = ("event_id_cnty", "event_id_no_cnty", "data_id")
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%B-%Y", "%d-%b-%Y", "%d/%m/%Y")
TIME_PRECISION = {"1": "day", "2": "week", "3": "month", "": "day"}
GEO_PRECISION = {"1": "near", "2": "district", "3": "province"}
ASSUMED_PRECISION = "district"
ASSUMED_NOTE = (
    "no geo_precision column: location precision not stated by the source, assumed "
    f"{ASSUMED_PRECISION!r} on every row (flag precision-assumed)"
)
# inter codes of non-state armed actors: rebel groups, political and identity militias.
ARMED_INTER = {"2", "3", "4", "rebel group", "political militia", "identity militia"}
OLD_EVENT_TYPES = {
    "remote violence": "Explosions/Remote violence",
    "battle-no change of territory": "Battles",
    "battle-government regains territory": "Battles",
    "battle-non-state actor overtakes territory": "Battles",
    "violence against civilians": "Violence against civilians",
    "riots/protests": "Protests",
    "strategic development": "Strategic developments",
    "non-violent transfer of territory": "Strategic developments",
    "headquarters or base established": "Strategic developments",
}
NOTE = (
    "ACLED fatalities count everyone reported killed, attackers included: each figure is kept "
    "as fatalities_high (an upper bound); low and best stay unknown unless it is 0"
)


def matches(columns: set[str]) -> bool:
    """Tell whether a header looks like an ACLED export.

    Parameters
    ----------
    columns : set of str
        Lower-case column names.

    Returns
    -------
    bool
    """
    return "event_date" in columns and bool(columns & {*ID_COLUMNS, "actor1", "inter1"})


def candidates(
    frame: pd.DataFrame, raw: pd.Series, registry: GroupRegistry
) -> tuple[pd.DataFrame, list[str]]:
    """Map ACLED rows onto the incident schema.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows as strings, lower-case column names.
    raw : pandas.Series
        Each row as written (for ids of rows without one).
    registry : GroupRegistry

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        Candidate rows (schema columns, ``lat``, ``lon``, ``reason``) and notes on the file.
    """
    country = rows.text(frame, "country")
    lat, lon, where = rows.check_coordinates(frame["latitude"], frame["longitude"], country)
    start, end, precision, when = _dates(frame)
    geo, geo_reason = _geo_precision(frame)
    fatalities, fatality_reason = rows.counts(frame, "fatalities")
    out = pd.DataFrame(
        {
            "incident_id": rows.prefixed_ids(PREFIX, _ids(frame)),
            "start": start,
            "end": end,
            "date_precision": precision,
            "time_note": np.where(precision == "day", "", "ACLED time_precision: " + precision),
            "place": _place(frame),
            "district": rows.text(frame, "admin2"),
            "province": rows.text(frame, "admin1"),
            "country": country,
            "event_type": _event_types(rows.text(frame, "event_type")),
            "sub_event_type": rows.text(frame, "sub_event_type"),
            "summary": rows.text(frame, "notes"),
            "sources": rows.map_distinct(rows.text(frame, "source"), _sources),
            "lat": lat,
            "lon": lon,
        },
        index=frame.index,
    )
    out = out.join([geo, _actors(frame, registry), _fatalities(fatalities)])
    out["reason"] = rows.first_reason(where, when, geo_reason, fatality_reason)
    notes = [NOTE]
    if "geo_precision" not in frame:
        notes.append(ASSUMED_NOTE)
    if "event_type" not in frame:
        out["event_type"] = DEFAULT_EVENT_TYPE
        notes.append(f"no event_type column: every row set to {DEFAULT_EVENT_TYPE!r}")
    return out, notes


def _ids(frame: pd.DataFrame) -> pd.Series:
    ids = rows.text(frame, "event_id_cnty")
    numbered = rows.text(frame, "iso3") + rows.text(frame, "event_id_no_cnty")
    ids = ids.where(ids != "", numbered.where(rows.text(frame, "event_id_no_cnty") != "", ""))
    return ids.where(ids != "", rows.text(frame, "data_id"))


def _dates(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    written = rows.text(frame, "event_date")
    stamps = rows.parse_dates(written, DATE_FORMATS)
    code = rows.text(frame, "time_precision")
    precision = code.map(TIME_PRECISION)
    start, end = rows.bounds(stamps, precision.fillna("day"))
    reason = rows.first_reason(
        rows.described(stamps.isna(), "unparseable date: event_date {!r}", written),
        rows.described(precision.isna(), "time_precision {!r} is not 1, 2 or 3", code),
    )
    return start, end, precision.fillna("day"), reason


def _geo_precision(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    code = rows.text(frame, "geo_precision").str.replace(r"\.0$", "", regex=True)
    assumed = code == ""
    precision = code.map(GEO_PRECISION).where(~assumed, ASSUMED_PRECISION)
    reason = rows.described(precision.isna(), "geo_precision {!r} is not 1-3", code)
    country_only = _at_country_level(frame, code)
    precision = precision.where(~country_only, COUNTRY_PRECISION)
    note = np.full(len(frame), "", dtype=object)
    note[country_only] = COUNTRY_LEVEL_NOTE
    note[assumed.to_numpy()] = (
        f"precision not stated by the source (no geo_precision); assumed {ASSUMED_PRECISION}"
    )
    geo = pd.DataFrame(
        {
            "geo_precision": precision.fillna(""),
            "geo_note": note,
            "flags": np.where(assumed, "precision-assumed", ""),
        },
        index=frame.index,
    )
    return geo, reason


COUNTRY_LEVEL_NOTE = (
    "ACLED geo_precision 3 at the country level: the point is the country's, not a place"
)


def _at_country_level(frame: pd.DataFrame, code: pd.Series) -> np.ndarray:
    """Rows of code 3 at the country itself (location "Pakistan", or no admin1): no place.

    Only the code-3 rows' names are compared (casefolding every row's took 0.8 s at a million).
    """
    level = (code == "3").to_numpy(copy=True)
    if level.any():
        location, country = rows.text(frame, "location")[level], rows.text(frame, "country")[level]
        at_country = (location.str.casefold() == country.str.casefold()) & (country != "")
        level[level] = (at_country | (rows.text(frame, "admin1")[level] == "")).to_numpy()
    return level


def _place(frame: pd.DataFrame) -> pd.Series:
    columns = ("location", "admin3", "admin2", "admin1", "country")
    return rows.fallback(*[rows.text(frame, column) for column in columns])


def _event_types(written: pd.Series) -> pd.Series:
    return rows.map_distinct(written, lambda value: OLD_EVENT_TYPES.get(value.casefold(), value))


def _sources(cell: str) -> list[dict[str, str]]:
    """ACLED names publishers only (no titles or URLs): one record per publisher."""
    return [rows.source_record(publisher=part.strip()) for part in cell.split(";") if part.strip()]


def _actors(frame: pd.DataFrame, registry: GroupRegistry) -> pd.DataFrame:
    columns = [rows.text(frame, column) for column in _ACTOR_COLUMNS]
    inters = None
    if {"inter1", "inter2"} & set(frame.columns):
        first, second = rows.text(frame, "inter1"), rows.text(frame, "inter2")
        blank = pd.Series("", index=frame.index)
        inters = [first, blank, second, blank]
    groups, sides, log = rows.map_actors(columns, registry, inters)
    return pd.DataFrame(
        {
            "groups": groups,
            "group_detail": rows.join_notes(*columns),
            "target": sides,
            "actor_map": log,
        },
        index=frame.index,
    )


_ACTOR_COLUMNS = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")


def _fatalities(fatalities: pd.Series) -> pd.DataFrame:
    zero = fatalities == 0
    known = fatalities.notna()
    note = np.where(
        known & ~zero,
        "ACLED fatalities " + rows.shown(fatalities, "{:.0f}") + " include attackers",
        "",
    )
    return pd.DataFrame(
        {
            "fatalities_low": fatalities.where(zero),
            "fatalities_best": fatalities.where(zero),
            "fatalities_high": fatalities,
            "deaths_reported": fatalities,
            "figures_note": note,
        },
        index=fatalities.index,
    )
