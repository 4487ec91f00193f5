"""Place names: find a place however it is spelt, and where it is.

The bundled gazetteer joins three offline sources:

- ``data/places.csv``: GeoNames populated places in Pakistan and the larger ones of its neighbours,
  with Latin-script alternate names, plus label points for provinces and countries (written by
  ``tools/build_places.py``; GeoNames is CC BY 4.0);
- ``data/rail_stations.geojson``: every station, named with its alternate spellings;
- ``data/incidents.csv``: the places bundled incidents name ("Near Mushkaf railway station, Bolan
  Pass"), at the incident's point.

Names in Pakistan are transliterated many ways (Mashkaf/Mushkaf, Machh/Mach, Dadhar/Dhadar,
Qila/Killa, Paneer/Panir). Matching compares *sound keys* that fold those variants (see
:func:`sound_key`) and then scores them with RapidFuzz, so typos still match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

KINDS = ("country", "province", "city", "town", "station", "incident place")
# When two places match a query equally well: administrative areas and towns before stations,
# stations before the free-text places named by incidents.
_KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
SEARCH_CUTOFF = 82.0  # RapidFuzz ratio (0-100) below which a search result is dropped
LOOKUP_CUTOFF = 88.0  # stricter: lookup places data rows, where a wrong town is worse than none
PROVINCE_CUTOFF = 85.0
_WHOLE_NAME_BONUS = 5.0  # a whole name matching beats the same words inside a longer name
_MAX_PHRASE_WORDS = 4
# Province names seen in exports besides the current ones (old names and abbreviations).
PROVINCE_ALIASES = {
    "nwfp": "Khyber Pakhtunkhwa",
    "north west frontier province": "Khyber Pakhtunkhwa",
    "kpk": "Khyber Pakhtunkhwa",
    "kp": "Khyber Pakhtunkhwa",
    "fata": "Khyber Pakhtunkhwa",
    "federally administered tribal areas": "Khyber Pakhtunkhwa",
    "ajk": "Azad Jammu and Kashmir",
    "azad kashmir": "Azad Jammu and Kashmir",
    "northern areas": "Gilgit-Baltistan",
    "islamabad": "Islamabad Capital Territory",
    "ict": "Islamabad Capital Territory",
    "federal capital territory": "Islamabad Capital Territory",
}


@dataclass(frozen=True)
class Place:
    """A named place with a point.

    Parameters
    ----------
    name : str
        The name as its source writes it.
    kind : str
        One of :data:`KINDS`.
    lon, lat : float
        WGS84 coordinates (for provinces and countries, a label point inside the area).
    province : str or None
        Pakistani province or territory, as named in ``data/provinces.geojson``; None abroad.
    population : int or None
        GeoNames population, where known.
    source : str
        Where the name and point come from (GeoNames id, station table row, incident ids).
    country : str or None
        Country name (an addition to the shared contract; defaults to None).
    """

    name: str
    kind: str
    lon: float
    lat: float
    province: str | None
    population: int | None
    source: str
    country: str | None = None


def normalise_name(text: str) -> str:
    """Return ``text`` without diacritics or punctuation, case-folded, single-spaced.

    Parameters
    ----------
    text : str
        Any place name.

    Returns
    -------
    str
        For example ``"Āb-e-Gum"`` gives ``"ab e gum"``.
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.sub(r"[^0-9a-z]+", " ", stripped.casefold())
    return " ".join(words.split())


_DOUBLED = re.compile(r"(.)\1+")
_ASPIRATED = re.compile(r"([bcdgjkpst])h")


def _sound_word(word: str) -> str:
    word = word.replace("ee", "i").replace("oo", "u")
    word = _DOUBLED.sub(r"\1", word)
    word = _ASPIRATED.sub(r"\1", word)
    word = word.replace("q", "k").replace("u", "a")
    return _DOUBLED.sub(r"\1", word)


# Words that say what kind of place a name is rather than which; matching ignores them, and a
# query that uses them prefers stations.
GENERIC_WORDS = frozenset({"railway", "rly", "station", "stn", "junction", "jn"})
_STATION_WORDS = frozenset({"railway", "rly", "station", "stn"})
_STATION_BONUS = 3.0
_HOME_COUNTRY = "Pakistan"
_HOME_BONUS = 2.0  # the dashboard is about Pakistan: a near-equal foreign name ranks after


def sound_key(text: str) -> str:
    """Return a key that is equal for the usual transliterations of a name.

    Folds, after :func:`normalise_name`: doubled letters (Machh/Mach, Nuttal/Notal's ``tt``),
    ``ee``/``i`` and ``oo``/``u`` (Paneer/Panir), the ``h`` of aspirated consonants (Dhadar/Dadhar,
    Kohat's ``kh``), ``q``/``k`` (Qila/Kila) and ``u``/``a`` (Mushkaf/Mashkaf).

    Parameters
    ----------
    text : str
        Any place name.

    Returns
    -------
    str
        The key; empty if ``text`` has no letters or digits.
    """
    return " ".join(_sound_word(word) for word in normalise_name(text).split())


def _match_key(text: str) -> str:
    """Return the sound key of ``text`` without the words of :data:`GENERIC_WORDS`."""
    words = normalise_name(text).split()
    return " ".join(_sound_word(w) for w in words if w not in GENERIC_WORDS)


def _asks_for_station(text: str) -> bool:
    return bool(_STATION_WORDS & set(normalise_name(text).split()))


def _phrases(key: str) -> list[str]:
    """Return the word n-grams (up to four words) of a sound key, the whole key first."""
    words = key.split()
    out = [key]
    for size in range(1, min(_MAX_PHRASE_WORDS, len(words) - 1) + 1):
        out.extend(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return out


def _clean_population(value: object) -> int | None:
    if value is None or pd.isna(value):
        return None
    return int(value)


def _clean_text(value: object) -> str | None:
    if value is None or pd.isna(value) or not str(value).strip():
        return None
    return str(value)


def _split_names(value: object) -> list[str]:
    text = _clean_text(value)
    return [part.strip() for part in text.split(";") if part.strip()] if text else []


class Gazetteer:
    """Places with their alternate names, searchable by tolerant spelling.

    Parameters
    ----------
    entries : iterable of (Place, list of str)
        Each place with the other names it is known by.
    """

    def __init__(self, entries: Iterable[tuple[Place, list[str]]]) -> None:
        self._places: list[Place] = []
        self._phrase_text: list[str] = []
        self._phrase_place: list[int] = []
        self._phrase_whole: list[bool] = []
        for place, alt_names in entries:
            if place.kind not in _KIND_RANK:
                msg = f"place {place.name!r}: kind {place.kind!r} is not one of {list(KINDS)}"
                raise ValueError(msg)
            index = len(self._places)
            self._places.append(place)
            keys = {_match_key(name) for name in [place.name, *alt_names]} - {""}
            for key in sorted(keys):
                for position, phrase in enumerate(_phrases(key)):
                    self._phrase_text.append(phrase)
                    self._phrase_place.append(index)
                    self._phrase_whole.append(position == 0)
        self._place_of_phrase = np.asarray(self._phrase_place, dtype=np.int64)
        self._whole = np.asarray(self._phrase_whole, dtype=bool)

    @property
    def places(self) -> list[Place]:
        """All places, in the order they were given."""
        return list(self._places)

    def __len__(self) -> int:
        return len(self._places)

    @classmethod
    def bundled(cls) -> Gazetteer:
        """Return the gazetteer of the bundled data (read once per process).

        Returns
        -------
        Gazetteer
            GeoNames places, provinces and countries (``data/places.csv``), stations
            (``data/rail_stations.geojson``) and places named by bundled incidents.
        """
        return _bundled()

    @classmethod
    def from_files(
        cls,
        places_path: str | Path = DATA_DIR / "places.csv",
        stations_path: str | Path | None = DATA_DIR / "rail_stations.geojson",
        incidents_path: str | Path | None = DATA_DIR / "incidents.csv",
    ) -> Gazetteer:
        """Build a gazetteer from a places table, and optionally stations and incidents.

        Parameters
        ----------
        places_path : str or pathlib.Path
            CSV with ``name, kind, lon, lat, province, country, population, alt_names, source``.
        stations_path : str or pathlib.Path or None
            Station layer with ``station``, ``alt_names``, ``line``, ``km``.
        incidents_path : str or pathlib.Path or None
            Incident CSV with ``incident_id, place, province, geo_precision, lat, lon``.

        Returns
        -------
        Gazetteer
        """
        entries = list(place_entries(pd.read_csv(places_path, dtype={"alt_names": str})))
        if stations_path is not None:
            entries += station_entries(gpd.read_file(stations_path))
        if incidents_path is not None:
            table = pd.read_csv(incidents_path, dtype=str, keep_default_na=False)
            entries += incident_place_entries(table)
        return cls(entries)

    def _scores(self, key: str, *, whole_only: bool) -> dict[int, float]:
        """Return the best score of each place with a name matching ``key``."""
        if whole_only:
            candidates = np.flatnonzero(self._whole)
            choices = [self._phrase_text[i] for i in candidates]
        else:
            candidates = None
            choices = self._phrase_text
        matches = process.extract(
            key, choices, scorer=fuzz.ratio, score_cutoff=SEARCH_CUTOFF, limit=None
        )
        best: dict[int, float] = {}
        for _, score, position in matches:
            phrase_index = position if candidates is None else int(candidates[position])
            place = int(self._place_of_phrase[phrase_index])
            if self._whole[phrase_index]:
                score += _WHOLE_NAME_BONUS
            elif choices[position] != key:
                continue  # inside a longer name, only the exact words count
            best[place] = max(score, best.get(place, 0.0))
        return best

    def _prefix_scores(self, key: str) -> dict[int, float]:
        """Score places whose name starts with ``key`` (the analyst is still typing)."""
        out: dict[int, float] = {}
        if len(key) < 3:
            return out
        for phrase_index in np.flatnonzero(self._whole):
            phrase = self._phrase_text[phrase_index]
            if phrase.startswith(key) and phrase != key:
                score = 90.0 + 10.0 * len(key) / len(phrase)
                place = int(self._place_of_phrase[phrase_index])
                out[place] = max(score, out.get(place, 0.0))
        return out

    def _ranked(self, scores: dict[int, float]) -> list[Place]:
        def order(index: int) -> tuple[float, int, int, str]:
            place = self._places[index]
            return (
                -round(scores[index], 6),
                _KIND_RANK[place.kind],
                -(place.population or 0),
                place.name,
            )

        return [self._places[i] for i in sorted(scores, key=order)]

    def search(self, query: str, *, limit: int = 10) -> list[Place]:
        """Return the places best matching what an analyst typed, best first.

        Parameters
        ----------
        query : str
            A place name, whole or begun, in any usual spelling ("Mushkaf", "Machh",
            "Quetta railway station", "quet").
        limit : int
            Most results to return.

        Returns
        -------
        list of Place
            Whole-name matches before matches of words inside longer names (the places incidents
            name), then by kind and population. Empty for a query with no letters or digits.
        """
        if limit < 1:
            msg = f"limit must be at least 1, got {limit!r}"
            raise ValueError(msg)
        key = _match_key(query)
        if not key:
            return []
        scores = self._scores(key, whole_only=False)
        for place, score in self._prefix_scores(key).items():
            scores[place] = max(score, scores.get(place, 0.0))
        asks_for_station = _asks_for_station(query)
        for place in scores:
            if asks_for_station and self._places[place].kind == "station":
                scores[place] += _STATION_BONUS
            if self._places[place].country == _HOME_COUNTRY:
                scores[place] += _HOME_BONUS
        return self._ranked(scores)[:limit]

    def lookup(self, name: str, *, province: str | None = None) -> list[Place]:
        """Return the places called ``name`` (in any usual spelling), best first.

        Stricter than :meth:`search`: the whole name must match, not a word inside a longer name,
        because the result places a data row.

        Parameters
        ----------
        name : str
            A place name as a data file writes it.
        province : str or None
            If given, only places in that province (current name, old name such as "NWFP", or
            abbreviation) are returned; places without a province are dropped too.

        Returns
        -------
        list of Place
            Exact spelling-variant matches first, then close misspellings; ties by kind (towns
            before stations) and population.
        """
        key = _match_key(name)
        if not key:
            return []
        scores = {
            place: score
            for place, score in self._scores(key, whole_only=True).items()
            if score - _WHOLE_NAME_BONUS >= LOOKUP_CUTOFF
        }
        if _asks_for_station(name):
            scores = {
                place: score + (_STATION_BONUS if self._places[place].kind == "station" else 0)
                for place, score in scores.items()
            }
        if province is not None:
            wanted = canonical_province(province)
            scores = {
                place: score
                for place, score in scores.items()
                if self._places[place].province is not None
                and canonical_province(self._places[place].province) == wanted
            }
        return self._ranked(scores)


def canonical_province(name: str) -> str:
    """Return a comparable key for a province name, folding old names and abbreviations.

    Parameters
    ----------
    name : str
        "Baluchistan", "NWFP", "Khyber-Pakhtunkhwa", "KPK", ...

    Returns
    -------
    str
        The sound key of the current name.
    """
    normal = normalise_name(name)
    current = PROVINCE_ALIASES.get(normal, name)
    key = sound_key(current)
    for province in set(PROVINCE_ALIASES.values()) | {"Balochistan", "Sindh", "Punjab"}:
        if fuzz.ratio(key, sound_key(province)) >= PROVINCE_CUTOFF:
            return sound_key(province)
    return key


def place_entries(table: pd.DataFrame) -> list[tuple[Place, list[str]]]:
    """Return gazetteer entries from a ``data/places.csv`` table."""
    entries = []
    for row in table.itertuples(index=False):
        place = Place(
            name=str(row.name),
            kind=str(row.kind),
            lon=float(row.lon),
            lat=float(row.lat),
            province=_clean_text(row.province),
            population=_clean_population(row.population),
            source=str(row.source),
            country=_clean_text(row.country),
        )
        entries.append((place, _split_names(row.alt_names)))
    return entries


_STATION_SUFFIX = re.compile(r"\s+(junction|jn|cantonment|cantt|city|road)$", re.IGNORECASE)
# One station listed on two lines (Quetta on ML-3 and ML-4) is one place; a station placed by km
# post on each line can be drawn some kilometres apart (Spezand Junction).
_SAME_STATION_M = 25_000.0


def station_entries(stations: gpd.GeoDataFrame) -> list[tuple[Place, list[str]]]:
    """Return one entry per station, merging a station listed on several lines.

    Each station is also found as "<name> railway station", "<name> station" and, for
    "Sibi Junction", as "Sibi".
    """
    metric = stations.to_crs("EPSG:32642")
    merged: list[dict] = []
    for row, point in zip(stations.itertuples(index=False), metric.geometry, strict=True):
        line_km = f"{row.line} km {row.km:g}" if pd.notna(row.km) else f"{row.line}"
        for existing in merged:
            if (
                existing["name"] == row.station
                and existing["point"].distance(point) <= _SAME_STATION_M
            ):
                existing["lines"].append(line_km)
                existing["alt"].update(_split_names(row.alt_names))
                break
        else:
            merged.append(
                {
                    "name": row.station,
                    "point": point,
                    "lon": row.geometry.x,
                    "lat": row.geometry.y,
                    "lines": [line_km],
                    "alt": set(_split_names(row.alt_names)),
                }
            )
    provinces = _provinces_of(
        [(m["lon"], m["lat"]) for m in merged], DATA_DIR / "provinces.geojson"
    )
    entries = []
    for station, province in zip(merged, provinces, strict=True):
        names = [station["name"], *sorted(station["alt"])]
        bare = [_STATION_SUFFIX.sub("", n) for n in names]
        alt = sorted(
            set(names[1:])
            | {b for b in bare if b}
            | {f"{n} railway station" for n in bare}
            | {f"{n} station" for n in bare}
        )
        place = Place(
            name=station["name"],
            kind="station",
            lon=round(float(station["lon"]), 5),
            lat=round(float(station["lat"]), 5),
            province=province,
            population=None,
            source="rail_stations.geojson: " + "; ".join(station["lines"]),
            country="Pakistan",
        )
        entries.append((place, alt))
    return entries


def _provinces_of(points: list[tuple[float, float]], provinces_path: Path) -> list[str | None]:
    if not points or not provinces_path.exists():
        return [None] * len(points)
    provinces = gpd.read_file(provinces_path)[["name", "geometry"]].to_crs("EPSG:32642")
    frame = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(*zip(*points, strict=True)), crs="EPSG:4326"
    ).to_crs("EPSG:32642")
    joined = gpd.sjoin_nearest(frame, provinces, how="left", max_distance=15_000)
    joined = joined[~joined.index.duplicated(keep="first")]
    return [None if pd.isna(v) else str(v) for v in joined["name"]]


# Precisions at which an incident's point says nothing about the place its text names.
_UNPLACED_PRECISIONS = {"country", "province"}


def incident_place_entries(table: pd.DataFrame) -> list[tuple[Place, list[str]]]:
    """Return the places named by incidents, one per distinct name and point.

    Incidents located only to a province or country are left out: their point is a
    representative point, not the place their text names.
    """
    usable = table[
        ~table["geo_precision"].str.strip().str.lower().isin(_UNPLACED_PRECISIONS)
        & table["place"].str.strip().astype(bool)
    ]
    entries = []
    grouped = usable.groupby(["place", "lat", "lon"], sort=True)
    for (place_text, lat, lon), rows in grouped:
        try:
            lon_value, lat_value = float(lon), float(lat)
        except ValueError:
            continue
        provinces = [p for p in rows["province"] if p]
        place = Place(
            name=str(place_text),
            kind="incident place",
            lon=lon_value,
            lat=lat_value,
            province=provinces[0] if provinces else None,
            population=None,
            source="incidents.csv: " + ", ".join(rows["incident_id"]),
            country="Pakistan",
        )
        entries.append((place, []))
    return entries


@lru_cache(maxsize=1)
def _bundled() -> Gazetteer:
    return Gazetteer.from_files()
