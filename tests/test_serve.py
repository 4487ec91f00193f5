"""The server ``make run`` starts (serve.py) reads its dataset before the first page asks."""

from __future__ import annotations

import time

import pytest

from tests.test_browser import browser, start_app, stop_app  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.browser


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
