import re
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.filters import IncidentFilter, near_rail_mask
from geo.groups import GroupRegistry
from geo.railway import (
    PLACED_BY_KM,
    PLACED_SOURCED,
    RAIL_SITE_COLUMNS,
    ViaPoint,
    build_rail_network,
    describe_rail_position,
    locate_incidents,
    locate_on_lines,
    point_at_km,
)
from tests.conftest import DATA, ROOT, make_incidents


def stations_table(rows):
    return pd.DataFrame(rows, columns=["line", "seq", "station", "km", "lat", "lon"])


def test_station_without_coordinate_is_placed_by_its_km_post():
    table = stations_table(
        [
            ("L", 1, "A", 0, 29.0, 67.0),
            ("L", 2, "B", 25, np.nan, np.nan),
            ("L", 3, "C", 100, 29.0, 68.0),
            ("L", 4, "D", np.nan, np.nan, np.nan),
        ]
    )
    network = build_rail_network(table, [])
    placed = network.stations.set_index("station")
    assert placed.loc["A", "placement"] == PLACED_SOURCED
    assert placed.loc["B", "placement"] == PLACED_BY_KM
    assert placed.loc["B"].geometry.x == pytest.approx(67.25, abs=1e-2)  # a quarter of the way
    assert list(network.unplaced["station"]) == ["D"]


def test_via_point_bends_the_line_and_km_posts_follow_the_drawn_path():
    table = stations_table([("L", 1, "A", 0, 29.0, 67.0), ("L", 2, "C", 200, 29.0, 69.0)])
    network = build_rail_network(table, [ViaPoint("L", 1, 68.0, 30.0, "bend")])
    assert len(network.lines.geometry.iloc[0].coords) == 3
    site = gpd.GeoSeries.from_xy([68.0], [30.0], crs="EPSG:4326")
    located = locate_on_lines(site, network.lines, network.stations)
    assert located["rail_km_post"].iloc[0] == pytest.approx(100, abs=1)
    assert located["rail_distance_km"].iloc[0] == pytest.approx(0, abs=1e-6)


def test_a_line_needs_two_anchors():
    table = stations_table([("L", 1, "A", 0, 29.0, 67.0), ("L", 2, "B", 9, np.nan, np.nan)])
    with pytest.raises(ValueError, match="line 'L' has 1 station\\(s\\) with coordinates; need 2"):
        build_rail_network(table, [])


def test_distance_to_line_is_measured_in_km(rail):
    lines, stations = rail
    # 0.1° of latitude north of the line is about 11.1 km.
    points = gpd.GeoSeries.from_xy([68.0], [29.1], crs="EPSG:4326")
    located = locate_on_lines(points, lines, stations)
    assert located["nearest_line"].iloc[0] == "Test line"
    assert located["rail_distance_km"].iloc[0] == pytest.approx(11.1, abs=0.3)
    assert located["rail_km_post"].iloc[0] == pytest.approx(50, abs=1)


def test_point_at_km_is_the_inverse_of_the_km_post(rail):
    lines, stations = rail
    point = point_at_km("Test line", 25, lines, stations)
    assert point.x == pytest.approx(67.75, abs=1e-3)
    assert point.y == pytest.approx(29.0, abs=1e-3)  # straight in UTM, so it bows ~80 m
    located = locate_on_lines(gpd.GeoSeries([point], crs="EPSG:4326"), lines, stations)
    assert located["rail_km_post"].iloc[0] == pytest.approx(25, abs=0.01)


def test_point_at_km_names_the_bad_post_and_the_line(rail):
    lines, stations = rail
    with pytest.raises(ValueError, match="km post 130 is outside line 'Test line'.* km 0 to 100"):
        point_at_km("Test line", 130, lines, stations)
    with pytest.raises(ValueError, match="rail line 'ML-9' is not drawn"):
        point_at_km("ML-9", 10, lines, stations)


def _sites(*rows):
    return pd.DataFrame(rows, columns=list(RAIL_SITE_COLUMNS))


def test_a_stated_site_puts_a_far_town_point_on_the_line_at_its_post(rail):
    lines, stations = rail
    # Like the Spezand bombings: the point is a town 0.3° (~33 km) off the line, but the
    # source names the station at km 40.
    incidents = make_incidents({"lon": 68.0, "lat": 29.3, "geo_precision": "district"})
    sites = _sites(("X-1", "Test line", 40.0, 2.0, "Station C (km 40)"))
    located = locate_incidents(incidents, lines, stations, sites).iloc[0]
    assert located["rail_basis"] == "stated site"
    assert located["nearest_line"] == "Test line"
    assert located["rail_distance_km"] == 0
    assert located["rail_km_post"] == 40
    assert located["rail_uncertainty_km"] == 2
    assert (
        "Station C"
        in describe_rail_position(locate_incidents(incidents, lines, stations, sites)).iloc[0]
    )


def test_each_point_precision_gets_its_own_basis(rail):
    lines, stations = rail
    incidents = make_incidents(
        {"lon": 68.0, "lat": 29.1, "geo_precision": "exact"},
        {"lon": 68.0, "lat": 29.1, "geo_precision": "near"},
        {"lon": 68.0, "lat": 29.1, "geo_precision": "district"},
        {"lon": 68.0, "lat": 29.1, "geo_precision": "province"},
    )
    located = locate_incidents(incidents, lines, stations)
    assert list(located["rail_basis"]) == ["point", "point", "imprecise point", "no point"]
    assert list(located["rail_uncertainty_km"].fillna(-1)) == [0.5, 5, 25, -1]
    assert located["rail_distance_km"].iloc[2] == pytest.approx(11.1, abs=0.3)
    assert np.isnan(located["rail_distance_km"].iloc[3])  # a province point says nothing
    texts = describe_rail_position(located)
    assert re.match(r"11\.\d km from Test line \(km post ≈ 50\), from the point", texts.iloc[0])
    assert texts.iloc[2].startswith("possibly near: the point is 11.")
    assert texts.iloc[3].startswith("no rail distance")


def test_a_site_outside_its_line_is_refused_with_the_incident_named(rail):
    lines, stations = rail
    incidents = make_incidents({"lon": 68.0, "lat": 29.3})
    with pytest.raises(ValueError, match="'X-1': km post 357 is outside line 'Test line'"):
        locate_incidents(incidents, lines, stations, _sites(("X-1", "Test line", 357.0, 2.0, "")))


@pytest.mark.parametrize(
    ("include_possible", "expected"),
    [(True, ["X-1", "X-2", "X-4"]), (False, ["X-1", "X-4"])],
)
def test_rail_filter_includes_or_excludes_the_possibly_near(rail, include_possible, expected):
    lines, stations = rail
    incidents = make_incidents(
        {"lon": 68.0, "lat": 29.05, "geo_precision": "exact"},  # 5.6 km: near
        {"lon": 68.0, "lat": 29.2, "geo_precision": "district"},  # 22 km, ±25: possibly near
        {"lon": 68.0, "lat": 29.2, "geo_precision": "near"},  # 22 km, precise: not near
        {"lon": 68.0, "lat": 29.5, "geo_precision": "district"},  # 55 km: named site on line
        {"lon": 68.0, "lat": 29.0, "geo_precision": "province"},  # province point: never
    )
    sites = _sites(("X-4", "Test line", 60.0, 2.0, "Station D"))
    enriched = incidents.join(locate_incidents(incidents, lines, stations, sites))
    flt = IncidentFilter(rail_km=10, rail_possible=include_possible)
    kept = flt.apply(enriched, GroupRegistry.from_csv(DATA / "groups.csv"))
    assert list(kept["incident_id"]) == expected
    assert (
        list(
            enriched[near_rail_mask(enriched, 10, include_possible=include_possible)]["incident_id"]
        )
        == expected
    )


def test_rail_possible_round_trips_through_the_link():
    flt = IncidentFilter(rail_km=10, rail_possible=False)
    assert flt.to_query() == {"rail_km": "10", "rail_possible": "0"}
    assert IncidentFilter.from_query(flt.to_query()) == flt
    with pytest.raises(ValueError, match="filter rail_possible='maybe' is not valid"):
        IncidentFilter.from_query({"rail_possible": "maybe"})


def test_describing_no_incidents_gives_no_text(rail):
    lines, stations = rail
    none = make_incidents({"lon": 68.0, "lat": 29.0}).iloc[:0]
    assert describe_rail_position(locate_incidents(none, lines, stations)).empty


def test_the_incident_table_says_where_the_rail_position_comes_from(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["app.py"])
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["text"] = "Spezand"
    app.run()
    app.session_state["detail_tabs_0"] = "Incidents table"  # computed only while open
    app.run()
    table = next(t.value for t in app.dataframe if "Rail position from" in t.value.columns)
    rows = table.set_index("Id")
    assert rows.loc["RAIL-014", "Rail position from"] == "stated site"
    assert rows.loc["RAIL-014", "Rail km post"] == 357
    assert rows.loc["RAIL-014", "Km to rail"] == 0
