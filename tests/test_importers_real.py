"""Real-export quirks, one fixture per dataset written from the published codebooks.

- ``gtd_cut.csv``: a cut-down GTD export (no ``eventid``), with the three identical rows a
  coordinated attack leaves, old and misspelt province names (NWFP, Sind, Baluchistan, FATA,
  Northern Areas, "Khyber Pakhtunkwa", "Balochistan Province", an unknown "Zomia"), numbers
  written ``1.0``/``True``/``-9``, a country-only row without coordinates, gname/gsubname pairs.
- ``acled_pakistan.csv``: today's ACLED layout, BLA spelt three ways, a Peace Committee and
  private security as sides, a militia called "Forces of ...", a country-level row, two
  identical rows with their own event ids, a row whose point is Quetta's but names Turbat.
- ``ucdp_ged_pakistan.csv``: UCDP GED rows whose best/low/high disagree, where_prec 6 and 7,
  ``4.0`` number formats, "Baluchistan" and " province" suffixes.
- ``generic_a.csv`` / ``generic_b.csv``: two analysts' files both numbered 1, 2, 3.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.analysis import summarise
from geo.export import content_hash, read_snapshot, snapshot_bytes
from geo.filters import IncidentFilter, on_map_mask
from geo.importers import ImportResult, import_incidents
from geo.io import load_provinces
from geo.licences import restricted_note
from geo.schema import INCIDENT_COLUMNS

REAL = Path(__file__).resolve().parent / "fixtures" / "imports" / "real"
PROVINCES = load_provinces()


def run(name: str, registry) -> ImportResult:
    return import_incidents(REAL / name, name=name, registry=registry, provinces=PROVINCES)


@pytest.fixture(scope="module")
def gtd(registry) -> ImportResult:
    return run("gtd_cut.csv", registry)


@pytest.fixture(scope="module")
def acled(registry) -> ImportResult:
    return run("acled_pakistan.csv", registry)


@pytest.fixture(scope="module")
def ucdp(registry) -> ImportResult:
    return run("ucdp_ged_pakistan.csv", registry)


def rows(result: ImportResult) -> pd.DataFrame:
    return result.incidents.set_index("incident_id")


def test_identical_gtd_rows_are_three_events_with_traceable_ids(gtd):
    assert (gtd.rows_read, gtd.kept, len(gtd.rejected)) == (19, 19, 0)
    ids = list(gtd.incidents["incident_id"][:3])
    assert ids == [f"GTD:gtd_cut.csv:line-{n}" for n in (2, 3, 4)]
    assert gtd.incidents["incident_id"].is_unique
    assert set(gtd.incidents["provenance"][:2]) == {
        "gtd_cut.csv line 2 (gtd)",
        "gtd_cut.csv line 3 (gtd)",
    }


def test_two_generic_files_numbered_alike_keep_every_row(registry):
    from ui.imports import combine

    first, second = (run(f"generic_{x}.csv", registry) for x in "ab")
    assert list(first.incidents["incident_id"]) == [f"CSV:generic_a.csv:{n}" for n in (1, 2, 3)]
    base = first.incidents.iloc[0:0]
    combined, duplicates = combine(base, [first, second])
    assert (len(combined), duplicates) == (6, 0)


@pytest.mark.parametrize(
    ("line", "province"),
    [
        (5, "Khyber Pakhtunkhwa"),  # NWFP
        (6, "Balochistan"),  # Baluchistan
        (7, "Sindh"),  # Sind
        (8, "Sindh"),  # "Sindh province"
        (9, "Balochistan"),  # "Balochistan Province"
        (12, "Khyber Pakhtunkhwa"),  # "Khyber Pakhtunkwa", a letter dropped
        (13, "Khyber Pakhtunkhwa"),  # Federally Administered Tribal Areas
        (14, "Gilgit-Baltistan"),  # Northern Areas
        (17, "Balochistan"),  # "Zomia": not recognised, province from the point
        (20, "Khyber Pakhtunkhwa"),  # North-West Frontier Province
    ],
)
def test_province_spellings_become_one_name(gtd, line, province):
    assert rows(gtd).loc[f"GTD:gtd_cut.csv:line-{line}", "province"] == province


def test_one_spelling_per_province_and_unrecognised_names_reported(gtd, acled, ucdp):
    provinces = pd.concat([r.incidents["province"] for r in (gtd, acled, ucdp)])
    assert set(provinces) - {""} <= set(PROVINCES["name"])
    assert "province name(s) not recognised, province taken from the point instead: " in (
        gtd.report()
    )
    assert "'Zomia' (1 row(s))" in gtd.report()
    assert (
        "source province 'Zomia' not recognised"
        in rows(gtd).loc["GTD:gtd_cut.csv:line-17", "geo_note"]
    )
    assert not gtd.incidents["flags"].str.contains("province-mismatch").any()


@pytest.mark.parametrize(
    ("line", "hostages", "detail"),
    [
        (10, "30 taken", "suicide attack"),  # ishostkid 1.0, nhostkid 30.0
        (13, "7 taken", ""),  # ishostkid True
        (12, "unknown whether hostages were taken", ""),  # ishostkid -9
        (2, "", "suicide attack; property damage: Minor (likely < $1 million)"),
        (7, "", "property damage: Minor (likely < $1 million) (US$ 150,000)"),
    ],
)
def test_gtd_hostages_suicide_and_property_arrive(gtd, line, hostages, detail):
    row = rows(gtd).loc[f"GTD:gtd_cut.csv:line-{line}"]
    assert row["hostages"] == hostages
    assert row["attack_detail"].endswith(detail)


def test_gtd_claims_in_any_number_format(gtd):
    table = rows(gtd)
    assert table.loc["GTD:gtd_cut.csv:line-5", "claimed_by"] == (
        "Tehrik-i-Taliban Pakistan (TTP) (Personal claim)"
    )  # claimed 1.0
    assert table.loc["GTD:gtd_cut.csv:line-9", "claimed_by"].startswith("Khorasan Chapter")
    assert table.loc["GTD:gtd_cut.csv:line-7", "claimed_by"] == ""  # claimed 0


def test_country_level_rows_kept_not_drawn(gtd, acled, ucdp):
    country = rows(gtd).loc["GTD:gtd_cut.csv:line-16"]  # specificity 5, no coordinates
    assert country["geo_precision"] == "country"
    assert "Pakistan's representative point" in country["geo_note"]
    assert country["place"] == "Pakistan"
    assert rows(acled).loc["ACLED:PAK90008", "geo_precision"] == "country"
    assert list(rows(ucdp).loc[["UCDP:530003", "UCDP:530004"], "geo_precision"]) == [
        "country",
        "country",
    ]
    everything = pd.concat([r.incidents for r in (gtd, acled, ucdp)], ignore_index=True)
    assert int((~on_map_mask(everything)).sum()) == 4
    assert summarise(everything, "month")["incidents"].sum() == len(everything)


def test_ucdp_figures_that_disagree_are_kept_and_flagged(ucdp):
    siege = rows(ucdp).loc["UCDP:530001"]  # best 64 above high 31
    assert siege["flags"] == "figures-inconsistent"
    assert "UCDP figures disagree as given: low 60, best 64, high 31" in siege["figures_note"]
    assert (siege["fatalities_high"], siege["deaths_reported"]) == (64, 64)
    bannu = rows(ucdp).loc["UCDP:530002"]  # low 5.0 above best 4.0
    assert "low 5, best 4, high 6" in bannu["figures_note"]
    assert (bannu["fatalities_low"], bannu["fatalities_best"], bannu["fatalities_high"]) == (
        4,
        4,
        6,
    )
    assert "np." not in ucdp.report()


def test_sides_are_not_groups_nor_co_perpetrators(acled):
    table = rows(acled)
    assert table.loc["ACLED:PAK90006", "groups"] == "Unidentified"
    assert table.loc["ACLED:PAK90006", "target"] == "Peace Committee (Pakistan)"
    assert table.loc["ACLED:PAK90007", "groups"] == "TTP"
    assert "Private Security Forces (Pakistan)" in table.loc["ACLED:PAK90007", "target"]
    assert table.loc["ACLED:PAK90001", "groups"] == "BLA"
    # A militia called "Forces of ..." is an armed group, not state forces.
    assert table.loc["ACLED:PAK90011", "groups"] == "Forces of the Baloch Nation"


def test_one_name_per_group_across_datasets(gtd, acled, ucdp):
    names = {
        g for r in (gtd, acled, ucdp) for cell in r.incidents["groups"] for g in cell.split("; ")
    }
    assert {"BLA", "ISKP", "LeJ-A", "UBA", "SRA", "Afghan Taliban", "ISPP", "JuA"} <= names
    assert not names & {"BLA: Baloch Liberation Army", "Khorasan Chapter of the Islamic State"}


def test_actor_mapping_lists_every_spelling_with_row_counts(acled):
    mapping = acled.actor_mapping.set_index("as_written")
    assert mapping.loc["BLA: Baloch Liberation Army", "mapped_to"] == "BLA"
    assert mapping.loc["Baloch Liberation Army", "mapped_to"] == "BLA"
    assert mapping.loc["BLA", "mapped_to"] == "BLA"
    assert mapping.loc["BLA: Baloch Liberation Army", "rows"] == 3
    assert mapping.loc["Peace Committee (Pakistan)", "mapped_to"] == "side: pro-government militia"
    assert mapping.loc["Military Forces of Pakistan (2024-)", "rows"] == 3
    csv = acled.actor_mapping_csv().decode()
    assert csv.startswith("as_written,mapped_to,rows\n")
    assert "Private Security Forces (Pakistan),side: private security,1" in csv


def test_far_from_the_named_place(acled):
    turbat = rows(acled).loc["ACLED:PAK90010"]
    assert turbat["flags"] == "far-from-place"
    assert "km from Turbat" in turbat["geo_note"]
    assert acled.flagged == 1  # the other ten rows, at their towns, raise nothing


def test_totals_keep_both_meanings(acled, ucdp):
    both = pd.concat([acled.incidents, ucdp.incidents], ignore_index=True)
    total = summarise(both, "month").sum()
    assert total["deaths_reported"] == both["deaths_reported"].sum()
    assert total["deaths_reported"] > total["fatalities_low"]


def test_licences_travel_and_restricted_exports_are_announced(gtd, ucdp):
    assert set(gtd.incidents["licence"]) == {
        "GTD (Global Terrorism Database): GTD End User Agreement (START / CHC Global)"
    }
    assert set(ucdp.incidents["licence"]) == {
        "UCDP GED (Uppsala Conflict Data Program Georeferenced Event Dataset): CC BY 4.0"
    }
    both = pd.concat([gtd.incidents, ucdp.incidents], ignore_index=True)
    note = restricted_note(both)
    assert note.startswith("Of these incidents, 19 from GTD (Global Terrorism Database)")
    assert "UCDP" not in note
    assert restricted_note(ucdp.incidents) == ""


def test_snapshot_round_trip_keeps_every_field(gtd, acled, ucdp, registry):
    everything = gpd.GeoDataFrame(
        pd.concat([r.incidents for r in (gtd, acled, ucdp)], ignore_index=True),
        geometry="geometry",
        crs="EPSG:4326",
    )
    data = snapshot_bytes(
        everything,
        filters=IncidentFilter(),
        dataset_hash=content_hash(everything),
        dataset_count=len(everything),
    )
    metadata = json.loads(data)["metadata"]
    datasets = {d["dataset"]: d for d in metadata["datasets"]}
    assert datasets["gtd_cut.csv"]["restricts_sharing"] is True
    assert datasets["ucdp_ged_pakistan.csv"]["licence"].endswith("CC BY 4.0")
    assert datasets["acled_pakistan.csv"]["rows"] == 11
    back = read_snapshot(data).incidents
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")),
        pd.DataFrame(everything[list(INCIDENT_COLUMNS)].drop(columns="geometry")),
        check_dtype=False,
    )
    assert back.geometry.geom_equals_exact(everything.geometry, tolerance=1e-6).all()
    assert (back["flags"] != "").sum() == 3
    again = import_incidents(data, name="snap.geojson", registry=registry)
    assert again.kept == len(everything)
    assert content_hash(again.incidents) == content_hash(everything)
