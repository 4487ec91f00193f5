"""A selection copies the columns it is asked for, and they are the frame's (geo.selection)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.selection import Rows


@pytest.fixture
def frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "incident_id": pd.array(["A-1", "A-2", "B-1", "B-2", "C-9"], dtype="str"),
            "province": pd.Categorical(["Sindh", "Balochistan", "Sindh", "Punjab", "Sindh"]),
            "fatalities_low": pd.array([3, None, 0, 26, 1], dtype="Int64"),
        },
        geometry=[Point(67.0 + k, 29.0) for k in range(5)],
        crs="EPSG:4326",
        index=pd.Index([10, 11, 12, 13, 14]),
    )


class CountingTake:
    """A frame's rows by position that records every copy asked of it."""

    def __init__(self, frame: gpd.GeoDataFrame, positions: np.ndarray) -> None:
        self.frame, self.positions, self.calls = frame, positions, []

    def __call__(self, columns, within):
        self.calls.append((columns, None if within is None else list(within)))
        table = self.frame if columns is None else self.frame[columns]
        chosen = self.positions if within is None else self.positions[within]
        return table.iloc[chosen]


def test_columns_are_those_of_the_rows_taken_whole(frame):
    rows = Rows.of_frame(frame, np.array([4, 0, 2]))
    whole = frame.iloc[[4, 0, 2]]
    narrow = rows.columns(["province", "fatalities_low"])
    pd.testing.assert_frame_equal(narrow, pd.DataFrame(whole[["province", "fatalities_low"]]))
    assert rows.column("incident_id").tolist() == ["C-9", "A-1", "B-1"]
    assert rows.index.tolist() == [14, 10, 12] and len(rows) == 3 and not rows.empty
    pd.testing.assert_frame_equal(rows.frame, whole)
    assert isinstance(rows.frame, gpd.GeoDataFrame)


def test_each_column_is_copied_once_and_only_when_asked(frame):
    take = CountingTake(frame, np.array([1, 3]))
    rows = Rows(frame.index[[1, 3]], take, frame.columns)
    assert take.calls == []  # nothing copied to know the count and the labels
    assert len(rows) == 2 and rows.index.tolist() == [11, 13]
    rows.columns(["province"])
    rows.columns(["province", "fatalities_low"])
    rows.column("fatalities_low")
    assert take.calls == [(["province"], None), (["fatalities_low"], None)]
    assert rows.columns(["no such column", "province"]).columns.tolist() == ["province"]


def test_a_few_rows_come_whole_in_the_order_asked(frame):
    take = CountingTake(frame, np.array([0, 1, 2, 3, 4]))
    rows = Rows(frame.index, take, frame.columns)
    few = rows.take(np.array([3, 0]))
    assert few["incident_id"].tolist() == ["B-2", "A-1"]
    assert take.calls == [(None, [3, 0])]  # those rows, not the whole selection


def test_a_subset_keeps_its_rows_positions_in_the_frame(frame):
    rows = Rows.of_frame(frame, np.array([0, 2, 4]))
    rows.column("province")
    drawn = rows.subset(np.array([True, False, True]))
    assert drawn.index.tolist() == [10, 14]
    assert drawn.positions.tolist() == [0, 4] and drawn.source is frame
    assert drawn.column("incident_id").tolist() == ["A-1", "C-9"]
    assert drawn.take(np.array([1]))["incident_id"].tolist() == ["C-9"]
    assert rows.subset(np.array([True, True, True])) is rows  # nothing left out: the same


def test_every_row_of_a_frame_is_the_frame_itself(frame):
    rows = Rows.of_frame(frame)
    assert rows.frame is frame  # never copied
    assert rows.positions is None and rows.source is frame
    assert rows.subset(np.array([False, True, False, False, True])).positions.tolist() == [1, 4]


def test_no_rows(frame):
    rows = Rows.of_frame(frame, np.array([], dtype=np.int64))
    assert rows.empty and len(rows) == 0
    assert rows.column("province").empty
    assert rows.frame.empty


def test_rows_are_found_by_their_text_without_copying_the_column(frame):
    take = CountingTake(frame, np.array([4, 2, 0]))
    rows = Rows(frame.index[[4, 2, 0]], take, frame.columns)
    rows.source, rows.positions = frame, np.array([4, 2, 0])
    assert rows.find("incident_id", ["A-1", "C-9", "Z-0"]).tolist() == [0, 2]
    assert rows.find("incident_id", ["A-2"]).tolist() == []  # in the frame, not selected
    assert rows.find("province", ["Sindh"]).tolist() == [0, 1, 2]  # categories too
    assert take.calls == []
    lone = Rows(frame.index[[1, 3]], CountingTake(frame, np.array([1, 3])), frame.columns)
    assert lone.find("incident_id", ["B-2"]).tolist() == [1]  # no frame: from the column


def test_a_few_rows_with_a_few_columns(frame):
    rows = Rows.of_frame(frame, np.array([4, 3, 2]))
    few = rows.take(np.array([2, 0]), ["incident_id", "fatalities_low"])
    assert few.columns.tolist() == ["incident_id", "fatalities_low"]
    assert few["incident_id"].tolist() == ["B-1", "C-9"]
    assert few.index.tolist() == [12, 14]


def test_rows_under_other_labels_are_the_same_rows(frame):
    # As a team decision's events are drawn over the file of the table before it.
    rows = Rows.of_frame(frame, np.array([3, 1]))
    other = rows.relabelled(pd.Index([900, 901]))
    assert other.column("incident_id").index.tolist() == [900, 901]
    assert other.column("incident_id").tolist() == ["B-2", "A-2"]
    assert other.take(np.array([1]))["incident_id"].to_dict() == {901: "A-2"}
    assert other.frame.index.tolist() == [900, 901]
    with pytest.raises(ValueError, match="3 labels for 2 rows"):
        rows.relabelled(pd.Index([1, 2, 3]))


def test_rows_of_a_frame_without_geometry_take_their_columns(frame):
    plain = gpd.GeoDataFrame(pd.DataFrame(frame.drop(columns="geometry")))  # no active geometry
    rows = Rows.of_frame(plain, np.array([3, 1]))
    assert rows.column("fatalities_low").tolist() == [26, pd.NA]
    assert rows.columns(["incident_id", "province"]).index.tolist() == [13, 11]
