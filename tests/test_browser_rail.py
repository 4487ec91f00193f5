"""What an analyst sees of an incident's place on the railway: the popup and the rail filter."""

from tests.test_browser import (  # noqa: F401  (fixtures are used by name)
    ARTIFACTS,
    browser,
    map_frame,
    open_app,
    page,
    server,
    showing,
)


def test_a_spezand_bombing_popup_names_the_site_its_source_gives(page, server):  # noqa: F811
    # RAIL-014's map point is Mastung town, 19 km from the drawn line; its source names
    # Spezand station, ML-3 km 357.
    open_app(page, server, "?text=RAIL-014")
    assert showing(page).startswith("Showing 1 of")
    frame = map_frame(page)
    frame.locator("path.incident-marker").first.click(force=True)
    popup = frame.locator(".incident-popup")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    assert "on ML-3 Rohri–Chaman at km 357" in text
    assert "Spezand Junction" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rail_site_popup.png"))


def test_the_rail_filter_keeps_named_sites_and_can_drop_the_possibly_near(page, server):  # noqa: F811
    open_app(page, server, "?text=Mastung&rail_km=10")
    with_possible = showing(page)
    open_app(page, server, "?text=Mastung&rail_km=10&rail_possible=0")
    without_possible = showing(page)
    assert int(without_possible.split()[1]) < int(with_possible.split()[1])
    sidebar = page.locator('[data-testid="stSidebar"]')
    checkbox = sidebar.get_by_text("Include incidents only possibly near")
    assert checkbox.is_visible()
