"""Every event of a set of reports, made once, and the events any selection of reports shows.

Counting each event once (:mod:`geo.matching`) turns the selected reports into one row per
event (:func:`geo.matching.event_frame`). Doing that for every filter change costs seconds at a
million reports, and the rows it gives are new each time, so the map cannot fetch them once and
take each selection as a mask (:mod:`layers.payload`).

An :class:`EventTable` holds, for all the reports, one row per event and, for each report of an
event with several reports, that report alone as an event row. A selection of reports shows
exactly these rows for most events: an event whose reports are all selected is its event row,
and a report selected without the other reports of its event is its own row. Only an event of
three or more reports of which a selection holds some, but more than one, needs a row the table
does not hold (a period that starts during a multi-day attack): :meth:`EventTable.events` works
those few out from their reports and gives them index labels the table does not use.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.matching import event_frame, lone_reports, report_events


@dataclass(frozen=True)
class EventTable:
    """The event rows of a set of reports, and where each report's rows are (see the module).

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        :func:`geo.matching.event_frame` of every report, then each report of an event with
        several reports as a row of its own (:func:`geo.matching.lone_reports`).
    report_event : numpy.ndarray
        Per report (in the reports' order): its event's number.
    event_size : numpy.ndarray
        Per event number: how many reports it has.
    event_row : numpy.ndarray
        Per event number: its row in ``frame``.
    lone_row : numpy.ndarray
        Per report: its row in ``frame`` when it is shown without the other reports of its
        event (its event's row when it has none).
    event_ids : pandas.Series
        The matching the table was made from.
    """

    frame: gpd.GeoDataFrame
    report_event: np.ndarray
    event_size: np.ndarray
    event_row: np.ndarray
    lone_row: np.ndarray
    event_ids: pd.Series

    def rows_for(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return where a selection of reports finds its events.

        Parameters
        ----------
        positions : numpy.ndarray
            Positions of the selected reports among the reports the table was made from.

        Returns
        -------
        rows : numpy.ndarray
            Rows of ``frame`` the selection shows, in ``frame``'s order.
        apart : numpy.ndarray
            Positions (among ``positions``' values) of the selected reports whose event is
            only partly selected and has no row for that part in ``frame``.
        """
        positions = np.asarray(positions, dtype=np.int64)
        events = self.report_event[positions]
        selected = np.bincount(events, minlength=len(self.event_size))
        size = self.event_size[events]
        count = selected[events]
        whole = np.flatnonzero((selected == self.event_size) & (selected > 0))
        alone = positions[(count == 1) & (size > 1)]
        apart = positions[(count > 1) & (count < size)]
        rows = np.sort(np.concatenate([self.event_row[whole], self.lone_row[alone]]))
        return rows, apart

    def events(self, reports: gpd.GeoDataFrame, positions: np.ndarray) -> gpd.GeoDataFrame:
        """Return :func:`geo.matching.event_frame` of the reports at ``positions``.

        ``reports`` are the reports the table was made from (the table does not keep them: it
        may outlive them in a cache). Rows of ``frame`` keep their index labels (their
        positions in it), so a map can take them as a mask over ``frame``; the events worked
        out here are labelled from ``len(frame)`` on.
        """
        rows, apart = self.rows_for(positions)
        taken = _rows_of(self.frame, rows)
        if not len(apart):
            return taken
        worked_out = event_frame(reports.iloc[apart], self.event_ids)
        worked_out.index = pd.RangeIndex(len(self.frame), len(self.frame) + len(worked_out))
        both = pd.concat([taken, worked_out])
        return gpd.GeoDataFrame(both, geometry="geometry", crs=self.frame.crs)


def _rows_of(frame: gpd.GeoDataFrame, rows: np.ndarray) -> gpd.GeoDataFrame:
    """Return ``frame``'s rows at ``rows`` (sorted): a slice, not a copy, when they lead it."""
    if len(rows) == 0 or rows[-1] == len(rows) - 1:
        return frame.iloc[: len(rows)]
    return frame.iloc[rows]


def event_table(reports: gpd.GeoDataFrame, event_ids: pd.Series) -> EventTable:
    """Make the :class:`EventTable` of ``reports`` matched into ``event_ids``.

    Parameters
    ----------
    reports : geopandas.GeoDataFrame
        Every report (incidents in the schema), in the order selections refer to.
    event_ids : pandas.Series
        ``incident_id`` -> event id (:attr:`geo.matching.MatchResult.event_ids`); a report not
        in it is an event of its own.

    Returns
    -------
    EventTable
    """
    events = report_events(reports, event_ids)
    report_event, names = pd.factorize(events, sort=False)
    event_size = np.bincount(report_event, minlength=len(names))
    whole = event_frame(reports, event_ids, events=events)
    event_row = pd.Index(whole["event_id"].astype(str)).get_indexer(names)
    shared = event_size[report_event] > 1
    alone = lone_reports(reports, events, shared)
    lone_row = event_row[report_event].copy()
    lone_row[shared] = len(whole) + np.arange(int(shared.sum()))
    frame = pd.concat([whole, alone], ignore_index=True) if len(alone) else whole
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=reports.crs).reset_index(drop=True)
    return EventTable(frame, report_event, event_size, event_row, lone_row, event_ids)
