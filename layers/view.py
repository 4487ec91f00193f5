"""The map's view as a link carries it: centre, zoom, basemap and the overlays shown.

The map frame keeps ``view``, ``basemap`` and ``layers`` in the page's URL as the analyst pans,
zooms and switches layers (``static/js/incident_layer.js``), without a rerun. When a session
opens, :func:`MapView.from_query` reads them back; a value that cannot be used is named in
:attr:`MapView.problems` and replaced by the default, and the rest of the link is kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from layers.basemap import (
    MAX_ZOOM,
    MIN_ZOOM,
    OFFLINE_BASEMAP,
    PAKISTAN_CENTER,
    PAKISTAN_ZOOM,
    TILE_BASEMAPS,
)

OVERLAYS = {
    "incidents": "Incidents",
    "heatmap": "Heatmap (deaths)",
    "provinces": "Provinces",
    "rail": "Rail lines",
    "stations": "Stations",
}
DEFAULT_OVERLAYS = ("incidents", "provinces", "rail")
MAP_KEYS = ("view", "basemap", "layers")


def basemap_slug(name: str) -> str:
    """Return the short name a link uses for a basemap: ``offline``, ``street``, ``satellite``."""
    return "offline" if name == OFFLINE_BASEMAP else name.split()[0].lower()


def basemap_names() -> dict[str, str]:
    """Return every basemap by its short name."""
    names = [OFFLINE_BASEMAP, *(spec["name"] for spec in TILE_BASEMAPS)]
    return {basemap_slug(name): name for name in names}


@dataclass(frozen=True)
class MapView:
    """Where the map opens and what it shows.

    Attributes
    ----------
    center : tuple of float
        ``(lat, lon)``.
    zoom : int
        Between :data:`layers.basemap.MIN_ZOOM` and :data:`layers.basemap.MAX_ZOOM`.
    basemap : str or None
        Full basemap name, or None for the command line's (or the offline) basemap.
    overlays : tuple of str
        Short names (keys of :data:`OVERLAYS`) of the overlays shown.
    problems : tuple of str
        One message per link value that could not be used.
    """

    center: tuple[float, float] = PAKISTAN_CENTER
    zoom: int = PAKISTAN_ZOOM
    basemap: str | None = None
    overlays: tuple[str, ...] = DEFAULT_OVERLAYS
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, query: Mapping[str, object]) -> MapView:
        """Read ``view=lat,lon,zoom``, ``basemap=NAME`` and ``layers=a,b`` from a link.

        Parameters
        ----------
        query : mapping
            The URL's query parameters (other keys are ignored).

        Returns
        -------
        MapView
            The defaults for anything missing or unusable, each unusable value named in
            ``problems``.
        """
        problems: list[str] = []
        center, zoom = PAKISTAN_CENTER, PAKISTAN_ZOOM
        view = query.get("view")
        if view is not None:
            parsed = _parse_view(str(view))
            if parsed is None:
                problems.append(
                    f"view={str(view)[:60]!r} is not 'latitude,longitude,zoom' "
                    f"(zoom {MIN_ZOOM}-{MAX_ZOOM}); the map opens on Pakistan"
                )
            else:
                center, zoom = parsed
        basemap = None
        if query.get("basemap") is not None:
            wanted = str(query["basemap"]).strip().lower()
            names = basemap_names()
            if wanted in names:
                basemap = names[wanted]
            else:
                problems.append(
                    f"basemap={wanted[:40]!r} is not one of {', '.join(names)}; "
                    "the default basemap is shown"
                )
        overlays = DEFAULT_OVERLAYS
        if query.get("layers") is not None:
            wanted_layers = [p.strip().lower() for p in str(query["layers"]).split(",")]
            unknown = [p for p in wanted_layers if p and p not in OVERLAYS]
            if unknown:
                problems.append(
                    f"layers: {', '.join(repr(u[:30]) for u in unknown)} not known "
                    f"(known: {', '.join(OVERLAYS)}); left out"
                )
            overlays = tuple(p for p in OVERLAYS if p in wanted_layers)
        return cls(center, zoom, basemap, overlays, tuple(problems))

    def shows(self, overlay: str) -> bool:
        """Return whether an overlay (a key of :data:`OVERLAYS`) is shown."""
        return overlay in self.overlays


def _parse_view(text: str) -> tuple[tuple[float, float], int] | None:
    parts = text.split(",")
    if len(parts) != 3:
        return None
    try:
        lat, lon, zoom = float(parts[0]), float(parts[1]), float(parts[2])
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (lat, lon, zoom)):
        return None
    if not (-85 <= lat <= 85 and -180 <= lon <= 180 and MIN_ZOOM <= zoom <= MAX_ZOOM):
        return None
    return (lat, lon), round(zoom)
