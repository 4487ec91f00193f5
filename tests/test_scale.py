"""Scale: filters that stay identical when vectorised, hexagonal bins that keep every incident,
a compact payload that drops nothing, and a cap that the page states."""

from __future__ import annotations

import base64
import re

import folium
import numpy as np
import pandas as pd
import pytest

from geo.aggregate import hex_bins
from geo.analysis import enrich
from geo.filters import TEXT_SEARCH_COLUMNS, groups_mask, text_mask
from geo.io import load_bundled
from geo.schema import split_groups
from geo.synthetic import synthetic_incidents
from layers.incidents import (
    DETAIL_LIMIT,
    build_incident_layer,
    compact_payload,
    escaped_json,
    incident_payload,
)
from layers.style import group_colours


@pytest.fixture(scope="module")
def bundle():
    return load_bundled()


@pytest.fixture(scope="module")
def many(bundle):
    incidents = synthetic_incidents(5000, seed=3, bundle=bundle)
    return enrich(incidents, bundle.provinces, bundle.rail_lines, bundle.stations)


@pytest.fixture(scope="module")
def colours(bundle):
    return group_colours(bundle.groups.names)


def _decode(column: dict) -> list:
    if "int" in column:
        dtype = {"Uint8": "<u1", "Uint16": "<u2", "Uint32": "<u4"}[column["int"]]
        values = np.frombuffer(base64.b64decode(column["data"]), dtype=dtype).astype(np.int64)
        return (values + column["offset"]).tolist()
    if "dict" in column:
        return [column["dict"][k] for k in _decode(column["codes"])]
    keys = [column["ids"][k] for k in _decode(column["codes"])]  # ids: [prefix, width]
    return [
        f"{prefix}{number:0{width}d}" if width else prefix
        for (prefix, width), number in zip(keys, _decode(column["numbers"]), strict=True)
    ]


@pytest.mark.parametrize("source", ["bundled", "synthetic"])
def test_vectorised_filters_match_the_row_by_row_definition(bundle, many, source):
    incidents = bundle.incidents if source == "bundled" else many
    for groups, affiliates in ((["BLA"], False), (["TTP"], True), (["JuA", "ISKP"], False)):
        wanted = set(bundle.groups.with_affiliates(groups) if affiliates else groups)
        expected = [not wanted.isdisjoint(split_groups(c)) for c in incidents["groups"]]
        got = groups_mask(incidents, groups, registry=bundle.groups, include_affiliates=affiliates)
        assert got.tolist() == expected
    haystack = incidents[list(TEXT_SEARCH_COLUMNS)].astype(str).agg(" ".join, axis=1).str.lower()
    for query in ('"railway station" bla', "jaffar express", "SYN-00001", "quetta"):
        terms = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', query)]
        expected = pd.Series(True, index=incidents.index)
        for term in terms:
            expected &= haystack.str.contains(term.lower(), regex=False)
        assert text_mask(incidents, query).tolist() == expected.tolist()


@pytest.mark.parametrize("zoom", [4, 5, 8, 12])
def test_hex_bins_keep_every_incident(many, colours, zoom):
    bins = hex_bins(many, zoom, list(colours))
    assert bins["count"].sum() == len(many)
    assert bins["killed"].sum() == many["fatalities_high"].fillna(0).sum()
    assert (bins["count"] > 0).all()
    assert bins["lat"].between(20, 40).all() and bins["lon"].between(58, 80).all()
    assert len(hex_bins(many, zoom + 2, list(colours))) >= len(bins)


def test_hex_bins_of_nothing(many, colours):
    assert hex_bins(many.iloc[0:0], 5, list(colours)).empty


def test_compact_payload_is_smaller_and_keeps_every_incident(many, colours):
    sample = many.iloc[:DETAIL_LIMIT]
    full = len(escaped_json(incident_payload(sample, colours)))
    compact_data = compact_payload(sample, colours)
    compact = len(escaped_json(compact_data))
    assert compact * 5 < full
    columns = compact_data["columns"]
    assert _decode(columns["id"]) == sample["incident_id"].tolist()
    assert _decode(columns["place"]) == sample["place"].tolist()
    assert _decode(columns["grp"]) == sample["groups"].tolist()
    full_columns = incident_payload(sample, colours, details=False)["columns"]
    assert _decode(columns["killed"]) == full_columns["killed"]
    assert _decode(columns["injured"]) == full_columns["injured"]
    assert _decode(columns["t0"]) == full_columns["t0"]
    assert [v / 10 for v in _decode(columns["r"])] == full_columns["r"]
    assert [v / 1e5 for v in _decode(columns["lat"])] == pytest.approx(full_columns["lat"])
    assert compact_data["count"] == len(sample)


def test_layer_sends_full_details_only_for_few_incidents(bundle, many, colours):
    def render(incidents) -> str:
        m = folium.Map(tiles=None)
        build_incident_layer(incidents, colours).add_to(m)
        return m.get_root().render()

    few = render(bundle.incidents)
    assert '"sources"' in few and '"compact"' not in few
    lots = render(many)
    assert '"compact":true' in lots and '"sources"' not in lots


def test_the_whole_selection_goes_to_the_browser_once(many, colours):
    """No cap and no server-side view: every selected incident is in the one payload."""
    data = compact_payload(many, colours)
    assert data["count"] == len(many)
    assert len(_decode(data["columns"]["id"])) == len(many)
    assert sorted(set(_decode(data["columns"]["g"]))) == sorted(
        {data["groups"].index((split_groups(g) or ["Unidentified"])[0]) for g in many["groups"]}
    )


def test_the_most_recent_rows_come_first_and_ties_keep_their_order():
    from geo.analysis import most_recent

    starts = pd.to_datetime(["2025-01-03", "2025-01-05", "2025-01-05", "2025-01-01", "2025-01-05"])
    frame = pd.DataFrame({"start": starts}, index=["a", "b", "c", "d", "e"])
    assert most_recent(frame, 2).index.tolist() == ["b", "c"]
    assert most_recent(frame, 4).index.tolist() == ["b", "c", "e", "a"]
    assert most_recent(frame, 10).index.tolist() == ["b", "c", "e", "a", "d"]
