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
from urllib.parse import urlparse

import pytest

from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    open_app,
    start_app,
    stop_app,
    watch_errors,
)

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


def snapshot_link(page, url: str) -> str:
    """Click the snapshot's download button as an analyst would once the map is up."""
    try:
        with page.expect_download(timeout=30_000) as download:
            page.get_by_text("Download GeoJSON snapshot").click()
    except playwright.TimeoutError:
        pytest.fail(f"no download started; {what_the_page_and_server_said(page, url)}")
    return download.value.url


def what_the_page_and_server_said(page, url: str) -> str:
    """The download button's error, if it shows one, and the end of the server's log."""
    shown = page.locator('[data-testid="stDownloadButtonError"]')
    error = shown.first.inner_text() if shown.count() else "(no error under the button)"
    log = ARTIFACTS / f"streamlit-{urlparse(url).port}.log"
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no server log)"
    return f"the button says: {error}\nthe server's log ends:\n{tail}"


def test_a_closed_sessions_snapshot_link_stops_working(short_ttl_server):
    url = short_ttl_server
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        closed = browser.new_context(accept_downloads=True)
        page = closed.new_page()
        errors = watch_errors(page)
        open_app(page, url)
        link = snapshot_link(page, url)
        assert status(link) == 200  # while the tab is open
        assert errors == []
        closed.close()
        time.sleep(TTL_S + 2)
        # Another analyst's page (a different selection, so not the same file) runs the app.
        other = browser.new_context(accept_downloads=True).new_page()
        other_errors = watch_errors(other)
        open_app(other, url, "?groups=BLA")
        own = snapshot_link(other, url)
        assert status(own) == 200  # a live session's link works
        assert status(link) == 404
        assert other_errors == []
        browser.close()
