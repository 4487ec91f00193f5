"""The server ``make run`` starts (serve.py) reads its dataset before the first page asks."""

from __future__ import annotations

import re
import time

import pytest

from tests.conftest import ROOT
from tests.test_browser import browser, start_app, stop_app  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.browser
MATCHED = ROOT / "tests" / "fixtures" / "matching" / "acled.csv"  # reports bundled incidents too


def wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_the_dataset_is_prepared_before_any_page_is_opened(tmp_path, monkeypatch, browser):  # noqa: F811
    monkeypatch.setenv("RAIL_INCIDENTS_CACHE", str(tmp_path))
    process, url = start_app("--synthetic", "3000")
    try:
        # Nobody has opened the page: only the server's start can have prepared the incidents.
        assert wait_for(lambda: any(tmp_path.glob("synthetic-3000-*.parquet")), 120)
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.get_by_text("Showing 3,000 of 3,000 incidents").wait_for(timeout=60_000)
        legend = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        legend.get_by_text("3,000 incidents on map").wait_for(timeout=60_000)
        assert errors == []
        page.close()
    finally:
        stop_app(process)


def test_the_team_stores_events_are_prepared_before_any_page_is_opened(
    tmp_path,
    monkeypatch,
    browser,  # noqa: F811
):
    from geo.importers import import_incidents
    from geo.store import open_store
    from tests.store_helpers import PASSWORD

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    admin = store.create_account("admin", PASSWORD, "admin", actor=None)
    store.import_result(import_incidents(MATCHED, name=MATCHED.name), actor=admin)
    store.close()
    cache = tmp_path / "cache"
    monkeypatch.setenv("RAIL_INCIDENTS_CACHE", str(cache))
    monkeypatch.setenv("INCIDENT_STORE_URL", url)
    process, address = start_app()
    try:
        # Nobody has opened the page: the server's start read the store and matched its reports.
        assert wait_for(lambda: any(cache.glob("store-*.parquet")), 120)
        assert wait_for(lambda: any(cache.glob("match-*.pairs.parquet")), 120)
        time.sleep(1)  # the events file is written after the pairs
        kept = {p: p.stat().st_mtime_ns for p in cache.glob("match-*.parquet")}
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(address)
        page.get_by_text(re.compile(r"Showing \d+ events \(\d+ reports\)")).wait_for(timeout=60_000)
        assert errors == []
        page.close()
    finally:
        stop_app(process)
    # The page found the server's matching under the same name and read it: no other result,
    # and the kept one not written again.
    assert {p: p.stat().st_mtime_ns for p in cache.glob("match-*.parquet")} == kept
    assert len(kept) == 2  # the events and the pairs of one result


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "incidents.parquet: no such file"),
        (
            b"not parquet",
            "incidents.parquet: not a readable Parquet file (Could not open Parquet input source "
            "'incidents.parquet': Parquet magic bytes not found in footer. Either the file is corrupted or "
            "this is not a parquet file.)",
        ),
    ],
)
def test_a_file_the_server_cannot_read_is_reported_on_the_page(tmp_path, browser, content, problem):  # noqa: F811
    path = tmp_path / "incidents.parquet"
    if content is not None:
        path.write_bytes(content)
    process, url = start_app("--incidents", str(path))
    try:
        page = browser.new_page()
        page.goto(url)
        message = page.get_by_text("Could not open the file given on the command line")
        message.wait_for(timeout=60_000)
        assert (
            message.inner_text() == f"Could not open the file given on the command line: {problem}"
        )
        assert str(tmp_path) not in page.content()  # no path on the server reaches the page
        assert "Traceback" not in page.content()
        page.close()
    finally:
        stop_app(process)
