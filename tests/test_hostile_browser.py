# ruff: noqa: F811  (pytest fixtures imported from test_browser are parameters here)
"""Hostile input in a real browser: messages show text, nothing leaves localhost, sessions are
private, links never break and the URL always agrees with the page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from geo.io import load_bundled
from tests.test_browser import (  # noqa: F401  (fixtures are used by name)
    ARTIFACTS,
    LOCAL_HOSTS,
    browser,
    import_file,
    open_app,
    page,
    reports_shown,
    server,
    showing,
    watch_errors,
)

pytestmark = pytest.mark.browser
BEACON_HOST = "198.51.100.7"  # TEST-NET-2: never routed
HOSTILE_NAME = f"report ![x](http://{BEACON_HOST}/p.png) **BOLD** [sign in](http://{BEACON_HOST}/) \u202egnp.csv"
CSV = (
    "date,lat,lon,place,province,group,killed\n"
    "2025-03-11,29.6,67.5,Mach,Balochistan,BLA,3\n"
    f'2025-03-12,29.7,67.4,"<img src=http://{BEACON_HOST}/q.png> [x](javascript:alert(1))",Balochistan,BLA,lots\n'
).encode()


def count_line(page) -> str:
    """The "Showing N of M incidents" line (a message may also contain the word "showing")."""
    line = page.get_by_text(re.compile(r"^Showing \d+ of \d+ incidents$")).first
    line.wait_for(timeout=30_000)
    return line.inner_text()


def upload(name: str, data: bytes) -> dict:
    """A CSV file as the browser's file chooser hands it over."""
    return {"name": name, "mimeType": "text/csv", "buffer": data}


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def test_a_hostile_file_name_and_cells_show_as_text_and_fetch_nothing(page, server):
    open_app(page, server)
    text = import_file(page, upload(HOSTILE_NAME, CSV))
    assert text.startswith(
        "report ![x](http[:]//198.51.100.7/p.png) **BOLD** [sign in](http[:]//198.51.100.7/) ⟨U+202E⟩gnp.csv (csv): kept 1 of 2 rows"
    )
    page.wait_for_timeout(1500)
    # Nothing the file said became markup: no image, link or bold text in any message or label.
    for selector in (
        '[data-testid="stAlert"]',
        '[data-testid="stCaptionContainer"]',
        "button",
        "label",
    ):
        for element in page.locator(selector).all():
            assert element.locator("img, a, strong, em, script").count() == 0, element.inner_html()[
                :300
            ]
    hosts = {urlparse(url).hostname for url in page.requests if url.startswith("http")}
    assert hosts <= LOCAL_HOSTS, hosts
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile_file_name.png"), full_page=True)


def test_a_private_import_is_not_visible_in_another_browser_session(browser, server):
    total = len(load_bundled().incidents)
    first = browser.new_context(viewport={"width": 1400, "height": 1000})
    second = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        mine, theirs = first.new_page(), second.new_page()
        errors = watch_errors(mine) + watch_errors(theirs)
        open_app(mine, server)
        import_file(mine, upload("private.csv", CSV))
        reports_shown(mine, total + 1).wait_for(timeout=60_000)
        open_app(theirs, server)
        assert count_line(theirs) == f"Showing {total} of {total} incidents"
        assert theirs.get_by_text("private.csv").count() == 0
        # And the first session still has its import after the second opened.
        mine.reload()
        open_app(mine, server)
        # A reload is a new session, so the private import may be gone from it too.
        shown = reports_shown(mine, total + 1).or_(reports_shown(mine, total))
        shown.wait_for(timeout=30_000)
        assert errors == []
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?start=2030-01-01&groups=BLA", "start=2030-01-01 is after the last incident"),
        ("?end=2020-01-01", "end=2020-01-01 is before the first incident"),
        ("?rail_km=0&groups=BLA", "rail_km=0 is outside 0.5–100 km"),
        ("?rail_km=1e308", "rail_km=1e+308 is outside 0.5–100 km"),
        ("?start=9999-12-31", "start=9999-12-31 is after the last incident"),
        ("?groups=BLA,Nobody&datasets=nothing", "group(s) not in this data, left out: 'Nobody'"),
    ],
)
def test_a_bad_link_is_named_and_the_page_works(page, server, query, expected):
    open_app(page, server, query)
    warning = sidebar(page).locator('[data-testid="stAlertContentWarning"]').first
    warning.wait_for(timeout=30_000)
    assert expected in warning.inner_text()
    assert "Traceback" not in page.content()
    assert re.fullmatch(r"Showing \d+ of \d+ incidents", count_line(page))


def test_fast_slider_key_presses_leave_url_and_view_agreeing(page, server):
    open_app(page, server)
    handle = sidebar(page).locator('[aria-label="Date range — start"]').first
    handle.focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(4000)  # every rerun done
    count = int(re.match(r"Showing (\d+)", count_line(page)).group(1))
    start = parse_qs(urlparse(page.url).query).get("start", [None])[0]
    bundle = load_bundled()
    from datetime import date

    from geo.filters import IncidentFilter

    flt = IncidentFilter(start=date.fromisoformat(start) if start else None)
    assert len(flt.apply(bundle.incidents, bundle.groups)) == count, (page.url, count)
