"""The base map: basemaps to switch between, rail context, place names and map controls.

The default basemap is drawn from the bundled vector layers (Pakistan's provinces and, around
them, the neighbouring countries, international boundaries, coast and lakes), so the map works
with no internet; street, satellite and terrain tiles are offered in the layer control for when
tiles can load. When a tile basemap is chosen and its tiles do not load, the map says so and
offers the offline basemap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import xyzservices
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.region import RegionContext
from layers.context import OverlayData, build_rail_layer, build_station_layer
from layers.incidents import escaped_json
from layers.labels import GEOGRAPHY_CSS, GEOGRAPHY_JS, LayerAttribution, PlaceLabels

PAKISTAN_CENTER = (29.8, 69.3)
PAKISTAN_ZOOM = 5
MIN_ZOOM, MAX_ZOOM = 4, 16
OFFLINE_BASEMAP = "Offline vector basemap"
# Drawn in Leaflet's tile pane, below every overlay: the offline basemap and the tile basemaps
# are alternatives, so they share the level.
BASEMAP_PANE = "tilePane"
OFFLINE_ATTRIBUTION = "Natural Earth"
SEA = "#dce8ef"
PAKISTAN_LAND = "#f3efe4"
NEIGHBOUR_LAND = "#e4e1da"
LAKE = "#c4dae6"
COAST = "#9db4c0"
BOUNDARY = "#7d7264"
TILE_FAILURES_BEFORE_NOTICE = 3
EMPTY_COLLECTION = '{"type":"FeatureCollection","features":[]}'

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

# As providers, so that folium does not search xyzservices' catalogue for each URL on every page
# run (3 ms a layer); the rendered layers are the same.
TILE_PROVIDERS = {
    spec["name"]: xyzservices.TileProvider(
        name=spec["name"], url=spec["tiles"], attribution=spec["attr"]
    )
    for spec in TILE_BASEMAPS
}


@dataclass(frozen=True)
class OfflineBasemapData:
    """The offline basemap's layers as GeoJSON text, serialised once and reused on every rerun."""

    provinces: str
    countries: str = EMPTY_COLLECTION
    lakes: str = EMPTY_COLLECTION
    boundaries: str = EMPTY_COLLECTION


def _geometry_json(frame: gpd.GeoDataFrame) -> str:
    """Return the geometries of ``frame`` as GeoJSON text safe inside a ``<script>``."""
    return escaped_json(json.loads(frame[["geometry"]].to_json(drop_id=True)))


def offline_basemap_data(
    provinces: gpd.GeoDataFrame, context: RegionContext | None = None
) -> OfflineBasemapData:
    """Serialise the layers of the offline basemap.

    Parameters
    ----------
    provinces : geopandas.GeoDataFrame
        Province polygons (simplified for display).
    context : RegionContext, optional
        Neighbouring countries, lakes and international boundaries (see
        :func:`geo.region.display_context`).

    Returns
    -------
    OfflineBasemapData
    """
    if context is None:
        return OfflineBasemapData(provinces=_geometry_json(provinces))
    neighbours = context.countries[context.countries["name"] != "Pakistan"]
    return OfflineBasemapData(
        provinces=_geometry_json(provinces),
        countries=_geometry_json(neighbours),
        lakes=_geometry_json(context.lakes),
        boundaries=_geometry_json(context.boundaries),
    )


class StaticGeoJson(MacroElement):
    """GeoJSON text drawn with one fixed style, in the tile pane, taking no clicks.

    Parameters
    ----------
    geojson : str
        A FeatureCollection, already serialised (see :func:`offline_basemap_data`).
    style : dict
        Leaflet path options.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.geoJSON({{ this.geojson }}, {
                style: {{ this.style | tojavascript }},
                interactive: false,
                pane: {{ this.pane | tojson }},
                smoothFactor: 1.5
            }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, geojson: str, style: dict[str, object]) -> None:
        super().__init__()
        self._name = "StaticGeoJson"
        self.geojson = geojson
        self.style = style
        self.pane = BASEMAP_PANE


def build_offline_basemap(
    provinces: gpd.GeoDataFrame | None = None,
    context: RegionContext | None = None,
    *,
    data: OfflineBasemapData | None = None,
) -> folium.FeatureGroup:
    """Return a base layer drawn from bundled vector data (no tiles needed).

    Parameters
    ----------
    provinces : geopandas.GeoDataFrame, optional
        Province polygons; not needed when ``data`` is given.
    context : RegionContext, optional
        Neighbouring countries, lakes and international boundaries. Without it, Pakistan alone
        on the sea colour.
    data : OfflineBasemapData, optional
        The same layers already serialised by :func:`offline_basemap_data` (fast on reruns).

    Returns
    -------
    folium.FeatureGroup
        A base layer (``overlay=False``) for the layer control, drawn in the tile pane and taking
        no clicks.
    """
    if data is None:
        if provinces is None:
            msg = "build_offline_basemap needs provinces or data; got neither"
            raise ValueError(msg)
        data = offline_basemap_data(provinces, context)
    group = folium.FeatureGroup(name=OFFLINE_BASEMAP, overlay=False, control=True, show=True)
    LayerAttribution(OFFLINE_ATTRIBUTION).add_to(group)
    land = {"fillOpacity": 1, "color": COAST, "weight": 0.8}
    StaticGeoJson(data.countries, {**land, "fillColor": NEIGHBOUR_LAND}).add_to(group)
    StaticGeoJson(data.provinces, {**land, "fillColor": PAKISTAN_LAND, "color": "#b9b2a1"}).add_to(
        group
    )
    StaticGeoJson(data.lakes, {**land, "fillColor": LAKE, "weight": 0.6}).add_to(group)
    StaticGeoJson(
        data.boundaries,
        {"color": BOUNDARY, "weight": 1.4, "opacity": 0.9, "dashArray": "6 3", "fill": False},
    ).add_to(group)
    return group


class BasemapStatus(JSCSSMixin, MacroElement):
    """Watch the tile basemaps: when the one shown cannot load its tiles, say so on the map.

    The notice names the basemap and offers a button that switches to the offline basemap.

    Parameters
    ----------
    tiles : list of folium.TileLayer
        The tile basemaps.
    offline : folium.FeatureGroup
        The offline basemap.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.basemapStatus(
            {{ this._parent.get_name() }},
            [{% for tile in this.tiles %}
                {name: {{ tile.tile_name | tojson }}, layer: {{ tile.get_name() }}},
            {% endfor %}],
            {{ this.offline.get_name() }},
            {failuresBeforeNotice: {{ this.failures }}}
        );
        {% endmacro %}
        """
    )
    default_js = [GEOGRAPHY_JS]
    default_css = [GEOGRAPHY_CSS]

    def __init__(self, tiles: list[folium.TileLayer], offline: folium.FeatureGroup) -> None:
        super().__init__()
        self._name = "BasemapStatus"
        self.tiles = tiles
        self.offline = offline
        self.failures = TILE_FAILURES_BEFORE_NOTICE


def build_base_map(
    provinces: gpd.GeoDataFrame,
    rail_lines: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    basemap: str = OFFLINE_BASEMAP,
    context: RegionContext | None = None,
    offline_data: OfflineBasemapData | None = None,
    labels: pd.DataFrame | None = None,
    overlay_data: OverlayData | None = None,
) -> folium.Map:
    """Return the map that stays the same whatever the filters.

    Parameters
    ----------
    provinces, rail_lines, stations : geopandas.GeoDataFrame
        Bundled layers.
    basemap : str
        Name of the basemap shown first: :data:`OFFLINE_BASEMAP` or a name in
        :data:`TILE_BASEMAPS`.
    context : RegionContext, optional
        Neighbouring countries, boundaries and lakes for the offline basemap.
    offline_data : OfflineBasemapData, optional
        The offline basemap already serialised (overrides ``provinces`` and ``context`` there).
    labels : pandas.DataFrame, optional
        Place labels (:func:`geo.region.label_table`), drawn over every basemap.
    overlay_data : OverlayData, optional
        ``rail_lines`` and ``stations`` already serialised (used instead of the frames).

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
        Element(f"<style>.leaflet-container {{ background: {SEA}; }}</style>")
    )
    offline = build_offline_basemap(provinces, context, data=offline_data)
    offline.show = basemap == OFFLINE_BASEMAP
    offline.add_to(m)
    tiles = []
    for spec in TILE_BASEMAPS:
        tile = folium.TileLayer(
            tiles=TILE_PROVIDERS[spec["name"]],
            attr=spec["attr"],
            name=spec["name"],
            overlay=False,
            control=True,
            show=spec["name"] == basemap,
            max_zoom=MAX_ZOOM,
        )
        tile.add_to(m)
        tiles.append(tile)
    BasemapStatus(tiles, offline).add_to(m)
    overlays = overlay_data or OverlayData.of(rail_lines, stations)
    build_rail_layer(overlays.rail_lines).add_to(m)
    build_station_layer(overlays.stations).add_to(m)
    if labels is not None:
        PlaceLabels(labels).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.plugins.MeasureControl(
        position="topleft", primary_length_unit="kilometers", secondary_length_unit="meters"
    ).add_to(m)
    return m
