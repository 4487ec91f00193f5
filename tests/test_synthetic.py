"""The synthetic generator: deterministic, valid, clearly marked, and spread along the railway."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.analysis import enrich
from geo.io import load_bundled
from geo.schema import conform, validate_incidents
from geo.synthetic import ID_PREFIX, SYNTHETIC_DATASET, synthetic_hash, synthetic_incidents


@pytest.fixture(scope="module")
def bundle():
    return load_bundled()


@pytest.fixture(scope="module")
def incidents(bundle):
    return synthetic_incidents(3000, seed=7, bundle=bundle)


def test_same_seed_same_rows_other_seed_other_rows(bundle, incidents):
    again = synthetic_incidents(3000, seed=7, bundle=bundle)
    pd.testing.assert_frame_equal(incidents, again)
    other = synthetic_incidents(3000, seed=8, bundle=bundle)
    assert not incidents["geometry"].geom_equals(other["geometry"]).all()


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_counts_and_schema(bundle, n):
    incidents = synthetic_incidents(n, bundle=bundle)
    assert len(incidents) == n
    pd.testing.assert_frame_equal(conform(incidents), incidents)
    validate_incidents(incidents, origin="synthetic")


def test_valid_at_scale(incidents):
    validate_incidents(incidents, origin="synthetic")
    assert incidents["incident_id"].is_unique


def test_every_incident_is_marked_synthetic(incidents):
    assert (incidents["dataset"] == SYNTHETIC_DATASET).all()
    assert incidents["incident_id"].str.startswith(ID_PREFIX).all()
    assert incidents["summary"].str.contains("SYNTHETIC").all()
    urls = [s["url"] for sources in incidents["sources"] for s in sources]
    assert all(".invalid/" in url for url in urls)
    assert incidents["sources"].map(len).between(1, 3).all()
    assert synthetic_hash(3000, 7) != synthetic_hash(3000, 8)


def test_realistic_mix(bundle, incidents):
    assert set(incidents["groups"].str.split("; ").explode()) <= set(bundle.groups.names)
    assert incidents["groups"].nunique() >= 8
    assert incidents["start"].min() >= pd.Timestamp("2023-01-01")
    assert incidents["start"].max() < pd.Timestamp("2026-03-01")
    assert (incidents["end"] >= incidents["start"]).all()
    assert set(incidents["geo_precision"]) == {"exact", "near", "district", "province"}
    assert incidents["event_type"].nunique() >= 4
    assert incidents["fatalities_high"].isna().mean() < 0.3
    assert (incidents["fatalities_high"].dropna() >= incidents["fatalities_low"].dropna()).all()


def test_spread_near_rail_lines_and_inside_pakistan(bundle, incidents):
    enriched = enrich(incidents, bundle.provinces, bundle.rail_lines, bundle.stations)
    near = (enriched["rail_distance_km"] <= 5).mean()
    assert 0.45 <= near <= 0.9  # about half on the track, the rest around towns and beyond
    assert (enriched["point_province"] != "").mean() > 0.9


def test_negative_n_is_refused(bundle):
    with pytest.raises(ValueError, match="n -1 is negative"):
        synthetic_incidents(-1, bundle=bundle)
