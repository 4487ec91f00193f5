"""A closed tab's download links stop working once its session's reconnect time is up.

Streamlit keeps a closed tab's session for ``server.disconnectedSessionTTL`` (2 s here) and then
forgets it without removing its files; the app ends such sessions (``ui.memory``), so a copied
snapshot link does not keep serving the analyst's selection to whoever holds it.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app, watch_errors

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
TTL_S = 2


@pytest.fixture(scope="module")
def short_ttl_server() -> Iterator[str]:
    process, url = start_app(settings={"server.disconnectedSessionTTL": str(TTL_S)})
    yield url
    stop_app(process)


def status(link: str) -> int:
    try:
        with urllib.request.urlopen(link, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def snapshot_link(page) -> str:
    page.get_by_text("Showing ").first.wait_for(timeout=60_000)
    with page.expect_download() as download:
        page.get_by_text("Download GeoJSON snapshot").click()
    return download.value.url


def test_a_closed_sessions_snapshot_link_stops_working(short_ttl_server):
    url = short_ttl_server
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        closed = browser.new_context(accept_downloads=True)
        page = closed.new_page()
        errors = watch_errors(page)
        page.goto(url)
        link = snapshot_link(page)
        assert status(link) == 200  # while the tab is open
        assert errors == []
        closed.close()
        time.sleep(TTL_S + 2)
        # Another analyst's page (a different selection, so not the same file) runs the app.
        other = browser.new_context(accept_downloads=True).new_page()
        other.goto(f"{url}/?groups=BLA")
        own = snapshot_link(other)
        assert status(own) == 200  # a live session's link works
        assert status(link) == 404
        browser.close()
