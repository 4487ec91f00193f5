"""Two analysts in two browsers, one team store: shared imports are seen, private ones are not.

The real app (``streamlit run``) on a store of its own, driven in two Chromium contexts (two
separate sessions, two accounts). A viewer's page offers no way to write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from geo.importers import import_incidents
from geo.io import load_bundled
from geo.store import open_store
from tests.conftest import ROOT
from tests.store_helpers import PASSWORD
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, start_app, stop_app, watch_errors

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
IMPORTS = {  # who imports which file, and for whom
    "asma": [("acled_2024.csv", "shared"), ("ucdp_ged.csv", "private")],
    "bilal": [("gtd.csv", "shared"), ("acled_extract.csv", "private")],
}
CHOICE = {"shared": "Team store: shared with the team", "private": "Team store: only for me"}


@pytest.fixture(scope="module")
def team_server(tmp_path_factory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('team') / 'store.sqlite'}"
    store = open_store(url)
    admin = store.create_account("admin", PASSWORD, "admin", actor=None)
    for name, role in (("asma", "editor"), ("bilal", "editor"), ("vera", "viewer")):
        store.create_account(name, PASSWORD, role, actor=admin)
    store.close()
    previous = os.environ.get("INCIDENT_STORE_URL")
    os.environ["INCIDENT_STORE_URL"] = url
    try:
        process, address = start_app()
    finally:
        if previous is None:
            del os.environ["INCIDENT_STORE_URL"]
        else:
            os.environ["INCIDENT_STORE_URL"] = previous
    yield address
    stop_app(process)


@pytest.fixture(scope="module")
def chromium():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def ids_of(file_name: str) -> set[str]:
    return set(import_incidents(FIXTURES / file_name, name=file_name).incidents["incident_id"])


def expected_total(files: list[str]) -> int:
    ids = set(load_bundled().incidents["incident_id"])
    for name in files:
        ids |= ids_of(name)
    return len(ids)


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = watch_errors(page)
    page.goto(url)
    page.get_by_text("Showing").first.wait_for(timeout=90_000)
    return context, page, errors


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def log_in(page, name: str) -> None:
    side = sidebar(page)
    side.get_by_text("Team store", exact=True).click()
    side.get_by_label("Username", exact=True).fill(name)
    side.get_by_label("Password", exact=True).fill(PASSWORD)
    side.get_by_role("button", name="Log in").click()
    side.get_by_text(f"Logged in as {name} (").wait_for(timeout=60_000)


def import_into_store(page, file_name: str, visibility: str) -> None:
    side = sidebar(page)
    expander = side.locator("details").filter(has_text="Import incidents")
    if expander.get_attribute("open") is None:
        side.get_by_text("Import incidents").click()
    side.locator('input[type="file"]').last.set_input_files(str(FIXTURES / file_name))
    side.get_by_text(CHOICE[visibility]).click()
    side.get_by_role("button", name="Import", exact=True).click()
    side.get_by_text(f"{file_name} → dataset").wait_for(timeout=90_000)


def showing(page) -> str:
    return page.get_by_text("Showing").first.inner_text()


def test_two_analysts_see_each_others_shared_imports_and_not_private_ones(chromium, team_server):
    pages = {}
    try:
        _two_analysts(chromium, team_server, pages)
    finally:
        for context, _, _ in pages.values():
            context.close()


def _two_analysts(chromium, team_server, pages) -> None:
    for name in IMPORTS:
        pages[name] = open_page(chromium, team_server)
    for name, files in IMPORTS.items():
        page = pages[name][1]
        for file_name, visibility in files:
            page.reload()  # a fresh page (and session) for each import, as an analyst would
            page.get_by_text("Showing").first.wait_for(timeout=90_000)
            log_in(page, name)
            try:
                import_into_store(page, file_name, visibility)
            finally:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(
                    path=str(ARTIFACTS / f"store-import-{file_name}.png"), full_page=True
                )

    shared = [f for files in IMPORTS.values() for f, v in files if v == "shared"]
    for name, (_context, page, errors) in pages.items():
        page.reload()
        page.get_by_text("Showing").first.wait_for(timeout=90_000)
        log_in(page, name)
        own_private = [f for f, v in IMPORTS[name] if v == "private"]
        total = expected_total(shared + own_private)
        page.get_by_text(f"Showing {total} of {total} incidents").wait_for(timeout=90_000)
        listed = sidebar(page).locator('[data-testid="stDataFrame"]').first.inner_text()
        others = [f for other, files in IMPORTS.items() if other != name for f, v in files]
        for file_name in shared + own_private:
            assert file_name in listed, (name, file_name, listed)
        for file_name in others:
            if file_name not in shared:
                assert file_name not in listed, (name, file_name)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"store-two-analysts-{name}.png"), full_page=True)
        assert errors == [], errors


def test_a_viewer_has_no_way_to_write(chromium, team_server):
    context, page, errors = open_page(chromium, team_server)
    log_in(page, "vera")
    side = sidebar(page)
    assert side.get_by_role("button", name="Remove dataset").count() == 0
    assert side.get_by_text("Add an incident to the team store").count() == 0
    side.get_by_text("Import incidents").click()
    side.locator('input[type="file"]').last.set_input_files(str(FIXTURES / "acled_2024.csv"))
    side.get_by_role("button", name="Import", exact=True).wait_for(timeout=60_000)
    assert side.get_by_text(CHOICE["shared"]).count() == 0  # only this session's import
    page.screenshot(path=str(ARTIFACTS / "store-viewer.png"), full_page=True)
    context.close()
    assert errors == [], errors
