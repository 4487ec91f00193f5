"""Global Terrorism Database (GTD) rows in the codebook's column names.

``imonth``/``iday`` 0 mean unknown (month or year precision), -9/-99 mean unknown in numeric
fields, and extracts may lack columns: only ``iyear``, ``latitude`` and ``longitude`` are
required. ``nkill`` counts perpetrators too, so fatalities are ``nkill - nkillter`` where both
are known; otherwise ``nkill`` is only an upper bound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.groups import GroupRegistry
from geo.importers import _rows as rows
from geo.schema import COUNTRY_PRECISION

FORMAT = "gtd"
PREFIX = "GTD"
REQUIRED = ("iyear", "latitude", "longitude")
UNKNOWN = (-9, -99)
SPECIFICITY = {
    "1": "near",
    "2": "district",
    "3": "district",
    "4": "province",
    "5": COUNTRY_PRECISION,
}
ASSUMED_PRECISION = "district"
ASSUMED_NOTE = (
    "no specificity column: location precision not stated by the source, assumed "
    f"{ASSUMED_PRECISION!r} on every row (flag precision-assumed)"
)
STATE_TARGETS = {"military", "police", "terrorists/non-state militia"}
ATTACK_EVENT_TYPES = {
    "bombing/explosion": "Explosions/Remote violence",
    "facility/infrastructure attack": "Strategic developments",
}
NOTE = (
    "GTD nkill includes perpetrators: fatalities = nkill - nkillter (and injured = nwound - "
    "nwoundte) where both are known; otherwise nkill is kept as fatalities_high only"
)


def matches(columns: set[str]) -> bool:
    """Tell whether a header looks like a GTD extract.

    Parameters
    ----------
    columns : set of str
        Lower-case column names.

    Returns
    -------
    bool
    """
    return {"eventid", "iyear"} <= columns or {"iyear", "imonth", "iday"} <= columns


def candidates(
    frame: pd.DataFrame, raw: pd.Series, registry: GroupRegistry
) -> tuple[pd.DataFrame, list[str]]:
    """Map GTD rows onto the incident schema.

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
    country = rows.text(frame, "country_txt")
    lat, lon, where = rows.check_coordinates(frame["latitude"], frame["longitude"], country)
    dates, when = _dates(frame)
    geo, geo_reason = _geo(frame)
    figures, figure_reason = _figures(frame)
    out = pd.DataFrame(
        {
            "incident_id": rows.prefixed_ids(PREFIX, rows.text(frame, "eventid")),
            "place": _place(frame),
            "province": _known(rows.text(frame, "provstate")),
            "country": country,
            "event_type": _event_types(frame),
            "attack_detail": _attack_detail(frame),
            "target": _target(frame),
            "hostages": _hostages(frame),
            "summary": rows.text(frame, "summary"),
            "sources": _sources(frame),
            "lat": lat,
            "lon": lon,
        },
        index=frame.index,
    )
    out = out.join([dates, geo, figures, _groups(frame, registry)])
    out["reason"] = rows.first_reason(where, when, geo_reason, figure_reason)
    notes = [NOTE]
    if "specificity" not in frame:
        notes.append(ASSUMED_NOTE)
    return out, notes


def _dates(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    year = rows.numbers(rows.text(frame, "iyear"), unknown=UNKNOWN)
    year = year.where(year.between(rows.EARLIEST.year, rows.LATEST.year))
    month = rows.numbers(rows.text(frame, "imonth"), unknown=UNKNOWN).fillna(0)
    day = rows.numbers(rows.text(frame, "iday"), unknown=UNKNOWN).fillna(0)
    precision = pd.Series(
        np.where(month == 0, "year", np.where(day == 0, "month", "day")), index=frame.index
    )
    parts = pd.DataFrame({"year": year, "month": month.clip(lower=1), "day": day.clip(lower=1)})
    stamps = pd.to_datetime(parts, errors="coerce")
    start, end = rows.bounds(stamps, precision)
    resolved = rows.parse_dates(rows.text(frame, "resolution"), ("ISO8601", "%m/%d/%Y"))
    extended = (rows.text(frame, "extended") == "1") & (resolved >= start)
    end = end.where(~extended, rows.end_of_day(resolved))
    note = rows.join_notes(
        rows.text(frame, "approxdate"),
        pd.Series(np.where(extended, "extended incident, resolved " + _iso(resolved), "")),
    )
    written = rows.text(frame, "iyear") + "-" + rows.shown(month, "{:.0f}") + "-"
    reason = np.where(stamps.isna(), "unparseable date: " + written + rows.shown(day, "{:.0f}"), "")
    dates = pd.DataFrame(
        {"start": start, "end": end, "date_precision": precision, "time_note": note.to_numpy()},
        index=frame.index,
    )
    return dates, pd.Series(reason, index=frame.index)


def _iso(stamps: pd.Series) -> pd.Series:
    return stamps.dt.strftime("%Y-%m-%d").fillna("")


def _geo(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    code = rows.text(frame, "specificity").str.replace(r"\.0$", "", regex=True)
    assumed = code == ""
    precision = code.map(SPECIFICITY).where(~assumed, ASSUMED_PRECISION)
    reason = rows.described(precision.isna(), "specificity {!r} is not 1-5", code)
    notes = pd.Series(
        np.select(
            [assumed, code == "5"],
            [
                f"precision not stated by the source (no specificity); assumed {ASSUMED_PRECISION}",
                "GTD specificity 5: only the country is known; the point is not a place",
            ],
            "",
        ),
        index=frame.index,
    )
    vicinity = rows.yes_no(rows.text(frame, "vicinity")) == True  # noqa: E712 (None stays False)
    near = np.where(vicinity, "in the vicinity of the named city, not in it", "")
    note = rows.join_notes(notes, pd.Series(near, index=frame.index), rows.text(frame, "location"))
    geo = pd.DataFrame(
        {
            "geo_precision": precision.fillna(""),
            "geo_note": note,
            "flags": np.where(assumed, "precision-assumed", ""),
        },
        index=frame.index,
    )
    return geo, reason


def _place(frame: pd.DataFrame) -> pd.Series:
    place = _known(rows.text(frame, "city"))
    return rows.fallback(
        place, _known(rows.text(frame, "provstate")), rows.text(frame, "country_txt")
    )


def _known(values: pd.Series) -> pd.Series:
    """GTD writes "Unknown" for a city or province it does not know: blank it."""
    return values.where(values.str.casefold() != "unknown", "")


def _event_types(frame: pd.DataFrame) -> pd.Series:
    attack = rows.text(frame, "attacktype1_txt").str.casefold()
    target = rows.text(frame, "targtype1_txt").str.casefold()
    by_target = np.where(target.isin(STATE_TARGETS), "Battles", "Violence against civilians")
    return attack.map(ATTACK_EVENT_TYPES).fillna(pd.Series(by_target, index=frame.index))


def _target(frame: pd.DataFrame) -> pd.Series:
    kind = rows.text(frame, "targtype1_txt")
    who = rows.text(frame, "target1")
    return (who + " (" + kind + ")").where((kind != "") & (who != ""), who + kind)


def _hostages(frame: pd.DataFrame) -> pd.Series:
    """``ishostkid`` (1 / 1.0 / True; -9 unknown) and ``nhostkid`` (-99 unknown) in words."""
    taken = rows.yes_no(rows.text(frame, "ishostkid"))
    number = rows.numbers(rows.text(frame, "nhostkid"), unknown=UNKNOWN)
    known = np.where(number.notna(), rows.shown(number, "{:.0f}") + " taken", "number unknown")
    coded_unknown = rows.numbers(rows.text(frame, "ishostkid")).isin(UNKNOWN)
    text = np.select(
        [taken == True, coded_unknown],  # noqa: E712 (None is neither)
        [known, "unknown whether hostages were taken"],
        "",
    )
    return pd.Series(text, index=frame.index)


def _attack_detail(frame: pd.DataFrame) -> pd.Series:
    """Attack and weapon types, suicide attacks and property damage as the GTD codes them."""
    suicide = rows.yes_no(rows.text(frame, "suicide")) == True  # noqa: E712
    damaged = rows.yes_no(rows.text(frame, "property")) == True  # noqa: E712
    extent = rows.text(frame, "propextent_txt")
    value = rows.numbers(rows.text(frame, "propvalue"), unknown=UNKNOWN)
    value_text = np.where(value > 0, " (US$ " + rows.shown(value, "{:,.0f}") + ")", "")
    comment = rows.text(frame, "propcomment")
    property_text = pd.Series(
        np.where(damaged, "property damage", ""), index=frame.index, dtype=object
    )
    property_text = property_text.where(
        ~damaged | (extent == ""), property_text + ": " + extent
    ) + pd.Series(np.where(damaged, value_text, ""), index=frame.index)
    property_text = property_text.where(~damaged | (comment == ""), property_text + " - " + comment)
    return rows.join_notes(
        rows.text(frame, "attacktype1_txt"),
        rows.text(frame, "weaptype1_txt"),
        pd.Series(np.where(suicide, "suicide attack", ""), index=frame.index),
        property_text,
    )


def _groups(frame: pd.DataFrame, registry: GroupRegistry) -> pd.DataFrame:
    names = [rows.text(frame, column) for column in ("gname", "gname2", "gname3")]
    subs = [rows.text(frame, column) for column in ("gsubname", "gsubname2", "gsubname3")]
    # A gsubname is part of its gname (a wing, faction or front): it counts as a group only
    # when the registry knows it, alone or with its gname ("Lashkar-e-Jhangvi" "Al-Alami").
    known_subs = [
        pd.Series(
            [_known_sub(name, sub, registry) for name, sub in zip(n, s, strict=True)],
            index=frame.index,
        )
        for n, s in zip(names, subs, strict=True)
    ]
    # A known sub-group names the attacker more exactly than its parent: it replaces it.
    names_kept = [n.where(k == "", "") for n, k in zip(names, known_subs, strict=True)]
    cells = [c for pair in zip(names_kept, known_subs, strict=True) for c in pair]
    groups, _, log = rows.map_actors(cells, registry)
    detail = rows.join_notes(*[c for pair in zip(names, subs, strict=True) for c in pair])
    claimed = (rows.yes_no(rows.text(frame, "claimed")) == True) & (names[0] != "")  # noqa: E712
    return pd.DataFrame(
        {
            "groups": groups,
            "group_detail": detail,
            "claimed_by": _claimed_by(frame, names[0]).where(claimed, ""),
            "actor_map": log,
        },
        index=frame.index,
    )


def _known_sub(name: str, sub: str, registry: GroupRegistry) -> str:
    if not sub:
        return ""
    for candidate in (f"{name} {sub}", f"{rows.PAREN.sub('', name).strip()} {sub}", sub):
        if registry.canonical(candidate):
            return candidate
    return ""


def _claimed_by(frame: pd.DataFrame, group: pd.Series) -> pd.Series:
    mode = rows.text(frame, "claimmode_txt")
    return (group + " (" + mode + ")").where(mode != "", group)


def _figures(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    reasons = []
    parts = {}
    notes = []
    for kind, total, attackers in (
        ("fatalities", "nkill", "nkillter"),
        ("injured", "nwound", "nwoundte"),
    ):
        count, reason = rows.counts(frame, total, unknown=UNKNOWN)
        perpetrators, perpetrator_reason = rows.counts(frame, attackers, unknown=UNKNOWN)
        reasons += [reason, perpetrator_reason]
        net = count - perpetrators
        exact = net.where(net >= 0)
        parts[f"{kind}_low"] = exact.where(count != 0, 0)
        parts[f"{kind}_best"] = parts[f"{kind}_low"]
        parts[f"{kind}_high"] = exact.where(perpetrators.notna(), count).where(
            net.isna() | (net >= 0)
        )
        notes.append(_figure_note(total, attackers, count, perpetrators))
    figures = pd.DataFrame(parts, index=frame.index)
    figures["deaths_reported"] = rows.counts(frame, "nkill", unknown=UNKNOWN)[0]
    figures["figures_note"] = rows.join_notes(*notes)
    return figures, rows.first_reason(*reasons)


def _figure_note(
    total: str, attackers: str, count: pd.Series, perpetrators: pd.Series
) -> pd.Series:
    shown = rows.shown(count, "{:.0f}")
    note = np.where(
        count.notna() & perpetrators.notna() & (perpetrators > 0),
        f"GTD {total} " + shown + f" includes {attackers} " + rows.shown(perpetrators, "{:.0f}"),
        np.where(
            count.notna() & perpetrators.isna() & (count > 0),
            f"GTD {total} " + shown + f" may include perpetrators ({attackers} unknown)",
            "",
        ),
    )
    negative = (count - perpetrators) < 0
    note = np.where(negative, f"GTD {total} is less than {attackers}: left unknown", note)
    return pd.Series(note, index=count.index)


def _sources(frame: pd.DataFrame) -> pd.Series:
    cells = [rows.text(frame, f"scite{number}") for number in (1, 2, 3)]
    return pd.Series(
        [
            [rows.source_record(title=cite, url=rows.first_url(cite)) for cite in cites if cite]
            for cites in zip(*cells, strict=True)
        ],
        index=frame.index,
        dtype=object,
    )
