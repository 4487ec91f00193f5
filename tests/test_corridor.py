"""The railway as an axis: which incidents a line's corridor shows, where, and what a brush keeps."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.analysis import enrich
from geo.corridor import (
    CorridorWindow,
    corridor_incidents,
    corridor_stations,
    line_incident_counts,
    nearest_stations,
    window_from_brush,
)
from geo.io import load_bundled
from layers.style import group_colours
from tests.conftest import make_incidents

ML3 = "ML-3 Rohri–Chaman"
COLOURS = {"BLA": "#d55e00", "BLF": "#0072b2", "Unidentified": "#6b6b6b"}


def located(*rows: dict) -> pd.DataFrame:
    """Incidents as enrich() leaves them: nearest line, distance, km post, basis."""
    base = make_incidents(
        *[
            {k: v for k, v in r.items() if not k.startswith("rail_") and k != "nearest_line"}
            for r in rows
        ]
    )
    for column in (
        "nearest_line",
        "rail_distance_km",
        "rail_km_post",
        "rail_basis",
        "rail_uncertainty_km",
    ):
        base[column] = [r.get(column, r.get(column.replace("rail_", ""), None)) for r in rows]
    return base


@pytest.fixture
def messy():
    """A Bolan stretch as real exports fill it: a stated site, a town point, a far point,
    an incident on another line, one without a km post, two groups in one cell."""
    return located(
        {
            "start": "2025-03-11 13:00",
            "groups": "BLA",
            "nearest_line": ML3,
            "rail_distance_km": 0.0,
            "rail_km_post": 276.2,
            "rail_basis": "stated site",
            "rail_uncertainty_km": 5.0,
            "fatalities_high": 31,
        },
        {
            "start": "2024-11-09",
            "groups": "BLF; BLA",
            "nearest_line": ML3,
            "rail_distance_km": 0.2,
            "rail_km_post": 381.0,
            "rail_basis": "point",
            "rail_uncertainty_km": 0.5,
        },
        {
            "start": "2023-01-20",
            "groups": "",
            "nearest_line": ML3,
            "rail_distance_km": 9.0,
            "rail_km_post": 290.0,
            "rail_basis": "imprecise point",
            "rail_uncertainty_km": 25.0,
        },
        {
            "start": "2024-06-01",
            "groups": "BLA",
            "nearest_line": ML3,
            "rail_distance_km": 40.0,
            "rail_km_post": 300.0,
            "rail_basis": "point",
            "rail_uncertainty_km": 0.5,
        },
        {
            "start": "2024-06-02",
            "groups": "BLA",
            "nearest_line": "ML-4 Quetta–Taftan",
            "rail_distance_km": 1.0,
            "rail_km_post": 25.0,
            "rail_basis": "point",
            "rail_uncertainty_km": 0.5,
        },
        {
            "start": "2024-06-03",
            "groups": "BLA",
            "nearest_line": "",
            "rail_distance_km": None,
            "rail_km_post": None,
            "rail_basis": "no point",
            "rail_uncertainty_km": None,
        },
    )


def test_corridor_keeps_the_incidents_near_the_line_in_time_order(messy):
    corridor = corridor_incidents(messy, ML3, COLOURS, max_km=10)
    assert corridor["incident_id"].tolist() == ["X-3", "X-2", "X-1"]
    assert corridor["km"].tolist() == [290.0, 381.0, 276.2]
    assert corridor["km_uncertainty"].tolist() == [25.0, 0.5, 5.0]


def test_corridor_colours_an_incident_by_its_first_group_as_the_map_does(messy):
    corridor = corridor_incidents(messy, ML3, COLOURS, max_km=10).set_index("incident_id")
    assert corridor.loc["X-2", "group"] == "BLF"
    assert corridor.loc["X-2", "colour"] == "#0072b2"
    assert corridor.loc["X-3", ["group", "colour"]].tolist() == ["Unidentified", "#6b6b6b"]


def test_imprecise_points_are_marked_and_can_be_left_out(messy):
    corridor = corridor_incidents(messy, ML3, COLOURS, max_km=10).set_index("incident_id")
    assert corridor["precise"].to_dict() == {"X-3": False, "X-2": True, "X-1": True}
    strict = corridor_incidents(messy, ML3, COLOURS, max_km=10, include_possible=False)
    assert strict["incident_id"].tolist() == ["X-2", "X-1"]


def test_a_wider_corridor_takes_the_far_incident(messy):
    corridor = corridor_incidents(messy, ML3, COLOURS, max_km=50)
    assert "X-4" in set(corridor["incident_id"])


def test_corridor_refuses_a_negative_distance(messy):
    with pytest.raises(ValueError, match=r"max_km must be a distance of 0 km or more, got -1"):
        corridor_incidents(messy, ML3, COLOURS, max_km=-1)


def test_line_counts_name_the_line_most_hit(messy):
    assert line_incident_counts(messy, 10).to_dict() == {ML3: 3, "ML-4 Quetta–Taftan": 1}


def test_brush_keeps_a_km_range_and_period(messy):
    corridor = corridor_incidents(messy, ML3, COLOURS, max_km=10)
    march_2025 = pd.Timestamp("2025-03-01").value // 1_000_000  # Vega-Lite sends epoch ms
    window = window_from_brush(
        corridor, ML3, {"km": [300, 250], "start_text": [march_2025, "2025-03-31T00:00:00Z"]}
    )
    assert window.incident_ids == ("X-1",)
    assert window.describe() == f"{ML3} km 250–300, 2025-03-01 to 2025-03-31"
    assert window.apply(messy)["incident_id"].tolist() == ["X-1"]


def test_brush_on_km_only_keeps_all_time(messy):
    corridor = corridor_incidents(messy, ML3, COLOURS, max_km=10)
    window = window_from_brush(corridor, ML3, {"km": [280, 400]})
    assert window.incident_ids == ("X-3", "X-2")
    assert window.describe() == f"{ML3} km 280–400"


@pytest.mark.parametrize("brush", [{}, None, {"km": ["a", "b"]}, {"km": [1]}, {"other": [1, 2]}])
def test_empty_or_malformed_brush_is_no_window(messy, brush):
    corridor = corridor_incidents(messy, ML3, COLOURS, max_km=10)
    assert window_from_brush(corridor, ML3, brush) is None


def test_window_key_changes_with_its_incidents():
    a = CorridorWindow(ML3, 1.0, 2.0, None, None, ("X-1",))
    b = CorridorWindow(ML3, 1.0, 2.0, None, None, ("X-1", "X-2"))
    assert a.key() != b.key()


def stations_frame(rows):
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["line", "station", "km", "placement"]),
        geometry=[Point(67, 29)] * len(rows),
        crs="EPSG:4326",
    )


def test_station_labels_do_not_crowd_and_prefer_the_stretches_hit():
    stations = stations_frame(
        [
            (ML3, "Sibi Junction", 240.0, "sourced coordinate"),
            (ML3, "Mushkaf", 257.0, "placed by km post along the drawn line"),
            (ML3, "Pehro Kunri", 266.0, "placed by km post along the drawn line"),
            (ML3, "Mach", 315.0, "sourced coordinate"),
            (ML3, "Hirok", 329.0, "placed by km post along the drawn line"),
            (ML3, "Dozan", 333.0, "placed by km post along the drawn line"),
            (ML3, "Kolpur", 341.0, "placed by km post along the drawn line"),
            ("ML-4 Quetta–Taftan", "Kanak", 60.0, "placed by km post along the drawn line"),
        ]
    )
    table = corridor_stations(stations, ML3, min_label_gap_km=10, prefer=("Kolpur", "Mushkaf"))
    assert table["station"].tolist() == [
        "Sibi Junction",
        "Mushkaf",
        "Pehro Kunri",
        "Mach",
        "Hirok",
        "Dozan",
        "Kolpur",
    ]
    labelled = table.loc[table["labelled"], "station"].tolist()
    assert labelled == ["Sibi Junction", "Mushkaf", "Mach", "Hirok", "Kolpur"]
    kms = table.loc[table["labelled"], "km"]
    assert kms.diff().dropna().min() >= 10


def test_nearest_stations_name_the_stretch_of_each_incident():
    stations = pd.DataFrame({"station": ["Sibi", "Mach", "Kolpur"], "km": [240.0, 315.0, 341.0]})
    assert nearest_stations(pd.Series([338.0, 250.0, 339.0]), stations) == ("Kolpur", "Sibi")


def test_bundled_bolan_corridor():
    bundle = load_bundled()
    enriched = enrich(
        bundle.incidents, bundle.provinces, bundle.rail_lines, bundle.stations, bundle.rail_sites
    )
    colours = group_colours(bundle.groups.names)
    corridor = corridor_incidents(enriched, ML3, colours, max_km=10).set_index("incident_id")
    # The Jaffar Express hijacking (Bolan Pass, between Pehro Kunri and Gudalar) and the Quetta
    # station bombing, both BLA, on ML-3 between Sibi (km 240) and Quetta (km 381).
    assert 240 <= corridor.loc["RAIL-008", "km"] <= 300
    assert corridor.loc["RAIL-007", "km"] == pytest.approx(381, abs=2)
    assert corridor.loc["RAIL-008", "colour"] == colours["BLA"]
    assert line_incident_counts(enriched, 10).index[0] == ML3


def test_an_incident_halfway_between_stations_names_the_one_listed_first():
    stations = pd.DataFrame({"station": ["A", "B", "C", "B2"], "km": [338.0, 250.0, 310.0, 250.0]})
    # 280 km is 30 km from B and from C; 324 km is 14 km from A and from C; B and B2 share a post.
    assert nearest_stations(pd.Series([280.0, 324.0, 250.0]), stations) == ("B", "A")
