"""What the server prepares before any page runs (ui.warm), found by the first page."""

from __future__ import annotations

from ui import geography, warm


def test_the_servers_start_builds_the_map_layers_the_first_page_finds(monkeypatch):
    made = []
    original = geography.offline_basemap_data
    monkeypatch.setattr(
        geography,
        "offline_basemap_data",
        lambda *args: made.append("offline basemap") or original(*args),
    )
    geography.offline_basemap.clear()
    warm.warm_start()  # as serve.py calls it when the server starts
    assert made == ["offline basemap"]
    geography.offline_basemap()  # what the first page asks for
    assert made == ["offline basemap"]  # built once, before the page
