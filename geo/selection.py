"""A selection of rows that copies only the columns it is asked for.

A filter that keeps most of a million incidents costs a copy of every column of the rows it
keeps (measured on the team store's synthetic million: about 60 ms for 611,000 reports and
100-230 ms more for their events, with the kernel's time for the fresh memory on top), while a
page run with the map and the timeline reads a handful of the ~50 columns. The others are read
when a tab that shows them is opened, an incident's details are shown or a file is exported.

A :class:`Rows` knows which rows it holds (their count and labels) and copies columns when they
are first asked for, once each; :attr:`Rows.frame` is every column. Rows of a frame
(:meth:`Rows.of_frame`) and rows worked out from another table (an event table's events,
:meth:`geo.event_table.EventTable.selection`) answer the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.compact import among

# take(columns, within): the rows at ``within`` (positions among the selection's rows; None:
# all), with ``columns`` only (None: every column), labelled as the selection labels them.
Take = Callable[[list[str] | None, np.ndarray | None], pd.DataFrame]


class Rows:
    """Rows of a table, each column copied when it is first read.

    Parameters
    ----------
    index : pandas.Index
        The rows' labels, in order.
    take : callable
        ``take(columns, within)`` returns the rows at positions ``within`` of this selection
        (None: all of them) with the named ``columns`` (None: every column), as a frame
        labelled by ``index``.
    columns : iterable of str
        Every column the rows have, in order.

    Notes
    -----
    A Rows may be shared by sessions (it is cached per selection): columns are filled in under
    a lock, and nothing read from it is changed in place by its readers.
    """

    def __init__(self, index: pd.Index, take: Take, columns: Iterable[str]) -> None:
        self.index = index
        self._take = take
        self._all_columns = list(columns)
        self._columns: dict[str, pd.Series] = {}
        self._frame: pd.DataFrame | None = None
        self._lock = threading.Lock()
        # Where the rows are in a frame, for rows of one (of_frame, subset): positions None
        # with a source means every row of it.
        self.source: pd.DataFrame | None = None
        self.positions: np.ndarray | None = None

    @classmethod
    def of_frame(cls, frame: pd.DataFrame, positions: np.ndarray | None = None) -> Rows:
        """Return the rows of ``frame`` at ``positions`` (None: all of them, never copied).

        Parameters
        ----------
        frame : pandas.DataFrame or geopandas.GeoDataFrame
            The table the rows are taken from (not copied; it must not change).
        positions : numpy.ndarray, optional
            Row positions in ``frame``, in the order the selection holds them.

        Returns
        -------
        Rows
        """
        if positions is None:
            rows = cls(frame.index, _frame_take(frame, None), frame.columns)
            rows._frame = frame
        else:
            positions = np.asarray(positions, dtype=np.int64)
            rows = cls(frame.index[positions], _frame_take(frame, positions), frame.columns)
        rows.source, rows.positions = frame, positions
        return rows

    def __len__(self) -> int:
        """Return the number of rows."""
        return len(self.index)

    @property
    def empty(self) -> bool:
        """Whether there is no row."""
        return len(self.index) == 0

    @property
    def column_names(self) -> list[str]:
        """Every column the rows have, in order."""
        return list(self._all_columns)

    def column(self, name: str) -> pd.Series:
        """Return one column of the rows (copied the first time it is asked for).

        Raises
        ------
        KeyError
            If the rows have no column ``name``.
        """
        return self.columns([name])[name]

    def columns(self, names: Iterable[str]) -> pd.DataFrame:
        """Return the named columns of the rows, copying those not read before (all at once).

        Parameters
        ----------
        names : iterable of str
            Columns, each one the rows have; a name the rows lack is left out (as the
            ``"geo_precision" in frame`` checks of the readers expect).

        Returns
        -------
        pandas.DataFrame
            Labelled by :attr:`index`; a GeoDataFrame only when :attr:`frame` was read already.
        """
        wanted = [name for name in dict.fromkeys(names) if name in self._all_columns]
        if self._frame is not None:
            return self._frame[wanted]
        with self._lock:
            missing = [name for name in wanted if name not in self._columns]
            if missing:
                taken = self._take(missing, None)
                for name in missing:
                    self._columns[name] = taken[name].set_axis(self.index)
            if not wanted:
                return pd.DataFrame(index=self.index)
            # Side by side, not copied: every column has the same index object.
            return pd.concat([self._columns[name] for name in wanted], axis=1)

    @property
    def frame(self) -> gpd.GeoDataFrame:
        """Every column of every row (copied the first time, then kept)."""
        if self._frame is None:
            with self._lock:
                if self._frame is None:
                    self._frame = self._take(None, None)
                    self._columns.clear()  # the frame answers from now on
        return self._frame

    def take(self, within: np.ndarray, columns: list[str] | None = None) -> gpd.GeoDataFrame:
        """Return the rows at positions ``within`` (a few rows, copied).

        Parameters
        ----------
        within : numpy.ndarray
            Positions among these rows.
        columns : list of str, optional
            Only these columns (None: every column).

        Returns
        -------
        geopandas.GeoDataFrame
        """
        return self._rows(columns, np.asarray(within, dtype=np.int64))

    def find(self, name: str, values: Iterable[str]) -> np.ndarray:
        """Return the positions among these rows whose text column ``name`` is one of ``values``.

        Rows of a frame are looked up in the frame's column, which is not copied.
        """
        candidates = pd.Series(list(values), dtype="str")
        if self.source is None or name in self._columns:
            return np.flatnonzero(among(self.column(name), candidates))
        hits = np.flatnonzero(among(self.source[name], candidates))
        if self.positions is None:
            return hits
        return np.flatnonzero(np.isin(self.positions, hits))

    def _rows(self, columns: list[str] | None, within: np.ndarray | None) -> pd.DataFrame:
        """Return :data:`Take`'s answer, from the frame when it was read already."""
        if self._frame is None:
            return self._take(columns, within)
        out = self._frame if within is None else self._frame.iloc[within]
        return out if columns is None else out[columns]

    def relabelled(self, index: pd.Index) -> Rows:
        """Return the same rows under other labels (one per row), still uncopied."""
        if len(index) != len(self):
            msg = f"{len(index)} labels for {len(self)} rows"
            raise ValueError(msg)

        def take(columns: list[str] | None, within: np.ndarray | None) -> pd.DataFrame:
            out = self._rows(columns, within)
            return out.set_axis(index if within is None else index[within])

        return Rows(index, take, self._all_columns)

    def subset(self, keep: np.ndarray) -> Rows:
        """Return the rows where ``keep`` (booleans, one per row) is True, still uncopied."""
        within = np.flatnonzero(np.asarray(keep, dtype=bool))
        if len(within) == len(self):
            return self

        def take(columns: list[str] | None, inner: np.ndarray | None) -> pd.DataFrame:
            return self._rows(columns, within if inner is None else within[inner])

        rows = Rows(self.index[within], take, self._all_columns)
        if self.positions is not None:
            rows.source, rows.positions = self.source, self.positions[within]
        elif self.source is not None:
            rows.source, rows.positions = self.source, within
        return rows


def _frame_take(frame: pd.DataFrame, positions: np.ndarray | None) -> Take:
    """Return the :data:`Take` of ``frame``'s rows at ``positions`` (None: every row)."""
    geometry = frame.active_geometry_name if isinstance(frame, gpd.GeoDataFrame) else None

    def take(columns: list[str] | None, within: np.ndarray | None) -> pd.DataFrame:
        rows = positions if within is None else within if positions is None else positions[within]
        if columns is None or geometry in columns:
            table = frame if columns is None else frame[columns]  # no copy (copy on write)
            return table if rows is None else table.iloc[rows]  # a GeoDataFrame, as the frame
        # Column by column from their arrays: a frame's columns selected together are copied
        # whole when they share a block (two date columns of a million rows: 7 ms), and taking
        # rows of a frame checks every position again (611,000 rows: 3.7 against 0.8 ms a
        # column of dates).
        if rows is None:
            return pd.DataFrame({name: frame[name] for name in columns}, copy=False)
        taken = {name: frame[name].array.take(rows) for name in columns}
        return pd.DataFrame(taken, index=frame.index[rows], copy=False)

    return take
