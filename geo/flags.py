"""Flag codes: what an importer or a check found doubtful about a row, kept with the row.

A row's ``flags`` cell holds codes joined by ``"; "`` (``"province-mismatch; precision-assumed"``).
Codes travel with the incident: into snapshots and back, through the store, onto the map (flagged
incidents are drawn distinctly). The reason in words for one row goes to its ``geo_note`` or
``figures_note``; :data:`FLAGS` says what each code means.
"""

from __future__ import annotations

import re
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


def _merge_pair(left: pd.Series, right: pd.Series) -> pd.Series:
    """Merge two flag columns; only distinct pairs where both hold codes are joined anew."""
    left = left.fillna("").astype(str)
    right = right.fillna("").astype(str).set_axis(left.index)
    out = left.where(left != "", right).astype(object)
    both = (left != "") & (right != "") & (left != right)
    if both.any():
        codes, pairs = pd.factorize(left[both] + "\x1f" + right[both])
        merged = np.array(
            [
                join_flags([*split_flags(a), *split_flags(b)])
                for a, b in (pair.split("\x1f") for pair in pairs)
            ],
            dtype=object,
        )
        out[both] = merged[codes]
    return out


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
    added = pd.Series(np.where(chosen, code, ""), index=flags.index, dtype=object)
    return _merge_pair(flags, added)


def merge_flags(*columns: pd.Series) -> pd.Series:
    """Merge flag columns row by row (same index), each code once.

    Vectorised: a million rows with few distinct combinations take well under a second.

    Parameters
    ----------
    *columns : pandas.Series of str

    Returns
    -------
    pandas.Series of str
    """
    result = columns[0].fillna("").astype(str).astype(object)
    for column in columns[1:]:
        result = _merge_pair(result, column)
    return result


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
    pattern = rf"(?:^|; ){re.escape(code)}(?:;|$)"
    return flags.fillna("").astype(str).str.contains(pattern, regex=True).astype(bool)
