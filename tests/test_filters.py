from datetime import date

import pytest

from geo.filters import (
    IncidentFilter,
    bbox_mask,
    groups_mask,
    min_fatalities_mask,
    near_rail_mask,
    text_mask,
    time_window_mask,
    values_mask,
)
from tests.conftest import make_incidents


@pytest.fixture
def incidents():
    return make_incidents(
        {
            "start": "2025-03-11 13:00",
            "end": "2025-03-12 23:59:59",
            "groups": "BLA",
            "summary": "Jaffar Express hijacked in the Bolan Pass",
            "fatalities_high": 31,
            "event_type": "Violence against civilians",
            "province": "West",
            "lon": 67.5,
            "lat": 29.6,
        },
        {
            "start": "2024-11-09",
            "end": "2024-11-09 23:59:59",
            "groups": "JuA",
            "summary": "Blast at a <b>station</b>",
            "fatalities_high": 26,
            "province": "East",
            "lon": 69.0,
            "lat": 29.2,
        },
        {
            "start": "2023-01-20",
            "end": "2023-01-20 23:59:59",
            "groups": "Unidentified",
            "summary": "IED on track",
            "province": "West",
            "lon": 67.2,
            "lat": 28.5,
        },
    )


def ids(frame, mask):
    return list(frame.loc[mask, "incident_id"])


def test_time_window_matches_incidents_that_overlap(incidents):
    # The hijacking runs 11-12 March: a window on 12 March alone still finds it.
    assert ids(incidents, time_window_mask(incidents, date(2025, 3, 12), date(2025, 3, 31))) == [
        "X-1"
    ]
    assert ids(incidents, time_window_mask(incidents, None, date(2024, 11, 9))) == ["X-2", "X-3"]
    assert ids(incidents, time_window_mask(incidents, date(2025, 3, 13), None)) == []


def test_groups_with_and_without_affiliates(incidents, registry):
    assert ids(incidents, groups_mask(incidents, ["TTP"])) == []
    assert ids(
        incidents, groups_mask(incidents, ["TTP"], registry=registry, include_affiliates=True)
    ) == ["X-2"]
    assert ids(incidents, groups_mask(incidents, [])) == ["X-1", "X-2", "X-3"]
    with pytest.raises(ValueError, match="include_affiliates needs the group registry"):
        groups_mask(incidents, ["TTP"], include_affiliates=True)


def test_values_fatalities_text_bbox(incidents):
    assert ids(incidents, values_mask(incidents, "province", ["East"])) == ["X-2"]
    assert ids(incidents, min_fatalities_mask(incidents, 30)) == ["X-1"]
    assert ids(incidents, min_fatalities_mask(incidents, 0)) == ["X-1", "X-2", "X-3"]
    assert ids(incidents, text_mask(incidents, "jaffar BOLAN")) == ["X-1"]
    assert ids(incidents, text_mask(incidents, '"express hijacked"')) == ["X-1"]
    assert ids(incidents, text_mask(incidents, "<b>station")) == ["X-2"]
    assert ids(incidents, bbox_mask(incidents, (67.0, 28.0, 68.0, 30.0))) == ["X-1", "X-3"]


def test_near_rail_needs_enriched_distance(incidents):
    with pytest.raises(ValueError, match="needs rail_distance_km"):
        near_rail_mask(incidents, 5)
    enriched = incidents.assign(rail_distance_km=[0.5, 40.0, 4.9])
    assert ids(enriched, near_rail_mask(enriched, 5)) == ["X-1", "X-3"]


def test_combined_filter_counts(incidents, registry):
    flt = IncidentFilter(start=date(2024, 1, 1), provinces=("West", "East"), min_fatalities=1)
    assert list(flt.apply(incidents, registry)["incident_id"]) == ["X-1", "X-2"]
    assert len(IncidentFilter().apply(incidents, registry)) == 3


def test_query_string_round_trip():
    flt = IncidentFilter(
        start=date(2024, 1, 1),
        end=date(2025, 6, 30),
        groups=("BLA", "TTP"),
        include_affiliates=False,
        event_types=("Battles",),
        provinces=("Balochistan",),
        min_fatalities=5,
        text="jaffar express",
        bbox=(66.0, 28.0, 68.5, 30.5),
        rail_km=7.5,
        flagged_only=True,
    )
    query = flt.to_query()
    assert query["groups"] == "BLA,TTP"
    assert query["start"] == "2024-01-01"
    assert query["include_affiliates"] == "0"
    assert IncidentFilter.from_query(query) == flt
    assert IncidentFilter().to_query() == {}
    assert IncidentFilter.from_query({"utm_source": "x"}) == IncidentFilter()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"start": "31/02/2025"},
            r"filter start='31/02/2025' is not valid \(expected a date YYYY-MM-DD\)",
        ),
        (
            {"min_fatalities": "-3"},
            r"filter min_fatalities='-3' is not valid \(expected a whole number",
        ),
        ({"rail_km": "far"}, r"filter rail_km='far' is not valid \(expected a number of km"),
        ({"bbox": "1,2,3"}, r"filter bbox='1,2,3' is not valid \(expected west,south,east,north"),
        (
            {"flagged_only": "maybe"},
            r"filter flagged_only='maybe' is not valid \(expected 0 or 1\)",
        ),
    ],
)
def test_bad_query_values_are_named(query, message):
    with pytest.raises(ValueError, match=message):
        IncidentFilter.from_query(query)
