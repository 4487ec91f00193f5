"""Widget logic of the place search and the corridor tab, driven with AppTest (no browser)."""

from __future__ import annotations

import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, open_tab

APP = str(ROOT / "app.py")


@pytest.fixture
def app(monkeypatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def test_search_lists_the_matches_and_sends_the_map_to_the_best(app):
    app.sidebar.text_input(key="place_query").set_value("Mashkaf").run()
    choice = next(s for s in app.sidebar.selectbox if s.label.endswith("place(s) found"))
    shown = list(choice.options)  # AppTest gives the options as shown
    assert shown[0].startswith("Mushkaf — station, Balochistan (ML-3 Rohri–Chaman km 257")
    assert any("incident place" in text for text in shown)
    focus = app.session_state["map_focus"]
    assert (focus.place.name, focus.place.kind, focus.zoom) == ("Mushkaf", "station", 13)


def test_search_for_nothing_known_says_so_and_keeps_the_map(app):
    app.sidebar.text_input(key="place_query").set_value("Xqzzv").run()
    assert any("No place matches that name" in c.value for c in app.sidebar.caption)
    assert "map_focus" not in app.session_state


def test_the_corridor_is_computed_only_once_its_tab_is_opened(app):
    assert not [s for s in app.selectbox if s.key == "corridor_line"]
    open_tab(app, "Railway corridor").run()
    assert app.selectbox(key="corridor_line").value == "ML-3 Rohri–Chaman"


def test_corridor_settings_outlast_a_visit_to_another_tab(app):
    open_tab(app, "Railway corridor").run()
    app.selectbox(key="corridor_line").set_value("ML-4 Quetta–Taftan")
    app.slider(key="corridor_km").set_value(25.0).run()
    open_tab(app, "Timeline").run()
    assert not [s for s in app.selectbox if s.key == "corridor_line"]
    open_tab(app, "Railway corridor").run()
    assert app.selectbox(key="corridor_line").value == "ML-4 Quetta–Taftan"
    assert app.slider(key="corridor_km").value == 25.0
    assert not app.exception
    assert not [w.value for w in app.warning]  # no "default value and Session State" warning


def test_corridor_tab_offers_the_lines_and_starts_on_the_most_hit(app):
    open_tab(app, "Railway corridor").run()
    line = app.selectbox(key="corridor_line")
    assert line.value == "ML-3 Rohri–Chaman"
    assert set(line.options) >= {"ML-3 Rohri–Chaman", "ML-4 Quetta–Taftan", "ML-1 Karachi–Peshawar"}
    caption = next(c.value for c in app.caption if "within 10 km of" in c.value)
    assert caption.split()[0].isdigit() and int(caption.split()[0]) >= 20
    line.set_value("ML-4 Quetta–Taftan").run()
    caption = next(c.value for c in app.caption if "within 10 km of" in c.value)
    assert "ML\\-4" in caption or "ML-4" in caption
    assert not app.exception
