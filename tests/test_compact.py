"""Repeated text held as categories (geo/compact.py): same values, same exports, less memory."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from geo.compact import as_text, compact_text, distinct_text, repeating_text_columns
from geo.encode import json_strings
from geo.export import content_hash, read_snapshot, write_snapshot
from geo.filters import IncidentFilter
from geo.parquet import read_incidents_parquet, write_incidents_parquet
from tests.conftest import make_incidents

EXPORTED_AT = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bundle():
    from geo.io import load_bundled

    return load_bundled()


def test_repeated_columns_become_categories_and_distinct_ones_stay_text():
    frame = pd.DataFrame(
        {
            "incident_id": ["A-1", "A-2", "A-3", "A-4", "A-5", "A-6"],
            "province": ["Balochistan", "Balochistan", "Sindh", None, "Sindh", "Balochistan"],
            "summary": ["Track blown up", "Station bombing", "Ambush", "Raid", "Siege", "IED"],
            "fatalities_best": [26, 31, 0, 21, 4, 1],
        }
    )
    assert repeating_text_columns(frame) == ["province"]
    compacted = compact_text(frame)
    assert isinstance(compacted["province"].dtype, pd.CategoricalDtype)
    assert compacted["incident_id"].dtype == frame["incident_id"].dtype
    assert compacted["province"].tolist()[:3] == ["Balochistan", "Balochistan", "Sindh"]
    assert pd.isna(compacted["province"].iloc[3])
    assert compacted["summary"].tolist() == frame["summary"].tolist()
    assert frame["province"].dtype == "str"  # the input is left as it was


def test_filters_choose_the_same_incidents_from_categories(bundle):
    incidents = bundle.incidents
    compacted = compact_text(incidents)
    assert isinstance(compacted["province"].dtype, pd.CategoricalDtype)
    for flt in (
        IncidentFilter(groups=("BLA",), start=date(2024, 1, 1)),
        IncidentFilter(provinces=("Balochistan",)),
        IncidentFilter(event_types=(incidents["event_type"].iloc[0],)),
        IncidentFilter(text="express"),
    ):
        expected = flt.apply(incidents, bundle.groups)["incident_id"].tolist()
        assert flt.apply(compacted, bundle.groups)["incident_id"].tolist() == expected
        assert expected  # each filter keeps some incidents, so the comparison means something


@pytest.mark.parametrize("file_format", ["geojson", "geojson.gz", "gpkg", "parquet"])
def test_snapshot_bytes_do_not_change(bundle, file_format):
    def snapshot(incidents):
        return write_snapshot(
            incidents,
            file_format,
            filters=IncidentFilter(),
            dataset_hash="sha256:test",
            dataset_count=len(incidents),
            exported_at=EXPORTED_AT,
        )

    compacted = compact_text(bundle.incidents)
    if file_format in ("gpkg", "parquet"):  # a GeoPackage stamps its writing time
        plain = read_snapshot(snapshot(bundle.incidents)).incidents
        again = read_snapshot(snapshot(compacted)).incidents
        pd.testing.assert_frame_equal(again.astype(plain.dtypes.to_dict()), plain)
    else:
        assert snapshot(compacted) == snapshot(bundle.incidents)


def test_content_hash_does_not_change(bundle):
    assert content_hash(compact_text(bundle.incidents)) == content_hash(bundle.incidents)


def test_text_with_quotes_and_urdu_encodes_the_same_from_categories():
    values = pd.Series(["Dera Bugti ڈیرہ بگٹی", 'say "hi"\n', None, "Dera Bugti ڈیرہ بگٹی"] * 3)
    assert json_strings(values.astype("category")).to_pylist() == (json_strings(values).to_pylist())


def test_prepared_file_reads_back_as_categories(tmp_path):
    incidents = make_incidents(*({"province": "Balochistan", "place": "Quetta"} for _ in range(6)))
    path = tmp_path / "prepared.parquet"
    write_incidents_parquet(compact_text(incidents), path, {})
    read, _ = read_incidents_parquet(path)
    assert isinstance(read["province"].dtype, pd.CategoricalDtype)
    assert read["province"].tolist() == ["Balochistan"] * 6
    assert read["incident_id"].tolist() == incidents["incident_id"].tolist()


def test_a_selection_of_many_incidents_takes_a_fraction_of_the_memory(bundle):
    from geo.synthetic import synthetic_incidents

    incidents = synthetic_incidents(20_000, seed=7, bundle=bundle)
    text = [c for c in incidents.columns if incidents[c].dtype == "str"]

    def megabytes(frame):
        return frame[text].memory_usage(deep=True).sum() / 2**20

    compacted = compact_text(incidents)
    assert megabytes(compacted) < 0.5 * megabytes(incidents)
    half = incidents.index[::2]
    assert compacted.loc[half, text].astype("str").equals(incidents.loc[half, text])


def test_distinct_values_of_a_selection_are_the_ones_present():
    values = compact_text(
        pd.DataFrame({"dataset": ["ACLED", "GTD", "ACLED", "UCDP", None, "GTD", "ACLED", "GTD"]})
    )["dataset"]
    chosen = values.iloc[[0, 2, 4, 6]]  # the selection keeps every category, shows only ACLED
    assert distinct_text(chosen) == ["ACLED"]
    assert distinct_text(values) == ["ACLED", "GTD", "UCDP"]
    assert (as_text(values) == "GTD").tolist() == (values.astype(str) == "GTD").tolist()
    codes, cells = pd.factorize(as_text(values))
    assert [cells[c] if c >= 0 else None for c in codes] == values.tolist()[:4] + [None] + [
        "GTD",
        "ACLED",
        "GTD",
    ]


def test_prepared_incidents_arrive_compacted_and_the_dataset_keeps_them(bundle):
    from geo.prepared import prepared_synthetic
    from ui.data import build_dataset

    prepared = prepared_synthetic(400, 11, bundle)
    dataset = build_dataset(bundle, prepared.incidents, "synthetic", "h", enriched=True)
    assert isinstance(dataset.incidents["province"].dtype, pd.CategoricalDtype)
    assert dataset.incidents["incident_id"].dtype == "str"  # all distinct: stays text
    assert dataset.incidents is prepared.incidents  # nothing converted again


@pytest.mark.parametrize("held_as", ["str", "category", "object"])
def test_among_answers_as_isin_does_and_never_for_a_missing_value(held_as):
    from geo.compact import among

    values = pd.Series(["RAIL-001", None, "ACLED:PAK1", "ڈھاڈر", "RAIL-001", ""], dtype=held_as)
    candidates = pd.Series(["RAIL-001", "ڈھاڈر", None, ""], dtype="str")
    assert among(values, candidates).tolist() == [True, False, False, True, True, True]
    assert among(values, ["ACLED:PAK1"]).tolist() == [False, False, True, False, False, False]
    assert among(values, []).tolist() == [False] * 6


def test_a_text_per_distinct_pair_is_written_once_and_missing_values_count_as_values():
    from geo.compact import per_distinct_pair

    low = pd.Series([24, None, 24, None, 5], dtype="Int64", index=list("abcde"))
    high = pd.Series([32, 27, 32, None, 5], dtype="Int64", index=list("abcde"))
    calls = []

    def write(a, b):
        calls.append((a, b))
        return f"{'?' if pd.isna(a) else a}-{'?' if pd.isna(b) else b}"

    texts = per_distinct_pair(low, high, write)
    assert texts.to_dict() == {"a": "24-32", "b": "?-27", "c": "24-32", "d": "?-?", "e": "5-5"}
    assert len(calls) == 4  # (24, 32) once
    assert per_distinct_pair(low.iloc[:0], high.iloc[:0], write).empty
