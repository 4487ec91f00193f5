import json

import pytest

from geo.io import DataFileError, load_incidents, read_vector
from geo.schema import IncidentValidationError

HEADER = (
    "incident_id,start,end,date_precision,place,province,geo_precision,event_type,groups,lat,lon\n"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def sources_file(tmp_path, *ids):
    rows = "".join(f"{i},Dawn,Title,2025-03-12,https://example.org/{i}\n" for i in ids)
    return write(tmp_path, "sources.csv", "incident_id,publisher,title,date,url\n" + rows)


def test_load_incidents_reads_dates_points_and_sources(tmp_path):
    csv = write(
        tmp_path,
        "incidents.csv",
        HEADER
        + "A-1,2025-03-11T13:00,2025-03-12,hour,Bolan,Balochistan,near,Battles,BLA,29.6,67.5\n",
    )
    incidents = load_incidents(csv, sources_file(tmp_path, "A-1"))
    row = incidents.iloc[0]
    assert str(row["start"]) == "2025-03-11 13:00:00"
    assert str(row["end"]) == "2025-03-12 23:59:59"  # a bare end date covers the whole day
    assert (row.geometry.x, row.geometry.y) == (67.5, 29.6)
    assert row["sources"][0]["url"] == "https://example.org/A-1"
    assert incidents.crs.to_epsg() == 4326


def test_every_bad_date_and_coordinate_is_reported_with_its_line(tmp_path):
    csv = write(
        tmp_path,
        "incidents.csv",
        HEADER
        + "A-1,2025-03-11,2025-03-11,day,P,Sindh,exact,Battles,BLA,29.6,67.5\n"
        + "A-2,31/02/2025,2025-03-11,day,P,Sindh,exact,Battles,BLA,95,67.5\n"
        + "A-3,2025-03-11,soon,day,P,Sindh,exact,Battles,BLA,29.6,east\n",
    )
    with pytest.raises(IncidentValidationError) as caught:
        load_incidents(csv, sources_file(tmp_path))
    message = str(caught.value)
    assert "start '31/02/2025' is not a date (expected YYYY-MM-DD) (row 3)" in message
    assert "end 'soon' is not a date (expected YYYY-MM-DD) (row 4)" in message
    assert "lat '95' is outside ±90 (row 3)" in message
    assert "lon 'east' is not a number (row 4)" in message


def test_missing_column_names_the_file(tmp_path):
    csv = write(tmp_path, "incidents.csv", "incident_id,start\nA,2025-01-01\n")
    with pytest.raises(
        DataFileError, match=r"incidents\.csv: missing column\(s\) \['end', 'lat', 'lon'\]"
    ):
        load_incidents(csv, sources_file(tmp_path))


def test_read_vector_refuses_a_file_without_crs(tmp_path):
    path = tmp_path / "nocrs.gpkg"
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(0, 0)])
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(path, engine="pyogrio")
    with pytest.raises(
        DataFileError, match=r"nocrs\.gpkg: has no CRS; expected one .* not guessing"
    ):
        read_vector(path)


def test_read_vector_errors_for_missing_unreadable_and_wrong_geometry(tmp_path):
    with pytest.raises(DataFileError, match=r"absent\.geojson: file not found"):
        read_vector(tmp_path / "absent.geojson")
    garbage = write(tmp_path, "garbage.geojson", "this is not geojson")
    with pytest.raises(DataFileError, match=r"garbage\.geojson: not a readable vector file"):
        read_vector(garbage)
    point = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "a"},
                "geometry": {"type": "Point", "coordinates": [0, 0]},
            }
        ],
    }
    points = write(tmp_path, "points.geojson", json.dumps(point))
    with pytest.raises(
        DataFileError, match=r"feature 0: Point where \['MultiPolygon', 'Polygon'\] expected"
    ):
        read_vector(points, geometry_types=("Polygon", "MultiPolygon"))
    with pytest.raises(DataFileError, match=r"missing column\(s\) \['iso_3166_2'\]"):
        read_vector(points, required_columns=("name", "iso_3166_2"))
