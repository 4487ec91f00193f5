"""Every event of a set of reports, made once, and the events any selection of reports shows.

Counting each event once (:mod:`geo.matching`) turns the selected reports into one row per
event (:func:`geo.matching.event_frame`). Doing that for every filter change costs seconds at a
million reports, and the rows it gives are new each time, so the map cannot fetch them once and
take each selection as a mask (:mod:`layers.payload`).

An :class:`EventTable` numbers the rows any selection of the reports may show: row ``i`` (for
``i`` below the number of reports) is report ``i`` as an event of its own, and the rows after
them are the events of several reports, each made from all its reports. A selection of reports
shows exactly these rows for most events: an event whose reports are all selected is its event
row, and a report selected without the other reports of its event is its own row. Only an event
of three or more reports of which a selection holds some, but more than one, needs a row the
table does not number (a period that starts during a multi-day attack): :meth:`EventTable.events`
works those few out from their reports and labels them after the table's rows.

The table keeps only the rows of events of several reports (a few thousand at a million
reports); a report's own row is made from the report when a selection shows it, so the table
costs a fraction of a second copy of the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.matching import EVENT_COLUMNS, combined_events, event_frame, lone_events, report_events
from geo.selection import Rows


@dataclass(frozen=True)
class EventTable:
    """Where each event of a set of reports is among the numbered rows (see the module).

    Attributes
    ----------
    joined : geopandas.GeoDataFrame
        The events of several reports (:func:`geo.matching.event_frame` rows), labelled by
        their row: the number of reports and on.
    report_event : numpy.ndarray
        Per report (in the reports' order): its event's number.
    event_size : numpy.ndarray
        Per event number: how many reports it has.
    event_row : numpy.ndarray
        Per event number: its row (a report's own row for an event of one report).
    renamed : pandas.Series
        Report position -> event id, for the reports whose own row names an event other than
        the report (the reports of events of several reports).
    event_ids : pandas.Series
        The matching the table was made from.
    """

    joined: gpd.GeoDataFrame
    report_event: np.ndarray
    event_size: np.ndarray
    event_row: np.ndarray
    renamed: pd.Series
    event_ids: pd.Series

    @cached_property
    def renamed_at(self) -> np.ndarray:
        """Per report: whether it is in :attr:`renamed`."""
        mask = np.zeros(len(self.report_event), dtype=bool)
        mask[self.renamed.index.to_numpy()] = True
        return mask

    @property
    def rows(self) -> int:
        """Number of rows a selection may show: one per report, then the joined events."""
        return len(self.report_event) + len(self.joined)

    def rows_for(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return where a selection of reports finds its events.

        Parameters
        ----------
        positions : numpy.ndarray
            Positions of the selected reports among the reports the table was made from.

        Returns
        -------
        rows : numpy.ndarray
            The rows the selection shows, in order.
        apart : numpy.ndarray
            Positions (among ``positions``' values) of the selected reports whose event is
            only partly selected and has no row for that part.
        """
        positions = np.asarray(positions, dtype=np.int64)
        events = self.report_event[positions]
        selected = np.bincount(events, minlength=len(self.event_size))
        size = self.event_size[events]
        count = selected[events]
        whole = np.flatnonzero((selected == self.event_size) & (selected > 0))
        alone = positions[(count == 1) & (size > 1)]
        apart = positions[(count > 1) & (count < size)]
        rows = np.sort(np.concatenate([self.event_row[whole], alone]))
        return rows, apart

    def rows_in(self, other: EventTable, rows: np.ndarray) -> np.ndarray:
        """Return where each of ``rows`` is in ``other``, a table of the same reports.

        Two matchings of the same reports (before and after an analyst's decision) share all
        but the rows of the events the decision changed: a report's own row is the same row
        when the report is in the same event in both, and an event of several reports is the
        same row when it has the same id and reports.

        Parameters
        ----------
        rows : numpy.ndarray
            Row numbers of this table (labels of :meth:`events`; those past :attr:`rows` are
            events worked out for a selection).

        Returns
        -------
        numpy.ndarray
            The same row's number in ``other``, or -1 where ``other`` has no such row.
        """
        rows = np.asarray(rows, dtype=np.int64)
        count = len(self.report_event)
        found = np.full(len(rows), -1, dtype=np.int64)
        if len(other.report_event) != count:
            return found
        mine = self.renamed.reindex(self.renamed.index.union(other.renamed.index))
        theirs = other.renamed.reindex(mine.index)
        moved = mine.index[(mine.fillna("") != theirs.fillna("")).to_numpy()]
        own = (rows < count) & ~np.isin(rows, moved.to_numpy())
        found[own] = rows[own]
        joined = np.flatnonzero((rows >= count) & (rows < self.rows))
        if len(joined):
            where = dict(zip(_event_keys(other.joined), other.joined.index, strict=True))
            keys = _event_keys(self.joined.iloc[rows[joined] - count])
            found[joined] = [where.get(key, -1) for key in keys]
        return found

    def frame(self, reports: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Return every row, in order (what the map publishes once as a file).

        ``reports`` are the reports the table was made from (the table does not keep them: it
        may outlive them in a cache).
        """
        return self._rows_of(reports, np.arange(self.rows))

    def events(self, reports: gpd.GeoDataFrame, positions: np.ndarray) -> gpd.GeoDataFrame:
        """Return :func:`geo.matching.event_frame` of the reports at ``positions``.

        ``reports`` are the reports the table was made from. Each event keeps its row as index
        label, so a map can take them as a mask over :meth:`frame`; the events worked out here
        are labelled from :attr:`rows` on. The frame of :meth:`selection`.
        """
        return self.selection(reports, self.pick(reports, positions)).frame

    def pick(self, reports: gpd.GeoDataFrame, positions: np.ndarray) -> Picked:
        """Return which rows the reports at ``positions`` show, working out those it lacks.

        Small (the row numbers and the few events worked out), and it holds no report: it may
        be kept per selection while the reports come and go.
        """
        rows, apart = self.rows_for(positions)
        if not len(apart):
            return Picked(rows, None)
        worked_out = event_frame(reports.iloc[apart], self.event_ids)
        worked_out.index = pd.RangeIndex(self.rows, self.rows + len(worked_out))
        return Picked(rows, worked_out)

    def selection(self, reports: gpd.GeoDataFrame, picked: Picked) -> Rows:
        """Return the events ``picked`` names as :class:`geo.selection.Rows` of ``reports``.

        What :meth:`events` returns, with each column made when it is first read: the rows and
        their labels are known at once, the columns are copied from the reports as the readers
        ask for them.
        """
        rows, worked_out = picked.rows, picked.worked_out
        names = [*reports.columns, *EVENT_COLUMNS]

        def take(columns: list[str] | None, within: np.ndarray | None) -> pd.DataFrame:
            if within is None:
                return self._rows_of(reports, rows, worked_out, columns)
            order = np.argsort(within, kind="stable")
            chosen = within[order]
            cut = int(np.searchsorted(chosen, len(rows)))
            extra = None if worked_out is None else worked_out.iloc[chosen[cut:] - len(rows)]
            out = self._rows_of(reports, rows[chosen[:cut]], extra, columns)
            return out.iloc[np.argsort(order, kind="stable")]

        return Rows(picked.labels, take, names)

    def _rows_of(
        self,
        reports: gpd.GeoDataFrame,
        rows: np.ndarray,
        worked_out: pd.DataFrame | None = None,
        columns: list[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Return the rows ``rows`` (sorted), labelled by their numbers, then ``worked_out``.

        One copy of the selected rows: the reports' own rows are taken with a place for each
        event of several reports after them, which is then filled in (a selection of most of a
        million reports is not copied twice, as joining two frames would). Only ``columns``
        when given (None: every column).
        """
        count = len(self.report_event)
        cut = int(np.searchsorted(rows, count))
        own, joined = rows[:cut], rows[cut:] - count
        after = self.joined.iloc[joined]
        if worked_out is not None:
            after = pd.concat([after, worked_out])
        if columns is not None:
            reports = reports[_report_columns(reports.columns, columns)]  # not copied
        # Any report will do as the place of a row that is filled in.
        taken = reports.iloc[np.concatenate([own, np.zeros(len(after), dtype=np.int64)])]
        if columns is None or "event_id" in columns:
            events = pd.Series(taken["incident_id"].array)
            is_named = np.concatenate([self.renamed_at[own], np.zeros(len(after), dtype=bool)])
            if is_named.any():
                events[is_named] = self.renamed.loc[own[is_named[: len(own)]]].to_numpy()
            out = lone_events(taken, events.array, columns)
        else:
            out = lone_events(taken, None, columns)
        del taken  # shares its columns with ``out``: kept, each filled-in column would be copied
        out.index = pd.Index(np.concatenate([own, after.index.to_numpy()]))
        _fill_in(out, after)
        return out


@dataclass(frozen=True)
class Picked:
    """The rows a selection of reports shows (:meth:`EventTable.pick`).

    Attributes
    ----------
    rows : numpy.ndarray
        The table's rows, sorted.
    worked_out : pandas.DataFrame or None
        The events the table has no row for, worked out from the selected reports and
        labelled after the table's rows.
    """

    rows: np.ndarray
    worked_out: pd.DataFrame | None

    @property
    def labels(self) -> pd.Index:
        """Every row's label: the table's rows, then those worked out."""
        if self.worked_out is None:
            return pd.Index(self.rows)
        return pd.Index(np.concatenate([self.rows, self.worked_out.index.to_numpy()]))


def _report_columns(present: pd.Index, columns: list[str]) -> list[str]:
    """Return the reports' columns that make the events' ``columns`` (in the reports' order)."""
    needed = set(columns) | {EVENT_COLUMNS.get(name) for name in columns}
    return [name for name in present if name in needed]


def _event_keys(events: pd.DataFrame) -> list[str]:
    """Name each event of several reports by its id and its reports (what its row is made of)."""
    return (events["event_id"].astype(str) + "\n" + events["report_ids"].astype(str)).tolist()


def _fill_in(frame: pd.DataFrame, last: pd.DataFrame) -> None:
    """Put ``last``'s values in ``frame``'s last rows, column by column, in place."""
    if not len(last):
        return
    start = len(frame) - len(last)
    for k, column in enumerate(frame.columns):
        values = last[column]
        dtype = frame[column].dtype
        if isinstance(dtype, pd.StringDtype):
            # Arrow text cannot be changed in place (setting rows copies the whole column):
            # the column's first rows and the new ones as chunks of one array, nothing copied.
            head = frame[column].iloc[:start]
            tail = pd.Series(values.astype(dtype).array, index=frame.index[start:])
            frame[column] = pd.concat([head, tail]).array
            continue
        if isinstance(dtype, pd.CategoricalDtype) and values.dtype != dtype:
            # New values (a joined group list, a note on the figures) become categories too.
            new = pd.Index(values.dropna().astype(str).unique()).difference(dtype.categories)
            if len(new):
                frame[column] = frame[column].cat.add_categories(new)
        frame.iloc[start:, k] = values.to_numpy()


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
    shared = np.flatnonzero(event_size[report_event] > 1)
    joined = combined_events(reports.iloc[shared], events[shared])
    joined.index = pd.RangeIndex(len(reports), len(reports) + len(joined))
    event_row = np.empty(len(names), dtype=np.int64)
    event_row[report_event] = np.arange(len(reports))  # events of one report: its own row
    number = dict(zip(events[shared], report_event[shared], strict=True))
    joined_events = np.array([number[e] for e in joined["event_id"]], dtype=np.int64)
    event_row[joined_events] = joined.index.to_numpy()
    own_ids = reports["incident_id"].astype(str).to_numpy()
    named = np.flatnonzero(events != own_ids)
    renamed = pd.Series(events[named], index=named, dtype=object)
    return EventTable(joined, report_event, event_size, event_row, renamed, event_ids)
