"""Each event counted once, on a team store, at more events than are sent with the map.

A store holding 8,000 synthetic incidents and an ACLED-layout file that reports bundled
incidents again (tests/fixtures/matching/acled.csv), beside the bundled incidents: two datasets,
so the map draws one row per event. A visitor who is not logged in sees what every visitor
sees, so the page fetches the event table once as a file and each filter change sends a mask; a
matched event's marker opens a popup that says how many reports it has. An analyst who sees
only shared datasets sees the visitors' events and fetches the same file; one whose own private
import is among the events gets them with the map, never written as a file. Fails on any page
error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import geopandas as gpd
import pandas as pd
import pytest

from geo.importers import import_incidents
from geo.importers.result import ImportResult, empty_rejected
from geo.io import load_bundled
from geo.matching import match_incidents
from geo.schema import INCIDENT_COLUMNS, conform
from geo.store import open_store
from geo.synthetic import synthetic_incidents
from tests.conftest import ROOT
from tests.store_helpers import PASSWORD
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    map_frame,
    start_app,
    stop_app,
    wait_until_idle,
    watch_errors,
)
from tests.test_map_pixels import JS_SHOWN_AT, leaflet, on_page
from tests.test_map_selection_browser import legend_total, on_map
from tests.test_store_browser import log_in

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
SIZE = 8_000  # over the detail limit (2,000 events) in the last 12 months too
MATCHED = ROOT / "tests" / "fixtures" / "matching" / "acled.csv"
PRIVATE = ROOT / "tests" / "fixtures" / "imports" / "acled_extract.csv"  # asma's, seen by her only
HEADLINE = re.compile(r"Showing ([\d,]+) events \(([\d,]+) reports\)")
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"][height="620"]'
JS_FIND_EVENT = """
id => {
    const cols = window.__incidentData.cols;
    for (const i of window.__incidentData.sel) {
        if (cols.text.id(i) === id) { return {i: i, lat: cols.lat[i], lon: cols.lon[i]}; }
    }
    return null;
}
"""


def apart_from(synthetic: gpd.GeoDataFrame, matched: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop the synthetic rows that the matching puts into a real event (the test counts them)."""
    real = pd.concat(
        [load_bundled().incidents[list(INCIDENT_COLUMNS)], matched[list(INCIDENT_COLUMNS)]]
    )
    both = conform(gpd.GeoDataFrame(pd.concat([real, synthetic[list(INCIDENT_COLUMNS)]]), crs=4326))
    events = match_incidents(both.reset_index(drop=True)).event_ids
    joined = set(events[events.isin(set(events[events.index.isin(real["incident_id"])]))].index)
    kept = synthetic[~synthetic["incident_id"].isin(joined)]
    assert len(kept) > SIZE * 0.9
    return kept


@pytest.fixture(scope="module")
def events_server(tmp_path_factory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('events') / 'store.sqlite'}"
    store = open_store(url)
    admin = store.create_account("admin", PASSWORD, "admin", actor=None)
    asma = store.create_account("asma", PASSWORD, "editor", actor=admin)
    store.create_account("bilal", PASSWORD, "editor", actor=admin)
    matched = import_incidents(MATCHED, name=MATCHED.name)
    synthetic = apart_from(synthetic_incidents(SIZE, bundle=load_bundled()), matched.incidents)
    rows = ImportResult(
        "synthetic.geojson", "snapshot", synthetic, empty_rejected(), len(synthetic)
    )
    store.import_result(rows, actor=admin)
    store.import_result(matched, actor=admin)
    private = import_incidents(PRIVATE, name=PRIVATE.name)
    store.import_result(private, actor=asma, visibility="private")
    store.close()
    # As on a new server: a file an earlier run published for the same data and decisions
    # would be found (the team decision's table, say) instead of being drawn over another.
    from layers.payload import PAYLOAD_DIR

    for published in PAYLOAD_DIR.glob("incidents-*"):
        published.unlink(missing_ok=True)
    process, address = start_app(env={"INCIDENT_STORE_URL": url})
    yield address
    stop_app(process)


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def headline(page) -> tuple[int, int]:
    """Return (events, reports) of the count above the map."""
    page.get_by_text(HEADLINE).first.wait_for(timeout=120_000)
    events, reports = HEADLINE.search(page.get_by_text(HEADLINE).first.inner_text()).groups()
    return int(events.replace(",", "")), int(reports.replace(",", ""))


def open_watched(browser, address: str):
    """Open the page, recording the payload files it fetches and the messages it receives."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = watch_errors(page)
    page.fetched, page.received = [], []
    page.on(
        "response", lambda r: "/static/cache/incidents-" in r.url and page.fetched.append(r.url)
    )
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: page.received.append(f)))
    page.goto(address)
    return context, page, errors


def layer_messages(page) -> list[str]:
    """The messages that carried the incident layer (one per map drawn)."""
    texts = [f.decode("utf-8", "replace") if isinstance(f, bytes) else f for f in page.received]
    return [t for t in texts if "incidentLayer" in t]


def open_popup(page, event_id: str):
    """Click the event's marker (a district's point lists its events first); return the popup."""
    frame = leaflet(page)
    event = frame.evaluate(JS_FIND_EVENT, event_id)
    assert event is not None, f"{event_id} is not among the incidents drawn"
    x, y = on_page(page, frame.evaluate(JS_SHOWN_AT, [event["lat"], event["lon"], 16]))
    page.mouse.click(x, y)
    listing = map_frame(page).locator(".incident-stack a", has_text=event_id)
    popup = map_frame(page).locator(f'.incident-popup[data-incident-id="{event_id}"]')
    listing.or_(popup).first.wait_for(timeout=10_000)
    if listing.count():
        listing.first.click()
    popup.wait_for(timeout=10_000)
    return popup


def test_a_visitor_fetches_the_events_once_and_each_filter_sends_a_mask(browser, events_server):
    context, page, errors, events, reports = open_as_visitor(browser, events_server)
    assert SIZE < events < reports  # the ACLED rows report bundled incidents again
    assert leaflet(page).evaluate("window.__incidentData.source") == "published file"
    assert legend_total(page) == events
    assert len(page.fetched) == 1

    # The Mach attack of January 2024: one event for the bundled report and ACLED's.
    text = open_popup(page, "EV:RAIL-004").inner_text()
    assert re.search(r"Reports\s*6 \(one event", text), text

    page.received.clear()
    page.locator('[data-testid="stSidebar"]').get_by_text("Last 12 months of data").click()
    page.wait_for_function(
        "n => !document.body.innerText.includes('Showing ' + n + ' events')", arg=f"{events:,}"
    )
    year, year_reports = headline(page)
    assert 2_000 < year < events and year <= year_reports
    on_map(page, f"{year:,} incidents on map")
    # The Mach attack is not in the last 12 months: its popup went with the old selection.
    gone = map_frame(page).locator('.incident-popup[data-incident-id="EV:RAIL-004"]')
    gone.wait_for(state="detached", timeout=5_000)  # Leaflet fades a popup out
    assert legend_total(page) == year
    (layer,) = layer_messages(page)
    # Which rows of the file are selected, not the events themselves.
    assert '\\"mask\\":\\"' in layer and '\\"columns\\"' not in layer
    assert len(page.fetched) == 1, page.fetched
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "event-map-visitor.png"))
    context.close()
    assert errors == [], errors


def test_an_event_cut_by_the_period_is_drawn_with_the_reports_inside_it(browser, events_server):
    # The Jaffar Express attack ran from 11 to 12 March 2025; ACLED has a row for each day.
    # Up to 11 March, the event holds the bundled report and ACLED's first day only.
    context, page, errors = open_watched(browser, f"{events_server}/?end=2025-03-11")
    events, _ = headline(page)
    assert events > 2_000
    on_map(page, f"{events:,} incidents on map")
    assert legend_total(page) == events
    (layer,) = layer_messages(page)
    assert '\\"mask\\":\\"' in layer and '\\"extra\\"' in layer
    text = open_popup(page, "EV:RAIL-008").inner_text()
    assert re.search(r"Reports\s*2 \(one event", text), text
    assert "2025-03-11 to 2025-03-12" in text, text  # the bundled report spans both days
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "event-map-cut-event.png"))
    context.close()
    assert errors == [], errors


def open_as_visitor(browser, address: str):
    """Open the page and wait for its map; return the context, page, errors and the count."""
    context, page, errors = open_watched(browser, address)
    events, reports = headline(page)
    on_map(page, f"{events:,} incidents on map")
    return context, page, errors, events, reports


def test_an_analyst_with_private_data_gets_it_with_the_map_never_as_a_file(browser, events_server):
    from layers.payload import PAYLOAD_DIR

    context, page, errors, _, reports = open_as_visitor(browser, events_server)
    before = set(PAYLOAD_DIR.glob("incidents-*"))
    log_in(page, "asma")
    page.wait_for_function(
        "n => !document.body.innerText.includes('(' + n + ' reports)')", arg=f"{reports:,}"
    )
    own, own_reports = headline(page)
    assert own_reports > reports  # her private import
    on_map(page, f"{own:,} incidents on map")
    assert leaflet(page).evaluate("window.__incidentData.source") == "sent with the map"
    assert set(PAYLOAD_DIR.glob("incidents-*")) == before
    context.close()
    assert errors == [], errors


def test_an_analyst_who_sees_what_visitors_see_fetches_the_same_file(browser, events_server):
    context, page, errors, events, reports = open_as_visitor(browser, events_server)
    page.received.clear()
    log_in(page, "bilal")
    wait_until_idle(page)  # the run after the login has drawn its map
    assert headline(page) == (events, reports)  # only shared datasets: the visitors' events
    on_map(page, f"{events:,} incidents on map")
    assert leaflet(page).evaluate("window.__incidentData.source") == "published file"
    # A map drawn again after the login is a mask over the same file, never the events.
    assert all('\\"url\\"' in layer for layer in layer_messages(page))
    assert len(set(page.fetched)) == 1, page.fetched
    context.close()
    assert errors == [], errors


def test_a_visitors_own_decision_is_drawn_over_the_file_every_visitor_fetched(
    browser, events_server
):
    from layers.payload import PAYLOAD_DIR

    context, page, errors, events, reports = open_as_visitor(browser, events_server)
    before = set(PAYLOAD_DIR.glob("incidents-*"))
    # The bundled report of a night attack and ACLED's row of it: one event of two reports.
    text = open_popup(page, "EV:RAIL-006").inner_text()
    assert re.search(r"Reports\s*2 \(one event", text), text
    map_frame(page).get_by_role("button", name="Open in Incident details").click()
    page.get_by_role("button", name="Reject this match").click()
    page.wait_for_function(
        "n => document.body.innerText.includes('Showing ' + n + ' events')",
        arg=f"{events + 1:,}",
        timeout=120_000,
    )
    assert headline(page) == (events + 1, reports)
    on_map(page, f"{events + 1:,} incidents on map")
    assert legend_total(page) == events + 1
    # The page kept the file it had and got the two reports, now events of their own, with
    # the mask; the server wrote no file for this visitor's matching.
    assert len(page.fetched) == 1, page.fetched
    assert '\\"mask\\":\\"' in layer_messages(page)[-1]
    assert '\\"extra\\"' in layer_messages(page)[-1]
    assert set(PAYLOAD_DIR.glob("incidents-*")) == before
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()  # the button was below the map
    for report in ("RAIL-006", "ACLED:PAK900008"):
        text = open_popup(page, report).inner_text()
        assert "one event" not in text, text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "event-map-own-decision.png"))
    context.close()
    assert errors == [], errors


def test_a_team_decision_reaches_every_visitor_over_the_file_they_have(browser, events_server):
    """Last in this module: the decision stays in the store the other tests read."""
    from layers.payload import PAYLOAD_DIR

    context, page, errors, events, reports = open_as_visitor(browser, events_server)
    log_in(page, "bilal")  # an editor: his decisions are the team's
    wait_until_idle(page)
    before = set(PAYLOAD_DIR.glob("incidents-*"))
    page.get_by_role("tab", name="Incident details").click()
    box = page.get_by_placeholder("e.g. RAIL-008")  # the details tab's id box
    box.fill("EV:RAIL-016")
    box.press("Enter")
    page.get_by_role("button", name="Reject this match").click()
    page.wait_for_function(
        "n => document.body.innerText.includes('Showing ' + n + ' events')",
        arg=f"{events + 1:,}",
        timeout=120_000,
    )
    on_map(page, f"{events + 1:,} incidents on map")
    assert '\\"extra\\"' in layer_messages(page)[-1]
    context.close()
    # A visitor arriving after it sees the team's decision, drawn over the same file.
    context, page, visitor_errors, after, _ = open_as_visitor(browser, events_server)
    assert after == events + 1
    assert legend_total(page) == events + 1
    assert '\\"extra\\"' in layer_messages(page)[-1]
    assert len(page.fetched) == 1 and set(PAYLOAD_DIR.glob("incidents-*")) == before
    # ACLED's report of it stands alone now (the bundled one may find another match).
    text = open_popup(page, "ACLED:PAK900013").inner_text()
    assert "one event" not in text, text
    context.close()
    assert errors == [] and visitor_errors == [], errors + visitor_errors
