"""The embedded back end: one SQLite file, through SQLAlchemy and Python's own ``sqlite3``.

Why SQLite and not SpatiaLite, GeoPackage or DuckDB:

- It needs nothing installed: ``sqlite3`` ships with Python, so ``make run`` works on a fresh
  machine and in an air-gapped one. SpatiaLite (and a GeoPackage with spatial functions) needs
  a native extension loaded into every connection, which many Python builds forbid.
- The store's hard parts are transactions, history and concurrent readers (several analysts'
  browser sessions on one server): SQLite gives ACID transactions and, in WAL mode, readers that
  never block the writer. DuckDB is an analytical engine with one writer process per file and
  no row-level concurrency; a second dashboard process could not open the same store.
- The geometry is a point, kept as ``lon``/``lat`` columns; the spatial filters the app needs
  (a bounding box, distance to the railway) already run vectorised in memory (``geo.filters``),
  and ``bench/store.py`` measures that in-memory path against SQL here.
- Alembic and SQLAlchemy treat it like PostgreSQL, so both back ends share one set of
  migrations and one store implementation; only what differs lives here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geo.filters import IncidentFilter
from geo.groups import GroupRegistry
from geo.store import tables as t

INSERT_CHUNK = 20_000
# How SQLAlchemy's SQLite DateTime stores times (and parses them back).
DATETIME_TEXT = "%Y-%m-%d %H:%M:%S.%f"


class SqliteBackend:
    """Embedded store in a SQLite file (``sqlite:///path/to/store.sqlite``)."""

    name = "sqlite"
    # SQLite keeps times as text; the store parses them vectorised instead of row by row.
    text_times = True

    def create_engine(self, url: str) -> sa.Engine:
        """Return an engine with foreign keys, WAL and a busy timeout on every connection.

        Parameters
        ----------
        url : str
            ``sqlite:///relative/or//absolute/path.sqlite``; the folder is created.

        Returns
        -------
        sqlalchemy.Engine
        """
        parsed = sa.make_url(url)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine

    def bulk_insert(self, connection: sa.Connection, rows: pd.DataFrame) -> None:
        """Insert rows with sqlite3's ``executemany`` on plain tuples, in chunks.

        Bypasses SQLAlchemy's per-row parameter processing (the slow part at a million rows);
        times are written in the text form SQLAlchemy's SQLite ``DateTime`` reads back.

        Parameters
        ----------
        connection : sqlalchemy.Connection
        rows : pandas.DataFrame
            One column per stored incident column.
        """
        names = ", ".join(f'"{name}"' for name in rows.columns)
        marks = ", ".join("?" for _ in rows.columns)
        statement = f"INSERT INTO incidents ({names}) VALUES ({marks})"
        cursor = connection.connection.driver_connection.cursor()
        try:
            for start in range(0, len(rows), INSERT_CHUNK):
                cursor.executemany(statement, _python_rows(rows.iloc[start : start + INSERT_CHUNK]))
        finally:
            cursor.close()

    def read_frame(self, engine: sa.Engine, query: sa.Select) -> pd.DataFrame:
        """Run a read-only ``query`` and return its rows as a DataFrame.

        Parameters
        ----------
        engine : sqlalchemy.Engine
        query : sqlalchemy.Select

        Returns
        -------
        pandas.DataFrame
            Whole-number columns of :data:`geo.store.tables.COUNT_COLUMNS` as ``Int64``;
            times as SQLite keeps them (text).
        """
        counts = {c: "Int64" for c in t.COUNT_COLUMNS if c in query.selected_columns}
        with engine.connect() as connection:
            return pd.read_sql_query(query, connection, dtype=counts)

    def prefilter(
        self, flt: IncidentFilter, registry: GroupRegistry | None
    ) -> list[sa.ColumnElement[bool]]:
        """Return only the dataset condition: the rest is faster in memory (bench/store.py)."""
        if flt.datasets:
            return [t.incidents.c.dataset.in_(list(flt.datasets))]
        return []


def _python_rows(frame: pd.DataFrame, *, text_times: bool = True) -> list[tuple]:
    """Rows as tuples of plain Python values (NA as None; times as SQLite text or datetimes)."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            if text_times:
                values = column.dt.strftime(DATETIME_TEXT).astype(object)
                values = values.where(column.notna(), None).tolist()
            else:
                values = [None if pd.isna(v) else v.to_pydatetime() for v in column]
        elif isinstance(column.dtype, pd.Int64Dtype):
            values = [None if v is pd.NA else int(v) for v in column.astype(object)]
        elif pd.api.types.is_float_dtype(column):
            values = column.astype(object).where(column.notna(), None).tolist()
        else:
            values = [None if v is None or v is pd.NA else v for v in column.tolist()]
        columns.append(values)
    return list(zip(*columns, strict=True))
