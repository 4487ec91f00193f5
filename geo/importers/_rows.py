"""Row-level helpers shared by the importers: numbers, dates, coordinates, places, actors, sources.

Each helper works on whole columns and, where a value can be wrong, returns a ``reason`` Series
(``""`` where the value is fine) so that no row is dropped without saying why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from geo.distinct import combination_codes
from geo.groups import UNIDENTIFIED, GroupRegistry
from geo.schema import GROUP_SEPARATOR, MAX_COUNT

ONE_DAY = pd.Timedelta(days=1)
ONE_SECOND = pd.Timedelta(seconds=1)
# Dates outside these are treated as unparseable (and stay clear of datetime64[ns] limits).
EARLIEST, LATEST = pd.Timestamp("1800-01-01"), pd.Timestamp("2200-12-31")

# Loose bounding boxes (west, south, east, north) used only to recognise swapped coordinates.
COUNTRY_BBOXES = {
    "Pakistan": (60.8, 23.6, 77.9, 37.1),
    "Afghanistan": (60.4, 29.3, 75.0, 38.5),
    "India": (68.1, 6.7, 97.4, 35.7),
    "Iran": (44.0, 25.0, 63.4, 39.8),
}
# Spellings of Pakistan's provinces in real exports: old names (NWFP until 2010; FATA merged
# into Khyber Pakhtunkhwa in 2018; the Northern Areas renamed Gilgit-Baltistan in 2009),
# colonial-era spellings (Sind, Baluchistan), abbreviations and ISO 3166-2 codes. A trailing
# " province" / " territory" is ignored, and misspellings are matched by :data:`PROVINCE_CUTOFF`.
PROVINCE_ALIASES = {
    "Balochistan": ("Baluchistan", "Beluchistan", "Balochistan province", "PK-BA"),
    "Sindh": ("Sind", "PK-SD"),
    "Punjab": ("Panjab", "PK-PB"),
    "Khyber Pakhtunkhwa": (
        "Khyber-Pakhtunkhwa",
        "Khyber Pakhtoonkhwa",
        "Khyber Pakhtunkha",
        "KPK",
        "KP",
        "K-P",
        "NWFP",
        "N.W.F.P.",
        "North-West Frontier Province",
        "North West Frontier",
        "Federally Administered Tribal Areas",
        "FATA",
        "F.A.T.A.",
        "Tribal Areas",
        "PK-KP",
    ),
    "Gilgit-Baltistan": ("Gilgit Baltistan", "Northern Areas", "PK-GB"),
    "Azad Jammu and Kashmir": (
        "Azad Kashmir",
        "Azad Jammu & Kashmir",
        "AJK",
        "AJ&K",
        "Pakistan-administered Kashmir",
        "PK-JK",
    ),
    "Islamabad Capital Territory": (
        "Islamabad",
        "Federal Capital Territory",
        "F.C.T.",
        "FCT",
        "Islamabad Capital",
        "ICT",
        "PK-IS",
    ),
}
PROVINCE_SUFFIX = re.compile(r"\s+(province|territory|region|division|state)$", re.IGNORECASE)
PROVINCE_CUTOFF = 88.0  # RapidFuzz ratio (0-100) of folded names; "Khyber Pakhtunkwa" scores 97
ACTOR_SIDES_CSV = Path(__file__).resolve().parents[2] / "data" / "actor_sides.csv"
PAREN = re.compile(r"\(.*?\)")
URL = re.compile(r"https?://[^\s;,\"'<>]+")


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as stripped strings, or empty strings when the column is absent.

    Parameters
    ----------
    frame : pandas.DataFrame
    column : str

    Returns
    -------
    pandas.Series of str
    """
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def map_distinct(values: pd.Series, function: Callable[[str], object]) -> pd.Series:
    """Apply ``function`` once per distinct value (exports repeat a few values many times).

    Parameters
    ----------
    values : pandas.Series of str
        No missing values (as :func:`text` returns).
    function : callable
        Of one value. Rows with equal values share its result (a list too, as rows read from
        Parquet share equal source lists; nothing changes a row's list in place): a copy per
        row took 1.8 s of a million-row import (measured).

    Returns
    -------
    pandas.Series of object
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    results = [function(value) for value in distinct]
    table = np.empty(len(results), dtype=object)
    for position, result in enumerate(results):  # element by element: tuples stay whole
        table[position] = result
    return pd.Series(table[codes], index=values.index, dtype=object)


def numbers(values: pd.Series, *, unknown: Iterable[float] = ()) -> pd.Series:
    """Parse numbers, turning blanks, non-numbers and the given unknown codes into NaN.

    Parameters
    ----------
    values : pandas.Series of str
    unknown : iterable of float
        Codes meaning "unknown" (GTD uses -9 and -99).

    Returns
    -------
    pandas.Series of float
    """
    parsed = pd.to_numeric(values.astype(str).str.strip(), errors="coerce").astype("float64")
    parsed = parsed.where(np.isfinite(parsed))
    return parsed.where(~parsed.isin(list(unknown)))


def parse_dates(values: pd.Series, formats: Iterable[str]) -> pd.Series:
    """Parse dates trying each format in turn; NaT where none fits.

    Parameters
    ----------
    values : pandas.Series of str
    formats : iterable of str
        ``strptime`` formats, or ``"ISO8601"``.

    Returns
    -------
    pandas.Series of datetime64[ns]
    """
    stripped = values.astype(str).str.strip()
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        pending = result.isna() & (stripped != "")
        if not pending.any():
            break
        parsed = pd.to_datetime(stripped[pending], format=fmt, errors="coerce")
        plausible = (parsed >= EARLIEST) & (parsed <= LATEST)
        result.loc[pending] = parsed.where(plausible).astype("datetime64[ns]")
    return result


def end_of_day(stamps: pd.Series) -> pd.Series:
    """Return the last second of each day."""
    return stamps.dt.normalize() + ONE_DAY - ONE_SECOND


def shown(values: pd.Series, spec: str) -> pd.Series:
    """Format numbers as text (``spec`` such as ``"{:g}"``), safe for empty Series.

    Parameters
    ----------
    values : pandas.Series of float
    spec : str

    Returns
    -------
    pandas.Series of str
    """
    return pd.Series([spec.format(v) for v in values], index=values.index, dtype=object)


def first_reason(*reasons: pd.Series) -> pd.Series:
    """Combine reason Series, keeping the first non-empty reason of each row.

    Parameters
    ----------
    *reasons : pandas.Series of str
        Same index; ``""`` where a check passed.

    Returns
    -------
    pandas.Series of str
    """
    result = reasons[0].copy()
    for reason in reasons[1:]:
        result = result.where(result != "", reason)
    return result


def check_coordinates(
    lat_text: pd.Series, lon_text: pd.Series, country: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse latitude/longitude and say why a pair is unusable.

    Parameters
    ----------
    lat_text, lon_text : pandas.Series of str
        As written in the file.
    country : pandas.Series of str
        The stated country (``""`` means Pakistan), used to recognise swapped pairs.

    Returns
    -------
    tuple of pandas.Series
        Latitude, longitude (float, NaN where unusable) and the reason (``""`` when usable):
        no coordinates, not a number, out of range, or apparently swapped.
    """
    lat, lon = numbers(lat_text), numbers(lon_text)
    lat_blank, lon_blank = lat_text.str.strip() == "", lon_text.str.strip() == ""
    reason = pd.Series("", index=lat_text.index, dtype=object)
    reason = reason.mask(lat_blank | lon_blank, "no coordinates")
    reason = first_reason(
        reason,
        _not_number(lat, lat_text, lat_blank, "latitude"),
        _not_number(lon, lon_text, lon_blank, "longitude"),
        _out_of_range(lat, "latitude", 90),
        _out_of_range(lon, "longitude", 180),
        _swapped(lat, lon, country),
    )
    usable = reason == ""
    return lat.where(usable), lon.where(usable), reason


def described(bad: pd.Series | np.ndarray, template: str, values: pd.Series) -> pd.Series:
    """Say ``template.format(value)`` on the rows where ``bad`` holds, ``""`` on the others.

    The message is written for the bad rows only: writing it for every row and keeping it on
    a few (``np.where``) spent seconds of a million-row import on text nobody reads.

    Parameters
    ----------
    bad : pandas.Series or numpy.ndarray of bool
        Which rows the message is for (missing values count as not bad).
    template : str
        A ``str.format`` template of one field, such as ``"fatalities {!r} is negative"``.
    values : pandas.Series
        The values to name, indexed like the result.

    Returns
    -------
    pandas.Series of str
    """
    flags = bad if isinstance(bad, pd.Series) else pd.Series(bad, index=values.index)
    return _messages(
        flags, lambda at: pd.Series([template.format(value) for value in values.iloc[at]])
    )


def _messages(bad: pd.Series, message: Callable[[np.ndarray], pd.Series]) -> pd.Series:
    """``message(positions)`` at the bad rows, ``""`` elsewhere: text built for bad rows only."""
    out = np.full(len(bad), "", dtype=object)
    positions = np.flatnonzero(bad.to_numpy(dtype=bool, na_value=False))
    if positions.size:
        out[positions] = message(positions).to_numpy(dtype=object)
    return pd.Series(out, index=bad.index, dtype=object)


def _not_number(values: pd.Series, raw: pd.Series, blank: pd.Series, label: str) -> pd.Series:
    return _messages(
        values.isna() & ~blank,
        lambda at: label + " " + raw.iloc[at].map(repr) + " is not a number",
    )


def _out_of_range(values: pd.Series, label: str, limit: int) -> pd.Series:
    return _messages(
        values.abs() > limit,
        lambda at: (
            f"{label} " + shown(values.iloc[at], "{:g}") + f" is out of range -{limit}..{limit}"
        ),
    )


def _inside(lon: pd.Series, lat: pd.Series, country: pd.Series) -> pd.Series:
    codes, names = pd.factorize(country.where(country != "", "Pakistan"))
    box_of_name = np.array(
        [COUNTRY_BBOXES.get(name, (np.nan,) * 4) for name in names] or [(np.nan,) * 4],
        dtype="float64",
    )
    west, south, east, north = box_of_name[codes].T  # codes are never -1: no missing names
    inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    return inside.fillna(False).astype(bool)


def _swapped(lat: pd.Series, lon: pd.Series, country: pd.Series) -> pd.Series:
    place = country.where(country != "", "Pakistan")
    return _messages(
        ~_inside(lon, lat, country) & _inside(lat, lon, country),
        lambda at: (
            "latitude/longitude apparently swapped: ("
            + shown(lat.iloc[at], "{:g}")
            + ", "
            + shown(lon.iloc[at], "{:g}")
            + ") lies outside "
            + place.iloc[at]
            + " but swapped it lies inside"
        ),
    )


def _fold(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


def province_lookup(names: Iterable[str]) -> dict[str, str]:
    """Return a folded-spelling → province-name lookup for the given province names.

    Parameters
    ----------
    names : iterable of str
        Names in the provinces layer.

    Returns
    -------
    dict
    """
    lookup = {}
    for name in names:
        lookup[_fold(name)] = name
        for alias in PROVINCE_ALIASES.get(name, ()):
            lookup[_fold(alias)] = name
    return lookup


def match_province(stated: str, lookup: dict[str, str]) -> str | None:
    """Return the province a stated name means, or None when nothing matches closely enough.

    Tries the name as written, without a " province"-like suffix, then the closest known
    spelling (RapidFuzz ratio at least :data:`PROVINCE_CUTOFF`, only letters and digits
    compared), so ``"Khyber Pakhtunkwa"`` and ``"Balochistaan"`` match, ``"Kashmir"`` does not.

    Parameters
    ----------
    stated : str
    lookup : dict
        From :func:`province_lookup`.

    Returns
    -------
    str or None
    """
    for candidate in (stated, PROVINCE_SUFFIX.sub("", stated.strip())):
        folded = _fold(candidate)
        if folded in lookup:
            return lookup[folded]
    folded = _fold(PROVINCE_SUFFIX.sub("", stated.strip()))
    if len(folded) < 5:  # abbreviations are matched exactly or not at all
        return None
    best = process.extractOne(folded, list(lookup), scorer=fuzz.ratio, score_cutoff=PROVINCE_CUTOFF)
    return lookup[best[0]] if best else None


def canonical_provinces(stated: pd.Series, lookup: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map stated province spellings onto the provinces layer's names.

    Parameters
    ----------
    stated : pandas.Series of str
    lookup : dict
        From :func:`province_lookup`.

    Returns
    -------
    tuple of pandas.Series
        The province names (``""`` where blank or unmatched) and a mask of the stated names
        that could not be matched.
    """
    distinct = {name: match_province(name, lookup) for name in stated.unique() if name}
    matched = stated.map(lambda name: (distinct.get(name) or "") if name else "")
    unmatched = (stated != "") & (matched == "")
    return matched, unmatched


def canonical_actor(name: str, registry: GroupRegistry) -> str:
    """Return the registry's name for an actor, trying the parts of ``"BLA: Baloch ..."`` too.

    Parameters
    ----------
    name : str
        An actor as a dataset writes it.
    registry : GroupRegistry

    Returns
    -------
    str
        Canonical name, ``"Unidentified"`` for unidentified or unknown actors, or the name as
        written when the registry does not know it.
    """
    name = name.strip()
    if name.casefold().startswith(("unidentified", "unknown")):
        return UNIDENTIFIED
    for candidate in [name, *re.split(r":|\s+-\s+", name)]:
        canonical = registry.canonical(candidate.strip()) if candidate.strip() else None
        if canonical:
            return canonical
    return name


@cache
def _sides() -> tuple[tuple[re.Pattern[str], str], ...]:
    table = pd.read_csv(ACTOR_SIDES_CSV, dtype=str, keep_default_na=False)
    return tuple(
        (re.compile(row.pattern, re.IGNORECASE), row.side) for row in table.itertuples(index=False)
    )


def side_of(name: str) -> str:
    """Tell whether an actor is a side in events rather than an armed group, and which.

    State forces, police, pro-government militias, private security, civilians, protesters and
    rioters (``data/actor_sides.csv``) are sides: never an armed group to filter by and never a
    co-perpetrator. A militia whose name merely contains "Forces of" is not state forces.

    Parameters
    ----------
    name : str

    Returns
    -------
    str
        The side (``"state forces"``, ``"pro-government militia"``...) or ``""`` for an armed
        group.
    """
    stripped = name.strip()
    for pattern, side in _sides():
        if pattern.search(stripped):
            return side
    return ""


def is_state_or_civilian(name: str) -> bool:
    """Tell whether an actor name is a side (state forces, militia, civilians...), not a group.

    Parameters
    ----------
    name : str

    Returns
    -------
    bool
    """
    return side_of(name) != ""


# ACLED inter codes that are sides, not armed groups (codebook: 1 state forces, 5 rioters,
# 6 protesters, 7 civilians, 8 external/other forces).
INTER_SIDES = {
    "1": "state forces",
    "state forces": "state forces",
    "5": "civilians and others",
    "rioters": "civilians and others",
    "6": "civilians and others",
    "protesters": "civilians and others",
    "7": "civilians and others",
    "civilians": "civilians and others",
    "8": "external/other forces",
    "external/other forces": "external/other forces",
}


def classify_actor(name: str, registry: GroupRegistry, inter: str = "") -> tuple[str, str]:
    """Map one actor as written to a canonical group, or to the side it is.

    Parameters
    ----------
    name : str
        As written.
    registry : GroupRegistry
    inter : str
        ACLED's inter code or label for this actor, when the file has one.

    Returns
    -------
    tuple of str
        ``(group, side)``: exactly one is non-empty. ``group`` is the canonical name (or the
        name as written when the registry does not know it).
    """
    side = INTER_SIDES.get(inter.strip().casefold(), "") or side_of(name)
    if side:
        return "", side
    return canonical_actor(name, registry), ""


def map_actors(
    columns: Sequence[pd.Series],
    registry: GroupRegistry,
    inters: Sequence[pd.Series] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map each row's actors to groups and sides, and log what each spelling became.

    Parameters
    ----------
    columns : sequence of pandas.Series of str
        The actor columns, same index (each cell may hold several names separated by ``;``).
    registry : GroupRegistry
    inters : sequence of pandas.Series of str, optional
        ACLED's inter code of each actor column (same length as ``columns``).

    Returns
    -------
    tuple of numpy.ndarray of object
        Per row: ``groups`` (canonical names joined by ``"; "``, ``"Unidentified"`` when
        none), ``sides`` (the sides' names as written, joined by ``"; "``) and the mapping log
        ``[(as written, group or "side: <kind>"), ...]``, shared by rows of one combination.
    """
    index = columns[0].index
    inters = list(inters) if inters is not None else [pd.Series("", index=index)] * len(columns)
    parts = [*columns, *inters]
    # Real exports repeat a few thousand actor combinations over many rows: map each once.
    which, first_rows = combination_codes(parts)
    mapped = []
    for row in first_rows:
        written = tuple(str(part.iloc[row]) for part in parts)
        mapped.append(_map_row_actors(written[: len(columns)], written[len(columns) :], registry))
    # Rows of one combination share its strings and its log (nothing changes a log in place):
    # copying a log per row took 1.6 s of a million-row import (measured).
    groups, sides, logs = (np.empty(len(mapped), dtype=object) for _ in range(3))
    for at, (group, side, log) in enumerate(mapped):  # element by element: lists stay whole
        groups[at], sides[at], logs[at] = group, side, log
    return groups[which], sides[which], logs[which]


def _map_row_actors(
    cells: tuple[str, ...], codes: tuple[str, ...], registry: GroupRegistry
) -> tuple[str, str, list[tuple[str, str]]]:
    """One row's groups, sides and mapping log (see :func:`map_actors`)."""
    named, other, log = [], [], []
    for cell, code in zip(cells, codes, strict=True):
        for part in cell.split(";"):
            if not part.strip():
                continue
            group, side = classify_actor(part, registry, code)
            log.append((part.strip(), group or f"side: {side}"))
            (named if group else other).append(group or part.strip())
    identified = [g for g in named if g != UNIDENTIFIED]
    group = registry.normalise(GROUP_SEPARATOR.join(identified or named))
    return group, GROUP_SEPARATOR.join(dict.fromkeys(other)), log


def source_record(
    publisher: str = "", title: str = "", date: str = "", url: str = ""
) -> dict[str, str]:
    """Return one source in the schema's publisher/title/date/url form.

    Parameters
    ----------
    publisher, title, date, url : str

    Returns
    -------
    dict
    """
    return {"publisher": publisher, "title": title, "date": date, "url": url}


def first_url(value: str) -> str:
    """Return the first http(s) URL in a text, without trailing punctuation, or ``""``."""
    match = URL.search(value)
    return match.group(0).rstrip(".)]") if match else ""


def prefixed_ids(prefix: str, ids: pd.Series) -> pd.Series:
    """Prefix source ids (``ACLED:PAK1234``); ``""`` where the source gives none.

    Rows left without an id get ``PREFIX:<file>:line-<n>`` when the import finishes (see
    :func:`geo.importers._finish.finish`): unique within and across files, and traceable.

    Parameters
    ----------
    prefix : str
    ids : pandas.Series of str

    Returns
    -------
    pandas.Series of str
    """
    return (prefix + ":" + ids).where(ids != "", "")


TRUE_WORDS = {"1", "true", "yes", "y", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "f"}


def yes_no(values: pd.Series, *, unknown: Iterable[float] = (-9, -99)) -> pd.Series:
    """Read a yes/no column however it is written: ``1``, ``1.0``, ``True``, ``yes``, ``0``...

    Parameters
    ----------
    values : pandas.Series of str
    unknown : iterable of float
        Codes meaning "unknown" (GTD: -9).

    Returns
    -------
    pandas.Series of object
        True, False or None (blank, unknown code or anything else).
    """
    folded = values.astype(str).str.strip().str.casefold()
    number = numbers(folded)
    known_number = number.notna() & ~number.isin(list(unknown))
    result = pd.Series(None, index=values.index, dtype=object)
    result[folded.isin(TRUE_WORDS) | (known_number & (number == 1))] = True
    result[folded.isin(FALSE_WORDS) | (known_number & (number == 0))] = False
    return result


def join_notes(*parts: pd.Series) -> pd.Series:
    """Join note Series with ``"; "``, skipping empty parts.

    Parameters
    ----------
    *parts : pandas.Series of str
        Same index.

    Returns
    -------
    pandas.Series of str
    """
    if not parts:
        raise ValueError("join_notes needs at least one Series")
    joined = np.full(len(parts[0]), "", dtype=object)
    for part in parts:
        values = part.to_numpy(dtype=object)
        # Only the rows with a note are touched: most parts are empty on most rows, and
        # concatenating a million empty strings was most of an import's note-keeping.
        rows = np.flatnonzero(_has_note(part, values))
        if not rows.size:
            continue
        notes, before = values[rows], joined[rows]
        joined[rows] = np.where(before != "", before + "; " + notes, notes)
    return pd.Series(joined, index=parts[0].index, dtype=object)


def _has_note(part: pd.Series, values: np.ndarray) -> np.ndarray:
    """Per row, whether ``part`` holds a non-empty string (vectorised for string columns)."""
    if isinstance(part.dtype, pd.StringDtype):
        return part.str.len().fillna(0).to_numpy(dtype="int64") > 0
    return _IS_NOTE(values).astype(bool)


def _is_note(value: object) -> bool:
    return isinstance(value, str) and bool(value)


_IS_NOTE = np.frompyfunc(_is_note, 1, 1)


UNNAMED_PLACE = "unnamed place"


def fallback(*columns: pd.Series) -> pd.Series:
    """Return, row by row, the first non-empty value, or ``"unnamed place"``.

    Parameters
    ----------
    *columns : pandas.Series of str
        Same index, in order of preference.

    Returns
    -------
    pandas.Series of str
    """
    result = columns[0]
    for column in columns[1:]:
        result = result.where(result != "", column)
    return result.where(result != "", UNNAMED_PLACE)


def counts(
    frame: pd.DataFrame, column: str, *, unknown: Iterable[float] = ()
) -> tuple[pd.Series, pd.Series]:
    """Parse a count column, saying which values are neither blank, unknown nor a count.

    Parameters
    ----------
    frame : pandas.DataFrame
    column : str
        Absent columns give all-NaN counts.
    unknown : iterable of float
        Codes meaning "unknown".

    Returns
    -------
    tuple of pandas.Series
        The counts (float, NaN when unknown) and the reason (``""`` when fine).
    """
    raw = text(frame, column)
    parsed = numbers(raw)
    coded = parsed.isin(list(unknown))
    values = parsed.where(~coded)
    bad = (raw != "") & values.isna() & ~coded
    negative = values < 0
    # 1e20 or inf is no count of people (and would overflow the schema's integers).
    huge = ~negative & ~(values <= MAX_COUNT) & values.notna()
    reason = first_reason(
        described(bad, column + " {!r} is not a number", raw),
        described(negative, column + " {!r} is negative", raw),
        described(huge, column + " {!r} is over " + f"{MAX_COUNT:,}, not a count", raw),
    )
    return values.where(~negative & ~huge), reason


def bounds(stamps: pd.Series, precision: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return the first and last instant an incident may cover, from a date and its precision.

    Parameters
    ----------
    stamps : pandas.Series of datetime64
        The date (or date-time) as given.
    precision : pandas.Series of str
        ``hour``, ``day``, ``week`` (the seven days centred on the date), ``month`` (the
        calendar month) or ``year`` (the calendar year).

    Returns
    -------
    tuple of pandas.Series
        ``start`` and ``end``.
    """
    day = stamps.dt.normalize()
    month = stamps.dt.to_period("M").dt.start_time
    year = stamps.dt.to_period("Y").dt.start_time
    hour = stamps.dt.floor("h")
    starts = {"hour": stamps, "day": day, "week": day - 3 * ONE_DAY, "month": month, "year": year}
    ends = {
        "hour": hour + pd.Timedelta(hours=1) - ONE_SECOND,
        "day": day + ONE_DAY - ONE_SECOND,
        "week": day + 4 * ONE_DAY - ONE_SECOND,
        "month": stamps.dt.to_period("M").dt.end_time.dt.floor("s"),
        "year": stamps.dt.to_period("Y").dt.end_time.dt.floor("s"),
    }
    start = pd.Series(pd.NaT, index=stamps.index, dtype="datetime64[ns]")
    end = start.copy()
    for level in starts:
        chosen = precision == level
        start = start.where(~chosen, starts[level].astype("datetime64[ns]"))
        end = end.where(~chosen, ends[level].astype("datetime64[ns]"))
    return start, end
