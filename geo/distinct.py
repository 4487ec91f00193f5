"""Rows that repeat the same values: number them once, so work is done per distinct value.

Real exports repeat a few hundred place names and a few thousand actor combinations over many
thousand rows; the importers and the place check compute per distinct combination and spread
the result back to the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def combination_codes(columns: Sequence[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """Return a code per row for its combination of values, and the first row of each code.

    Parameters
    ----------
    columns : sequence of pandas.Series
        Same length; missing values count as a value of their own.

    Returns
    -------
    tuple of numpy.ndarray
        ``codes`` (per row, equal for rows with equal values in every column) and
        ``first_rows`` (per code, the position of the first row that has it).
    """
    combination = np.zeros(len(columns[0]) if columns else 0, dtype="int64")
    for column in columns:
        codes, names = pd.factorize(column, use_na_sentinel=False)
        # Numbered again after each column, so the product never outgrows the row count.
        combination = pd.factorize(combination * max(len(names), 1) + codes)[0]
    _, first_rows = np.unique(combination, return_index=True)
    return combination, first_rows
