"""One event, many reports: match incidents across datasets and count each event once.

The method follows record linkage (index/block, compare, classify) as MELTT applies it to
conflict events (Donnay, Dunford, McGrath, Backer and Cunningham, "Integrating Conflict Event
Data", Journal of Conflict Resolution 63(5), 2019):

1. **Candidates** (:func:`candidate_pairs`): two rows of *different* datasets are candidates when
   their date intervals (``start``..``end``, which already carry the date precision) overlap
   after widening by ``tolerance_days``, and their points are within the sum of both sides'
   location radii (:data:`RADIUS_KM`: exact 2 km, near 10 km, district 50 km, province 250 km).
   Rows are sorted by start and cut into time blocks; within a block an STRtree per precision
   class (points in EPSG:32642) answers the distance queries, so work grows with the number of
   nearby, contemporaneous rows, never with all pairs.
2. **Compare** (:func:`compare`): time, distance, event type (:mod:`geo.taxonomy`), actors
   (:mod:`geo.groups`) and place names (:mod:`geo.places`) each give a value in [0, 1] with a
   reason; the score is their weighted mean.
3. **Cluster** (:func:`match_incidents`): pairs at or above ``threshold`` are joined greedily,
   best first, into events. A join is refused when it would chain: every two rows of different
   datasets in an event must be within each other's windows, and two rows of one dataset only
   share an event when a multi-day report of another dataset covers both (the Mach attack of
   January 2024: one two-day report, several one-day rows of another dataset). Rows of one
   dataset are never paired directly (GTD's coordinated attacks are separate events by
   design) unless an analyst joins them.

Rows located only to the country (``geo_precision`` ``"country"``, or any precision without a
radius) are matched on time, actor and type only: they need a named group shared with the other
side (or its parent/faction), a compatible type and dates within the tolerance, and exactly one
report that fits; their distance counts as neutral. A pair with a province-level point and a
date known only to more than a week needs the same named group and compatible type.

Analysts' decisions (:class:`Decision`: confirm, reject, join) are applied on top, keyed by
incident ids, so they apply again whenever the same files are loaded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache, cached_property
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.compact import among, per_distinct_pair
from geo.groups import UNIDENTIFIED, GroupRegistry
from geo.places import PlaceNames
from geo.schema import METRIC_CRS, split_groups
from geo.taxonomy import categorise, compatibility

RADIUS_KM: Mapping[str, float] = {"exact": 2.0, "near": 10.0, "district": 50.0, "province": 250.0}
PRECISION_RANK = {"exact": 0, "near": 1, "district": 2, "province": 3, "country": 4}
WEIGHTS: Mapping[str, float] = {
    "time": 0.25,
    "space": 0.25,
    "type": 0.2,
    "actor": 0.2,
    "place": 0.1,
}
# Group names that say nobody was named (not a group to match on).
UNNAMED_WORDS = ("unidentified", "unknown", "unclaimed", "separatist", "militants", "gunmen")
PAIR_COLUMNS = (
    "first_id",
    "second_id",
    "first_dataset",
    "second_dataset",
    "score",
    "reasons",
    "cluster_id",
    "decision",
)
NS_PER_DAY = 86_400 * 10**9
BLOCK_DAYS = 2
LONG_DAYS = 7
# Pair scores are rounded to this many decimals (the step below) before the threshold.
SCORE_DECIMALS = 3
SCORE_ROUNDING = 10.0**-SCORE_DECIMALS


@dataclass(frozen=True)
class MatchSettings:
    """The windows and the threshold of a matching run.

    Attributes
    ----------
    tolerance_days : int
        Calendar days two date intervals may be apart and still be candidates.
    radius_km : mapping of str to float
        Location uncertainty by geo precision; two points are candidates within the sum of
        their radii.
    threshold : float
        Lowest score (0-1) for a pair to be matched.
    weights : mapping of str to float
        Weight of each comparison (time, space, type, actor, place) in the score.
    """

    tolerance_days: int = 1
    radius_km: Mapping[str, float] = field(default_factory=lambda: dict(RADIUS_KM))
    threshold: float = 0.6
    weights: Mapping[str, float] = field(default_factory=lambda: dict(WEIGHTS))

    def to_dict(self) -> dict:
        """Return the settings as plain JSON-ready values."""
        return {
            "tolerance_days": self.tolerance_days,
            "radius_km": dict(self.radius_km),
            "threshold": self.threshold,
            "weights": dict(self.weights),
        }

    @classmethod
    def from_dict(cls, values: Mapping) -> MatchSettings:
        """Read settings written by :meth:`to_dict` (missing keys take the defaults)."""
        default = cls()
        return cls(
            tolerance_days=int(values.get("tolerance_days", default.tolerance_days)),
            radius_km=dict(values.get("radius_km", default.radius_km)),
            threshold=float(values.get("threshold", default.threshold)),
            weights=dict(values.get("weights", default.weights)),
        )


DecisionKind = Literal["confirm", "reject", "join"]
DECISION_KINDS = ("confirm", "reject", "join")
DECISION_COLUMNS = ("kind", "first_id", "second_id", "note", "decided_at", "analyst")


@dataclass(frozen=True)
class Decision:
    """An analyst's decision on two reports, kept with the snapshot (and the store).

    ``confirm`` keeps a proposed match even if the scores change; ``reject`` separates two
    reports the matcher joined; ``join`` puts two reports (of any datasets, even one) into one
    event by hand. Decisions name incident ids, so they apply to the same files loaded again.
    """

    kind: DecisionKind
    first_id: str
    second_id: str
    note: str = ""
    decided_at: str = ""
    analyst: str = ""

    def __post_init__(self) -> None:
        """Check the kind and the ids."""
        if self.kind not in DECISION_KINDS:
            msg = f"decision kind {self.kind!r} is not one of {', '.join(DECISION_KINDS)}"
            raise ValueError(msg)
        if not str(self.first_id).strip() or not str(self.second_id).strip():
            msg = f"decision {self.kind!r} needs two incident ids, got {self.first_id!r} and "
            msg += f"{self.second_id!r}"
            raise ValueError(msg)
        if self.first_id == self.second_id:
            msg = f"decision {self.kind!r} names the same incident twice: {self.first_id!r}"
            raise ValueError(msg)

    @property
    def pair(self) -> tuple[str, str]:
        """The two ids in sorted order (a decision does not depend on their order)."""
        return tuple(sorted((str(self.first_id), str(self.second_id))))  # type: ignore[return-value]

    def to_dict(self) -> dict[str, str]:
        """Return the decision as a JSON-ready dict."""
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: Mapping) -> Decision:
        """Read a decision written by :meth:`to_dict`; raises ValueError naming a bad value."""
        if not isinstance(values, Mapping):
            msg = f"a decision must be an object with kind, first_id and second_id, got {values!r}"
            raise ValueError(msg)
        return cls(**{k: str(values.get(k, "")) for k in DECISION_COLUMNS})


def decisions_frame(decisions: Iterable[Decision]) -> pd.DataFrame:
    """Return decisions as a table (the shape a store persists), one row per decision."""
    return pd.DataFrame([d.to_dict() for d in decisions], columns=list(DECISION_COLUMNS))


def decisions_from_frame(frame: pd.DataFrame) -> list[Decision]:
    """Read decisions from a table written by :func:`decisions_frame`."""
    return [Decision.from_dict(row) for row in frame.fillna("").to_dict("records")]


def effective_decisions(decisions: Iterable[Decision]) -> list[Decision]:
    """Keep the last decision on each pair (an analyst may change their mind)."""
    latest: dict[tuple[str, str], Decision] = {}
    for decision in decisions:
        latest.pop(decision.pair, None)
        latest[decision.pair] = decision
    return list(latest.values())


@dataclass(frozen=True, eq=False)
class MatchResult:
    """What a matching run found.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per matched pair, columns :data:`PAIR_COLUMNS`.
    event_ids : pandas.Series
        The event of every incident (``incident_id`` -> event id); an unmatched incident is its
        own event, with its own id.
    candidates : int
        How many candidate pairs the windows let through.
    settings : MatchSettings
    decisions : tuple of Decision
        The analysts' decisions applied.
    """

    pairs: pd.DataFrame
    event_ids: pd.Series
    candidates: int
    settings: MatchSettings
    decisions: tuple[Decision, ...] = ()

    @property
    def reports(self) -> int:
        """Number of incident rows (reports)."""
        return len(self.event_ids)

    @cached_property
    def events(self) -> int:
        """Number of distinct events."""
        return int(self.event_ids.nunique())

    def to_metadata(self, ids: Iterable[str] | None = None) -> dict:
        """Return what a snapshot records: settings, counts, matched pairs and decisions.

        Parameters
        ----------
        ids : iterable of str, optional
            Keep only the pairs of these incidents (the snapshot's); all pairs when None.

        Returns
        -------
        dict
            JSON-ready.
        """
        pairs = self.pairs
        if ids is not None:
            kept = ids if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype="str")
            pairs = pairs[among(pairs["first_id"], kept) & among(pairs["second_id"], kept)]
        return {
            "method": "geo.matching (windows, compare, greedy clusters without chaining)",
            "settings": self.settings.to_dict(),
            "events": self.events,
            "reports": self.reports,
            "pairs": [
                {key: _plain(value) for key, value in row.items()}
                for row in pairs.to_dict("records")
            ],
            "decisions": [d.to_dict() for d in self.decisions],
        }


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else value


@cache
def default_registry() -> GroupRegistry:
    """Return the bundled group registry (``data/groups.csv``)."""
    from geo.io import DATA_DIR

    return GroupRegistry.from_csv(DATA_DIR / "groups.csv")


@cache
def default_places() -> PlaceNames:
    """Return the bundled station names (``data/rail_stations.geojson``)."""
    return PlaceNames.bundled()


# --------------------------------------------------------------------------------------------
# Arrays the windows work on


@dataclass(frozen=True, eq=False)
class _Rows:
    x: np.ndarray  # metres, EPSG:32642 (NaN when not located)
    y: np.ndarray
    day0: np.ndarray  # calendar day numbers of start and end (inclusive)
    day1: np.ndarray
    radius: np.ndarray  # metres; NaN for rows located only to the country
    precision: np.ndarray  # rank, see PRECISION_RANK
    dataset: np.ndarray  # int codes
    spans_days: np.ndarray  # bool: a report of several known days (hour or day precision)


_TO_METRIC = pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def _rows(incidents: pd.DataFrame, settings: MatchSettings) -> _Rows:
    geometry = incidents.geometry
    empty = geometry.isna().to_numpy() | shapely.is_empty(geometry.to_numpy())
    lon = np.where(empty, np.nan, shapely.get_x(geometry.to_numpy()))
    lat = np.where(empty, np.nan, shapely.get_y(geometry.to_numpy()))
    x, y = _TO_METRIC.transform(lon, lat)
    precision = incidents["geo_precision"].astype(str)
    radius_km = precision.map(dict(settings.radius_km)).to_numpy(dtype=float)
    radius = radius_km * 1000.0
    located = ~np.isnan(radius) & ~empty
    start = incidents["start"].to_numpy("datetime64[ns]").astype("int64")
    end = incidents["end"].to_numpy("datetime64[ns]").astype("int64")
    return _Rows(
        x=np.where(located, x, np.nan),
        y=np.where(located, y, np.nan),
        day0=start // NS_PER_DAY,
        day1=np.maximum(end, start) // NS_PER_DAY,
        radius=np.where(located, radius, np.nan),
        precision=precision.map(PRECISION_RANK).fillna(4).to_numpy(dtype=int),
        dataset=pd.factorize(incidents["dataset"].astype(str))[0],
        spans_days=(
            incidents["date_precision"].isin(["hour", "day"]).to_numpy()
            & (end // NS_PER_DAY > start // NS_PER_DAY)
        ),
    )


def candidate_pairs(
    incidents: gpd.GeoDataFrame, settings: MatchSettings | None = None
) -> np.ndarray:
    """Return the candidate pairs: rows of different datasets within each other's windows.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema (EPSG:4326), reports of every dataset together.
    settings : MatchSettings, optional

    Returns
    -------
    numpy.ndarray
        Shape ``(k, 2)``, positions ``i < j`` into ``incidents``, each pair once, sorted by
        ``i`` then ``j``.
    """
    settings = settings or MatchSettings()
    return _candidates(_rows(incidents, settings), settings)


def _candidates(rows: _Rows, settings: MatchSettings) -> np.ndarray:
    """:func:`candidate_pairs` on rows already worked out (match_incidents reuses them)."""
    located = np.flatnonzero(~np.isnan(rows.radius))
    located_pairs = np.sort(_located_pairs(rows, located, settings.tolerance_days), axis=1)
    # Two country-level rows find each other twice; located pairs are found once each.
    unlocated = np.unique(np.sort(_unlocated_pairs(rows, settings.tolerance_days), axis=1), axis=0)
    pairs = np.concatenate([located_pairs, unlocated.reshape(-1, 2)]).astype(np.int64)
    # In position order, whatever order the search found them in: equal scores are then
    # decided the same way however the search is organised (_best_edges ranks by order).
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def _located_pairs(rows: _Rows, located: np.ndarray, tolerance: int) -> np.ndarray:
    """Pairs of located rows, by time blocks and an STRtree per precision class in each."""
    order = located[np.argsort(rows.day0[located], kind="stable")]
    day0, day1 = rows.day0[order], rows.day1[order]
    long = (day1 - day0) > LONG_DAYS
    # Short rows are blocked by start; long ones (month, year) by start and end month.
    block = np.where(long, -(1 + (day0 // 30) * 100_000 + day1 // 30), day0 // BLOCK_DAYS)
    points = shapely.points(rows.x[order], rows.y[order])
    radius, dataset = rows.radius[order], rows.dataset[order]
    classes = np.unique(radius)
    found: list[np.ndarray] = []
    for members in pd.Series(np.arange(len(order))).groupby(block, sort=False).indices.values():
        first = members.min()
        last = np.searchsorted(day0, day1[members].max() + tolerance, side="right")
        others = np.arange(first, last)
        for klass in classes:
            inside = others[radius[others] == klass]
            # One tree per dataset, asked only by the other datasets' rows: rows of one dataset
            # are never paired, and a million-row dataset beside a small one would otherwise
            # find (and drop) millions of its own neighbours.
            for code in np.unique(dataset[inside]):
                targets = inside[dataset[inside] == code]
                askers = members[dataset[members] != code]
                if not len(askers):
                    continue
                tree = shapely.STRtree(points[targets])
                query, hit = tree.query(
                    points[askers], predicate="dwithin", distance=radius[askers] + klass
                )
                i, j = askers[query], targets[hit]
                keep = (i < j) & (day0[j] <= day1[i] + tolerance) & (day0[i] <= day1[j] + tolerance)
                found.append(np.column_stack([order[i[keep]], order[j[keep]]]))
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)


def _unlocated_pairs(rows: _Rows, tolerance: int) -> np.ndarray:
    """Rows located only to the country, paired on time with every row of another dataset."""
    unlocated = np.flatnonzero(np.isnan(rows.radius))
    if not len(unlocated):
        return np.empty((0, 2), dtype=np.int64)
    order = np.argsort(rows.day0, kind="stable")
    day0 = rows.day0[order]
    found = []
    for i in unlocated:
        last = np.searchsorted(day0, rows.day1[i] + tolerance, side="right")
        j = order[:last]
        j = j[(rows.day1[j] + tolerance >= rows.day0[i]) & (rows.dataset[j] != rows.dataset[i])]
        found.append(np.column_stack([np.full(len(j), i), j]))
    return np.concatenate(found)


# --------------------------------------------------------------------------------------------
# Compare


def group_agreement(first: str, second: str, registry: GroupRegistry) -> tuple[float, str]:
    """Compare two ``groups`` cells through the registry.

    Parameters
    ----------
    first, second : str
        Canonical names joined by ``"; "``.
    registry : GroupRegistry

    Returns
    -------
    tuple of (float, str)
        1.0 "same group BLA"; 0.8 for a parent and its faction or wing ("JuA is a faction of
        TTP"); 0.5 when a side names nobody ("Unidentified", "Baloch Separatists"); 0.0 for two
        different named groups.
    """
    named_a = [g for g in split_groups(first) if not _unnamed(g)]
    named_b = [g for g in split_groups(second) if not _unnamed(g)]
    if not named_a or not named_b:
        unnamed = first if not named_a else second
        return 0.5, f"one side names no group ({unnamed or UNIDENTIFIED})"
    shared = [g for g in named_a if g in named_b]
    if shared:
        return 1.0, f"same group {shared[0]}"
    parents = _parents(registry)
    for a in named_a:
        for b in named_b:
            if b in _ancestors(a, parents):
                return 0.8, f"{a} is a faction of {b}"
            if a in _ancestors(b, parents):
                return 0.8, f"{b} is a faction of {a}"
    return 0.0, f"different groups ({'; '.join(named_a)} / {'; '.join(named_b)})"


def _unnamed(group: str) -> bool:
    folded = group.casefold()
    return group == UNIDENTIFIED or any(word in folded for word in UNNAMED_WORDS)


@cache
def _parents_of(table_id: int, items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {group: parent for group, parent in items if parent}


def _parents(registry: GroupRegistry) -> dict[str, str]:
    table = registry.table
    items = tuple(zip(table["group"].astype(str), table["parent"].astype(str), strict=True))
    return _parents_of(id(registry), items)


def _ancestors(group: str, parents: dict[str, str]) -> list[str]:
    found: list[str] = []
    while group in parents and parents[group] not in found:
        group = parents[group]
        found.append(group)
    return found


def _time_parts(rows: _Rows, i: np.ndarray, j: np.ndarray, tolerance: int):
    """Return the time value of each pair, and a function writing the reasons of a subset."""
    gap = np.maximum(
        0, np.maximum(rows.day0[i], rows.day0[j]) - np.minimum(rows.day1[i], rows.day1[j])
    )
    span = np.maximum(rows.day1[i] - rows.day0[i], rows.day1[j] - rows.day0[j])
    overlap_value = np.select([span <= 2, span <= 8], [1.0, 0.6], 0.3)
    value = np.where(gap == 0, overlap_value, 1.0 - 0.5 * gap / max(tolerance, 1))

    def reasons(subset: np.ndarray) -> list[str]:
        return [
            ("same day" if s == 0 else f"dates overlap ({s + 1}-day span)")
            if g == 0
            else f"{g} day(s) apart"
            for g, s in zip(gap[subset].tolist(), span[subset].tolist(), strict=True)
        ]

    return np.clip(value, 0.0, 1.0), reasons


_GRAIN = ("", "", " (town-level point)", " (province-level point)", "")


def _space_parts(rows: _Rows, i: np.ndarray, j: np.ndarray):
    """Return the distance value of each pair, and a function writing the reasons of a subset."""
    distance = np.hypot(rows.x[i] - rows.x[j], rows.y[i] - rows.y[j])
    allowance = rows.radius[i] + rows.radius[j]
    value = 1.0 - np.maximum(0.0, distance - 0.1 * allowance) / (0.9 * allowance)
    unlocated = np.isnan(distance)
    value = np.where(unlocated, 0.5, np.clip(value, 0.0, 1.0))

    def reasons(subset: np.ndarray) -> list[str]:
        coarse = np.minimum(np.maximum(rows.precision[i[subset]], rows.precision[j[subset]]), 4)
        return [
            "one side located only to the country" if d != d else f"{d / 1000:.1f} km{_GRAIN[c]}"
            for d, c in zip(distance[subset].tolist(), coarse.tolist(), strict=True)
        ]

    return value, reasons


def _lookup(codes_a: np.ndarray, codes_b: np.ndarray, function) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``function(a, b) -> (value, reason)`` once per distinct pair of integer codes."""
    if not len(codes_a):
        return np.empty(0), np.empty(0, dtype=object)
    width = int(max(codes_a.max(), codes_b.max())) + 1
    combined, uniques = pd.factorize(codes_a.astype(np.int64) * width + codes_b)
    results = [function(int(key // width), int(key % width)) for key in uniques]
    values = np.array([r[0] for r in results], dtype=float)
    reasons = np.array([r[1] for r in results], dtype=object)
    return values[combined], reasons[combined]


def compare(
    incidents: gpd.GeoDataFrame,
    pairs: np.ndarray,
    settings: MatchSettings | None = None,
    *,
    registry: GroupRegistry | None = None,
    places: PlaceNames | None = None,
    min_score: float = 0.0,
) -> pd.DataFrame:
    """Score candidate pairs on time, distance, event type, actors and place, with reasons.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema.
    pairs : numpy.ndarray
        ``(k, 2)`` positions, e.g. from :func:`candidate_pairs`.
    settings : MatchSettings, optional
    registry : GroupRegistry, optional
        The bundled registry by default.
    places : PlaceNames, optional
        The bundled station names by default.
    min_score : float
        Reasons are written only for pairs scoring at least this (others get ``""``).

    Returns
    -------
    pandas.DataFrame
        Columns ``i``, ``j`` (positions), ``time``, ``space``, ``type``, ``actor``, ``place``
        (values in [0, 1]), ``score`` and ``reasons`` (``"same day, 1.2 km, same group BLA,
        both suicide bombings, both name Quetta"``).
    """
    settings = settings or MatchSettings()
    return _compare(
        incidents,
        _rows(incidents, settings),
        pairs,
        settings,
        registry=registry,
        places=places,
        min_score=min_score,
    )


def _compare(
    incidents: gpd.GeoDataFrame,
    rows: _Rows,
    pairs: np.ndarray,
    settings: MatchSettings,
    *,
    registry: GroupRegistry | None,
    places: PlaceNames | None,
    min_score: float,
) -> pd.DataFrame:
    """:func:`compare` on rows already worked out (match_incidents reuses them)."""
    registry = registry or default_registry()
    places = places or default_places()
    i, j = pairs[:, 0], pairs[:, 1]
    time_value, time_reasons = _time_parts(rows, i, j, settings.tolerance_days)
    space_value, space_reasons = _space_parts(rows, i, j)
    type_codes, categories = pd.factorize(categorise(incidents))
    type_value, type_reason = _lookup(
        type_codes[i], type_codes[j], lambda a, b: _type_pair(categories[a], categories[b])
    )
    group_codes, groups = pd.factorize(incidents["groups"].astype(str))
    actor_value, actor_reason = _lookup(
        group_codes[i],
        group_codes[j],
        lambda a, b: group_agreement(groups[a], groups[b], registry),
    )
    weights = settings.weights
    total = sum(weights.values())
    partial = (
        weights["time"] * time_value
        + weights["space"] * space_value
        + weights["type"] * type_value
        + weights["actor"] * actor_value
    )
    # Place names are compared only where they can still decide (or explain) the pair. Scores
    # are rounded to three decimals before they meet the threshold, so a pair within half a
    # step below it may still reach it (left out, one report of the 1M benchmark was matched
    # or not depending on whether every pair had been scored).
    reach = min(min_score, 1.0) - SCORE_ROUNDING / 2
    needed = np.flatnonzero(partial + weights["place"] >= reach * total)
    place_value = np.full(len(i), 0.5)
    place_reason = np.full(len(i), "place not compared", dtype=object)
    place_text = incidents["place"].astype(str) + " " + incidents["district"].astype(str)
    place_codes, place_uniques = pd.factorize(place_text)
    tokens: dict[int, frozenset[str]] = {}

    def tokens_of(code: int) -> frozenset[str]:
        if code not in tokens:
            tokens[code] = places.tokens(place_uniques[code])
        return tokens[code]

    place_value[needed], place_reason[needed] = _lookup(
        place_codes[i[needed]],
        place_codes[j[needed]],
        lambda a, b: _place_pair(places, tokens_of(a), tokens_of(b)),
    )
    score = (partial + weights["place"] * place_value) / total
    # Vague rows (located only to the country, or to a province over more than a week) need a
    # named group in common and a compatible type (see module doc).
    unlocated = np.isnan(rows.radius[i]) | np.isnan(rows.radius[j])
    span = np.maximum(rows.day1[i] - rows.day0[i], rows.day1[j] - rows.day0[j])
    coarse = np.maximum(rows.precision[i], rows.precision[j]) >= PRECISION_RANK["province"]
    vague = unlocated | (coarse & (span > LONG_DAYS))
    score = np.where(vague & ((actor_value < 0.8) | (type_value < 0.5)), 0.0, score)
    score = np.round(score, SCORE_DECIMALS)  # as it is shown and meets the threshold
    explained = np.flatnonzero(score >= min_score)
    reasons = np.full(len(score), "", dtype=object)
    parts = [
        time_reasons(explained),
        space_reasons(explained),
        actor_reason[explained],
        type_reason[explained],
        place_reason[explained],
    ]
    reasons[explained] = [", ".join(words) for words in zip(*parts, strict=True)]
    return pd.DataFrame(
        {
            "i": i,
            "j": j,
            "time": time_value,
            "space": space_value,
            "type": type_value,
            "actor": actor_value,
            "place": place_value,
            "score": score,
            "reasons": reasons,
        }
    )


def _type_pair(a: str, b: str) -> tuple[float, str]:
    agreement = compatibility(a, b)
    return agreement.value, agreement.reason


def _place_pair(places: PlaceNames, a: frozenset[str], b: frozenset[str]) -> tuple[float, str]:
    agreement = places.agreement(a, b)
    return agreement.value, agreement.reason


# --------------------------------------------------------------------------------------------
# Cluster


class _Clusters:
    """Union-find over row positions that refuses joins that would chain (see module doc).

    It holds the rows some pair or decision names (``named``, row positions), numbered from 0
    in their order: :meth:`local` gives those numbers, :meth:`roots` each row's root row.
    """

    def __init__(self, rows: _Rows, tolerance: int, named: np.ndarray) -> None:
        self.tolerance = tolerance
        self.named = np.unique(np.asarray(named, dtype=np.int64))
        # Plain Python values: these checks run once per accepted pair, on scalars. Only the
        # named rows: a million reports' values as lists took 0.1 s of each decision.
        at = self.named
        self.x, self.y = rows.x[at].tolist(), rows.y[at].tolist()
        self.day0, self.day1 = rows.day0[at].tolist(), rows.day1[at].tolist()
        self.radius = rows.radius[at].tolist()
        self.dataset = rows.dataset[at].tolist()
        self.spans_days = rows.spans_days[at].tolist()
        self.parent = list(range(len(at)))
        self.members: dict[int, list[int]] = {}
        self.by_hand: set[int] = set()  # rows an analyst joined: their windows are not checked

    def local(self, first: np.ndarray, second: np.ndarray) -> list[tuple[int, int]]:
        """Return the pairs of row positions ``first[k]``, ``second[k]`` in local numbers."""
        a = np.searchsorted(self.named, first).tolist()
        b = np.searchsorted(self.named, second).tolist()
        return list(zip(a, b, strict=True))

    def roots(self, rows: int) -> np.ndarray:
        """Return each of ``rows`` rows' root row (a row no pair names is its own root)."""
        out = np.arange(rows, dtype=np.int64)
        out[self.named] = self.named[_roots(np.asarray(self.parent, dtype=np.int64))]
        return out

    def root(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def group(self, root: int) -> list[int]:
        return self.members.get(root, [root])

    def compatible(self, a: int, b: int) -> bool:
        tol = self.tolerance
        if self.day0[a] > self.day1[b] + tol or self.day0[b] > self.day1[a] + tol:
            return False
        ra, rb = self.radius[a], self.radius[b]
        if ra != ra or rb != rb:  # NaN: located only to the country
            return True
        return math.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b]) <= ra + rb

    def may_join(self, first: list[int], second: list[int]) -> bool:
        dataset = self.dataset
        if len(first) == 1 and len(second) == 1:
            return dataset[first[0]] != dataset[second[0]]
        merged = first + second
        hubs = [h for h in merged if self.spans_days[h]]
        for a in first:
            for b in second:
                if dataset[a] == dataset[b] or a in self.by_hand or b in self.by_hand:
                    continue
                if self.compatible(a, b):
                    continue
                # Reports of different days of one multi-day event: a report covering both.
                if not any(
                    h != a and h != b and self.compatible(h, a) and self.compatible(h, b)
                    for h in hubs
                ):
                    return False
        datasets_a = {dataset[a] for a in first}
        datasets_b = {dataset[b] for b in second}
        shared = datasets_a & datasets_b
        if shared and len(datasets_a) > 1 and len(datasets_b) > 1:
            return False  # two events with reports of their own are not merged automatically
        for name in shared:
            same = [k for k in merged if dataset[k] == name]
            covering = [h for h in hubs if dataset[h] != name]
            if not any(all(self.compatible(h, k) for k in same) for h in covering):
                return False
        return True

    def join(self, a: int, b: int, *, force: bool = False) -> bool:
        root_a, root_b = self.root(a), self.root(b)
        if root_a == root_b:
            return True
        first, second = self.group(root_a), self.group(root_b)
        if not force and not self.may_join(first, second):
            return False
        if force:
            self.by_hand.update((a, b))
        if len(first) < len(second):
            root_a, root_b, first, second = root_b, root_a, second, first
        self.parent[root_b] = root_a
        self.members[root_a] = first + second
        self.members.pop(root_b, None)
        return True


@dataclass(frozen=True, eq=False)
class ScoredCandidates:
    """What a matching run finds before any decision: every candidate pair and its score.

    Made by :func:`score_candidates`; :func:`match_incidents` reuses it for another set of
    decisions (an analyst's confirm, reject or join), so a decision does not compare every
    candidate pair again.

    Attributes
    ----------
    ids : numpy.ndarray
        The reports' ids, in their order.
    rows : _Rows
        Per-report values the candidates and the clusters use.
    candidates : int
        How many candidate pairs the windows let through.
    scored : pandas.DataFrame
        The candidate pairs compared (``i``, ``j``, ``score``, ``reasons``): every one when
        ``min_score`` is 0.
    settings : MatchSettings
    min_score : float
        Pairs that could not reach it were not compared.
    """

    ids: np.ndarray
    rows: _Rows
    candidates: int
    scored: pd.DataFrame
    settings: MatchSettings
    min_score: float = 0.0


def score_candidates(
    incidents: gpd.GeoDataFrame,
    *,
    settings: MatchSettings | None = None,
    registry: GroupRegistry | None = None,
    places: PlaceNames | None = None,
    min_score: float = 0.0,
) -> ScoredCandidates:
    """Find and compare the candidate pairs of ``incidents`` (see :func:`match_incidents`).

    ``min_score`` above 0 leaves out the pairs that cannot reach it (quicker; such a result
    serves decisions without a confirm or a join only).

    Raises
    ------
    ValueError
        If incident ids are not unique.
    """
    settings = settings or MatchSettings()
    ids = incidents["incident_id"].astype(str).to_numpy()
    duplicated = pd.Series(ids).duplicated()
    if duplicated.any():
        msg = f"incident ids must be unique to match; repeated: {sorted(set(ids[duplicated]))[:5]}"
        raise ValueError(msg)
    rows = _rows(incidents, settings)  # once: 0.6 s each time at a million reports
    pairs = _candidates(rows, settings)
    scored = _compare(
        incidents, rows, pairs, settings, registry=registry, places=places, min_score=min_score
    )
    return ScoredCandidates(ids, rows, len(pairs), scored, settings, min_score)


def kept_candidates(
    incidents: gpd.GeoDataFrame,
    compared: pd.DataFrame,
    candidates: int,
    settings: MatchSettings | None = None,
) -> ScoredCandidates:
    """Return :func:`score_candidates` of ``incidents`` from pairs compared before.

    Only the per-report values are worked out again (0.6 s at a million reports); the
    candidate pairs are not found and compared again (about 2 s more).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The reports the pairs were compared for, in the same order.
    compared : pandas.DataFrame
        The :attr:`ScoredCandidates.scored` of a run with ``min_score`` 0 (every pair).
    candidates : int
        :attr:`ScoredCandidates.candidates` of that run.
    settings : MatchSettings, optional
        Those of that run (the defaults when None).

    Returns
    -------
    ScoredCandidates
    """
    settings = settings or MatchSettings()
    ids = incidents["incident_id"].astype(str).to_numpy()
    return ScoredCandidates(ids, _rows(incidents, settings), candidates, compared, settings)


def match_incidents(
    incidents: gpd.GeoDataFrame,
    *,
    settings: MatchSettings | None = None,
    decisions: Sequence[Decision] = (),
    registry: GroupRegistry | None = None,
    places: PlaceNames | None = None,
    scored: ScoredCandidates | None = None,
) -> MatchResult:
    """Find the reports of one event across datasets and group them into events.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema, every dataset together (``dataset`` tells them apart); ids
        must be unique.
    settings : MatchSettings, optional
    decisions : sequence of Decision
        Analysts' decisions, applied on top (decisions naming ids not present are kept but
        have no effect).
    registry : GroupRegistry, optional
    places : PlaceNames, optional
    scored : ScoredCandidates, optional
        :func:`score_candidates` of these incidents with these settings, reused instead of
        comparing the candidates again.

    Returns
    -------
    MatchResult

    Raises
    ------
    ValueError
        If incident ids are not unique, or ``scored`` was made with other settings or for
        another number of reports.
    """
    settings = settings or (scored.settings if scored is not None else MatchSettings())
    decisions = tuple(effective_decisions(decisions))
    forced_pairs = {d.pair for d in decisions if d.kind != "reject"}
    if scored is None:
        # Without a confirm or a join, pairs that cannot reach the threshold are not compared.
        scored = score_candidates(
            incidents,
            settings=settings,
            registry=registry,
            places=places,
            min_score=0.0 if forced_pairs else settings.threshold,
        )
    elif scored.settings != settings or len(scored.ids) != len(incidents):
        msg = "scored candidates were made for other settings or other reports"
        raise ValueError(msg)
    elif forced_pairs and scored.min_score > 0:
        msg = "a confirm or a join needs every candidate pair scored (min_score 0)"
        raise ValueError(msg)
    ids, rows, compared = scored.ids, scored.rows, scored.scored
    position = _positions_named(ids, decisions)
    rejected = {d.pair for d in decisions if d.kind == "reject"}
    forced = [d for d in decisions if d.kind != "reject"]
    by_hand = np.array(
        [
            (position[d.first_id], position[d.second_id])
            for d in forced
            if d.first_id in position and d.second_id in position
        ],
        dtype=np.int64,
    ).reshape(-1, 2)
    accepted = compared[compared["score"] >= settings.threshold]
    if rejected:
        keys = _pair_keys(ids, accepted["i"].to_numpy(), accepted["j"].to_numpy())
        accepted = accepted[[key not in rejected for key in keys]]
    accepted = _without_ambiguous_unlocated(accepted, rows)
    accepted = _best_edges(accepted)
    accepted = accepted.sort_values(["score", "i", "j"], ascending=[False, True, True])
    first, second = accepted["i"].to_numpy(), accepted["j"].to_numpy()
    clusters = _Clusters(
        rows, settings.tolerance_days, np.concatenate([by_hand.ravel(), first, second])
    )
    for i, j in clusters.local(by_hand[:, 0], by_hand[:, 1]):
        clusters.join(i, j, force=True)
    for i, j in clusters.local(first, second):
        clusters.join(i, j)
    roots = clusters.roots(len(ids))
    event_ids = _event_ids(ids, roots, rows.dataset)
    matched = _matched_pairs(incidents, ids, compared, accepted, forced, event_ids, position)
    return MatchResult(
        pairs=matched,
        event_ids=pd.Series(event_ids, index=pd.Index(ids, name="incident_id"), name="event_id"),
        candidates=scored.candidates,
        settings=settings,
        decisions=decisions,
    )


def _positions_named(ids: np.ndarray, decisions: Sequence[Decision]) -> dict[str, int]:
    """Return the position of each incident id the decisions name (those present)."""
    named = {name for d in decisions for name in (d.first_id, d.second_id)}
    if not named:
        return {}
    found = np.flatnonzero(pd.Series(ids, dtype=object).isin(named).to_numpy())
    return {str(ids[k]): int(k) for k in found}


def _roots(parent: np.ndarray) -> np.ndarray:
    """Return each row's root in a union-find parent array (pointer jumping, vectorised)."""
    roots = parent
    while True:
        up = roots[roots]
        if np.array_equal(up, roots):
            return roots
        roots = up


BEST_EDGES = 3


def _best_edges(accepted: pd.DataFrame, keep: int = BEST_EDGES) -> pd.DataFrame:
    """Keep the pairs among the ``keep`` best of at least one of their two reports.

    Joining runs best pair first and refuses joins that would chain, so a report's fourth-best
    match almost never joins anything; dropping those pairs first keeps dense data fast.
    """
    if len(accepted) <= keep:
        return accepted
    ends = pd.DataFrame(
        {
            "row": np.concatenate([accepted["i"].to_numpy(), accepted["j"].to_numpy()]),
            "edge": np.tile(np.arange(len(accepted)), 2),
            "score": np.tile(accepted["score"].to_numpy(), 2),
        }
    ).sort_values(["score", "edge"], ascending=[False, True], kind="stable")
    rank = ends.groupby("row", sort=False).cumcount().to_numpy()
    best = np.zeros(len(accepted), dtype=bool)
    best[ends["edge"].to_numpy()[rank < keep]] = True
    return accepted[best]


def _without_ambiguous_unlocated(accepted: pd.DataFrame, rows: _Rows) -> pd.DataFrame:
    """Drop the pairs of a country-level row that fits more than one report of another side.

    A row located only to the country ("35 killed in Balochistan on 26 August") that fits
    several reports of one day is a total over them or one of them, no one can tell which.
    """
    i, j = accepted["i"].to_numpy(), accepted["j"].to_numpy()
    unlocated_i, unlocated_j = np.isnan(rows.radius[i]), np.isnan(rows.radius[j])
    if not (unlocated_i.any() or unlocated_j.any()):
        return accepted
    country_row = np.where(unlocated_i, i, np.where(unlocated_j, j, -1))
    partners = pd.Series(country_row[country_row >= 0]).value_counts()
    ambiguous = set(partners[partners > 1].index)
    return accepted[~np.isin(country_row, list(ambiguous))]


def _pair_keys(ids: np.ndarray, i: np.ndarray, j: np.ndarray) -> list[tuple[str, str]]:
    first, second = ids[i].astype(str), ids[j].astype(str)
    low = np.where(first <= second, first, second)
    high = np.where(first <= second, second, first)
    return list(zip(low.tolist(), high.tolist(), strict=True))


def _event_ids(ids: np.ndarray, roots: np.ndarray, dataset_rank: np.ndarray) -> np.ndarray:
    """Name each event: its only report's id, or ``EV:`` and the id of its first report.

    The first report is that of the dataset loaded first (``dataset_rank``: the datasets
    numbered in the order they first appear; the bundled set, when it is there), then the
    smallest id, so the id stays the same while the event keeps its reports.
    """
    out = np.asarray(ids, dtype=object).copy()
    shared = np.bincount(roots, minlength=len(roots))[roots] > 1
    if not shared.any():
        return out
    # Only the reports of events of several reports are ranked (a few thousand of a million).
    frame = pd.DataFrame({"id": out[shared], "root": roots[shared], "rank": dataset_rank[shared]})
    first = frame.sort_values(["rank", "id"]).groupby("root")["id"].first()
    out[shared] = ("EV:" + first.astype(str)).reindex(frame["root"]).to_numpy()
    return out


def _matched_pairs(
    incidents: gpd.GeoDataFrame,
    ids: np.ndarray,
    scored: pd.DataFrame,
    accepted: pd.DataFrame,
    forced: list[Decision],
    event_ids: np.ndarray,
    position: dict[str, int],
) -> pd.DataFrame:
    def datasets(rows: np.ndarray) -> np.ndarray:  # of these rows only: a million in all
        return incidents["dataset"].iloc[rows].astype(str).to_numpy(dtype=object)

    same = event_ids[accepted["i"].to_numpy()] == event_ids[accepted["j"].to_numpy()]
    kept = accepted[same]
    i, j = kept["i"].to_numpy(), kept["j"].to_numpy()
    pairs = _pair_keys(ids, i, j)
    labels = {d.pair: ("confirmed" if d.kind == "confirm" else "joined by hand") for d in forced}
    listed = pd.DataFrame(
        {
            "first_id": ids[i],
            "second_id": ids[j],
            "first_dataset": datasets(i),
            "second_dataset": datasets(j),
            "score": kept["score"].to_numpy(dtype=float),
            "reasons": kept["reasons"].to_numpy(),
            "cluster_id": event_ids[i],
            "decision": [labels.get(pair, "") for pair in pairs],
        },
        columns=list(PAIR_COLUMNS),
    )
    wanted = {d.pair for d in forced}
    by_pair = {}
    if wanted:
        pair_keys = _pair_keys(ids, scored["i"].to_numpy(), scored["j"].to_numpy())
        hits = [k for k, key in enumerate(pair_keys) if key in wanted]
        by_pair = {
            pair_keys[k]: row
            for k, row in zip(hits, scored.iloc[hits].itertuples(index=False), strict=True)
        }
    records = []
    listed_pairs = set(pairs)
    for decision in forced:
        present = decision.first_id in position and decision.second_id in position
        if decision.pair in listed_pairs or not present:
            continue
        a, b = position[decision.first_id], position[decision.second_id]
        found = by_pair.get(decision.pair)
        reasons = f"{labels[decision.pair]} by an analyst"
        if decision.note:
            reasons += f" ({decision.note})"
        if found is not None:
            reasons += "; " + found.reasons
        score = float(found.score) if found is not None else float("nan")
        names = datasets(np.array([a, b]))
        records.append(
            (
                ids[a],
                ids[b],
                names[0],
                names[1],
                score,
                reasons,
                event_ids[a],
                labels[decision.pair],
            )
        )
    frame = listed
    if records:
        by_hand = pd.DataFrame.from_records(records, columns=list(PAIR_COLUMNS))
        frame = pd.concat([listed, by_hand], ignore_index=True) if len(listed) else by_hand
    return frame.sort_values(["cluster_id", "first_id", "second_id"], ignore_index=True)


# --------------------------------------------------------------------------------------------
# Events


def event_frame(incidents: gpd.GeoDataFrame, event_ids: pd.Series) -> gpd.GeoDataFrame:
    """Return one row per event: same columns as ``incidents`` plus the reports behind it.

    The representative report gives the point and the text fields: the most precisely located
    report (then the earliest dataset in the frame, then the smallest id). Dates run from the
    earliest start to the latest end; figures from the lowest low to the highest high across
    reports (``best`` only where every report agrees); groups are the union of the reports'
    named groups; sources are every report's sources.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents (reports) in the schema, possibly with extra columns (kept from the
        representative report).
    event_ids : pandas.Series
        ``incident_id`` -> event id, from :attr:`MatchResult.event_ids`; ids not in it are
        their own event.

    Returns
    -------
    geopandas.GeoDataFrame
        Extra columns: ``event_id``, ``reports`` (count), ``report_ids`` and ``datasets``
        (``"; "``-joined) and ``reported_by`` (who reported which figures). ``incident_id`` is
        the event id and ``dataset`` names every dataset that reported it.
    """
    events = report_events(incidents, event_ids)
    sizes = pd.Series(events).groupby(events).transform("size").to_numpy()
    single = sizes == 1
    out_single = lone_events(incidents[single], events[single])
    multi = incidents[~single]
    if multi.empty:
        return out_single
    combined = combined_events(multi, events[~single])
    frames = [out_single, combined] if len(out_single) else [combined]
    out = pd.concat(frames)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=incidents.crs)


def report_events(incidents: pd.DataFrame, event_ids: pd.Series) -> np.ndarray:
    """Return the event id of each report (a report missing from ``event_ids`` is its own)."""
    ids = incidents["incident_id"].astype(str)
    if event_ids.empty:  # no report in a matched event (and nothing to fill from)
        return ids.to_numpy(dtype=object)
    return ids.map(event_ids).fillna(ids).astype(str).to_numpy()


# The columns an event has beyond its reports', and for an event of one report the report column
# each is made from (None: the same value for every event of one report).
EVENT_COLUMNS: dict[str, str | None] = {
    "event_id": "incident_id",
    "reports": None,
    "report_ids": "incident_id",
    "datasets": "dataset",
    "reported_by": None,
}


def lone_events(
    reports: gpd.GeoDataFrame, events: np.ndarray | None, columns: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Return each of ``reports`` as an :func:`event_frame` row of one report.

    Parameters
    ----------
    reports : geopandas.GeoDataFrame
        Reports in the schema.
    events : numpy.ndarray or None
        Event id of each of them (:func:`report_events`); None when ``columns`` leaves out
        ``event_id``.
    columns : list of str, optional
        The columns to return, in this order (None: every column); ``reports`` needs only
        those and the ones they are made from (:data:`EVENT_COLUMNS`).

    Returns
    -------
    geopandas.GeoDataFrame
        The reports as they are, with ``event_id``, ``reports`` (1), ``report_ids`` (the
        report's id), ``datasets`` (its dataset) and an empty ``reported_by``.
    """
    out = reports.copy(deep=False)  # the new columns only: the reports' own are shared
    wanted = EVENT_COLUMNS.keys() if columns is None else set(columns)
    if "event_id" in wanted:
        out["event_id"] = events
    if "reports" in wanted:
        out["reports"] = 1
    if "report_ids" in wanted:
        out["report_ids"] = out["incident_id"].array
    if "datasets" in wanted:
        out["datasets"] = out["dataset"].array
    if "reported_by" in wanted:
        out["reported_by"] = ""
    return out if columns is None else out[columns]


def combined_events(reports: gpd.GeoDataFrame, events: np.ndarray) -> gpd.GeoDataFrame:
    """Return one :func:`event_frame` row per event of ``reports``, made from all of them.

    Parameters
    ----------
    reports : geopandas.GeoDataFrame
        The reports of events of several reports.
    events : numpy.ndarray
        Event id of each report (:func:`report_events`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per event, in the order of the event ids.
    """
    if reports.empty:
        return lone_events(reports, events)  # no row, the columns of events
    frame = reports.copy()
    frame["event_id"] = events
    dataset_order = {name: k for k, name in enumerate(pd.unique(frame["dataset"].astype(str)))}
    frame["_rank"] = frame["geo_precision"].map(PRECISION_RANK).fillna(5)
    frame["_dataset_rank"] = frame["dataset"].astype(str).map(dataset_order)
    frame = frame.sort_values(["event_id", "_rank", "_dataset_rank", "incident_id"])
    grouped = frame.groupby("event_id", sort=False)
    out = grouped.head(1).set_index("event_id", drop=False)
    representative_start = out["start"]
    out["start"] = grouped["start"].min()
    out["end"] = grouped["end"].max()
    # An hour-precise report among day-precise ones: the event is known to the day.
    widened = (out["date_precision"] == "hour") & (out["start"] != representative_start)
    out.loc[widened, "date_precision"] = "day"
    for kind in ("fatalities", "injured"):
        out[f"{kind}_low"] = grouped[f"{kind}_low"].min()
        out[f"{kind}_high"] = grouped[f"{kind}_high"].max()
        best = grouped[f"{kind}_best"]
        agreed = best.nunique(dropna=False) == 1
        out[f"{kind}_best"] = best.first().where(agreed)
    out["groups"] = grouped["groups"].agg(_union_groups)
    out["sources"] = grouped["sources"].agg(lambda s: [src for cell in s for src in cell])
    out["reports"] = grouped.size()
    out["report_ids"] = grouped["incident_id"].agg("; ".join)
    out["datasets"] = grouped["dataset"].agg(lambda s: "; ".join(pd.unique(s.astype(str))))
    out["dataset"] = out["datasets"]  # an event belongs to every dataset that reported it
    out["reported_by"] = _who_reported(frame).groupby(frame["event_id"], sort=False).agg("; ".join)
    out["incident_id"] = out["event_id"]
    note = "Reports differ: " + out["reported_by"]
    out["figures_note"] = np.where(
        out["figures_note"].astype(str) != "", note + ". " + out["figures_note"].astype(str), note
    )
    out = out.drop(columns=["_rank", "_dataset_rank"]).reset_index(drop=True)
    for column in (
        "fatalities_low",
        "fatalities_best",
        "fatalities_high",
        "injured_low",
        "injured_best",
        "injured_high",
    ):
        out[column] = out[column].astype("Int64")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=reports.crs)


def _union_groups(cells: pd.Series) -> str:
    names: list[str] = []
    for cell in cells:
        names += [g for g in split_groups(cell) if g not in names]
    named = [g for g in names if not _unnamed(g)]
    return "; ".join(named or names or [UNIDENTIFIED])


def range_text(low: object, high: object) -> str:
    """Write a figure range: ``"24–32"``, ``"26"``, ``"≤26"`` or ``"?"``."""
    if pd.isna(low) and pd.isna(high):
        return "?"
    if pd.isna(low):
        return f"≤{int(high)}"
    if pd.isna(high):
        return f"≥{int(low)}"
    return str(int(low)) if low == high else f"{int(low)}–{int(high)}"


def _who_reported(reports: pd.DataFrame) -> pd.Series:
    """Say what each report gives: ``"<dataset> <id>: killed <range>, injured <range>"``."""
    if reports.empty:
        return pd.Series([], index=reports.index, dtype=object)
    said = (
        reports["dataset"].astype(str)
        + " "
        + reports["incident_id"].astype(str)
        + ": killed "
        + per_distinct_pair(reports["fatalities_low"], reports["fatalities_high"], range_text)
        + ", injured "
        + per_distinct_pair(reports["injured_low"], reports["injured_high"], range_text)
    )
    return said.astype(object)


REPORT_FIELDS = {
    "dataset": "Dataset",
    "incident_id": "Id",
    "start": "Start",
    "end": "End",
    "date_precision": "Date precision",
    "place": "Place",
    "geo_precision": "Location precision",
    "groups": "Groups (registry)",
    "group_detail": "Groups as the source names them",
    "event_type": "Event type",
    "sub_event_type": "Sub-type",
    "attack_detail": "Detail",
    "killed": "Killed (non-attackers)",
    "injured": "Injured",
    "figures_note": "Figures note",
    "sources": "Sources",
}


def reports_side_by_side(
    incidents: pd.DataFrame, event_ids: pd.Series, event_id: str
) -> pd.DataFrame:
    """Return the reports of one event as columns, one field per row (for the details view).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Reports in the schema.
    event_ids : pandas.Series
        ``incident_id`` -> event id.
    event_id : str
        An event id (or the id of an unmatched incident).

    Returns
    -------
    pandas.DataFrame
        Index: field labels (:data:`REPORT_FIELDS`); one column per report, named
        ``"dataset · id"``; every value as text.
    """
    # The event's members, then their rows: two vectorised passes (mapping every report's id to
    # its event took half a second at a million reports, on every page run).
    members = event_ids.index[among(event_ids, [event_id])]
    if event_id not in event_ids.index:  # an incident the matching never saw is its own event
        members = members.append(pd.Index([event_id]))
    reports = incidents[among(incidents["incident_id"], pd.Series(members, dtype="str"))]
    columns = {}
    for _, row in reports.iterrows():
        values = {
            **{key: str(row.get(key, "")) for key in REPORT_FIELDS},
            "killed": range_text(row["fatalities_low"], row["fatalities_high"]),
            "injured": range_text(row["injured_low"], row["injured_high"]),
            "place": f"{row['place']} ({row['geo_precision']})",
            "sources": "; ".join(
                str(s.get("publisher") or s.get("title") or s.get("url") or "")
                for s in row["sources"]
            ),
        }
        columns[f"{row['dataset']} · {row['incident_id']}"] = [values[k] for k in REPORT_FIELDS]
    return pd.DataFrame(columns, index=list(REPORT_FIELDS.values()))
