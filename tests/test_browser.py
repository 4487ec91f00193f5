"""The real app in headless Chromium: what an analyst sees and does.

Runs ``streamlit run serve.py`` (the server ``make run`` starts) on a free port and drives Debian's Chromium with Playwright
(``executable_path``; no downloaded browser). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pyogrio
import pytest

from geo.export import content_hash, snapshot_bytes
from geo.filters import IncidentFilter, on_map_mask
from geo.io import load_bundled
from layers.style import group_colours
from tests.conftest import ROOT, make_incidents

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Headless Chromium that makes no background connections of its own (see the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
HOSTILE_SUMMARY = "<img src=x onerror=alert(1)> sent </script><script>alert(2)</script>"
HOSTILE_TITLE = "'><svg onload=alert(3)>"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(
    *args: str, settings: dict[str, str] | None = None, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """Start the dashboard (``args`` for app.py, ``settings`` as Streamlit's ``--name value``).

    As ``make run`` starts it: ``serve.py``, which serves app.py and reads its data at start.
    ``env`` adds to this process's environment for the server (such as the team store's URL).
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "serve.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        *(part for name, value in (settings or {}).items() for part in (f"--{name}", value)),
        "--",
        *args,
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"streamlit-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    process.wait()
    raise RuntimeError(f"streamlit did not start on {url}:\n{log.read_text(errors='replace')}")


def wait_until_idle(page, timeout_ms: float = 120_000) -> None:
    """Wait until no script run is in flight: a click during a rerun can land on a widget the
    rerun is replacing, and is then lost (seen on a loaded machine)."""
    idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
    idle.wait_for(timeout=timeout_ms)


def import_file(page, files, timeout_ms: float = 120_000) -> str:
    """Upload ``files`` in the sidebar's Import panel, press Import and return its report.

    ``files`` is what Playwright's ``set_input_files`` takes. Fails with the message shown when
    the import is refused. A browser drops a click whose target a rerun replaces between press
    and release (streamlit/streamlit#10450); when the app is idle 15 s after a click and shows
    no outcome, the button is pressed once more, as a person would, with a warning.
    """
    panel = (
        page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]')
        .filter(has_text="Import incidents")
        .first
    )
    panel.get_by_text("Import incidents").first.click()
    panel.locator('input[type="file"]').set_input_files(files)
    button = panel.get_by_role("button", name="Import", exact=True)
    button.wait_for(timeout=60_000)
    outcomes = panel.locator(
        '[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentError"]'
    )
    before = outcomes.count()
    for attempt in (1, 2):
        wait_until_idle(page)
        button.click()
        if _wait_for_more(page, outcomes, before, timeout_ms if attempt == 2 else 15_000):
            break
        if attempt == 2 or button.count() == 0:
            raise AssertionError(f"no import report within {timeout_ms / 1000:.0f} s")
        warnings.warn("the click on Import was lost; pressed again", stacklevel=2)
    errors = panel.locator('[data-testid="stAlertContentError"]')
    if errors.count():
        raise AssertionError(f"the import was refused: {errors.first.inner_text()}")
    return outcomes.last.inner_text()


def _wait_for_more(page, locator, count: int, timeout_ms: float) -> bool:
    """Whether ``locator`` matches more than ``count`` elements within ``timeout_ms``, the app
    having finished its runs."""
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if locator.count() > count:
            wait_until_idle(page)
            return True
        page.wait_for_timeout(200)
    return False


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process, url = start_app()
    yield url
    stop_app(process)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; run `make browser` (apt-get install chromium)"
        )
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.requests = []
    page.dialogs = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    errors = watch_errors(page)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], errors


def watch_errors(page) -> list[str]:
    """Collect every uncaught error and console error of the page and of all its frames.

    Playwright reports ``pageerror`` and ``console`` for child frames (the map's iframe) too.
    Failed loads from other hosts (tile basemaps on an offline machine) are not the app's errors;
    a failed load from the app's own server is.
    """
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"uncaught in a frame: {e}"))
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and "Failed to load resource" not in m.text
            and errors.append(f"console error: {m.text}")
        ),
    )
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and urlparse(r.url).hostname in LOCAL_HOSTS
            and errors.append(f"HTTP {r.status} from the app: {r.url}")
        ),
    )
    return errors


# The dashboard's map (620 px high); an editor's forms hold smaller maps of their own.
MAIN_MAP = 'iframe[title="streamlit_folium.st_folium"][height="620"]'


def map_frame(page):
    return page.frame_locator(MAIN_MAP)


def open_app(page, url: str, query: str = "") -> None:
    page.goto(f"{url}/{query}")
    page.get_by_text("Showing ").first.wait_for(timeout=60_000)
    map_frame(page).locator(".incident-playback .period").wait_for(timeout=60_000)


def reports_shown(page, reports: int):
    """The count line once ``reports`` reports are selected, in either view.

    With one dataset it reads "Showing N of N incidents"; with two or more the dashboard counts
    each event once and reads "Showing E events (N reports)".
    """
    pattern = (
        rf"^Showing ({reports:,} of {reports:,} incidents|[\d,]+ events? \({reports:,} reports\))$"
    )
    return page.get_by_text(re.compile(pattern)).first


def showing(page) -> str:
    return page.get_by_text("Showing ").first.inner_text()


def on_map(page) -> str:
    return map_frame(page).locator(".incident-playback .period").inner_text()


def test_map_draws_provinces_rail_lines_and_incidents(page, server):
    bundle = load_bundled()
    open_app(page, server)
    total = len(bundle.incidents)
    assert showing(page) == f"Showing {total} of {total} incidents"
    frame = map_frame(page)
    assert on_map(page) == f"{total} incidents on map"
    # 7 province outlines + 7 offline basemap polygons + 4 rail lines, drawn as SVG paths.
    assert frame.locator("path").count() >= 18
    clusters = leaflet_frame(page).evaluate("window.__incidentClusters().length")
    assert clusters + frame.locator("path.incident-marker").count() >= 5
    legend = frame.locator(".incident-legend").inner_text()
    assert legend.startswith("Legend\nGroup") and "Clusters" in legend and "Rail" in legend
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map_overview.png"))


def test_a_tab_clicked_as_the_page_opens_keeps_every_filter(browser, server):
    # The browser reported "Include factions and wings" at the widget's own default (off) with
    # a rerun asked for before the first run had finished: the filter silently dropped the
    # named groups' factions (one incident fewer for TTP here). Two new sessions, each clicking
    # a tab as soon as the count shows.
    bundle = load_bundled()
    ttp = count_groups_with_affiliates(bundle, "TTP")
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors = watch_errors(page)
        page.goto(server)
        page.get_by_text("Showing ").first.wait_for(timeout=60_000)
        page.get_by_role("tab", name="Incident details").click()
        try:
            page.get_by_text("Incident id").first.wait_for(timeout=15_000)
        except playwright.TimeoutError:  # a click made during the first run can be lost
            page.get_by_role("tab", name="Incident details").click()
            page.get_by_text("Incident id").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        assert page.get_by_role("checkbox", name="Include factions and wings").is_checked()
        assert "include_affiliates" not in page.url
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.locator('[data-testid="stMultiSelect"]').first.click()
        page.keyboard.type("TTP (")
        page.keyboard.press("Enter")
        page.get_by_text(f"Showing {ttp} of {len(bundle.incidents)} incidents").wait_for(
            timeout=30_000
        )
        assert errors == []
        context.close()


def count_groups_with_affiliates(bundle, group: str) -> int:
    """Incidents of ``group`` or of its factions and wings (the sidebar's default)."""
    wanted = set(bundle.groups.with_affiliates([group]))
    return sum(bool(set(cell.split("; ")) & wanted) for cell in bundle.incidents["groups"])


def test_choosing_a_group_changes_the_count_and_the_markers(page, server):
    bundle = load_bundled()
    open_app(page, server)
    blf = sum("BLF" in cell.split("; ") for cell in bundle.incidents["groups"])
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').first.click()
    page.keyboard.type("BLF")
    page.keyboard.press("Enter")
    page.get_by_text(f"Showing {blf} of {len(bundle.incidents)} incidents").wait_for(timeout=30_000)
    map_frame(page).get_by_text(f"{blf} incidents on map").wait_for(timeout=30_000)
    page.wait_for_url(lambda url: "groups=BLF" in url, timeout=30_000)
    assert "layers=incidents%2Cprovinces%2Crail" in page.url  # the map's keys are kept


def leaflet_frame(page):
    return next(f for f in page.frames if "streamlit_folium" in f.url)


def test_the_view_survives_a_filter_change_and_playback_steps(page, server):
    open_app(page, server)
    frame = map_frame(page)
    frame.locator(".leaflet-control-zoom-in").click()
    frame.locator(".leaflet-control-zoom-in").click()
    page.wait_for_timeout(800)
    zoom = leaflet_frame(page).evaluate("map_div.getZoom()")
    assert zoom > 5  # zoomed in from the opening zoom of 5
    page.locator('[data-testid="stSidebar"]').get_by_text("Last 12 months of data").click()
    page.get_by_text("Showing ").first.wait_for()
    frame.get_by_text("incidents on map").wait_for()
    page.wait_for_timeout(800)
    assert leaflet_frame(page).evaluate("map_div.getZoom()") == zoom  # map not rebuilt
    assert f"%2C{zoom}" in page.url.split("view=")[1]  # the link still carries the view
    frame.locator('.incident-playback [data-action="first"]').click()
    first = on_map(page)
    frame.locator('.incident-playback [data-action="forward"]').click()
    second = on_map(page)
    assert first != second and "so far" in second
    # Further on, incidents of earlier periods fade: markers and whole clusters alike.
    leaflet_frame(page).evaluate("map_div.setView([29.8, 69.3], 5, {animate: false})")
    for _ in range(6):
        frame.locator('.incident-playback [data-action="forward"]').click()
    faded = leaflet_frame(page).evaluate("window.__incidentClusters().filter(c => c.faded).length")
    faded += leaflet_frame(page).evaluate(
        "() => { let n = 0; map_div.eachLayer(l => { if (l.incidentIndex !== undefined "
        "&& l.options.opacity < 1) n++; }); return n; }"
    )
    assert faded > 0
    frame.locator('.incident-playback [data-action="all"]').click()
    assert on_map(page).endswith("incidents on map")


def test_clicking_an_incident_shows_all_of_it(page, server):
    open_app(page, server, "?groups=BLA&start=2025-03-11&end=2025-03-11")
    assert showing(page).startswith("Showing 1 of")
    frame = map_frame(page)
    frame.locator("path.incident-marker").first.click(force=True)
    popup = frame.locator(".incident-popup")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    assert "RAIL-008" in text
    assert "2025-03-11 13:00 to 2025-03-12" in text
    assert "near, within ~5 km" in text
    assert "Killed (non-attackers)\t25–31" in text or "25–31" in text
    assert "Hostages" in text
    links = popup.locator("a")
    assert links.count() >= 5
    assert links.first.get_attribute("href").startswith("https://")


def test_download_is_the_filtered_geojson(page, server, tmp_path):
    open_app(page, server, "?groups=BLA&provinces=Sindh")
    count = int(showing(page).split()[1])
    assert count >= 1
    with page.expect_download() as download_info:
        page.get_by_role("button", name=f"Download GeoJSON snapshot ({count} incidents)").click()
    path = tmp_path / "snapshot.geojson"
    download_info.value.save_as(path)
    collection = json.loads(path.read_bytes())
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == count
    assert collection["metadata"]["filters"] == {"groups": ["BLA"], "provinces": ["Sindh"]}
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == count
    assert set(frame["province"]) == {"Sindh"}


def test_no_request_leaves_this_machine(page, server):
    open_app(page, server)
    page.locator('[data-testid="stSidebar"]').get_by_text("Last 12 months of data").click()
    page.wait_for_timeout(1500)
    hosts = {urlparse(url).hostname for url in page.requests if url.startswith("http")}
    assert hosts <= LOCAL_HOSTS, hosts


def test_uploaded_acled_file_joins_the_map_and_the_count(page, server):
    from geo.importers import import_incidents

    fixture = ROOT / "tests" / "fixtures" / "imports" / "acled_2024.csv"
    result = import_incidents(fixture, name=fixture.name)
    assert 0 < result.kept < result.rows_read  # some rows are rejected, with reasons
    total = len(load_bundled().incidents) + result.kept
    # Two datasets: each event is counted and drawn once (ui/matching.py, docs/matching.md).
    import geopandas as gpd
    import pandas as pd

    from geo.matching import match_incidents
    from geo.schema import INCIDENT_COLUMNS, conform

    both = pd.concat(
        [load_bundled().incidents[list(INCIDENT_COLUMNS)], result.incidents[list(INCIDENT_COLUMNS)]]
    )
    events = match_incidents(conform(gpd.GeoDataFrame(both, crs="EPSG:4326"))).events
    assert events < total  # the Quetta station bombing is in both
    open_app(page, server)
    import_file(page, str(fixture))
    sidebar = page.locator('[data-testid="stSidebar"]')
    page.get_by_text(f"Showing {events} events ({total} reports)").wait_for(timeout=60_000)
    map_frame(page).get_by_text(f"{events} incidents on map").wait_for(timeout=30_000)
    report = sidebar.get_by_text(f"kept {result.kept} of {result.rows_read} rows")
    assert report.count() == 1
    rejected = sidebar.get_by_role("button", name=f"Rejected rows of {fixture.name} (CSV)")
    with page.expect_download() as download_info:
        rejected.click()
    table = pd.read_csv(download_info.value.path())
    assert len(table) == result.rows_read - result.kept


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory) -> Iterator[str]:
    incidents = make_incidents(
        {
            "incident_id": "EVIL-1",
            "summary": HOSTILE_SUMMARY,
            "place": HOSTILE_TITLE,
            "province": "Balochistan",
            "lon": 67.0,
            "lat": 30.19,
            "groups": "BLA",
            "sources": [
                {
                    "publisher": HOSTILE_TITLE,
                    "title": HOSTILE_SUMMARY,
                    "date": "",
                    "url": 'https://example.org/?q="><script>alert(4)</script>',
                }
            ],
        },
    )
    path = tmp_path_factory.mktemp("hostile") / "hostile.geojson"
    path.write_bytes(
        snapshot_bytes(
            incidents,
            filters=IncidentFilter(),
            dataset_hash=content_hash(incidents),
            dataset_count=1,
            exported_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    process, url = start_app("--incidents", str(path))
    yield url
    stop_app(process)


def test_hostile_text_shows_as_text_and_runs_nothing(page, hostile_server):
    open_app(page, hostile_server)
    frame = map_frame(page)
    frame.locator("path.incident-marker").first.click(force=True)
    popup = frame.locator(".incident-popup")
    popup.wait_for(timeout=10_000)
    assert HOSTILE_SUMMARY in popup.inner_text()
    assert HOSTILE_TITLE in popup.inner_text()
    assert popup.locator("img, svg, script").count() == 0
    assert (
        popup.locator("a").get_attribute("href")
        == 'https://example.org/?q="><script>alert(4)</script>'
    )
    page.get_by_role("tab", name="Incidents table").click()
    page.wait_for_timeout(1000)
    assert page.dialogs == []


def test_rail_tooltips_work_with_provinces_shown(page, server):
    """Provinces sit in a pane below the rail lines: hovering a line names it."""
    lines = load_bundled().rail_lines
    line = lines.iloc[len(lines) // 2]
    point = line.geometry.interpolate(0.37, normalized=True)
    open_app(page, server)
    frame = leaflet_frame(page)
    frame.evaluate(
        "([lat, lon]) => map_div.setView([lat, lon], 8, {animate: false})", [point.y, point.x]
    )
    page.wait_for_timeout(800)
    where = frame.evaluate(
        """([lat, lon]) => { const p = map_div.latLngToContainerPoint([lat, lon]);
            const box = map_div.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y}; }""",
        [point.y, point.x],
    )
    # Provinces are on, in their pane below the rail lines.
    assert frame.evaluate("map_div.getPane('provinces').querySelectorAll('path').length") > 0
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    page.mouse.move(box["x"] + where["x"] - 3, box["y"] + where["y"] - 3)
    page.mouse.move(box["x"] + where["x"], box["y"] + where["y"])
    tooltip = map_frame(page).locator(".leaflet-tooltip", has_text=str(line["line"]))
    tooltip.first.wait_for(timeout=10_000)


def test_a_link_reopens_the_map_view_basemap_and_layers(page, server):
    open_app(page, server, "?view=30.19,67.0,10&basemap=satellite&layers=incidents,rail,heatmap")
    frame = leaflet_frame(page)
    page.wait_for_timeout(500)
    assert frame.evaluate("map_div.getZoom()") == 10
    centre = frame.evaluate("[map_div.getCenter().lat, map_div.getCenter().lng]")
    assert centre == pytest.approx([30.19, 67.0], abs=0.01)
    checked = frame.evaluate(
        "() => [...document.querySelectorAll('.leaflet-control-layers input:checked')]"
        ".map(i => i.parentElement.textContent.trim())"
    )
    assert any(name.startswith("Satellite") for name in checked), checked
    assert "Provinces" not in checked and "Heatmap (deaths)" in checked, checked
    # The link as the page now has it says the same.
    assert "basemap=satellite" in page.url and "view=30.1900%2C67.0000%2C10" in page.url
    assert "layers=incidents%2Cheatmap%2Crail" in page.url


def test_the_flagship_popups_fit_their_content(page, server):
    open_app(page, server, "?groups=BLA")
    frame = leaflet_frame(page)
    for incident_id in ("RAIL-008", "RAIL-007"):
        frame.evaluate(
            """id => { const d = window.__incidentData, c = d.cols;
                for (const i of d.sel) { if (c.text.id(i) === id) {
                    map_div.setView([c.lat[i], c.lon[i]], 16, {animate: false}); } } }""",
            incident_id,
        )
        page.wait_for_timeout(300)
        frame.evaluate(
            """id => map_div.eachLayer(l => { if (l.incidentIndex !== undefined &&
                window.__incidentData.cols.text.id(l.incidentIndex) === id) l.fire('click'); })""",
            incident_id,
        )
        popup = map_frame(page).locator(f'.incident-popup[data-incident-id="{incident_id}"]')
        popup.wait_for(timeout=10_000)
        width, visible = frame.evaluate(
            "() => { const c = document.querySelector('.leaflet-popup-content');"
            " return [c.scrollWidth, c.clientWidth]; }"
        )
        assert width <= visible + 1, (incident_id, width, visible)
        page.screenshot(path=str(ARTIFACTS / f"popup-{incident_id}.png"))


def test_a_tab_computes_its_content_when_opened_and_stays_open(page, server):
    """Tabs are lazy (only the open one is computed), so opening one must bring its content."""
    open_app(page, server)
    by_group = page.get_by_text("By group (an incident with two groups counts for each)")
    assert by_group.count() == 0  # the Totals tab was never opened: nothing computed for it
    page.get_by_role("tab", name="Totals").click()
    by_group.wait_for(timeout=30_000)
    wait_until_idle(page)  # the caption shows while the run still writes the second table
    totals = page.locator('[data-testid="stTabs"] [data-testid="stDataFrame"]:visible')
    totals.nth(1).wait_for(timeout=30_000)  # the first tables drawn load the grid's script
    assert totals.count() == 2  # by group and by province
    page.get_by_role("tab", name="Incidents table").click()
    page.get_by_role("button", name=re.compile(r"^Download the table as CSV")).wait_for(
        timeout=30_000
    )
    assert page.get_by_role("tab", name="Incidents table").get_attribute("aria-selected") == "true"
    page.screenshot(path=str(ARTIFACTS / "lazy-tab-table.png"), full_page=True)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[k : k + 2], 16) for k in (1, 3, 5))


def close_to(actual, expected, tolerance: int = 45) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def pixels_of(element) -> Iterator[tuple[tuple[int, int], tuple[int, int, int]]]:
    """Each pixel of an element's screenshot: its position in the element and its colour."""
    from PIL import Image

    shot = Image.open(io.BytesIO(element.screenshot())).convert("RGB")
    colours = shot.load()
    for y in range(shot.height):
        for x in range(shot.width):
            yield (x, y), colours[x, y]


def test_the_timeline_draws_each_groups_bars_in_its_map_colour(page, server):
    bundle = load_bundled()
    colours = group_colours(bundle.groups.names)
    rgb = {g: hex_rgb(colours[g]) for g in ("BLA", "TTP")}
    open_app(page, server)
    chart = page.locator('[data-testid="stTabs"] [data-testid="stVegaLiteChart"]').first
    chart.locator("canvas, svg").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the bars' first frame
    pixels = list(pixels_of(chart))
    seen = {g: [xy for xy, c in pixels if close_to(c, rgb[g], 30)] for g in rgb}
    assert len(seen["BLA"]) > 100, "BLA's bars are not drawn in BLA's map colour"
    assert len(seen["TTP"]) > 20, "TTP's bars are not drawn in TTP's map colour"
    # A bar's tooltip names its group.
    box = chart.bounding_box()
    x, y = seen["TTP"][len(seen["TTP"]) // 2]
    page.mouse.move(box["x"] + x, box["y"] + y)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=10_000)
    assert "TTP" in tooltip.inner_text()
    page.screenshot(path=str(ARTIFACTS / "timeline-tooltip.png"))


def test_hovering_a_province_shows_how_many_incidents_the_map_draws_there(page, server):
    bundle = load_bundled()
    drawn = bundle.incidents[on_map_mask(bundle.incidents).to_numpy(dtype=bool)]
    expected = int((drawn["province"] == "Balochistan").sum())
    outline = bundle.provinces.set_index("name").geometry["Balochistan"]
    inside = outline.representative_point()
    open_app(page, server)
    frame = leaflet_frame(page)
    frame.evaluate(
        "([lat, lon]) => map_div.setView([lat, lon], 9, {animate: false})", [inside.y, inside.x]
    )
    page.wait_for_timeout(800)
    box = page.locator(MAIN_MAP).bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(middle[0] - 4, middle[1] - 4)
    page.mouse.move(*middle)
    tooltip = map_frame(page).locator(".leaflet-tooltip", has_text="Balochistan")
    tooltip.first.wait_for(timeout=10_000)
    text = " ".join(tooltip.first.inner_text().split())
    assert "PK-BA" in text
    assert f"Incidents shown {expected}" in text, text
