"""Incident filters: each a pure function returning a boolean mask, and the filter state.

:class:`IncidentFilter` holds everything an analyst chose. It round-trips through a URL query
string (:meth:`IncidentFilter.to_query` / :meth:`IncidentFilter.from_query`) and through the
metadata of an exported snapshot, so a view can be bookmarked, shared and reopened exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.compact import as_text
from geo.groups import GroupRegistry
from geo.railway import BASIS_IMPRECISE
from geo.schema import COUNTRY_PRECISION, split_groups

TEXT_SEARCH_COLUMNS = (
    "incident_id",
    "summary",
    "place",
    "district",
    "groups",
    "group_detail",
    "claimed_by",
    "target",
    "attack_detail",
)


def time_window_mask(incidents: pd.DataFrame, start: date | None, end: date | None) -> pd.Series:
    """Select incidents whose interval overlaps the window (both ends inclusive).

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``start`` and ``end`` timestamps (``end`` is the last instant covered).
    start, end : datetime.date or None
        Window bounds; None leaves that side open.

    Returns
    -------
    pandas.Series of bool
    """
    mask = pd.Series(True, index=incidents.index)
    if start is not None:
        mask &= incidents["end"] >= pd.Timestamp(start)
    if end is not None:
        mask &= incidents["start"] < pd.Timestamp(end) + pd.Timedelta(days=1)
    return mask


def groups_mask(
    incidents: pd.DataFrame,
    groups: Iterable[str],
    *,
    registry: GroupRegistry | None = None,
    include_affiliates: bool = False,
) -> pd.Series:
    """Select incidents attributed to any of ``groups`` (all incidents when empty).

    Parameters
    ----------
    incidents : pandas.DataFrame
        With a ``groups`` column of canonical names joined by ``"; "``.
    groups : iterable of str
        Canonical names.
    registry : GroupRegistry, optional
        Needed with ``include_affiliates``.
    include_affiliates : bool
        Also match factions and wings of the chosen groups (``TTP`` matches ``JuA``).

    Returns
    -------
    pandas.Series of bool
    """
    wanted = list(groups)
    if not wanted:
        return pd.Series(True, index=incidents.index)
    if include_affiliates:
        if registry is None:
            msg = "include_affiliates needs the group registry"
            raise ValueError(msg)
        wanted = registry.with_affiliates(wanted)
    wanted_set = set(wanted)
    # Each distinct cell (there are few: single groups and some pairs) is split once.
    codes, cells = pd.factorize(incidents["groups"], use_na_sentinel=False)
    matches = np.array(
        [not wanted_set.isdisjoint(split_groups(cell)) for cell in cells], dtype=bool
    )
    return pd.Series(matches[codes], index=incidents.index, dtype=bool)


def values_mask(incidents: pd.DataFrame, column: str, values: Iterable[str]) -> pd.Series:
    """Select incidents whose ``column`` is one of ``values`` (all incidents when empty)."""
    chosen = list(values)
    if not chosen:
        return pd.Series(True, index=incidents.index)
    return incidents[column].isin(chosen)


def min_fatalities_mask(incidents: pd.DataFrame, minimum: int) -> pd.Series:
    """Select incidents whose highest reported fatality figure is at least ``minimum``.

    With ``minimum`` 0 every incident matches, including those with no figure.
    """
    if minimum <= 0:
        return pd.Series(True, index=incidents.index)
    return incidents["fatalities_high"].fillna(-1).astype("int64") >= minimum


def text_mask(incidents: pd.DataFrame, query: str) -> pd.Series:
    """Select incidents where every word of ``query`` occurs in the searchable text.

    The search is case-insensitive over summary, place, district, groups, claims, target and id;
    quoted phrases (``"jaffar express"``) are matched whole.
    """
    terms = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', query)]
    if not terms:
        return pd.Series(True, index=incidents.index)
    arrays = [_arrow_text(incidents[column]) for column in TEXT_SEARCH_COLUMNS]
    mask = pd.Series(True, index=incidents.index)
    if all(array is not None for array in arrays):
        # The same joined, lower-cased text as below, built by Arrow kernels in one pass.
        joined = pc.binary_join_element_wise(*arrays, pa.scalar(" ", pa.large_string()))
        lowered = pc.utf8_lower(joined)
        for term in terms:
            found = pc.match_substring(lowered, term.lower())
            mask &= found.to_numpy(zero_copy_only=False).astype(bool)
        return mask
    # Columns joined with spaces, column-wise (vectorised) rather than row by row.
    columns = [incidents[column].astype(str) for column in TEXT_SEARCH_COLUMNS]
    haystack = columns[0]
    for text in columns[1:]:
        haystack = haystack + " " + text
    haystack = haystack.str.lower()
    for term in terms:
        mask &= haystack.str.contains(term.lower(), regex=False)
    return mask


def _arrow_text(column: pd.Series) -> pa.Array | None:
    """Return a text column as an Arrow ``large_string`` array (None if it has missing values).

    Text stored in Arrow is taken as it is; text held as categories is expanded by Arrow.
    """
    if column.isna().any():
        return None
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        array = pa.array(column).dictionary_decode()
    elif isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        array = pa.array(column)
    else:
        return None
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    return array.cast(pa.large_string())


def on_map_mask(incidents: pd.DataFrame) -> pd.Series:
    """Select incidents that have a location to draw (not located only to the country).

    Parameters
    ----------
    incidents : pandas.DataFrame
        With a ``geo_precision`` column.

    Returns
    -------
    pandas.Series of bool
        False for rows whose ``geo_precision`` is ``"country"``: their point is the country's,
        not a place, so they count in totals and the timeline but are not drawn and no spatial
        filter selects them.
    """
    if "geo_precision" not in incidents:
        return pd.Series(True, index=incidents.index)
    return as_text(incidents["geo_precision"]) != COUNTRY_PRECISION


def not_drawn_note(incidents: pd.DataFrame) -> str:
    """Say how many incidents are not drawn on the map and why (``""`` when all are).

    Parameters
    ----------
    incidents : pandas.DataFrame
        The selection shown.

    Returns
    -------
    str
        Plain text for the page, e.g. ``"3 of these incidents are located only to the country
        (the source gives no place): they count in the totals and the timeline but are not
        drawn on the map."``
    """
    hidden = int((~on_map_mask(incidents)).sum())
    if not hidden:
        return ""
    these = "this incident is" if hidden == 1 else f"{hidden:,} of these incidents are"
    they = "it counts" if hidden == 1 else "they count"
    return (
        f"{these[0].upper()}{these[1:]} located only to the country (the source gives no place): "
        f"{they} in the totals and the timeline but {'is' if hidden == 1 else 'are'} not drawn "
        "on the map."
    )


def bbox_mask(
    incidents: gpd.GeoDataFrame, bbox: tuple[float, float, float, float] | None
) -> pd.Series:
    """Select incidents inside ``(west, south, east, north)`` in degrees (all when None).

    Rows located only to the country are never inside a box (see :func:`on_map_mask`).
    """
    if bbox is None:
        return pd.Series(True, index=incidents.index)
    west, south, east, north = bbox
    x, y = incidents.geometry.x, incidents.geometry.y
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return inside & on_map_mask(incidents)


def near_rail_mask(
    incidents: pd.DataFrame, max_km: float | None, *, include_possible: bool = True
) -> pd.Series:
    """Select incidents within ``max_km`` of a rail line (all when None).

    Uses the columns computed by :func:`geo.analysis.enrich` (see
    :func:`geo.railway.locate_incidents`). An incident placed by its stated site or by a
    precise point is near when its distance is at most ``max_km``. An imprecise point (a town
    or area point, ``rail_basis`` ``imprecise point``) is only *possibly* near: its site may be
    ``rail_uncertainty_km`` from the point, so it counts when the line could be within
    ``max_km`` of the site, and only if ``include_possible``. Rows without a rail distance
    (province-level points, and rows located only to the country) are never near.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Enriched incidents; frames without ``rail_basis`` are treated as precise points.
    max_km : float or None
        Distance limit in km.
    include_possible : bool
        Whether incidents that are only possibly near count.

    Returns
    -------
    pandas.Series of bool
    """
    if max_km is None:
        return pd.Series(True, index=incidents.index)
    if "rail_distance_km" not in incidents:
        msg = "near_rail_mask needs rail_distance_km; run geo.analysis.enrich first"
        raise ValueError(msg)
    distance = incidents["rail_distance_km"].astype(float)
    if "rail_basis" not in incidents:
        return distance <= max_km
    imprecise = as_text(incidents["rail_basis"]) == BASIS_IMPRECISE
    definite = ~imprecise & (distance <= max_km)
    if not include_possible:
        return definite
    uncertainty = incidents["rail_uncertainty_km"].astype(float).fillna(0.0)
    return definite | (imprecise & (distance - uncertainty <= max_km))


@dataclass(frozen=True)
class IncidentFilter:
    """Everything an analyst can filter on. The default matches every incident."""

    start: date | None = None
    end: date | None = None
    groups: tuple[str, ...] = ()
    include_affiliates: bool = True
    event_types: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    min_fatalities: int = 0
    text: str = ""
    bbox: tuple[float, float, float, float] | None = None
    rail_km: float | None = None
    rail_possible: bool = True
    flagged_only: bool = False
    datasets: tuple[str, ...] = field(default=())

    def mask(self, incidents: gpd.GeoDataFrame, registry: GroupRegistry) -> pd.Series:
        """Return the combined boolean mask of every filter.

        Parameters
        ----------
        incidents : geopandas.GeoDataFrame
            Enriched incidents (see :func:`geo.analysis.enrich`) when ``rail_km`` or
            ``flagged_only`` is set.
        registry : GroupRegistry
            To expand groups to their affiliates.

        Returns
        -------
        pandas.Series of bool
        """
        mask = time_window_mask(incidents, self.start, self.end)
        mask &= groups_mask(
            incidents,
            self.groups,
            registry=registry,
            include_affiliates=self.include_affiliates,
        )
        mask &= values_mask(incidents, "event_type", self.event_types)
        mask &= values_mask(incidents, "province", self.provinces)
        mask &= values_mask(incidents, "dataset", self.datasets)
        mask &= min_fatalities_mask(incidents, self.min_fatalities)
        mask &= text_mask(incidents, self.text)
        mask &= bbox_mask(incidents, self.bbox)
        mask &= near_rail_mask(incidents, self.rail_km, include_possible=self.rail_possible)
        if self.flagged_only:
            mask &= as_text(incidents["flags"]) != ""
        return mask

    def apply(self, incidents: gpd.GeoDataFrame, registry: GroupRegistry) -> gpd.GeoDataFrame:
        """Return the incidents that pass every filter."""
        return incidents[self.mask(incidents, registry).to_numpy(dtype=bool)]

    def to_dict(self) -> dict[str, object]:
        """Return the non-default settings as JSON-ready values (for snapshot metadata)."""
        default = IncidentFilter()
        out: dict[str, object] = {}
        for name, value in asdict(self).items():
            if value == getattr(default, name):
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out

    def to_query(self) -> dict[str, str]:
        """Return the non-default settings as URL query parameters (lists comma-separated)."""
        query = {}
        for name, value in self.to_dict().items():
            if isinstance(value, list):
                query[name] = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                query[name] = "1" if value else "0"
            else:
                query[name] = str(value)
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, object]) -> IncidentFilter:
        """Build a filter from URL query parameters or snapshot metadata.

        Parameters
        ----------
        query : mapping
            Values as strings (from a URL) or JSON values (from a snapshot). Unknown keys are
            ignored so other parameters can share the URL.

        Returns
        -------
        IncidentFilter

        Raises
        ------
        ValueError
            Naming the parameter and the bad value.
        """
        known = {f.name for f in fields(cls)}
        values: dict[str, object] = {}
        for name, raw in query.items():
            if name in known:
                values[name] = _parse_field(name, raw)
        return cls(**values)

    @classmethod
    def from_query_lenient(cls, query: Mapping[str, object]) -> tuple[IncidentFilter, list[str]]:
        """Build a filter from the valid parameters of a link, and say what was left out.

        One bad value (``rail_km=lots``) leaves out only that parameter; every valid one is
        kept. Unknown keys are ignored (other parts of the app share the URL).

        Parameters
        ----------
        query : mapping
            As for :meth:`from_query`; a value that is not a string, list, number or bool (e.g.
            a dict in a snapshot's metadata) is left out too.

        Returns
        -------
        tuple of (IncidentFilter, list of str)
            The filter and one problem per parameter left out, naming it, its value and what
            was expected.
        """
        if not isinstance(query, Mapping):
            kind = type(query).__name__
            return cls(), [f"filters must be a mapping of names to values, not a {kind}"]
        known = {f.name for f in fields(cls)}
        values: dict[str, object] = {}
        problems: list[str] = []
        for name, raw in query.items():
            if name not in known:
                continue
            try:
                if not isinstance(raw, str | int | float | bool | list | tuple):
                    msg = f"filter {name} is a {type(raw).__name__} ({_EXPECTED[name]})"
                    raise ValueError(msg)
                values[name] = _parse_field(name, raw)
            except ValueError as error:
                problems.append(_short(str(error), name, raw))
        if "start" in values and "end" in values and values["start"] > values["end"]:
            problems.append(
                f"filter start={values['start']} is after end={values['end']}; the two were swapped"
            )
            values["start"], values["end"] = values["end"], values["start"]
        return cls(**values), problems


def _short(message: str, name: str, raw: object) -> str:
    """Return a problem message with the bad value cut to a readable length."""
    shown = repr(raw)
    if len(shown) <= 200:
        return message if message.startswith("filter ") else f"filter {name}: {message}"
    cut = f"{shown[:200]}… [{len(shown):,} characters]"
    return f"filter {name}={cut} is not valid ({_EXPECTED[name]})"


def _as_list(raw: object) -> list[str]:
    if isinstance(raw, list | tuple):
        return [str(v) for v in raw]
    return [part for part in str(raw).split(",") if part != ""]


def _parse_field(name: str, raw: object) -> object:
    """Parse one query parameter, raising ValueError with the name and value when bad."""
    try:
        if name in ("start", "end"):
            return date.fromisoformat(str(raw))
        if name in ("groups", "event_types", "provinces", "datasets"):
            return tuple(_as_list(raw))
        if name in ("include_affiliates", "flagged_only", "rail_possible"):
            if isinstance(raw, bool):
                return raw
            if str(raw) not in ("0", "1", "true", "false"):
                raise ValueError
            return str(raw) in ("1", "true")
        if name == "min_fatalities":
            value = int(str(raw))
            if value < 0:
                raise ValueError
            return value
        if name == "rail_km":
            value = float(str(raw))
            if not np.isfinite(value) or value < 0:
                raise ValueError
            return value
        if name == "bbox":
            west, south, east, north = (float(v) for v in _as_list(raw))
            if not (west <= east and south <= north):
                raise ValueError
            return (west, south, east, north)
        return str(raw)
    except ValueError as error:
        msg = f"filter {name}={raw!r} is not valid ({_EXPECTED[name]})"
        raise ValueError(msg) from error


_EXPECTED = {
    "start": "expected a date YYYY-MM-DD",
    "end": "expected a date YYYY-MM-DD",
    "groups": "expected comma-separated names",
    "event_types": "expected comma-separated names",
    "provinces": "expected comma-separated names",
    "datasets": "expected comma-separated names",
    "include_affiliates": "expected 0 or 1",
    "flagged_only": "expected 0 or 1",
    "rail_possible": "expected 0 or 1",
    "min_fatalities": "expected a whole number ≥ 0",
    "rail_km": "expected a number of km ≥ 0",
    "bbox": "expected west,south,east,north in degrees",
    "text": "expected text",
}
