"""Map panes: which layer is drawn above which, and which takes the pointer.

Leaflet draws every vector layer into one SVG in the overlay pane unless told otherwise, so an
opaque basemap polygon or a province fill drawn later covers the markers and takes their clicks.
Each kind of layer gets its own pane here, bottom to top:

- Leaflet's ``tilePane`` (200: the offline vector basemap or the tiles, see layers/basemap.py),
- ``provinces`` (350: outlines with counts on hover, under everything that can be clicked),
- ``heat`` (380: the heatmap, never interactive),
- ``placeLabels`` (390: layers/labels.py, never interactive),
- Leaflet's ``overlayPane`` (400: rail lines and stations, so their tooltips work),
- ``incidents`` (450: clusters and markers, above all context layers).

Every pane lets the pointer through where it draws nothing; only its shapes take clicks.
"""

from __future__ import annotations

from collections.abc import Iterator

import branca.element
import folium
import folium.map

PANES = {"provinces": 350, "heat": 380, "incidents": 450}


def add_panes(m: folium.Map) -> folium.Map:
    """Create the panes of :data:`PANES` first thing in the map's script.

    Parameters
    ----------
    m : folium.Map
        The map; the panes are created before any layer that uses them.

    Returns
    -------
    folium.Map
        The same map.
    """
    for name, z_index in reversed(PANES.items()):
        pane = folium.map.CustomPane(name, z_index=z_index, pointer_events=False)
        pane.add_to(m)
        m._children.move_to_end(pane.get_name(), last=False)
    return m


def _geojson_layers(element: branca.element.Element) -> Iterator[folium.GeoJson]:
    if isinstance(element, folium.GeoJson):
        yield element
    for child in element._children.values():
        yield from _geojson_layers(child)


def put_in_pane(element: branca.element.Element, pane: str) -> branca.element.Element:
    """Draw every GeoJson layer inside ``element`` in ``pane``.

    Parameters
    ----------
    element : branca.element.Element
        A layer or FeatureGroup.
    pane : str
        One of :data:`PANES`.

    Returns
    -------
    branca.element.Element
        The same element.

    Raises
    ------
    ValueError
        If ``pane`` is not one of :data:`PANES`.
    """
    if pane not in PANES:
        msg = f"pane {pane!r} is not one of {list(PANES)}"
        raise ValueError(msg)
    for layer in _geojson_layers(element):
        layer.options["pane"] = pane
    return element
