"""Server-side aggregation of incidents for maps of very many points.

Pure numpy on GeoDataFrames: hexagonal bins sized in screen pixels for a Web Mercator zoom, so a
million incidents can be shown as a few dozen counted hexagons without losing any of them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.compact import as_text
from geo.schema import split_groups


def first_group_index(groups: pd.Series, legend: list[str]) -> np.ndarray:
    """Return, per incident, the index in ``legend`` of its first group (``len(legend)`` if none).

    Each distinct ``groups`` cell is split once, so this is fast for any number of incidents.
    """
    codes, cells = pd.factorize(as_text(groups))
    position = {g: i for i, g in enumerate(legend)}
    per_cell = np.array(
        [position.get((split_groups(c) or ["Unidentified"])[0], len(legend)) for c in cells],
        dtype=np.int64,
    )
    return per_cell[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def hex_bins(
    incidents: gpd.GeoDataFrame, zoom: float, groups: list[str], *, radius_px: float = 22
) -> pd.DataFrame:
    """Count incidents in hexagons that are ``radius_px`` pixels wide on a Web Mercator map.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Points in EPSG:4326.
    zoom : float
        Map zoom the hexagons are sized for.
    groups : list of str
        Legend order; ``group`` is the index of the most frequent first group of each bin.
    radius_px : float
        Hexagon radius in screen pixels at ``zoom``.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty hexagon: ``lat``, ``lon`` (centre), ``count``, ``killed`` (sum of
        the highest reported fatalities, unknown as 0) and ``group``. ``count`` adds up to the
        number of incidents.
    """
    columns = ["lat", "lon", "count", "killed", "group"]
    if incidents.empty:
        return pd.DataFrame(columns=columns)
    lon = incidents.geometry.x.to_numpy()
    lat = np.clip(incidents.geometry.y.to_numpy(), -85.0, 85.0)
    x = np.radians(lon)
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    size = radius_px * 2 * np.pi / (256 * 2**zoom)
    # Pointy-top axial coordinates, then cube rounding.
    q = (np.sqrt(3) / 3 * x - y / 3) / size
    r = (2 / 3 * y) / size
    s = -q - r
    rq, rr, rs = np.round(q), np.round(r), np.round(s)
    dq, dr, ds = np.abs(rq - q), np.abs(rr - r), np.abs(rs - s)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    rq = np.where(fix_q, -rr - rs, rq)
    rr = np.where(fix_r, -rq - rs, rr)
    key = rq.astype(np.int64) * 4_000_003 + rr.astype(np.int64)
    keys, inverse = np.unique(key, return_inverse=True)
    count = np.bincount(inverse, minlength=len(keys))
    killed = np.bincount(
        inverse,
        weights=incidents["fatalities_high"].astype("Float64").to_numpy(float, na_value=0.0),
        minlength=len(keys),
    )
    group_index = first_group_index(incidents["groups"], groups)
    per_group = np.bincount(
        inverse * (len(groups) + 1) + group_index, minlength=len(keys) * (len(groups) + 1)
    ).reshape(len(keys), len(groups) + 1)
    bq = np.round(keys / 4_000_003).astype(np.int64)
    br = keys - bq * 4_000_003
    cx = size * (np.sqrt(3) * bq + np.sqrt(3) / 2 * br)
    cy = size * (1.5 * br)
    centre_lat = np.degrees(2 * np.arctan(np.exp(cy)) - np.pi / 2)
    return pd.DataFrame(
        {
            "lat": np.round(centre_lat, 5),
            "lon": np.round(np.degrees(cx), 5),
            "count": count,
            "killed": killed.astype(np.int64),
            "group": per_group.argmax(axis=1),
        }
    )
