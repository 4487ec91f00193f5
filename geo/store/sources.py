"""What an import file says about its own rows beyond the incident schema: source timestamps.

ACLED revises events in place and stamps each row with ``timestamp`` (Unix seconds of the
row's last change). A re-import compares it with the stored row's, so an older export never
overwrites a newer correction.
"""

from __future__ import annotations

import io

import pandas as pd

ACLED_PREFIX = "ACLED:"


def source_timestamps(data: bytes, fmt: str) -> dict[str, int]:
    """Return ``{incident_id: timestamp}`` for an ACLED CSV; ``{}`` for other formats.

    Parameters
    ----------
    data : bytes
        The file as imported.
    fmt : str
        The format the import used (``ImportResult.format``).

    Returns
    -------
    dict of str to int
        Only rows with both an ``event_id_cnty`` and a whole-number ``timestamp``.
    """
    if fmt != "acled":
        return {}
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return {}
    frame.columns = [str(column).strip().casefold() for column in frame.columns]
    if not {"event_id_cnty", "timestamp"} <= set(frame.columns):
        return {}
    stamps = pd.to_numeric(frame["timestamp"].str.strip(), errors="coerce")
    ids = frame["event_id_cnty"].str.strip()
    usable = stamps.notna() & (ids != "") & (stamps == stamps.round())
    return {
        ACLED_PREFIX + identifier: int(stamp)
        for identifier, stamp in zip(ids[usable], stamps[usable], strict=True)
    }
