"""Counting each event once in the dashboard, driven with AppTest: an ACLED file beside the bundle."""

from __future__ import annotations

import json
import sys

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.importers import import_incidents
from geo.io import load_bundled
from geo.matching import match_incidents
from geo.schema import INCIDENT_COLUMNS, conform
from tests.conftest import ROOT, open_tab

APP = str(ROOT / "app.py")
ACLED = ROOT / "tests" / "fixtures" / "matching" / "acled.csv"


@pytest.fixture(scope="module")
def acled():
    return import_incidents(ACLED, name="acled.csv")


@pytest.fixture(scope="module")
def expected(acled):
    bundled = load_bundled().incidents[list(INCIDENT_COLUMNS)]
    both = pd.concat([bundled, acled.incidents[list(INCIDENT_COLUMNS)]], ignore_index=True)
    result = match_incidents(conform(gpd.GeoDataFrame(both, geometry="geometry", crs=4326)))
    return result.events, result.reports


@pytest.fixture
def app(monkeypatch, acled) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["imports"] = {"acled.csv": acled}
    return open_tab(at, "Incident details")  # where the review is


def shown(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Showing"))


def test_two_datasets_count_each_event_once_by_default(app, expected):
    events, reports = expected
    app.run()
    assert not app.exception
    assert app.sidebar.checkbox(key="opt_count_once").value is True
    assert shown(app) == f"**Showing {events} events ({reports} reports)**"
    assert reports - events >= 15  # the ACLED rows that report bundled incidents
    app.sidebar.checkbox(key="opt_count_once").uncheck().run()
    assert shown(app) == f"**Showing {reports} of {reports} incidents**"


def _events_of_several(app) -> int:
    caption = next(c.value for c in app.caption if "have more than one report" in c.value)
    return int(caption.split("; ")[1].split()[0].replace(",", "").replace("\\", ""))


def test_one_dataset_has_no_switch(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert not [c for c in at.sidebar.checkbox if c.key == "opt_count_once"]


def test_review_shows_reports_side_by_side_and_a_rejection_splits_them(app, expected):
    events, reports = expected
    app.run()
    several = _events_of_several(app)
    app.selectbox(key="review_event").set_value("EV:RAIL-007").run()
    side = next(d.value for d in app.dataframe if "bundled · RAIL-007" in d.value.columns)
    assert list(side.columns) == ["bundled · RAIL-007", "acled.csv · ACLED:PAK900006"]
    assert side.loc["Killed (non-attackers)"].tolist() == ["24–32", "≤27"]
    app.button(key="review_reject").click().run()
    assert not app.exception
    assert shown(app) == f"**Showing {events + 1} events ({reports} reports)**"
    # The review's choices are those of the new matching (they are kept per matching).
    assert _events_of_several(app) == several - 1
    assert not any(o.startswith("EV:RAIL-007 ") for o in app.selectbox(key="review_event").options)
    decisions = app.session_state["match_decisions"]
    assert [(d.kind, d.first_id, d.second_id) for d in decisions] == [
        ("reject", "RAIL-007", "ACLED:PAK900006")
    ]


def test_the_snapshot_records_matches_and_decisions(app, downloads):
    app.run()
    app.selectbox(key="review_event").set_value("EV:RAIL-004").run()
    app.button(key="review_confirm").click().run()
    collection = json.loads(downloads(app.get("download_button")[0]))
    matching = collection["metadata"]["matching"]
    assert matching["settings"]["tolerance_days"] == 1
    assert {"RAIL-004", "ACLED:PAK900001"} <= {p["first_id"] for p in matching["pairs"]} | {
        p["second_id"] for p in matching["pairs"]
    }
    assert [d["kind"] for d in matching["decisions"]] == ["confirm"]


def test_sessions_share_the_matching_but_not_each_others_decisions(
    monkeypatch, acled, expected, tmp_path
):
    import ui.matching

    monkeypatch.setenv("RAIL_INCIDENTS_CACHE", str(tmp_path))  # nothing matched before
    events, reports = expected
    calls = []
    monkeypatch.setattr(
        ui.matching,
        "match_incidents",
        lambda incidents, **kw: calls.append(1) or match_incidents(incidents, **kw),
    )
    framed = []
    original_table = ui.matching.event_table
    monkeypatch.setattr(
        ui.matching,
        "event_table",
        lambda reports, ids: framed.append(1) or original_table(reports, ids),
    )
    ui.matching._shared_match.clear()
    ui.matching._shared_event_table.clear()
    monkeypatch.setattr(sys, "argv", ["app.py"])
    sessions = []
    for _ in range(2):
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["imports"] = {"acled.csv": acled}
        sessions.append(open_tab(at, "Incident details").run())
    first, second = sessions
    assert len(calls) == 1  # matched once for both sessions
    assert len(framed) == 1  # and their events made once
    first.selectbox(key="review_event").set_value("EV:RAIL-007").run()
    first.button(key="review_reject").click().run()
    assert shown(first) == f"**Showing {events + 1} events ({reports} reports)**"
    assert shown(second.run()) == f"**Showing {events} events ({reports} reports)**"
    assert len(calls) == 2  # the rejection made its own result; the other session kept its


def test_a_restarted_server_reads_the_matching_back(monkeypatch, acled, expected, tmp_path):
    import ui.matching

    monkeypatch.setenv("RAIL_INCIDENTS_CACHE", str(tmp_path))
    calls = []
    monkeypatch.setattr(
        ui.matching,
        "match_incidents",
        lambda incidents, **kw: calls.append(1) or match_incidents(incidents, **kw),
    )
    monkeypatch.setattr(sys, "argv", ["app.py"])
    events, reports = expected
    for _ in range(2):
        ui.matching._shared_match.clear()  # what a restart forgets
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["imports"] = {"acled.csv": acled}
        at.run()
        assert shown(at) == f"**Showing {events} events ({reports} reports)**"
    assert len(calls) == 1


def test_a_decision_does_not_compare_the_reports_again(monkeypatch, app, expected, tmp_path):
    import ui.matching

    monkeypatch.setenv("RAIL_INCIDENTS_CACHE", str(tmp_path))  # nothing matched before
    ui.matching._shared_match.clear()
    ui.matching._shared_scores.clear()
    scored = []
    original = ui.matching.score_candidates
    monkeypatch.setattr(
        ui.matching, "score_candidates", lambda incidents: scored.append(1) or original(incidents)
    )
    events, reports = expected
    app.run()
    app.selectbox(key="review_event").set_value("EV:RAIL-007").run()
    app.button(key="review_reject").click().run()
    assert shown(app) == f"**Showing {events + 1} events ({reports} reports)**"
    assert scored == [1]  # the candidates compared for the first page served the rejection


def test_an_events_popup_opens_its_first_report_and_the_event_for_review(app, expected):
    events, _ = expected
    app.run()
    # What a popup's "Open in Incident details" button does with the event it shows.
    app.session_state["detail_id"] = "EV:RAIL-006"
    app.run()
    assert not app.exception
    assert app.text_input(key="detail_id").value == "RAIL-006"
    assert app.selectbox(key="detail_incident").value == "RAIL-006"
    assert not [w.value for w in app.warning if "No incident" in w.value]
    assert app.selectbox(key="review_event").value == "EV:RAIL-006"
    app.button(key="review_reject").click().run()
    assert shown(app).startswith(f"**Showing {events + 1} events")
