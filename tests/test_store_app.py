"""The team store in the dashboard (AppTest), on both back ends: restart, login, curate, history."""

from __future__ import annotations

import sys
from datetime import date

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo.io import load_bundled
from geo.store import open_store
from tests.conftest import ROOT, open_tab
from tests.store_helpers import FIRST_EXPORT, PASSWORD, acled_csv, import_rows
from ui.store import _store_dataset, release_stores

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def bundled_count() -> int:
    return len(load_bundled().incidents)


@pytest.fixture
def team(store_url, monkeypatch, tmp_path):
    """A store with accounts and one shared ACLED import; the app pointed at it."""
    monkeypatch.setenv("INCIDENT_STORE_URL", store_url)
    monkeypatch.setattr(sys, "argv", ["app.py"])
    store = open_store(store_url)
    admin = store.create_account("admin", PASSWORD, "admin", actor=None)
    store.create_account("asma", PASSWORD, "editor", actor=admin)
    store.create_account("vera", PASSWORD, "viewer", actor=admin)
    import_rows(store, admin, acled_csv(tmp_path / "acled-march.csv", FIRST_EXPORT))
    yield store
    store.close()
    release_stores()  # the app's store pool for this URL
    st.cache_data.clear()


@pytest.fixture
def prepared(monkeypatch) -> list:
    """Every working set the page prepares (geo.store.working_set), in order."""
    import ui.store

    made = []
    original = ui.store.working_set
    monkeypatch.setattr(
        ui.store, "working_set", lambda *a, **kw: made.append(original(*a, **kw)) or made[-1]
    )
    return made


def fresh_app() -> AppTest:
    """A new page as after a server restart: no session and no cached data."""
    release_stores()
    st.cache_data.clear()
    _store_dataset.clear()  # the prepared file (geo.store.working_set) outlives a restart
    return AppTest.from_file(APP, default_timeout=120).run()


def shown(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Showing"))


def table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def log_in(at: AppTest, name: str) -> AppTest:
    at.text_input(key="store_username").input(name)
    at.text_input(key="store_password").input(PASSWORD)
    return at.button(key="store_login").click().run()


def test_store_incidents_are_there_after_a_restart(team, bundled_count):
    at = fresh_app()
    assert not at.exception
    # The store's rows are a second dataset beside the bundled one, so each event is counted once;
    # none of the three ACLED rows reports a bundled incident.
    assert shown(at) == f"**Showing {bundled_count + 3} events ({bundled_count + 3} reports)**"
    datasets = table_with(at, "Imported by")
    assert datasets.iloc[0][["Dataset", "Imported by", "Rows"]].tolist() == [
        "acled-march.csv",
        "admin",
        3,
    ]
    again = fresh_app()
    assert shown(again) == f"**Showing {bundled_count + 3} events ({bundled_count + 3} reports)**"


def test_sessions_of_one_viewer_share_one_copy_of_the_stores_incidents(
    team, bundled_count, prepared
):
    first = fresh_app()
    second = AppTest.from_file(APP, default_timeout=120).run()
    assert shown(second) == shown(first)
    assert len(prepared) == 1  # one Dataset for both sessions
    assert len(prepared[0].incidents) == bundled_count + 3
    log_in(second, "asma")
    assert shown(second) == shown(first)  # no private import: the same incidents
    assert len(prepared) == 1  # and the same copy of them


def test_a_private_import_gives_its_owner_a_copy_of_their_own(
    team, bundled_count, prepared, tmp_path
):
    asma = team.login("asma", PASSWORD).account
    rows = [dict(r, event_id_cnty=r["event_id_cnty"].replace("PAK", "PKX")) for r in FIRST_EXPORT]
    private = acled_csv(tmp_path / "acled-private.csv", rows)
    import_rows(team, asma, private, visibility="private")
    visitor = fresh_app()
    analyst = log_in(AppTest.from_file(APP, default_timeout=120).run(), "asma")
    assert len(prepared) == 2
    assert [len(p.incidents) for p in prepared] == [bundled_count + 3, bundled_count + 6]
    assert shown(analyst) != shown(visitor)


def test_an_editor_adds_and_corrects_an_incident_and_the_history_shows_it(team, bundled_count):
    at = log_in(fresh_app(), "asma")
    assert not at.exception
    at.date_input(key="new_start").set_value(date(2025, 3, 11))
    at.date_input(key="new_end").set_value(date(2025, 3, 12))
    at.text_input(key="new_place").input("Mashkaf tunnel, Bolan Pass")
    at.number_input(key="new_lon").set_value(67.36)
    at.number_input(key="new_lat").set_value(29.86)
    at.multiselect(key="new_groups").set_value(["BLA"])
    at.text_input(key="new_fig0_low").input("26")
    at.text_input(key="new_fig0_high").input("26")
    at.text_input(key="new_fig0_by").input("ISPR")
    at.text_input(key="new_fig1_low").input("64")
    at.text_input(key="new_fig1_by").input("BLA claim")
    at.text_input(key="new_src0_publisher").input("Dawn")
    at.text_input(key="new_src0_url").input("https://www.dawn.com/news/1896599")
    at.text_area(key="new_summary").input("Jaffar Express held in the Bolan Pass.")
    at = at.button(key="new_save").click().run()
    assert not at.exception
    [added] = [i for i in team.incidents(viewer=None)["incident_id"] if i.startswith("TEAM-")]
    # The team's report of the hijacking joins the bundled one: one more report, not one more event.
    assert shown(at) == f"**Showing {bundled_count + 3} events ({bundled_count + 4} reports)**"

    at = open_tab(at, "Incident details").run()  # where the history is
    at.text_input(key="detail_id").input(added)
    at = at.run()
    history = table_with(at, "Old")
    assert set(history["Who"]) == {"asma"} and set(history["Action"]) == {"create"}
    assert "killed: 26 (ISPR); 64 (BLA claim)" in history["New"].tolist()

    prefix = next(t.key for t in at.text_area if t.key.startswith("edit_")).removesuffix("_summary")
    at.text_area(key=f"{prefix}_summary").input("Held for 30 hours in the Bolan Pass.")
    at = at.button(key=f"{prefix}_save").click().run()
    assert not at.exception
    history = table_with(at, "Old")
    edit = history[history["Action"] == "edit"]
    assert edit[["Who", "Field", "Old", "New"]].values.tolist() == [
        [
            "asma",
            "summary",
            "Jaffar Express held in the Bolan Pass.",
            "Held for 30 hours in the Bolan Pass.",
        ]
    ]


def test_a_viewer_and_an_anonymous_visitor_get_no_write_controls(team, monkeypatch, bundled_count):
    at = fresh_app()
    keys = {w.key for w in at.button}
    assert "store_login" in keys and not {"new_save", "store_remove"} & keys
    at = log_in(at, "vera")
    assert not at.exception
    keys = {w.key for w in at.button}
    assert "store_logout" in keys and not {"new_save", "store_remove"} & keys

    monkeypatch.setenv("INCIDENT_STORE_ANONYMOUS_READ", "false")
    closed = fresh_app()
    assert shown(closed) == f"**Showing {bundled_count} of {bundled_count} incidents**"
    assert any("Log in to see the team's incidents" in c.value for c in closed.caption)


def test_an_expired_login_is_said_and_writing_stops(team):
    at = log_in(fresh_app(), "asma")
    assert "new_save" in {w.key for w in at.button}
    with team.engine.begin() as connection:
        connection.execute(sa.text("UPDATE sessions SET expires_at = '2000-01-01 00:00:00'"))
    at = at.run()
    assert "new_save" not in {w.key for w in at.button}
    assert any("Your login has expired" in i.value for i in at.info)


def test_the_page_names_the_store_without_its_file_path_or_password(team, store_url):
    at = fresh_app()
    captions = [c.value.replace("\\", "") for c in at.caption]  # the page's Markdown escapes
    described = next(c for c in captions if "store: " in c)
    assert described.endswith(("file store.sqlite on the server", "on this server (local socket)"))
    shown_text = " ".join(captions + [m.value.replace("\\", "") for m in at.markdown])
    parsed = sa.make_url(store_url)
    secrets = [parsed.password, str(parsed.query.get("host", ""))]
    if parsed.get_backend_name() == "sqlite":
        secrets.append(parsed.database)
    assert not [s for s in secrets if s and s in shown_text]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////srv/team/store.sqlite", "file store.sqlite on the server"),
        (
            "postgresql+psycopg://ana:s3cret@db.example:5432/incidents",
            "database incidents on db.example",
        ),
        (
            "postgresql+psycopg://postgres@/incidents?host=/var/run/postgresql&port=5432",
            "database incidents on this server (local socket)",
        ),
        ("not a url at all", "(not a database URL)"),
    ],
)
def test_store_label_hides_paths_and_passwords(url, expected):
    from ui.store import store_label

    assert store_label(url) == expected


def test_a_join_made_in_the_page_is_kept_in_the_store_for_the_whole_team(team, bundled_count):
    at = fresh_app()
    log_in(at, "asma")
    assert shown(at) == f"**Showing {bundled_count + 3} events ({bundled_count + 3} reports)**"
    open_tab(at, "Incident details").run()  # where the review and its join form are
    at.text_input(key="join_first").input("ACLED:PAK9001")
    at.text_input(key="join_second").input("RAIL-008")
    next(b for b in at.button if b.label == "Join").click().run()
    assert not at.exception
    kept = team.match_decisions()[["incident_a", "incident_b", "decision", "decided_by"]]
    assert kept.values.tolist() == [["ACLED:PAK9001", "RAIL-008", "join", "asma"]]
    # Another analyst's session, not logged in, counts the two reports as one event.
    other = fresh_app()
    assert shown(other) == f"**Showing {bundled_count + 2} events ({bundled_count + 3} reports)**"


def test_an_editor_adds_a_spelling_that_the_teams_imports_then_read(team, tmp_path):
    from geo.importers import import_incidents
    from ui.store import team_registry

    at = fresh_app()
    log_in(at, "asma")
    at.text_input(key="alias_text").input("Test spelling of BLA")
    at.selectbox(key="alias_group").set_value("BLA")
    next(b for b in at.button if b.label == "Add the spelling").click().run()
    assert not at.exception
    kept = team.group_aliases()[["alias", "group", "added_by"]].values.tolist()
    assert kept == [["Test spelling of BLA", "BLA", "asma"]]
    assert any("Imports now read" in i.value for i in at.sidebar.info)
    # What an import in the page uses: the bundled registry with the team's spellings.
    csv = tmp_path / "team.csv"
    csv.write_text(
        "date,lat,lon,place,province,group,killed\n"
        "2025-03-11,29.6,67.5,Mach,Balochistan,Test spelling of BLA,3\n"
    )
    registry = load_bundled().groups.with_aliases(
        zip(team.group_aliases()["alias"], team.group_aliases()["group"], strict=True)
    )
    assert import_incidents(csv, name="team.csv", registry=registry).incidents[
        "groups"
    ].tolist() == ["BLA"]
    assert callable(team_registry)


def test_the_datasets_table_follows_a_write_made_elsewhere(team, tmp_path):
    at = fresh_app()
    assert table_with(at, "Imported by")["Dataset"].tolist() == ["acled-march.csv"]
    # Another analyst imports a file from the command line while this page is open.
    editor = team.login("asma", PASSWORD).account
    second = [dict(FIRST_EXPORT[0], event_id_cnty="PAK9101", event_date="2025-04-02")]
    import_rows(team, editor, acled_csv(tmp_path / "acled-april.csv", second))
    at.run()
    datasets = table_with(at, "Imported by")
    assert datasets[["Dataset", "Imported by", "Rows"]].values.tolist() == [
        ["acled-april.csv", "asma", 1],
        ["acled-march.csv", "admin", 3],
    ]
    team.remove_dataset(int(team.datasets(viewer=editor)[0].id), actor=editor)
    at.run()
    assert table_with(at, "Imported by")["Dataset"].tolist() == ["acled-march.csv"]
