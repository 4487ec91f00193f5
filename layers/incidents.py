"""The incident layer: coloured, sized, clustered points with full details and time playback.

:class:`IncidentLayer` sends the incidents to the browser once, as escaped JSON, and draws them
with Leaflet circle markers (canvas when there are many), grouped by Leaflet.markercluster where
they are dense. Popups and tooltips are built in the browser with every text value escaped, and
source links are only made for ``http(s)`` URLs, so no text from data ever runs as HTML or
JavaScript. A playback control steps through time inside the map itself, which works in
``st_folium`` (folium's ``TimestampedGeoJson`` does not render there).
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.schema import GEO_PRECISION_LABELS, GEO_PRECISIONS, TEXT_COLUMNS, split_groups
from layers.style import PRECISION_STYLE, marker_radius

# Above this many incidents, markers are drawn on a canvas instead of as SVG elements.
CANVAS_THRESHOLD = 2000

DETAIL_FIELDS = (*(c for c in TEXT_COLUMNS if c != "country"), "flags")


def escaped_json(value: object) -> str:
    r"""Serialise to JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>``, ``&``, ``'`` and the JavaScript line separators are written as ``\uXXXX``
    escapes, so a value such as ``</script>`` cannot end the script.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _range(low: object, high: object) -> str:
    """Format a low/high pair: ``"24–32"``, ``"12"`` or ``"unknown"``."""
    low_known, high_known = not pd.isna(low), not pd.isna(high)
    if low_known and high_known:
        return f"{int(low)}" if low == high else f"{int(low)}–{int(high)}"
    if low_known or high_known:
        return f"{int(low if low_known else high)}"
    return "unknown"


def _date_text(row: pd.Series) -> str:
    start, end = row["start"], row["end"]
    fmt = "%Y-%m-%d %H:%M" if row["date_precision"] == "hour" else "%Y-%m-%d"
    first, last = start.strftime(fmt), end.strftime("%Y-%m-%d")
    if row["date_precision"] in ("hour", "day") and start.normalize() == end.normalize():
        return first
    return f"{first} to {last}"


def incident_payload(
    incidents: gpd.GeoDataFrame, colours: dict[str, str], *, details: bool = True
) -> dict[str, object]:
    """Build the compact, column-wise data the browser needs to draw and describe incidents.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema, optionally enriched with ``flags`` and rail columns.
    colours : dict
        Colour per canonical group.
    details : bool
        Include every descriptive field and the sources (for popups); without it only what a
        compact popup needs is sent.

    Returns
    -------
    dict
        ``columns`` (parallel lists) and ``groups`` (legend order).
    """
    frame = incidents.to_crs("EPSG:4326")
    first_groups = [
        split_groups(g)[0] if split_groups(g) else "Unidentified" for g in frame["groups"]
    ]
    legend = [g for g in colours if g in set(first_groups)]
    legend += sorted(set(first_groups) - set(legend))
    group_index = {g: i for i, g in enumerate(legend)}
    day = pd.Timestamp("1970-01-01")
    columns: dict[str, list] = {
        "lat": [round(y, 5) for y in frame.geometry.y],
        "lon": [round(x, 5) for x in frame.geometry.x],
        "g": [group_index[g] for g in first_groups],
        "r": [marker_radius(v) for v in frame["fatalities_high"]],
        "p": [GEO_PRECISIONS.index(p) for p in frame["geo_precision"]],
        "t0": [int((s - day).days) for s in frame["start"]],
        "t1": [int((e - day).days) for e in frame["end"]],
        "id": frame["incident_id"].astype(str).tolist(),
        "date": [_date_text(row) for _, row in frame.iterrows()],
        "grp": frame["groups"].astype(str).tolist(),
        "killed": [
            _range(a, b)
            for a, b in zip(frame["fatalities_low"], frame["fatalities_high"], strict=True)
        ],
        "injured": [
            _range(a, b) for a, b in zip(frame["injured_low"], frame["injured_high"], strict=True)
        ],
        "place": frame["place"].astype(str).tolist(),
    }
    if details:
        for name in DETAIL_FIELDS:
            if name in frame:
                columns[name] = frame[name].astype(str).tolist()
        columns["sources"] = [
            [
                [s.get("publisher", ""), s.get("title", ""), s.get("date", ""), s.get("url", "")]
                for s in sources
            ]
            for sources in frame["sources"]
        ]
        if "rail_distance_km" in frame:
            columns["rail"] = [
                "" if pd.isna(d) else f"{d:.1f} km from {line} (km post ≈ {k:.0f})"
                for d, line, k in zip(
                    frame["rail_distance_km"],
                    frame["nearest_line"],
                    frame["rail_km_post"],
                    strict=True,
                )
            ]
    return {
        "columns": columns,
        "groups": legend,
        "colours": [colours.get(g, "#6b6b6b") for g in legend],
        "precisions": list(GEO_PRECISIONS),
        "precision_labels": [GEO_PRECISION_LABELS[p] for p in GEO_PRECISIONS],
        "precision_styles": [PRECISION_STYLE[p] for p in GEO_PRECISIONS],
    }


class IncidentLayer(JSCSSMixin, MacroElement):
    """Incidents drawn into their parent FeatureGroup, with legend and playback controls.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema (enriched columns are shown when present).
    colours : dict
        Colour per canonical group.
    cluster : bool
        Group dense markers with Leaflet.markercluster.
    details : bool
        Send full details for popups (see :func:`incident_payload`).
    playback : bool
        Add the time playback control.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            window.incidentLayer(
                {{ this._parent.get_name() }},
                {{ this._parent._parent.get_name() }},
                {{ this.payload }},
                {{ this.options | tojavascript }}
            );
        })();
        {% endmacro %}
        """
    )
    default_js = [
        *folium.plugins.MarkerCluster.default_js,
        ("incident_layer_js", "/app/static/js/incident_layer.js"),
    ]
    default_css = [
        *folium.plugins.MarkerCluster.default_css,
        ("incident_layer_css", "/app/static/css/incidents.css"),
    ]

    def __init__(
        self,
        incidents: gpd.GeoDataFrame,
        colours: dict[str, str],
        *,
        cluster: bool = True,
        details: bool = True,
        playback: bool = True,
        interval_ms: int = 900,
    ) -> None:
        super().__init__()
        self._name = "IncidentLayer"
        self.payload = escaped_json(incident_payload(incidents, colours, details=details))
        self.options = {
            "cluster": bool(cluster),
            "playback": bool(playback),
            "interval_ms": int(interval_ms),
            "canvas_threshold": CANVAS_THRESHOLD,
        }


def build_incident_layer(
    incidents: gpd.GeoDataFrame,
    colours: dict[str, str],
    *,
    name: str = "Incidents",
    cluster: bool = True,
    details: bool = True,
    playback: bool = True,
) -> folium.FeatureGroup:
    """Return a FeatureGroup holding the incident layer (for ``feature_group_to_add``).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema.
    colours : dict
        Colour per canonical group (see :func:`layers.style.group_colours`).
    name : str
        Name in the layer control.
    cluster, details, playback : bool
        See :class:`IncidentLayer`.

    Returns
    -------
    folium.FeatureGroup
    """
    group = folium.FeatureGroup(name=name, show=True)
    IncidentLayer(incidents, colours, cluster=cluster, details=details, playback=playback).add_to(
        group
    )
    return group


def build_heatmap_layer(
    incidents: gpd.GeoDataFrame, *, name: str = "Heatmap"
) -> folium.FeatureGroup:
    """Return a heatmap of incidents weighted by fatalities (highest report) plus one.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema.
    name : str
        Name in the layer control.

    Returns
    -------
    folium.FeatureGroup
    """
    group = folium.FeatureGroup(name=name, show=True)
    weights = incidents["fatalities_high"].fillna(0).astype(float) + 1.0
    points = [
        [round(p.y, 5), round(p.x, 5), w] for p, w in zip(incidents.geometry, weights, strict=True)
    ]
    if points:
        folium.plugins.HeatMap(points, radius=18, blur=14, min_opacity=0.3).add_to(group)
    return group
