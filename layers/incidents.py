"""The incident layer: every selected incident, clustered in the browser, with details and playback.

:class:`IncidentLayer` sends the whole selection to the browser once, as escaped JSON: plain
columns with every detail for small selections, typed arrays and dictionary-coded text for large
ones (:func:`compact_payload`, about 40 bytes an incident). ``static/js/incident_layer.js`` indexes
it with Supercluster, so panning and zooming never rerun the app: each view draws the clusters
(ringed by their groups' shares) and the single incidents that fall in it, in a pane above every
context layer (see :mod:`layers.panes`). Popups and tooltips are built in the browser with every
text value escaped, and source links are only made for ``http(s)`` URLs, so no text from data ever
runs as HTML or JavaScript. A playback control steps through time inside the map itself.
"""

from __future__ import annotations

import base64
import json

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.aggregate import first_group_index
from geo.compact import per_distinct_pair
from geo.railway import describe_rail_position
from geo.schema import (
    DATE_PRECISIONS,
    GEO_PRECISION_LABELS,
    GEO_PRECISIONS,
    TEXT_COLUMNS,
    split_groups,
)
from layers.payload import MaskedSelection, selection_mask
from layers.style import PRECISION_STYLE, RAIL_COLOURS, colour_of, marker_radius, size_key

# Up to this many incidents, every detail and source goes to the browser for the popups; above
# it, a compact binary payload is sent and popups offer the Incident details tab.
DETAIL_LIMIT = 2000
SUPERCLUSTER_JS = "https://cdn.jsdelivr.net/npm/supercluster@8.0.1/dist/supercluster.min.js"

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
        "p": precision_codes(frame).tolist(),
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
        "f": flagged(frame).astype(int).tolist(),
        "w": heat_weights(frame).tolist(),
    }
    if "reports" in frame:  # one row per event (geo.matching.event_frame)
        columns["reports"] = frame["reports"].astype(int).tolist()
    if "deaths_reported" in frame:
        columns["deaths"] = _deaths_texts(frame["deaths_reported"]).tolist()
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
        **_legend_fields(legend, colours),
    }


def _deaths_texts(deaths: pd.Series) -> pd.Series:
    """Return the source's own death toll as text ("" where it gives none)."""
    known = deaths.astype("Float64")
    return known.round().astype("Int64").astype("string").fillna("").astype(object)


def precision_codes(incidents: pd.DataFrame) -> np.ndarray:
    """Return each incident's position in :data:`GEO_PRECISIONS`.

    Rows located only to the country (-1) are never drawn, but a published dataset payload
    (:mod:`layers.payload`) holds every row, so they must not stop it being built.
    """
    known = pd.Index(list(GEO_PRECISIONS))
    return known.get_indexer(incidents["geo_precision"].astype(object)).astype(np.int64)


def flagged(incidents: pd.DataFrame) -> np.ndarray:
    """Return, per incident, whether its ``flags`` column names any flag (all false without one)."""
    if "flags" not in incidents:
        return np.zeros(len(incidents), dtype=bool)
    text = incidents["flags"].astype("string").fillna("").str.strip()
    return (text != "").to_numpy(dtype=bool)


def heat_weights(incidents: pd.DataFrame) -> np.ndarray:
    """Return the heatmap weight of each incident: people killed (highest report) plus one."""
    killed = incidents["fatalities_high"].astype("Float64").to_numpy(dtype=float, na_value=0.0)
    return (np.maximum(killed, 0.0) + 1.0).round().astype(np.int64)


def _legend_fields(legend: list[str], colours: dict[str, str]) -> dict[str, object]:
    """Return what the legend and markers need besides the incidents themselves."""
    return {
        "groups": legend,
        "colours": [colour_of(g, colours) for g in legend],
        "precisions": list(GEO_PRECISIONS),
        "precision_labels": [GEO_PRECISION_LABELS[p] for p in GEO_PRECISIONS],
        "precision_styles": [PRECISION_STYLE[p] for p in GEO_PRECISIONS],
        "size_key": size_key(),
        "rail": list(RAIL_COLOURS.items()),
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
    """Encode ids as a prefix and a zero-padded number each, the prefixes dictionary-coded.

    ``{"ids": [[prefix, width], ...], "codes": ..., "numbers": ...}``: id k reads
    ``ids[codes[k]][0]`` followed by ``numbers[k]`` padded with zeros to ``width`` digits, or
    the prefix alone where ``width`` is 0 (an id that does not end in 1-9 ASCII digits, kept as
    written). A dataset's ids share a few prefixes, also when reports of several datasets and
    events of several reports are mixed: a million of them were 15 MB of text as a dictionary.
    The split runs in Arrow (RE2, where a digit is an ASCII digit, so an id written with other
    digits is kept as text, as written); pandas' ``str.extract`` took 1.2 s for a million ids.
    """
    values = pa.array(ids.astype(str), type=pa.string())
    if isinstance(values, pa.ChunkedArray):  # a large column comes in chunks
        values = values.combine_chunks()
    parts = pc.extract_regex(values, r"^(?P<prefix>\D*)(?P<digits>\d{1,9})$")
    numbered = parts.is_valid()
    digits = pc.if_else(numbered, parts.field("digits"), "")
    prefixes = pc.if_else(numbered, parts.field("prefix"), values)
    widths = pc.utf8_length(digits)
    numbers = pc.cast(pc.if_else(numbered, digits, "0"), pa.int64())
    keys = pc.binary_join_element_wise(prefixes, pc.cast(widths, pa.string()), "\0")
    coded = pc.dictionary_encode(keys)
    distinct = [key.rsplit("\0", 1) for key in coded.dictionary.to_pylist()]
    return {
        "ids": [[prefix, int(width)] for prefix, width in distinct],
        "codes": _encode_ints(coded.indices.to_numpy(zero_copy_only=False)),
        "numbers": _encode_ints(numbers.to_numpy(zero_copy_only=False)),
    }


def compact_payload(incidents: gpd.GeoDataFrame, colours: dict[str, str]) -> dict[str, object]:
    """Build the compact payload for many incidents: typed arrays and dictionary-coded text.

    Sends what the markers, tooltips and short popups need (position, group, size, precision,
    dates, id, groups, place, killed and injured, flags, heat weight), about 40 bytes an
    incident. Everything else (summary, sources, rail position, notes) is in the Incident
    details tab; the popups say so and open it.

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
        "p": _encode_ints(precision_codes(frame)),
        "t0": _encode_ints(t0),
        "t1": _encode_ints(t1),
        "dp": _encode_ints(frame["date_precision"].map(DATE_PRECISIONS.index).to_numpy()),
        "hm": _encode_ints(minutes),
        "id": _encode_ids(frame["incident_id"]),
        "grp": _encode_text(frame["groups"]),
        "place": _encode_text(frame["place"]),
        "killed": _encode_text(
            per_distinct_pair(frame["fatalities_low"], frame["fatalities_high"], _range)
        ),
        "injured": _encode_text(
            per_distinct_pair(frame["injured_low"], frame["injured_high"], _range)
        ),
        "f": _encode_ints(flagged(frame).astype(np.int64)),
        "w": _encode_ints(heat_weights(frame)),
    }
    if "flags" in frame:
        columns["flags"] = _encode_text(frame["flags"].astype("string").fillna(""))
    if "reports" in frame:  # one row per event (geo.matching.event_frame)
        columns["reports"] = _encode_ints(frame["reports"].to_numpy(dtype=np.int64))
    if "deaths_reported" in frame:
        columns["deaths"] = _encode_text(_deaths_texts(frame["deaths_reported"]))
    return {
        "compact": True,
        "count": len(frame),
        "columns": columns,
        "date_precisions": list(DATE_PRECISIONS),
        **_legend_fields(legend, colours),
    }


class IncidentLayer(JSCSSMixin, MacroElement):
    """Incidents drawn into their parent FeatureGroup, with legend and playback controls.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame or None
        Incidents in the schema (enriched columns such as ``flags`` are shown when present);
        None when ``payload`` is given.
    colours : dict
        Colour per canonical group; other groups get their hashed colour.
    cluster : bool
        Group nearby incidents into clusters (incidents at one point are always grouped, so each
        stays reachable).
    details : bool
        Send full details for popups when the selection is small (see :func:`incident_payload`).
    playback : bool
        Add the time playback control.
    interval_ms : int
        Time per period when playing.
    link_state : dict, optional
        What the page's link says about the map (``basemap`` shown, ``basemaps`` and
        ``overlays`` as ``{layer-control name: short name}``, ``shown`` overlays), so the map
        can keep the link up to date as the analyst pans, zooms and switches layers.
    shared : MaskedSelection, optional
        The published payload ``incidents`` were taken from (see :mod:`layers.payload`), their
        positions in it, and any rows it does not hold. Above :data:`DETAIL_LIMIT` incidents
        only the selection mask (and those rows) is sent and the page fetches the payload once.
    payload : str, optional
        What :func:`layer_payload` (or :func:`shared_payload`) returns for these incidents,
        made once and kept by the caller: at a million incidents it takes a second.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            window.incidentLayer(
                {{ this._parent.get_name() }},
                {{ this._parent._parent.get_name() }},
                {{ this.payload }},
                {{ this.options | tojavascript }},
                {{ this.link_state }}
            );
        })();
        {% endmacro %}
        """
    )
    default_js = [
        ("supercluster_js", SUPERCLUSTER_JS),
        *folium.plugins.HeatMap.default_js,
        ("incident_layer_js", "/app/static/js/incident_layer.js"),
    ]
    default_css = [("incident_layer_css", "/app/static/css/incidents.css")]

    def __init__(
        self,
        incidents: gpd.GeoDataFrame | None,
        colours: dict[str, str],
        *,
        cluster: bool = True,
        details: bool = True,
        playback: bool = True,
        interval_ms: int = 900,
        link_state: dict[str, object] | None = None,
        shared: MaskedSelection | None = None,
        payload: str | None = None,
    ) -> None:
        super().__init__()
        self._name = "IncidentLayer"
        self.link_state = escaped_json(link_state or {})
        if payload is None:
            if incidents is None:
                msg = "IncidentLayer needs the incidents or their payload; got neither"
                raise ValueError(msg)
            payload = layer_payload(incidents, colours, details=details, shared=shared)
        self.payload = payload
        self.options = {
            "cluster": bool(cluster),
            "playback": bool(playback),
            "interval_ms": int(interval_ms),
        }


class IncidentHeat(JSCSSMixin, MacroElement):
    """A heatmap of the incident layer's data, weighted by deaths (highest report) plus one.

    It reuses the incidents the incident layer already sent (no second payload) and sums their
    weights per small cluster of the current view in the browser, so it stays quick at any size.
    Its FeatureGroup must come after the incident layer's.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.incidentHeat(
            {{ this._parent.get_name() }},
            {{ this._parent._parent.get_name() }},
            {{ this.options | tojavascript }}
        );
        {% endmacro %}
        """
    )
    default_js = IncidentLayer.default_js
    default_css = IncidentLayer.default_css

    def __init__(self, *, radius: int = 18, blur: int = 14, min_opacity: float = 0.3) -> None:
        super().__init__()
        self._name = "IncidentHeat"
        self.options = {"radius": radius, "blur": blur, "min_opacity": min_opacity}


def layer_payload(
    incidents: gpd.GeoDataFrame,
    colours: dict[str, str],
    *,
    details: bool = True,
    shared: MaskedSelection | None = None,
) -> str:
    """Return the incident layer's data as its script reads it (JSON, safe inside a script).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema.
    colours : dict
        Colour per canonical group.
    details, shared : optional
        See :class:`IncidentLayer`: full details up to :data:`DETAIL_LIMIT` incidents, a
        selection mask over a published payload, else :func:`compact_payload`.

    Returns
    -------
    str
    """
    if details and len(incidents) <= DETAIL_LIMIT:
        return escaped_json(incident_payload(incidents, colours, details=True))
    if shared is not None:
        return shared_payload(shared, colours)
    return escaped_json(compact_payload(incidents, colours))


def shared_payload(shared: MaskedSelection, colours: dict[str, str]) -> str:
    """Return the incident layer's data for a selection of a published payload.

    The page fetches the published file once and takes the selection as a mask over it; the
    few rows outside it (``shared.extra``) come with the map.

    Parameters
    ----------
    shared : MaskedSelection
        The published payload, the selection's positions in it and the rows outside it.
    colours : dict
        Colour per canonical group.

    Returns
    -------
    str
        JSON, safe inside a script.
    """
    extra = shared.extra if shared.extra is not None and len(shared.extra) else None
    payload = {
        "url": shared.payload.url,
        "count": shared.payload.count,
        "selected": len(shared.positions) + (0 if extra is None else len(extra)),
        "mask": selection_mask(shared.positions, shared.payload.count),
    }
    if extra is not None:
        payload["extra"] = compact_payload(extra, colours)
    return escaped_json(payload)


def build_incident_layer(
    incidents: gpd.GeoDataFrame | None,
    colours: dict[str, str],
    *,
    name: str = "Incidents",
    cluster: bool = True,
    details: bool = True,
    playback: bool = True,
    link_state: dict[str, object] | None = None,
    shared: MaskedSelection | None = None,
    payload: str | None = None,
) -> folium.FeatureGroup:
    """Return a FeatureGroup holding the incident layer (for ``feature_group_to_add``).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame or None
        Incidents in the schema; None when ``payload`` is given.
    colours : dict
        Colour per canonical group (see :func:`layers.style.group_colours`).
    name : str
        Name in the layer control.
    cluster, details, playback : bool
        See :class:`IncidentLayer`. Full details are sent for up to :data:`DETAIL_LIMIT`
        incidents, a compact payload above (see :func:`compact_payload`).
    link_state, shared, payload : optional
        See :class:`IncidentLayer`.

    Returns
    -------
    folium.FeatureGroup
    """
    group = folium.FeatureGroup(name=name, show=True)
    IncidentLayer(
        incidents,
        colours,
        cluster=cluster,
        details=details,
        playback=playback,
        link_state=link_state,
        shared=shared,
        payload=payload,
    ).add_to(group)
    return group


def build_heatmap_layer(
    *, name: str = "Heatmap (deaths)", show: bool = False
) -> folium.FeatureGroup:
    """Return the heatmap overlay; add it after :func:`build_incident_layer`'s group.

    Parameters
    ----------
    name : str
        Name in the layer control (where it can be switched on and off without a rerun).
    show : bool
        Whether it is on when the map opens.

    Returns
    -------
    folium.FeatureGroup
    """
    group = folium.FeatureGroup(name=name, show=show)
    IncidentHeat().add_to(group)
    return group


class StartHidden(MacroElement):
    """Take its parent FeatureGroup off the map once the map is built (it stays in the control).

    ``st_folium`` adds every group of ``feature_group_to_add`` to the map whatever its ``show``;
    this removes it again right after, and the layer control unticks it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        setTimeout(function() {
            {{ this._parent._parent.get_name() }}.removeLayer({{ this._parent.get_name() }});
        }, 0);
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "StartHidden"


def start_hidden(group: folium.FeatureGroup) -> folium.FeatureGroup:
    """Mark a group for ``feature_group_to_add`` as off when the map opens (see StartHidden)."""
    group.show = False
    StartHidden().add_to(group)
    return group
