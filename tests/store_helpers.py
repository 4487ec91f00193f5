"""Fixtures for the store's tests: the same tests on the embedded store and on a real PostGIS.

PostGIS comes from ``tools/ensure_postgis.sh`` (run by ``make test``; run here too when its URL
file is missing, so ``pytest`` alone works). No mock database: a test that needs PostGIS fails
when PostGIS cannot be started.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.importers import import_incidents
from geo.store import Account, open_store
from geo.store.core import SqlStore

ROOT = Path(__file__).resolve().parents[1]
POSTGIS_URL_FILE = ROOT / "var" / "postgis-test.url"
PASSWORD = "correct horse battery staple"
TABLES = (
    "alembic_version",
    "group_aliases",
    "match_decisions",
    "incident_history",
    "incidents",
    "datasets",
    "sessions",
    "accounts",
    "store_state",
)


def postgis_test_url() -> str:
    """Return the test database's URL, starting the local PostGIS cluster when needed."""
    result = subprocess.run(
        ["sh", str(ROOT / "tools" / "ensure_postgis.sh")], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.fail(f"could not start PostGIS:\n{result.stdout}\n{result.stderr}")
    return POSTGIS_URL_FILE.read_text().strip()


def empty_postgis(url: str) -> str:
    """Drop the store's tables from the test database (PostGIS itself stays)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgis_url() -> str:
    return postgis_test_url()


@pytest.fixture(params=["sqlite", "postgis"])
def store_url(request, tmp_path) -> str:
    """A URL of an empty store: a SQLite file, or the PostGIS test database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return empty_postgis(request.getfixturevalue("postgis_url"))


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch) -> None:
    """Argon2id with small costs: the same algorithm and format, fast enough for many accounts."""
    from argon2 import PasswordHasher

    from geo.store import auth

    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def store(store_url) -> Iterator[SqlStore]:
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def people(store) -> dict[str, Account]:
    """An admin, two editors and a viewer."""
    admin = store.create_account("admin", PASSWORD, "admin", actor=None)
    return {
        "admin": admin,
        "asma": store.create_account("asma", PASSWORD, "editor", actor=admin),
        "bilal": store.create_account("bilal", PASSWORD, "editor", actor=admin),
        "vera": store.create_account("vera", PASSWORD, "viewer", actor=admin),
    }


def acled_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write an ACLED export with the codebook's columns (those the tests vary, the rest blank)."""
    columns = [
        "event_id_cnty",
        "event_date",
        "year",
        "time_precision",
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "actor2",
        "country",
        "admin1",
        "admin2",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source",
        "notes",
        "fatalities",
        "timestamp",
    ]
    base = {
        "year": "2025",
        "time_precision": "1",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Remote explosive/landmine/IED",
        "actor2": "Civilians (Pakistan)",
        "country": "Pakistan",
        "admin1": "Balochistan",
        "geo_precision": "1",
        "source": "Dawn",
    }
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: {**base, **row}.get(column, "") for column in columns})
    return path


# March 2025, Bolan Pass and Quetta; actors spelt three ways as ACLED's sources do; two rows
# identical but for their id (distinct events on the same day at the same place).
FIRST_EXPORT = [
    {
        "event_id_cnty": "PAK9001",
        "event_date": "2025-03-11",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "BLA: Baloch Liberation Army",
        "admin2": "Kachhi",
        "location": "Mashkaf",
        "latitude": "29.8669",
        "longitude": "67.3264",
        "notes": "Jaffar Express held in the Bolan Pass; early reports of 10 killed.",
        "fatalities": "10",
        "timestamp": "1741700000",
    },
    {
        "event_id_cnty": "PAK9002",
        "event_date": "2025-03-12",
        "actor1": "Baloch Liberation Army",
        "admin2": "Quetta",
        "location": "Quetta",
        "latitude": "30.1841",
        "longitude": "67.0014",
        "notes": "IED on the track near Quetta.",
        "fatalities": "0",
        "timestamp": "1741700000",
    },
    {
        "event_id_cnty": "PAK9003",
        "event_date": "2025-03-12",
        "actor1": "BLA",
        "admin2": "Quetta",
        "location": "Quetta",
        "latitude": "30.1841",
        "longitude": "67.0014",
        "notes": "IED on the track near Quetta.",
        "fatalities": "0",
        "timestamp": "1741700000",
    },
]


def import_rows(store: SqlStore, actor: Account, path: Path, **options):
    """Import an ACLED file the way the CLI and the app do (with its source timestamps)."""
    from geo.store.sources import source_timestamps

    data = path.read_bytes()
    result = import_incidents(data, name=path.name)
    return store.import_result(
        result, actor=actor, timestamps=source_timestamps(data, result.format), **options
    )
