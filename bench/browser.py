"""Browser timings in headless Chromium (Playwright, Debian's /usr/bin/chromium).

Starts ``streamlit run app.py -- --synthetic N`` on a free port and measures, as the analyst sees
it: from ``page.goto`` to the incident layer drawn in the map frame (its status or playback label
shown), and from choosing a group in the sidebar to the map's label showing the new selection.
"""

from __future__ import annotations

import time

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app

LABEL = ".incident-playback .period, .incident-status"


def map_label(frame) -> str:
    return frame.locator(LABEL).first.inner_text()


def browser_timings(n: int, group: str = "BLF") -> dict[str, object]:
    """Return load and filter-change times (ms) for ``n`` synthetic incidents."""
    from playwright.sync_api import sync_playwright

    process, url = start_app("--synthetic", str(n))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # Warm the server's caches (generation and enrichment happen once per process).
            page.goto(url)
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame.locator(LABEL).first.wait_for(timeout=300_000)
            page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            start = time.perf_counter()
            page.goto(url)
            frame.locator(LABEL).first.wait_for(timeout=120_000)
            load_ms = (time.perf_counter() - start) * 1000
            before = map_label(frame)
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.locator('[data-testid="stMultiSelect"]').first.click()
            page.keyboard.type(group)
            start = time.perf_counter()
            page.keyboard.press("Enter")
            deadline = time.monotonic() + 120
            after = before
            while after == before and time.monotonic() < deadline:
                page.wait_for_timeout(20)
                after = map_label(frame)
            change_ms = (time.perf_counter() - start) * 1000
            browser.close()
    finally:
        stop_app(process)
    return {
        "n": n,
        "load_ms": load_ms,
        "change_ms": change_ms,
        "label_before": before,
        "label_after": after,
    }
