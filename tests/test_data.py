"""Checks on the bundled data: sourced, placed where it says, and reproducible from data/raw."""

import csv
import io
import re

import geopandas as gpd
import pandas as pd
import pytest

from geo.analysis import enrich
from geo.filters import near_rail_mask
from geo.io import load_bundled
from geo.railway import anchor_sections, locate_on_lines
from geo.schema import METRIC_CRS
from tests.conftest import DATA, ROOT
from tools import build_rail_network, derive_incidents

BOLAN_IDS = ("RAIL-001", "RAIL-004", "RAIL-005", "RAIL-008", "RAIL-012", "RAIL-021")


@pytest.fixture(scope="module")
def bundle():
    return load_bundled()


@pytest.fixture(scope="module")
def enriched(bundle):
    return enrich(
        bundle.incidents, bundle.provinces, bundle.rail_lines, bundle.stations, bundle.rail_sites
    ).set_index("incident_id")


def test_dataset_size_span_and_groups(bundle):
    incidents = bundle.incidents
    assert len(incidents) >= 40
    years = set(incidents["start"].dt.year)
    assert {2023, 2024, 2025} <= years
    groups = {g for cell in incidents["groups"] for g in cell.split("; ")} - {"Unidentified"}
    assert len(groups) >= 5
    assert {"BLA", "BLF", "TTP", "ISKP"} <= groups


def test_the_two_cases_that_started_the_project(enriched):
    hijack = enriched.loc["RAIL-008"]
    assert str(hijack["start"]).startswith("2025-03-11")
    assert str(hijack["end"]).startswith("2025-03-12")
    assert hijack["groups"] == "BLA"
    assert "Majeed Brigade" in hijack["group_detail"]
    assert "Jaffar Express" in hijack["target"]
    assert hijack["hostages"]
    station = enriched.loc["RAIL-007"]
    assert str(station["start"]).startswith("2024-11-09")
    assert station["district"] == "Quetta"
    assert station["event_type"] == "Explosions/Remote violence"
    assert station["sub_event_type"] == "Suicide bomb"
    assert (station["fatalities_low"], station["fatalities_high"]) == (24, 32)


def test_every_incident_has_a_source_with_a_url(bundle):
    for row in bundle.incidents.itertuples():
        urls = [s["url"] for s in row.sources if s["url"].startswith(("http://", "https://"))]
        assert urls, f"{row.incident_id} has no source with a URL"


def test_every_incident_lies_in_pakistan_and_in_its_stated_province(enriched):
    outside = enriched[enriched["point_province"] == ""]
    assert outside.empty, list(outside.index)
    wrong = enriched[enriched["province_mismatch"]]
    assert wrong.empty, wrong[["province", "point_province"]]


def test_bolan_pass_incidents_lie_on_or_near_the_drawn_line(enriched):
    for incident_id in BOLAN_IDS:
        row = enriched.loc[incident_id]
        assert row["nearest_line"] == "ML-3 Rohri–Chaman", incident_id
        assert row["rail_distance_km"] < 3, (incident_id, row["rail_distance_km"])


def test_hijack_site_is_on_the_track_between_pehro_kunri_and_panir(enriched):
    hijack = enriched.loc["RAIL-008"]
    assert hijack["rail_distance_km"] < 0.1
    assert 266 < hijack["rail_km_post"] < 281  # Pehro Kunri km 266, Panir km 281


SPEZAND_IDS = ("RAIL-014", "RAIL-015", "RAIL-016")


def test_spezand_track_bombings_are_on_ml3_at_the_post_their_sources_name(enriched):
    for incident_id in SPEZAND_IDS:
        row = enriched.loc[incident_id]
        assert row["geo_precision"] == "district"  # the map point is still Mastung town
        assert row["rail_basis"] == "stated site", incident_id
        assert row["nearest_line"] == "ML-3 Rohri–Chaman"
        assert 357 <= row["rail_km_post"] <= 364  # Spezand Junction km 357, Sar-i-Ab km 371
        assert row["rail_distance_km"] == 0
    near = near_rail_mask(enriched, 10, include_possible=False)
    assert near[list(SPEZAND_IDS)].all()


def test_track_attacks_near_mastung_without_a_named_site_are_only_possibly_near(enriched):
    for incident_id in ("RAIL-006", "RAIL-025"):  # "near Mastung", "Dasht area": no station
        assert enriched.loc[incident_id, "rail_basis"] == "imprecise point"
    possible = near_rail_mask(enriched, 10)
    definite = near_rail_mask(enriched, 10, include_possible=False)
    assert possible[["RAIL-006", "RAIL-025"]].all()
    assert not definite[["RAIL-006", "RAIL-025"]].any()


def test_rail_sites_are_what_the_derivation_writes(bundle):
    incidents, _, _ = derive_incidents.derive()
    rows = derive_incidents.derive_rail_sites({row["incident_id"] for row in incidents})
    committed = (DATA / "incident_rail_sites.csv").read_text(encoding="utf-8")
    assert _csv_text(rows, derive_incidents.RAIL_SITE_FIELDS) == committed
    assert set(bundle.rail_sites["incident_id"]) <= set(bundle.incidents["incident_id"])


def _metric_lines(bundle):
    return bundle.rail_lines.to_crs(METRIC_CRS).set_index("line").geometry


def test_every_station_with_a_sourced_coordinate_lies_on_its_drawn_line(bundle):
    lines = _metric_lines(bundle)
    sourced = bundle.stations[bundle.stations["placement"] == "sourced coordinate"]
    sourced = sourced.to_crs(METRIC_CRS)
    for row in sourced.itertuples():
        assert lines[row.line].distance(row.geometry) < 2_000, (row.line, row.station)


# Sourced points of places on a line that the line is not drawn through (a second source for an
# anchor, or a feature named after a station). Spezand's only sourced point, a GeoNames airfield
# of that name, lies ~15 km from the drawn line, and is itself 30 km in a straight line from
# Quetta station where the km posts allow at most 24 km of track: it is not the station, so
# the line is not drawn through it (data/README.md, "How precise the rail geometry is").
CHECKPOINTS_FAR = {"Spezand (GeoNames abandoned airfield)": (10, 20)}


def test_cross_check_points_lie_within_2_km_of_the_drawn_line(bundle):
    checkpoints = pd.read_csv(DATA / "raw" / "rail_checkpoints.csv")
    points = gpd.GeoSeries.from_xy(checkpoints["lon"], checkpoints["lat"], crs="EPSG:4326")
    distances = points.to_crs(METRIC_CRS).distance(
        _metric_lines(bundle)[checkpoints["line"]].reset_index(drop=True)
    )
    for name, km in zip(checkpoints["name"], distances / 1000, strict=True):
        low, high = CHECKPOINTS_FAR.get(name, (0, 2))
        assert low <= km <= high, (name, round(km, 2))


# Drawn length over km-post difference between the first and last anchor of each line, and the
# range of that ratio over consecutive anchors, as stated in data/README.md. Between town points
# 1-3 km from their stations, short sections cannot be better than about ±15%.
LENGTH_RATIOS = {
    "ML-1 Karachi–Peshawar": (0.94, 0.77, 1.13),
    "ML-1 loop Lodhran–Multan–Khanewal": (0.99, 0.92, 1.05),
    "ML-3 Rohri–Chaman": (0.87, 0.62, 1.25),
    "ML-4 Quetta–Taftan": (0.91, 0.75, 1.13),
    "Sibi–Khost branch": (0.67, 0.67, 0.67),
}


def test_drawn_length_between_anchors_against_km_posts(bundle):
    sections = anchor_sections(bundle.rail_lines, bundle.stations)
    assert set(sections["line"]) == set(LENGTH_RATIOS)
    for line, rows in sections.groupby("line"):
        whole, low, high = LENGTH_RATIOS[line]
        assert rows["drawn_km"].sum() / rows["posts_km"].sum() == pytest.approx(whole, abs=0.01)
        assert rows["ratio"].min() == pytest.approx(low, abs=0.01), line
        assert rows["ratio"].max() == pytest.approx(high, abs=0.01), line
    within_5 = sections[(sections["ratio"] - 1).abs() <= 0.05]
    assert len(within_5) >= 29  # of 69 sections between consecutive anchors (data/README.md)


def test_the_bolan_sections_the_issue_measured(bundle):
    sections = anchor_sections(bundle.rail_lines, bundle.stations).set_index("to_station")
    bolan = sections[sections["line"] == "ML-3 Rohri–Chaman"]
    sibi_to_mach = bolan.loc[["Peshi", "Aab-e-Gum", "Mach"], "drawn_km"].sum()
    assert sibi_to_mach == pytest.approx(65.8, abs=0.2)  # km posts: 75
    mach_to_quetta = bolan.loc[["Sar-i-Ab", "Quetta"], "drawn_km"].sum()
    assert mach_to_quetta == pytest.approx(52.3, abs=0.2)  # km posts: 66


def test_sibi_harnai_khost_branch_has_its_stations_and_km_posts(bundle):
    branch = bundle.stations[bundle.stations["line"] == "Sibi–Khost branch"].set_index("station")
    assert branch.loc["Sibi Junction", "km"] == 0
    assert branch.loc["Harnai", "km"] == 93
    assert branch.loc["Harnai", "placement"] == "sourced coordinate"
    assert branch.loc["Speentangi", "placement"] == "placed by km post along the drawn line"
    # Nakus, Sharigh, Khost and Zardalu lie beyond Harnai, the last sourced coordinate.
    assert not {"Nakus", "Sharigh", "Khost", "Zardalu"} & set(branch.index)
    harnai = gpd.GeoSeries.from_xy([67.93778], [30.1], crs="EPSG:4326")
    located = locate_on_lines(harnai, bundle.rail_lines, bundle.stations)
    assert located["nearest_line"].iloc[0] == "Sibi–Khost branch"
    assert located["rail_km_post"].iloc[0] == pytest.approx(93, abs=1)


def test_reported_figures_name_who_reported_them(bundle):
    figures = bundle.figures
    assert set(figures["incident_id"]) <= set(bundle.incidents["incident_id"])
    assert (figures["reported_by"] != "").all()
    no_url = figures[figures["url"] == ""]
    assert no_url["cited_in"].str.startswith("seed article").all()
    aboard = figures[
        (figures["incident_id"] == "RAIL-008") & (figures["measure"] == "people on board")
    ]
    assert set(aboard["value_low"]) == {"380", "440", "450", "500"}  # every figure kept


def test_stations_keep_how_they_were_placed(bundle):
    placements = set(bundle.stations["placement"])
    assert placements == {"sourced coordinate", "placed by km post along the drawn line"}
    quetta = bundle.stations[bundle.stations["station"] == "Quetta"]
    assert set(quetta["placement"]) == {"sourced coordinate"}


def _csv_text(rows, fields):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def test_incident_tables_are_what_the_derivation_writes():
    incidents, sources, excluded = derive_incidents.derive()
    committed = (DATA / "incidents.csv").read_text(encoding="utf-8")
    assert _csv_text(incidents, derive_incidents.INCIDENT_FIELDS) == committed
    committed_sources = (DATA / "incident_sources.csv").read_text(encoding="utf-8")
    assert _csv_text(sources, derive_incidents.SOURCE_FIELDS) == committed_sources


def test_rail_layers_are_what_the_build_writes():
    network = build_rail_network.build()
    lines = gpd.read_file(DATA / "rail_lines.geojson")
    assert list(lines["line"]) == list(network.lines["line"])
    for drawn, committed in zip(network.lines.geometry, lines.geometry, strict=True):
        assert drawn.equals_exact(committed, tolerance=1e-5)
    stations = gpd.read_file(DATA / "rail_stations.geojson")
    assert list(stations["station"]) == list(network.stations["station"])


def test_every_data_file_is_described_in_the_data_readme():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    files = [p for p in DATA.rglob("*") if p.is_file() and p.name != "README.md"]
    missing = [str(p.relative_to(DATA)) for p in files if str(p.relative_to(DATA)) not in readme]
    assert not missing, f"data/README.md does not mention {missing}"


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\s*(make \w+)\s*$", readme, re.M)
    assert "make run" in commands and "make test" in commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run: setup\b", makefile, re.M)
    assert re.search(r"^test: setup browser postgis$", makefile, re.M)


def test_excluded_rows_are_listed_with_reasons():
    excluded = pd.read_csv(DATA / "excluded_incidents.csv", dtype=str, keep_default_na=False)
    assert list(excluded.columns) == ["incident_id", "reason"]
    assert (excluded["reason"] != "").all()
