"""The base map: basemaps to switch between, rail context, and map controls.

The default basemap is drawn from the bundled vector layers, so the map works with no internet;
street, satellite and terrain tiles are offered in the layer control for when tiles can load.
"""

from __future__ import annotations

import folium
import folium.plugins
import geopandas as gpd
from branca.element import Element

from layers.context import build_rail_layer, build_station_layer

PAKISTAN_CENTER = (29.8, 69.3)
PAKISTAN_ZOOM = 5
MIN_ZOOM, MAX_ZOOM = 4, 16
OFFLINE_BASEMAP = "Offline vector basemap"

TILE_BASEMAPS = (
    {
        "name": "Street map (OpenStreetMap)",
        "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors",
    },
    {
        "name": "Satellite (Esri World Imagery)",
        "tiles": "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
        "attr": "Tiles &copy; Esri, Maxar, Earthstar Geographics",
    },
    {
        "name": "Terrain (OpenTopoMap)",
        "tiles": "https://a.tile.opentopomap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors, SRTM; style &copy; OpenTopoMap (CC-BY-SA)",
    },
)


def build_offline_basemap(provinces: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Return a base layer drawn from the bundled province polygons (no tiles needed).

    Parameters
    ----------
    provinces : geopandas.GeoDataFrame
        Province polygons.

    Returns
    -------
    folium.FeatureGroup
        A base layer (``overlay=False``) for the layer control.
    """
    group = folium.FeatureGroup(name=OFFLINE_BASEMAP, overlay=False, control=True, show=True)
    folium.GeoJson(
        provinces[["name", "geometry"]],
        style_function=lambda _: {
            "fillColor": "#f3efe4",
            "fillOpacity": 1,
            "color": "#b9b2a1",
            "weight": 0.8,
        },
        interactive=False,
        control=False,
    ).add_to(group)
    return group


def build_base_map(
    provinces: gpd.GeoDataFrame,
    rail_lines: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    basemap: str = OFFLINE_BASEMAP,
) -> folium.Map:
    """Return the map that stays the same whatever the filters.

    Parameters
    ----------
    provinces, rail_lines, stations : geopandas.GeoDataFrame
        Bundled layers.
    basemap : str
        Name of the basemap shown first: :data:`OFFLINE_BASEMAP` or a name in
        :data:`TILE_BASEMAPS`.

    Returns
    -------
    folium.Map
        With basemaps, rail lines, stations, fullscreen and distance-measure controls. Incident
        layers are added per view with ``st_folium(feature_group_to_add=...)``.
    """
    known = [OFFLINE_BASEMAP, *(b["name"] for b in TILE_BASEMAPS)]
    if basemap not in known:
        msg = f"basemap {basemap!r} is not one of {known}"
        raise ValueError(msg)
    m = folium.Map(
        location=PAKISTAN_CENTER,
        zoom_start=PAKISTAN_ZOOM,
        tiles=None,
        prefer_canvas=False,
        control_scale=True,
    )
    # Folium passes zoom limits to its own tile layer only; with tiles=None the map itself needs
    # them (Leaflet.markercluster refuses a map without maxZoom).
    m.options.update(minZoom=MIN_ZOOM, maxZoom=MAX_ZOOM)
    # A sea-coloured background for the vector basemap; tiles cover it when they load.
    m.get_root().header.add_child(
        Element("<style>.leaflet-container { background: #dce8ef; }</style>")
    )
    offline = build_offline_basemap(provinces)
    offline.show = basemap == OFFLINE_BASEMAP
    offline.add_to(m)
    for spec in TILE_BASEMAPS:
        folium.TileLayer(
            tiles=spec["tiles"],
            attr=spec["attr"],
            name=spec["name"],
            overlay=False,
            control=True,
            show=spec["name"] == basemap,
            max_zoom=MAX_ZOOM,
        ).add_to(m)
    build_rail_layer(rail_lines).add_to(m)
    build_station_layer(stations).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.plugins.MeasureControl(
        position="topleft", primary_length_unit="kilometers", secondary_length_unit="meters"
    ).add_to(m)
    return m
