"""Every event of a set of reports, made once, and the rows any selection of reports shows.

Counting each event once (:mod:`geo.matching`) turns the selected reports into one row per
event (:func:`geo.matching.event_frame`). Doing that for every filter change costs seconds at a
million reports, and the rows it gives are new each time, so the map cannot fetch them once and
take each selection as a mask (:mod:`layers.payload`).

An :class:`EventTable` holds, for all the reports, one row per event and, for each report of an
event with several reports, that report alone as an event row. A selection of reports then
shows exactly these rows: an event whose reports are all selected is its event row, and a report
selected without the other reports of its event is its own row, which is what
:func:`geo.matching.event_frame` gives for that selection. Only a selection holding some, but
more than one, of an event's three or more reports needs rows the table does not hold;
:meth:`EventTable.rows_for` then says so and the caller works that selection out as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.matching import event_frame, lone_reports, report_events


@dataclass(frozen=True)
class EventTable:
    """The event rows of a set of reports, and where each report's rows are.

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
    """

    frame: gpd.GeoDataFrame
    report_event: np.ndarray
    event_size: np.ndarray
    event_row: np.ndarray
    lone_row: np.ndarray

    def rows_for(self, positions: np.ndarray) -> np.ndarray | None:
        """Return the rows of ``frame`` that a selection of reports shows, in ``frame``'s order.

        Parameters
        ----------
        positions : numpy.ndarray
            Positions of the selected reports among the reports the table was made from.

        Returns
        -------
        numpy.ndarray or None
            Row positions in ``frame``; None when the selection holds more than one but not
            all of the reports of some event (its combined row is not in the table).
        """
        positions = np.asarray(positions, dtype=np.int64)
        events = self.report_event[positions]
        selected = np.bincount(events, minlength=len(self.event_size))
        size = self.event_size[events]
        count = selected[events]
        if np.any((count > 1) & (count < size)):
            return None
        whole = np.flatnonzero((selected == self.event_size) & (selected > 0))
        alone = positions[(count == 1) & (size > 1)]
        return np.sort(np.concatenate([self.event_row[whole], self.lone_row[alone]]))


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
    whole = event_frame(reports, event_ids)
    event_row = pd.Index(whole["event_id"].astype(str)).get_indexer(names)
    shared = event_size[report_event] > 1
    alone = lone_reports(reports, events, shared)
    lone_row = event_row[report_event].copy()
    lone_row[shared] = len(whole) + np.arange(int(shared.sum()))
    frame = pd.concat([whole, alone], ignore_index=True) if len(alone) else whole
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=reports.crs)
    return EventTable(frame.reset_index(drop=True), report_event, event_size, event_row, lone_row)
