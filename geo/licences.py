"""Licences and attribution of imported datasets, and what they allow to share.

``data/dataset_licences.csv`` names, per source format, the dataset, its licence, whether its
terms restrict sharing the rows (ACLED and GTD do; UCDP GED is CC BY 4.0), the attribution to
give and where the terms are. Every imported row carries its licence in the ``licence`` column,
a snapshot names the datasets it contains with their terms (:func:`snapshot_terms`), and the
dashboard warns before exporting rows whose terms restrict sharing (:func:`restricted_note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from geo.compact import code_pair_counts, text_codes

LICENCES_CSV = Path(__file__).resolve().parents[1] / "data" / "dataset_licences.csv"
OWN_DATA = "the analyst's own data (terms not stated in the file)"


@dataclass(frozen=True)
class DatasetTerms:
    """The terms of one source dataset."""

    format: str
    dataset: str
    licence: str
    restricts_sharing: bool
    attribution: str
    terms_url: str


@cache
def known_terms() -> dict[str, DatasetTerms]:
    """Return the terms of each source format, from ``data/dataset_licences.csv``.

    Returns
    -------
    dict of str to DatasetTerms
        Keyed by format (``acled``, ``gtd``, ``ucdp``).
    """
    table = pd.read_csv(LICENCES_CSV, dtype=str, keep_default_na=False)
    return {
        row.format: DatasetTerms(
            format=row.format,
            dataset=row.dataset,
            licence=row.licence,
            restricts_sharing=row.restricts_sharing == "yes",
            attribution=row.attribution,
            terms_url=row.terms_url,
        )
        for row in table.itertuples(index=False)
    }


def licence_for(fmt: str) -> str:
    """Return the ``licence`` cell for rows imported in a format.

    Parameters
    ----------
    fmt : str
        ``acled``, ``gtd``, ``ucdp``, ``csv``, ``geojson``, ``gpkg``.

    Returns
    -------
    str
        E.g. ``"UCDP GED (...): CC BY 4.0"``; for generic files, :data:`OWN_DATA`.
    """
    terms = known_terms().get(fmt)
    return f"{terms.dataset}: {terms.licence}" if terms else OWN_DATA


def _terms_of(licence: str) -> DatasetTerms | None:
    for terms in known_terms().values():
        if licence == f"{terms.dataset}: {terms.licence}":
            return terms
    return None


def snapshot_terms(incidents: pd.DataFrame) -> list[dict[str, object]]:
    """Name the datasets in a selection with their terms, for snapshot metadata.

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``dataset`` and ``licence`` columns.

    Returns
    -------
    list of dict
        One record per (dataset, licence): ``dataset``, ``licence``, ``rows``,
        ``restricts_sharing``, ``attribution``, ``terms_url`` (the last three empty when the
        terms are not known).
    """
    if incidents.empty:
        return []
    records = []
    for (dataset, licence), rows in _pair_counts(incidents["dataset"], incidents["licence"]):
        terms = _terms_of(str(licence))
        records.append(
            {
                "dataset": str(dataset),
                "licence": str(licence) or "this project's bundled data (see data/README.md)",
                "rows": int(rows),
                "restricts_sharing": bool(terms and terms.restricts_sharing),
                "attribution": terms.attribution if terms else "",
                "terms_url": terms.terms_url if terms else "",
            }
        )
    return records


def restricted_note(incidents: pd.DataFrame) -> str:
    """Say, before an export, which rows come from datasets whose terms restrict sharing.

    Parameters
    ----------
    incidents : pandas.DataFrame
        The rows about to be exported.

    Returns
    -------
    str
        Plain text (``""`` when nothing is restricted), e.g. ``"12 of these incidents come
        from GTD (Global Terrorism Database), whose terms (GTD End User Agreement ...) restrict
        sharing the data: keep this file to yourselves and cite the source."``
    """
    restricted = [r for r in snapshot_terms(incidents) if r["restricts_sharing"]]
    if not restricted:
        return ""
    parts = []
    for record in restricted:
        terms = _terms_of(str(record["licence"]))
        name = terms.dataset if terms else record["dataset"]
        parts.append(f"{record['rows']:,} from {name} ({terms.licence if terms else ''})")
    return (
        "Of these incidents, "
        + "; ".join(parts)
        + ". Those terms restrict sharing the data: do not publish or pass on this file "
        "outside the people the terms allow, and cite each source."
    )


def _pair_counts(first: pd.Series, second: pd.Series) -> list[tuple[tuple[str, str], int]]:
    """Count the rows of each pair of values, sorted by the first value, then the second.

    Counted by the values' codes (categories are compared by code, in their own order): a
    grouping of 611,000 rows by two columns took 17 ms. Rows with a missing value are left out.
    """
    first_codes, first_values = text_codes(first, sort=True)
    second_codes, second_values = text_codes(second, sort=True)
    known = (first_codes >= 0) & (second_codes >= 0)
    firsts, seconds, counts = code_pair_counts(
        first_codes[known], second_codes[known], len(first_values), len(second_values)
    )
    return [
        ((first_values[a], second_values[b]), count)
        for a, b, count in zip(firsts.tolist(), seconds.tolist(), counts.tolist(), strict=True)
    ]
