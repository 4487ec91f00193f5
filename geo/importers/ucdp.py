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
    "": "district",
}
WHERE_REJECTED = {
    "6": "UCDP where_prec 6: only the country is known, the point is not a location",
    "7": "UCDP where_prec 7: international waters or airspace, no location on land",
}
EVENT_TYPES = {"1": "Battles", "2": "Battles", "3": "Violence against civilians"}
# Which side's deaths are the attackers': side_b (the armed group) in state-based conflict,
# side_a (the perpetrator) in one-sided violence; unknown in non-state conflict.
ATTACKER_DEATHS = {"1": "deaths_b", "3": "deaths_a"}
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
            "incident_id": rows.prefixed_ids(PREFIX, rows.text(frame, "id"), raw),
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
    out["reason"] = rows.first_reason(where, when, geo_reason, figure_reason)
    return out, [NOTE]


def _dates(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    first_text, last_text = rows.text(frame, "date_start"), rows.text(frame, "date_end")
    first = rows.parse_dates(first_text, ("ISO8601", "%d/%m/%Y"))
    last = rows.parse_dates(last_text, ("ISO8601", "%d/%m/%Y")).fillna(first)
    code = rows.text(frame, "date_prec")
    precision = code.map(DATE_PRECISION).fillna(pd.Series(_span_precision(first, last)))
    reason = np.where(
        first.isna(),
        "unparseable date: date_start " + first_text.map(repr),
        np.where(
            (last_text != "") & rows.parse_dates(last_text, ("ISO8601", "%d/%m/%Y")).isna(),
            "unparseable date: date_end " + last_text.map(repr),
            "",
        ),
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
    return dates, pd.Series(reason, index=frame.index)


def _span_precision(first: pd.Series, last: pd.Series) -> pd.Series:
    days = (last - first).dt.days
    return pd.Series(
        np.select([days < 1, days <= 7, days <= 31], ["day", "week", "month"], "year"),
        index=first.index,
    )


def _geo(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    code = rows.text(frame, "where_prec")
    precision = code.map(WHERE_PRECISION)
    rejected = code.map(WHERE_REJECTED)
    reason = rejected.fillna(
        pd.Series(
            np.where(precision.isna(), "where_prec " + code.map(repr) + " is not 1-7", ""),
            index=frame.index,
        )
    )
    note = np.where(code != "", "UCDP where_prec " + code, "")
    geo = pd.DataFrame({"geo_precision": precision.fillna(""), "geo_note": note}, index=frame.index)
    return geo, reason


def _place(frame: pd.DataFrame) -> pd.Series:
    columns = ("where_coordinates", "adm_2", "adm_1", "country")
    return rows.fallback(*[rows.text(frame, column) for column in columns])


def _sides(frame: pd.DataFrame, registry: GroupRegistry) -> pd.DataFrame:
    side_a, side_b = rows.text(frame, "side_a"), rows.text(frame, "side_b")
    armed = [
        [name for name in pair if name and not rows.is_state_or_civilian(name)]
        for pair in zip(side_a, side_b, strict=True)
    ]
    others = [
        "; ".join(name for name in pair if name and rows.is_state_or_civilian(name))
        for pair in zip(side_a, side_b, strict=True)
    ]
    detail = rows.text(frame, "dyad_name")
    detail = detail.where(detail != "", rows.join_notes(side_a, side_b))
    return pd.DataFrame(
        {
            "groups": [rows.normalise_actors(names, registry) for names in armed],
            "group_detail": detail,
            "target": others,
        },
        index=frame.index,
    )


def _figures(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    parsed, reasons = {}, []
    for column in ("best", "low", "high", "deaths_a", "deaths_b"):
        parsed[column], reason = rows.counts(frame, column)
        reasons.append(reason)
    violence = rows.text(frame, "type_of_violence")
    attackers = pd.Series(np.nan, index=frame.index)
    for code, column in ATTACKER_DEATHS.items():
        attackers = attackers.where(violence != code, parsed[column])
    best = (parsed["best"] - attackers).clip(lower=0)
    low = (parsed["low"] - attackers).clip(lower=0).clip(upper=best)
    included = (
        "UCDP best "
        + rows.shown(parsed["best"], "{:.0f}")
        + " includes "
        + rows.shown(attackers, "{:.0f}")
        + " attackers' deaths"
    )
    note = np.select(
        [attackers > 0, attackers.isna() & (parsed["best"] > 0)],
        [included, "UCDP deaths include all sides; best/low left unknown"],
        "",
    )
    figures = pd.DataFrame(
        {
            "fatalities_low": low.where(attackers.notna() | (parsed["low"] == 0)),
            "fatalities_best": best.where(attackers.notna() | (parsed["best"] == 0)),
            "fatalities_high": parsed["high"].fillna(parsed["best"]),
            "figures_note": note,
        },
        index=frame.index,
    )
    return figures, rows.first_reason(*reasons)


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
