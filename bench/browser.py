"""Browser timings in headless Chromium (Playwright, Debian's /usr/bin/chromium).

Starts ``streamlit run app.py -- --synthetic N`` on a free port and measures, as the analyst sees
it: from ``page.goto`` to the incident layer drawn in the map frame (its status or playback label
shown), and from choosing a group in the sidebar to the map's label showing the new selection.
"Visible" counts the incidents a person can see at the opening view: a single incident counts
when the screenshot's pixel at its position has its group's colour, a cluster counts its
incidents when nothing lies over its centre and its ring shows its largest group's colour.
"""

from __future__ import annotations

import io
import time

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, close_to, hex_rgb, start_app, stop_app

# In the map frame: the single incidents drawn in the view, with page-independent positions.
POINTS_JS = """
() => {
    const out = {points: [], total: window.__incidentData.sel.length};
    const data = window.__incidentData.data, cols = window.__incidentData.cols;
    const size = map_div.getSize();
    map_div.eachLayer(l => {
        if (l.incidentIndex !== undefined) {
            const p = map_div.latLngToContainerPoint(l.getLatLng());
            if (p.x >= 0 && p.y >= 0 && p.x < size.x && p.y < size.y) {
                out.points.push([p.x, p.y, data.colours[cols.g[l.incidentIndex]]]);
            }
        }
    });
    return out;
}
"""


def _shows(shot, box: dict, x: float, y: float, colour: str) -> bool:
    actual = shot.getpixel((round(box["x"] + x), round(box["y"] + y)))
    return close_to(actual, hex_rgb(colour), 60)


def visible_incidents(page, frame) -> tuple[int, int]:
    """Return (incidents visible at the opening view, incidents selected); see the module doc.

    Clusters are drawn on one canvas: a cluster counts its incidents when nothing lies over its
    centre and the screenshot shows its largest group's colour on its ring.
    """
    from PIL import Image

    from tests.test_map_pixels import JS_CLUSTERS_IN_SIGHT, ring_point

    drawn = frame.evaluate(POINTS_JS)
    clusters = frame.evaluate(JS_CLUSTERS_IN_SIGHT)
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    seen = sum(_shows(shot, box, x, y, colour) for x, y, colour in drawn["points"])
    for cluster in clusters:
        where, colour = ring_point(cluster)
        if _shows(shot, box, where["x"], where["y"], colour):
            seen += cluster["count"]
    return seen, drawn["total"]


LABEL = ".incident-playback .period, .incident-status"


# The start of the map's label while it indexes a selection (static/js/incident_layer.js); the
# count of what it drew replaces it once the selection is drawn.
INDEXING = "Clustering "


def map_label(frame) -> str:
    return frame.locator(LABEL).first.inner_text()


def browser_timings(n: int, group: str = "BLF") -> dict[str, object]:
    """Return load and filter-change times (ms) for ``n`` synthetic incidents."""
    from playwright.sync_api import sync_playwright

    process, url = start_app("--synthetic", str(n))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # Warm the server's caches (generation and enrichment happen once per process).
            page.goto(url)
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame.locator(LABEL).first.wait_for(timeout=300_000)
            page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            start = time.perf_counter()
            page.goto(url)
            frame.locator(LABEL).first.wait_for(timeout=120_000)
            leaflet = next(f for f in page.frames if "streamlit_folium" in f.url)
            leaflet.wait_for_function("window.__incidentDrawn !== undefined", timeout=120_000)
            load_ms = (time.perf_counter() - start) * 1000
            visible, total = visible_incidents(page, leaflet)
            before = map_label(frame)
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.locator('[data-testid="stMultiSelect"]').first.click()
            page.keyboard.type(group)
            start = time.perf_counter()
            page.keyboard.press("Enter")
            deadline = time.monotonic() + 120
            after = before
            # Until the map says what it drew: "Clustering N incidents…" shows while it indexes.
            while (after == before or after.startswith(INDEXING)) and time.monotonic() < deadline:
                page.wait_for_timeout(20)
                after = map_label(frame)
            change_ms = (time.perf_counter() - start) * 1000
            browser.close()
    finally:
        stop_app(process)
    return {
        "n": n,
        "load_ms": load_ms,
        "visible": visible,
        "selected_at_load": total,
        "change_ms": change_ms,
        "label_before": before,
        "label_after": after,
    }
