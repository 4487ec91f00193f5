"""Geography in a real browser: the offline basemap, place labels, place search, tile failure and
the railway corridor, checked by what a person sees (pixels) and does (clicks).

Every test fails on any uncaught error or console error in any frame of the page.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

from geo.gazetteer import Gazetteer
from geo.io import load_bundled
from layers.basemap import NEIGHBOUR_LAND, SEA
from layers.style import group_colours
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LOCAL_HOSTS,
    leaflet_frame,
    map_frame,
    open_app,
    showing,
    start_app,
    stop_app,
)

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

STREET_MAP = "Street map (OpenStreetMap)"
RING = "#0b5cad"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process, url = start_app()
    yield url
    stop_app(process)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; run `make browser`")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A page that records every page error and console error, in any frame, and fails on one.

    Requests to other hosts (tile servers) are refused, as on an air-gapped machine; the failed
    tile loads they cause are expected and not counted as errors.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(f"page error: {error}"))

    def on_console(message):
        if message.type == "error" and not _is_refused_request(message):
            page.errors.append(f"console error in {message.location.get('url')}: {message.text}")

    page.on("console", on_console)
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlparse(route.request.url).hostname in LOCAL_HOSTS
            else route.abort("internetdisconnected")
        ),
    )
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert page.errors == []


def _is_refused_request(message) -> bool:
    url = message.location.get("url", "")
    return "net::ERR_INTERNET_DISCONNECTED" in message.text or (
        url.startswith("http") and urlparse(url).hostname not in LOCAL_HOSTS
    )


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def screenshot(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)


def frame_point(page, lat: float, lon: float) -> tuple[float, float]:
    """Pixel of a coordinate inside the map's frame."""
    return tuple(
        leaflet_frame(page).evaluate(
            "([lat, lon]) => { const p = map_div.latLngToContainerPoint([lat, lon]);"
            " const r = map_div.getContainer().getBoundingClientRect();"
            " return [p.x + r.left, p.y + r.top]; }",
            [lat, lon],
        )
    )


def map_point(page, lat: float, lon: float) -> tuple[float, float]:
    """Page pixel of a coordinate on the Leaflet map."""
    x, y = frame_point(page, lat, lon)
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    return box["x"] + x, box["y"] + y


def pixel(image: np.ndarray, x: float, y: float) -> np.ndarray:
    return image[int(round(y)), int(round(x))]


def set_view(page, lat: float, lon: float, zoom: int) -> None:
    leaflet_frame(page).evaluate(f"map_div.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_timeout(600)


def visible_labels(page) -> list[str]:
    return leaflet_frame(page).evaluate(
        "Array.from(document.querySelectorAll('.leaflet-placeLabels-pane .place-label-text'))"
        ".map(e => e.textContent)"
    )


def test_offline_basemap_shows_neighbours_sea_and_names(page, server):
    open_app(page, server)
    page.wait_for_timeout(800)
    image = screenshot(page)
    # Afghanistan and India are land, not sea; the Arabian Sea is sea.
    for lat, lon in ((33.0, 65.0), (26.0, 76.0)):
        assert np.abs(pixel(image, *map_point(page, lat, lon)) - rgb(NEIGHBOUR_LAND)).sum() < 12
    assert np.abs(pixel(image, *map_point(page, 22.5, 64.0)) - rgb(SEA)).sum() < 12
    labels = visible_labels(page)
    assert {"Afghanistan", "Iran", "India", "Pakistan", "Balochistan", "Karachi"} <= set(labels)
    assert "Mach" not in labels  # a town of 44,000 is named only closer in
    attribution = map_frame(page).locator(".leaflet-control-attribution").inner_text()
    assert "Natural Earth" in attribution and "GeoNames" in attribution
    assert "OpenStreetMap" not in attribution  # no tiles drawn, no tile credit


def test_towns_and_stations_are_named_as_the_analyst_zooms_in(page, server):
    open_app(page, server)
    set_view(page, 29.75, 67.4, 7)
    assert "Quetta" in visible_labels(page)
    assert "Kolpur" not in visible_labels(page)
    set_view(page, 29.92, 67.25, 11)
    labels = visible_labels(page)
    assert {"Kolpur", "Mach"} <= set(labels)
    assert "Balochistan" not in labels  # province names leave at close zoom


def test_labels_never_hide_a_marker_or_take_its_click(page, server):
    open_app(page, server, "?groups=BLA&start=2024-11-09&end=2024-11-09")
    assert showing(page).startswith("Showing 1 of")
    quetta = load_bundled().incidents.set_index("incident_id").loc["RAIL-007"].geometry
    set_view(page, quetta.y, quetta.x, 9)
    assert "Quetta" in visible_labels(page)  # written right beside the bombed station
    frame = leaflet_frame(page)
    top = frame.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).getAttribute('class') || ''",
        list(frame_point(page, quetta.y, quetta.x)),
    )
    assert "incident-marker" in top
    page.mouse.click(*map_point(page, quetta.y, quetta.x))
    popup = map_frame(page).locator(".incident-popup")
    popup.wait_for(timeout=10_000)
    assert "RAIL-007" in popup.inner_text()
    pane_z = frame.evaluate(
        "[getComputedStyle(map_div.getPane('placeLabels')).zIndex,"
        " getComputedStyle(map_div.getPane('placeLabels')).pointerEvents]"
    )
    assert int(pane_z[0]) < 400 and pane_z[1] == "none"


def shown_choice(select, expected: str, timeout_s: float = 30) -> str:
    """Wait until a selectbox shows a choice containing ``expected``; return what it shows."""
    deadline = time.monotonic() + timeout_s
    while True:
        inputs = select.locator("input")
        text = select.inner_text() + (
            " " + (inputs.first.get_attribute("value") or inputs.first.input_value())
            if inputs.count()
            else ""
        )
        if expected in text or time.monotonic() > deadline:
            return text
        time.sleep(0.3)


def map_centre(page, lat: float, lon: float, timeout_s: float = 30) -> list[float]:
    """Wait until the map is centred on (lat, lon); return its centre and zoom."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = leaflet_frame(page).evaluate(
            "[map_div.getCenter().lat, map_div.getCenter().lng, map_div.getZoom()]"
        )
        near = abs(state[0] - lat) < 0.002 and abs(state[1] - lon) < 0.002
        if near or time.monotonic() > deadline:
            return state
        time.sleep(0.3)


def search(page, text: str) -> None:
    box = page.locator('[data-testid="stSidebar"] input[aria-label="Find a place"]')
    box.fill(text)
    box.press("Enter")


@pytest.mark.parametrize(
    ("typed", "name", "kind"),
    [("Mashkaf", "Mushkaf", "station"), ("Machh", "Mach", "town"), ("Dhadar", "Dadhar", "town")],
)
def test_finding_a_place_moves_the_map_there(page, server, typed, name, kind):
    place = next(p for p in Gazetteer.bundled().search(typed) if p.kind == kind)
    assert place.name == name
    open_app(page, server)
    search(page, typed)
    chosen = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="place(s) found"
    )
    assert f"{name} — {kind}" in shown_choice(chosen, f"{name} — {kind}")
    centre = map_centre(page, place.lat, place.lon)
    assert centre[:2] == pytest.approx([place.lat, place.lon], abs=0.002)
    page.wait_for_timeout(500)
    # The ring around the found place is drawn where the place is.
    image = screenshot(page)
    x, y = map_point(page, place.lat, place.lon)
    ring = [pixel(image, x + dx, y) for dx in (13, 14, 15)]
    assert min(np.abs(p - rgb(RING)).sum() for p in ring) < 60


def test_choosing_another_result_moves_the_map_again(page, server):
    places = Gazetteer.bundled().search("Quetta")
    city = next(p for p in places if p.kind == "city")
    station = next(p for p in places if p.kind == "station")
    open_app(page, server)
    search(page, "Quetta")
    select = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="place(s) found"
    )
    assert "Quetta — city" in shown_choice(select, "Quetta — city")
    assert map_centre(page, city.lat, city.lon) == pytest.approx(
        [city.lat, city.lon, 11], abs=0.002
    )
    select.click()
    page.get_by_role("option").filter(has_text="Quetta — station").first.click()
    assert map_centre(page, station.lat, station.lon) == pytest.approx(
        [station.lat, station.lon, 13], abs=0.002
    )


def test_tiles_that_cannot_load_are_said_and_the_offline_basemap_offered(page, server):
    open_app(page, server)
    frame = map_frame(page)
    frame.locator(".leaflet-control-layers").hover()
    frame.get_by_text(STREET_MAP).click()
    notice = frame.locator(".basemap-status")
    notice.wait_for(timeout=15_000)
    assert f"{STREET_MAP} cannot load" in notice.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tile_basemap_cannot_load.png"))
    attribution = frame.locator(".leaflet-control-attribution").inner_text()
    assert "OpenStreetMap" not in attribution  # nothing of theirs is drawn
    frame.get_by_role("button", name="Use the offline basemap").click()
    notice.wait_for(state="detached", timeout=5_000)
    page.wait_for_timeout(500)
    image = screenshot(page)
    assert np.abs(pixel(image, *map_point(page, 33.0, 65.0)) - rgb(NEIGHBOUR_LAND)).sum() < 12
    assert "Natural Earth" in frame.locator(".leaflet-control-attribution").inner_text()


def corridor_chart(page):
    page.get_by_role("tab", name="Railway corridor").click()
    chart = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="km post").first
    chart.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    chart.scroll_into_view_if_needed()
    return chart


def colour_spots(image: np.ndarray, colour: str, box: dict) -> list[tuple[float, float]]:
    """Centres of the blobs of ``colour`` inside ``box`` (page pixels), left to right."""
    left, top = int(box["x"]), int(box["y"])
    area = image[top : top + int(box["height"]), left : left + int(box["width"])]
    ys, xs = np.nonzero(np.abs(area - rgb(colour)).sum(axis=2) < 30)
    spots: list[list[tuple[int, int]]] = []
    for x, y in sorted(zip(xs.tolist(), ys.tolist(), strict=True)):
        for spot in spots:
            if abs(spot[-1][0] - x) <= 2 and abs(np.mean([p[1] for p in spot]) - y) <= 8:
                spot.append((x, y))
                break
        else:
            spots.append([(x, y)])
    return [
        (left + float(np.mean([p[0] for p in s])), top + float(np.mean([p[1] for p in s])))
        for s in spots
        if len(s) >= 20
    ]


def test_corridor_marks_are_coloured_as_on_the_map_and_a_click_opens_the_incident(page, server):
    bundle = load_bundled()
    bla = group_colours(bundle.groups.names)["BLA"]
    open_app(page, server)
    chart = corridor_chart(page)
    box = chart.bounding_box()
    spots = colour_spots(screenshot(page), bla, box)
    assert len(spots) >= 5  # BLA attacks on ML-3, in the BLA colour of the map's legend
    # Rightmost BLA mark: the Quetta railway station bombing at km 381.
    x, y = max(spots)
    page.mouse.click(x, y)
    page.get_by_text("RAIL-007 · 2024-11-09 · BLA").wait_for(timeout=30_000)
    quetta = bundle.incidents.set_index("incident_id").loc["RAIL-007"].geometry
    centre = map_centre(page, quetta.y, quetta.x)
    assert centre[:2] == pytest.approx([quetta.y, quetta.x], abs=0.002)
    page.get_by_role("tab", name="Incident details").click()
    # The tab is drawn by the run its click starts: the id box shows the incident once it is.
    playwright.expect(page.locator('input[aria-label="Incident id"]')).to_have_value(
        "RAIL-007", timeout=30_000
    )


def test_brushing_the_corridor_filters_the_map_and_panels(page, server):
    open_app(page, server)
    total = int(showing(page).split()[1])
    chart = corridor_chart(page)
    box = chart.bounding_box()
    # Drag across the middle of the plot: a stretch of ML-3 and a period.
    start = (box["x"] + box["width"] * 0.45, box["y"] + 200)
    end = (box["x"] + box["width"] * 0.75, box["y"] + 345)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    page.mouse.up()
    note = page.get_by_text("Railway corridor: ML-3 Rohri–Chaman km ")
    note.wait_for(timeout=30_000)
    kept = int(note.inner_text().split("(")[-1].split()[0])
    assert 0 < kept < total
    assert showing(page) == f"Showing {kept} of {total} incidents"
    map_frame(page).get_by_text(f"{kept} incidents on map").wait_for(timeout=30_000)
    assert page.get_by_role("tab", name="Railway corridor").get_attribute("aria-selected") == "true"
    # Another tab keeps the brush (the chart is still drawn while it holds one).
    page.get_by_role("tab", name="Timeline").click()
    page.wait_for_timeout(2000)
    assert showing(page) == f"Showing {kept} of {total} incidents"
    page.get_by_role("tab", name="Railway corridor").click()
    page.wait_for_timeout(1500)
    assert showing(page) == f"Showing {kept} of {total} incidents"
    # A double-click clears the brush and brings every incident back.
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] * 0.3, box["y"] + 300)
    page.get_by_text(f"Showing {total} of {total} incidents").wait_for(timeout=30_000)
