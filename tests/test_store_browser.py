"""Two analysts in two browsers, one team store: shared imports are seen, private ones are not.

The real app (``streamlit run``) on a store of its own, driven in two Chromium contexts (two
separate sessions, two accounts). A viewer's page offers no way to write.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from geo.importers import import_incidents
from geo.io import load_bundled
from geo.store import open_store
from tests.conftest import ROOT
from tests.store_helpers import PASSWORD
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    reports_shown,
    start_app,
    watch_errors,
)

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
IMPORTS = {  # who imports which file, and for whom
    "asma": [("acled_2024.csv", "shared"), ("ucdp_ged.csv", "private")],
    "bilal": [("gtd.csv", "shared"), ("acled_extract.csv", "private")],
}


@pytest.fixture(scope="module")
def team_server(tmp_path_factory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('team') / 'store.sqlite'}"
    store = open_store(url)
    admin = store.create_account("admin", PASSWORD, "admin", actor=None)
    for name, role in (("asma", "editor"), ("bilal", "editor"), ("vera", "viewer")):
        store.create_account(name, PASSWORD, role, actor=admin)
    store.close()
    process, address = start_app(env={"INCIDENT_STORE_URL": url})
    yield address, url
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a loaded machine: stop it for good and reap it
        process.kill()
        process.wait()


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


def test_two_analysts_see_each_others_shared_imports_and_not_private_ones(chromium, team_server):
    address, url = team_server
    # Each analyst's imports, kept in the store under their account (the upload widget itself is
    # exercised by tests/test_browser.py; here the point is what each session then sees).
    store = open_store(url)
    for name, files in IMPORTS.items():
        actor = store.login(name, PASSWORD).account
        for file_name, visibility in files:
            result = import_incidents(FIXTURES / file_name, name=file_name)
            store.import_result(result, actor=actor, visibility=visibility)
    store.close()

    pages = {name: open_page(chromium, address) for name in IMPORTS}
    shared = [f for files in IMPORTS.values() for f, v in files if v == "shared"]
    try:
        for name, (_context, page, errors) in pages.items():
            log_in(page, name)
            own_private = [f for f, v in IMPORTS[name] if v == "private"]
            total = expected_total(shared + own_private)
            reports_shown(page, total).wait_for(timeout=90_000)
            others_private = [
                f
                for other, files in IMPORTS.items()
                if other != name
                for f, v in files
                if v == "private"
            ]
            # Seeing another analyst's private import would change the count.
            assert expected_total(shared + own_private + others_private) > total
            assert reports_shown(page, total).is_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"store-two-analysts-{name}.png"), full_page=True)
            assert errors == [], errors
    finally:
        for context, _, _ in pages.values():
            context.close()


def test_a_viewer_has_no_way_to_write(chromium, team_server):
    context, page, errors = open_page(chromium, team_server[0])
    log_in(page, "vera")
    side = sidebar(page)
    assert side.get_by_role("button", name="Remove dataset").count() == 0
    assert side.get_by_text("Add an incident to the team store").count() == 0
    assert side.get_by_text("Logged in as vera (viewer)").count() == 1
    page.screenshot(path=str(ARTIFACTS / "store-viewer.png"), full_page=True)
    context.close()
    assert errors == [], errors
