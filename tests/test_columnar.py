"""Column-at-a-time hashing, validation, exports and Parquet loading give what rows gave.

The references are the row-by-row definitions: ``json.dumps`` of every feature for the hash, and
the validator as it checked one row at a time (kept here, from the code it replaced).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from datetime import UTC, date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geo.export import (
    SNAPSHOT_FILE_FORMATS,
    _content_hash_by_rows,
    content_hash,
    incident_features,
    json_shape,
    read_snapshot,
    write_snapshot,
)
from geo.filters import IncidentFilter
from geo.parquet import read_incidents_parquet, write_incidents_parquet
from geo.schema import (
    ALL_GEO_PRECISIONS,
    DATE_PRECISIONS,
    EVENT_TYPES,
    FLAG_CELL,
    REQUIRED_TEXT,
    IncidentValidationError,
    Problem,
    _check_sources,
    validate_incidents,
)
from tests.conftest import make_incidents

HOSTILE = "<img src=x onerror=alert(1)> </script> ' \" & ڈیرہ \\ tab\there\nnew line \x01"
DAWN = {"publisher": "Dawn", "title": HOSTILE, "date": "2025-03-12", "url": "https://dawn.com/a"}


def messy() -> gpd.GeoDataFrame:
    """Rows as real files have them: quotes, Urdu, control characters, shared and odd sources."""
    return make_incidents(
        {"summary": HOSTILE, "sources": [DAWN, DAWN], "fatalities_low": 25, "fatalities_high": 31},
        {"place": "Dera Bugti ڈیرہ بگٹی", "lon": 69.1234565, "lat": 29.0000005},
        {"sources": [{"publisher": "BBC Urdu", "note": "translated"}], "groups": "BLA; BLF"},
        {"sources": [{"publisher": "X", "title": None, "date": "", "url": ""}], "place": "Quetta"},
        {"start": "2024-11-09 08:25", "end": "2024-11-09 08:25", "date_precision": "hour"},
        {"incident_id": "A-10", "province": "", "lon": -0.0000004, "lat": 0.0000015},
        {"incident_id": "A-9", "injured_low": 0, "injured_best": 3, "injured_high": 70},
    )


def test_column_hash_equals_the_row_by_row_hash():
    incidents = messy()
    assert content_hash(incidents) == _content_hash_by_rows(incidents)
    assert content_hash(incidents.iloc[::-1]) == content_hash(incidents)


def test_column_hash_of_values_only_rows_can_encode_still_equals_it():
    incidents = messy()
    incidents.loc[0, "start"] = pd.Timestamp("2025-03-11 13:00:00.250")  # fraction of a second
    incidents.at[1, "sources"] = [{"publisher": "P", "date": np.nan}]
    assert content_hash(incidents) == _content_hash_by_rows(incidents)


def test_column_hash_of_the_bundled_incidents_is_unchanged():
    from geo.io import load_bundled

    incidents = load_bundled().incidents
    assert content_hash(incidents) == _content_hash_by_rows(incidents)


def test_hash_changes_with_any_value():
    incidents = messy()
    changed = incidents.copy()
    changed.loc[3, "summary"] = "different"
    assert content_hash(changed) != content_hash(incidents)


def _row_problems(row, number: int) -> list[Problem]:
    """The validator's checks of one row, as they were written before they ran by column."""
    problems: list[Problem] = []

    def add(column, value, expected):
        problems.append(Problem(number, column, value, expected))

    for column in REQUIRED_TEXT:
        if not str(getattr(row, column)).strip():
            add(column, getattr(row, column), "is empty but required")
    if row.date_precision and row.date_precision not in DATE_PRECISIONS:
        add("date_precision", row.date_precision, f"is not one of {', '.join(DATE_PRECISIONS)}")
    if row.geo_precision and row.geo_precision not in ALL_GEO_PRECISIONS:
        add("geo_precision", row.geo_precision, f"is not one of {', '.join(ALL_GEO_PRECISIONS)}")
    if row.flags and not FLAG_CELL.fullmatch(row.flags):
        add("flags", row.flags, 'is not flag codes (lower-case words and "-") joined by "; "')
    if not pd.isna(row.deaths_reported) and row.deaths_reported < 0:
        add("deaths_reported", row.deaths_reported, "is negative")
    if row.event_type and row.event_type not in EVENT_TYPES:
        add("event_type", row.event_type, f"is not one of {', '.join(EVENT_TYPES)}")
    if pd.isna(row.start):
        add("start", row.start, "is not a date")
    if pd.isna(row.end):
        add("end", row.end, "is not a date")
    if not pd.isna(row.start) and not pd.isna(row.end) and row.end < row.start:
        add("end", str(row.end), f"is before start {str(row.start)!r}")
    geometry = row.geometry
    if geometry is None or geometry.is_empty:
        add("geometry", None, "is missing: every incident needs a point")
    elif geometry.geom_type != "Point":
        add("geometry", geometry.geom_type, "is not a Point")
    elif not (-180 <= geometry.x <= 180 and -90 <= geometry.y <= 90):
        add("geometry", f"({geometry.y}, {geometry.x})", "is outside latitude/longitude range")
    for kind in ("fatalities", "injured"):
        low, best, high = (getattr(row, f"{kind}_{part}") for part in ("low", "best", "high"))
        for part, value in (("low", low), ("best", best), ("high", high)):
            if not pd.isna(value) and value < 0:
                add(f"{kind}_{part}", value, "is negative")
        if not pd.isna(low) and not pd.isna(high) and low > high:
            add(f"{kind}_low", low, f"is greater than {kind}_high {high}")
        if not pd.isna(best) and (
            (not pd.isna(low) and best < low) or (not pd.isna(high) and best > high)
        ):
            add(f"{kind}_best", best, f"is outside {kind}_low..{kind}_high")
    _check_sources(row.sources, add)
    return problems


def _reference_problems(incidents: gpd.GeoDataFrame, offset: int) -> list[str]:
    problems = []
    for position, row in enumerate(incidents.itertuples(index=False)):
        problems += _row_problems(row, position + offset)
    for position in np.flatnonzero(incidents["incident_id"].duplicated().to_numpy()):
        value = incidents["incident_id"].iloc[position]
        problems.append(Problem(position + offset, "incident_id", value, "is not unique"))
    return [str(p) for p in problems]


def test_validator_finds_the_same_problems_in_the_same_order():
    incidents = make_incidents(
        {"geo_precision": "roughly", "event_type": "Riot", "place": "  "},
        {"fatalities_low": 10, "fatalities_best": 12, "fatalities_high": 2, "injured_low": -1},
        {"incident_id": "X-1", "start": "2025-03-12", "end": "2025-03-11"},
        {"sources": [{"publisher": "P", "url": "javascript:alert(1)"}, "not a record"]},
        {"date_precision": "fortnight", "groups": "", "lon": 200.0, "lat": 29.0},
        {"flags": "Province Mismatch", "deaths_reported": -2, "geo_precision": "country"},
        {"sources": [DAWN, {"publisher": "Q", "bogus": "field"}], "injured_best": 5},
    )
    incidents.loc[6, "geometry"] = LineString([(0, 0), (1, 1)])
    incidents.loc[1, "geometry"] = None
    with pytest.raises(IncidentValidationError) as caught:
        validate_incidents(incidents, origin="messy.csv", row_offset=2)
    found = [str(p) for p in caught.value.problems]
    assert found == _reference_problems(incidents, 2)
    assert "geometry '(29.0, 200.0)' is outside latitude/longitude range (row 6)" in found
    assert len(found) == 18


def test_validator_passes_valid_rows_unchanged():
    incidents = messy()
    incidents = incidents[~incidents["sources"].map(lambda s: any(None in d.values() for d in s))]
    assert validate_incidents(incidents) is incidents


def snapshot_of(incidents, file_format):
    return write_snapshot(
        incidents,
        file_format,
        filters=IncidentFilter(start=date(2025, 1, 1), groups=("BLA",)),
        dataset_hash="sha256:abc",
        dataset_count=99,
        exported_at=datetime(2026, 12, 2, 21, 0, tzinfo=UTC),
    )


def valid_messy():
    incidents = messy()
    incidents.at[3, "sources"] = [{"publisher": "X", "title": "", "date": "", "url": ""}]
    return incidents


def test_gzip_geojson_snapshot_is_small_and_gdal_reads_it(tmp_path):
    incidents = valid_messy()
    data = snapshot_of(incidents, "geojson.gz")
    plain = gzip.decompress(data)
    assert len(data) < len(plain)
    path = tmp_path / "snapshot.geojson.gz"
    path.write_bytes(data)
    frame = pyogrio.read_dataframe(f"/vsigzip/{path}")
    assert frame["incident_id"].tolist() == incidents["incident_id"].tolist()
    assert frame["summary"].iloc[0] == HOSTILE
    assert frame.crs.to_epsg() == 4326
    collection = json.loads(plain)
    assert collection["metadata"]["counts"] == {"selected": 7, "dataset": 99}
    expected = json.loads(json.dumps(incident_features(incidents)))
    assert collection["features"] == expected


def test_geopackage_snapshot_is_read_by_gdal(tmp_path):
    incidents = valid_messy()
    path = tmp_path / "snapshot.gpkg"
    path.write_bytes(snapshot_of(incidents, "gpkg"))
    frame = pyogrio.read_dataframe(path, layer="incidents")
    assert frame["incident_id"].tolist() == incidents["incident_id"].tolist()
    assert json.loads(frame["sources"].iloc[0]) == [DAWN, DAWN]
    assert frame["fatalities_high"].iloc[0] == 31
    assert (frame.geometry.x.iloc[1], frame.geometry.y.iloc[1]) == (69.1234565, 29.0000005)
    info = pyogrio.read_info(path, layer="incidents")
    assert json.loads(info["layer_metadata"]["snapshot"])["dataset_hash"] == "sha256:abc"


def test_geoparquet_snapshot_is_geoparquet():
    """Debian's and the pyogrio wheel's GDAL lack the Parquet driver: read with pyarrow."""
    incidents = valid_messy()
    data = snapshot_of(incidents, "parquet")
    geo = json.loads(pq.read_schema(io.BytesIO(data)).metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    assert geo["columns"]["geometry"]["crs"]["id"] == {"authority": "EPSG", "code": 4326}
    frame = gpd.read_parquet(io.BytesIO(data))
    assert frame["incident_id"].tolist() == incidents["incident_id"].tolist()
    assert frame.geometry.iloc[1] == Point(69.1234565, 29.0000005)


@pytest.mark.parametrize("file_format", list(SNAPSHOT_FILE_FORMATS))
def test_every_snapshot_format_opens_again(file_format):
    incidents = valid_messy()
    snapshot = read_snapshot(snapshot_of(incidents, file_format))
    assert snapshot.filters == IncidentFilter(start=date(2025, 1, 1), groups=("BLA",))
    assert snapshot.metadata["dataset_hash"] == "sha256:abc"
    assert content_hash(snapshot.incidents) == content_hash(incidents)


def test_unknown_snapshot_format_is_named():
    with pytest.raises(ValueError, match="snapshot format 'shp' is not one of geojson.gz"):
        snapshot_of(messy(), "shp")


def test_gzip_that_is_not_a_snapshot_is_a_clear_error():
    with pytest.raises(ValueError, match="not a snapshot"):
        read_snapshot(gzip.compress(b'{"type": "FeatureCollection", "features": []}'))
    with pytest.raises(ValueError, match="not valid gzip"):
        read_snapshot(b"\x1f\x8b\x08\x00garbage")


@pytest.mark.parametrize("encoding", ["WKB", "point"])
def test_parquet_round_trip_keeps_values_types_and_extra_columns(encoding):
    incidents = valid_messy().assign(rail_distance_km=np.linspace(0, 6, 7), point_province="")
    buffer = io.BytesIO()
    write_incidents_parquet(
        incidents, buffer, {"content_hash": "sha256:abc"}, geometry_encoding=encoding
    )
    buffer.seek(0)
    back, metadata = read_incidents_parquet(buffer)
    assert metadata == {"content_hash": "sha256:abc"}
    assert list(back.columns) == list(incidents.columns)
    assert back.dtypes.to_dict() == incidents.dtypes.to_dict()
    assert content_hash(back) == content_hash(incidents)
    assert back["rail_distance_km"].tolist() == incidents["rail_distance_km"].tolist()
    # Equal source lists are parsed once and shared.
    assert back["sources"].iloc[2] is not back["sources"].iloc[4]
    assert back["sources"].iloc[4] is back["sources"].iloc[5]


def test_sources_read_back_across_row_groups_and_missing_cells():
    # A file written elsewhere: small row groups (each with its own dictionary of source texts)
    # and a cell without sources.
    incidents = valid_messy()
    buffer = io.BytesIO()
    write_incidents_parquet(incidents, buffer, {})
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    texts = table["sources"].to_pylist()
    texts[1] = None
    table = table.set_column(
        table.column_names.index("sources"), "sources", pa.array(texts, pa.large_string())
    )
    rewritten = io.BytesIO()
    pq.write_table(table, rewritten, row_group_size=2)
    rewritten.seek(0)
    back, _ = read_incidents_parquet(rewritten)
    expected = [*incidents["sources"]]
    expected[1] = []
    assert back["sources"].tolist() == expected
    assert back["sources"].iloc[4] is back["sources"].iloc[5]  # equal texts, one list


@pytest.fixture(scope="module")
def bundle():
    from geo.io import load_bundled

    return load_bundled()


def test_a_parquet_file_is_prepared_once_then_read_back(tmp_path, bundle):
    from geo.prepared import prepared_file

    path = tmp_path / "big.parquet"
    incidents = valid_messy()
    write_incidents_parquet(incidents, path, {})
    first = prepared_file(path, bundle)
    again = prepared_file(path, bundle)
    assert (first.from_cache, again.from_cache) == (False, True)
    assert again.content_hash == first.content_hash == content_hash(incidents)
    assert again.incidents["point_province"].tolist() == first.incidents["point_province"].tolist()
    assert again.incidents["rail_distance_km"].round(6).tolist() == (
        first.incidents["rail_distance_km"].round(6).tolist()
    )
    # A changed file is prepared again.
    write_incidents_parquet(incidents.iloc[:3], path, {})
    changed = prepared_file(path, bundle)
    assert (changed.from_cache, len(changed.incidents)) == (False, 3)


def test_a_parquet_file_that_is_not_incidents_is_named(tmp_path, bundle):
    from geo.parquet import ParquetFileError
    from geo.prepared import prepared_file

    path = tmp_path / "table.parquet"
    pq.write_table(pa.table({"a": [1]}), path)
    with pytest.raises(ParquetFileError, match="table.parquet: not GeoParquet"):
        prepared_file(path, bundle)
    path.write_bytes(b"not parquet")
    with pytest.raises(ParquetFileError, match="table.parquet: not a readable Parquet file"):
        prepared_file(path, bundle)
    # However the path is written, the message never shows the server's folders.
    roundabout = tmp_path / ".." / tmp_path.name / "table.parquet"
    for written in (path, roundabout, str(roundabout)):
        with pytest.raises(ParquetFileError) as refused:
            prepared_file(written, bundle)
        assert str(tmp_path.parent) not in str(refused.value)


def test_invalid_rows_in_a_parquet_file_are_listed(tmp_path, bundle):
    from geo.prepared import prepared_file

    incidents = valid_messy()
    incidents.loc[2, "geo_precision"] = "roughly"
    path = tmp_path / "bad.parquet"
    write_incidents_parquet(incidents, path, {})
    with pytest.raises(IncidentValidationError, match="geo_precision 'roughly' is not one of"):
        prepared_file(path, bundle)


def test_synthetic_incidents_are_prepared_once(bundle):
    from geo.prepared import prepared_synthetic
    from geo.synthetic import synthetic_hash

    first = prepared_synthetic(300, 5, bundle)
    again = prepared_synthetic(300, 5, bundle)
    assert (first.from_cache, again.from_cache) == (False, True)
    assert again.content_hash == synthetic_hash(300, 5)
    assert content_hash(again.incidents) == content_hash(first.incidents)


def test_sessions_share_the_data_and_hold_only_the_selection(bundle):
    from ui.data import build_dataset, select_rows

    dataset = build_dataset(bundle, bundle.incidents, "bundled")
    assert select_rows(dataset, IncidentFilter()).frame is dataset.incidents  # all: no copy
    flt = IncidentFilter(groups=("BLA",), start=date(2024, 1, 1))
    chosen = select_rows(dataset, flt)
    expected = flt.apply(dataset.incidents, dataset.groups)
    assert chosen.column("incident_id").tolist() == expected["incident_id"].tolist()
    assert chosen.frame["incident_id"].tolist() == expected["incident_id"].tolist()
    assert 0 < len(chosen) < len(dataset.incidents)
    # A filter a link cannot carry (a comma in a group name) selects the same way.
    odd = IncidentFilter(groups=("BLA, BLF",))
    assert len(select_rows(dataset, odd)) == len(odd.apply(dataset.incidents, dataset.groups))


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def _shape_by_regex(data: bytes) -> tuple[int, int]:
    """The nesting and array count with strings removed by a regular expression (reference)."""
    bare = np.frombuffer(_JSON_STRING.sub(b"", data), dtype=np.uint8)
    arrays = bare == ord("[")
    steps = np.zeros(bare.shape, dtype=np.int8)
    steps[arrays | (bare == ord("{"))] = 1
    steps[(bare == ord("]")) | (bare == ord("}"))] = -1
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0)), int(arrays.sum())


_TEXT = st.text(alphabet=st.sampled_from('ab"\\[]{}\n\u0001ڈ '), max_size=12)
_JSON = st.recursive(
    st.none() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@given(_JSON, st.booleans(), st.integers(min_value=1, max_value=9))
def test_json_shape_counts_brackets_outside_strings_only(value, ascii_only, chunk):
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert json_shape(data) == _shape_by_regex(data)
    # Read a few bytes at a time: strings, escapes and runs of backslashes across the chunks.
    assert json_shape(data, chunk=chunk) == _shape_by_regex(data)


@given(st.binary(max_size=40).map(lambda b: bytes(b'ab"\\[]{}'[c % 8] for c in b)))
def test_json_shape_of_any_text_does_not_depend_on_the_chunks_it_is_read_in(data):
    # Not JSON: unterminated strings, escapes outside strings, runs of backslashes at the ends.
    whole = json_shape(data, chunk=1 << 20)
    for chunk in (1, 2, 3, 5):
        assert json_shape(data, chunk=chunk) == whole
