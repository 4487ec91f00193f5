"""``python -m geo convert`` run as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from geo.export import read_snapshot

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"


def convert(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "geo", "convert", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_convert_writes_a_snapshot_and_prints_the_report(tmp_path):
    output = tmp_path / "acled.geojson"
    done = convert(str(FIXTURES / "acled_2024.csv"), str(output))
    assert done.returncode == 0, done.stderr
    assert "acled_2024.csv (acled): kept 4 of 8 rows (4 rejected, 1 flagged)" in done.stdout
    assert "rejected line 5: no coordinates" in done.stdout
    assert "rejected line 8: unparseable date: event_date '31/31/2024'" in done.stdout
    assert "flagged ACLED:PAK1005: province-mismatch (" in done.stdout
    assert "stated province Sindh but the point lies in Balochistan" in done.stdout
    snapshot = read_snapshot(output)
    assert len(snapshot.incidents) == 4
    assert set(snapshot.incidents["dataset"]) == {"acled_2024.csv"}
    assert snapshot.metadata["dataset_hash"].startswith("sha256:")
    assert snapshot.metadata["counts"] == {"selected": 4, "dataset": 4}


def test_convert_with_format_and_name(tmp_path):
    output = tmp_path / "ucdp.geojson"
    done = convert(
        str(FIXTURES / "ucdp_ged_hxl.csv"), str(output), "--format", "ucdp", "--name", "GED"
    )
    assert done.returncode == 0, done.stderr
    assert "GED (ucdp): kept 2 of 2 rows" in done.stdout
    assert "note: skipped the HXL hashtag row on line 2" in done.stdout
    assert set(read_snapshot(output).incidents["dataset"]) == {"GED"}


def test_convert_fails_with_the_reason_for_a_bad_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"date;lat;lon\n2025-01-01;30;67\n")
    output = tmp_path / "out.geojson"
    done = convert(str(bad), str(output))
    assert done.returncode == 1
    assert (
        "error: bad.csv: the header has a single column and looks separated by semicolons"
        in done.stderr
    )
    assert not output.exists()


def test_convert_fails_when_no_row_is_kept(tmp_path):
    rows = tmp_path / "none.csv"
    rows.write_bytes(b"date,lat,lon\n2025-01-01,,\nnever,30.1,67.0\n")
    output = tmp_path / "out.geojson"
    done = convert(str(rows), str(output))
    assert done.returncode == 1
    assert "kept 0 of 2 rows (2 rejected, 0 flagged)" in done.stdout
    assert "rejected line 2: no coordinates" in done.stdout
    assert "error: none.csv: no rows kept" in done.stderr
    assert not output.exists()


def test_convert_rejects_an_unknown_format(tmp_path):
    done = convert(str(FIXTURES / "gtd.csv"), str(tmp_path / "x.geojson"), "--format", "xls")
    assert done.returncode == 2
    assert "invalid choice: 'xls'" in done.stderr
