import json
from datetime import UTC, date, datetime

import pandas as pd
import pyogrio
import pytest

from geo.export import content_hash, read_snapshot, snapshot_bytes
from geo.filters import IncidentFilter
from geo.schema import INCIDENT_COLUMNS
from tests.conftest import make_incidents

HOSTILE = "<img src=x onerror=alert(1)> </script> ' \" & ڈیرہ"


@pytest.fixture
def incidents():
    source = {
        "publisher": "Dawn",
        "title": HOSTILE,
        "date": "2025-03-12",
        "url": "https://example.org/a",
    }
    return make_incidents(
        {
            "summary": HOSTILE,
            "fatalities_low": 25,
            "fatalities_high": 31,
            "sources": [source],
            "start": "2025-03-11 13:00",
            "end": "2025-03-12 23:59:59",
            "date_precision": "hour",
        },
        {"groups": "TTP", "lon": 71.5, "lat": 34.0},
    )


def export(incidents, flt=None):
    return snapshot_bytes(
        incidents.iloc[:1],
        filters=flt or IncidentFilter(min_fatalities=1),
        dataset_hash=content_hash(incidents),
        dataset_count=len(incidents),
        exported_at=datetime(2026, 11, 25, 8, 30, tzinfo=UTC),
    )


def test_snapshot_is_a_feature_collection_of_exactly_the_selection(incidents):
    data = export(incidents)
    collection = json.loads(data)
    assert data.startswith(b'{"type":"FeatureCollection"')
    assert collection["metadata"]["exported_at"] == "2026-11-25T08:30:00+00:00"
    assert collection["metadata"]["filters"] == {"min_fatalities": 1}
    assert collection["metadata"]["counts"] == {"selected": 1, "dataset": 2}
    assert collection["metadata"]["dataset_hash"] == content_hash(incidents)
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [67.0, 29.0]}
    properties = feature["properties"]
    assert set(properties) == set(INCIDENT_COLUMNS) - {"geometry"}
    assert properties["start"] == "2025-03-11T13:00:00"
    assert properties["fatalities_best"] is None
    assert properties["summary"] == HOSTILE
    assert properties["sources"][0]["title"] == HOSTILE


def test_gis_tools_read_the_snapshot(incidents, tmp_path):
    path = tmp_path / "snapshot.geojson"
    path.write_bytes(export(incidents))
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 1
    assert frame.crs.to_epsg() == 4326
    assert frame["incident_id"].tolist() == ["X-1"]
    assert frame["fatalities_high"].tolist() == [31]
    assert frame["summary"].tolist() == [HOSTILE]
    assert (frame.geometry.x.iloc[0], frame.geometry.y.iloc[0]) == (67.0, 29.0)


def test_reading_a_snapshot_restores_incidents_and_filters(incidents):
    flt = IncidentFilter(start=date(2025, 1, 1), groups=("BLA",), text="bolan")
    snapshot = read_snapshot(export(incidents, flt))
    assert snapshot.filters == flt
    pd.testing.assert_frame_equal(
        pd.DataFrame(snapshot.incidents.drop(columns="geometry")),
        pd.DataFrame(incidents.iloc[:1].drop(columns="geometry")),
    )
    assert snapshot.incidents.geometry.equals(incidents.iloc[:1].geometry)


def test_content_hash_ignores_order_but_not_content(incidents):
    assert content_hash(incidents) == content_hash(incidents.iloc[::-1])
    changed = incidents.copy()
    changed.loc[0, "fatalities_high"] = 32
    assert content_hash(changed) != content_hash(incidents)


def test_not_a_snapshot_is_a_clear_error():
    with pytest.raises(ValueError, match="snapshot is not JSON"):
        read_snapshot(b"\x89PNG\r\n")
    with pytest.raises(ValueError, match="not a snapshot: expected metadata.format"):
        read_snapshot(b'{"type": "FeatureCollection", "features": []}')
