"""Counting each event once, in a real browser: one marker per event, its reports in the popup."""

from __future__ import annotations

from datetime import UTC, date, datetime

import geopandas as gpd
import pandas as pd
import pytest

from geo.export import content_hash, snapshot_bytes
from geo.filters import IncidentFilter
from geo.importers import import_incidents
from geo.io import load_bundled
from geo.matching import match_incidents
from geo.schema import INCIDENT_COLUMNS, conform
from tests import test_browser
from tests.conftest import ROOT
from tests.test_browser import ARTIFACTS, map_frame, on_map, open_app, showing, start_app, stop_app

pytestmark = pytest.mark.browser
browser = test_browser.browser  # the same Chromium fixtures as the other browser tests
page = test_browser.page

ACLED = ROOT / "tests" / "fixtures" / "matching" / "acled.csv"


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory):
    bundled = load_bundled().incidents[list(INCIDENT_COLUMNS)]
    acled = import_incidents(ACLED, name="acled.csv").incidents[list(INCIDENT_COLUMNS)]
    both = conform(
        gpd.GeoDataFrame(pd.concat([bundled, acled], ignore_index=True), crs="EPSG:4326")
    )
    path = tmp_path_factory.mktemp("two") / "two-datasets.geojson"
    # The snapshot's filters open the day of the Quetta station bombing (RAIL-007).
    path.write_bytes(
        snapshot_bytes(
            both,
            filters=IncidentFilter(start=date(2024, 11, 9), end=date(2024, 11, 9)),
            dataset_hash=content_hash(both),
            dataset_count=len(both),
            exported_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    result = match_incidents(both)
    return path, result.events, result.reports  # events and reports of the whole file


@pytest.fixture(scope="module")
def matching_server(two_datasets):
    path, _, _ = two_datasets
    process, url = start_app("--snapshot", str(path))
    yield url
    stop_app(process)


def test_each_event_is_one_marker_with_its_reports(page, matching_server, two_datasets):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _, _, reports = two_datasets
    open_app(page, matching_server)
    assert showing(page) == "Showing 1 event (2 reports)"
    assert page.get_by_text(f"{reports} reports loaded").count() == 1
    frame = map_frame(page)
    assert on_map(page) == "1 incident on map"
    markers = frame.locator("path.incident-marker")
    assert markers.count() == 1  # two reports of the Quetta station bombing, one marker
    markers.first.click(force=True)
    popup = frame.locator(".incident-popup")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    assert "EV:RAIL-007" in text
    assert "2 (one event; all in the Incident details tab)" in text
    assert "24–32" in text  # lowest low to highest high across the reports
    assert "bundled; acled.csv" in text  # who reported it
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "matching_one_marker.png"))
    assert not errors
