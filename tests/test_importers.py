"""ACLED, GTD, UCDP GED and generic CSV imports from hand-written fixtures."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.importers import ImportResult, detect_format, import_incidents, suggest_mapping
from geo.io import load_provinces
from geo.schema import INCIDENT_COLUMNS, validate_incidents

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"
GENERIC_MAPPING = {
    "incident_id": "ref",
    "date": "when",
    "latitude": "lat",
    "longitude": "lng",
    "place": "where",
    "groups": "who",
    "fatalities": "killed",
    "event_type": "kind",
    "source_url": "link",
}


@pytest.fixture(scope="module")
def pk_provinces() -> gpd.GeoDataFrame:
    return load_provinces()


def run(name: str, registry, provinces, **kwargs) -> ImportResult:
    return import_incidents(
        FIXTURES / name, name=name, registry=registry, provinces=provinces, **kwargs
    )


def by_id(result: ImportResult) -> pd.DataFrame:
    return result.incidents.set_index("incident_id")


def reasons(result: ImportResult) -> dict[int, str]:
    return dict(zip(result.rejected["line"], result.rejected["reason"], strict=True))


@pytest.mark.parametrize(
    ("name", "fmt", "rows", "kept"),
    [
        ("acled_2024.csv", "acled", 8, 4),
        ("acled_old.csv", "acled", 3, 3),
        ("acled_extract.csv", "acled", 3, 2),
        ("gtd.csv", "gtd", 6, 5),
        ("gtd_extract.csv", "gtd", 2, 2),
        ("ucdp_ged.csv", "ucdp", 5, 4),
        ("ucdp_ged_hxl.csv", "ucdp", 2, 2),
        ("generic_wkt.csv", "csv", 4, 2),
    ],
)
def test_every_row_is_kept_or_rejected(name, fmt, rows, kept, registry, pk_provinces):
    result = run(name, registry, pk_provinces)
    assert result.format == fmt
    assert result.rows_read == rows
    assert result.kept == kept
    assert result.kept + len(result.rejected) == result.rows_read
    assert list(result.incidents.columns) == list(INCIDENT_COLUMNS)
    validate_incidents(result.incidents)
    assert set(result.incidents["dataset"]) == {name}
    assert list(result.rejected.columns) == ["line", "reason", "raw"]


def test_acled_current_layout(registry, pk_provinces):
    result = run("acled_2024.csv", registry, pk_provinces)
    rows = by_id(result)
    first = rows.loc["ACLED:PAK1001"]
    assert first["groups"] == "BLA"
    assert first["geo_precision"] == "near"
    assert first["date_precision"] == "day"
    assert str(first["end"]) == "2024-11-09 23:59:59"
    assert first["fatalities_high"] == 26 and pd.isna(first["fatalities_best"])
    assert "attackers" in first["figures_note"]
    assert first["sources"] == [
        {"publisher": "Dawn", "title": "", "date": "", "url": ""},
        {"publisher": "Express Tribune", "title": "", "date": "", "url": ""},
    ]
    assert first["target"] == "Civilians (Pakistan)"
    assert "Quetta railway station" in first["summary"]
    # BLA-J is a BLA wing; week precision covers the seven days around the date.
    week = rows.loc["ACLED:PAK1002"]
    assert week["groups"] == "BLA"
    assert week["date_precision"] == "week"
    assert (str(week["start"]), str(week["end"])) == ("2024-11-09 00:00:00", "2024-11-15 23:59:59")
    assert week["geo_precision"] == "district"
    month = rows.loc["ACLED:PAK1008"]
    assert (month["date_precision"], month["geo_precision"], month["groups"]) == (
        "month",
        "province",
        "TTP",
    )
    assert str(month["end"]) == "2024-11-30 23:59:59"
    assert month["fatalities_low"] == 0 and month["fatalities_high"] == 0


def test_acled_rejections_name_line_and_reason(registry, pk_provinces):
    result = run("acled_2024.csv", registry, pk_provinces)
    assert reasons(result) == {
        5: "no coordinates",
        6: "latitude/longitude apparently swapped: (67.0014, 30.1841) lies outside Pakistan but swapped it lies inside",
        8: "unparseable date: event_date '31/31/2024'",
        9: "latitude 95 is out of range -90..90",
    }
    raw = result.rejected.set_index("line")["raw"]
    assert raw[5].startswith("PAK1003,2024-11-13,")


def test_multiline_notes_keep_line_numbers(registry, pk_provinces):
    # Row 1's notes span two physical lines, so row 2 starts on line 4.
    result = run("acled_2024.csv", registry, pk_provinces)
    assert 5 in set(result.rejected["line"])
    assert "\n" in by_id(result).loc["ACLED:PAK1001", "summary"]


def test_point_contradicting_stated_province_is_kept_and_flagged(registry, pk_provinces):
    result = run("acled_2024.csv", registry, pk_provinces)
    assert result.flagged == 1
    flagged = by_id(result).loc["ACLED:PAK1005"]
    assert flagged["flags"] == "province-mismatch"
    assert "stated province Sindh but the point lies in Balochistan" in flagged["geo_note"]
    assert result.summary() == "kept 4 of 8 rows (4 rejected, 1 flagged)"


def test_acled_older_layout(registry, pk_provinces):
    rows = by_id(run("acled_old.csv", registry, pk_provinces))
    assert list(rows.index) == ["ACLED:PAK201", "ACLED:PAK202", "ACLED:5003"]
    assert rows.loc["ACLED:PAK201", "event_type"] == "Explosions/Remote violence"
    assert str(rows.loc["ACLED:PAK201", "start"]) == "2018-11-09 00:00:00"
    assert rows.loc["ACLED:PAK202", "groups"] == "BLA"  # "Majeed Brigade", inter 2
    assert rows.loc["ACLED:PAK202", "event_type"] == "Battles"
    assert rows.loc["ACLED:5003", "groups"] == "Unidentified"


def test_acled_cut_down_extract(registry, pk_provinces):
    result = run("acled_extract.csv", registry, pk_provinces)
    rows = by_id(result)
    assert rows.loc["ACLED:PAK3001", "groups"] == "BLA"
    # Without inter codes, state forces are told apart by name.
    assert rows.loc["ACLED:PAK3002", "groups"] == "Unidentified"
    assert rows.loc["ACLED:PAK3002", "target"] == "Police Forces of Pakistan (2018-)"
    assert rows.loc["ACLED:PAK3001", "province"] == "Balochistan"
    assert "province from the point" in rows.loc["ACLED:PAK3001", "geo_note"]
    assert any("no event_type column" in note for note in result.notes)


def test_gtd(registry, pk_provinces):
    result = run("gtd.csv", registry, pk_provinces)
    rows = by_id(result)
    train = rows.loc["GTD:201503140001"]
    assert (train["fatalities_low"], train["fatalities_best"], train["fatalities_high"]) == (
        4,
        4,
        4,
    )
    assert train["injured_best"] == 12
    assert "includes nkillter 1" in train["figures_note"]
    assert train["claimed_by"] == "Baloch Liberation Army (BLA)"
    assert train["sources"][0]["url"] == "https://www.dawn.com/news/1169999"
    assert train["event_type"] == "Explosions/Remote violence"
    month = rows.loc["GTD:201501000002"]
    assert month["date_precision"] == "month"
    assert (str(month["start"]), str(month["end"])) == (
        "2015-01-01 00:00:00",
        "2015-01-31 23:59:59",
    )
    assert month["province"] == "Balochistan"  # "Baluchistan" as GTD spells it
    assert month["groups"] == "Unidentified"
    assert pd.isna(month["fatalities_high"])  # -99 = unknown
    assert month["event_type"] == "Battles"  # armed assault on police
    year = rows.loc["GTD:201500000003"]
    assert year["date_precision"] == "year"
    assert str(year["end"]) == "2015-12-31 23:59:59"
    assert pd.isna(year["fatalities_best"]) and year["fatalities_high"] == 3
    assert "vicinity" in year["geo_note"]
    assert year["geo_precision"] == "province"
    assert any("nkill - nkillter" in note for note in result.notes)


def test_gtd_wings_hostages_and_extended(registry, pk_provinces):
    row = by_id(run("gtd.csv", registry, pk_provinces)).loc["GTD:201506180006"]
    assert row["groups"] == "BLA"
    assert row["group_detail"] == "Baloch Liberation Army (BLA); Majeed Brigade"
    assert row["hostages"] == "20 taken"
    assert str(row["end"]) == "2015-06-20 23:59:59"
    assert "resolved 2015-06-20" in row["time_note"]
    assert "province-mismatch" in row["flags"].split("; ")
    assert "stated province Sindh but the point lies in Balochistan" in row["geo_note"]


def test_gtd_rejections(registry, pk_provinces):
    result = run("gtd.csv", registry, pk_provinces)
    assert reasons(result) == {6: "unparseable date: 2015-2-30"}
    country = by_id(result).loc["GTD:201504010004"]  # specificity 5: kept, not drawn
    assert country["geo_precision"] == "country"
    assert "only the country is known" in country["geo_note"]


def test_gtd_extract_missing_columns(registry, pk_provinces):
    rows = by_id(run("gtd_extract.csv", registry, pk_provinces))
    assert rows.loc["GTD:201601010001", "groups"] == "BLF"
    assert rows.loc["GTD:201601020002", "groups"] == "BRG"
    assert rows.loc["GTD:201601010001", "fatalities_high"] == 2
    assert rows.loc["GTD:201601010001", "place"] == "unnamed place"


def test_ucdp(registry, pk_provinces):
    result = run("ucdp_ged.csv", registry, pk_provinces)
    rows = by_id(result)
    mach = rows.loc["UCDP:450001"]
    # best 15 and low 10 include 9 BLA (side_b) deaths; high 20 stays an upper bound.
    assert (mach["fatalities_low"], mach["fatalities_best"], mach["fatalities_high"]) == (1, 6, 20)
    assert mach["geo_precision"] == "exact"
    assert mach["province"] == "Balochistan"
    assert mach["groups"] == "BLA"
    assert mach["sources"][1] == {
        "publisher": "Reuters",
        "title": "Pakistan says attack repelled",
        "date": "2024-01-30",
        "url": "",
    }
    assert str(mach["end"]) == "2024-01-30 23:59:59"
    peshawar = rows.loc["UCDP:450002"]  # coordinates from geom_wkt
    assert peshawar.geometry.x == pytest.approx(71.5249)
    assert (peshawar["date_precision"], peshawar["event_type"]) == (
        "month",
        "Violence against civilians",
    )
    assert peshawar["groups"] == "TTP"
    non_state = rows.loc["UCDP:450004"]
    assert non_state["groups"] == "BLA; BLF"
    assert pd.isna(non_state["fatalities_best"]) and non_state["fatalities_high"] == 5
    assert non_state["date_precision"] == "week"
    assert reasons(result) == {6: "unparseable date: date_start 'not a date'"}
    assert rows.loc["UCDP:450003", "geo_precision"] == "country"


def test_ucdp_hxl_row_is_skipped_and_lines_still_count_it(registry, pk_provinces):
    result = run("ucdp_ged_hxl.csv", registry, pk_provinces)
    assert result.notes[0] == "skipped the HXL hashtag row on line 2"
    assert list(result.incidents["incident_id"]) == ["UCDP:450001", "UCDP:450002"]


def test_generic_csv_with_mapping(registry, pk_provinces):
    result = run("generic.csv", registry, pk_provinces, mapping=GENERIC_MAPPING)
    assert result.format == "csv"
    rows = by_id(result)
    first = rows.loc["CSV:generic.csv:A1"]
    assert first["date_precision"] == "hour"
    assert (str(first["start"]), str(first["end"])) == (
        "2024-11-09 08:45:00",
        "2024-11-09 08:59:59",
    )
    assert first["groups"] == "BLA"  # "BLA; Majeed Brigade"
    assert first["event_type"] == "Explosions/Remote violence"
    assert first["sources"][0]["url"] == "https://www.dawn.com/news/1"
    assert (first["fatalities_low"], first["fatalities_high"]) == (26, 26)
    assert rows.loc["CSV:generic.csv:A2", "date_precision"] == "month"
    assert rows.loc["CSV:generic.csv:A3", "date_precision"] == "year"
    assert reasons(result) == {
        5: "fatalities 'x' is not a number",
        6: "unparseable date 'someday'",
        7: "no coordinates",
    }


def test_generic_fixed_value_mapping(registry, pk_provinces):
    mapping = {"date": "date", "wkt": "wkt", "place": "place", "event_type": "=Battles"}
    result = run("generic_wkt.csv", registry, pk_provinces, mapping=mapping)
    assert set(result.incidents["event_type"]) == {"Battles"}
    assert result.notes == (
        "no geo_precision column: location precision not stated by the file, assumed "
        "'district' on every row (flag precision-assumed)",
    )
    assert set(result.incidents["flags"].str.split("; ").explode()) >= {"precision-assumed"}


def test_generic_wkt_reasons(registry, pk_provinces):
    result = run("generic_wkt.csv", registry, pk_provinces)
    assert reasons(result) == {
        4: "WKT is a LineString, expected a POINT",
        5: "WKT 'POINT (oops)' is not readable",
    }
    assert list(result.incidents["flags"]) == [
        "precision-assumed",
        "province-mismatch; precision-assumed",
    ]


def test_generic_without_mapping_needs_recognisable_columns(registry, pk_provinces):
    from geo.importers import ImportFileError

    # lat/lng are recognised, "when" is not a date name the suggestion knows.
    with pytest.raises(ImportFileError, match=r"generic\.csv: no date column; map one"):
        run("generic.csv", registry, pk_provinces)
    with pytest.raises(ImportFileError, match=r"x\.csv: no latitude/longitude or WKT column"):
        import_incidents(b"date,place\n2025-01-01,Quetta\n", name="x.csv", registry=registry)


def test_unknown_group_names_are_kept_as_written(registry, pk_provinces):
    data = b"date,lat,lon,group\n2025-01-01,30.18,67.0,Lashkar-e-Example\n"
    result = import_incidents(data, name="x.csv", registry=registry, provinces=pk_provinces)
    assert result.incidents.loc[0, "groups"] == "Lashkar-e-Example"


def test_duplicate_ids_are_rejected_with_the_validators_words(registry, pk_provinces):
    data = b"id,date,lat,lon\n7,2025-01-01,30.18,67.0\n7,2025-01-02,30.18,67.0\n"
    result = import_incidents(data, name="dup.csv", registry=registry, provinces=pk_provinces)
    assert result.kept == 1
    assert reasons(result) == {3: "incident_id 'CSV:dup.csv:7' is not unique"}


def test_bad_event_type_is_rejected_not_lost(registry, pk_provinces):
    data = b"date,lat,lon,type\n2025-01-01,30.18,67.0,picnic\n"
    result = import_incidents(data, name="t.csv", registry=registry, provinces=pk_provinces)
    assert result.kept == 0
    assert reasons(result)[2].startswith("event_type 'picnic' is not one of Battles")


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["event_id_cnty", "event_date", "latitude", "longitude"], "acled"),
        (["data_id", "event_date", "latitude", "longitude"], "acled"),
        (["eventid", "iyear", "imonth", "iday"], "gtd"),
        (["id", "date_start", "where_prec", "best"], "ucdp"),
        (["date", "lat", "lon"], "csv"),
    ],
)
def test_detect_format(columns, expected):
    assert detect_format(columns) == expected


def test_format_can_be_overridden(registry, pk_provinces):
    # Forced to generic CSV, an ACLED file is read through the suggested mapping.
    result = run("acled_2024.csv", registry, pk_provinces, fmt="csv")
    assert result.format == "csv"
    assert result.incidents["incident_id"].str.startswith("CSV:").all()


def test_suggest_mapping():
    mapping = suggest_mapping(["Lat", "Lng", "Event Date", "Killed", "Notes"])
    assert mapping == {
        "latitude": "Lat",
        "longitude": "Lng",
        "date": "Event Date",
        "summary": "Notes",
        "fatalities": "Killed",
    }


def test_rejected_csv_round_trips(registry, pk_provinces):
    result = run("acled_2024.csv", registry, pk_provinces)
    table = pd.read_csv(__import__("io").BytesIO(result.rejected_csv()))
    assert list(table.columns) == ["line", "reason", "raw"]
    assert list(table["line"]) == [5, 6, 8, 9]
