"""The railway as an axis: incidents along one line by km post and time.

A corridor is one drawn rail line; its incidents are those whose nearest line it is and that lie
near it (the same rule as the sidebar's rail filter, :func:`geo.filters.near_rail_mask`), each at
its km post (:func:`geo.railway.locate_incidents`, from the site the source states where there is
one). A *window* is a km range and a period on that line, as an analyst brushes it in the
corridor chart; it filters the incidents everywhere else.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.compact import among, as_text
from geo.filters import near_rail_mask
from geo.railway import BASIS_IMPRECISE
from geo.schema import split_groups

CORRIDOR_COLUMNS = [
    "incident_id",
    "km",
    "km_uncertainty",
    "start",
    "start_text",
    "group",
    "colour",
    "precise",
    "basis",
    "distance_km",
    "place",
    "killed",
]
STATION_COLUMNS = ["station", "km", "labelled"]
UNKNOWN_COLOUR = "#6b6b6b"


def line_incident_counts(incidents: pd.DataFrame, max_km: float) -> pd.Series:
    """Return how many incidents lie near each line, most first.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Enriched incidents (``nearest_line``, ``rail_distance_km``, ...).
    max_km : float
        Distance limit, as in :func:`geo.filters.near_rail_mask`.

    Returns
    -------
    pandas.Series
        Count per line name; lines without an incident are absent.
    """
    lines = incidents["nearest_line"]
    named = (lines.fillna("") != "").to_numpy(dtype=bool)
    return lines[near_rail_mask(incidents, max_km).to_numpy(dtype=bool) & named].value_counts()


_CORRIDOR_SOURCE_COLUMNS = (
    "incident_id",
    "rail_km_post",
    "rail_uncertainty_km",
    "rail_basis",
    "rail_distance_km",
    "start",
    "groups",
    "place",
    "fatalities_high",
)


def _iso_seconds(times: pd.Series) -> pd.Series:
    """Format times as ``2025-03-11T13:00:00Z`` (as ``strftime``, without a call per row)."""
    values = times.to_numpy(dtype="datetime64[s]")
    return pd.Series(
        np.datetime_as_string(values, unit="s", timezone="UTC"), index=times.index, dtype=object
    )


def corridor_incidents(
    incidents: pd.DataFrame,
    line: str,
    colours: dict[str, str],
    *,
    max_km: float,
    include_possible: bool = True,
) -> pd.DataFrame:
    """Return the incidents near ``line``, one row each, placed by km post and time.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Enriched incidents (see :func:`geo.analysis.enrich`).
    line : str
        A rail line name (``nearest_line`` value).
    colours : dict
        Colour per canonical group, as on the map (:func:`layers.style.group_colours`); an
        incident takes the colour of its first group.
    max_km : float
        How far from the line an incident may be.
    include_possible : bool
        Whether incidents only possibly near (imprecise points) are included.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CORRIDOR_COLUMNS`, sorted by start: ``km`` the km post, ``km_uncertainty``
        how far along the track the site may be from it, ``start_text`` the start as an ISO
        string (for charts), ``precise`` False for imprecise points.
    """
    if max_km < 0 or math.isnan(max_km):
        msg = f"max_km must be a distance of 0 km or more, got {max_km!r}"
        raise ValueError(msg)
    near = near_rail_mask(incidents, max_km, include_possible=include_possible)
    wanted = near & (incidents["nearest_line"] == line) & incidents["rail_km_post"].notna()
    # Only the columns used here: a selection can hold a million rows of every column.
    used = [c for c in _CORRIDOR_SOURCE_COLUMNS if c in incidents]
    chosen = incidents.loc[wanted.to_numpy(dtype=bool), used].sort_values("start", kind="stable")
    cells, distinct = pd.factorize(as_text(chosen["groups"]))
    firsts = np.array([(split_groups(c) or ["Unidentified"])[0] for c in distinct], dtype=object)
    groups = pd.Series(firsts[cells] if len(cells) else [], index=chosen.index, dtype=object)
    basis = chosen.get("rail_basis", pd.Series("point", index=chosen.index)).astype(str)
    uncertainty = chosen.get("rail_uncertainty_km", pd.Series(0.0, index=chosen.index))
    out = pd.DataFrame(
        {
            "incident_id": chosen["incident_id"].astype(str),
            "km": chosen["rail_km_post"].astype(float).round(1),
            "km_uncertainty": uncertainty.astype(float).fillna(0.0),
            "start": chosen["start"],
            "start_text": _iso_seconds(chosen["start"]),
            "group": groups,
            "colour": groups.map(colours).astype(object).fillna(UNKNOWN_COLOUR),
            "precise": basis != BASIS_IMPRECISE,
            "basis": basis,
            "distance_km": chosen["rail_distance_km"].astype(float).round(1),
            "place": chosen["place"].astype(str),
            "killed": chosen["fatalities_high"],
        }
    )
    return out[CORRIDOR_COLUMNS].reset_index(drop=True)


def corridor_stations(
    stations: gpd.GeoDataFrame,
    line: str,
    *,
    min_label_gap_km: float,
    prefer: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return the stations of ``line`` by km post, labelling those that fit.

    Labels are chosen greedily so no two labelled stations are closer than
    ``min_label_gap_km``: first the stations in ``prefer`` (the ones incidents are near), then
    junctions and stations with a sourced coordinate, then the rest, each group in km order.

    Parameters
    ----------
    stations : geopandas.GeoDataFrame
        Stations with ``line``, ``station``, ``km`` and ``placement``.
    line : str
        Line name.
    min_label_gap_km : float
        Smallest km gap between two labelled stations (the chart's width in km per label).
    prefer : tuple of str
        Station names to label first.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATION_COLUMNS`, in km order; every station is a tick, ``labelled``
        says which carry their name.
    """
    on_line = stations[(stations["line"] == line) & stations["km"].notna()]
    table = pd.DataFrame(
        {
            "station": on_line["station"].astype(str),
            "km": on_line["km"].astype(float),
            "placement": on_line.get("placement", pd.Series("", index=on_line.index)).astype(str),
        }
    ).sort_values("km", kind="stable")

    def priority(row: pd.Series) -> int:
        if row["station"] in prefer:
            return 0
        if "Junction" in row["station"] or row["placement"] == "sourced coordinate":
            return 1
        return 2

    table["priority"] = table.apply(priority, axis=1) if len(table) else []
    labelled: list[float] = []
    keep = []
    for index, row in table.sort_values(["priority", "km"], kind="stable").iterrows():
        if all(abs(row["km"] - km) >= min_label_gap_km for km in labelled):
            labelled.append(row["km"])
            keep.append(index)
    table["labelled"] = table.index.isin(keep)
    return table[STATION_COLUMNS].reset_index(drop=True)


def nearest_stations(incident_kms: pd.Series, stations: pd.DataFrame) -> tuple[str, ...]:
    """Return the station nearest each km post (to label the stretches that are hit)."""
    if stations.empty or incident_kms.empty:
        return ()
    # Each distinct km post once (the first station listed there), in km order.
    posts = stations.reset_index(drop=True).drop_duplicates("km").sort_values("km", kind="stable")
    kms = posts["km"].to_numpy(dtype=float)
    listed = posts.index.to_numpy()  # position in the stations table, to break ties as listed
    wanted = incident_kms.to_numpy(dtype=float)
    right = np.clip(np.searchsorted(kms, wanted), 0, len(kms) - 1)
    left = np.clip(right - 1, 0, len(kms) - 1)
    gap_left, gap_right = np.abs(kms[left] - wanted), np.abs(kms[right] - wanted)
    take_left = (gap_left < gap_right) | ((gap_left == gap_right) & (listed[left] <= listed[right]))
    nearest = np.where(take_left, left, right)
    return tuple(dict.fromkeys(posts["station"].to_numpy()[nearest].tolist()))


@dataclass(frozen=True)
class CorridorWindow:
    """A km range and a period on one line, brushed in the corridor chart.

    Parameters
    ----------
    line : str
        Line name.
    km_from, km_to : float or None
        Km range (both None: the whole line).
    start, end : pandas.Timestamp or None
        Period (both None: all time).
    incident_ids : tuple of str
        Incidents of the corridor inside the window.
    """

    line: str
    km_from: float | None
    km_to: float | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    incident_ids: tuple[str, ...]

    def describe(self) -> str:
        """Return the window in words, e.g. ``"ML-3 km 240–381, 2024-01-01 to 2025-03-31"``."""
        parts = [self.line]
        if self.km_from is not None and self.km_to is not None:
            parts.append(f"km {self.km_from:.0f}–{self.km_to:.0f}")
        text = " ".join(parts)
        if self.start is not None and self.end is not None:
            text += f", {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"
        return text

    def key(self) -> str:
        """Return a short stable key of the window's incidents (for caches)."""
        digest = hashlib.sha256("\n".join(self.incident_ids).encode()).hexdigest()[:16]
        return f"{self.describe()}|{digest}"

    def apply(self, incidents: pd.DataFrame) -> pd.DataFrame:
        """Return the rows of ``incidents`` that are in this window."""
        return incidents[self.holds(incidents["incident_id"])]

    def holds(self, incident_ids: pd.Series) -> np.ndarray:
        """Return, for each of ``incident_ids``, whether that incident is in this window."""
        return among(incident_ids, self.incident_ids)


def _as_timestamp(value: object) -> pd.Timestamp:
    """Read a chart's time value: epoch milliseconds (Vega-Lite) or an ISO string."""
    if isinstance(value, int | float):
        return pd.Timestamp(value, unit="ms")
    stamp = pd.Timestamp(str(value))
    return stamp.tz_convert(None) if stamp.tzinfo is not None else stamp


def window_from_brush(
    corridor: pd.DataFrame, line: str, brush: dict[str, list[object]]
) -> CorridorWindow | None:
    """Return the window an interval selection describes, or None if it is empty or malformed.

    Parameters
    ----------
    corridor : pandas.DataFrame
        As returned by :func:`corridor_incidents`.
    line : str
        The line the corridor is drawn for.
    brush : dict
        The selection's ranges by field: ``{"km": [a, b], "start_text": [t0, t1]}`` (either may
        be missing; times in epoch milliseconds or ISO strings).

    Returns
    -------
    CorridorWindow or None
    """
    if not isinstance(brush, dict) or not brush:
        return None
    mask = pd.Series(True, index=corridor.index)
    km_from = km_to = start = end = None
    try:
        if "km" in brush:
            km_from, km_to = sorted(float(v) for v in brush["km"])
            mask &= corridor["km"].between(km_from, km_to)
        if "start_text" in brush:
            start, end = sorted(_as_timestamp(v) for v in brush["start_text"])
            mask &= corridor["start"].between(start, end)
    except (TypeError, ValueError):
        return None
    if km_from is None and start is None:
        return None
    ids = tuple(corridor.loc[mask, "incident_id"])
    return CorridorWindow(line, km_from, km_to, start, end, ids)
