"""The offline basemap's context layers, place labels and their rendering into the map."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Polygon, box

from geo.gazetteer import Place
from geo.io import DataFileError
from geo.region import display_context, label_min_zoom, label_table, load_region_context
from layers.basemap import OFFLINE_ATTRIBUTION, build_base_map, offline_basemap_data
from layers.labels import LABEL_PANE_Z, build_found_place_layer
from tests.conftest import ROOT

HOSTILE = "</script><script>alert(1)</script>"


def place(name, kind="town", population=None, **kw):
    return Place(name, kind, kw.get("lon", 67.0), kw.get("lat", 30.0), None, population, "test")


@pytest.fixture(scope="module")
def context():
    return display_context(load_region_context())


def test_bundled_context_has_pakistans_neighbours_boundaries_and_lakes(context):
    assert {"Afghanistan", "Iran", "India", "China", "Pakistan"} <= set(context.countries["name"])
    assert len(context.lakes) == 13
    assert len(context.boundaries) == 1  # all pieces merged into one (multi)line
    # The Pakistan-Afghanistan boundary passes Chaman (66.45 E, 30.92 N), within 5 km.
    chaman = gpd.GeoSeries.from_xy([66.45], [30.92], crs="EPSG:4326").to_crs("EPSG:32642")
    boundary = context.boundaries.to_crs("EPSG:32642").geometry.iloc[0]
    assert chaman.iloc[0].distance(boundary) < 5_000


def test_display_context_keeps_the_shapes(context):
    original = load_region_context()
    faces = original[original["kind"] == "country"].to_crs("EPSG:6933")
    shown = context.countries.to_crs("EPSG:6933")
    for name in ("Pakistan", "Afghanistan", "Iran"):
        before = faces[faces["name"] == name].area.iloc[0]
        after = shown[shown["name"] == name].area.iloc[0]
        assert after == pytest.approx(before, rel=0.002)


def test_region_context_file_with_an_unknown_kind_is_refused(tmp_path):
    frame = gpd.GeoDataFrame(
        {"kind": ["country", "ocean"], "name": ["A", None]},
        geometry=[box(0, 0, 1, 1), Polygon([(2, 2), (3, 2), (3, 3)])],
        crs="EPSG:4326",
    )
    path = tmp_path / "context.geojson"
    frame.to_file(path)
    with pytest.raises(DataFileError, match=r"unknown kind\(s\) \['ocean'\]"):
        load_region_context(path)


@pytest.mark.parametrize(
    ("kind", "population", "zoom"),
    [
        ("country", None, 4),
        ("province", None, 5),
        ("city", 1_565_546, 5),  # Quetta
        ("city", 219_315, 7),  # Jacobabad
        ("town", 44_542, 8),  # Mach
        ("town", 17_276, 9),  # Dadhar
        ("town", 900, 10),
        ("town", None, 10),
        ("station", None, 10),
    ],
)
def test_bigger_places_are_named_from_further_out(kind, population, zoom):
    assert label_min_zoom(place("X", kind, population)) == zoom


def test_label_table_orders_by_importance_and_leaves_out_incident_places():
    table = label_table(
        [
            place("Mach", "town", 44_542),
            place("Mach", "station"),
            place("Near Mach station", "incident place"),
            place("Quetta", "city", 1_565_546),
            place("Balochistan", "province"),
            place("Pakistan", "country"),
        ]
    )
    assert table[["name", "kind"]].values.tolist() == [
        ["Pakistan", "country"],
        ["Balochistan", "province"],
        ["Quetta", "city"],
        ["Mach", "town"],
        ["Mach", "station"],
    ]
    assert table["rank"].tolist() == [0, 1, 2, 3, 4]
    assert table.loc[0, "max_zoom"] == 7  # country names leave when the analyst zooms in


def test_offline_basemap_draws_neighbours_boundaries_and_lakes(provinces, rail, context):
    lines, stations = rail
    lines = lines.assign(from_station="A", to_station="B", km_end=100.0)
    stations = stations.assign(placement="sourced coordinate")
    data = offline_basemap_data(provinces, context)
    html = build_base_map(provinces, lines, stations, offline_data=data).get_root().render()
    assert html.count("L.geoJSON(") == 4  # neighbours, provinces, lakes, boundaries
    assert '"dashArray": "6 3"' in html  # international boundaries dashed
    assert "L.setOptions(" in html and json.dumps(OFFLINE_ATTRIBUTION) in html
    assert "window.basemapStatus(" in html
    assert len(data.countries) > 50_000


def test_labels_are_escaped_and_drawn_below_the_overlays(provinces, rail):
    lines, stations = rail
    lines = lines.assign(from_station="A", to_station="B", km_end=100.0)
    stations = stations.assign(placement="sourced coordinate")
    labels = label_table([place(HOSTILE, "city", 2_000_000)])
    html = build_base_map(provinces, lines, stations, labels=labels).get_root().render()
    assert HOSTILE not in html
    assert "\\u003c/script\\u003e" in html
    assert re.search(r"window\.placeLabels\(", html)
    assert LABEL_PANE_Z < 400  # Leaflet's overlay pane, where rail lines and incidents are


def test_found_place_ring_takes_no_clicks():
    ring = build_found_place_layer(place("Mach", lon=67.33, lat=29.86))
    html = folium_render(ring)
    assert '"className": "found-place"' in html
    css = (ROOT / "static" / "css" / "geography.css").read_text()
    assert "path.found-place { pointer-events: none !important; }" in css
    assert "[29.86, 67.33]" in html


def folium_render(layer):
    import folium

    m = folium.Map(tiles=None)
    layer.add_to(m)
    return m.get_root().render()


def test_boundary_pieces_are_merged_into_lines():
    frame = gpd.GeoDataFrame(
        {"kind": ["international boundary"] * 2, "name": [None, None]},
        geometry=[LineString([(0, 0), (1, 1)]), LineString([(1, 1), (2, 1)])],
        crs="EPSG:4326",
    )
    merged = display_context(frame).boundaries
    assert merged.geometry.iloc[0].geom_type == "LineString"
    assert merged.geometry.iloc[0].length == pytest.approx(2**0.5 + 1, rel=1e-3)
