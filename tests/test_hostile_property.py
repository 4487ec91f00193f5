"""Properties over hostile input: links, snapshot JSON, and GeoJSON/GeoPackage bytes.

Whatever comes in: no exception but the documented one escapes, every row read is kept or
rejected with a reason (``kept + rejected == read``), and every message renders as plain text.
(CSV bytes are covered the same way in ``test_importers_property.py``.)

Examples per property: ``HOSTILE_EXAMPLES`` (default 60; CI keeps the default, a deeper local
run sets e.g. 2000).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from shapely.geometry import Point

from geo.export import SNAPSHOT_FORMAT, read_snapshot
from geo.filters import IncidentFilter
from geo.importers import ImportFileError, import_incidents
from geo.io import load_provinces
from ui import messages
from ui.filters import FILTER_KEYS, link_filter

FUZZ = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROVINCES = load_provinces()
MARKDOWN = MarkdownIt("gfm-like")
TAGS = re.compile(r"<(?!/?p>)[a-zA-Z/][^>]*>")
NASTY = st.sampled_from(
    [
        "", "0", "-1", "0.1", "1e308", "1e-320", "nan", "inf", "-0", "9999-12-31", "0001-01-01",
        "2025-02-30", "2030-01-01", "BLA,TTP", ",,,", "![x](http://h/p.png)", "<b>x</b>",
        "javascript:alert(1)", "\u202eabc", "a\u200bb", "\x00", "1" * 5000, "true", "yes",
    ]
)  # fmt: skip
TEXT = st.one_of(NASTY, st.text(max_size=40))
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def assert_plain_message(text: str) -> None:
    out = MARKDOWN.render(messages.plain(text))
    assert not TAGS.search(out), out[:300]


# --- Links ---------------------------------------------------------------------------------

LINKS = st.dictionaries(
    st.one_of(st.sampled_from(sorted(FILTER_KEYS)), st.text(max_size=8)), TEXT, max_size=8
)


@FUZZ
@given(query=LINKS)
def test_any_link_gives_a_filter_and_plain_problems(query):
    flt, period, problems = link_filter(query)
    assert isinstance(flt, IncidentFilter)
    assert period in ("", "last-30-days", "last-12-months")
    assert flt.start is None or flt.end is None or flt.start <= flt.end
    for problem in problems:
        assert isinstance(problem, str) and len(problem) < 1_000
        assert_plain_message(problem)
    # Every valid part of the link is kept: the keys with no problem round-trip.
    bad = {p.split("=")[0].split()[1] for p in problems if p.startswith("filter ")}
    for key in set(query) & (FILTER_KEYS - {"period", "bbox"}) - bad:
        single, _, single_problems = link_filter({key: query[key]})
        if not single_problems:
            assert getattr(flt, key) == getattr(single, key)


# --- Snapshot JSON --------------------------------------------------------------------------

VALID_FEATURE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [67.5, 29.6]},
    "properties": {
        "incident_id": "T-1",
        "start": "2025-03-11T00:00:00",
        "end": "2025-03-11T23:59:59",
        "date_precision": "day",
        "place": "Mach",
        "geo_precision": "exact",
        "event_type": "Battles",
        "groups": "BLA",
        "sources": [],
    },
}


@st.composite
def snapshots(draw: st.DrawFn) -> bytes:
    feature = json.loads(json.dumps(VALID_FEATURE))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["feature", "properties", "geometry"]))
        target = {
            "feature": feature,
            "properties": feature.get("properties"),
            "geometry": feature.get("geometry"),
        }[where]
        if not isinstance(target, dict):
            continue
        key = draw(st.one_of(st.sampled_from(sorted(target) or ["x"]), TEXT))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(JSON_VALUES)
    metadata = {"format": SNAPSHOT_FORMAT, "filters": draw(JSON_VALUES)}
    features = draw(st.one_of(st.just([feature]), st.just([feature, feature]), JSON_VALUES))
    return json.dumps(
        {"type": "FeatureCollection", "metadata": metadata, "features": features}
    ).encode()


@FUZZ
@given(data=snapshots())
def test_any_snapshot_json_is_read_or_refused_with_a_plain_message(data):
    try:
        read = read_snapshot(data)
    except ValueError as error:  # SnapshotError or the schema's IncidentValidationError
        assert str(error)
        assert_plain_message(str(error))
        return
    assert len(read.incidents) <= 2
    for problem in read.problems:
        assert_plain_message(problem)


# --- GeoJSON and GeoPackage bytes --------------------------------------------------------------


@st.composite
def geojson_documents(draw: st.DrawFn) -> bytes:
    members = []
    for number in range(draw(st.integers(1, 6))):
        member = {
            "type": draw(
                st.sampled_from(["Feature"] * 5 + ["Point", "Featur", "FeatureCollection"])
            ),
            "geometry": draw(
                st.one_of(
                    st.just({"type": "Point", "coordinates": [67.0 + number / 10, 29.5]}),
                    st.none(),
                    st.just({"type": "LineString", "coordinates": [[67, 29], [68, 30]]}),
                    st.builds(
                        lambda x, y: {"type": "Point", "coordinates": [x, y]},
                        st.floats(-400, 400, allow_nan=False),
                        st.floats(-100, 100, allow_nan=False),
                    ),
                )
            ),
            "properties": {
                "date": draw(st.one_of(st.just("2025-03-11"), TEXT)),
                "place": draw(TEXT),
                "group": draw(st.one_of(st.just("BLA"), TEXT)),
                "killed": draw(st.one_of(st.just("3"), TEXT)),
            },
        }
        members.append(member)
    document: dict = {"type": "FeatureCollection", "features": members}
    if draw(st.integers(0, 5)) == 0:
        crs = draw(st.sampled_from(["EPSG:4326", "urn:ogc:def:crs:EPSG::32642", "garbage", ""]))
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    text = json.dumps(document)
    if draw(st.integers(0, 6)) == 0:
        text = text[: draw(st.integers(0, len(text)))]  # cut short
    return text.encode()


def check_import(data: bytes, name: str) -> None:
    try:
        result = import_incidents(data, name=name, provinces=PROVINCES)
    except ImportFileError as error:
        assert str(error).startswith(f"{name}: ")
        assert_plain_message(str(error))
        return
    assert result.kept + len(result.rejected) == result.rows_read
    assert (result.rejected["reason"] != "").all()
    for text in (result.summary(), *result.notes, *result.rejected["reason"]):
        assert_plain_message(text)


@FUZZ
@given(data=geojson_documents())
def test_any_geojson_is_imported_row_by_row_or_refused(data):
    check_import(data, "fuzz.geojson")


def _gpkg_bytes() -> bytes:
    frame = gpd.GeoDataFrame(
        {
            "date": ["2025-03-11", "2024-11-09"],
            "place": ["Mach", "Quetta"],
            "group": ["BLA", "BLA"],
        },
        geometry=[Point(67.5, 29.6), Point(67.0, 30.2)],
        crs="EPSG:4326",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "base.gpkg"
        pyogrio.write_dataframe(frame, path, driver="GPKG")
        return path.read_bytes()


GPKG = _gpkg_bytes()


@FUZZ
@given(
    cut=st.integers(16, len(GPKG)),
    flips=st.lists(st.tuples(st.integers(0, len(GPKG) - 1), st.integers(0, 255)), max_size=8),
)
def test_any_damaged_geopackage_is_imported_row_by_row_or_refused(cut, flips):
    data = bytearray(GPKG)
    for position, value in flips:
        data[position] = value
    check_import(bytes(data[:cut]), "fuzz.gpkg")
