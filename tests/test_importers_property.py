"""Property: whatever CSV-ish text comes in, every row read is either kept or rejected."""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.importers import ImportFileError, import_incidents
from geo.io import load_provinces

PROVINCES = load_provinces()
COLUMNS = [
    "date", "lat", "lon", "wkt", "place", "province", "group", "killed", "type",
    "event_date", "latitude", "longitude", "event_id_cnty", "actor1", "time_precision",
    "geo_precision", "iyear", "imonth", "iday", "eventid", "specificity", "nkill", "nkillter",
    "date_start", "date_end", "where_prec", "best", "low", "high", "geom_wkt", "id",
    "ishostkid", "nhostkid", "claimed", "suicide", "property", "provstate", "admin1", "adm_1",
    "gname", "gsubname", "side_a", "side_b", "inter1", "actor2", "location", "city",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        [
            "", "0", "1", "2", "5", "-9", "-99", "30.18", "67.0", "67.0014", "95", "abc",
            "2024-11-09", "9 November 2024", "2024-11", "2024", "2015-02-30", "POINT (67 30)",
            "POINT (oops)", "LINESTRING (0 0, 1 1)", "BLA", "Majeed Brigade", "Sindh",
            "Balochistan", "Battles", "#geo+lat", "a,b", 'say "hi"', "two\nlines",
            "1.0", "True", "6", "7", "NWFP", "Khyber Pakhtunkwa", "Zomia", "Unknown",
            "Pakistan", "Peace Committee (Pakistan)", "Government of Pakistan", "Quetta",
        ]
    ),
    st.text(max_size=12),
)  # fmt: skip


def _field(value: str) -> str:
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


# A minimal header of each format, and one valid row for it that the strategy then mutates.
BASES = [
    (["date", "lat", "lon"], ["2024-11-09", "30.18", "67.0"]),
    (["date", "wkt", "place", "province"], ["2024-11", "POINT (67 30)", "Quetta", "Sindh"]),
    (
        ["event_id_cnty", "event_date", "latitude", "longitude", "time_precision", "geo_precision"],
        ["PAK1", "9 November 2024", "30.18", "67.0", "1", "2"],
    ),
    (
        ["eventid", "iyear", "imonth", "iday", "latitude", "longitude", "specificity", "nkill"],
        ["1", "2015", "3", "0", "29.54", "67.87", "1", "-99"],
    ),
    (
        ["id", "date_start", "date_end", "where_prec", "latitude", "longitude", "geom_wkt", "best"],
        ["1", "2024-01-29", "2024-01-30", "2", "", "", "POINT (67.3 29.8)", "3"],
    ),
]


@st.composite
def _row(draw: st.DrawFn, template: list[str]) -> list[str]:
    """A valid row with a few cells replaced, or a row of arbitrary values and length."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.lists(VALUES, max_size=len(template) + 1))
    cells = list(template)
    for position in draw(st.lists(st.integers(0, len(cells) - 1), max_size=3)):
        cells[position] = draw(VALUES)
    return cells


@st.composite
def csv_documents(draw: st.DrawFn) -> bytes:
    base, valid = draw(st.sampled_from(BASES))
    extra = draw(st.lists(st.sampled_from(COLUMNS), max_size=3, unique=True))
    header = base + [c for c in extra if c not in base]
    if draw(st.integers(0, 9)) == 0:
        header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8, unique=True))
    width = len(header)
    template = (valid + [""] * width)[:width]
    rows = draw(st.lists(_row(template), min_size=1, max_size=8))
    lines = [",".join(header)] + [",".join(_field(v) for v in cells) for cells in rows]
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    if draw(st.integers(0, 9)) == 0:
        # Raw noise too: stray quotes, delimiters and bytes that are not UTF-8.
        return text.encode() + draw(st.binary(max_size=20))
    return text.encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=csv_documents(), fmt=st.sampled_from(["auto", "csv", "acled", "gtd", "ucdp"]))
def test_kept_plus_rejected_equals_rows_read(data, fmt, registry):
    try:
        result = import_incidents(
            data, name="fuzz.csv", fmt=fmt, registry=registry, provinces=PROVINCES
        )
    except ImportFileError as error:
        assert str(error).startswith("fuzz.csv: ")
        return
    assert result.kept + len(result.rejected) == result.rows_read
    assert result.rejected["line"].is_unique
    assert (result.rejected["reason"] != "").all()
    assert isinstance(result.incidents, gpd.GeoDataFrame)
    assert result.summary().startswith(f"kept {result.kept} of {result.rows_read} rows")


@pytest.mark.parametrize("seed", ["date,lat,lon\n", "date,lat,lon\n\n\n"])
def test_header_only_is_a_file_error(seed, registry):
    with pytest.raises(ImportFileError, match="header but no data rows"):
        import_incidents(seed.encode(), name="h.csv", registry=registry, provinces=PROVINCES)
