"""The event table gives any selection of reports the rows event_frame gives it (geo.event_table).

On the labelled matching set (tests/fixtures/matching: ACLED-, GTD- and UCDP-layout rows beside
the bundled incidents; the Mach attack has nine reports, others two or three).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.event_table import event_table
from geo.matching import Decision, event_frame, match_incidents
from geo.matching_eval import load_labelled

MACH = ["RAIL-004", "ACLED:PAK900001", "GTD:202401290001", "UCDP:990001"]


@pytest.fixture(scope="module")
def matched():
    incidents, _ = load_labelled()
    reports = incidents.reset_index(drop=True)
    result = match_incidents(reports)
    return reports, result.event_ids, event_table(reports, result.event_ids)


def positions_of(reports, ids: list[str]) -> np.ndarray:
    return np.flatnonzero(reports["incident_id"].isin(ids).to_numpy())


def same_rows(shown: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Compare event rows whatever their order (cells as text: dtypes differ by concatenation)."""
    assert sorted(shown.columns) == sorted(expected.columns)
    columns = sorted(expected.columns)

    def canonical(frame: pd.DataFrame) -> pd.DataFrame:
        text = frame[columns].astype(str)
        return text.sort_values("incident_id").reset_index(drop=True)

    pd.testing.assert_frame_equal(canonical(shown), canonical(expected))


def test_every_report_selected_shows_every_event_once(matched):
    reports, event_ids, table = matched
    shown = table.events(reports, np.arange(len(reports)))
    assert len(shown) == match_incidents(reports).events
    mach = shown[shown["report_ids"].str.contains("RAIL-004", regex=False)]
    assert mach["reports"].tolist() == [9]
    same_rows(shown, event_frame(reports, event_ids))


def test_a_report_selected_without_its_event_shows_alone(matched):
    reports, event_ids, table = matched
    shown = table.events(reports, positions_of(reports, ["GTD:202401290001"]))
    assert shown["incident_id"].tolist() == ["GTD:202401290001"]
    assert shown["reports"].tolist() == [1]
    assert shown["datasets"].tolist() == ["gtd.csv"]
    same_rows(
        shown, event_frame(reports.iloc[positions_of(reports, ["GTD:202401290001"])], event_ids)
    )


def test_part_of_an_event_of_three_or_more_reports_is_worked_out_apart(matched):
    reports, event_ids, table = matched
    shown = table.events(reports, positions_of(reports, [*MACH, "RAIL-008"]))
    assert shown.loc[shown["incident_id"] == "EV:RAIL-004", "reports"].tolist() == [len(MACH)]
    # Labelled after the table's rows, so a map never takes it for one of them.
    assert shown.index.tolist()[-1] >= table.rows
    same_rows(
        shown, event_frame(reports.iloc[positions_of(reports, [*MACH, "RAIL-008"])], event_ids)
    )


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_selection_shows_what_event_frame_gives_it(matched, published, data):
    reports, event_ids, table = matched
    events = reports["incident_id"].map(event_ids).fillna(reports["incident_id"]).to_numpy()
    # Per event: none, all, one or any of its reports (as filters cut events in a real file).
    chosen = np.zeros(len(reports), dtype=bool)
    for event in pd.unique(events):
        members = np.flatnonzero(events == event)
        how = data.draw(st.sampled_from(["none", "all", "one", "any"]))
        if how == "all":
            chosen[members] = True
        elif how == "one":
            chosen[data.draw(st.sampled_from(list(members)))] = True
        elif how == "any":
            chosen[members] = data.draw(
                st.lists(st.booleans(), min_size=len(members), max_size=len(members))
            )
    positions = np.flatnonzero(chosen)
    shown = table.events(reports, positions)
    same_rows(shown, event_frame(reports.iloc[positions], event_ids))
    # The map takes the labels as rows of the file it published: they must be those rows.
    in_file = shown.index < table.rows
    same_rows(shown[in_file], published.loc[shown.index[in_file]])


@pytest.fixture(scope="module")
def published(matched):
    """The table's rows in the order the map publishes them."""
    reports, _, table = matched
    return table.frame(reports)


def test_the_published_rows_are_every_report_then_every_joined_event(matched, published):
    reports, event_ids, table = matched
    assert published.index.equals(pd.RangeIndex(table.rows))
    # Row i is report i; events of several reports follow, one row each.
    assert published["incident_id"].iloc[: len(reports)].tolist() == (
        reports["incident_id"].tolist()
    )
    joined = published.iloc[len(reports) :]
    assert joined["reports"].min() > 1
    assert "EV:RAIL-004" in joined["incident_id"].tolist()
    assert table.rows == len(reports) + (event_frame(reports, event_ids)["reports"] > 1).sum()


def test_reports_that_match_nothing_are_each_an_event_of_their_own(matched):
    reports = matched[0]
    unmatched = pd.Series(dtype="str")  # no report in a matched event
    table = event_table(reports, unmatched)
    assert table.rows == len(reports)
    shown = table.events(reports, np.arange(len(reports)))
    assert shown["reports"].tolist() == [1] * len(reports)
    same_rows(shown, event_frame(reports, unmatched))


@pytest.mark.parametrize(
    "decision",
    [Decision("reject", "RAIL-006", "ACLED:PAK900008"), Decision("join", "RAIL-015", "RAIL-016")],
    ids=["reject", "join"],
)
def test_after_a_decision_only_the_events_it_changed_are_new_rows(matched, published, decision):
    reports, _, team = matched
    decided = match_incidents(reports, decisions=[decision])
    mine = event_table(reports, decided.event_ids)
    shown = mine.events(reports, np.arange(len(reports)))
    found = mine.rows_in(team, shown.index.to_numpy())
    # Every event the decision left alone is the team's row, the same in every column.
    same_rows(
        shown[found >= 0], published.iloc[found[found >= 0]].set_axis(shown.index[found >= 0])
    )
    # The others are reports of the events the decision touched, before or after it.
    named = {decision.first_id, decision.second_id}
    touched = {
        report
        for event_ids in (team.event_ids, decided.event_ids)
        for report, event in event_ids.items()
        if event in set(event_ids[event_ids.index.isin(named)])
    }
    changed = {i for ids in shown.loc[found < 0, "report_ids"] for i in ids.split("; ")}
    assert named <= changed <= touched


def test_an_events_columns_read_one_by_one_are_its_frames(matched):
    # The page reads a few columns of a selection's events (the map, the timeline): made from
    # the reports as asked, they are those of the events made whole, in the same rows.
    reports, _, table = matched
    positions = positions_of(reports, [*MACH[:3], "RAIL-008", "GTD:202401290001", "RAIL-001"])
    rows = table.selection(reports, table.pick(reports, positions))
    whole = table.events(reports, positions)
    assert rows.index.tolist() == whole.index.tolist()
    for names in (["reports", "event_id"], ["province", "start"], ["geo_precision"]):
        pd.testing.assert_frame_equal(rows.columns(names), pd.DataFrame(whole[names]))
    # A few whole rows, in the order asked (the last is worked out apart: part of the Mach attack)
    few = rows.take(np.array([len(rows) - 1, 0]))
    assert few["incident_id"].tolist() == whole["incident_id"].iloc[[-1, 0]].tolist()
    assert few.index.tolist()[0] >= table.rows
