"""Spatial analysis on incident GeoDataFrames: provinces, rail proximity, and summaries.

Distances are measured in UTM 42N (EPSG:32642); inputs and outputs stay in EPSG:4326.
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.compact import as_text, code_pair_counts, text_codes
from geo.flags import merge_flags
from geo.railway import locate_incidents
from geo.schema import COUNTRY_PRECISION, METRIC_CRS, split_groups

OUTSIDE = "outside every province"
# How far (km) a point may lie over the border of the province it states before that is a
# contradiction, by the row's precision: the 1:10m boundaries are generalised by a km or two,
# and a district- or province-level point is a centroid or a named town, not the site.
BORDER_TOLERANCE_KM = {"exact": 2.0, "near": 5.0, "district": 25.0, "province": 50.0}


def assign_provinces(
    incidents: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame, *, tolerance_km: float = 5.0
) -> pd.DataFrame:
    """Find the province each incident's point falls in, and flag contradictions.

    Points within ``tolerance_km`` of a province but inside none (the 1:10m boundaries are
    generalised, so coastal and border points can fall just outside) take the nearest one, and
    the method says so.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents with a ``province`` column (the province the source states).
    provinces : geopandas.GeoDataFrame
        Polygons with a ``name`` column.
    tolerance_km : float
        How far outside every polygon a point may be and still take the nearest province.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``incidents``: ``point_province`` (name or ``""``), ``province_method``
        (``"within"``, ``"nearest within N km"`` or ``"outside every province"``) and
        ``province_mismatch`` (True where a stated province differs from the point's).
    """
    x, y = metric_xy(incidents.geometry)
    polygons = provinces[["name", "geometry"]].to_crs(METRIC_CRS)
    result = pd.DataFrame(index=incidents.index)
    names = _containing_polygon(x, y, polygons)
    outside = names == ""
    result["point_province"] = names
    result["province_method"] = np.where(outside, OUTSIDE, "within")
    if outside.any():
        nearest = gpd.sjoin_nearest(
            _metric_points(x, y, outside, incidents.index),
            polygons,
            how="left",
            max_distance=tolerance_km * 1000,
        )
        nearest = nearest[~nearest.index.duplicated(keep="first")]
        found = nearest["name"].notna()
        result.loc[nearest.index[found], "point_province"] = nearest.loc[found, "name"]
        result.loc[nearest.index[found], "province_method"] = f"nearest within {tolerance_km:g} km"
    stated = incidents["province"].astype(str)
    # The provinces layer covers Pakistan only: a province stated for another country is not
    # contradicted by the point lying outside Pakistan's provinces.
    in_pakistan = incidents.get("country", pd.Series("", index=incidents.index)).astype(str)
    in_pakistan = in_pakistan.isin(["", "Pakistan"])
    country_only = _country_only(incidents)
    result.loc[country_only, ["point_province", "province_method"]] = ["", "country only"]
    mismatch = in_pakistan & ~country_only & (stated != "") & (stated != result["point_province"])
    points = _metric_points(x, y, mismatch.to_numpy(), incidents.index)
    within = _within_border_tolerance(incidents[mismatch], points, provinces)
    result.loc[within.index, "province_method"] = [
        f"{km:.1f} km outside the stated province, within its precision's tolerance"
        for km in within.to_numpy()
    ]
    result["province_mismatch"] = mismatch & ~result.index.isin(within.index)
    return result


def metric_xy(points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Return the points' coordinates in :data:`METRIC_CRS` (metres).

    Projects the coordinate arrays, not a geometry per point: at a million incidents
    ``to_crs`` took 1.6 s, this 0.15 s (measured).

    Parameters
    ----------
    points : geopandas.GeoSeries
        Points in any CRS pyproj knows (the incidents' EPSG:4326).

    Returns
    -------
    tuple of numpy.ndarray
        Eastings and northings; NaN where a geometry is missing or empty.
    """
    transformer = _to_metric(points.crs.to_string())
    return transformer.transform(shapely.get_x(points.array), shapely.get_y(points.array))


@cache
def _to_metric(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs, METRIC_CRS, always_xy=True)


def _containing_polygon(x: np.ndarray, y: np.ndarray, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """Per point, the ``name`` of the first polygon that contains it (``""`` for none).

    Polygon by polygon over the points inside its bounding box, with prepared geometries: a
    spatial join built a tree of a million points for seven polygons (1.6 s; this 0.3 s).
    A point on a boundary is in neither polygon, as with a join on ``within``.
    """
    names = np.full(len(x), "", dtype=object)
    unplaced = np.ones(len(x), dtype=bool)
    for name, polygon in zip(polygons["name"], polygons.geometry, strict=True):
        if polygon is None or polygon.is_empty:
            continue
        xmin, ymin, xmax, ymax = polygon.bounds
        candidates = np.flatnonzero(
            unplaced & (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
        )
        shapely.prepare(polygon)
        inside = candidates[shapely.contains_xy(polygon, x[candidates], y[candidates])]
        names[inside] = name
        unplaced[inside] = False
    return names


def _metric_points(
    x: np.ndarray, y: np.ndarray, rows: np.ndarray, index: pd.Index
) -> gpd.GeoDataFrame:
    """Points (in :data:`METRIC_CRS`) for the selected rows only, indexed like the incidents."""
    return gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(x[rows], y[rows]), index=index[rows], crs=METRIC_CRS
    )


def _country_only(incidents: pd.DataFrame) -> pd.Series:
    if "geo_precision" not in incidents:
        return pd.Series(False, index=incidents.index)
    return as_text(incidents["geo_precision"]) == COUNTRY_PRECISION


def _within_border_tolerance(
    incidents: pd.DataFrame, points: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame
) -> pd.Series:
    """Distances (km) of the mismatched points that lie within their tolerance of the stated one."""
    if incidents.empty or "geo_precision" not in incidents:
        return pd.Series([], dtype="float64")
    polygons = provinces.set_index("name").geometry.to_crs(METRIC_CRS)
    stated = incidents["province"].astype(str)
    known = stated.isin(polygons.index)
    if not known.any():
        return pd.Series([], dtype="float64")
    targets = gpd.GeoSeries(polygons.loc[stated[known]].to_numpy(), crs=METRIC_CRS)
    distance = pd.Series(
        points.geometry[known].distance(targets.set_axis(points.index[known])).to_numpy() / 1000,
        index=points.index[known],
    )
    tolerance = incidents.loc[known, "geo_precision"].map(BORDER_TOLERANCE_KM).fillna(0.0)
    return distance[distance <= tolerance]


def enrich(
    incidents: gpd.GeoDataFrame,
    provinces: gpd.GeoDataFrame,
    rail_lines: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    rail_sites: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Add the computed columns analysts filter and read on.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema.
    provinces, rail_lines, stations : geopandas.GeoDataFrame
        Bundled layers.
    rail_sites : pandas.DataFrame, optional
        Railway sites stated by the sources (see :func:`geo.railway.locate_incidents`).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``point_province``, ``province_method``, ``province_mismatch``,
        ``nearest_line``, ``rail_distance_km``, ``rail_km_post``, ``rail_basis``,
        ``rail_uncertainty_km``, ``rail_site`` (see :func:`geo.railway.locate_incidents`);
        ``flags`` gains ``province-mismatch`` where the point contradicts the stated province
        (beyond the tolerance of the row's precision) and ``flag_detail`` says it in words.
        Rows located only to the country get no rail distance (they are not on the map).
    """
    out = incidents.copy()
    out = out.join(assign_provinces(incidents, provinces))
    out = out.join(locate_incidents(incidents, rail_lines, stations, rail_sites))
    country_only = _country_only(out)
    if country_only.any():
        out.loc[country_only, "rail_distance_km"] = np.nan
    mismatch = out["province_mismatch"].to_numpy(dtype=bool)
    detail = np.where(
        mismatch,
        "stated province "
        + out["province"].astype(str)
        + " but the point lies in "
        + out["point_province"].replace("", OUTSIDE).astype(str),
        "",
    )
    stored = out["flags"] if "flags" in out else pd.Series("", index=out.index)
    computed = pd.Series(np.where(mismatch, "province-mismatch", ""), index=out.index)
    out["flags"] = merge_flags(stored, computed)
    out["flag_detail"] = detail
    return out


FIGURE_COLUMNS = (
    "fatalities_low",
    "fatalities_high",
    "injured_low",
    "injured_high",
    "deaths_reported",
)


def explode_groups(incidents: pd.DataFrame, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return one row per (incident, group), with the group in a ``group`` column.

    Parameters
    ----------
    incidents : pandas.DataFrame
        With a ``groups`` column of names joined by ``"; "``.
    columns : tuple of str
        Columns to keep beside ``group`` (all when empty). Keeping only what is needed makes
        this fast for many incidents; each distinct ``groups`` cell is split once.

    Returns
    -------
    pandas.DataFrame
    """
    codes, cells = pd.factorize(as_text(incidents["groups"]), sort=False)
    split = np.empty(len(cells), dtype=object)
    split[:] = [split_groups(cell) for cell in cells]
    kept = pd.DataFrame(incidents[list(columns)] if columns else incidents)
    return kept.assign(group=split[codes] if len(codes) else []).explode("group")


def summarise(incidents: pd.DataFrame, by: str) -> pd.DataFrame:
    """Count incidents and add up fatality and injury ranges per group, province or month.

    An incident attributed to two groups counts once for each group, so group totals can add up
    to more than the overall total.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents in the schema.
    by : {"group", "province", "month"}
        What to summarise by.

    Returns
    -------
    pandas.DataFrame
        Columns ``incidents``, ``fatalities_low``, ``fatalities_high`` (people killed who were
        not attackers, where the source lets us know), ``injured_low``, ``injured_high``,
        ``deaths_reported`` (all deaths as the sources report them, attackers and both sides
        included; only imported datasets give it) and ``deaths_reported_from`` (how many
        incidents gave that figure), sorted by incidents (descending) or by month. Missing
        figures count as unknown, not zero: ``fatalities_unknown`` says how many incidents had
        none.
    """
    if by == "group":
        frame, key = explode_groups(incidents, FIGURE_COLUMNS), "group"
    elif by == "province":
        frame, key = incidents, "province"
    elif by == "month":
        frame = incidents.assign(month=incidents["start"].dt.to_period("M").astype(str))
        key = "month"
    else:
        msg = f"by {by!r} is not one of 'group', 'province', 'month'"
        raise ValueError(msg)
    grouped = frame.groupby(key, sort=False)
    table = pd.DataFrame(
        {
            "incidents": grouped.size(),
            "fatalities_low": grouped["fatalities_low"].sum(min_count=0),
            "fatalities_high": grouped["fatalities_high"].sum(min_count=0),
            "fatalities_unknown": grouped["fatalities_high"].apply(lambda s: int(s.isna().sum())),
            "injured_low": grouped["injured_low"].sum(min_count=0),
            "injured_high": grouped["injured_high"].sum(min_count=0),
            "deaths_reported": grouped["deaths_reported"].sum(min_count=0),
            "deaths_reported_from": grouped["deaths_reported"].count(),
        }
    )
    table = table.astype("int64")
    if by == "month":
        return table.sort_index()
    return table.sort_values(["incidents", "fatalities_high"], ascending=False)


def timeline(incidents: pd.DataFrame, *, freq: str = "M") -> pd.DataFrame:
    """Count incidents per period and group, ready for a stacked bar chart.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents in the schema.
    freq : {"W", "M"}
        Weeks (starting Monday) or calendar months, by incident start.

    Returns
    -------
    pandas.DataFrame
        Long format: ``period`` (timestamp of the period start), ``group``, ``incidents``.
    """
    if freq not in ("W", "M"):
        msg = f"freq {freq!r} is not 'W' or 'M'"
        raise ValueError(msg)
    # Counted per (period, groups cell) first, then the few distinct cells are split into
    # their groups: a million incidents are never exploded row by row. Periods are worked out
    # for the days from the first to the last only (numpy's calendar months cost 30 ms a
    # million), and the pairs counted by their codes instead of hashing the days and sorting
    # the pairs (611,000 incidents: 23 -> 12 ms).
    start = incidents["start"].to_numpy(dtype="datetime64[ns]")
    cell_codes, cells = text_codes(incidents["groups"])
    counted = ~np.isnat(start) & (cell_codes >= 0)
    if counted.all():  # as in a valid table: nothing to leave out, nothing copied
        counted = slice(None)
    day_codes, distinct_days = _day_codes(start[counted])
    if freq == "M":
        starts_of = distinct_days.astype("datetime64[M]").astype("datetime64[ns]")
    else:  # weeks starting on Monday (1970-01-01 was a Thursday)
        weekday = (distinct_days.astype("int64") + 3) % 7
        starts_of = (distinct_days - weekday.astype("timedelta64[D]")).astype("datetime64[ns]")
    start_codes, distinct_periods = pd.factorize(starts_of, sort=False)
    periods, cells_of, counts = code_pair_counts(
        start_codes[day_codes], cell_codes[counted], len(distinct_periods), len(cells)
    )
    groups_of_cell = [split_groups(str(cell)) for cell in cells]
    rows = [
        (distinct_periods[period], group, count)
        for period, cell, count in zip(
            periods.tolist(), cells_of.tolist(), counts.tolist(), strict=True
        )
        for group in groups_of_cell[cell]
    ]
    table = pd.DataFrame(rows, columns=["period", "group", "incidents"])
    table["period"] = table["period"].astype("datetime64[us]")
    return (
        table.groupby(["period", "group"], sort=True)["incidents"]
        .sum()
        .astype("int64")
        .reset_index()
    )


NS_PER_DAY = 86_400_000_000_000


def _day_codes(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each time's day as a code and the days the codes stand for (``datetime64[D]``).

    The codes count days from the first: no hashing of the days. Times spread over more days
    than there are times are factorised instead.
    """
    days = start.view(np.int64) // NS_PER_DAY  # as datetime64[D] (floored), four times faster
    if len(days) == 0:
        return days, np.array([], dtype="datetime64[D]")
    first = int(days.min())
    span = int(days.max()) - first + 1
    if span > len(days):
        codes, distinct = pd.factorize(days, sort=False)
        return codes, np.asarray(distinct).astype("datetime64[D]")
    return days - first, np.arange(first, first + span).astype("datetime64[D]")


def most_recent_positions(start: pd.Series, limit: int) -> np.ndarray:
    """Return the positions of at most ``limit`` rows, the latest ``start`` first.

    Ties keep the rows' order. Over ``limit`` rows, the limit-th key is found without sorting
    them all; only the chosen rows are sorted.
    """
    later_first = -start.to_numpy().astype("int64")
    if len(later_first) <= limit:
        return np.argsort(later_first, kind="stable")
    kth = np.partition(later_first, limit - 1)[limit - 1]
    before = np.flatnonzero(later_first < kth)
    at_kth = np.flatnonzero(later_first == kth)[: limit - len(before)]
    chosen = np.sort(np.concatenate([before, at_kth]))
    return chosen[np.argsort(later_first[chosen], kind="stable")]


def most_recent(incidents: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Return at most ``limit`` incidents, the most recent first (by start; ties as listed)."""
    return incidents.iloc[most_recent_positions(incidents["start"], limit)]
