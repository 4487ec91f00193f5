"""Serve every script and stylesheet the Folium map needs from the app itself (no CDN).

Folium elements and plugins list their assets as CDN URLs (``default_js``/``default_css``).
:func:`localize_assets` rewrites them to the copies under ``static/vendor`` that
``tools/vendor_assets.py`` installs, and refuses any external asset it does not know, so adding a
plugin cannot quietly make the page reach the internet. Only map tiles come from outside.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import branca.element
import folium
import folium.elements

from layers.payload import PAYLOAD_DIR, PAYLOAD_URL, served_file

STATIC_URL = "/app/static/vendor"
STATIC_ROOT = Path(__file__).resolve().parent.parent / "static"  # served at /app/static
# A source map comment would name a file next to the bundle that does not exist.
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)

# CDN URL -> path under static/vendor.
LOCAL_ASSETS = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap/js/bootstrap.bundle.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap/css/bootstrap.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "awesome-markers/js/leaflet.awesome-markers.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "awesome-markers/css/leaflet.awesome-markers.css"
    ),
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "fontawesome/css/all.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        "markercluster/leaflet.markercluster.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": (
        "markercluster/MarkerCluster.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (
        "markercluster/MarkerCluster.Default.css"
    ),
    "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js": (
        "leaflet-heat/leaflet_heat.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/supercluster@8.0.1/dist/supercluster.min.js": (
        "supercluster/supercluster.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": (
        "fullscreen/Control.FullScreen.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": (
        "fullscreen/Control.FullScreen.css"
    ),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": (
        "leaflet-measure/leaflet-measure.min.js"
    ),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": (
        "leaflet-measure/leaflet-measure.css"
    ),
}

# Assets folium lists that this app never uses: Bootstrap 3 glyphicons (we use Font Awesome
# icons only) and the CSS for rotated awesome-marker icons (we never rotate icons). They are
# removed rather than fetched.
UNUSED_ASSETS = {
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
}


# Scripts folium's Map lists for features this app never uses: jQuery (only folium.Popup and
# keep_in_front call it; popups are built in the browser here), Bootstrap's JavaScript (no
# Bootstrap components) and awesome-markers (no folium.Icon). st_folium loads a map's scripts
# one after another, about 50 ms each on loopback, before the map is built: they are dropped.
# Their stylesheets stay (Bootstrap's sets the map's fonts). A map that calls one of them
# raises a page error, which every browser test fails on.
UNUSED_SCRIPTS = {
    "https://code.jquery.com/jquery-3.7.1.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
}


def local_url(cdn_url: str) -> str:
    """Return the app-served URL for a CDN asset.

    Parameters
    ----------
    cdn_url : str
        URL as listed by a folium element.

    Returns
    -------
    str
        Path served by Streamlit's static file serving, such as
        ``/app/static/vendor/leaflet/leaflet.js``.

    Raises
    ------
    ValueError
        If the asset has no local copy.
    """
    if cdn_url.startswith("/"):
        return cdn_url
    if cdn_url not in LOCAL_ASSETS:
        msg = f"asset {cdn_url!r} has no local copy; add it to layers/assets.py LOCAL_ASSETS"
        raise ValueError(msg)
    return f"{STATIC_URL}/{LOCAL_ASSETS[cdn_url]}"


def _localized(assets: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, local_url(url)) for name, url in assets if url not in UNUSED_ASSETS]


def _elements(element: branca.element.Element) -> Iterator[branca.element.Element]:
    yield element
    for child in element._children.values():
        yield from _elements(child)


def localize_assets(m: folium.Map, *, drop_unused_scripts: bool = True) -> folium.Map:
    """Point every script and stylesheet of a map and its children at the app's own copies.

    Parameters
    ----------
    m : folium.Map
        A finished map (call after adding every layer and plugin).
    drop_unused_scripts : bool
        Leave out :data:`UNUSED_SCRIPTS` (this app's maps never call them). A map built with
        folium features that do (``folium.Popup``, ``folium.Icon``, ``FastMarkerCluster``'s
        default marker) passes False.

    Returns
    -------
    folium.Map
        The same map, modified in place.

    Raises
    ------
    ValueError
        If an element needs an external asset that has no local copy.
    """
    for element in _elements(m):
        if isinstance(element, folium.elements.JSCSSMixin):
            element.default_js = _localized(
                [
                    (name, url)
                    for name, url in element.default_js
                    if not (drop_unused_scripts and url in UNUSED_SCRIPTS)
                ]
            )
            element.default_css = _localized(element.default_css)
    return m


def bundle_scripts(m: folium.Map) -> folium.Map:
    """Have a localized map load all its scripts as one file, in one request.

    ``st_folium`` loads a map's scripts one after another, each waiting for the one before
    (about 50 ms each on loopback): seven scripts held the map back 0.35-0.45 s. Their text, in
    the order the page would load them, is joined into one file under ``static/cache`` (named
    by its content, written once) and the map lists only that file.

    Parameters
    ----------
    m : folium.Map
        A map after :func:`localize_assets`, with every layer added.

    Returns
    -------
    folium.Map
        The same map, modified in place.

    Raises
    ------
    ValueError
        If a script is not one the app serves from ``static/``.
    """
    elements = [e for e in _elements(m) if isinstance(e, folium.elements.JSCSSMixin)]
    urls = tuple(dict.fromkeys(url for element in elements for _, url in element.default_js))
    if not urls:
        return m
    for element in elements:
        element.default_js = []
    m.default_js = [("map_scripts", _bundle_url(urls))]
    return m


@cache
def _bundle_url(urls: tuple[str, ...]) -> str:
    """Write (once) the file joining the scripts at ``urls``; return its URL."""
    texts = []
    for url in urls:
        if not url.startswith("/app/static/"):
            msg = f"script {url!r} is not served from the app's static folder; cannot bundle it"
            raise ValueError(msg)
        path = STATIC_ROOT / url.removeprefix("/app/static/")
        texts.append(f"/* {url} */\n" + _SOURCE_MAP.sub("", path.read_text(encoding="utf-8")))
    data = "\n;\n".join(texts).encode("utf-8")
    name = f"map-scripts-{hashlib.sha256(data).hexdigest()[:20]}.js"
    if not (PAYLOAD_DIR / name).exists():
        with served_file(PAYLOAD_DIR / name) as out:
            out.write(data)
    return f"{PAYLOAD_URL}/{name}"
