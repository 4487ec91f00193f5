import pandas as pd
import pytest

from geo.analysis import assign_provinces, enrich, summarise, timeline
from tests.conftest import make_incidents


def test_province_of_each_point_and_mismatch_flag(provinces):
    incidents = make_incidents(
        {"lon": 67.0, "lat": 29.0, "province": "West"},
        {"lon": 69.0, "lat": 29.0, "province": "West"},
        {"lon": 69.0, "lat": 29.0, "province": ""},
    )
    result = assign_provinces(incidents, provinces)
    assert list(result["point_province"]) == ["West", "East", "East"]
    assert list(result["province_mismatch"]) == [False, True, False]
    assert set(result["province_method"]) == {"within"}


def test_provinces_of_other_countries_are_not_contradicted(provinces):
    incidents = make_incidents(
        {"lon": 69.2, "lat": 34.5, "province": "Kabul", "country": "Afghanistan"}
    )
    result = assign_provinces(incidents, provinces)
    assert list(result["point_province"]) == [""]
    assert list(result["province_mismatch"]) == [False]


def test_point_just_outside_takes_nearest_province_within_tolerance(provinces):
    # 0.02° (about 2 km) north of East's edge, and 1° (about 111 km) north of it.
    incidents = make_incidents(
        {"lon": 69.0, "lat": 30.02, "province": "East"},
        {"lon": 69.0, "lat": 31.0, "province": "East"},
    )
    result = assign_provinces(incidents, provinces, tolerance_km=5)
    assert list(result["point_province"]) == ["East", ""]
    assert list(result["province_method"]) == ["nearest within 5 km", "outside every province"]
    assert list(result["province_mismatch"]) == [False, True]


def test_enrich_explains_flags_and_adds_rail_columns(provinces, rail):
    lines, stations = rail
    incidents = make_incidents({"lon": 69.0, "lat": 29.0, "province": "West"})
    enriched = enrich(incidents, provinces, lines, stations)
    assert enriched["flags"].iloc[0] == "province-mismatch"
    assert enriched["flag_detail"].iloc[0] == "stated province West but the point lies in East"
    assert enriched["nearest_line"].iloc[0] == "Test line"
    assert enriched["rail_distance_km"].iloc[0] == pytest.approx(48.7, abs=1)


def test_summaries_by_group_province_and_month():
    incidents = make_incidents(
        {"groups": "BLA", "fatalities_low": 2, "fatalities_high": 5, "province": "West"},
        {
            "groups": "BLA; TTP",
            "fatalities_low": 1,
            "fatalities_high": 1,
            "start": "2025-04-02",
            "end": "2025-04-02 23:59:59",
            "province": "East",
        },
        {"groups": "TTP", "province": "East"},
    )
    by_group = summarise(incidents, "group")
    assert by_group.loc["BLA", "incidents"] == 2
    assert by_group.loc["BLA", "fatalities_low"] == 3
    assert by_group.loc["BLA", "fatalities_high"] == 6
    assert by_group.loc["TTP", "fatalities_unknown"] == 1
    by_province = summarise(incidents, "province")
    assert by_province.loc["East", "incidents"] == 2
    by_month = summarise(incidents, "month")
    assert list(by_month.index) == ["2025-03", "2025-04"]
    assert list(by_month["incidents"]) == [2, 1]
    with pytest.raises(ValueError, match="by 'year' is not one of"):
        summarise(incidents, "year")


def test_timeline_counts_per_period_and_group():
    incidents = make_incidents(
        {"groups": "BLA", "start": "2025-03-03"},
        {"groups": "BLA", "start": "2025-03-09"},
        {"groups": "TTP", "start": "2025-03-10"},
    )
    weekly = timeline(incidents, freq="W")
    assert weekly.to_dict("records") == [
        {"period": pd.Timestamp("2025-03-03"), "group": "BLA", "incidents": 2},
        {"period": pd.Timestamp("2025-03-10"), "group": "TTP", "incidents": 1},
    ]
    monthly = timeline(incidents, freq="M")
    assert monthly["incidents"].sum() == 3


def test_timeline_counts_an_incident_of_two_groups_for_each_in_its_week():
    incidents = make_incidents(
        {"groups": "BLA; BLF", "start": "2025-03-16 23:30"},  # Sunday: the week of 10 March
        {"groups": "BLF", "start": "2025-03-17"},  # Monday: a new week
        {"groups": "BLA; BLF", "start": "2025-03-11"},
    )
    assert timeline(incidents, freq="W").to_dict("records") == [
        {"period": pd.Timestamp("2025-03-10"), "group": "BLA", "incidents": 2},
        {"period": pd.Timestamp("2025-03-10"), "group": "BLF", "incidents": 2},
        {"period": pd.Timestamp("2025-03-17"), "group": "BLF", "incidents": 1},
    ]


def test_timeline_of_many_incidents_on_few_days_counts_each_once_per_group():
    # More incidents than days between the first and the last (how a large selection looks),
    # their groups held as categories as in a loaded dataset.
    days = ["2025-03-08 06:00", "2025-03-09 23:59", "2025-03-10 00:00", "2025-03-11", "2025-04-02"]
    cells = ["BLA", "BLA; TTP", "TTP", "BLF"]
    rows = [{"groups": cells[k % 4], "start": days[k % 5]} for k in range(40)]
    incidents = make_incidents(*rows)
    incidents["groups"] = incidents["groups"].astype("category")
    expected: dict[tuple[pd.Timestamp, str], int] = {}
    for row in rows:
        day = pd.Timestamp(row["start"]).normalize()
        monday = day - pd.Timedelta(days=day.weekday())
        for group in row["groups"].split("; "):
            expected[(monday, group)] = expected.get((monday, group), 0) + 1
    weekly = timeline(incidents, freq="W")
    assert {(r["period"], r["group"]): r["incidents"] for r in weekly.to_dict("records")} == (
        expected
    )
    assert weekly["incidents"].sum() == 50  # ten incidents of two groups count for each


def test_timeline_months_split_at_midnight_and_keep_leap_days():
    incidents = make_incidents(
        {"groups": "BLA", "start": "2024-02-29 23:59"},  # leap day, late evening
        {"groups": "BLA", "start": "2024-03-01 00:00"},
        {"groups": "TTP", "start": "2024-12-31 23:30"},
        {"groups": "TTP", "start": "2025-01-01 00:10"},
        {"groups": "TTP", "start": "2024-12-01"},
    )
    assert timeline(incidents, freq="M").to_dict("records") == [
        {"period": pd.Timestamp("2024-02-01"), "group": "BLA", "incidents": 1},
        {"period": pd.Timestamp("2024-03-01"), "group": "BLA", "incidents": 1},
        {"period": pd.Timestamp("2024-12-01"), "group": "TTP", "incidents": 2},
        {"period": pd.Timestamp("2025-01-01"), "group": "TTP", "incidents": 1},
    ]
