"""Shared fixtures: tiny hand-written layers and an incident builder."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from geo.groups import GroupRegistry
from geo.schema import conform
from tests.store_helpers import (  # noqa: F401 - fixtures
    people,
    postgis_url,
    quick_password_hashing,
    store,
    store_url,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def as_text(markdown: str) -> str:
    """Return the text a message shows: ui.messages backslash-escapes all punctuation."""
    return re.sub(r"\\(.)", r"\1", markdown)


def open_tab(at, label: str):
    """Make ``label`` the open tab of the page's tab bar before the next run of ``at``.

    A tab's content is computed only while it is open (the details tab included), as when a
    person clicks the tab: the tab bar's value is the open tab's label.
    """
    at.session_state["detail_tabs_0"] = label
    return at


def make_incidents(*rows: dict) -> gpd.GeoDataFrame:
    """Build a schema-conformant GeoDataFrame from a few dicts (``lon``/``lat`` give the point)."""
    defaults = {
        "incident_id": "X-1",
        "start": "2025-03-11",
        "end": "2025-03-11 23:59:59",
        "date_precision": "day",
        "place": "Somewhere",
        "province": "West",
        "country": "Pakistan",
        "geo_precision": "exact",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "groups": "BLA",
        "summary": "",
        "sources": [],
        "lon": 67.0,
        "lat": 29.0,
    }
    records = []
    for number, row in enumerate(rows, start=1):
        record = {**defaults, "incident_id": f"X-{number}", **row}
        record["sources"] = list(record["sources"])
        records.append(record)
    frame = pd.DataFrame(records)
    geometry = [
        Point(lon, lat) for lon, lat in zip(frame.pop("lon"), frame.pop("lat"), strict=True)
    ]
    return conform(gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326"))


@pytest.fixture
def provinces() -> gpd.GeoDataFrame:
    """Two square provinces side by side: West (66..68°E) and East (68..70°E), 28..30°N."""
    return gpd.GeoDataFrame(
        {"name": ["West", "East"], "iso_3166_2": ["XX-W", "XX-E"], "type": ["Province"] * 2},
        geometry=[box(66, 28, 68, 30), box(68, 28, 70, 30)],
        crs="EPSG:4326",
    )


@pytest.fixture
def rail() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """One straight line along 29°N from 67.5°E to 68.5°E, km posts 0 and 100 at its ends."""
    lines = gpd.GeoDataFrame(
        {"line": ["Test line"]}, geometry=[LineString([(67.5, 29), (68.5, 29)])], crs="EPSG:4326"
    )
    stations = gpd.GeoDataFrame(
        {"line": ["Test line"] * 2, "station": ["A", "B"], "km": [0.0, 100.0]},
        geometry=[Point(67.5, 29), Point(68.5, 29)],
        crs="EPSG:4326",
    )
    return lines, stations


@pytest.fixture(scope="session")
def registry() -> GroupRegistry:
    return GroupRegistry.from_csv(DATA / "groups.csv")


@pytest.fixture(autouse=True, scope="session")
def _prepared_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep prepared datasets (geo.prepared) written by tests out of the user's cache folder."""
    os.environ["RAIL_INCIDENTS_CACHE"] = str(tmp_path_factory.mktemp("prepared-cache"))


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch):
    """Return a function giving the bytes an AppTest download button delivers when clicked.

    Every download button of the app writes its file on the click (a callable), as a browser
    would ask for it; this runs that callable through AppTest's own media file manager.
    """
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.media_file_manager import MediaFileManager

    managers: list[MediaFileManager] = []

    class RecordingManager(MediaFileManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingManager)

    def click(button) -> bytes:
        file_id = button.proto.deferred_file_id
        assert file_id, f"download button {button.proto.label!r} holds its file on the page"
        url = managers[-1].execute_deferred(file_id)
        return managers[-1]._storage.get_file(url.rsplit("/", 1)[-1]).content

    return click


# The app and its servers use a store of the test run's own, never a developer's var/store.sqlite.
os.environ.setdefault(
    "INCIDENT_STORE_URL",
    f"sqlite:///{Path(tempfile.mkdtemp(prefix='incident-store-'))}/store.sqlite",
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On a failing browser test, add what the page showed and the server's last log lines to
    the report: CI keeps the output, not the screenshots."""
    report = yield
    if report.when == "call" and report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if hasattr(value, "screenshot") and hasattr(value, "locator"):
                report.sections.append(("what the page showed", _page_state(value)))
                report.sections.append(("server log (last lines)", _server_log_tail(value.url)))
                break
    return report


def _page_state(page) -> str:
    """The app's URL, script state, messages and sidebar text, as far as they can be read."""
    try:
        app = page.locator('[data-testid="stApp"]')
        lines = [
            f"url: {page.url}",
            f"script state: {app.first.get_attribute('data-test-script-state', timeout=2000)}",
        ]
        for element in page.locator('[data-testid="stAlert"], [data-testid="stException"]').all():
            lines.append(f"message: {element.inner_text(timeout=2000)[:500]}")
        sidebar = page.locator('[data-testid="stSidebar"]').first.inner_text(timeout=2000)
        lines.append(f"sidebar: {sidebar[:3000]}")
        return "\n".join(lines)
    except Exception as error:  # the page may be gone; the failure itself matters more
        return f"(page not readable: {error})"


def _server_log_tail(url: str, lines: int = 60) -> str:
    """The last lines of the log of the server at ``url`` (tests.test_browser.start_app)."""
    port = re.search(r":(\d+)/", url)
    log = ROOT / "test-artifacts" / f"streamlit-{port.group(1) if port else ''}.log"
    if not log.exists():
        return f"(no server log for {url})"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
