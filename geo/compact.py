"""Text columns that repeat a few values, held as categories.

Most of an incident's text columns take a handful of values: the province, the dataset, the
event type, the precision of the date and of the place, the licence. Held as strings, a million
incidents spend 10-30 MB on each of them, and every selection copies those strings again. As a
``pandas.Categorical`` each distinct value is stored once and a row holds a small integer code:
the column takes about 1 MB per million rows and a selection copies codes. Comparisons,
``isin``, ``.str`` methods, grouping and the JSON and Parquet writers read the values, not the
codes, so nothing downstream sees a difference.

Columns whose values are mostly distinct (identifiers, summaries, notes) stay strings: as
categories they would only add the codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# A column is held as categories when it has at most this share of distinct values among its
# non-missing rows: below that, the codes (1-4 bytes a row) plus the values stored once take
# less than the strings.
MAX_DISTINCT_SHARE = 0.5


def repeating_text_columns(
    frame: pd.DataFrame, *, max_distinct_share: float = MAX_DISTINCT_SHARE
) -> list[str]:
    """Return the text columns of ``frame`` that repeat their values enough to store as categories.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any frame; only its string columns (``str``/``string`` dtype) are looked at.
    max_distinct_share : float
        Largest share of distinct values among the non-missing rows.

    Returns
    -------
    list of str
        Column names, in the frame's order.
    """
    columns = []
    for name in frame.columns:
        values = frame[name]
        if not pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
            continue  # categories already, numbers, dates, lists (sources), geometry, objects
        present = int(values.notna().sum())
        if present == 0 or values.nunique() <= max_distinct_share * present:
            columns.append(name)
    return columns


def compact_text(
    frame: pd.DataFrame, *, max_distinct_share: float = MAX_DISTINCT_SHARE
) -> pd.DataFrame:
    """Return ``frame`` with its repeating text columns held as categories.

    The values do not change: each converted column compares, filters, groups and writes as it
    did; only the memory it takes and the cost of copying a selection of rows fall. The input
    is not changed (a shallow copy is returned when anything is converted).

    Parameters
    ----------
    frame : pandas.DataFrame
        Incidents (or any frame).
    max_distinct_share : float
        See :func:`repeating_text_columns`.

    Returns
    -------
    pandas.DataFrame
        The same type as ``frame``.

    Examples
    --------
    >>> frame = pd.DataFrame({"province": ["Sindh", "Sindh", "Balochistan", "Balochistan", None]})
    >>> compact_text(frame)["province"].dtype
    CategoricalDtype(categories=['Balochistan', 'Sindh'], ordered=False, categories_dtype=str)
    """
    columns = repeating_text_columns(frame, max_distinct_share=max_distinct_share)
    if not columns:
        return frame
    out = frame.copy(deep=False)
    for name in columns:
        out[name] = frame[name].astype("category")
    return out


def as_text(values: pd.Series) -> pd.Series:
    """Return ``values`` ready for text comparison, ``isin`` and factorising.

    A text column held as categories is returned as it is: comparing or factorising it works on
    its codes, where ``astype(str)`` would first write out a string per row (70 ms a million).
    Any other column is converted with ``astype(str)``.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    return values.astype(str)


def text_codes(values: pd.Series, *, sort: bool = False) -> tuple[np.ndarray, pd.Index]:
    """Return a code for each value of a text column and the values the codes stand for.

    A column held as categories gives its own codes (no text compared); another column is
    factorised, its values in order of appearance or, with ``sort``, in sorted order.

    Parameters
    ----------
    values : pandas.Series
        Text, or text held as categories.
    sort : bool
        Sort the values of a text column (a categorical column keeps its categories' order).

    Returns
    -------
    tuple of (numpy.ndarray, pandas.Index)
        ``int64`` codes, -1 for a missing value; the values, by code.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(dtype=np.int64), values.cat.categories
    codes, distinct = pd.factorize(as_text(values), sort=sort)
    return codes.astype(np.int64), pd.Index(distinct)


def code_pair_counts(
    first: np.ndarray, second: np.ndarray, first_count: int, second_count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count the rows of each pair of codes, counted by their codes (no hashing, no sorting).

    Parameters
    ----------
    first, second : numpy.ndarray
        Codes of the rows, from 0 to ``first_count - 1`` and ``second_count - 1`` (no missing).
    first_count, second_count : int
        How many values each code stands among.

    Returns
    -------
    tuple of numpy.ndarray
        The first and second codes of each pair that occurs, by first code then second, and
        its count of rows.
    """
    width = max(second_count, 1)
    counts = np.bincount(first * width + second, minlength=first_count * width)
    pairs = np.flatnonzero(counts)
    return pairs // width, pairs % width, counts[pairs]


def distinct_text(values: pd.Series) -> list[str]:
    """Return the distinct values of a text column as strings, missing values left out.

    Parameters
    ----------
    values : pandas.Series
        Text, or text held as categories (only the categories present count).

    Returns
    -------
    list of str
        In order of first appearance.
    """
    return [str(v) for v in values.dropna().unique()]


def among(values: pd.Series, candidates: Iterable[str] | pd.Series) -> np.ndarray:
    """Return whether each of ``values`` is one of ``candidates``, as a boolean array.

    pandas' ``isin`` on Arrow-backed text turns every candidate into a Python object first: a
    million candidate ids take 7 s. Arrow's own ``is_in`` takes milliseconds. Missing values
    are never among the candidates.

    Parameters
    ----------
    values : pandas.Series
        Text (or text held as categories).
    candidates : iterable of str or pandas.Series

    Returns
    -------
    numpy.ndarray
        Of ``bool``, one per value.
    """
    if not isinstance(candidates, pd.Series):
        candidates = pd.Series(list(candidates), dtype="str")
    found = pc.is_in(_arrow_text(values), value_set=_arrow_text(candidates), skip_nulls=True)
    return np.asarray(found.fill_null(False), dtype=bool)


def per_distinct_pair(
    first: pd.Series, second: pd.Series, write: Callable[[object, object], str]
) -> pd.Series:
    """Return ``write(a, b)`` for each row's pair of values, calling ``write`` once per pair.

    For texts made from two columns that repeat a few combinations (a figure's low and high):
    a million rows take a few distinct pairs. Missing values are values like any other
    (``write`` gets them as they are).

    Parameters
    ----------
    first, second : pandas.Series
        Of the same length and index.
    write : callable
        Makes the text of one pair.

    Returns
    -------
    pandas.Series
        Object dtype, with ``first``'s index.
    """
    first_codes, first_values = pd.factorize(first, use_na_sentinel=False)
    second_codes, second_values = pd.factorize(second, use_na_sentinel=False)
    width = max(len(second_values), 1)
    pairs, distinct = pd.factorize(first_codes.astype(np.int64) * width + second_codes)
    texts = np.array(
        [write(first_values[k // width], second_values[k % width]) for k in distinct],
        dtype=object,
    )
    return pd.Series(texts[pairs], index=first.index, dtype=object)


def _arrow_text(values: pd.Series) -> pa.Array:
    """Return the values as one Arrow text type (the text is not copied when Arrow-backed)."""
    if values.dtype != "str":  # categories, objects: written out as text once
        values = values.astype("str")
    return pa.array(values).cast(pa.large_string())
