"""The store's incidents beside the base, prepared once per store state and viewer.

Runs on SQLite and PostGIS. What an analyst notices: a restart on an unchanged store shows the
same incidents without reading the database; any write shows up; a private dataset never reaches
another viewer, not even through a prepared file.
"""

from __future__ import annotations

import pytest

from geo.export import content_hash
from geo.io import load_bundled
from geo.store import open_store
from geo.store.core import SqlStore
from geo.store.working_set import working_set
from tests.store_helpers import FIRST_EXPORT, acled_csv, import_rows


@pytest.fixture(scope="module")
def bundle():
    return load_bundled()


def ids(prepared) -> list[str]:
    return sorted(prepared.incidents["incident_id"])


def shown(store, viewer, bundle):
    return working_set(store, viewer, bundle.incidents, content_hash(bundle.incidents), bundle)


def test_an_unchanged_store_is_shown_again_without_reading_it(
    store, people, bundle, tmp_path, monkeypatch
):
    import_rows(store, people["asma"], acled_csv(tmp_path / "a.csv", FIRST_EXPORT))
    first = shown(store, None, bundle)
    base = sorted(bundle.incidents["incident_id"])
    assert not first.from_cache
    assert ids(first) == sorted([*base, "ACLED:PAK9001", "ACLED:PAK9002", "ACLED:PAK9003"])
    assert "rail_distance_km" in first.incidents.columns  # enriched, as the map and filters need

    def refuse(self, **_):
        raise AssertionError("the store was read although it had not changed")

    monkeypatch.setattr(SqlStore, "incidents", refuse)
    again = shown(store, None, bundle)
    assert again.from_cache
    assert ids(again) == ids(first) and again.content_hash == first.content_hash


def test_a_write_to_the_store_is_shown_and_replaces_the_old_preparation(
    store, people, bundle, tmp_path
):
    import_rows(store, people["asma"], acled_csv(tmp_path / "a.csv", FIRST_EXPORT[:1]))
    before = shown(store, None, bundle)
    import_rows(store, people["asma"], acled_csv(tmp_path / "b.csv", FIRST_EXPORT[1:2]))
    after = shown(store, None, bundle)
    assert not after.from_cache
    assert set(ids(after)) - set(ids(before)) == {"ACLED:PAK9002"}
    assert before.content_hash != after.content_hash
    assert not before.cache_path.exists() and after.cache_path.exists()


def test_a_private_dataset_reaches_its_owner_only(store, people, bundle, tmp_path):
    import_rows(store, people["asma"], acled_csv(tmp_path / "a.csv", FIRST_EXPORT[:1]))
    import_rows(
        store,
        people["bilal"],
        acled_csv(tmp_path / "mine.csv", FIRST_EXPORT[1:2]),
        visibility="private",
    )
    owner = shown(store, people["bilal"], bundle)  # prepared first: the file must not leak
    assert "ACLED:PAK9002" in ids(owner)
    for viewer in (None, people["asma"]):
        seen = ids(shown(store, viewer, bundle))
        assert "ACLED:PAK9001" in seen and "ACLED:PAK9002" not in seen


def test_a_store_made_again_at_the_same_revision_is_read_again(people, bundle, tmp_path):
    from tests.store_helpers import PASSWORD

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    rows = {}
    for attempt, export in enumerate((FIRST_EXPORT[:1], FIRST_EXPORT[2:3])):
        (tmp_path / "store.sqlite").unlink(missing_ok=True)
        store = open_store(url)
        admin = store.create_account("admin", PASSWORD, "admin", actor=None)
        import_rows(store, admin, acled_csv(tmp_path / f"{attempt}.csv", export))
        prepared = shown(store, None, bundle)
        rows[attempt] = (
            store.state()[1],
            set(ids(prepared)) - set(bundle.incidents["incident_id"]),
        )
        store.close()
    assert rows[0][0] == rows[1][0]  # the same revision number
    assert rows == {0: (rows[0][0], {"ACLED:PAK9001"}), 1: (rows[1][0], {"ACLED:PAK9003"})}


def test_a_store_with_nothing_beyond_the_base_gives_nothing_to_add(store, people, bundle):
    assert shown(store, None, bundle) is None


def test_writes_that_leave_the_incidents_be_do_not_prepare_them_again(
    store, people, bundle, tmp_path
):
    import_rows(store, people["asma"], acled_csv(tmp_path / "a.csv", FIRST_EXPORT))
    first = shown(store, None, bundle)
    store.record_match_decision("ACLED:PAK9001", "RAIL-008", "join", actor=people["asma"])
    store.add_group_alias("Baloch Lib. Army", "BLA", actor=people["asma"])
    again = shown(store, None, bundle)
    assert again.from_cache and again.cache_path == first.cache_path
