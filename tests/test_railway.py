import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.railway import PLACED_BY_KM, PLACED_SOURCED, ViaPoint, build_rail_network, locate_on_lines


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
