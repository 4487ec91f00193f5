import json
import re

import folium
import pandas as pd
import pytest
from branca.element import MacroElement

from layers.assets import localize_assets
from layers.basemap import OFFLINE_BASEMAP, build_base_map
from layers.context import build_province_layer, build_station_layer, station_style
from layers.incidents import (
    build_heatmap_layer,
    build_incident_layer,
    escaped_json,
    incident_payload,
)
from layers.style import group_colours, marker_radius
from tests.conftest import make_incidents

HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


@pytest.fixture
def incidents():
    source = {"publisher": "P'ub", "title": HOSTILE, "date": "", "url": "javascript:alert(3)"}
    return make_incidents(
        {
            "summary": HOSTILE,
            "place": HOSTILE,
            "groups": "BLA",
            "fatalities_low": 24,
            "fatalities_high": 32,
            "sources": [source],
            "geo_precision": "near",
        },
        {"groups": "TTP", "geo_precision": "district", "lon": 71.5, "lat": 34.0},
    )


@pytest.fixture
def stations(rail):
    _, stations = rail
    return stations.assign(
        placement=["sourced coordinate", "placed by km post along the drawn line"]
    )


def render(m: folium.Map) -> str:
    return m.get_root().render()


def full_map(provinces, rail, stations, incidents):
    lines, _ = rail
    lines = lines.assign(from_station="A", to_station="B", km_end=100.0)
    m = build_base_map(provinces, lines, stations)
    colours = group_colours(["BLA", "TTP", "Unidentified"])
    build_province_layer(provinces, incidents["province"].value_counts()).add_to(m)
    build_incident_layer(incidents, colours).add_to(m)
    build_heatmap_layer(incidents).add_to(m)
    folium.LayerControl().add_to(m)
    return localize_assets(m)


def test_every_script_and_stylesheet_is_served_by_the_app(provinces, rail, stations, incidents):
    html = render(full_map(provinces, rail, stations, incidents))
    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert urls, "the map lists its assets"
    assert all(url.startswith("/app/static/") for url in urls), urls
    assert "/app/static/vendor/jquery/jquery.min.js" in urls  # st_folium's frame needs jQuery
    assert "/app/static/js/incident_layer.js" in urls
    assert "cdn." not in html and "netdna" not in html


def test_unknown_external_asset_is_refused():
    class Plugin(folium.elements.JSCSSMixin, MacroElement):
        default_js = [("x", "https://cdn.example.com/x.js")]

    m = folium.Map(tiles=None)
    Plugin().add_to(m)
    with pytest.raises(ValueError, match=r"asset 'https://cdn.example.com/x.js' has no local copy"):
        localize_assets(m)


def test_data_text_never_appears_as_markup(provinces, rail, stations, incidents):
    html = render(full_map(provinces, rail, stations, incidents))
    assert "<img src=x" not in html
    assert "alert(2)</script>" not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html  # kept, as escaped text


def test_escaped_json_cannot_close_a_script():
    text = escaped_json({"a": "</script><!-- & ' \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert json.loads(text) == {"a": "</script><!-- & ' \u2028"}


def test_payload_colours_sizes_precision_and_details(incidents):
    colours = group_colours(["BLA", "TTP", "Unidentified"])
    payload = incident_payload(incidents, colours)
    columns = payload["columns"]
    assert payload["groups"] == ["BLA", "TTP"]
    assert payload["colours"] == [colours["BLA"], colours["TTP"]]
    assert columns["g"] == [0, 1]
    assert columns["r"] == [marker_radius(32), marker_radius(None)]
    assert columns["p"] == [1, 2]  # near, district
    assert columns["killed"] == ["24–32", "unknown"]
    assert columns["sources"][0] == [["P'ub", HOSTILE, "", "javascript:alert(3)"]]
    compact = incident_payload(incidents, colours, details=False)["columns"]
    assert "sources" not in compact and "summary" not in compact


def test_marker_size_grows_with_deaths_and_is_capped():
    assert marker_radius(None) == marker_radius(0) == 5.0
    assert marker_radius(4) < marker_radius(25) < marker_radius(100) == 22.0


def test_offline_basemap_is_shown_first_and_tiles_are_optional(provinces, rail, stations):
    lines, _ = rail
    lines = lines.assign(from_station="A", to_station="B", km_end=100.0)
    m = build_base_map(provinces, lines, stations)
    folium.LayerControl().add_to(m)
    html = render(m)
    offline = re.search(rf'"{OFFLINE_BASEMAP}" : (feature_group_\w+)', html).group(1)
    assert f"{offline}.addTo(" in html
    # Tile layers are created but not added to the map at start.
    tile_vars = re.findall(r"var (tile_layer_\w+) = L\.tileLayer", html)
    assert len(tile_vars) == 3
    for name in tile_vars:
        assert f"{name}.addTo(" not in html
    with pytest.raises(ValueError, match="basemap 'Moon' is not one of"):
        build_base_map(provinces, lines, stations, basemap="Moon")


def test_province_tooltip_shows_count_and_escapes_names(provinces):
    hostile = provinces.assign(name=["<b>West</b>", "East"])
    layer = build_province_layer(hostile, pd.Series({"<b>West</b>": 3}))
    m = folium.Map(tiles=None)
    layer.add_to(m)
    html = render(m)
    assert "<b>West</b>" not in html
    assert "Incidents shown" in html
    data = json.loads(re.search(r"_add\((\{.*?\})\);", html, re.S).group(1).replace("\\u0026", "&"))
    properties = {f["properties"]["iso_3166_2"]: f["properties"] for f in data["features"]}
    assert properties["XX-W"]["incidents"] == "3"
    assert properties["XX-W"]["name"] == "&lt;b&gt;West&lt;/b&gt;"
    assert properties["XX-E"]["incidents"] == "0"


def test_stations_placed_by_km_are_drawn_hollow(stations):
    m = folium.Map(tiles=None)
    build_station_layer(stations, show=True).add_to(m)
    html = render(m)
    assert "placed by km post along the drawn line" in html
    sourced = {"properties": {"placement": "sourced coordinate"}}
    placed = {"properties": {"placement": "placed by km post along the drawn line"}}
    assert station_style(sourced)["fillColor"] == "#222"
    assert station_style(placed)["fillColor"] == "#fff"
