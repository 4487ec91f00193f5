"""Context layers: provinces (with incident counts), rail lines and stations."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from geo.railway import PLACED_SOURCED
from layers.labels import LayerAttribution
from layers.style import RAIL_COLOURS

RAIL_ATTRIBUTION = "Rail: Wikipedia (CC BY-SA), GeoNames, UCDP GED"


def _escaped(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Return a copy whose text columns are HTML-escaped (folium tooltips insert raw HTML)."""
    out = frame.copy()
    for column in columns:
        out[column] = out[column].map(lambda v: html.escape(str(v)))
    return out


@dataclass(frozen=True)
class ProvinceOutlines:
    """Province polygons serialised once, hover text escaped; each map adds its counts.

    The polygons never change, yet were converted to GeoJSON on every page run and filter
    change: building and rendering the bundled provinces' layer took 18.6 ms, now 4.2 ms.
    """

    names: tuple[str, ...]  # as the incidents' ``province`` column spells them
    features: tuple[dict, ...]

    @classmethod
    def of(cls, provinces: gpd.GeoDataFrame) -> ProvinceOutlines:
        """Serialise polygons with ``name`` and ``iso_3166_2``."""
        frame = _escaped(provinces[["name", "iso_3166_2", "geometry"]], ["name", "iso_3166_2"])
        features = json.loads(_feature_json(frame))["features"]
        return cls(tuple(provinces["name"].astype(str)), tuple(features))

    def with_counts(self, counts: pd.Series) -> dict:
        """Return a GeoJSON FeatureCollection whose features carry ``incidents`` (0 if none)."""
        features = [
            {**feature, "properties": {**feature["properties"], "incidents": _count(counts, name)}}
            for name, feature in zip(self.names, self.features, strict=True)
        ]
        return {"type": "FeatureCollection", "features": features}


def _count(counts: pd.Series, name: str) -> str:
    value = counts.get(name, 0)
    return str(int(value)) if pd.notna(value) else "0"


def build_province_layer(
    provinces: gpd.GeoDataFrame | ProvinceOutlines, counts: pd.Series, *, name: str = "Provinces"
) -> folium.FeatureGroup:
    """Return provinces outlined, with name and incident count on hover.

    Parameters
    ----------
    provinces : geopandas.GeoDataFrame or ProvinceOutlines
        Polygons with ``name`` and ``iso_3166_2``, or their outlines serialised once (for a
        map built on every page run).
    counts : pandas.Series
        Incidents per province name (missing provinces count 0).
    name : str
        Name in the layer control.

    Returns
    -------
    folium.FeatureGroup
    """
    if not isinstance(provinces, ProvinceOutlines):
        provinces = ProvinceOutlines.of(provinces)
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(
        provinces.with_counts(counts),
        name=name,
        style_function=lambda _: {"color": "#444", "weight": 1.2, "fillOpacity": 0.03},
        highlight_function=lambda _: {"weight": 2.5, "fillOpacity": 0.1},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "iso_3166_2", "incidents"],
            aliases=["Province", "ISO 3166-2", "Incidents shown"],
            sticky=True,
        ),
    ).add_to(group)
    return group


def _feature_json(frame: gpd.GeoDataFrame) -> str:
    return json.dumps(frame.to_crs("EPSG:4326").__geo_interface__)


def rail_features(lines: gpd.GeoDataFrame) -> str:
    """Return the rail lines as GeoJSON text with the hover fields, HTML-escaped.

    Serialising the network takes about 20 ms; a page that draws its map on every run keeps
    this text (see :class:`OverlayData`) instead of converting the frame each time.
    """
    frame = lines[["line", "from_station", "to_station", "km_end", "geometry"]].copy()
    frame["km_end"] = frame["km_end"].map(lambda v: f"{v:.0f}")
    return _feature_json(_escaped(frame, ["line", "from_station", "to_station", "km_end"]))


def station_features(stations: gpd.GeoDataFrame) -> str:
    """Return the stations as GeoJSON text with the hover fields, HTML-escaped."""
    frame = stations[["station", "line", "km", "placement", "geometry"]].copy()
    frame["km"] = frame["km"].map(lambda v: "unknown" if pd.isna(v) else f"{v:g}")
    return _feature_json(_escaped(frame, ["station", "line", "km", "placement"]))


@dataclass(frozen=True)
class OverlayData:
    """The rail lines and stations serialised once (:func:`rail_features`, ...)."""

    rail_lines: str
    stations: str

    @classmethod
    def of(cls, rail_lines: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> OverlayData:
        """Serialise both layers."""
        return cls(rail_features(rail_lines), station_features(stations))


def build_rail_layer(
    lines: gpd.GeoDataFrame | str, *, name: str = "Rail lines"
) -> folium.FeatureGroup:
    """Return the rail lines coloured by line, named on hover.

    Parameters
    ----------
    lines : geopandas.GeoDataFrame or str
        LineStrings with ``line``, ``from_station``, ``to_station`` and km columns, or their
        :func:`rail_features` (serialised once, for a map built on every page run).
    name : str
        Name in the layer control.

    Returns
    -------
    folium.FeatureGroup
    """
    group = folium.FeatureGroup(name=name, show=True)
    LayerAttribution(RAIL_ATTRIBUTION).add_to(group)
    folium.GeoJson(
        json.loads(lines if isinstance(lines, str) else rail_features(lines)),
        name=name,
        style_function=lambda feature: {
            "color": RAIL_COLOURS.get(html.unescape(feature["properties"]["line"]), "#222"),
            "weight": 3,
            "opacity": 0.85,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["line", "from_station", "to_station", "km_end"],
            aliases=["Line", "From", "To", "Length (km posts)"],
            sticky=True,
        ),
    ).add_to(group)
    return group


def station_style(feature: dict) -> dict[str, object]:
    """Fill stations with a sourced coordinate; leave those placed by km post hollow."""
    sourced = feature["properties"]["placement"] == html.escape(PLACED_SOURCED)
    return {"fillColor": "#222" if sourced else "#fff", "fillOpacity": 1}


def build_station_layer(
    stations: gpd.GeoDataFrame | str, *, name: str = "Stations", show: bool = False
) -> folium.FeatureGroup:
    """Return stations as small circles, hollow where placed by km post rather than sourced.

    Parameters
    ----------
    stations : geopandas.GeoDataFrame or str
        Points with ``station``, ``line``, ``km`` and ``placement``, or their
        :func:`station_features`.
    name : str
        Name in the layer control.
    show : bool
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.FeatureGroup
    """
    group = folium.FeatureGroup(name=name, show=show)
    folium.GeoJson(
        json.loads(stations if isinstance(stations, str) else station_features(stations)),
        name=name,
        marker=folium.CircleMarker(radius=3.5, weight=1.5, color="#222"),
        style_function=station_style,
        tooltip=folium.GeoJsonTooltip(
            fields=["station", "line", "km", "placement"],
            aliases=["Station", "Line", "Km post", "Position"],
            sticky=True,
        ),
    ).add_to(group)
    return group
