"""The benchmark's peers inside this dashboard's page draw the page's own selection.

``bench/peers/in_page.py`` runs ``app.py`` with its incident map drawn by a peer, so that the
side by side can compare maps inside the same page; these tests check that such a page is this
dashboard (its header, count and filters) and that the peer's map holds exactly the incidents
the page says it shows, before and after a filter change.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
import streamlit_folium
from streamlit.testing.v1 import AppTest

import ui.data
from tests.conftest import ROOT

SIZE = 400


def open_peer_page(patch: pytest.MonkeyPatch, peer: str) -> AppTest:
    """Open a peer's page on ``SIZE`` synthetic incidents (``--synthetic`` as the bench passes).

    The peer's page replaces the dashboard's map and selection functions for good (its server
    serves nothing else); ``patch`` puts them back when it is undone.
    """
    patch.setattr(sys, "argv", ["streamlit", "--synthetic", str(SIZE)])
    patch.setattr(streamlit_folium, "st_folium", streamlit_folium.st_folium)
    patch.setattr(ui.data, "select_rows", ui.data.select_rows)
    at = AppTest.from_file(str(ROOT / "bench" / "peers" / f"in_page_{peer}.py"))
    at.default_timeout = 120
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def peer_page(monkeypatch):
    """Open a peer's page by name (``st_map``, ``pydeck``, ``fastmarkercluster``)."""
    return lambda peer: open_peer_page(monkeypatch, peer)


def shown(at: AppTest) -> int:
    """Return N of the page's "Showing N of M incidents"."""
    label = next(m.value for m in at.markdown if m.value.startswith("**Showing"))
    return int(re.search(r"Showing ([\d,]+) of", label).group(1).replace(",", ""))


def deck_points(at: AppTest) -> int:
    """Return how many points the page's one deck.gl chart draws."""
    (chart,) = at.get("deck_gl_json_chart")
    (layer,) = json.loads(chart.proto.json)["layers"]
    return len(layer["data"])


@pytest.mark.parametrize("peer", ["st_map", "pydeck"])
def test_a_deck_peer_in_this_page_draws_what_the_page_shows_and_follows_a_filter(peer_page, peer):
    at = peer_page(peer)
    assert at.header[0].value.startswith("Armed attacks around Pakistan")
    assert not at.get("component_instance")  # the dashboard's own map is not drawn
    assert shown(at) == SIZE
    assert deck_points(at) == SIZE  # synthetic incidents all have a place to draw

    groups = next(m for m in at.sidebar.multiselect if m.label == "Armed groups")
    at = groups.set_value([groups.options[0]]).run()
    assert 0 < shown(at) < SIZE
    assert deck_points(at) == shown(at)


def test_fastmarkercluster_in_this_page_clusters_every_incident_the_page_shows(peer_page):
    at = peer_page("fastmarkercluster")
    (component,) = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    args = json.loads(component.proto.json_args)
    data = re.search(r"var data = (\[.*?\]\]);", args["script"], re.S).group(1)
    assert len(json.loads(data)) == shown(at) == SIZE
    # The dashboard's incident layer is not drawn (its layers go as the feature group).
    assert "incidentLayer" not in args["script"] + (args["feature_group"] or "")


def test_the_dashboard_draws_its_own_map_again_after_a_peers_page(monkeypatch):
    with monkeypatch.context() as patch:
        open_peer_page(patch, "st_map")
    at = AppTest.from_file(str(ROOT / "app.py"))
    at.default_timeout = 120
    at.run()  # the bundled incidents (no --synthetic any more)
    assert not at.get("deck_gl_json_chart")
    (component,) = at.get("component_instance")
    assert "incidentLayer" in json.loads(component.proto.json_args)["feature_group"]
