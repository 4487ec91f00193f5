"""Synthetic incidents for benchmarks and load tests: never real data, never shown as such.

:func:`synthetic_incidents` draws any number of incidents in the schema of :mod:`geo.schema`,
deterministically from a seed, spread the way the real ones are: along the bundled rail lines, and
around towns (the rail stations and the places of the bundled incidents), with a mix of armed
groups by region, dates from January 2023 to February 2026, date and location precisions, event
types, fatality ranges and one to three sources. Every incident says what it is: ``dataset`` is
``"synthetic"``, ``incident_id`` starts with ``SYN-``, the summary and every source say
"synthetic", and source URLs point at the reserved ``.invalid`` domain.

Everything is vectorised with NumPy and a seeded :class:`numpy.random.Generator`; a million
incidents take a few seconds.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.io import BundledData, load_bundled
from geo.schema import CRS, INCIDENT_COLUMNS, METRIC_CRS, conform

SYNTHETIC_DATASET = "synthetic"
ID_PREFIX = "SYN-"
GENERATOR_VERSION = "1"
SUMMARY = "SYNTHETIC incident generated for load testing; not a real event."
FIRST_DAY = pd.Timestamp("2023-01-01")
LAST_DAY = pd.Timestamp("2026-02-28")

# Where incidents lie: along a rail line (weighted by length), around a town, or scattered
# further out from one.
LOCATION_MIX = {"rail": 0.55, "town": 0.35, "scattered": 0.10}
RAIL_OFFSET_M = 1_500.0
TOWN_SD_M = 6_000.0
SCATTER_SD_M = 45_000.0

DATE_PRECISION_MIX = {"hour": 0.25, "day": 0.6, "week": 0.09, "month": 0.06}
GEO_PRECISION_MIX = {"exact": 0.2, "near": 0.4, "district": 0.32, "province": 0.08}
EVENT_MIX = {
    ("Explosions/Remote violence", "Remote explosive/landmine/IED"): 0.3,
    ("Explosions/Remote violence", "Suicide bomb"): 0.12,
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"): 0.04,
    ("Battles", "Armed clash"): 0.3,
    ("Violence against civilians", "Attack"): 0.14,
    ("Violence against civilians", "Abduction/forced disappearance"): 0.06,
    ("Strategic developments", "Disrupted weapons use"): 0.04,
}
# Group mix by region: Baloch separatist groups dominate in Balochistan and Sindh, Islamist groups
# in Khyber Pakhtunkhwa and Punjab.
SOUTH_GROUPS = {
    "BLA": 0.34,
    "BLF": 0.16,
    "BRG": 0.05,
    "BNA": 0.03,
    "BRAS": 0.04,
    "TTP": 0.07,
    "ISKP": 0.03,
    "Unidentified": 0.28,
}
NORTH_GROUPS = {
    "TTP": 0.38,
    "JuA": 0.07,
    "TJP": 0.04,
    "HGB": 0.1,
    "ISKP": 0.07,
    "ISPP": 0.02,
    "IS": 0.01,
    "BLA": 0.03,
    "Unidentified": 0.28,
}
SOUTH_PROVINCES = ("Balochistan", "Sindh")
SECOND_GROUP_SHARE = 0.04
SOURCE_PUBLISHERS = ("Synthetic wire A", "Synthetic wire B", "Synthetic wire C")


def _choice(rng: np.random.Generator, mix: dict, size: int) -> np.ndarray:
    """Draw indices into ``mix`` with its (normalised) weights."""
    weights = np.array(list(mix.values()), dtype=float)
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def _towns(bundle: BundledData) -> gpd.GeoDataFrame:
    """Return town points (stations and bundled incident places) with name and province."""
    stations = bundle.stations[["station", "geometry"]].rename(columns={"station": "name"})
    places = bundle.incidents[["place", "geometry"]].rename(columns={"place": "name"})
    places = places.assign(name=places["name"].str.split(",").str[0].str.slice(0, 40))
    towns = pd.concat([stations, places], ignore_index=True)
    towns = gpd.GeoDataFrame(towns, geometry="geometry", crs=CRS)
    joined = gpd.sjoin_nearest(
        towns.to_crs(METRIC_CRS), bundle.provinces[["name", "geometry"]].to_crs(METRIC_CRS)
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    towns["province"] = joined["name_right"].reindex(towns.index).fillna("").to_numpy()
    return towns


def _group_cells(rng: np.random.Generator, south: np.ndarray) -> np.ndarray:
    """Draw the ``groups`` cell of each incident by region, a few with a second group."""
    n = len(south)
    cells = np.empty(n, dtype=object)
    for mask, mix in ((south, SOUTH_GROUPS), (~south, NORTH_GROUPS)):
        names = np.array(list(mix), dtype=object)
        count = int(mask.sum())
        cells[mask] = names[_choice(rng, mix, count)]
    second = rng.random(n) < SECOND_GROUP_SHARE
    second &= cells != "Unidentified"
    pairs = {"BLA": "BLA; BLF", "BLF": "BLA; BLF", "TTP": "JuA; TTP", "JuA": "JuA; TTP"}
    for single, pair in pairs.items():
        cells[second & (cells == single)] = pair
    return cells


def _counts(
    rng: np.random.Generator, n: int, scale: float, unknown_share: float
) -> tuple[pd.array, pd.array, pd.array]:
    """Draw low/best/high counts (heavy-tailed; some unknown), with low <= best <= high."""
    low = rng.geometric(1.0 / (1.0 + scale), size=n) - 1
    heavy = rng.random(n) < 0.01
    low[heavy] += rng.integers(15, 60, size=int(heavy.sum()))
    spread = np.where(rng.random(n) < 0.3, rng.geometric(0.4, size=n) - 1, 0)
    high = low + spread
    best = low + np.floor(spread * rng.random(n)).astype(np.int64)
    unknown = rng.random(n) < unknown_share
    arrays = []
    for values in (low, best, high):
        arrays.append(pd.array(np.where(unknown, 0, values), dtype="Int64"))
        arrays[-1][unknown] = pd.NA
    return arrays[0], arrays[1], arrays[2]


def synthetic_hash(n: int, seed: int) -> str:
    """Return the identity of a synthetic dataset: it is fully determined by version, n and seed.

    Parameters
    ----------
    n, seed : int
        As given to :func:`synthetic_incidents`.

    Returns
    -------
    str
        ``"synthetic-sha256:<hex>"`` (not a content hash of the rows; say so wherever shown).
    """
    spec = f"geo.synthetic v{GENERATOR_VERSION} n={n} seed={seed}".encode()
    return "synthetic-sha256:" + hashlib.sha256(spec).hexdigest()


def synthetic_incidents(
    n: int, *, seed: int = 20250311, bundle: BundledData | None = None
) -> gpd.GeoDataFrame:
    """Generate ``n`` synthetic incidents in the incident schema.

    Parameters
    ----------
    n : int
        Number of incidents (0 or more).
    seed : int
        Seed of the :class:`numpy.random.Generator`; the same ``n`` and seed give the same rows.
    bundle : BundledData, optional
        Bundled layers to spread incidents over (loaded when not given).

    Returns
    -------
    geopandas.GeoDataFrame
        Schema columns and dtypes (``conform`` leaves it unchanged, ``validate_incidents``
        passes), EPSG:4326, ``dataset`` ``"synthetic"`` and ids ``SYN-0000001``...

    Raises
    ------
    ValueError
        If ``n`` is negative.
    """
    if n < 0:
        msg = f"n {n!r} is negative; expected 0 or more incidents"
        raise ValueError(msg)
    bundle = bundle or load_bundled()
    rng = np.random.default_rng(seed)
    towns = _towns(bundle)
    to_metric = pyproj.Transformer.from_crs(CRS, METRIC_CRS, always_xy=True)
    to_degrees = pyproj.Transformer.from_crs(METRIC_CRS, CRS, always_xy=True)
    town_x, town_y = to_metric.transform(towns.geometry.x.to_numpy(), towns.geometry.y.to_numpy())

    # Location: a point on a rail line (and the nearest town to it), or around a town.
    kind = _choice(rng, LOCATION_MIX, n)
    x, y = np.empty(n), np.empty(n)
    anchor = np.empty(n, dtype=np.int64)
    lines = bundle.rail_lines.to_crs(METRIC_CRS).geometry.to_numpy()
    lengths = shapely.length(lines)
    on_rail = np.flatnonzero(kind == 0)
    line_of = rng.choice(len(lines), size=len(on_rail), p=lengths / lengths.sum())
    along = rng.random(len(on_rail)) * lengths[line_of]
    points = shapely.line_interpolate_point(lines[line_of], along)
    x[on_rail] = shapely.get_x(points) + rng.normal(0, RAIL_OFFSET_M, len(on_rail))
    y[on_rail] = shapely.get_y(points) + rng.normal(0, RAIL_OFFSET_M, len(on_rail))
    # Nearest town by squared distance, in chunks to bound memory.
    for begin in range(0, len(on_rail), 50_000):
        part = on_rail[begin : begin + 50_000]
        d2 = (x[part, None] - town_x[None, :]) ** 2 + (y[part, None] - town_y[None, :]) ** 2
        anchor[part] = d2.argmin(axis=1)
    around = np.flatnonzero(kind != 0)
    anchor[around] = rng.integers(0, len(towns), size=len(around))
    sd = np.where(kind[around] == 1, TOWN_SD_M, SCATTER_SD_M)
    x[around] = town_x[anchor[around]] + rng.normal(0, 1, len(around)) * sd
    y[around] = town_y[anchor[around]] + rng.normal(0, 1, len(around)) * sd
    lon, lat = to_degrees.transform(x, y)

    town_names = towns["name"].to_numpy(dtype=object)
    town_provinces = towns["province"].to_numpy(dtype=object)
    province = town_provinces[anchor]
    south = np.isin(province, SOUTH_PROVINCES)
    on_rail_mask = kind == 0
    prefix = np.where(on_rail_mask, "On the railway near ", np.where(kind == 1, "", "Outside "))
    place = pd.Series(prefix, dtype=object) + pd.Series(town_names[anchor], dtype=object)

    # Dates: more incidents later (rising trend), precision decides the interval.
    span = (LAST_DAY - FIRST_DAY).days + 1
    day = np.floor(span * np.sqrt(rng.random(n)) ** 0.8).astype(np.int64).clip(0, span - 1)
    date_precisions = np.array(list(DATE_PRECISION_MIX), dtype=object)
    date_precision = date_precisions[_choice(rng, DATE_PRECISION_MIX, n)]
    start_day = FIRST_DAY.to_datetime64() + day.astype("timedelta64[D]")
    start = start_day.astype("datetime64[ns]")
    one_day = np.timedelta64(1, "D")
    second = np.timedelta64(1, "s")
    multi = rng.random(n) < 0.03
    days = np.where(multi, rng.integers(2, 4, size=n), 1).astype("timedelta64[D]")
    end = (start_day + days).astype("datetime64[ns]") - second
    hour = date_precision == "hour"
    start[hour] += rng.integers(0, 24 * 60, size=int(hour.sum())).astype("timedelta64[m]")
    week = date_precision == "week"
    weekday = (day + FIRST_DAY.day_of_week) % 7
    week_start = start_day - weekday.astype("timedelta64[D]")
    start[week] = week_start[week].astype("datetime64[ns]")
    end[week] = (week_start[week] + 7 * one_day).astype("datetime64[ns]") - second
    month = date_precision == "month"
    month_start = start_day.astype("datetime64[M]")
    start[month] = month_start[month].astype("datetime64[ns]")
    end[month] = (month_start[month] + 1).astype("datetime64[D]").astype("datetime64[ns]") - second
    time_note = np.where(hour, "time as reported (synthetic)", "")

    geo_precisions = np.array(list(GEO_PRECISION_MIX), dtype=object)
    geo_precision = geo_precisions[_choice(rng, GEO_PRECISION_MIX, n)]
    geo_precision[(kind == 2) & (geo_precision == "exact")] = "district"
    events = list(EVENT_MIX)
    event = _choice(rng, EVENT_MIX, n)
    event_type = np.array([e[0] for e in events], dtype=object)[event]
    sub_event_type = np.array([e[1] for e in events], dtype=object)[event]
    groups = _group_cells(rng, south)
    fatalities = _counts(rng, n, scale=1.6, unknown_share=0.12)
    injured = _counts(rng, n, scale=2.5, unknown_share=0.3)

    number_of_sources = rng.integers(1, 4, size=n)
    templates = [
        [
            {
                "publisher": publisher,
                "title": "Synthetic report (not a real event)",
                "date": "",
                "url": f"https://synthetic.invalid/{publisher[-1].lower()}",
            }
            for publisher in SOURCE_PUBLISHERS[:k]
        ]
        for k in range(4)
    ]
    sources = [list(templates[k]) for k in number_of_sources]

    ids = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(7)
    text = {
        "incident_id": (ID_PREFIX + ids).to_numpy(dtype=object),
        "date_precision": date_precision,
        "time_note": time_note.astype(object),
        "place": place.to_numpy(dtype=object),
        "district": np.full(n, "", dtype=object),
        "province": province,
        "country": np.full(n, "Pakistan", dtype=object),
        "geo_precision": geo_precision,
        "geo_note": np.full(n, "synthetic point", dtype=object),
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "attack_detail": np.where(on_rail_mask, "Synthetic attack on the railway", "").astype(
            object
        ),
        "groups": groups,
        "group_detail": np.full(n, "", dtype=object),
        "claimed_by": np.full(n, "", dtype=object),
        "target": np.where(on_rail_mask, "Railway (synthetic)", "").astype(object),
        "hostages": np.full(n, "", dtype=object),
        "summary": np.full(n, SUMMARY, dtype=object),
        "figures_note": np.full(n, "", dtype=object),
        "dataset": np.full(n, SYNTHETIC_DATASET, dtype=object),
        "flags": np.full(n, "", dtype=object),
        "licence": np.full(n, "", dtype=object),
        "provenance": np.full(n, "", dtype=object),
    }
    data: dict[str, object] = {}
    for column in INCIDENT_COLUMNS:
        if column in text:
            data[column] = text[column]
    data["start"], data["end"] = start, end
    for kind_name, (low, best, high) in (("fatalities", fatalities), ("injured", injured)):
        data[f"{kind_name}_low"], data[f"{kind_name}_best"], data[f"{kind_name}_high"] = (
            low,
            best,
            high,
        )
    data["deaths_reported"] = pd.array([pd.NA] * n, dtype="Int64")
    data["sources"] = sources
    frame = pd.DataFrame(data)
    incidents = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=CRS)
    # conform gives the text columns the schema's string dtype (also when there are no rows).
    return conform(incidents[list(INCIDENT_COLUMNS)])
