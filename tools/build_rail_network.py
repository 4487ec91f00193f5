"""Derive ``data/rail_lines.geojson`` and ``data/rail_stations.geojson`` from ``data/raw/``.

Run ``python -m tools.build_rail_network``. The output is deterministic; a test checks that the
committed files are what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.railway import RailNetwork, ViaPoint, anchor_sections, build_rail_network

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
ML3 = "ML-3 Rohri–Chaman"
ML4 = "ML-4 Quetta–Taftan"

# UCDP GED locality points used as the coordinate of the station of the same place, because the
# stations themselves have no sourced coordinate (town/area points, not stations).
LOCALITY_FOR_STATION = {
    ("Peshi town", ML3): "Peshi",
    ("Ab-i-Gum Area", ML3): "Aab-e-Gum",
    ("Sariab town", ML3): "Sar-i-Ab",
    ("Sariab town", ML4): "Sar-i-Ab",
}
HIJACK_SITE = "Jaffar Express hijack site, 11 Mar 2025"
KHOJAK = "Khojak Tunnel"


def read_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the station table and the UCDP locality anchors from ``data/raw``."""
    stations = pd.read_csv(RAW / "rail_stations_pk.csv", dtype={"alt_names": str})
    localities = pd.read_csv(RAW / "bolan_localities_ucdp.csv")
    return stations, localities


def apply_locality_anchors(stations: pd.DataFrame, localities: pd.DataFrame) -> pd.DataFrame:
    """Give stations without coordinates the UCDP point of their town, and say so."""
    stations = stations.copy()
    by_name = localities.set_index("name")
    for (locality, line), station in LOCALITY_FOR_STATION.items():
        mask = (stations["line"] == line) & (stations["station"] == station)
        if not mask.any() or stations.loc[mask, "lat"].notna().any():
            continue
        point = by_name.loc[locality]
        stations.loc[mask, ["lat", "lon"]] = [point["lat"], point["lon"]]
        stations.loc[mask, "confidence"] = (
            f"UCDP GED locality point '{locality}' (where_prec {point['ucdp_where_prec']}), "
            "a town/area point, not the station; see data/raw/bolan_localities_ucdp.SOURCES.md"
        )
    return stations


def hijack_via_point(stations: pd.DataFrame) -> ViaPoint:
    """Return the hijack site, on the track between Pehro Kunri and Gudalar, as a line vertex."""
    reference = stations[stations["line"] == "reference_point"]
    site = reference[reference["station"].str.startswith("Jaffar Express hijack site")].iloc[0]
    pehro_kunri = stations[(stations["line"] == ML3) & (stations["station"] == "Pehro Kunri")]
    return ViaPoint(ML3, float(pehro_kunri["seq"].iloc[0]), site["lon"], site["lat"], HIJACK_SITE)


def khojak_via_point(stations: pd.DataFrame) -> ViaPoint:
    """Return the Khojak Tunnel (Wikipedia's point), between Shela Bagh and Chaman, as a vertex."""
    reference = stations[stations["line"] == "reference_point"]
    tunnel = reference[reference["station"].str.startswith(KHOJAK)].iloc[0]
    shela_bagh = stations[(stations["line"] == ML3) & (stations["station"] == "Shela Bagh")]
    return ViaPoint(ML3, float(shela_bagh["seq"].iloc[0]), tunnel["lon"], tunnel["lat"], KHOJAK)


def build() -> RailNetwork:
    """Build the network from the raw tables."""
    stations, localities = read_inputs()
    stations = apply_locality_anchors(stations, localities)
    return build_rail_network(stations, [hijack_via_point(stations), khojak_via_point(stations)])


def write(network: RailNetwork, out_dir: Path) -> None:
    """Write lines and stations as RFC 7946 GeoJSON with 5-decimal coordinates."""
    options = {"driver": "GeoJSON", "RFC7946": "YES", "COORDINATE_PRECISION": 5}
    write_layer(network.lines, out_dir / "rail_lines.geojson", options)
    stations = network.stations.drop(columns=["lat", "lon"])
    write_layer(stations, out_dir / "rail_stations.geojson", options)


def write_layer(frame: gpd.GeoDataFrame, path: Path, options: dict) -> None:
    """Write one layer, replacing an existing file."""
    path.unlink(missing_ok=True)
    frame.to_file(path, engine="pyogrio", **options)


def precision_report(network: RailNetwork) -> str:
    """Return, line by line, the drawn length against the km posts between anchors (Markdown)."""
    sections = anchor_sections(network.lines, network.stations)
    out = ["| line | from → to (km posts) | drawn km | km-post difference | drawn / posts |"]
    out.append("|---|---|---|---|---|")
    for row in sections.itertuples():
        out.append(
            f"| {row.line} | {row.from_station} ({row.km_from:g}) → {row.to_station} "
            f"({row.km_to:g}) | {row.drawn_km:.1f} | {row.posts_km:g} | {row.ratio:.2f} |"
        )
    out.append("")
    out.append("| line | anchors | drawn km between first and last anchor | km posts | ratio |")
    out.append("|---|---|---|---|---|")
    for line, rows in sections.groupby("line", sort=False):
        drawn, posts = rows["drawn_km"].sum(), rows["posts_km"].sum()
        out.append(f"| {line} | {len(rows) + 1} | {drawn:.1f} | {posts:g} | {drawn / posts:.2f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Build and write the rail layers, and report stations that could not be placed.

    With ``--report``, print the precision table (drawn length against km posts between
    anchors) instead of writing.
    """
    network = build()
    if "--report" in (sys.argv[1:] if argv is None else argv):
        print(precision_report(network))
        return 0
    write(network, ROOT / "data")
    print(f"{len(network.lines)} lines, {len(network.stations)} stations placed")
    for row in network.unplaced.itertuples():
        print(f"not placed: {row.line} seq {row.seq} {row.station} (km {row.km})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
