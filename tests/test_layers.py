import base64
import json
import re

import folium
import pandas as pd
import pytest
from branca.element import MacroElement

from layers.assets import localize_assets
from layers.basemap import OFFLINE_BASEMAP, build_base_map
from layers.context import (
    ProvinceOutlines,
    build_province_layer,
    build_station_layer,
    station_style,
)
from layers.incidents import (
    build_heatmap_layer,
    build_incident_layer,
    compact_payload,
    escaped_json,
    incident_payload,
)
from layers.panes import PANES, add_panes, put_in_pane
from layers.style import PALETTE, UNIDENTIFIED_COLOUR, group_colours, hashed_colour, marker_radius
from layers.view import MapView
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
    build_heatmap_layer(show=True).add_to(m)
    folium.LayerControl().add_to(m)
    return localize_assets(m)


def test_every_script_and_stylesheet_is_served_by_the_app(provinces, rail, stations, incidents):
    html = render(full_map(provinces, rail, stations, incidents))
    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert urls, "the map lists its assets"
    assert all(url.startswith("/app/static/") for url in urls), urls
    # Scripts for features the map does not use are not loaded, and nothing calls them.
    assert not [url for url in urls if "jquery" in url or "bootstrap.bundle" in url], urls
    assert "$(" not in html and "jQuery" not in html and "AwesomeMarkers" not in html
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


def province_properties(layer) -> dict[str, dict]:
    m = folium.Map(tiles=None)
    layer.add_to(m)
    html = render(m)
    data = json.loads(re.search(r"_add\((\{.*?\})\);", html, re.S).group(1).replace("\\u0026", "&"))
    return {f["properties"]["iso_3166_2"]: f["properties"] for f in data["features"]}


def test_outlines_serialised_once_give_each_map_its_own_counts(provinces):
    hostile = provinces.assign(name=["<b>West</b>", "East"])
    outlines = ProvinceOutlines.of(hostile)
    # Two sessions' maps built before either is rendered: neither sees the other's counts.
    layers = [
        build_province_layer(outlines, pd.Series(c)) for c in ({"<b>West</b>": 3}, {"East": 7})
    ]
    first, second = (province_properties(layer) for layer in layers)
    assert (first["XX-W"]["incidents"], first["XX-E"]["incidents"]) == ("3", "0")
    assert (second["XX-W"]["incidents"], second["XX-E"]["incidents"]) == ("0", "7")
    assert second["XX-W"]["name"] == "&lt;b&gt;West&lt;/b&gt;"
    from_frame = province_properties(build_province_layer(hostile, pd.Series({"East": 7})))
    assert from_frame == second


def test_stations_placed_by_km_are_drawn_hollow(stations):
    m = folium.Map(tiles=None)
    build_station_layer(stations, show=True).add_to(m)
    html = render(m)
    assert "placed by km post along the drawn line" in html
    sourced = {"properties": {"placement": "sourced coordinate"}}
    placed = {"properties": {"placement": "placed by km post along the drawn line"}}
    assert station_style(sourced)["fillColor"] == "#222"
    assert station_style(placed)["fillColor"] == "#fff"


def test_any_group_gets_a_stable_colour_that_is_not_unidentified_grey():
    registry = [f"Registry {k}" for k in range(len(PALETTE))]
    gtd_names = [f"Group from a GTD export {k}" for k in range(60)]
    colours = group_colours([*registry, *gtd_names, "Unidentified"])
    assert [colours[g] for g in registry] == list(PALETTE)
    assert colours["Unidentified"] == UNIDENTIFIED_COLOUR
    others = [colours[g] for g in gtd_names]
    assert UNIDENTIFIED_COLOUR not in others
    assert len(set(others)) == len(others)  # distinct
    assert others == [hashed_colour(g) for g in gtd_names]  # stable: the name decides
    assert hashed_colour("Lashkar-e-Jhangvi") == hashed_colour("Lashkar-e-Jhangvi")
    red, green, blue = (int(hashed_colour("x")[k : k + 2], 16) for k in (1, 3, 5))
    assert max(red, green, blue) - min(red, green, blue) > 40  # a colour, not a grey


def test_payloads_mark_flagged_incidents_and_work_without_a_flags_column(incidents):
    colours = group_colours(["BLA", "TTP", "Unidentified"])
    flagged = incidents.assign(flags=["far-from-place; province-mismatch", ""])
    assert incident_payload(flagged, colours)["columns"]["f"] == [1, 0]
    without = incidents.drop(columns="flags", errors="ignore")
    assert incident_payload(without, colours)["columns"]["f"] == [0, 0]
    compact = compact_payload(flagged, colours)["columns"]
    assert compact["f"]["offset"] + base64.b64decode(compact["f"]["data"])[0] == 1
    assert compact["flags"]["dict"][0] == "far-from-place; province-mismatch"


def test_incidents_are_drawn_above_provinces_and_the_basemap(provinces, rail, stations, incidents):
    m = full_map(provinces, rail, stations, incidents)
    add_panes(m)
    put_in_pane(m, "provinces")
    html = render(m)
    created = [html.index(f'createPane(\n                "{name}")') for name in PANES]
    first_layer = html.index("L.geoJson(")
    assert max(created) < first_layer  # panes exist before any layer uses them
    # Rail lines and stations stay in Leaflet's overlay pane (z-index 400).
    assert 200 < PANES["provinces"] < PANES["heat"] < 400 < PANES["incidents"]  # tilePane: 200
    assert '"pane": "provinces"' in html
    with pytest.raises(ValueError, match="pane 'sky' is not one of"):
        put_in_pane(m, "sky")


@pytest.mark.parametrize(
    ("query", "expected", "problem"),
    [
        ({}, MapView(), None),
        ({"view": "30.19,67.0,10"}, MapView(center=(30.19, 67.0), zoom=10), None),
        (
            {"view": "30.19,67.0,10", "basemap": "Satellite", "layers": "incidents,rail,heatmap"},
            MapView(
                center=(30.19, 67.0),
                zoom=10,
                basemap="Satellite (Esri World Imagery)",
                overlays=("incidents", "heatmap", "rail"),
            ),
            None,
        ),
        ({"view": "30,67,99"}, MapView(), "view='30,67,99' is not 'latitude,longitude,zoom'"),
        ({"view": "nan,1,5"}, MapView(), "view='nan,1,5'"),
        ({"basemap": "moon"}, MapView(), "basemap='moon' is not one of offline, street"),
        (
            {"layers": "incidents,<script>"},
            MapView(overlays=("incidents",)),
            "layers: '<script>' not known",
        ),
    ],
)
def test_the_link_reopens_the_map_view(query, expected, problem):
    view = MapView.from_query(query)
    assert view == expected
    if problem is None:
        assert view.problems == ()
    else:
        assert problem in view.problems[0]


def test_popups_carry_the_sources_own_death_toll_beside_the_non_attacker_count():
    from pathlib import Path

    from geo.importers import import_incidents
    from layers.incidents import compact_payload, incident_payload

    path = Path(__file__).parent / "fixtures" / "imports" / "real" / "gtd_cut.csv"
    incidents = import_incidents(path, name=path.name).incidents
    colours = group_colours([])
    full = incident_payload(incidents, colours)["columns"]
    expected = [
        "" if pd.isna(v) else str(int(v)) for v in incidents["deaths_reported"].astype("Float64")
    ]
    assert full["deaths"] == expected
    assert any(expected), "the GTD fixture gives death tolls"
    compact = compact_payload(incidents, colours)["columns"]["deaths"]
    codes = base64.b64decode(compact["codes"]["data"])
    assert [compact["dict"][c + compact["codes"]["offset"]] for c in codes] == expected


def test_a_map_of_folium_features_that_call_them_keeps_its_scripts(provinces, rail, stations):
    lines, _ = rail
    lines = lines.assign(from_station="A", to_station="B", km_end=100.0)
    m = build_base_map(provinces, lines, stations)
    folium.plugins.FastMarkerCluster([[30.2, 67.0], [30.3, 67.1]]).add_to(m)
    html = render(localize_assets(m, drop_unused_scripts=False))
    assert "L.AwesomeMarkers.icon" in html  # FastMarkerCluster's default marker calls it
    assert "/app/static/vendor/awesome-markers/js/leaflet.awesome-markers.min.js" in html


def test_elements_rendered_as_text_give_the_page_branca_would(
    provinces, rail, stations, incidents, monkeypatch
):
    from branca.element import Element

    from layers.rendered import COMPILED_RENDER

    def page() -> str:
        ids = iter(range(10**6))  # the same element ids in both maps
        monkeypatch.setattr(Element, "_generate_id", classmethod(lambda cls: f"{next(ids):032x}"))
        return render(full_map(provinces, rail, stations, incidents))

    as_text = page()
    assert "L.geoJSON(" in as_text and "window.incidentLayer(" in as_text  # the elements changed
    monkeypatch.setattr(MacroElement, "render", COMPILED_RENDER)
    assert page() == as_text


def test_the_map_loads_its_scripts_in_one_file_in_page_order(provinces, rail, stations, incidents):
    from layers.assets import STATIC_ROOT, bundle_scripts

    separate = re.findall(
        r'<script src="([^"]+)"', render(full_map(provinces, rail, stations, incidents))
    )
    assert len(separate) > 3
    m = bundle_scripts(full_map(provinces, rail, stations, incidents))
    bundled = re.findall(r'<script src="([^"]+)"', render(m))
    assert len(bundled) == 1 and bundled[0].startswith("/app/static/cache/map-scripts-")
    text = (STATIC_ROOT / bundled[0].removeprefix("/app/static/")).read_text(encoding="utf-8")
    starts = [text.index(f"/* {url} */") for url in separate]
    assert starts == sorted(starts)  # Leaflet before the plugins that extend it
    assert "sourceMappingURL" not in text  # no request for a map file that is not there


def test_a_script_from_elsewhere_is_not_bundled(provinces, rail, stations):
    from layers.assets import bundle_scripts

    m = build_base_map(
        provinces, rail[0].assign(from_station="A", to_station="B", km_end=1.0), stations
    )
    m.default_js = [("outside", "https://example.org/x.js")]
    with pytest.raises(ValueError, match="'https://example.org/x.js' is not served from the app"):
        bundle_scripts(m)


@pytest.mark.parametrize(
    "text",
    ["{{ 7*7 }} killed", "{% for x in [1] %}loop{% endfor %}", "{{ cycler.__init__.__globals__ }}"],
)
def test_template_syntax_in_data_is_shown_as_written_never_evaluated(text):
    # branca compiles a layer's rendered script again as a Jinja template; data in it must not
    # be evaluated on the server ("{{ 7*7 }}" became "49" before layers/rendered.py).
    incidents = make_incidents({"summary": text, "place": text, "groups": "BLA"})
    m = folium.Map()
    build_incident_layer(incidents, group_colours(["BLA"])).add_to(m)
    page = render(m)
    assert json.dumps(text)[1:-1] in page  # evaluated, it would be gone
    assert "49 killed" not in page


def test_text_in_any_folium_element_is_shown_as_written():
    # Not only this project's layers: a tooltip of folium's own marker is rendered once, as text.
    m = folium.Map()
    folium.Marker([30.2, 67.0], tooltip="{{ 7*7 }} killed").add_to(m)
    page = render(m)
    assert "{{ 7*7 }} killed" in page and "49 killed" not in page


def _decoded_ids(encoded: dict) -> list[str]:
    """What static/js/incident_layer.js makes of an encoded id column."""
    import numpy as np

    def ints(column: dict) -> list[int]:
        kind = {"Uint8": "<u1", "Uint16": "<u2", "Uint32": "<u4"}[column["int"]]
        values = np.frombuffer(base64.b64decode(column["data"]), dtype=kind)
        return [int(v) + column["offset"] for v in values]

    out = []
    for code, number in zip(ints(encoded["codes"]), ints(encoded["numbers"]), strict=True):
        prefix, width = encoded["ids"][code]
        out.append(f"{prefix}{number:0{width}d}" if width else prefix)
    return out


@pytest.mark.parametrize(
    "ids",
    [
        ["SYN-0000001", "SYN-0000002"],
        ["RAIL-001", "RAIL-012"],
        ["X-1", "X-10"],
        ["RAIL-٣12", "RAIL-٣13"],  # Arabic-Indic digit: not a number to re-pad
        ["x-12\n", "x-13"],  # a line break at the end is part of the id
        ["ڈھاڈر-7", "ڈھاڈر-8"],
        ["SYN-0000001", "EV:RAIL-003", "RAIL-003", "201901010001", "PAK123", "SYN-0000002"],
        ["0007", "7", "x", "x9", ""],
    ],
)
def test_every_incident_id_reaches_the_map_as_written(ids):
    from layers.incidents import _encode_ids

    assert _decoded_ids(_encode_ids(pd.Series(ids, dtype="str"))) == ids


def test_ids_of_several_datasets_and_events_are_a_few_prefixes_and_numbers():
    from layers.incidents import _encode_ids

    ids = [f"SYN-{k:07d}" for k in range(1, 2001)] + ["EV:RAIL-003", "RAIL-012", "EV:RAIL-004"]
    encoded = _encode_ids(pd.Series(ids, dtype="str"))
    assert encoded["ids"] == [["SYN-", 7], ["EV:RAIL-", 3], ["RAIL-", 3]]  # not 2,003 texts
    assert _decoded_ids(encoded) == ids


def test_ids_of_two_joined_datasets_reach_the_map_as_written():
    """Reports of two datasets together: the id column is held in two chunks."""
    from layers.incidents import _encode_ids

    ids = pd.concat([pd.Series(["SYN-01"], dtype="str"), pd.Series(["SYN-02"], dtype="str")])
    assert _decoded_ids(_encode_ids(ids.reset_index(drop=True))) == ["SYN-01", "SYN-02"]
