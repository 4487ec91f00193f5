"""Place labels that appear by zoom, and the ring that marks a place found by search.

Labels are drawn by ``static/js/geography.js`` as plain text in their own pane (``placeLabels``,
below the overlay pane where rail lines and incidents are drawn) that takes no pointer events:
a label never hides an incident marker or takes its click.
"""

from __future__ import annotations

import folium
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.gazetteer import Place
from layers.incidents import escaped_json

GEOGRAPHY_JS = ("geography_js", "/app/static/js/geography.js")
GEOGRAPHY_CSS = ("geography_css", "/app/static/css/geography.css")
LABEL_PANE = "placeLabels"
LABEL_PANE_Z = 390  # below Leaflet's overlay pane (400) and every pane above it
LABELS_ATTRIBUTION = "Places: GeoNames (CC BY 4.0)"


class PlaceLabels(JSCSSMixin, folium.FeatureGroup):
    """A layer of place names, each shown from its own zoom, overlapping names left out.

    Parameters
    ----------
    labels : pandas.DataFrame
        As returned by :func:`geo.region.label_table`.
    name : str
        Name in the layer control.
    show : bool
        Whether the labels are on when the map opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = window.placeLabels(
                {{ this.payload }}, {{ this.label_options | tojavascript }}
            );
        {% endmacro %}
        """
    )
    default_js = [GEOGRAPHY_JS]
    default_css = [GEOGRAPHY_CSS]

    def __init__(self, labels: pd.DataFrame, *, name: str = "Place names", show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PlaceLabels"
        columns = ["name", "kind", "lat", "lon", "min_zoom", "max_zoom"]
        self.payload = escaped_json({c: labels[c].tolist() for c in columns})
        self.label_options = {"zIndex": LABEL_PANE_Z, "attribution": LABELS_ATTRIBUTION}


class LayerAttribution(MacroElement):
    """Credit shown in the map's attribution while its parent layer is on the map.

    Parameters
    ----------
    text : str
        Plain text (set as an option; Leaflet writes it into the attribution control).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.setOptions({{ this._parent.get_name() }}, {attribution: {{ this.text | tojson }}});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "LayerAttribution"
        self.text = text


def build_found_place_layer(place: Place, *, name: str = "Found place") -> folium.FeatureGroup:
    """Return a ring around a place found by search (not clickable, not in the layer control).

    Parameters
    ----------
    place : Place
        The place the analyst picked.
    name : str
        Layer name.

    Returns
    -------
    folium.FeatureGroup
    """
    group = folium.FeatureGroup(name=name, control=False, show=True)
    folium.CircleMarker(
        location=(place.lat, place.lon),
        radius=14,
        color="#0b5cad",
        weight=3,
        fill=False,
        interactive=False,
        class_name="found-place",
    ).add_to(group)
    return group
