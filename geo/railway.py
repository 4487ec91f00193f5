"""Rail lines drawn from station km posts, and linear referencing (km posts) along them.

Pakistan Railways' km posts are known for almost every station, coordinates only for some. A line
is drawn through the points with a sourced coordinate (the *anchors*) in km order; a station with
a km post but no coordinate is then placed on the drawn line by interpolating its km post between
the two anchors around it, and marked as placed that way.

All lengths are measured in UTM 42N (EPSG:32642).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from geo.schema import CRS, METRIC_CRS

PLACED_SOURCED = "sourced coordinate"
PLACED_BY_KM = "placed by km post along the drawn line"


@dataclass(frozen=True)
class ViaPoint:
    """A sourced point the track is known to pass through, inserted as a line vertex.

    Parameters
    ----------
    line : str
        Line name, as in the stations table.
    after_seq : float
        Insert after the station with this ``seq``.
    lon, lat : float
        WGS84 coordinates.
    name : str
        What the point is (kept in the line's properties).
    """

    line: str
    after_seq: float
    lon: float
    lat: float
    name: str


@dataclass(frozen=True)
class RailNetwork:
    """Drawn rail lines, placed stations and stations that could not be placed."""

    lines: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    unplaced: pd.DataFrame


def _to_metric(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=CRS).to_crs(METRIC_CRS)
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _interpolate_between(path: np.ndarray, fraction: float) -> np.ndarray:
    """Return the point at ``fraction`` of the length of a metric polyline ``path``."""
    line = LineString(path)
    point = line.interpolate(fraction, normalized=True)
    return np.array([point.x, point.y])


def build_rail_network(stations: pd.DataFrame, via_points: list[ViaPoint]) -> RailNetwork:
    """Draw each line through its anchors and place km-posted stations along it.

    Parameters
    ----------
    stations : pandas.DataFrame
        Columns ``line, seq, station, km, lat, lon`` (``km``, ``lat``, ``lon`` may be NaN), plus
        any others, which are carried through. Rows whose ``line`` is ``reference_point`` are
        ignored.
    via_points : list of ViaPoint
        Sourced points on the track that are not stations (e.g. an incident site on the line).

    Returns
    -------
    RailNetwork
        ``lines`` (one LineString per line), ``stations`` (Points, with a ``placement`` column)
        and ``unplaced`` (stations with neither coordinate nor a km post between two anchors).

    Raises
    ------
    ValueError
        If a line has fewer than two anchors.
    """
    line_rows, station_frames, unplaced_frames = [], [], []
    rail = stations[stations["line"] != "reference_point"]
    for line_name, rows in rail.groupby("line", sort=False):
        rows = rows.sort_values("seq").reset_index(drop=True)
        vias = [v for v in via_points if v.line == line_name]
        line_geometry, placed, unplaced = _draw_line(str(line_name), rows, vias)
        line_rows.append(
            {
                "line": line_name,
                "from_station": rows["station"].iloc[0],
                "to_station": rows["station"].iloc[-1],
                "km_start": rows["km"].min(),
                "km_end": rows["km"].max(),
                "anchors": int(placed["placement"].eq(PLACED_SOURCED).sum()),
                "via_points": "; ".join(v.name for v in vias),
                "geometry": line_geometry,
            }
        )
        station_frames.append(placed)
        unplaced_frames.append(unplaced)
    lines = gpd.GeoDataFrame(line_rows, geometry="geometry", crs=METRIC_CRS).to_crs(CRS)
    lines["drawn_length_km"] = (
        gpd.GeoSeries(lines.geometry, crs=CRS).to_crs(METRIC_CRS).length / 1000
    ).round(1)
    placed_all = pd.concat(station_frames, ignore_index=True)
    station_gdf = gpd.GeoDataFrame(placed_all, geometry="geometry", crs=METRIC_CRS).to_crs(CRS)
    return RailNetwork(lines, station_gdf, pd.concat(unplaced_frames, ignore_index=True))


def _draw_line(
    line_name: str, rows: pd.DataFrame, vias: list[ViaPoint]
) -> tuple[LineString, pd.DataFrame, pd.DataFrame]:
    """Draw one line (metric CRS) and place its stations on it."""
    has_point = rows["lat"].notna() & rows["lon"].notna()
    if has_point.sum() < 2:
        msg = f"line {line_name!r} has {int(has_point.sum())} station(s) with coordinates; need 2"
        raise ValueError(msg)
    anchors = rows[has_point]
    anchor_xy = _to_metric(anchors["lon"].to_numpy(), anchors["lat"].to_numpy())
    vertex_seq = list(anchors["seq"].astype(float))
    vertex_xy = list(anchor_xy)
    for via in vias:
        vertex_seq.append(via.after_seq + 0.5)
        vertex_xy.append(_to_metric(np.array([via.lon]), np.array([via.lat]))[0])
    order = np.argsort(vertex_seq, kind="stable")
    path = np.array(vertex_xy)[order]
    seqs = np.array(vertex_seq)[order]

    positions: dict[int, np.ndarray] = dict(zip(anchors.index, anchor_xy, strict=True))
    placement = {index: PLACED_SOURCED for index in anchors.index}
    known_km = anchors[anchors["km"].notna()]
    for index, row in rows[~has_point & rows["km"].notna()].iterrows():
        before = known_km[known_km["km"] <= row["km"]].tail(1)
        after = known_km[known_km["km"] >= row["km"]].head(1)
        if before.empty or after.empty or before.index[0] == after.index[0]:
            continue
        seq_a, seq_b = before["seq"].iloc[0], after["seq"].iloc[0]
        section = path[(seqs >= seq_a) & (seqs <= seq_b)]
        fraction = (row["km"] - before["km"].iloc[0]) / (after["km"].iloc[0] - before["km"].iloc[0])
        positions[index] = _interpolate_between(section, float(fraction))
        placement[index] = PLACED_BY_KM

    placed = rows.loc[sorted(positions)].copy()
    placed["placement"] = [placement[i] for i in placed.index]
    placed["geometry"] = [Point(positions[i]) for i in placed.index]
    unplaced = rows.drop(index=list(positions)).copy()
    return LineString(path), placed, unplaced


def anchor_sections(lines: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> pd.DataFrame:
    """Drawn length against the km-post difference between consecutive anchors of each line.

    Anchors are stations placed by a sourced coordinate that have a km post. Lengths are
    measured along the drawn line in EPSG:32642, so via points (e.g. the hijack site) count.

    Parameters
    ----------
    lines, stations : geopandas.GeoDataFrame
        Drawn lines and placed stations (with ``placement``).

    Returns
    -------
    pandas.DataFrame
        One row per pair of consecutive anchors: ``line``, ``from_station``, ``to_station``,
        ``km_from``, ``km_to``, ``drawn_km``, ``posts_km`` and ``ratio`` (drawn / posts).
    """
    rows = []
    metric_stations = stations.to_crs(METRIC_CRS)
    for line_name, geom in zip(lines["line"], lines.to_crs(METRIC_CRS).geometry, strict=True):
        anchors = metric_stations[
            (metric_stations["line"] == line_name)
            & (metric_stations["placement"] == PLACED_SOURCED)
            & metric_stations["km"].notna()
        ].sort_values("km")
        along = shapely.line_locate_point(geom, anchors.geometry.to_numpy()) / 1000
        names, posts = anchors["station"].to_list(), anchors["km"].to_numpy(dtype=float)
        for i in range(1, len(anchors)):
            drawn, km_diff = along[i] - along[i - 1], posts[i] - posts[i - 1]
            rows.append(
                {
                    "line": line_name,
                    "from_station": names[i - 1],
                    "to_station": names[i],
                    "km_from": posts[i - 1],
                    "km_to": posts[i],
                    "drawn_km": drawn,
                    "posts_km": km_diff,
                    "ratio": drawn / km_diff if km_diff else np.nan,
                }
            )
    return pd.DataFrame(rows)


def locate_on_lines(
    points: gpd.GeoSeries, lines: gpd.GeoDataFrame, stations: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Find the nearest rail line of each point, the distance to it and the km post there.

    The km post is interpolated from the km posts of the stations on that line, by distance
    along the drawn line, so it is on Pakistan Railways' scale rather than the drawn length.

    Parameters
    ----------
    points : geopandas.GeoSeries
        Points in any CRS (reprojected to EPSG:32642 for measuring).
    lines : geopandas.GeoDataFrame
        Rail lines with a ``line`` column.
    stations : geopandas.GeoDataFrame
        Stations with ``line`` and ``km`` columns, placed on those lines.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``, columns ``nearest_line``, ``rail_distance_km`` and
        ``rail_km_post`` (NaN for missing points).
    """
    result = pd.DataFrame(
        {"nearest_line": "", "rail_distance_km": np.nan, "rail_km_post": np.nan},
        index=points.index,
    )
    valid = points.notna() & ~points.is_empty
    if not valid.any() or lines.empty:
        return result
    metric_points = points[valid].to_crs(METRIC_CRS)
    metric_lines = lines.to_crs(METRIC_CRS)
    metric_stations = stations.to_crs(METRIC_CRS)
    geoms = metric_lines.geometry.to_numpy()
    distances = np.vstack(
        [shapely.distance(metric_points.to_numpy(), geom) for geom in geoms]
    )  # lines x points
    nearest = distances.argmin(axis=0)
    result.loc[valid, "nearest_line"] = metric_lines["line"].to_numpy()[nearest]
    result.loc[valid, "rail_distance_km"] = distances.min(axis=0) / 1000
    km_posts = np.full(len(metric_points), np.nan)
    for line_number, geom in enumerate(geoms):
        mask = nearest == line_number
        if not mask.any():
            continue
        km_posts[mask] = _km_post(
            geom,
            metric_points.to_numpy()[mask],
            metric_stations,
            metric_lines["line"].iloc[line_number],
        )
    result.loc[valid, "rail_km_post"] = km_posts
    return result


def _km_post(
    line: LineString, points: np.ndarray, stations: gpd.GeoDataFrame, line_name: str
) -> np.ndarray:
    """Interpolate km posts for points projected onto one metric line."""
    on_line = stations[(stations["line"] == line_name) & stations["km"].notna()]
    along_stations = shapely.line_locate_point(line, on_line.geometry.to_numpy())
    order = np.argsort(along_stations)
    along_points = shapely.line_locate_point(line, points)
    return np.interp(
        along_points, along_stations[order], on_line["km"].to_numpy(dtype=float)[order]
    )


# How far the incident's point may lie from the site, by its geo precision (the project's scale
# in data/README.md: ``exact`` is the site, ``near`` within about 5 km, ``district`` a town or
# area point that may be about 25 km off). Province- or country-level points say nothing about
# distance to a railway.
POINT_UNCERTAINTY_KM = {"exact": 0.5, "near": 5.0, "district": 25.0}
PRECISE_POINTS = ("exact", "near")

BASIS_SITE = "stated site"
BASIS_POINT = "point"
BASIS_IMPRECISE = "imprecise point"
BASIS_NONE = "no point"
RAIL_BASES = (BASIS_SITE, BASIS_POINT, BASIS_IMPRECISE, BASIS_NONE)

RAIL_SITE_COLUMNS = ("incident_id", "rail_line", "rail_km", "rail_km_uncertainty", "rail_site")


def point_at_km(
    line_name: str, km: float, lines: gpd.GeoDataFrame, stations: gpd.GeoDataFrame
) -> Point:
    """Return the point of the drawn line at a Pakistan Railways km post.

    The km post is placed by interpolating between the km posts of the line's stations along
    the drawn line (the inverse of the km post :func:`locate_on_lines` reports).

    Parameters
    ----------
    line_name : str
        A value of ``lines["line"]``.
    km : float
        Km post on that line's scale.
    lines, stations : geopandas.GeoDataFrame
        Drawn lines (``line``) and stations placed on them (``line``, ``km``).

    Returns
    -------
    shapely.geometry.Point
        In EPSG:4326.

    Raises
    ------
    ValueError
        If the line is unknown or ``km`` lies outside its stations' km posts.
    """
    metric_line, along, posts = _km_scale(line_name, lines, stations)
    if not posts.min() <= km <= posts.max():
        msg = (
            f"km post {km:g} is outside line {line_name!r}, whose stations run from km "
            f"{posts.min():g} to {posts.max():g}"
        )
        raise ValueError(msg)
    point = metric_line.interpolate(float(np.interp(km, posts, along)))
    return gpd.GeoSeries([point], crs=METRIC_CRS).to_crs(CRS).iloc[0]


def _km_scale(
    line_name: str, lines: gpd.GeoDataFrame, stations: gpd.GeoDataFrame
) -> tuple[LineString, np.ndarray, np.ndarray]:
    """Return a line (metric) with its stations' distances along it and km posts, km-sorted."""
    chosen = lines[lines["line"] == line_name]
    if chosen.empty:
        msg = f"rail line {line_name!r} is not drawn; known lines: {sorted(lines['line'])}"
        raise ValueError(msg)
    metric_line = chosen.to_crs(METRIC_CRS).geometry.iloc[0]
    on_line = stations[(stations["line"] == line_name) & stations["km"].notna()].to_crs(METRIC_CRS)
    along = shapely.line_locate_point(metric_line, on_line.geometry.to_numpy())
    posts = on_line["km"].to_numpy(dtype=float)
    order = np.argsort(posts, kind="stable")
    return metric_line, along[order], posts[order]


def locate_incidents(
    incidents: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    sites: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rail line, distance and km post of each incident, using the best location it has.

    An incident whose source names its line and km post or station (a row of ``sites``) is on
    the track at that post: distance 0, the stated line and km post, basis ``stated site``.
    Otherwise its point is measured (:func:`locate_on_lines`); a point of ``exact`` or ``near``
    precision is basis ``point``, a ``district`` point is ``imprecise point`` (the site may be
    ``rail_uncertainty_km`` from it, so it is only *possibly* near the railway), and a
    province- or country-level point gets no distance at all (basis ``no point``).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        With ``incident_id``, ``geo_precision`` and point geometry.
    lines, stations : geopandas.GeoDataFrame
        Drawn lines and placed stations.
    sites : pandas.DataFrame, optional
        Columns :data:`RAIL_SITE_COLUMNS`: the site a source states, as a km post on a line,
        with its uncertainty along the line (km) and a description.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``incidents``: ``nearest_line``, ``rail_distance_km``, ``rail_km_post``
        (as :func:`locate_on_lines`, but from the stated site where there is one),
        ``rail_basis``, ``rail_uncertainty_km`` (how far the site may be from the point, or
        along the track from the stated post) and ``rail_site`` (the stated site, or ``""``).

    Raises
    ------
    ValueError
        If a site names a line that is not drawn or a km post outside it.
    """
    result = locate_on_lines(incidents.geometry, lines, stations)
    precision = incidents["geo_precision"].astype(str)
    result["rail_uncertainty_km"] = precision.map(POINT_UNCERTAINTY_KM).astype(float)
    result["rail_basis"] = np.select(
        [precision.isin(PRECISE_POINTS), result["rail_uncertainty_km"].notna()],
        [BASIS_POINT, BASIS_IMPRECISE],
        BASIS_NONE,
    )
    no_point = result["rail_basis"] == BASIS_NONE
    result.loc[no_point, ["rail_distance_km", "rail_km_post"]] = np.nan
    result.loc[no_point, "nearest_line"] = ""
    result["rail_site"] = ""
    if sites is not None and not sites.empty:
        _apply_sites(result, incidents["incident_id"].astype(str), sites, lines, stations)
    return result


def _apply_sites(
    result: pd.DataFrame,
    incident_ids: pd.Series,
    sites: pd.DataFrame,
    lines: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
) -> None:
    """Overwrite ``result`` rows whose incident has a stated site (in place)."""
    by_id = sites.drop_duplicates("incident_id").set_index("incident_id")
    matched = incident_ids[incident_ids.isin(by_id.index)]
    for line_name in by_id.loc[matched.unique(), "rail_line"].unique():
        _, _, posts = _km_scale(str(line_name), lines, stations)
        on_line = by_id[(by_id["rail_line"] == line_name) & by_id.index.isin(matched)]
        outside = on_line[(on_line["rail_km"] < posts.min()) | (on_line["rail_km"] > posts.max())]
        if not outside.empty:
            msg = (
                f"stated site of {outside.index[0]!r}: km post {outside['rail_km'].iloc[0]:g} "
                f"is outside line {line_name!r} (km {posts.min():g} to {posts.max():g})"
            )
            raise ValueError(msg)
    site = by_id.loc[matched.to_numpy()]
    rows = matched.index
    result.loc[rows, "nearest_line"] = site["rail_line"].to_numpy()
    result.loc[rows, "rail_distance_km"] = 0.0
    result.loc[rows, "rail_km_post"] = site["rail_km"].to_numpy(dtype=float)
    result.loc[rows, "rail_uncertainty_km"] = site["rail_km_uncertainty"].to_numpy(dtype=float)
    result.loc[rows, "rail_basis"] = BASIS_SITE
    result.loc[rows, "rail_site"] = site["rail_site"].astype(str).to_numpy()


def describe_rail_position(located: pd.DataFrame) -> pd.Series:
    """One readable line per incident saying where it is on the railway and on what basis.

    Parameters
    ----------
    located : pandas.DataFrame
        Output of :func:`locate_incidents` (or an enriched incident frame with its columns);
        frames without ``rail_basis`` are described as measured from precise points.

    Returns
    -------
    pandas.Series of str
    """
    index = located.index
    if located.empty:
        return pd.Series([], index=index, dtype=object)
    basis = located.get("rail_basis", pd.Series(BASIS_POINT, index=index)).astype(str)
    distance = located["rail_distance_km"].astype(float)
    line = located["nearest_line"].astype(str)
    km = located["rail_km_post"].astype(float).round().astype("Int64").astype(str)
    uncertainty = located.get("rail_uncertainty_km", pd.Series(np.nan, index=index))
    uncertainty = uncertainty.astype(float).map("{:g}".format)
    site = located.get("rail_site", pd.Series("", index=index)).astype(str)
    measured = distance.map("{:.1f}".format) + " km from " + line + " (km post ≈ " + km + ")"
    texts = np.select(
        [
            basis == BASIS_SITE,
            (basis == BASIS_NONE) | distance.isna(),
            basis == BASIS_IMPRECISE,
        ],
        [
            "on " + line + " at km " + km + " (±" + uncertainty + " km), the site the source "
            "names: " + site,
            "no rail distance: the point is only province- or country-level",
            "possibly near: the point is "
            + measured
            + " but the site may be "
            + uncertainty
            + " km from it",
        ],
        measured + ", from the point",
    )
    return pd.Series(texts, index=index, dtype=object)
