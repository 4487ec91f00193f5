"""The gazetteer: tolerant spelling, lookup for data rows, and the bundled places file."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from geo.gazetteer import Gazetteer, Place, canonical_province, normalise_name, sound_key
from tests.conftest import DATA
from tools import build_places


def place(name: str, kind: str = "town", *, province: str | None = "Balochistan", **kw) -> Place:
    defaults = {"lon": 67.0, "lat": 29.0, "population": None, "source": "test"}
    return Place(name=name, kind=kind, province=province, **{**defaults, **kw})


@pytest.fixture(scope="module")
def small() -> Gazetteer:
    """A hand-written gazetteer with the spellings real exports use."""
    return Gazetteer(
        [
            (place("Mach", population=44542, country="Pakistan"), ["Machh"]),
            (place("Mach", "station", country="Pakistan"), ["Much"]),
            (place("Dadhar", population=17276, country="Pakistan"), []),
            (place("Mushkaf", "station", country="Pakistan"), ["Mashkaf Valley"]),
            (place("Quetta", "city", population=1565546, country="Pakistan"), ["Shal"]),
            (place("Quetta", "station", country="Pakistan"), ["Quetta railway station"]),
            (place("Mastung", population=29082, country="Pakistan"), []),
            (place("Mastung", province="Khyber Pakhtunkhwa", country="Pakistan"), []),
            (place("Mashhad", "city", province=None, country="Iran"), ["Meshhed"]),
            (place("Kalat", population=8000, country="Pakistan"), ["Qalat"]),
            (place("Kalat", population=30000, province=None, country="Afghanistan"), ["Qalat"]),
            (
                place("Near Mushkaf railway station, Bolan Pass", "incident place"),
                [],
            ),
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Āb-e-Gum", "ab e gum"),
        ("  QUETTA   Railway-Station ", "quetta railway station"),
        ("Dera Murad Jamali (DM Jamali)", "dera murad jamali dm jamali"),
        ("", ""),
    ],
)
def test_normalise_name(text, expected):
    assert normalise_name(text) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Mashkaf", "Mushkaf"),
        ("Machh", "Mach"),
        ("Dadhar", "Dhadar"),
        ("Paneer", "Panir"),
        ("Qila Abdullah", "Killa Abdullah"),
        ("Nuttal", "Nutal"),
        ("Sibbi", "Sibi"),
        ("Kōhlū", "Kohlu"),
    ],
)
def test_usual_transliterations_share_a_sound_key(one, other):
    assert sound_key(one) == sound_key(other)


@pytest.mark.parametrize(("one", "other"), [("Mach", "Mastung"), ("Sibi", "Sui"), ("Kot", "Kohat")])
def test_different_places_keep_different_keys(one, other):
    assert sound_key(one) != sound_key(other)


@pytest.mark.parametrize("query", ["Mushkaf", "Mashkaf", "mushkaf", "MASHKAF", "Mushkav"])
def test_search_finds_the_station_whatever_the_spelling(small, query):
    assert small.search(query)[0].name == "Mushkaf"


def test_search_puts_whole_names_before_longer_names_that_contain_them(small):
    names = [(p.name, p.kind) for p in small.search("Mashkaf")]
    assert names == [
        ("Mushkaf", "station"),
        ("Near Mushkaf railway station, Bolan Pass", "incident place"),
    ]


def test_search_prefers_the_town_unless_the_query_asks_for_the_station(small):
    assert [(p.name, p.kind) for p in small.search("Machh")] == [
        ("Mach", "town"),
        ("Mach", "station"),
    ]
    assert small.search("Quetta railway station")[0].kind == "station"
    assert small.search("Quetta")[0].kind == "city"


def test_search_while_typing_matches_the_beginning_of_a_name(small):
    assert {p.name for p in small.search("quet")} == {"Quetta"}


def test_search_ranks_a_pakistani_place_before_a_similar_foreign_one(small):
    assert [p.country for p in small.search("Qalat")] == ["Pakistan", "Afghanistan"]


@pytest.mark.parametrize("query", ["", "   ", "--", "station"])
def test_search_without_a_name_finds_nothing(small, query):
    assert small.search(query) == []


def test_search_rejects_a_limit_below_one(small):
    with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
        small.search("Mach", limit=0)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind 'village' is not one of"):
        Gazetteer([(place("Peshi", "village"), [])])


def test_lookup_matches_whole_names_only(small):
    assert [p.kind for p in small.lookup("Dhadar")] == ["town"]
    # Words inside an incident's description do not place a data row.
    assert small.lookup("Bolan Pass") == []
    assert small.lookup("Dadhaar")[0].name == "Dadhar"  # a close misspelling still does


@pytest.mark.parametrize("province", ["Balochistan", "Baluchistan", "balochistan"])
def test_lookup_in_a_province(small, province):
    found = small.lookup("Mastung", province=province)
    assert [(p.name, p.province) for p in found] == [("Mastung", "Balochistan")]


@pytest.mark.parametrize("old_name", ["NWFP", "KPK", "North-West Frontier Province", "FATA"])
def test_lookup_understands_old_province_names(small, old_name):
    found = small.lookup("Mastung", province=old_name)
    assert [p.province for p in found] == ["Khyber Pakhtunkhwa"]


def test_lookup_in_another_province_finds_nothing(small):
    assert small.lookup("Mach", province="Sindh") == []


def test_canonical_province_is_the_same_for_old_and_new_names():
    assert canonical_province("NWFP") == canonical_province("Khyber-Pakhtunkhwa")
    assert canonical_province("Sind") == canonical_province("Sindh")
    assert canonical_province("Punjab") != canonical_province("Sindh")


# The bundled gazetteer, as the search box and the importers use it.


@pytest.fixture(scope="module")
def bundled() -> Gazetteer:
    return Gazetteer.bundled()


@pytest.mark.parametrize(
    ("query", "name", "kind"),
    [
        ("Mach", "Mach", "town"),
        ("Machh", "Mach", "town"),
        ("Mushkaf", "Mushkaf", "station"),
        ("Mashkaf", "Mushkaf", "station"),
        ("Dadhar", "Dadhar", "town"),
        ("Dhadar", "Dadhar", "town"),
        ("Quetta railway station", "Quetta", "station"),
        ("Spezand", "Spezand Junction", "station"),
        ("Paneer", "Panir", "station"),
        ("Killa Abdullah", "Qila Abdullah", "town"),
        ("Kandahar", "Kandahār", "city"),
        ("Balochistan", "Balochistan", "province"),
        ("Afghanistan", "Afghanistan", "country"),
    ],
)
def test_bundled_search_finds_what_the_analyst_types(bundled, query, name, kind):
    first = bundled.search(query)[0]
    assert (first.name, first.kind) == (name, kind)


def test_bundled_search_finds_the_places_incidents_name(bundled):
    found = bundled.search("Gudalar")
    assert found[0].kind == "incident place"
    assert "Gudalar" in found[0].name
    assert "RAIL-008" in found[0].source


def test_bundled_mach_is_in_the_bolan_pass(bundled):
    mach = bundled.lookup("Machh", province="Balochistan")[0]
    assert (mach.name, mach.kind, mach.population) == ("Mach", "town", 44542)
    assert mach.lon == pytest.approx(67.33, abs=0.01)
    assert mach.lat == pytest.approx(29.864, abs=0.01)
    assert mach.source.startswith("GeoNames 1171757")


def test_bundled_station_on_two_lines_is_one_place(bundled):
    quetta = [p for p in bundled.search("Quetta station") if p.kind == "station"]
    assert len(quetta) == 1
    assert "ML-3" in quetta[0].source
    assert "ML-4" in quetta[0].source


def test_bundled_leaves_out_incidents_placed_only_at_a_province_point(bundled):
    incidents = pd.read_csv(DATA / "incidents.csv", dtype=str, keep_default_na=False)
    unplaced = incidents[incidents["geo_precision"].isin(["province", "country"])]
    incident_sources = " ".join(p.source for p in bundled.places if p.kind == "incident place")
    for incident_id in unplaced["incident_id"]:
        assert incident_id + "," not in incident_sources + ","


def test_places_file_is_what_the_tool_writes():
    expected = io.StringIO()
    build_places.build_places().to_csv(expected, index=False, lineterminator="\n")
    assert (DATA / "places.csv").read_text(encoding="utf-8") == expected.getvalue()


def test_places_file_covers_pakistan_and_its_neighbours():
    places = pd.read_csv(DATA / "places.csv")
    pakistan = places[(places["country"] == "Pakistan") & places["kind"].isin(["city", "town"])]
    assert len(pakistan) >= 500
    assert pakistan["province"].notna().all()
    assert set(pakistan["province"]) == {
        "Balochistan",
        "Sindh",
        "Punjab",
        "Khyber Pakhtunkhwa",
        "Gilgit-Baltistan",
        "Azad Jammu and Kashmir",
        "Islamabad Capital Territory",
    }
    assert {"Afghanistan", "Iran", "India", "China"} <= set(places["country"])
    assert places["source"].str.len().gt(0).all()
    quetta = places[places["name"] == "Quetta"].iloc[0]
    assert quetta["province"] == "Balochistan"
