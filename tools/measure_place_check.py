"""Measure the far-from-place check: false alarms on points known to be right, and detections.

Run ``python -m tools.measure_place_check``. Three sets of rows whose point is known to be where
the row's place name says (any flag on them is a false alarm):

1. the bundled incidents (``data/incidents.csv``, every point checked against its sources), at
   their stated precision, against GeoNames places and stations (not the incidents' own places);
2. railway stations with a sourced coordinate (``data/rail_stations.geojson``), named as ACLED
   names a location (the station's name), at ``near`` precision, against GeoNames places only
   (so a station never matches itself);
3. the same stations at ``district`` precision, moved 30 km in a random direction (a district
   centroid named after its town).

Then detection: the stations moved 150-400 km in a random direction, kept inside Pakistan's
bounding box, at ``exact`` precision (a town's events put far away and marked exact).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from geo.gazetteer import DATA_DIR, Gazetteer
from geo.io import load_bundled
from geo.placecheck import check_places

GEOD = Geod(ellps="WGS84")
SEED = 20250311


def _moved(frame: gpd.GeoDataFrame, km: np.ndarray, rng: np.random.Generator) -> gpd.GeoDataFrame:
    azimuth = rng.uniform(0, 360, len(frame))
    lon, lat, _ = GEOD.fwd(frame.geometry.x, frame.geometry.y, azimuth, km * 1000)
    return frame.set_geometry(gpd.points_from_xy(lon, lat), crs=frame.crs)


def _rate(name: str, frame: pd.DataFrame, gazetteer: Gazetteer) -> tuple[int, int]:
    check = check_places(frame, gazetteer)
    checked, far = int(check.checked.sum()), int(check.far.sum())
    share = f"{far / checked:.1%}" if checked else "n/a"
    print(f"{name}: {len(frame)} rows, {checked} checked, {far} flagged far-from-place ({share})")
    for note, place in zip(check.note[check.far], frame.loc[check.far, "place"], strict=True):
        print(f"    {place[:60]!r}: {note}")
    return checked, far


def _stations() -> gpd.GeoDataFrame:
    stations = gpd.read_file(DATA_DIR / "rail_stations.geojson")
    sourced = stations[stations["placement"] == "sourced coordinate"].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {
            "place": sourced["station"],
            "province": "",
            "district": "",
            "geo_precision": "near",
        },
        geometry=sourced.geometry,
        crs=sourced.crs,
    )


def main() -> None:
    """Print the false-alarm and detection rates."""
    rng = np.random.default_rng(SEED)
    with_stations = Gazetteer.from_files(incidents_path=None)
    places_only = Gazetteer.from_files(stations_path=None, incidents_path=None)
    incidents = load_bundled().incidents
    totals = [_rate("bundled incidents", incidents, with_stations)]
    stations = _stations()
    totals.append(_rate("stations as near-precision rows", stations, places_only))
    centroids = _moved(stations, np.full(len(stations), 30.0), rng).assign(geo_precision="district")
    totals.append(_rate("stations moved 30 km, district precision", centroids, places_only))
    checked, false_alarms = (sum(t[i] for t in totals) for i in (0, 1))
    print(f"false alarms: {false_alarms} of {checked} checked rows ({false_alarms / checked:.1%})")
    far = _moved(stations, rng.uniform(150, 400, len(stations)), rng).assign(geo_precision="exact")
    inside = far.geometry.x.between(60.8, 77.9) & far.geometry.y.between(23.6, 37.1)
    found, flagged = _rate("stations moved 150-400 km, exact", far[inside], places_only)
    print(f"detected: {flagged} of {found} displaced rows ({flagged / found:.1%})")


if __name__ == "__main__":
    main()
