"""Files that are not what they claim, and GeoJSON / GeoPackage / snapshot imports."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point

from geo.export import content_hash, read_snapshot, snapshot_bytes
from geo.filters import IncidentFilter
from geo.importers import ImportFileError, import_incidents, inspect_file
from geo.io import load_provinces

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"
HEADER = b"date,lat,lon,place\n"


@pytest.fixture(scope="module")
def pk_provinces() -> gpd.GeoDataFrame:
    return load_provinces()


@pytest.fixture
def load(registry, pk_provinces):
    def load(source, name="upload.csv", **kwargs):
        return import_incidents(
            source, name=name, registry=registry, provinces=pk_provinces, **kwargs
        )

    return load


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"upload\.csv: the file is empty"),
        (b"  \n\n", r"upload\.csv: the file is empty"),
        (HEADER, r"upload\.csv: the file has a header but no data rows"),
        (b"PK\x03\x04rest-of-zip", r"upload\.csv: this is a ZIP archive or an Excel workbook"),
        (b"date,lat\x00\x01\x02", r"upload\.csv: this is a binary file \(it contains NUL bytes\)"),
        (
            HEADER + "2025-01-01,30.1,67.0,Qu\xe9tta\n".encode("latin-1"),
            r"upload\.csv: not UTF-8 text \(byte 0xe9 on line 2\); re-save it as UTF-8",
        ),
        (
            b"date;lat;lon\n2025-01-01;30.1;67.0\n",
            r"upload\.csv: the header has a single column and looks separated by semicolons",
        ),
        (
            HEADER + b'2025-01-01,30.1,67.0,"Quetta station\n',
            r"upload\.csv: the file ends inside a quoted field that starts on line 2; it looks truncated",
        ),
        (
            HEADER + b"2025-01-01,30.1,67.0,Quetta\n2025-01-02,30.1",
            r"upload\.csv: the last line \(3\) has 2 of 4 fields and no line end; the file looks truncated",
        ),
        (b"date,lat,lat\n1,2,3\n", r"upload\.csv: the header repeats column\(s\) \['lat'\]"),
        (b'{"type": "FeatureCollection", "features": [', r"upload\.csv: not valid JSON"),
        (b'{"hello": 1}', r"upload\.csv: is JSON but not GeoJSON"),
    ],
)
def test_files_that_are_not_what_they_claim(load, data, message):
    with pytest.raises(ImportFileError, match=message):
        load(data)


def test_too_large(load, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(HEADER + b"2025-01-01,30.1,67.0,Quetta\n" * 100)
    with pytest.raises(
        ImportFileError,
        match=r"big\.csv: the file is 2,819 bytes, larger than the 1,000 bytes limit",
    ):
        load(path, name="big.csv", max_bytes=1000)
    with pytest.raises(ImportFileError, match=r"big\.csv: the file is"):
        load(path.read_bytes(), name="big.csv", max_bytes=1000)


def test_missing_file(load, tmp_path):
    with pytest.raises(ImportFileError, match=r"nope\.csv: file not found"):
        load(tmp_path / "nope.csv", name="nope.csv")


def test_import_error_is_a_value_error():
    assert issubclass(ImportFileError, ValueError)


def test_format_contradicting_content(load):
    with pytest.raises(
        ImportFileError, match=r"requested format 'gpkg' but this is a text/CSV file"
    ):
        load(HEADER + b"2025-01-01,30.1,67.0,Quetta\n", fmt="gpkg")
    with pytest.raises(
        ImportFileError, match=r"x\.csv: not a GTD extract: missing column\(s\) \['iyear'"
    ):
        load(FIXTURES / "ucdp_ged.csv", name="x.csv", fmt="gtd")
    with pytest.raises(ValueError, match=r"format 'xls' is not one of auto"):
        load(HEADER, fmt="xls")


def test_rows_with_wrong_field_count_are_rejected(load):
    data = (
        HEADER
        + b"2025-01-01,30.1,67.0,Quetta\n2025-01-02,30.1,67.0\n2025-01-03,30.1,67.0,Sibi,extra\n"
    )
    result = load(data)
    assert result.rows_read == 3 and result.kept == 1
    assert list(result.rejected["reason"]) == [
        "has 3 fields but the header has 4",
        "has 5 fields but the header has 4",
    ]
    assert list(result.rejected["raw"]) == [
        "2025-01-02,30.1,67.0",
        "2025-01-03,30.1,67.0,Sibi,extra",
    ]


def test_utf8_bom_and_utf16_are_read(load):
    row = "2025-01-01,30.18,67.0,Quétta\n"
    assert load(b"\xef\xbb\xbf" + HEADER + row.encode()).kept == 1
    assert load(("date,lat,lon,place\n" + row).encode("utf-16")).kept == 1


def _utm_feature(lon: float, lat: float, properties: dict) -> dict:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32642", always_xy=True).transform(lon, lat)
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": [x, y]},
    }


def test_geojson_in_another_crs_is_reprojected(load):
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32642"}},
        "features": [
            _utm_feature(
                67.0014, 30.1841, {"date": "2025-03-11", "place": "Quetta", "group": "BLA"}
            ),
            _utm_feature(67.8773, 29.5430, {"date": "2025-03-12", "place": "Sibi", "group": "BLF"}),
            {
                "type": "Feature",
                "properties": {"date": "2025-03-13", "place": "Nowhere", "group": ""},
                "geometry": None,
            },
            {
                "type": "Feature",
                "properties": {"date": "2025-03-14", "place": "Line", "group": ""},
                "geometry": LineString([(0, 0), (1, 1)]).__geo_interface__,
            },
        ],
    }
    result = load(json.dumps(collection).encode(), name="utm.geojson")
    assert result.format == "geojson"
    assert result.kept == 2 and result.rows_read == 4
    quetta = result.incidents.iloc[0]
    assert (quetta.geometry.x, quetta.geometry.y) == pytest.approx((67.0014, 30.1841), abs=1e-6)
    assert quetta["incident_id"].startswith("GEOJSON:")
    assert dict(zip(result.rejected["line"], result.rejected["reason"], strict=True)) == {
        3: "no coordinates (no geometry)",
        4: "geometry is a LineString, expected a Point",
    }
    assert any("reprojected from EPSG:32642" in note for note in result.notes)


def test_geojson_with_lat_lon_swapped(load):
    feature = {
        "type": "Feature",
        "properties": {"date": "2025-03-11"},
        "geometry": {"type": "Point", "coordinates": [30.1841, 67.0014]},
    }
    result = load(
        json.dumps({"type": "FeatureCollection", "features": [feature]}).encode(), name="s.geojson"
    )
    assert result.rejected.loc[0, "reason"].startswith("latitude/longitude apparently swapped")


def _write_gpkg(path: Path, crs: str | None) -> None:
    frame = gpd.GeoDataFrame(
        {
            "event_date": ["2025-03-11", "2025-03-12"],
            "location": ["Mach", "Quetta"],
            "actor1": ["BLA", "TTP"],
            "event_id_cnty": ["PAK9", "PAK10"],
        },
        geometry=[Point(67.3264, 29.8669), Point(67.0014, 30.1841)],
        crs="EPSG:4326",
    )
    if crs is None:
        frame = frame.set_crs(None, allow_override=True)
        with pytest.warns(UserWarning, match="'crs' was not provided"):
            frame.to_file(path, engine="pyogrio")
    else:
        frame.to_crs(crs).to_file(path, engine="pyogrio")


def test_geopackage_in_web_mercator_with_acled_attributes(load, tmp_path):
    path = tmp_path / "events.gpkg"
    _write_gpkg(path, "EPSG:3857")
    result = load(path.read_bytes(), name="events.gpkg")
    assert result.format == "gpkg"
    assert list(result.incidents["incident_id"]) == ["ACLED:PAK9", "ACLED:PAK10"]
    assert result.incidents.iloc[0].geometry.x == pytest.approx(67.3264, abs=1e-6)
    assert "attributes read as an ACLED export" in result.notes


def test_geopackage_without_crs_is_refused(load, tmp_path):
    path = tmp_path / "nocrs.gpkg"
    _write_gpkg(path, None)
    with pytest.raises(
        ImportFileError, match=r"nocrs\.gpkg: the layer has no CRS; expected one .*not guessing"
    ):
        load(path, name="nocrs.gpkg")


def test_snapshot_round_trip(load):
    acled = load(FIXTURES / "acled_2024.csv", name="acled")
    incidents = acled.incidents
    data = snapshot_bytes(
        incidents, filters=IncidentFilter(), dataset_hash=content_hash(incidents), dataset_count=4
    )
    again = load(data, name="acled")
    assert again.format == "snapshot"
    assert again.summary() == "kept 4 of 4 rows (0 rejected, 1 flagged)"
    assert content_hash(again.incidents) == content_hash(incidents)
    assert len(read_snapshot(data).incidents) == 4


def test_inspect_file_for_the_mapping_step():
    info = inspect_file(FIXTURES / "generic.csv", name="generic.csv")
    assert info.format == "csv"
    assert info.columns[:4] == ["ref", "when", "lat", "lng"]
    assert info.suggested_mapping["latitude"] == "lat"
    assert "date" not in info.suggested_mapping
    assert len(info.preview) == 5
    assert inspect_file(FIXTURES / "gtd.csv", name="gtd.csv").format == "gtd"
