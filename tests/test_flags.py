"""Flag codes, rows located only to the country, and border tolerance by precision."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.analysis import assign_provinces, enrich
from geo.filters import IncidentFilter, not_drawn_note, on_map_mask
from geo.flags import add_flag, has_flag, merge_flags, split_flags
from geo.schema import IncidentValidationError, Problem, validate_incidents
from tests.conftest import make_incidents


def test_flags_are_codes_each_once_in_a_stable_order():
    flags = pd.Series(["", "precision-assumed", "province-mismatch"])
    added = add_flag(flags, np.array([True, True, True]), "province-mismatch")
    assert list(added) == [
        "province-mismatch",
        "province-mismatch; precision-assumed",
        "province-mismatch",
    ]
    merged = merge_flags(pd.Series(["far-from-place"]), pd.Series(["province-mismatch"]))
    assert merged.iloc[0] == "province-mismatch; far-from-place"
    assert list(has_flag(added, "precision-assumed")) == [False, True, False]
    assert split_flags(None) == []


def test_flags_that_are_not_codes_are_refused_by_the_validator():
    incidents = make_incidents({"flags": "stated province <b>X</b>"})
    with pytest.raises(IncidentValidationError, match="flags 'stated province <b>X</b>' is not"):
        validate_incidents(incidents)


def test_problem_messages_show_plain_values():
    assert str(Problem(3, "fatalities_best", np.int64(2), "is odd")) == (
        "fatalities_best 2 is odd (row 3)"
    )


def test_country_level_rows_count_but_are_not_drawn_nor_spatially_selected(provinces, rail):
    lines, stations = rail
    incidents = make_incidents(
        {"lon": 67.0, "lat": 29.0, "province": "West"},
        {"lon": 67.0, "lat": 29.0, "province": "", "geo_precision": "country"},
    )
    validate_incidents(incidents)
    enriched = enrich(incidents, provinces, lines, stations)
    assert list(on_map_mask(enriched)) == [True, False]
    assert enriched["point_province"].iloc[1] == ""
    assert np.isnan(enriched["rail_distance_km"].iloc[1])
    assert len(IncidentFilter().apply(enriched, None)) == 2
    assert len(IncidentFilter(bbox=(66.0, 28.0, 68.0, 30.0)).apply(enriched, None)) == 1
    assert len(IncidentFilter(rail_km=500.0).apply(enriched, None)) == 1
    assert len(IncidentFilter(provinces=("West",)).apply(enriched, None)) == 1
    assert not_drawn_note(enriched) == (
        "This incident is located only to the country (the source gives no place): it counts "
        "in the totals and the timeline but is not drawn on the map."
    )
    assert not_drawn_note(enriched.iloc[:1]) == ""


@pytest.mark.parametrize(
    ("precision", "lon", "mismatch"),
    [
        ("exact", 68.01, False),  # ~1 km over the border: the boundary's generalisation
        ("exact", 68.1, True),  # ~10 km: a contradiction
        ("district", 68.1, False),  # a district centroid 10 km over is within 25 km
        ("district", 68.5, True),  # ~49 km over
        ("province", 68.4, False),
    ],
)
def test_border_tolerance_follows_precision(provinces, precision, lon, mismatch):
    incidents = make_incidents(
        {"lon": lon, "lat": 29.0, "province": "West", "geo_precision": precision}
    )
    found = assign_provinces(incidents, provinces)
    assert bool(found["province_mismatch"].iloc[0]) is mismatch
    if not mismatch:
        assert "within its precision's tolerance" in found["province_method"].iloc[0]
