"""What the map shows and does, by pixels and clicks, at 70, 5,000 and 20,000 incidents.

For each size one app and one page are opened (module-scoped), and on every basemap: the pixel
at a known incident's position has its group's colour, a click there opens its popup, every
incident at a shared point can be opened, cluster counts add up to the selection, a click on a
cluster zooms in, the heatmap paints, the layer control stays, and panning or zooming sends
nothing to the server. Tile basemaps get solid tiles from a local route (the machine is offline),
so markers are checked over opaque tiles too. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Iterator

import pytest

from layers.basemap import OFFLINE_BASEMAP, TILE_BASEMAPS
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LOCAL_HOSTS,
    MAIN_MAP,
    close_to,
    hex_rgb,
    start_app,
    stop_app,
    wait_until_idle,
)

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")

SIZES = (70, 5_000, 20_000)
BASEMAPS = (OFFLINE_BASEMAP, *(spec["name"] for spec in TILE_BASEMAPS))
# Solid tiles per tile basemap (hosts from layers/basemap.py), dark and light, so a marker must
# stand out from an opaque background.
TILE_COLOURS = {"openstreetmap": (242, 239, 233), "arcgisonline": (40, 52, 38)}
TILE_DEFAULT = (205, 226, 180)
FRAME = 'iframe[title="streamlit_folium.st_folium"]'

# In the map frame: incidents' positions and styles from the data the layer decoded.
JS_FIND_SINGLE = """
() => {
    // Exactly placed incidents that the index draws on their own at zoom 16.
    const shared = window.__incidentData, cols = shared.cols, data = shared.data;
    const alone = shared.index.getClusters([-180, -85, 180, 85], 16)
        .filter(f => !f.properties.cluster && cols.p[f.properties.i] === 0)
        .slice(0, 5).map(f => f.properties.i);
    return alone.map(i => ({i: i, lat: cols.lat[i], lon: cols.lon[i],
                            id: cols.text.id(i), colour: data.colours[cols.g[i]]}));
}
"""
JS_FIND_STACK = """
() => {
    const cols = window.__incidentData.cols;
    const groups = new Map();
    for (const i of window.__incidentData.sel) {
        const k = cols.lat[i] + "," + cols.lon[i];
        if (!groups.has(k)) { groups.set(k, []); }
        groups.get(k).push(i);
    }
    let best = null;
    for (const [, members] of groups) {
        if (members.length >= 2 && members.length <= 40 &&
            (!best || members.length > best.length)) { best = members; }
    }
    if (best) {
        return {lat: cols.lat[best[0]], lon: cols.lon[best[0]],
                ids: best.map(i => cols.text.id(i))};
    }
    // No shared point: incidents still grouped at the highest zoom (a few metres apart).
    const index = window.__incidentData.index;
    const stacks = index.getClusters([-180, -85, 180, 85], 16)
        .filter(f => f.properties.cluster && f.properties.point_count <= 40);
    if (!stacks.length) { return null; }
    const f = stacks[0], leaves = index.getLeaves(f.properties.cluster_id, Infinity);
    return {lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0],
            ids: leaves.map(l => cols.text.id(l.properties.i))};
}
"""
JS_SHOWN_AT = """
([lat, lon, zoom]) => new Promise(resolve => {
    map_div.once("moveend", () => setTimeout(() => {
        const p = map_div.latLngToContainerPoint([lat, lon]);
        const box = map_div.getContainer().getBoundingClientRect();
        resolve({x: box.left + p.x, y: box.top + p.y, zoom: map_div.getZoom()});
    }, 150));
    map_div.setView([lat, lon], zoom, {animate: false});
    map_div.fire("moveend");
})
"""


@functools.cache
def _solid_png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}-incidents" for n in SIZES])
def size_server(request) -> Iterator[tuple[int, str]]:
    n = request.param
    process, url = start_app() if n == 70 else start_app("--synthetic", str(n))
    yield n, url
    stop_app(process)


@pytest.fixture(scope="module")
def map_page(size_server) -> Iterator[object]:
    """One page per size, with every frame's errors and every request to the server recorded."""
    n, url = size_server
    if not CHROMIUM or not __import__("pathlib").Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; run `make browser`")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.errors = []
        page.sent = []
        page.on("pageerror", lambda e: page.errors.append(f"page error: {e}"))
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and "Failed to load resource" not in m.text
                and page.errors.append(f"console error: {m.text}")
            ),
        )
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.url.split("/")[2].split(":")[0] in LOCAL_HOSTS
                and page.errors.append(f"HTTP {r.status}: {r.url}")
            ),
        )
        page.on("websocket", lambda ws: ws.on("framesent", lambda f: page.sent.append(f)))

        def tiles(route):
            host = route.request.url.split("/")[2]
            colour = next((c for k, c in TILE_COLOURS.items() if k in host), TILE_DEFAULT)
            route.fulfill(status=200, content_type="image/png", body=_solid_png(colour))

        page.route("https://**/*", tiles)
        page.goto(url)
        page.get_by_text("Showing ").first.wait_for(timeout=120_000)
        page.frame_locator(FRAME).locator(".incident-playback .period").wait_for(timeout=120_000)
        page.size = n
        solid_tiles(page)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def mp(map_page, request):
    """The size's page, checked for errors in any frame after each test (and screenshotted)."""
    map_page.errors.clear()
    yield map_page
    ARTIFACTS.mkdir(exist_ok=True)
    map_page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    frame_error = leaflet(map_page).evaluate("window.__testErrors || []")
    assert map_page.errors == [] and frame_error == [], map_page.errors + frame_error


def leaflet(page):
    frame = page.locator(MAIN_MAP).element_handle().content_frame()
    frame.evaluate(
        """() => { if (!window.__testErrors) { window.__testErrors = [];
            window.addEventListener("error", e => window.__testErrors.push(String(e.message)));
            window.addEventListener("unhandledrejection",
                                    e => window.__testErrors.push(String(e.reason))); } }"""
    )
    return frame


def solid_tiles(page) -> None:
    """Give the tile basemaps solid tiles as data URLs (quicker than routing each request)."""
    urls = {
        host: "data:image/png;base64," + base64.b64encode(_solid_png(colour)).decode()
        for host, colour in [*TILE_COLOURS.items(), ("", TILE_DEFAULT)]
    }
    leaflet(page).evaluate(
        """urls => { map_div.eachLayer(() => {});
            const proto = L.TileLayer.prototype, original = proto.getTileUrl;
            proto.getTileUrl = function(coords) {
                const url = original.call(this, coords);
                const host = Object.keys(urls).find(h => h && url.includes(h));
                return urls[host || ""];
            }; }""",
        urls,
    )


def choose_basemap(page, name: str) -> None:
    frame = page.frame_locator(FRAME)
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers-base label", has_text=name).click()
    page.mouse.move(5, 5)  # collapse the control again, off the map
    page.wait_for_timeout(400)


def on_page(page, where: dict) -> tuple[float, float]:
    """Page coordinates of a point given in the map frame's coordinates."""
    box = page.locator(FRAME).bounding_box()
    return box["x"] + where["x"], box["y"] + where["y"]


def pixel(page, x: float, y: float) -> tuple[int, int, int]:
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    return shot.getpixel((round(x), round(y)))


def shown_single(page, frame) -> tuple[dict, dict]:
    """Centre the map at max zoom on an incident drawn on its own; return it and its position."""
    for candidate in frame.evaluate(JS_FIND_SINGLE):
        where = frame.evaluate(JS_SHOWN_AT, [candidate["lat"], candidate["lon"], 16])
        drawn = frame.evaluate(
            "i => { let hit = false; map_div.eachLayer(l => { if (l.incidentIndex === i) "
            "hit = true; }); return hit; }",
            candidate["i"],
        )
        if drawn:
            return candidate, where
    pytest.fail("no incident is drawn on its own at zoom 16")


@pytest.mark.parametrize("basemap", BASEMAPS)
def test_a_known_incident_shows_its_colour_and_opens_its_popup(mp, basemap):
    choose_basemap(mp, basemap)
    frame = leaflet(mp)
    incident, where = shown_single(mp, frame)
    frame.evaluate("map_div.closePopup()")
    x, y = on_page(mp, where)
    seen = pixel(mp, x, y)
    assert close_to(seen, hex_rgb(incident["colour"])), (incident, seen, basemap)
    mp.mouse.click(x, y)
    popup = mp.frame_locator(FRAME).locator(f'.incident-popup[data-incident-id="{incident["id"]}"]')
    popup.wait_for(timeout=10_000)
    mp.wait_for_timeout(300)  # the popup's fade-in
    mp.screenshot(path=str(ARTIFACTS / f"popup-{mp.size}-{basemap.split()[0]}.png"))
    # The popup fits its content: nothing wider than the box (it scrolls only downwards).
    widths = frame.evaluate(
        "() => { const c = document.querySelector('.leaflet-popup-content');"
        " return [c.scrollWidth, c.clientWidth]; }"
    )
    assert widths[0] <= widths[1] + 1, widths
    frame.evaluate("map_div.closePopup()")
    mp.frame_locator(FRAME).locator(".leaflet-control-layers").wait_for()
    assert mp.frame_locator(FRAME).locator(".leaflet-control-layers").count() == 1


JS_FIND_FLAGGED = """
() => {
    const shared = window.__incidentData, cols = shared.cols;
    const alone = shared.index.getClusters([-180, -85, 180, 85], 16)
        .filter(f => !f.properties.cluster && cols.f[f.properties.i] && cols.p[f.properties.i] === 0)
        .slice(0, 1).map(f => f.properties.i);
    return alone.map(i => ({i: i, lat: cols.lat[i], lon: cols.lon[i], r: cols.r[i],
                            id: cols.text.id(i)}))[0] || null;
}
"""


def test_a_flagged_incident_is_ringed_in_black_and_its_tooltip_says_so(mp):
    frame = leaflet(mp)
    frame.evaluate("map_div.closePopup()")
    flagged = frame.evaluate(JS_FIND_FLAGGED)
    if flagged is None:
        pytest.skip("no flagged incident is drawn on its own in this data")
    x, y = on_page(mp, frame.evaluate(JS_SHOWN_AT, [flagged["lat"], flagged["lon"], 16]))
    shot = Image.open(io.BytesIO(mp.screenshot())).convert("RGB")
    ring = flagged["r"] + 4  # the dashed ring's radius (static/js/incident_layer.js flagRing)
    around = [
        shot.getpixel((round(x + ring * dx), round(y + ring * dy)))
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (0.7, 0.7), (-0.7, 0.7), (0.7, -0.7))
    ]
    dark = [p for p in around if max(p) < 90]
    assert len(dark) >= 2, around  # dashed: not every sample falls on a dash
    mp.mouse.move(x, y)
    tooltip = mp.frame_locator(FRAME).locator(".leaflet-tooltip", has_text=flagged["id"])
    tooltip.wait_for(timeout=5_000)
    assert "flagged" in tooltip.inner_text()


def test_every_incident_at_a_shared_point_can_be_opened(mp):
    frame = leaflet(mp)
    stack = frame.evaluate(JS_FIND_STACK)
    if stack is None:
        pytest.skip("no incidents share a point or stay grouped at the highest zoom")
    x, y = on_page(mp, frame.evaluate(JS_SHOWN_AT, [stack["lat"], stack["lon"], 16]))
    mp.mouse.click(x, y)
    listing = mp.frame_locator(FRAME).locator(".incident-stack")
    listing.wait_for(timeout=10_000)
    listed = listing.locator("a").all_inner_texts()
    assert set(stack["ids"]) <= set(listed)
    for incident_id in stack["ids"]:
        # Where the point is now: opening a popup may have scrolled the page.
        x, y = on_page(mp, frame.evaluate(JS_SHOWN_AT, [stack["lat"], stack["lon"], 16]))
        mp.mouse.click(x, y)
        mp.frame_locator(FRAME).locator(".incident-stack a", has_text=incident_id).first.click()
        popup = mp.frame_locator(FRAME).locator(
            f'.incident-popup[data-incident-id="{incident_id}"]'
        )
        popup.wait_for(timeout=10_000)


# The clusters the map shows where nothing lies over them (a control, the legend, a point), in
# the map frame's coordinates: drawn on a canvas, so found by where they are drawn.
JS_CLUSTERS_IN_SIGHT = """() => window.__incidentClusters().filter(c => {
    const top = document.elementFromPoint(c.x, c.y);
    return top && map_div.getContainer().contains(top) && !top.closest('.leaflet-control')
        && !top.classList.contains('incident-marker'); })"""


def ring_point(cluster: dict) -> tuple[dict, str]:
    """A point on a cluster's ring in the middle of its largest share, and that share's colour."""
    largest = max(range(len(cluster["shares"])), key=lambda s: cluster["shares"][s])
    before = sum(cluster["shares"][:largest])
    # Clockwise from twelve o'clock; halfway between the white centre and the outer edge.
    angle = 2 * math.pi * (before + cluster["shares"][largest] / 2) - math.pi / 2
    reach = cluster["size"] / 2 * 0.82
    where = {
        "x": cluster["x"] + reach * math.cos(angle),
        "y": cluster["y"] + reach * math.sin(angle),
    }
    return where, cluster["colours"][largest]


def seen_at(clusters: list[dict], cluster: dict, where: dict) -> bool:
    """Whether ``where``, on ``cluster``, lies under no other cluster's ring."""
    return not any(
        math.dist((where["x"], where["y"]), (other["x"], other["y"])) <= other["size"] / 2 + 2
        for other in clusters
        if other != cluster
    )


def test_cluster_counts_add_up_to_the_selection_and_a_click_zooms_in(mp):
    frame = leaflet(mp)
    frame.evaluate("map_div.closePopup()")  # an earlier test's popup would cover the rings
    frame.evaluate(JS_SHOWN_AT, [29.8, 69.3, 4])
    clusters = frame.evaluate("window.__incidentClusters()")
    counts = [c["count"] for c in clusters]
    singles = frame.locator("path.incident-marker").count()
    showing = mp.get_by_text("Showing ").first.inner_text()
    selected = int(showing.split()[1].replace(",", ""))
    assert sum(counts) + singles == selected == mp.size
    assert counts, "at country zoom, incidents are clustered"
    # Each cluster shows its largest group's colour on its ring, where it is drawn.
    in_sight = [c for c in frame.evaluate(JS_CLUSTERS_IN_SIGHT) if seen_at(clusters, c, c)]
    rings = [(c, *ring_point(c)) for c in in_sight]
    rings = [(c, where, colour) for c, where, colour in rings if seen_at(clusters, c, where)]
    assert rings
    for cluster, where, colour in rings[:3]:
        seen = pixel(mp, *on_page(mp, where))
        assert close_to(seen, hex_rgb(colour)), (cluster["count"], seen, colour)
    before = frame.evaluate("map_div.getZoom()")
    mp.mouse.click(*on_page(mp, in_sight[0]))
    mp.wait_for_timeout(1200)
    assert frame.evaluate("map_div.getZoom()") > before


def test_hovering_a_cluster_names_its_count_and_groups(mp):
    frame = leaflet(mp)
    frame.evaluate("map_div.closePopup()")
    frame.evaluate(JS_SHOWN_AT, [29.8, 69.3, 4])
    clusters = frame.evaluate("window.__incidentClusters()")
    target = next(c for c in frame.evaluate(JS_CLUSTERS_IN_SIGHT) if seen_at(clusters, c, c))
    mp.mouse.move(*on_page(mp, target))
    named = f"{target['count']:,} incidents:"
    tooltip = mp.frame_locator(FRAME).locator(".leaflet-tooltip", has_text=named).last
    tooltip.wait_for(timeout=5_000)
    text = tooltip.inner_text()
    total, _, breakdown = text.partition(" incidents: ")
    assert int(total.replace(",", "")) == target["count"]
    shares = [
        int(part.split()[0].replace(",", "")) for part in breakdown.split("; ")[0].split(", ")
    ]
    assert sum(shares) == target["count"], text  # every incident is in one group's share
    mp.mouse.move(5, 5)  # off the map: the tooltip goes
    tooltip.wait_for(state="hidden", timeout=5_000)


def test_every_cluster_ring_shares_add_up_to_its_count_at_every_zoom(mp):
    # A ring drawn from shares that do not add up to the cluster's count misstates its groups.
    wrong = leaflet(mp).evaluate(
        """() => { const index = window.__incidentData.index, out = [];
            for (let z = 0; z <= 16; z++) {
                for (const f of index.getClusters([-180, -85, 180, 85], z)) {
                    const p = f.properties;
                    if (!p.cluster) { continue; }
                    const total = p.s.reduce((a, b) => a + b, 0);
                    if (total !== p.point_count) { out.push([z, p.point_count, total]); }
                } }
            return out.slice(0, 5); }"""
    )
    assert wrong == []


def test_each_clusters_ring_and_flag_count_are_those_of_its_incidents(mp):
    # The sums a cluster shows are added up after indexing (ClusterSums in incident_layer.js):
    # per group slot, in the period and flagged, they must be those of the incidents under it,
    # in the coarse index and in the index of the view's surroundings above zoom 12.
    wrong = leaflet(mp).evaluate(
        """() => { const shared = window.__incidentData, cols = shared.cols, sel = shared.sel;
            const index = shared.index, perGroup = new Array(shared.data.groups.length).fill(0);
            for (const i of sel) { perGroup[cols.g[i]] += 1; }
            // The ring's slots: the ten groups with most incidents (ties in group order), then
            // every other group.
            const order = perGroup.map((_, k) => k).sort((a, b) => perGroup[b] - perGroup[a]);
            const slot = new Array(perGroup.length).fill(10);
            order.slice(0, 10).forEach((k, s) => { slot[k] = s; });
            const i0 = sel[0], out = [];
            for (let z = 0; z <= 15; z++) {
                const half = z <= 12 ? 180 : 700 * 360 / 256 / Math.pow(2, z);
                const box = [cols.lon[i0] - half, Math.max(cols.lat[i0] - half, -85),
                             cols.lon[i0] + half, Math.min(cols.lat[i0] + half, 85)];
                for (const f of index.getClusters(box, z)) {
                    const p = f.properties;
                    if (!p.cluster) { continue; }
                    const expected = new Array(11).fill(0);
                    let flagged = 0;
                    for (const leaf of index.getLeaves(p.cluster_id, Infinity)) {
                        expected[slot[cols.g[leaf.properties.i]]] += 1;
                        flagged += cols.f[leaf.properties.i];
                    }
                    if (expected.join() !== p.s.join() || flagged !== p.f ||
                            p.now !== p.point_count) {
                        out.push([z, p.point_count, p.s.join(), expected.join(), p.f, flagged]);
                    }
                } }
            return out.slice(0, 5); }"""
    )
    assert wrong == []


def test_above_zoom_12_the_view_clusters_as_one_index_of_everything_would(mp):
    # Above zoom 12 clusters come from an index of the points around the view (a million
    # points index 5x faster up to zoom 12 only); they must be those of one full index.
    frame = leaflet(mp)
    differences = frame.evaluate(
        """() => { const shared = window.__incidentData, cols = shared.cols, index = shared.index;
            // The densest place: the first incident's point, where towns gather incidents.
            const counts = new Map();
            for (const i of shared.sel) {
                const key = cols.lon[i].toFixed(2) + "," + cols.lat[i].toFixed(2);
                counts.set(key, (counts.get(key) || 0) + 1);
            }
            const [lon, lat] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0]
                .split(",").map(Number);
            const features = index.features;
            const reference = new Supercluster({radius: 56, maxZoom: 16, minPoints: 2})
                .load(features);
            const out = [];
            for (let z = 13; z <= 16; z++) {
                const half = 700 * 360 / 256 / Math.pow(2, z);  // about the view's half-width
                const box = [lon - half, lat - half / 2, lon + half, lat + half / 2];
                const describe = f => (f.properties.point_count || 1) + "@" +
                    f.geometry.coordinates.map(v => v.toFixed(6)).join(",");
                const ours = index.getClusters(box, z).map(describe).sort();
                const theirs = reference.getClusters(box, z).map(describe).sort();
                if (ours.join("|") !== theirs.join("|")) {
                    out.push([z, ours.length, theirs.length]);
                }
                if (z === 13 && ours.length === 0) { out.push(["nothing drawn at", z]); }
            }
            return out; }"""
    )
    assert differences == []
    # And the map drawn at zoom 14 there shows incidents that a click opens.
    point = frame.evaluate(
        "() => { const s = window.__incidentData; const i = s.sel[0];"
        " return [s.cols.lat[i], s.cols.lon[i]]; }"
    )
    frame.evaluate(JS_SHOWN_AT, [point[0], point[1], 14])
    assert frame.evaluate("window.__incidentDrawn.incidents") > 0


def test_panning_and_zooming_never_ask_the_server(mp):
    frame = leaflet(mp)
    mp.wait_for_timeout(500)
    sent = len(mp.sent)
    for zoom in (6, 8, 10, 12, 7):
        frame.evaluate(JS_SHOWN_AT, [30.19, 67.0, zoom])
    frame.evaluate(JS_SHOWN_AT, [25.4, 68.4, 9])
    mp.wait_for_timeout(1500)
    assert len(mp.sent) == sent
    assert "view=25.4000%2C68.4000%2C9" in mp.url  # the link keeps the view, without a rerun


def test_the_heatmap_paints_and_the_layer_control_stays(mp):
    frame = leaflet(mp)
    frame.evaluate(JS_SHOWN_AT, [29.8, 69.3, 5])
    control = mp.frame_locator(FRAME).locator(".leaflet-control-layers")
    control.hover()
    control.locator("label", has_text="Heatmap").click()
    mp.mouse.move(5, 5)
    mp.wait_for_timeout(800)
    painted = frame.evaluate(
        """() => { const c = document.querySelector('canvas.leaflet-heatmap-layer');
            if (!c) { return 0; }
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let k = 3; k < d.length; k += 4) { if (d[k] > 20) n++; } return n; }"""
    )
    mp.screenshot(path=str(ARTIFACTS / f"heatmap-{mp.size}.png"))
    assert painted > 500
    assert control.count() == 1
    control.hover()
    control.locator("label", has_text="Heatmap").click()
    mp.mouse.move(5, 5)
    assert control.count() == 1


def test_a_popup_opens_its_incident_in_the_details_tab(mp):
    wait_until_idle(mp)  # start from an idle page: a click during a run can be lost
    frame = leaflet(mp)
    incident, where = shown_single(mp, frame)
    x, y = on_page(mp, where)
    mp.mouse.click(x, y)
    popup = mp.frame_locator(FRAME).locator(f'.incident-popup[data-incident-id="{incident["id"]}"]')
    popup.locator("button.open-details").click()
    box = mp.get_by_label("Incident id")
    box.wait_for(timeout=60_000)
    mp.wait_for_function(
        "id => [...document.querySelectorAll('input')].some(e => e.value === id)",
        arg=incident["id"],
        timeout=60_000,
    )
    assert box.input_value() == incident["id"]
    assert mp.get_by_role("tab", name="Incident details").get_attribute("aria-selected") == "true"
    assert not mp.get_by_text(f"No incident '{incident['id']}'").count()
