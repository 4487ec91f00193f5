"""Widget logic of the dashboard, driven with Streamlit's AppTest (no browser)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from geo.analysis import enrich
from geo.export import content_hash, snapshot_bytes
from geo.filters import IncidentFilter, near_rail_mask
from geo.io import load_bundled
from tests.conftest import ROOT, as_text, open_tab

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def bundle():
    return load_bundled()


@pytest.fixture
def app(monkeypatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py"])
    return AppTest.from_file(APP, default_timeout=90)


def shown(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Showing"))


def count_groups(bundle, names):
    return sum(bool(set(cell.split("; ")) & set(names)) for cell in bundle.incidents["groups"])


def test_opens_on_every_bundled_incident(app, bundle):
    app.run()
    assert not app.exception
    assert shown(app) == f"**Showing {len(bundle.incidents)} of {len(bundle.incidents)} incidents**"
    assert dict(app.query_params) == {}


def test_the_group_list_names_each_group_in_full(app):
    app.run()
    options = app.sidebar.multiselect(key="f_groups").options
    assert "BLA (Baloch Liberation Army)" in options
    assert "TTP (Tehrik-i-Taliban Pakistan)" in options


def test_choosing_a_group_changes_the_count_and_the_url(app, bundle):
    app.run()
    app.sidebar.multiselect(key="f_groups").set_value(["TTP"]).run()
    with_factions = count_groups(bundle, ["TTP", "JuA", "TJP"])
    assert shown(app) == f"**Showing {with_factions} of {len(bundle.incidents)} incidents**"
    assert app.query_params["groups"] == "TTP"
    app.sidebar.checkbox(key="f_affiliates").uncheck().run()
    only_ttp = count_groups(bundle, ["TTP"])
    assert only_ttp < with_factions
    assert shown(app) == f"**Showing {only_ttp} of {len(bundle.incidents)} incidents**"
    assert app.query_params["include_affiliates"] == "0"
    download = app.get("download_button")[0]
    assert download.proto.label == f"Download GeoJSON snapshot ({only_ttp} incidents)"


def test_the_map_data_is_made_once_per_selection_not_once_per_page_run(app, monkeypatch):
    import ui.data

    made = []
    original = ui.data.layer_payload
    monkeypatch.setattr(
        ui.data, "layer_payload", lambda *a, **kw: made.append(1) or original(*a, **kw)
    )
    ui.data._inline_payload.clear()
    app.run()
    app.run()  # nothing changed: the same selection
    assert len(made) == 1
    app.sidebar.multiselect(key="f_groups").set_value(["TTP"]).run()
    assert len(made) == 2
    app.sidebar.multiselect(key="f_groups").set_value([]).run()  # back to every incident
    assert len(made) == 2


def test_the_url_reopens_the_same_view(app, bundle):
    app.query_params["groups"] = "BLA"
    app.query_params["start"] = "2025-01-01"
    app.query_params["text"] = "jaffar"
    app.run()
    assert app.sidebar.multiselect(key="f_groups").value == ["BLA"]
    assert app.sidebar.text_input(key="f_text").value == "jaffar"
    assert app.sidebar.slider(key="f_dates").value[0].isoformat() == "2025-01-01"
    flt = IncidentFilter.from_query({"groups": "BLA", "start": "2025-01-01", "text": "jaffar"})
    expected = len(flt.apply(bundle.incidents, bundle.groups))
    assert expected >= 1
    assert shown(app) == f"**Showing {expected} of {len(bundle.incidents)} incidents**"


def test_a_bad_link_value_is_reported_and_the_rest_of_the_link_kept(app, bundle):
    app.query_params["min_fatalities"] = "lots"
    app.query_params["groups"] = "BLA"
    app.run()
    assert not app.exception
    warnings = [as_text(w.value) for w in app.sidebar.warning]
    assert any(
        "filter min_fatalities='lots' is not valid (expected a whole number" in w for w in warnings
    )
    assert app.sidebar.multiselect(key="f_groups").value == ["BLA"]
    expected = count_groups(bundle, ["BLA"])
    assert shown(app).startswith(f"**Showing {expected} of")


def test_near_railway_and_minimum_deaths(app, bundle):
    app.run()
    app.sidebar.checkbox(key="f_rail_on").check().run()
    app.sidebar.slider(key="f_rail_km").set_value(2.0).run()
    enriched = enrich(
        bundle.incidents, bundle.provinces, bundle.rail_lines, bundle.stations, bundle.rail_sites
    )
    near = near_rail_mask(enriched, 2.0)
    assert shown(app) == f"**Showing {int(near.sum())} of {len(bundle.incidents)} incidents**"
    assert app.query_params["rail_km"] == "2.0"
    app.sidebar.checkbox(key="f_rail_possible").uncheck().run()
    definite = near_rail_mask(enriched, 2.0, include_possible=False)
    assert 0 < definite.sum() < near.sum()
    assert shown(app) == f"**Showing {int(definite.sum())} of {len(bundle.incidents)} incidents**"
    assert app.query_params["rail_possible"] == "0"
    app.sidebar.number_input(key="f_min_fatalities").set_value(20).run()
    both = int((definite & (enriched["fatalities_high"] >= 20)).sum())
    assert shown(app) == f"**Showing {both} of {len(bundle.incidents)} incidents**"


def test_presets_and_reset(app, bundle):
    app.run()
    app.sidebar.radio(key="f_preset").set_value("Last 12 months of data").run()
    last = bundle.incidents["end"].max()
    start, end = app.sidebar.slider(key="f_dates").value
    assert end == last.date()
    assert (end - start).days in (364, 365)
    # The link keeps the preset as a preset, not as the dates it meant today.
    assert app.query_params["period"] == "last-12-months"
    assert "start" not in app.query_params
    next(b for b in app.sidebar.button if b.label == "Reset filters").click().run()
    assert shown(app) == f"**Showing {len(bundle.incidents)} of {len(bundle.incidents)} incidents**"
    assert "period" not in app.query_params


def test_every_download_is_written_when_clicked_not_with_the_page(app, bundle):
    # A file stored with the page is fetched by the browser as the button appears, and the next
    # run deletes it: a quick rerun left the browser with a 404 (and a console error).
    app.run()
    app.sidebar.multiselect(key="f_groups").set_value(["TTP"]).run()
    buttons = app.get("download_button")
    count = count_groups(bundle, ["TTP", "JuA", "TJP"])
    assert buttons[0].proto.label == f"Download GeoJSON snapshot ({count} incidents)"
    for button in buttons:
        assert button.proto.deferred_file_id, button.proto.label
        assert not button.proto.url, button.proto.label


def test_the_sharing_note_and_the_incident_choices_follow_the_filters(monkeypatch):
    # Both are kept per selection (ui.data.sharing_note, recent_positions): a filter change must
    # show the new selection's, not the first one's.
    gtd = str(ROOT / "tests" / "fixtures" / "imports" / "gtd.csv")
    monkeypatch.setattr(sys, "argv", ["app.py", "--incidents", gtd])
    at = open_tab(AppTest.from_file(APP, default_timeout=90), "Incident details").run()
    note = [w.value for w in at.warning if "GTD" in w.value]
    assert len(note) == 1 and "Of these incidents\\, 5 from GTD" in note[0]
    assert len(at.selectbox(key="detail_incident").options) == 5
    at.sidebar.multiselect(key="f_groups").set_value(["BLA"]).run()
    count = int(shown(at).split()[1])
    assert 0 < count < 5
    note = [w.value for w in at.warning if "GTD" in w.value]
    assert len(note) == 1 and f"Of these incidents\\, {count} from GTD" in note[0]
    assert len(at.selectbox(key="detail_incident").options) == count


def test_the_download_button_holds_the_filtered_snapshot(monkeypatch, bundle, downloads):
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["groups"] = "BRG"
    at.run()
    data = downloads(at.get("download_button")[0])
    collection = json.loads(data)
    expected = count_groups(bundle, ["BRG"])
    assert len(collection["features"]) == expected
    assert {f["properties"]["groups"] for f in collection["features"]} == {"BRG"}
    assert collection["metadata"]["filters"] == {"groups": ["BRG"]}
    assert collection["metadata"]["counts"] == {
        "selected": expected,
        "dataset": len(bundle.incidents),
    }
    assert collection["metadata"]["dataset_hash"] == content_hash(bundle.incidents)


def test_command_line_snapshot_restores_selection_and_filters(monkeypatch, tmp_path, bundle):
    flt = IncidentFilter(groups=("BLF",))
    selected = flt.apply(bundle.incidents, bundle.groups)
    path = tmp_path / "view.geojson"
    path.write_bytes(
        snapshot_bytes(
            selected,
            filters=flt,
            dataset_hash=content_hash(bundle.incidents),
            dataset_count=len(bundle.incidents),
            exported_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    assert json.loads(path.read_bytes())["metadata"]["counts"]["selected"] == len(selected)
    monkeypatch.setattr(sys, "argv", ["app.py", "--snapshot", str(path)])
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert at.sidebar.multiselect(key="f_groups").value == ["BLF"]
    assert shown(at) == f"**Showing {len(selected)} of {len(bundle.incidents)} incidents**"


def test_the_details_tab_is_drawn_when_opened_and_keeps_its_choice(monkeypatch):
    # Drawn only while open (its tables delayed the map's first paint); what the analyst chose
    # there is still chosen after a visit to another tab.
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert "detail_incident" not in [s.key for s in at.selectbox]
    at = open_tab(at, "Incident details").run()
    chosen = at.selectbox(key="detail_incident").options[3].split(" · ")[0]
    at.selectbox(key="detail_incident").set_value(chosen).run()
    at = open_tab(at, "Timeline").run()
    assert "detail_incident" not in [s.key for s in at.selectbox]
    at = open_tab(at, "Incident details").run()
    assert not at.exception
    assert at.selectbox(key="detail_incident").value == chosen
    at.text_input(key="detail_id").input("RAIL-008").run()
    at = open_tab(open_tab(at, "Totals").run(), "Incident details").run()
    assert at.text_input(key="detail_id").value == "RAIL-008"
    assert at.selectbox(key="detail_incident").value == "RAIL-008"
