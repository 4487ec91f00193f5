"""The incident layer: coloured, sized, clustered points with full details and time playback.

:class:`IncidentLayer` sends the incidents to the browser once, as escaped JSON, and draws them
with Leaflet circle markers (canvas when there are many), grouped by Leaflet.markercluster where
they are dense. Popups and tooltips are built in the browser with every text value escaped, and
source links are only made for ``http(s)`` URLs, so no text from data ever runs as HTML or
JavaScript. A playback control steps through time inside the map itself, which works in
``st_folium`` (folium's ``TimestampedGeoJson`` does not render there).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.aggregate import first_group_index, hex_bins
from geo.filters import bbox_mask
from geo.railway import describe_rail_position
from geo.schema import (
    DATE_PRECISIONS,
    GEO_PRECISION_LABELS,
    GEO_PRECISIONS,
    TEXT_COLUMNS,
    split_groups,
)
from layers.style import PRECISION_STYLE, marker_radius

# Above this many incidents, markers are drawn on a canvas instead of as SVG elements.
CANVAS_THRESHOLD = 2000
# Up to this many incidents, every detail and source goes to the browser for the popups; above
# it, a compact binary payload is sent and popups point to the Incident details tab.
DETAIL_LIMIT = 2000
# At most this many incidents are drawn one by one; above it they are drawn as hexagonal bins
# counted on the server (those in the current view are drawn one by one once they fit).
POINT_CAP = 20_000
OUTSIDE_VIEW_ZOOM = 5
VIEW_PADDING = 0.25
HEAT_BIN_ZOOM = 11

DETAIL_FIELDS = (*(c for c in TEXT_COLUMNS if c not in ("country", "flags")), "flags")


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
            columns["rail"] = describe_rail_position(frame).tolist()
    return {
        "columns": columns,
        "groups": legend,
        "colours": [colours.get(g, "#6b6b6b") for g in legend],
        "precisions": list(GEO_PRECISIONS),
        "precision_labels": [GEO_PRECISION_LABELS[p] for p in GEO_PRECISIONS],
        "precision_styles": [PRECISION_STYLE[p] for p in GEO_PRECISIONS],
    }


def _encode_ints(values: np.ndarray) -> dict[str, object]:
    """Pack integers into the smallest typed array as base64 (``offset`` is added back in JS)."""
    values = np.asarray(values, dtype=np.int64)
    offset = int(values.min()) if len(values) else 0
    span = int(values.max()) - offset if len(values) else 0
    types = (("Uint8", "<u1"), ("Uint16", "<u2"), ("Uint32", "<u4"))
    fitting = [(kind, dtype) for kind, dtype in types if span <= np.iinfo(dtype).max]
    if not fitting:
        msg = f"integer column spans {span}, more than 32 bits"
        raise ValueError(msg)
    kind, dtype = fitting[0]
    data = base64.b64encode((values - offset).astype(dtype).tobytes()).decode("ascii")
    return {"int": kind, "data": data, "offset": offset}


def _encode_text(values: pd.Series) -> dict[str, object]:
    """Dictionary-encode text: each distinct value once, then a code per incident."""
    codes, uniques = pd.factorize(values.astype(str), sort=False)
    return {"dict": [str(u) for u in uniques], "codes": _encode_ints(codes)}


def _encode_ids(ids: pd.Series) -> dict[str, object]:
    """Encode ids as prefix + zero-padded number when they all share that form, else as text."""
    text = ids.astype(str)
    parts = text.str.extract(r"^(\D*)(\d{1,9})$")
    if len(text) and parts.notna().all().all():
        prefixes, digits = parts[0].unique(), parts[1]
        widths = digits.str.len().unique()
        if len(prefixes) == 1 and len(widths) == 1:
            return {
                "prefix": str(prefixes[0]),
                "width": int(widths[0]),
                "numbers": _encode_ints(digits.astype("int64").to_numpy()),
            }
    return _encode_text(text)


def _range_texts(low: pd.Series, high: pd.Series) -> pd.Series:
    """Return the :func:`_range` text of every low/high pair, computed once per distinct pair."""
    pairs = low.astype("Int64").fillna(-1).astype("int64") * (2**31) + high.astype("Int64").fillna(
        -1
    ).astype("int64")
    codes, _ = pd.factorize(pairs)
    _, first = np.unique(codes, return_index=True)
    texts = np.array([_range(low.iloc[i], high.iloc[i]) for i in first], dtype=object)
    return pd.Series(texts[codes] if len(codes) else [], index=low.index, dtype=object)


def compact_payload(incidents: gpd.GeoDataFrame, colours: dict[str, str]) -> dict[str, object]:
    """Build the compact payload for many incidents: typed arrays and dictionary-coded text.

    Sends what the markers, tooltips and short popups need (position, group, size, precision,
    dates, id, groups, place, killed and injured), about 35 bytes an incident. Everything else
    (summary, sources, rail position, notes) is in the Incident details tab; the popups say so.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema.
    colours : dict
        Colour per canonical group.

    Returns
    -------
    dict
        Like :func:`incident_payload` with ``compact`` true: ``columns`` holds encoded columns
        (``{"int", "data", "offset"}``, ``{"dict", "codes"}`` or ``{"prefix", "width",
        "numbers"}``) that ``static/js/incident_layer.js`` decodes.
    """
    frame = incidents.to_crs("EPSG:4326")
    cells = pd.unique(frame["groups"].astype(str))
    present = {(split_groups(c) or ["Unidentified"])[0] for c in cells}
    legend = [g for g in colours if g in present]
    legend += sorted(present - set(legend))
    fatalities = frame["fatalities_high"].astype("Float64").to_numpy(dtype=float, na_value=0.0)
    radius = np.minimum(5.0 + 2.2 * np.sqrt(np.maximum(fatalities, 0.0)), 22.0)
    start = frame["start"].to_numpy(dtype="datetime64[ns]")
    end = frame["end"].to_numpy(dtype="datetime64[ns]")
    t0 = start.astype("datetime64[D]").astype(np.int64)
    t1 = end.astype("datetime64[D]").astype(np.int64)
    minutes = (start - start.astype("datetime64[D]")).astype("timedelta64[m]").astype(np.int64)
    columns: dict[str, object] = {
        "lat": _encode_ints(np.round(frame.geometry.y.to_numpy() * 1e5)),
        "lon": _encode_ints(np.round(frame.geometry.x.to_numpy() * 1e5)),
        "g": _encode_ints(first_group_index(frame["groups"], legend)),
        "r": _encode_ints(np.round(radius * 10)),
        "p": _encode_ints(frame["geo_precision"].map(GEO_PRECISIONS.index).to_numpy()),
        "t0": _encode_ints(t0),
        "t1": _encode_ints(t1),
        "dp": _encode_ints(frame["date_precision"].map(DATE_PRECISIONS.index).to_numpy()),
        "hm": _encode_ints(minutes),
        "id": _encode_ids(frame["incident_id"]),
        "grp": _encode_text(frame["groups"]),
        "place": _encode_text(frame["place"]),
        "killed": _encode_text(_range_texts(frame["fatalities_low"], frame["fatalities_high"])),
        "injured": _encode_text(_range_texts(frame["injured_low"], frame["injured_high"])),
    }
    return {
        "compact": True,
        "count": len(frame),
        "columns": columns,
        "date_precisions": list(DATE_PRECISIONS),
        "groups": legend,
        "colours": [colours.get(g, "#6b6b6b") for g in legend],
        "precisions": list(GEO_PRECISIONS),
        "precision_labels": [GEO_PRECISION_LABELS[p] for p in GEO_PRECISIONS],
        "precision_styles": [PRECISION_STYLE[p] for p in GEO_PRECISIONS],
    }


@dataclass(frozen=True, eq=False)
class IncidentDisplay:
    """What the map draws for a selection: points one by one, and bins for the rest.

    ``len(points) + bins["count"].sum()`` is always the number of selected incidents.
    """

    points: gpd.GeoDataFrame
    bins: pd.DataFrame | None
    total: int
    note: str

    @property
    def aggregated(self) -> bool:
        """Whether some incidents are drawn as bins rather than one by one."""
        return self.bins is not None and len(self.bins) > 0


def plan_display(
    incidents: gpd.GeoDataFrame,
    groups: list[str],
    *,
    zoom: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    cap: int | None = None,
) -> IncidentDisplay:
    """Decide which incidents are drawn one by one and which as hexagonal bins.

    Up to ``cap`` incidents are all drawn one by one. Above it, the incidents in the current
    view (``bounds`` west, south, east, north, padded a little) are drawn one by one if they fit
    under the cap, else as bins sized for ``zoom``; those outside the view are drawn as coarse
    bins. Nothing is left out.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The selected incidents.
    groups : list of str
        Legend order (for the dominant group of a bin).
    zoom : float, optional
        Current map zoom (the opening zoom when not known).
    bounds : tuple of float, optional
        Current map view; the whole selection when not known.
    cap : int, optional
        Most incidents drawn one by one (:data:`POINT_CAP` by default).

    Returns
    -------
    IncidentDisplay
    """
    cap = POINT_CAP if cap is None else cap
    total = len(incidents)
    if total <= cap:
        return IncidentDisplay(incidents, None, total, "")
    zoom = OUTSIDE_VIEW_ZOOM if zoom is None else float(zoom)
    if bounds is None:
        inside = np.ones(total, dtype=bool)
    else:
        west, south, east, north = bounds
        pad_x, pad_y = (east - west) * VIEW_PADDING, (north - south) * VIEW_PADDING
        padded = (west - pad_x, south - pad_y, east + pad_x, north + pad_y)
        inside = bbox_mask(incidents, padded).to_numpy(dtype=bool)
    in_view, outside = incidents[inside], incidents[~inside]
    outside_bins = hex_bins(outside, min(zoom, OUTSIDE_VIEW_ZOOM), groups)
    if len(in_view) <= cap:
        bins = outside_bins
        note = (
            f"{total:,} incidents selected, more than the {cap:,} drawn one by one: the "
            f"{len(in_view):,} in and around the current view are drawn one by one, the other "
            f"{len(outside):,} as hexagonal bins counted on the server. Pan or zoom out to see "
            "them; filter to draw them all."
        )
        return IncidentDisplay(in_view, bins, total, note)
    view_bins = hex_bins(in_view, zoom, groups)
    bins = pd.concat([view_bins, outside_bins], ignore_index=True)
    note = (
        f"{total:,} incidents selected, more than the {cap:,} drawn one by one: all are shown "
        f"as {len(bins):,} hexagonal bins counted on the server (each labelled with its "
        f"incidents). Zoom in until {cap:,} or fewer are in view, or filter, to see each incident."
    )
    return IncidentDisplay(incidents.iloc[0:0], bins, total, note)


def view_from_map_state(
    state: object,
) -> tuple[float | None, tuple[float, float, float, float] | None]:
    """Return ``(zoom, (west, south, east, north))`` from what ``st_folium`` returned.

    Parameters
    ----------
    state : dict or None
        ``st_folium``'s value with ``zoom`` and ``bounds`` (``_southWest``/``_northEast``).

    Returns
    -------
    tuple
        ``(None, None)`` when the map has not reported a usable view.
    """
    if not isinstance(state, dict):
        return None, None
    zoom, bounds = state.get("zoom"), state.get("bounds")
    try:
        south_west, north_east = bounds["_southWest"], bounds["_northEast"]
        box = (
            float(south_west["lng"]),
            float(south_west["lat"]),
            float(north_east["lng"]),
            float(north_east["lat"]),
        )
    except (KeyError, TypeError, ValueError):
        return (float(zoom) if isinstance(zoom, int | float) else None), None
    if not all(np.isfinite(box)) or box[0] > box[2] or box[1] > box[3]:
        box = None
    return (float(zoom) if isinstance(zoom, int | float) else None), box


def bins_payload(bins: pd.DataFrame) -> dict[str, list]:
    """Return bins as parallel lists for the browser."""
    return {
        "lat": bins["lat"].astype(float).tolist(),
        "lon": bins["lon"].astype(float).tolist(),
        "count": bins["count"].astype(int).tolist(),
        "killed": bins["killed"].astype(int).tolist(),
        "g": bins["group"].astype(int).tolist(),
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
        display: IncidentDisplay | None = None,
    ) -> None:
        super().__init__()
        self._name = "IncidentLayer"
        display = display or IncidentDisplay(incidents, None, len(incidents), "")
        points = display.points
        if details and len(points) <= DETAIL_LIMIT:
            payload = incident_payload(points, colours, details=True)
        else:
            payload = compact_payload(points, colours)
        payload["total"] = display.total
        payload["note"] = display.note
        if display.aggregated:
            payload["bins"] = bins_payload(display.bins)
            payload["bin_colours"] = list(colours.values())
            payload["bin_groups"] = list(colours)
        self.payload = escaped_json(payload)
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
    display: IncidentDisplay | None = None,
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
        See :class:`IncidentLayer`. Full details are sent for up to :data:`DETAIL_LIMIT`
        incidents drawn one by one, a compact payload above (see :func:`compact_payload`).
    display : IncidentDisplay, optional
        Which incidents to draw one by one and which as bins (see :func:`plan_display`); all
        one by one when not given.

    Returns
    -------
    folium.FeatureGroup
    """
    group = folium.FeatureGroup(name=name, show=True)
    IncidentLayer(
        incidents, colours, cluster=cluster, details=details, playback=playback, display=display
    ).add_to(group)
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
    if len(incidents) > POINT_CAP:
        # Many incidents: the heat of each small hexagon (about 2 km) instead of every point.
        bins = hex_bins(incidents, HEAT_BIN_ZOOM, [])
        weights = (bins["killed"] + bins["count"]).astype(float)
        points = [
            [lat, lon, w] for lat, lon, w in zip(bins["lat"], bins["lon"], weights, strict=True)
        ]
    else:
        weights = incidents["fatalities_high"].fillna(0).astype(float) + 1.0
        points = [
            [round(p.y, 5), round(p.x, 5), w]
            for p, w in zip(incidents.geometry, weights, strict=True)
        ]
    if points:
        folium.plugins.HeatMap(points, radius=18, blur=14, min_opacity=0.3).add_to(group)
    return group
