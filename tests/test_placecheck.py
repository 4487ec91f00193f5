"""Far from the named place, and placing rows by name, with a small hand-written gazetteer."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pytest

from geo.importers import import_incidents
from geo.io import load_provinces
from geo.placecheck import check_places, place_by_name, place_query, town_radius_km
from tests.conftest import make_incidents

PROVINCES = load_provinces()


@dataclass(frozen=True)
class FakePlace:
    name: str
    kind: str
    lon: float
    lat: float
    province: str | None
    population: int | None
    source: str
    country: str | None = "Pakistan"


class FakeGazetteer:
    """Turbat, Quetta (a large city), a Sibi station, and a Kech in another country."""

    places = (
        FakePlace("Turbat", "town", 63.048, 26.001, "Balochistan", 75694, "GeoNames 1"),
        FakePlace("Quetta", "city", 67.001, 30.184, "Balochistan", 1_565_546, "GeoNames 2"),
        FakePlace("Sibi Junction", "station", 67.877, 29.543, "Balochistan", None, "stations"),
        FakePlace("Kech", "town", 61.0, 35.0, None, 500, "GeoNames 3", country="Iran"),
        FakePlace("Balochistan", "province", 65.1, 28.5, "Balochistan", None, "NE"),
    )

    def lookup(self, name: str, *, province: str | None = None) -> list[FakePlace]:
        key = name.casefold()
        return [
            p
            for p in self.places
            if (p.name.casefold() == key or p.name.casefold().startswith(key + " "))
            and (province is None or p.province == province)
        ]


GAZ = FakeGazetteer()


def test_place_query_drops_qualifiers():
    assert place_query("Mach town") == "Mach"
    assert place_query("near Sibi, Bolan Pass") == "Sibi"
    assert place_query("Kachhi district (Bolan)") == "Kachhi"


def test_town_radius_grows_with_population():
    assert town_radius_km(None) == 2.0
    assert town_radius_km(1_565_546) == pytest.approx(12.5, abs=0.1)
    assert town_radius_km(20_000_000) == 40.0


def test_far_from_place_by_precision_without_crying_wolf():
    incidents = make_incidents(
        # A town's events put 400 km away, in the right province, marked exact: flagged.
        {"place": "Turbat", "province": "Balochistan", "geo_precision": "exact",
         "lon": 67.0, "lat": 29.0},
        # Exactly in Quetta, 10 km from the city's point: a big city, not flagged.
        {"place": "Quetta", "province": "Balochistan", "geo_precision": "exact",
         "lon": 67.1, "lat": 30.2},
        # District level, 60 km from Turbat (a district centroid named after its town).
        {"place": "Turbat", "province": "Balochistan", "geo_precision": "district",
         "lon": 63.6, "lat": 26.1},
        # A district-level row naming its own district is at the centroid by design.
        {"place": "Kech", "district": "Kech", "province": "Balochistan",
         "geo_precision": "district", "lon": 63.0, "lat": 26.0},
        # Province level is never checked; a name the gazetteer does not know is not either.
        {"place": "Turbat", "province": "Balochistan", "geo_precision": "province",
         "lon": 66.0, "lat": 29.0},
        {"place": "Nowhere Kalay", "province": "Balochistan", "geo_precision": "exact"},
        # "Kech" is known only in Iran: no evidence against a Pakistani row.
        {"place": "Kech", "province": "", "geo_precision": "exact", "lon": 67.0, "lat": 29.0},
    )  # fmt: skip
    check = check_places(incidents, GAZ)
    assert list(check.far) == [True, False, False, False, False, False, False]
    assert list(check.checked) == [True, True, True, False, False, False, False]
    assert check.note.iloc[0].startswith("the point is 513 km")
    assert (
        "km from Turbat (town, GeoNames 1), the place the row names; 8 km allowed"
        in (check.note.iloc[0])
    )


def test_place_by_name_uses_the_gazetteers_precision():
    import pandas as pd

    names = pd.Series(["Sibi", "Quetta city", "Atlantis", "unnamed place"])
    placed = place_by_name(names, pd.Series(["Balochistan", "", "", ""]), GAZ)
    assert list(placed.precision) == ["near", "district", "", ""]
    assert placed.lat.iloc[0] == pytest.approx(29.543)
    assert placed.note.iloc[0] == (
        "no coordinates in the source: placed at Sibi Junction (station, stations) by the gazetteer"
    )


def test_generic_rows_without_coordinates_are_placed_and_flagged(registry):
    data = (
        b"date,lat,lon,place,province,killed\n"
        b"2025-03-11,,,Sibi,Balochistan,2\n"
        b"2025-03-12,,,Atlantis,Balochistan,1\n"
        b"2025-03-13,29.0,67.0,Turbat,Balochistan,0\n"
    )
    result = import_incidents(
        data, name="mine.csv", registry=registry, provinces=PROVINCES, gazetteer=GAZ
    )
    assert result.kept == 2
    assert dict(zip(result.rejected["line"], result.rejected["reason"], strict=True)) == {
        3: "no coordinates"
    }
    rows = result.incidents.set_index("incident_id")
    sibi = rows.loc["CSV:mine.csv:line-2"]
    assert sibi["flags"] == "placed-by-gazetteer"
    assert sibi["geo_precision"] == "near"
    assert isinstance(result.incidents, gpd.GeoDataFrame)
    assert sibi.geometry.y == pytest.approx(29.543)
    turbat = rows.loc["CSV:mine.csv:line-4"]
    assert turbat["flags"] == "far-from-place; precision-assumed"
    assert "km from Turbat" in turbat["geo_note"]
    assert any("placed at the place they name by the gazetteer" in n for n in result.notes)
