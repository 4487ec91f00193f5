"""``python -m geo store``: import, list, export, remove and history, on both back ends."""

from __future__ import annotations

import json

import pytest

from geo.__main__ import main
from tests.store_helpers import FIRST_EXPORT, PASSWORD, acled_csv


@pytest.fixture
def cli(store_url, monkeypatch, capsys):
    monkeypatch.setenv("INCIDENT_STORE_PASSWORD", PASSWORD)

    def run(*args: str) -> tuple[int, str, str]:
        status = main(["store", *args, "--store", store_url])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    assert run("create-account", "admin", "--role", "admin")[0] == 0
    assert run("create-account", "asma", "--role", "editor", "--admin", "admin")[0] == 0
    assert run("create-account", "vera", "--role", "viewer", "--admin", "admin")[0] == 0
    return run


def test_import_list_export_and_reimport(cli, tmp_path):
    march = acled_csv(tmp_path / "acled-march.csv", FIRST_EXPORT)
    status, out, _ = cli("import", str(march), "--user", "asma", "--licence", "ACLED EULA")
    assert status == 0
    assert "acled-march.csv (acled): kept 3 of 3 rows" in out
    assert "→ dataset 1 (acled-march.csv, shared): 3 added, 0 updated" in out

    status, out, _ = cli("datasets")
    assert status == 0
    assert "1 dataset(s)" in out
    assert "acled-march.csv  [acled, shared]  3 active, 0 marked removed; imported by asma" in out
    assert "licence: ACLED EULA" in out

    revised = [{**FIRST_EXPORT[0], "fatalities": "31", "timestamp": "1741900000"}, FIRST_EXPORT[1]]
    april = acled_csv(tmp_path / "acled-april.csv", revised)
    status, out, _ = cli("import", str(april), "--user", "asma", "--into", "1")
    assert "1 updated, 1 unchanged, 1 marked removed" in out

    output = tmp_path / "out.geojson"
    status, out, _ = cli("export", str(output), "--filters", "start=2025-03-11&end=2025-03-11")
    assert status == 0
    assert f"wrote 1 of 2 incidents to {output}" in out
    collection = json.loads(output.read_bytes())
    [feature] = collection["features"]
    assert feature["properties"]["incident_id"] == "ACLED:PAK9001"
    assert feature["properties"]["fatalities_high"] == 31
    assert collection["metadata"]["filters"] == {"start": "2025-03-11", "end": "2025-03-11"}

    status, out, _ = cli("history", "ACLED:PAK9001")
    assert "asma  update  fatalities_high: '10' -> '31'" in out


def test_writes_need_an_editor(cli, tmp_path):
    march = acled_csv(tmp_path / "a.csv", FIRST_EXPORT)
    status, _, err = cli("import", str(march))
    assert (status, err.strip()) == (
        1,
        "error: log in to import: give --user NAME (an editor or admin)",
    )
    status, _, err = cli("import", str(march), "--user", "vera")
    assert status == 1
    assert "vera is a viewer and may not import into the store" in err
    status, _, err = cli("remove", "1", "--user", "nobody")
    assert (status, err.strip()) == (1, "error: wrong username or password")
    assert "0 dataset(s)" in cli("datasets")[1]


def test_private_import_and_removal(cli, tmp_path):
    march = acled_csv(tmp_path / "a.csv", FIRST_EXPORT)
    assert cli("import", str(march), "--user", "asma", "--private")[0] == 0
    assert "0 dataset(s)" in cli("datasets")[1]
    assert "1 dataset(s)" in cli("datasets", "--user", "asma")[1]
    status, out, _ = cli("remove", "1", "--user", "asma")
    assert out.strip() == "removed dataset 1 (a.csv): 3 incidents hidden, kept"
    listed = cli("datasets", "--all", "--user", "asma")[1]
    assert "removed by asma" in listed


def test_a_bad_store_url_is_named(capsys):
    assert main(["store", "datasets", "--store", "mysql://x/y"]) == 1
    assert "store URL for 'mysql': expected sqlite:///FILE" in capsys.readouterr().err
