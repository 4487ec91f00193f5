"""A large dataset reaches the page once; each filter change sends only which incidents are chosen.

At 5,000 incidents (over the detail limit) the page fetches the dataset's payload from the app's
static files once; each filter change then sends a mask of the selection, the map redraws the
new count, its legend adds up to it, and a marker opens its popup. Fails on any page error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    import_file,
    map_frame,
    start_app,
    stop_app,
    watch_errors,
)
from tests.test_map_pixels import (
    JS_FIND_SINGLE,
    JS_SHOWN_AT,
    close_to,
    hex_rgb,
    leaflet,
    on_page,
    pixel,
    shown_single,
)

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
SIZE = 5_000


@pytest.fixture(scope="module")
def synthetic_page() -> Iterator[object]:
    process, url = start_app("--synthetic", str(SIZE))
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.errors = watch_errors(page)
            page.fetched = []
            page.received = []
            page.on(
                "response",
                lambda r: "/static/cache/incidents-" in r.url and page.fetched.append(r.url),
            )
            page.on(
                "websocket",
                lambda ws: ws.on("framereceived", lambda f: page.received.append(f)),
            )
            page.goto(url)
            on_map(page, f"{SIZE:,} incidents on map")
            yield page
            browser.close()
    finally:
        stop_app(process)


def on_map(page, text: str) -> None:
    map_frame(page).locator(".incident-playback .period", has_text=text).wait_for(timeout=120_000)


def selected_count(page) -> int:
    line = page.get_by_text("Showing ").first.inner_text()  # "Showing N of M incidents"
    return int(line.split()[1].replace(",", ""))


def legend_total(page) -> int:
    frame = leaflet(page)
    return frame.evaluate(
        """() => [...document.querySelectorAll('.incident-legend .n')]
            .reduce((sum, e) => sum + Number(e.textContent.replace(/,/g, '')), 0)"""
    )


def choose_period(page, label: str, before: int) -> int:
    page.received.clear()
    page.locator('[data-testid="stSidebar"]').get_by_text(label).click()
    page.wait_for_function(
        "n => !document.body.innerText.includes('Showing ' + n + ' of')", arg=f"{before:,}"
    )
    count = selected_count(page)
    on_map(page, f"{count:,} incidents on map")
    return count


def test_filter_changes_send_a_mask_and_the_payload_is_fetched_once(synthetic_page):
    page = synthetic_page
    assert leaflet(page).evaluate("window.__incidentData.source") == "published file"
    assert len(page.fetched) == 1
    assert legend_total(page) == SIZE
    year = choose_period(page, "Last 12 months of data", SIZE)
    assert 0 < year < SIZE
    # The rerun's map message carries the mask (625 bytes at 5,000), not the incidents' columns.
    texts = [f.decode("utf-8", "replace") if isinstance(f, bytes) else f for f in page.received]
    layer = [t for t in texts if "incidentLayer" in t]
    assert len(layer) == 1
    assert '\\"mask\\":\\"' in layer[0] and '\\"columns\\"' not in layer[0]
    assert legend_total(page) == year
    month = choose_period(page, "Last 30 days of data", year)
    assert 0 < month < year
    assert legend_total(page) == month
    assert len(page.fetched) == 1, page.fetched
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-selection-mask.png"))
    assert page.errors == []


JS_CLUSTERS_ADD_UP = """zoom => {
    const index = window.__incidentData.index;
    let total = 0, clusters = 0, wrong = [];
    for (const f of index.getClusters([-180, -85, 180, 85], zoom)) {
        const p = f.properties;
        if (!p.cluster) { total += 1; continue; }
        total += p.point_count;
        clusters += 1;
        const slots = p.s.reduce((a, b) => a + b, 0);
        if (slots !== p.point_count || p.now !== p.point_count) {
            wrong.push([p.point_count, slots, p.now]);
        }
    }
    return [total, clusters > 0, wrong];
}"""


def test_going_back_to_a_selection_reuses_its_index_and_counts_it_right(synthetic_page):
    # Indexing is most of a filter change at a million incidents: the two selections of the
    # published file drawn last keep their index (a selection of up to 2,000 incidents comes
    # with the map and is not kept), and a cluster of a kept index adds up to its incidents.
    page = synthetic_page
    if selected_count(page) != SIZE:
        choose_period(page, "All time", selected_count(page))
    year = choose_period(page, "Last 12 months of data", SIZE)
    frame = leaflet(page)
    assert choose_period(page, "All time", year) == SIZE
    assert frame.evaluate("window.__incidentData.indexKept") is True
    assert legend_total(page) == SIZE
    assert frame.evaluate(JS_CLUSTERS_ADD_UP, 4) == [SIZE, True, []]
    # Zoom 13: the finer index, made after the reuse.
    assert frame.evaluate(JS_CLUSTERS_ADD_UP, 13) == [SIZE, True, []]
    # Playback on the layer that made the index (a new page), then away and back: the kept
    # index then sums for the layer drawing it (no period), not for the one that made it.
    page.reload()
    on_map(page, f"{SIZE:,} incidents on map")
    frame = leaflet(page)
    assert frame.evaluate("window.__incidentData.indexKept") is False
    controls = map_frame(page).locator(".incident-playback")
    controls.locator('[data-action="first"]').click()
    for _ in range(12):  # a year on: the incidents that ended before it fade
        controls.locator('[data-action="forward"]').click()
    assert choose_period(page, "Last 12 months of data", SIZE) == year
    assert frame.evaluate("window.__incidentData.indexKept") is False  # a new page's first
    assert legend_total(page) == year
    assert frame.evaluate(JS_CLUSTERS_ADD_UP, 4) == [year, True, []]
    assert choose_period(page, "All time", year) == SIZE
    assert frame.evaluate("window.__incidentData.indexKept") is True
    assert frame.evaluate(JS_CLUSTERS_ADD_UP, 13) == [SIZE, True, []]
    page.screenshot(path=str(ARTIFACTS / "map-selection-kept-index.png"))
    assert page.errors == []


JS_POINTS_SHARED = """() => {
    const data = window.__incidentData, points = data.index.coarse.points;
    let shared = 0, placed = 0;
    for (const p of points) {
        const i = p.properties.i;
        if (window.__pointsBefore.get(i) === p) { shared += 1; }
        const [lon, lat] = p.geometry.coordinates;
        if (lon === data.cols.lon[i] && lat === data.cols.lat[i]) { placed += 1; }
    }
    return [points.length, shared, placed, data.indexKept];
}"""


def test_a_new_selection_indexes_the_points_of_the_last_without_making_them_again(
    synthetic_page,
):
    # At a million incidents, making half a million point objects for the index took 60-180 ms
    # of each filter change: the points of a published file's rows are made once per page.
    page = synthetic_page
    if selected_count(page) != SIZE:
        choose_period(page, "All time", selected_count(page))
    page.reload()  # no kept index, no points made yet
    on_map(page, f"{SIZE:,} incidents on map")
    frame = leaflet(page)
    frame.evaluate(
        "() => { window.__pointsBefore = new Map(window.__incidentData.index.coarse.points"
        ".map(p => [p.properties.i, p])); }"
    )
    year = choose_period(page, "Last 12 months of data", SIZE)
    assert frame.evaluate(JS_POINTS_SHARED) == [year, year, year, False]
    assert frame.evaluate(JS_CLUSTERS_ADD_UP, 4) == [year, True, []]
    assert page.errors == []


def test_the_page_keeps_the_files_of_the_two_datasets_drawn_last(synthetic_page):
    # A page open all day would otherwise hold every file the server published for it (each
    # with its columns and, once drawn, its points: 185 MB for a million incidents).
    page = synthetic_page
    frame = leaflet(page)
    (drawn,) = frame.evaluate("() => window.__incidentPayloads.kept()")
    # The same file under two more names: two more datasets as far as the page can tell.
    for other in ("?second", "?third"):
        assert frame.evaluate("url => window.__incidentPayloads.load(url)", drawn + other)
    assert frame.evaluate("() => window.__incidentPayloads.kept()") == [
        drawn + "?second",
        drawn + "?third",
    ]
    # The dataset on the map is fetched again when it is drawn again, and counts as before.
    fetched = len(page.fetched)
    shown = selected_count(page)
    other = "Last 12 months of data" if shown == SIZE else "All time"
    changed = choose_period(page, other, shown)
    assert legend_total(page) == changed
    assert len(page.fetched) == fetched + 1
    assert frame.evaluate("() => window.__incidentPayloads.kept()") == [drawn + "?third", drawn]
    assert frame.evaluate(JS_CLUSTERS_ADD_UP, 4) == [changed, True, []]
    # Drawn from the file fetched again: an incident shows its group's colour and opens.
    incident, where = shown_single(page, frame)
    frame.evaluate("map_div.closePopup()")
    x, y = on_page(page, where)
    assert close_to(pixel(page, x, y), hex_rgb(incident["colour"])), incident
    page.mouse.click(x, y)
    popup = map_frame(page).locator(f'.incident-popup[data-incident-id="{incident["id"]}"]')
    popup.wait_for(timeout=10_000)
    page.wait_for_timeout(300)  # the popup's fade-in, for the screenshot
    page.screenshot(path=str(ARTIFACTS / "map-selection-file-again.png"))
    frame.evaluate("map_div.closePopup()")
    assert page.errors == []


def test_a_marker_of_the_new_selection_opens_its_popup(synthetic_page):
    page = synthetic_page
    frame = leaflet(page)
    single = frame.evaluate(JS_FIND_SINGLE)[0]
    chosen = frame.evaluate("() => Array.from(window.__incidentData.sel)")
    assert single["i"] in chosen
    x, y = on_page(page, frame.evaluate(JS_SHOWN_AT, [single["lat"], single["lon"], 16]))
    page.mouse.click(x, y)
    popup = map_frame(page).locator(f'.incident-popup[data-incident-id="{single["id"]}"]')
    popup.wait_for(timeout=10_000)
    assert page.errors == []


def test_a_sessions_private_import_is_never_published_as_a_file(synthetic_page):
    from layers.payload import PAYLOAD_DIR

    page = synthetic_page
    before = set(PAYLOAD_DIR.glob("incidents-*"))
    import_file(
        page,
        {
            "name": "private.csv",
            "mimeType": "text/csv",
            "buffer": b"date,lat,lon,place,province,group,killed\n"
            b"2025-03-11,29.6,67.5,Mach,Balochistan,BLA,3\n",
        },
    )
    bar = page.locator('[data-testid="stSidebar"]')
    # Two datasets now, each event counted once; counted as reports again, over all time, the
    # map draws 5,001 rows of the combined data, which only this session may see.
    page.get_by_text(re.compile(f"{SIZE + 1:,} reports")).first.wait_for(timeout=120_000)
    bar.get_by_text("Count each event once").click()
    bar.get_by_text("All time").click()
    total = f"{SIZE + 1:,}"
    page.get_by_text(f"Showing {total} of {total} incidents").wait_for(timeout=120_000)
    on_map(page, f"{total} incidents on map")
    assert leaflet(page).evaluate("window.__incidentData.source") == "sent with the map"
    assert set(PAYLOAD_DIR.glob("incidents-*")) == before
    assert page.errors == []
