"""UCDP Georeferenced Event Dataset (GED) rows, including copies with an HXL hashtag row.

Dates come as ``date_start``/``date_end`` with ``date_prec`` (1 exact day ... 5 year),
locations as ``latitude``/``longitude`` (or ``geom_wkt``) with ``where_prec`` (1 exact ... 7
international waters), deaths as ``best``/``low``/``high`` for all sides together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.groups import GroupRegistry
from geo.importers import _rows as rows
from geo.importers.generic import coordinate_text
from geo.schema import COUNTRY_PRECISION

FORMAT = "ucdp"
PREFIX = "UCDP"
REQUIRED = ("date_start",)
DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
WHERE_PRECISION = {
    "1": "exact",
    "2": "district",
    "3": "district",
    "4": "province",
    "5": "province",
    "6": COUNTRY_PRECISION,
    "7": COUNTRY_PRECISION,
}
ASSUMED_PRECISION = "district"
WHERE_NOTES = {
    "6": "UCDP where_prec 6: only the country is known; the point is the country's, not a place",
    "7": "UCDP where_prec 7: international waters or airspace; no location on land",
}
EVENT_TYPES = {"1": "Battles", "2": "Battles", "3": "Violence against civilians"}
# Which side's deaths are the attackers': side_b (the armed group) in state-based conflict,
# side_a (the perpetrator) in one-sided violence; unknown in non-state conflict.
ATTACKER_DEATHS = {"1": "deaths_b", "3": "deaths_a"}
ASSUMED_NOTE = (
    "no where_prec column: location precision not stated by the source, assumed "
    f"{ASSUMED_PRECISION!r} on every row (flag precision-assumed)"
)
NOTE = (
    "UCDP best/low/high count deaths on all sides: attackers' deaths (deaths_b in state-based, "
    "deaths_a in one-sided violence) are taken off best and low where given; high stays as "
    "an upper bound"
)


def matches(columns: set[str]) -> bool:
    """Tell whether a header looks like a UCDP GED file.

    Parameters
    ----------
    columns : set of str
        Lower-case column names.

    Returns
    -------
    bool
    """
    return "date_start" in columns and bool(
        columns & {"where_prec", "type_of_violence", "dyad_name", "side_a", "best"}
    )


def candidates(
    frame: pd.DataFrame, raw: pd.Series, registry: GroupRegistry
) -> tuple[pd.DataFrame, list[str]]:
    """Map UCDP GED rows onto the incident schema.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows as strings, lower-case column names.
    raw : pandas.Series
        Each row as written.
    registry : GroupRegistry

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        Candidate rows and notes on the file.
    """
    country = rows.text(frame, "country")
    lat_text, lon_text, wkt_reason = coordinate_text(
        rows.text(frame, "latitude"), rows.text(frame, "longitude"), rows.text(frame, "geom_wkt")
    )
    lat, lon, where = rows.check_coordinates(lat_text, lon_text, country)
    where = rows.first_reason(wkt_reason, where)
    dates, when = _dates(frame)
    geo, geo_reason = _geo(frame)
    figures, figure_reason = _figures(frame)
    violence = rows.text(frame, "type_of_violence")
    out = pd.DataFrame(
        {
            "incident_id": rows.prefixed_ids(PREFIX, rows.text(frame, "id")),
            "place": _place(frame),
            "district": rows.text(frame, "adm_2"),
            "province": rows.text(frame, "adm_1"),
            "country": country,
            "event_type": violence.map(EVENT_TYPES).fillna("Battles"),
            "summary": rows.text(frame, "where_description"),
            "sources": _sources(frame),
            "lat": lat,
            "lon": lon,
        },
        index=frame.index,
    )
    out = out.join([dates, geo, figures, _sides(frame, registry)])
    out["flags"] = rows.join_notes(out["flags"], out.pop("figure_flags"))
    out["reason"] = rows.first_reason(where, when, geo_reason, figure_reason)
    notes = [NOTE]
    if "where_prec" not in frame:
        notes.append(ASSUMED_NOTE)
    return out, notes


def _dates(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    first_text, last_text = rows.text(frame, "date_start"), rows.text(frame, "date_end")
    first = rows.parse_dates(first_text, ("ISO8601", "%d/%m/%Y"))
    last = rows.parse_dates(last_text, ("ISO8601", "%d/%m/%Y")).fillna(first)
    code = rows.text(frame, "date_prec")
    precision = code.map(DATE_PRECISION).fillna(pd.Series(_span_precision(first, last)))
    unparseable_end = (last_text != "") & rows.parse_dates(
        last_text, ("ISO8601", "%d/%m/%Y")
    ).isna()
    reason = rows.first_reason(
        rows.described(first.isna(), "unparseable date: date_start {!r}", first_text),
        rows.described(unparseable_end, "unparseable date: date_end {!r}", last_text),
    )
    dates = pd.DataFrame(
        {
            "start": first.dt.normalize(),
            "end": rows.end_of_day(last),
            "date_precision": precision,
            "time_note": np.where(code != "", "UCDP date_prec " + code, ""),
        },
        index=frame.index,
    )
    return dates, reason


def _span_precision(first: pd.Series, last: pd.Series) -> pd.Series:
    days = (last - first).dt.days
    return pd.Series(
        np.select([days < 1, days <= 7, days <= 31], ["day", "week", "month"], "year"),
        index=first.index,
    )


def _geo(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    code = rows.text(frame, "where_prec").str.replace(r"\.0$", "", regex=True)
    assumed = code == ""
    precision = code.map(WHERE_PRECISION).where(~assumed, ASSUMED_PRECISION)
    reason = rows.described(precision.isna(), "where_prec {!r} is not 1-7", code)
    note = code.map(WHERE_NOTES).fillna("UCDP where_prec " + code)
    note = note.where(
        ~assumed, f"precision not stated by the source (no where_prec); assumed {ASSUMED_PRECISION}"
    )
    flags = pd.Series(np.where(assumed, "precision-assumed", ""), index=frame.index)
    geo = pd.DataFrame(
        {"geo_precision": precision.fillna(""), "geo_note": note, "flags": flags},
        index=frame.index,
    )
    return geo, reason


def _place(frame: pd.DataFrame) -> pd.Series:
    columns = ("where_coordinates", "adm_2", "adm_1", "country")
    return rows.fallback(*[rows.text(frame, column) for column in columns])


def _sides(frame: pd.DataFrame, registry: GroupRegistry) -> pd.DataFrame:
    side_a, side_b = rows.text(frame, "side_a"), rows.text(frame, "side_b")
    groups, sides, log = rows.map_actors([side_a, side_b], registry)
    detail = rows.text(frame, "dyad_name")
    detail = detail.where(detail != "", rows.join_notes(side_a, side_b))
    return pd.DataFrame(
        {"groups": groups, "group_detail": detail, "target": sides, "actor_map": log},
        index=frame.index,
    )


def _figures(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    parsed, reasons = {}, []
    for column in ("best", "low", "high", "deaths_a", "deaths_b"):
        parsed[column], reason = rows.counts(frame, column)
        reasons.append(reason)
    best, low, high = parsed["best"], parsed["low"], parsed["high"]
    inconsistent = (low > best) | (best > high) | (low > high)
    # Kept as the source gives them (in the note); the columns hold the range they span.
    given = pd.concat([low, best, high], axis=1)
    low = low.where(~inconsistent, given.min(axis=1))
    high = high.where(~inconsistent, given.max(axis=1))
    violence = rows.text(frame, "type_of_violence")
    attackers = pd.Series(np.nan, index=frame.index)
    for code, column in ATTACKER_DEATHS.items():
        attackers = attackers.where(violence != code, parsed[column])
    net_best = (best - attackers).clip(lower=0)
    net_low = (low - attackers).clip(lower=0).clip(upper=net_best)
    included = (
        "UCDP best "
        + rows.shown(best, "{:.0f}")
        + " includes "
        + rows.shown(attackers, "{:.0f}")
        + " attackers' deaths"
    )
    note = np.select(
        [attackers > 0, attackers.isna() & (best > 0)],
        [included, "UCDP deaths include all sides; best/low left unknown"],
        "",
    )
    disagree = (
        "UCDP figures disagree as given: low "
        + _shown_or_blank(parsed["low"])
        + ", best "
        + _shown_or_blank(parsed["best"])
        + ", high "
        + _shown_or_blank(parsed["high"])
        + "; kept as the range they span"
    )
    note = rows.join_notes(
        pd.Series(note, index=frame.index),
        pd.Series(np.where(inconsistent, disagree, ""), index=frame.index),
    )
    figures = pd.DataFrame(
        {
            "fatalities_low": net_low.where(attackers.notna() | (low == 0)),
            "fatalities_best": net_best.where(attackers.notna() | (best == 0)),
            "fatalities_high": high.fillna(best),
            "deaths_reported": best,
            "figures_note": note,
            "figure_flags": np.where(inconsistent, "figures-inconsistent", ""),
        },
        index=frame.index,
    )
    return figures, rows.first_reason(*reasons)


def _shown_or_blank(values: pd.Series) -> pd.Series:
    return rows.shown(values, "{:.0f}").where(values.notna(), "blank")


def _sources(frame: pd.DataFrame) -> pd.Series:
    offices = rows.text(frame, "source_office").map(_split)
    dates = rows.text(frame, "source_date").map(_split)
    headlines = rows.text(frame, "source_headline").map(_split)
    articles = rows.text(frame, "source_article")
    records = []
    for office, date, headline, article in zip(offices, dates, headlines, articles, strict=True):
        count = max(len(office), len(headline))
        row = [
            rows.source_record(
                publisher=_at(office, i), title=_at(headline, i), date=_at(date, i)[:10]
            )
            for i in range(count)
        ]
        if not row and article:
            row = [
                rows.source_record(title=part, url=rows.first_url(part)) for part in _split(article)
            ]
        records.append(row)
    return pd.Series(records, index=frame.index, dtype=object)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _at(items: list[str], position: int) -> str:
    return items[position] if position < len(items) else ""
