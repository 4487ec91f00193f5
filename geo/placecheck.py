"""Check an incident's point against the place it names, and place rows that have no point.

Both use a gazetteer with the interface of :class:`geo.gazetteer.Gazetteer` (``lookup(name, *,
province=None) -> list[Place]``), passed in so tests can give a small one.

Far from the named place
------------------------
A row whose point lies farther from every place of its name (in its stated province) than its
precision allows is flagged ``far-from-place``. The allowance is :data:`BASE_TOLERANCE_KM` for
the row's precision plus the town's own radius, estimated from its population (a point anywhere
in Karachi is "in Karachi"). District-level rows get a wide allowance because their point is
often a district centroid named after the district's town; province- and country-level rows are
not checked. A name the gazetteer does not know, or knows only elsewhere, is not checked either:
the check warns only where it has evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from geo.distinct import combination_codes

# Allowance (km) between a row's point and the place it names, by the row's precision, before
# the town's own radius is added. Exact and near points should be at the place; a district-level
# point may be the centroid of a district named after its town (Balochistan's districts span
# 100-200 km).
BASE_TOLERANCE_KM = {"exact": 5.0, "near": 10.0, "district": 100.0}
MIN_TOWN_RADIUS_KM, MAX_TOWN_RADIUS_KM = 2.0, 40.0
# Kinds of gazetteer entries a row's place name is compared with: settlements and stations,
# not areas (their label point is arbitrary) nor places named by other incidents.
CHECKED_KINDS = ("city", "town", "station")
# Precision given to a row placed by the gazetteer, by the kind of place found.
PLACED_PRECISION = {"station": "near", "town": "near", "city": "district", "province": "province"}
UNNAMED = {"", "unnamed place", "unknown"}
_QUALIFIER = re.compile(
    r"\b(town|city|village|district|tehsil|area|vicinity|outskirts|near|of|the)\b", re.IGNORECASE
)
_GEOD = Geod(ellps="WGS84")


class PlaceLike(Protocol):
    """What the checks read of a gazetteer place."""

    name: str
    kind: str
    lon: float
    lat: float
    population: int | None
    source: str


class GazetteerLike(Protocol):
    """The part of :class:`geo.gazetteer.Gazetteer` the checks use."""

    def lookup(self, name: str, *, province: str | None = None) -> list[PlaceLike]:
        """Return the places called ``name``, best first."""
        ...


def town_radius_km(population: int | None) -> float:
    """Return a rough radius of a settlement from its population.

    Parameters
    ----------
    population : int or None

    Returns
    -------
    float
        ``sqrt(population) / 100`` km, between 2 and 40 (about 12 km for Quetta, 39 km for
        Karachi); 2 km when the population is unknown.
    """
    if not population or population <= 0:
        return MIN_TOWN_RADIUS_KM
    return min(max(math.sqrt(population) / 100, MIN_TOWN_RADIUS_KM), MAX_TOWN_RADIUS_KM)


def place_query(name: str) -> str:
    """Return the place name to look up: without words such as "town", "district", "near".

    Parameters
    ----------
    name : str
        As a row writes it (``"Mach town"``, ``"near Sibi"``).

    Returns
    -------
    str
    """
    first = re.split(r"[,;(]", str(name))[0]
    return " ".join(_QUALIFIER.sub(" ", first).split())


@dataclass(frozen=True)
class PlaceCheck:
    """The outcome of checking rows against their named places.

    Attributes
    ----------
    far : pandas.Series of bool
        Rows whose point is farther than allowed from every place of their name.
    checked : pandas.Series of bool
        Rows the gazetteer could check (a known name, a point, a checkable precision).
    note : pandas.Series of str
        For far rows, the distance, the place and the allowance in words; ``""`` otherwise.
    """

    far: pd.Series
    checked: pd.Series
    note: pd.Series


def _candidates(
    gazetteer: GazetteerLike, name: str, province: str, country: str
) -> list[PlaceLike]:
    """Settlements and stations of that name, in the row's province and country."""
    query = place_query(name)
    if query.casefold() in UNNAMED or len(query) < 3:
        return []
    found = gazetteer.lookup(query, province=province or None)
    return [
        place
        for place in found
        if place.kind in CHECKED_KINDS and getattr(place, "country", None) in (None, country)
    ]


def check_places(incidents: pd.DataFrame, gazetteer: GazetteerLike) -> PlaceCheck:
    """Flag rows whose point is far from the place they name, allowing for their precision.

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``place``, ``province``, ``district``, ``geo_precision`` and a point ``geometry``
        (EPSG:4326).
    gazetteer : GazetteerLike

    Returns
    -------
    PlaceCheck
    """
    count = len(incidents)
    far = np.zeros(count, dtype=bool)
    checked = np.zeros(count, dtype=bool)
    note = np.full(count, "", dtype=object)
    precision = incidents["geo_precision"].astype(str)
    eligible = precision.isin(list(BASE_TOLERANCE_KM))
    # A district-level row naming its own district is at the district's centroid by design.
    eligible &= ~_names_own_district(incidents, (precision == "district").to_numpy())
    points = incidents.geometry.array
    lons, lats = shapely.get_x(points), shapely.get_y(points)  # NaN for a missing or empty point
    eligible &= np.isfinite(lons) & np.isfinite(lats)
    base_km = precision.map(BASE_TOLERANCE_KM).to_numpy(dtype=float, na_value=np.nan)
    # One gazetteer lookup per distinct (place, province, country), then every row of that
    # name at once: real exports repeat a few hundred names over many thousand rows.
    for key, positions in _rows_by_place(incidents, eligible.to_numpy()).items():
        places = _candidates(gazetteer, *key)
        if not places:
            continue
        distances = _distances_km(lons[positions], lats[positions], places)
        allowed = base_km[positions][np.newaxis, :] + np.array(
            [[town_radius_km(p.population)] for p in places]
        )
        checked[positions] = True
        is_far = (distances > allowed).all(axis=0)
        nearest = distances.argmin(axis=0)
        for column in np.flatnonzero(is_far):
            place = places[nearest[column]]
            position = positions[column]
            far[position] = True
            note[position] = (
                f"the point is {distances[nearest[column], column]:.0f} km from {place.name} "
                f"({place.kind}, {place.source}), the place the row names; "
                f"{allowed[nearest[column], column]:.0f} km allowed for "
                f"{precision.iloc[position]} precision"
            )
    index = incidents.index
    return PlaceCheck(
        far=pd.Series(far, index=index),
        checked=pd.Series(checked, index=index),
        note=pd.Series(note, index=index, dtype=object),
    )


def _names_own_district(incidents: pd.DataFrame, district_level: np.ndarray) -> np.ndarray:
    """Rows at district precision whose place is their district (compared on those rows only)."""
    same = np.zeros(len(incidents), dtype=bool)
    rows = np.flatnonzero(district_level)
    if rows.size:
        place, district = incidents["place"].iloc[rows], incidents["district"].iloc[rows]
        same[rows] = _folded_queries(place) == _folded_queries(district)
    return same


def _folded_queries(names: pd.Series) -> np.ndarray:
    """``place_query(name).casefold()`` of each name, computed once per distinct name."""
    codes, distinct = pd.factorize(names, use_na_sentinel=False)
    folded = [place_query(str(name)).casefold() for name in distinct]
    return np.array(folded + [""], dtype=object)[codes]


def _rows_by_place(
    incidents: pd.DataFrame, eligible: np.ndarray
) -> dict[tuple[str, str, str], np.ndarray]:
    """Positions of the eligible rows, by (place, province, country) as the row writes them."""
    positions = np.flatnonzero(eligible)
    if positions.size == 0:
        return {}
    country = (
        incidents["country"] if "country" in incidents else pd.Series("", index=incidents.index)
    )
    country = country.iloc[positions].fillna("").astype(str)
    columns = (
        incidents["place"].iloc[positions].fillna("").astype(str),
        incidents["province"].iloc[positions].fillna("").astype(str),
        country.where(country != "", "Pakistan"),
    )
    key, first_rows = combination_codes(columns)
    order = np.argsort(key, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(key[order])) + 1]
    groups = {}
    for rows_of_key in np.split(order, starts[1:]):
        first = first_rows[key[rows_of_key[0]]]
        label = tuple(str(column.iloc[first]) for column in columns)
        groups[label] = positions[rows_of_key]
    return groups


def _distances_km(lons: np.ndarray, lats: np.ndarray, places: list[PlaceLike]) -> np.ndarray:
    """Geodesic distances (km), one row per place, one column per point."""
    distances = np.empty((len(places), len(lons)))
    for row, place in enumerate(places):
        _, _, metres = _GEOD.inv(
            lons, lats, np.full(len(lons), place.lon), np.full(len(lons), place.lat)
        )
        distances[row] = np.asarray(metres) / 1000
    return distances


@dataclass(frozen=True)
class Placement:
    """Points found by the gazetteer for rows that name a place but have no coordinates.

    Attributes
    ----------
    lat, lon : pandas.Series of float
        NaN where nothing was found.
    precision : pandas.Series of str
        ``near`` for a town or station, ``district`` for a city, ``province`` for a province.
    note : pandas.Series of str
        Which place was used, from which source.
    """

    lat: pd.Series
    lon: pd.Series
    precision: pd.Series
    note: pd.Series


def place_by_name(names: pd.Series, provinces: pd.Series, gazetteer: GazetteerLike) -> Placement:
    """Find a point for each named place (best gazetteer match in the stated province).

    Parameters
    ----------
    names : pandas.Series of str
    provinces : pandas.Series of str
        Same index; ``""`` when unknown.
    gazetteer : GazetteerLike

    Returns
    -------
    Placement
    """
    lat = pd.Series(np.nan, index=names.index)
    lon = lat.copy()
    precision = pd.Series("", index=names.index, dtype=object)
    note = precision.copy()
    lookup: Callable[[str, str], list[PlaceLike]] = lambda name, province: [  # noqa: E731
        p
        for p in gazetteer.lookup(place_query(name), province=province or None)
        if p.kind in PLACED_PRECISION
    ]
    for label, name, province in zip(names.index, names, provinces, strict=True):
        if place_query(name).casefold() in UNNAMED:
            continue
        found = lookup(str(name), str(province))
        if not found:
            continue
        place = found[0]
        lat[label], lon[label] = place.lat, place.lon
        precision[label] = PLACED_PRECISION[place.kind]
        note[label] = (
            f"no coordinates in the source: placed at {place.name} ({place.kind}, "
            f"{place.source}) by the gazetteer"
        )
    return Placement(lat=lat, lon=lon, precision=precision, note=note)
