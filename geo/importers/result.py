"""What an import returns: the kept incidents, every rejected row, and the counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geo.spreadsheet import safe_csv

REJECTED_COLUMNS = ("line", "reason", "raw")


def empty_rejected() -> pd.DataFrame:
    """Return an empty table of rejected rows (``line``, ``reason``, ``raw``).

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame(
        {
            "line": pd.Series([], dtype="int64"),
            "reason": pd.Series([], dtype=object),
            "raw": pd.Series([], dtype=object),
        }
    )


MAPPING_COLUMNS = ("as_written", "mapped_to", "rows")


def empty_mapping() -> pd.DataFrame:
    """Return an empty actor mapping table (``as_written``, ``mapped_to``, ``rows``).

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame(
        {
            "as_written": pd.Series([], dtype=object),
            "mapped_to": pd.Series([], dtype=object),
            "rows": pd.Series([], dtype="int64"),
        }
    )


@dataclass(frozen=True, eq=False)
class ImportResult:
    """The outcome of one import: every row read is either kept or rejected.

    Attributes
    ----------
    name : str
        The import's name, also written to the incidents' ``dataset`` column.
    format : str
        The format used: ``acled``, ``gtd``, ``ucdp``, ``csv``, ``geojson``, ``gpkg`` or
        ``snapshot``.
    incidents : geopandas.GeoDataFrame
        Kept rows in the incident schema plus a ``flags`` column (``""`` when not flagged).
    rejected : pandas.DataFrame
        One row per rejected row: ``line`` (line number in the file, or feature number for
        GeoJSON/GeoPackage), ``reason`` and ``raw`` (the row as written).
    rows_read : int
        Data rows (or features) read from the file.
    notes : tuple of str
        What the importer did to the whole file (skipped an HXL row, how figures were read...).
    actor_mapping : pandas.DataFrame
        What the import did to actor names, over the kept rows: ``as_written`` (one actor as
        the file spells it), ``mapped_to`` (the canonical group, or ``side: state forces`` and
        the like for sides that are not armed groups) and ``rows``.
    """

    name: str
    format: str
    incidents: gpd.GeoDataFrame
    rejected: pd.DataFrame
    rows_read: int
    notes: tuple[str, ...] = field(default=())
    actor_mapping: pd.DataFrame = field(default_factory=lambda: empty_mapping())

    def __post_init__(self) -> None:
        kept, rejected = len(self.incidents), len(self.rejected)
        if kept + rejected != self.rows_read:
            msg = (
                f"{self.name}: {kept} kept + {rejected} rejected != {self.rows_read} rows read; "
                "an importer lost track of a row"
            )
            raise AssertionError(msg)

    @property
    def kept(self) -> int:
        """Number of rows kept."""
        return len(self.incidents)

    @property
    def flagged(self) -> int:
        """Number of kept rows with a flag (e.g. the point contradicts the stated province)."""
        return int((self.incidents["flags"].astype(str) != "").sum())

    def summary(self) -> str:
        """Return the one-line report, e.g. ``"kept 9 of 12 rows (3 rejected, 1 flagged)"``.

        Returns
        -------
        str
        """
        return (
            f"kept {self.kept} of {self.rows_read} rows "
            f"({len(self.rejected)} rejected, {self.flagged} flagged)"
        )

    def report(self) -> str:
        """Return the full report: summary, notes, every rejected row and every flagged row.

        Returns
        -------
        str
            Several lines of plain text, as printed by ``python -m geo convert``.
        """
        lines = [f"{self.name} ({self.format}): {self.summary()}"]
        lines += [f"note: {note}" for note in self.notes]
        for row in self.rejected.itertuples(index=False):
            lines.append(f"rejected line {row.line}: {row.reason}")
        flagged = self.incidents[self.incidents["flags"].astype(str) != ""]
        for row in flagged.itertuples(index=False):
            why = "; ".join(note for note in (row.geo_note, row.figures_note) if note)
            lines.append(f"flagged {row.incident_id}: {row.flags}" + (f" ({why})" if why else ""))
        return "\n".join(lines)

    def actor_mapping_csv(self) -> bytes:
        """Return the actor mapping as UTF-8 CSV (``as_written``, ``mapped_to``, ``rows``).

        Returns
        -------
        bytes
        """
        return safe_csv(self.actor_mapping[list(MAPPING_COLUMNS)])

    def rejected_csv(self) -> bytes:
        """Return the rejected rows as UTF-8 CSV (columns ``line``, ``reason``, ``raw``).

        Returns
        -------
        bytes
        """
        return safe_csv(self.rejected[list(REJECTED_COLUMNS)])
