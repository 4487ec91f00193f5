"""The store on both back ends: imports that persist, re-imports, curation, history, who may write.

Every test runs on the embedded SQLite store and on a real PostgreSQL + PostGIS.
"""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.filters import IncidentFilter
from geo.importers.result import ImportResult, empty_rejected
from geo.io import load_bundled
from geo.store import NotLoggedIn, PermissionDenied, StoreError, StoreVersionError, open_store
from tests.store_helpers import FIRST_EXPORT, PASSWORD, acled_csv, import_rows

CURATED = {
    "start": "2025-03-11",
    "end": "2025-03-12",
    "date_precision": "day",
    "place": "Bolan Pass (Mashkaf tunnel)",
    "province": "Balochistan",
    "lon": 67.4,
    "lat": 29.75,
    "geo_precision": "near",
    "event_type": "Battles",
    "sub_event_type": "Armed clash",
    "groups": ["BLA"],
    "figures": [
        {"measure": "killed", "low": 26, "high": 26, "reported_by": "ISPR"},
        {"measure": "killed", "low": 64, "high": 64, "reported_by": "BLA claim"},
    ],
    "sources": [
        {
            "publisher": "Dawn",
            "title": "Jaffar Express hijacking",
            "date": "2025-03-12",
            "url": "https://www.dawn.com/news/1896599",
        }
    ],
    "summary": "Train held in the Bolan Pass.",
}


@pytest.fixture(scope="module")
def bundle():
    return load_bundled()


def ids(frame) -> list[str]:
    return sorted(frame["incident_id"])


def test_an_import_is_still_there_after_the_store_is_opened_again(store_url, tmp_path):
    first = open_store(store_url)
    admin = first.create_account("admin", PASSWORD, "admin", actor=None)
    outcome = import_rows(first, admin, acled_csv(tmp_path / "acled.csv", FIRST_EXPORT))
    first.close()

    again = open_store(store_url)
    incidents = again.incidents(viewer=None)
    assert outcome.added == 3
    assert ids(incidents) == ["ACLED:PAK9001", "ACLED:PAK9002", "ACLED:PAK9003"]
    row = incidents.set_index("incident_id").loc["ACLED:PAK9001"]
    assert (row["place"], row["fatalities_high"], row["groups"]) == ("Mashkaf", 10, "BLA")
    assert row.geometry.x == pytest.approx(67.3264) and row.geometry.y == pytest.approx(29.8669)
    [info] = again.datasets(viewer=None)
    assert (info.file_name, info.format, info.imported_by) == ("acled.csv", "acled", "admin")
    assert (info.rows_read, info.kept, info.active_rows) == (3, 3, 3)
    assert "kept 3 of 3 rows" in info.report
    assert info.actor_mapping["BLA: Baloch Liberation Army; Civilians (Pakistan)"] == "BLA"
    again.close()


def test_a_newer_export_updates_adds_and_marks_removed_without_duplicates(store, people, tmp_path):
    asma = people["asma"]
    first = import_rows(store, asma, acled_csv(tmp_path / "acled-march.csv", FIRST_EXPORT))
    revised = [
        {**FIRST_EXPORT[0], "fatalities": "31", "timestamp": "1741900000"},  # revised upstream
        FIRST_EXPORT[1],  # unchanged
        # PAK9003 deleted upstream
        {**FIRST_EXPORT[1], "event_id_cnty": "PAK9004", "event_date": "2025-03-14"},
    ]
    outcome = import_rows(
        store,
        people["bilal"],
        acled_csv(tmp_path / "acled-april.csv", revised),
        into=first.dataset.id,
    )
    assert (outcome.added, outcome.updated, outcome.unchanged, outcome.removed) == (1, 1, 1, 1)
    incidents = store.incidents(viewer=None)
    assert ids(incidents) == ["ACLED:PAK9001", "ACLED:PAK9002", "ACLED:PAK9004"]
    assert incidents.set_index("incident_id").loc["ACLED:PAK9001", "fatalities_high"] == 31
    changes = {(h.field, h.old, h.new, h.changed_by) for h in store.history("ACLED:PAK9001")}
    assert ("fatalities_high", "10", "31", "bilal") in changes
    removal = store.history("ACLED:PAK9003")[-1]
    assert (removal.action, removal.changed_by) == ("remove", "bilal")
    [info] = store.datasets(viewer=None)
    assert (info.active_rows, info.removed_rows, info.file_name) == (3, 1, "acled-april.csv")
    assert info.report.count("Imported by") == 2  # both reports kept

    # The March export again: older timestamps never overwrite; the deleted row comes back.
    again = import_rows(
        store, asma, acled_csv(tmp_path / "acled-march.csv", FIRST_EXPORT), into=first.dataset.id
    )
    assert (again.stale, again.restored, again.removed) == (1, 1, 1)
    incidents = store.incidents(viewer=None)
    assert ids(incidents) == ["ACLED:PAK9001", "ACLED:PAK9002", "ACLED:PAK9003"]
    assert incidents.set_index("incident_id").loc["ACLED:PAK9001", "fatalities_high"] == 31


def test_private_imports_are_seen_only_by_their_owner(store, people, tmp_path):
    shared = import_rows(
        store, people["asma"], acled_csv(tmp_path / "shared.csv", FIRST_EXPORT[:1])
    )
    private = import_rows(
        store,
        people["bilal"],
        acled_csv(tmp_path / "mine.csv", FIRST_EXPORT[1:2]),
        visibility="private",
    )
    names = {who: [d.name for d in store.datasets(viewer=people[who])] for who in ("asma", "bilal")}
    assert names["asma"] == [shared.dataset.name]
    assert sorted(names["bilal"]) == sorted([shared.dataset.name, private.dataset.name])
    assert ids(store.incidents(viewer=people["asma"])) == ["ACLED:PAK9001"]
    assert ids(store.incidents(viewer=None)) == ["ACLED:PAK9001"]
    assert ids(store.incidents(viewer=people["bilal"])) == ["ACLED:PAK9001", "ACLED:PAK9002"]
    with pytest.raises(PermissionDenied, match="private to another account"):
        store.remove_dataset(private.dataset.id, actor=people["asma"])


WRITES = {
    "import": lambda s, who, result: s.import_result(result, actor=who),
    "add incident": lambda s, who, result: s.add_incident(CURATED, actor=who),
    "remove dataset": lambda s, who, result: s.remove_dataset(1, actor=who),
    "match decision": lambda s, who, result: s.record_match_decision(
        "ACLED:PAK9001", "RAIL-008", "join", actor=who
    ),
    "group alias": lambda s, who, result: s.add_group_alias("Baloch Lib. Army", "BLA", actor=who),
    "create account": lambda s, who, result: s.create_account("x1", PASSWORD, "editor", actor=who),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_writes_without_login_or_by_a_viewer_are_refused(store, people, tmp_path, write):
    result = _result(tmp_path)
    store.import_result(result, actor=people["asma"])
    before = store.revision()
    with pytest.raises(NotLoggedIn, match="log in"):
        WRITES[write](store, None, result)
    with pytest.raises(PermissionDenied, match="vera is a viewer and may not"):
        WRITES[write](store, people["vera"], result)
    assert store.revision() == before
    assert [d.id for d in store.datasets(viewer=None)] == [1]


def _result(tmp_path) -> ImportResult:
    from geo.importers import import_incidents

    return import_incidents(acled_csv(tmp_path / "a.csv", FIRST_EXPORT).read_bytes(), name="a.csv")


def test_every_write_is_attributed(store, people, tmp_path):
    asma, bilal = people["asma"], people["bilal"]
    import_rows(store, asma, acled_csv(tmp_path / "a.csv", FIRST_EXPORT))
    curated = store.add_incident(CURATED, actor=bilal)
    store.edit_incident(curated, {"summary": "Corrected."}, actor=asma)
    store.record_match_decision("ACLED:PAK9001", curated, "join", actor=asma, note="same train")
    store.add_group_alias("Baloch Liberation Army (BLA)", "BLA", actor=bilal)
    store.remove_dataset(1, actor=bilal)

    assert store.datasets(viewer=None, include_deleted=True)[-1].imported_by == "asma"
    removed = [d for d in store.datasets(viewer=None, include_deleted=True) if d.id == 1][0]
    assert removed.deleted_by == "bilal" and removed.deleted_at is not None
    history = store.history(curated)
    assert {h.changed_by for h in history if h.action == "create"} == {"bilal"}
    assert [(h.changed_by, h.old, h.new) for h in history if h.action == "edit"] == [
        ("asma", "Train held in the Bolan Pass.", "Corrected.")
    ]
    decisions = store.match_decisions()
    assert decisions.iloc[0][["incident_a", "decision", "decided_by", "note"]].tolist() == [
        "ACLED:PAK9001",
        "join",
        "asma",
        "same train",
    ]
    assert store.group_aliases().iloc[0][["alias", "group", "added_by"]].tolist() == [
        "Baloch Liberation Army (BLA)",
        "BLA",
        "bilal",
    ]


def test_a_removed_dataset_leaves_every_view_but_nothing_is_destroyed(store, people, tmp_path):
    outcome = import_rows(store, people["asma"], acled_csv(tmp_path / "a.csv", FIRST_EXPORT))
    store.remove_dataset(outcome.dataset.id, actor=people["bilal"])
    assert store.incidents(viewer=people["asma"]).empty
    assert store.datasets(viewer=people["asma"]) == []
    [kept] = store.datasets(viewer=people["asma"], include_deleted=True)
    assert kept.active_rows == 3  # the rows are still in the store
    assert store.history("ACLED:PAK9001")[0].new == "a.csv (acled)"
    with pytest.raises(StoreError, match="does not exist or was removed"):
        store.remove_dataset(outcome.dataset.id, actor=people["bilal"])


def test_a_curated_incident_is_added_corrected_and_its_history_kept(store, people, bundle):
    asma, bilal = people["asma"], people["bilal"]
    incident_id = store.add_incident(CURATED, actor=asma, registry=bundle.groups)
    [row] = store.incidents(viewer=None).to_dict("records")
    assert row["incident_id"] == incident_id and incident_id.startswith("TEAM-")
    assert (row["fatalities_low"], row["fatalities_high"]) == (26, 64)
    assert row["figures_note"] == "killed: 26 (ISPR); 64 (BLA claim)"
    assert str(row["end"]) == "2025-03-12 23:59:59"
    assert row["sources"][0]["url"] == "https://www.dawn.com/news/1896599"
    figures = store.figures(viewer=None)
    assert figures[["measure", "value_low", "reported_by"]].values.tolist() == [
        ["killed", "26", "ISPR"],
        ["killed", "64", "BLA claim"],
    ]

    store.edit_incident(
        incident_id, {"lon": 67.35, "lat": 29.87, "geo_precision": "exact"}, actor=bilal
    )
    edits = [
        (h.field, h.old, h.new, h.changed_by)
        for h in store.history(incident_id)
        if h.action == "edit"
    ]
    assert ("geo_precision", "near", "exact", "bilal") in edits
    assert ("lon", "67.4", "67.35", "bilal") in edits
    assert store.edit_incident(incident_id, {"geo_precision": "exact"}, actor=bilal) == []
    moved = store.incidents(viewer=None).iloc[0]
    assert (moved.geometry.x, moved.geometry.y) == pytest.approx((67.35, 29.87))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sources": [{"publisher": "Dawn", "url": ""}]}, "at least one source with a URL"),
        ({"sources": [{"url": "javascript:alert(1)"}]}, "does not start with http"),
        (
            {"groups": ["Baloch Liberation Front", "Nobody"]},
            r"group\(s\) \['Nobody'\] are not in the registry",
        ),
        ({"figures": [{"measure": "killed", "low": 5, "high": 9}]}, "say who reported it"),
        (
            {"figures": [{"measure": "killed", "low": 9, "high": 5, "reported_by": "x"}]},
            "low 9 is greater than high 5",
        ),
        ({"start": "11/03/2025x"}, "start '11/03/2025x' is not a date"),
        ({"lat": 95}, "lat 95.0 is outside -90..90"),
        ({"event_type": "Massacre"}, "event_type 'Massacre' is not one of"),
    ],
)
def test_a_curated_incident_with_a_problem_is_refused_with_its_reason(
    store, people, bundle, change, message
):
    with pytest.raises(StoreError, match=message):
        store.add_incident({**CURATED, **change}, actor=people["asma"], registry=bundle.groups)
    assert store.incidents(viewer=None).empty


def test_stored_text_comes_back_exactly_as_written(store, people):
    hostile = "<img src=x onerror=alert(1)> **bold** ![x](http://evil.example/p.png) \u202e"
    incident_id = store.add_incident({**CURATED, "summary": hostile}, actor=people["asma"])
    assert store.incidents(viewer=None).iloc[0]["summary"] == hostile
    assert store.history(incident_id)[-1].new  # kept as text, not interpreted


def test_sessions_expire_and_passwords_are_hashed(store_url, store, people):
    login = store.login("asma", PASSWORD)
    assert store.account_for(login.token) == people["asma"]
    store.logout(login.token)
    assert store.account_for(login.token) is None
    short = store.login("asma", PASSWORD, hours=0.5 / 3600)
    time.sleep(0.7)
    assert store.account_for(short.token) is None
    with pytest.raises(StoreError, match="^wrong username or password$"):
        store.login("asma", "not the password")
    with pytest.raises(StoreError, match="^wrong username or password$"):
        store.login("nobody", PASSWORD)
    with pytest.raises(StoreError, match="at least 10 needed"):
        store.create_account("short", "abc", "editor", actor=people["admin"])
    with store.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT password_hash, username FROM accounts")).all()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h, _ in stored)


def test_the_first_account_must_be_an_admin_and_later_ones_need_one(store):
    with pytest.raises(StoreError, match="first account must be an admin"):
        store.create_account("asma", PASSWORD, "editor", actor=None)
    store.create_account("admin", PASSWORD, "admin", actor=None)
    with pytest.raises(NotLoggedIn):
        store.create_account("asma", PASSWORD, "editor", actor=None)


FILTERS = [
    IncidentFilter(),
    IncidentFilter(start=pd.Timestamp("2025-03-01").date(), end=pd.Timestamp("2025-03-31").date()),
    IncidentFilter(groups=("TTP",)),
    IncidentFilter(groups=("TTP",), include_affiliates=False),
    IncidentFilter(groups=("BLA", "BLF"), provinces=("Balochistan",)),
    IncidentFilter(event_types=("Explosions/Remote violence",), min_fatalities=5),
    IncidentFilter(bbox=(66.5, 29.0, 68.0, 30.5)),
    IncidentFilter(text="jaffar express"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: f.to_query() and str(f.to_query()) or "all")
def test_filters_in_the_store_select_what_the_app_selects(store, people, bundle, flt):
    incidents = bundle.incidents.copy()
    result = ImportResult("bundled", "snapshot", incidents, empty_rejected(), len(incidents))
    store.import_result(result, actor=people["asma"])
    flt = IncidentFilter(**{**flt.__dict__, "datasets": ()})
    expected = ids(flt.apply(store.incidents(viewer=None), bundle.groups))
    assert ids(store.incidents(viewer=None, flt=flt, registry=bundle.groups)) == expected
    assert len(expected) == len(flt.apply(bundle.incidents, bundle.groups))


def test_a_store_from_a_newer_program_is_refused_and_an_old_one_opens(store_url):
    first = open_store(store_url)
    first.create_account("admin", PASSWORD, "admin", actor=None)
    assert first.schema_revision == "0002"
    first.close()
    again = open_store(store_url)  # migrations run again: a no-op
    assert again.accounts()[0].username == "admin"
    again.close()
    engine = sa.create_engine(store_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    engine.dispose()
    with pytest.raises(StoreVersionError, match="revision '9999_future', newer than this program"):
        open_store(store_url)


def test_an_up_to_date_store_opens_without_alembic_and_the_head_is_alembics(tmp_path):
    import subprocess
    import sys

    from alembic.script import ScriptDirectory

    from geo.store.core import MIGRATIONS, SCHEMA_HEAD, _alembic_config

    config = _alembic_config(connection=None)
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD
    assert config.get_main_option("script_location") == str(MIGRATIONS)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(url).close()  # a new store: migrated
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from geo.store import open_store; "
            f"store = open_store({url!r}); print(store.schema_revision, 'alembic' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert opened.stdout.split() == [SCHEMA_HEAD, "False"]


def test_a_store_of_the_first_schema_is_upgraded_and_named_once(store_url):
    from alembic import command

    from geo.store.core import _alembic_config

    engine = sa.create_engine(store_url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
        connection.exec_driver_sql("UPDATE store_state SET revision = 7")
    engine.dispose()
    upgraded = open_store(store_url)
    instance, revision = upgraded.state()
    assert (upgraded.schema_revision, revision) == ("0002", 7)
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", instance
    )
    upgraded.create_account("admin", PASSWORD, "admin", actor=None)
    upgraded.close()
    again = open_store(store_url)
    assert again.state() == (instance, 7)  # the same name; an account leaves incidents be
    again.close()


def test_the_incidents_revision_grows_with_writes_to_incidents_only(store, people, tmp_path):
    _, start = store.state()
    outcome = import_rows(store, people["asma"], acled_csv(tmp_path / "a.csv", FIRST_EXPORT))
    after_import = store.state()[1]
    writes = store.revision()
    store.create_account("x1", PASSWORD, "editor", actor=people["admin"])
    store.record_match_decision("ACLED:PAK9001", "RAIL-008", "join", actor=people["asma"])
    store.add_group_alias("Baloch Lib. Army", "BLA", actor=people["asma"])
    assert store.revision() > writes  # those are writes too, to other things than incidents
    assert store.state()[1] == after_import > start
    incident_id = store.add_incident(CURATED, actor=people["asma"])
    store.edit_incident(incident_id, {"summary": "Corrected."}, actor=people["asma"])
    store.remove_dataset(outcome.dataset.id, actor=people["asma"])
    assert store.state()[1] == after_import + 3


def test_two_stores_have_different_identities(tmp_path):
    first, second = (
        open_store(f"sqlite:///{tmp_path / name}") for name in ("a.sqlite", "b.sqlite")
    )
    assert first.state()[0] != second.state()[0]
    assert first.state()[1] == second.state()[1] == 0
    first.close()
    second.close()


def test_every_column_of_the_incident_schema_is_stored():
    from geo.schema import INCIDENT_COLUMNS
    from geo.store.records import DATA_COLUMNS

    missing = set(INCIDENT_COLUMNS) - set(DATA_COLUMNS) - {"geometry"}
    assert not missing, f"add a migration in geo/store/migrations for {sorted(missing)}"


def test_every_stored_value_reads_back_as_imported(store, people, bundle):
    """The bundled incidents (empty text, missing counts, several sources, non-Latin script)
    come back from the store value for value: ADBC's Arrow read on PostGIS, pandas on SQLite."""
    from geo.schema import INCIDENT_COLUMNS

    incidents = bundle.incidents.copy()
    incidents.loc[incidents.index[0], "summary"] = "ڈھاڈر، کوئٹہ — \u202e 'quoted' \"twice\""
    result = ImportResult("bundled", "snapshot", incidents, empty_rejected(), len(incidents))
    store.import_result(result, actor=people["asma"])
    read = store.incidents(viewer=None).set_index("incident_id")
    expected = incidents.set_index("incident_id")
    columns = [c for c in INCIDENT_COLUMNS if c not in ("incident_id", "geometry", "dataset")]
    for column in columns:
        got, want = read.loc[expected.index, column], expected[column]
        if column == "sources":
            assert got.map(list).tolist() == want.map(list).tolist()
        else:
            pd.testing.assert_series_equal(got, want, check_dtype=False, obj=column)
    assert read.loc[expected.index].geometry.geom_equals_exact(expected.geometry, 1e-9).all()
    assert read["fatalities_high"].dtype == "Int64" and read["start"].dtype.kind == "M"
