"""Flag codes: what an importer or a check found doubtful about a row, kept with the row.

A row's ``flags`` cell holds codes joined by ``"; "`` (``"province-mismatch; precision-assumed"``).
Codes travel with the incident: into snapshots and back, through the store, onto the map (flagged
incidents are drawn distinctly). The reason in words for one row goes to its ``geo_note`` or
``figures_note``; :data:`FLAGS` says what each code means.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

SEPARATOR = "; "
FLAGS = {
    "province-mismatch": "the point lies in another province than the row states",
    "far-from-place": "the point is far from the place the row names",
    "figures-inconsistent": "the source's own figures disagree (e.g. best above high)",
    "precision-assumed": "the source does not state how precise the location is; assumed",
    "placed-by-gazetteer": "no coordinates in the source: placed at the named place",
    "province-unrecognised": "the stated province could not be matched to a province",
}


def split_flags(cell: object) -> list[str]:
    """Split a ``flags`` cell into its codes.

    Parameters
    ----------
    cell : object
        ``"a; b"``, ``""`` or a missing value.

    Returns
    -------
    list of str
    """
    if not isinstance(cell, str):
        return []
    return [code.strip() for code in cell.split(";") if code.strip()]


def join_flags(codes: Iterable[str]) -> str:
    """Join codes in :data:`FLAGS` order (unknown codes after, alphabetically), once each.

    Parameters
    ----------
    codes : iterable of str

    Returns
    -------
    str
    """
    unique = set(codes) - {""}
    known = [code for code in FLAGS if code in unique]
    return SEPARATOR.join(known + sorted(unique - set(FLAGS)))


def add_flag(flags: pd.Series, where: pd.Series | np.ndarray, code: str) -> pd.Series:
    """Add ``code`` to the flags of the rows where ``where`` is true.

    Parameters
    ----------
    flags : pandas.Series of str
    where : pandas.Series or numpy.ndarray of bool
        Same length as ``flags``.
    code : str

    Returns
    -------
    pandas.Series of str
    """
    chosen = np.asarray(where, dtype=bool)
    out = flags.fillna("").astype(str).copy()
    if chosen.any():
        positions = np.flatnonzero(chosen)
        out.iloc[positions] = [join_flags([*split_flags(c), code]) for c in out.iloc[positions]]
    return out


def merge_flags(*columns: pd.Series) -> pd.Series:
    """Merge flag columns row by row (same index), each code once.

    Parameters
    ----------
    *columns : pandas.Series of str

    Returns
    -------
    pandas.Series of str
    """
    merged = [
        join_flags(code for cell in cells for code in split_flags(cell))
        for cells in zip(*columns, strict=True)
    ]
    return pd.Series(merged, index=columns[0].index, dtype=object)


def has_flag(flags: pd.Series, code: str) -> pd.Series:
    """Tell which rows carry ``code``.

    Parameters
    ----------
    flags : pandas.Series of str
    code : str

    Returns
    -------
    pandas.Series of bool
    """
    return flags.fillna("").astype(str).map(lambda cell: code in split_flags(cell)).astype(bool)
