import pytest
from shapely.geometry import LineString

from geo.schema import IncidentValidationError, validate_incidents
from tests.conftest import make_incidents


def test_valid_incidents_pass_unchanged():
    incidents = make_incidents({}, {"groups": "TTP"})
    assert validate_incidents(incidents) is incidents


def test_validator_reports_every_problem_with_row_column_value():
    incidents = make_incidents(
        {"geo_precision": "roughly", "event_type": "Riot"},
        {"fatalities_low": 10, "fatalities_high": 2},
        {"incident_id": "X-1"},
    )
    with pytest.raises(IncidentValidationError) as caught:
        validate_incidents(incidents, origin="fixture.csv", row_offset=2)
    message = str(caught.value)
    assert message.startswith("fixture.csv: 4 problem(s)")
    assert (
        "geo_precision 'roughly' is not one of exact, near, district, province, country (row 2)"
        in message
    )
    assert "event_type 'Riot' is not one of" in message
    assert "fatalities_low 10 is greater than fatalities_high 2 (row 3)" in message
    assert "incident_id 'X-1' is not unique (row 4)" in message


def test_end_before_start_and_bad_geometry_are_reported():
    incidents = make_incidents({"start": "2025-03-12", "end": "2025-03-11"})
    incidents.loc[0, "geometry"] = LineString([(0, 0), (1, 1)])
    with pytest.raises(IncidentValidationError, match="geometry 'LineString' is not a Point"):
        validate_incidents(incidents)
    with pytest.raises(IncidentValidationError, match="end '2025-03-11 00:00:00' is before start"):
        validate_incidents(incidents)


def test_source_urls_must_be_http():
    incidents = make_incidents(
        {"sources": [{"publisher": "P", "title": "T", "date": "", "url": "javascript:alert(1)"}]}
    )
    with pytest.raises(IncidentValidationError, match="URL does not start with http"):
        validate_incidents(incidents)


def test_a_required_text_of_whitespace_only_is_empty_whatever_the_whitespace():
    # Whitespace of any kind (a file separator, an ideographic space) is empty; text after
    # leading spaces is not.
    incidents = make_incidents(
        {"incident_id": "A", "place": "\x1c "},
        {"incident_id": "B", "place": "\u3000"},
        {"incident_id": "C", "place": "  Mach"},
        {"incident_id": "D", "place": ""},
    )
    assert incidents["place"].dtype == "str"
    with pytest.raises(IncidentValidationError) as caught:
        validate_incidents(incidents, row_offset=2)
    message = str(caught.value)
    assert "3 problem(s)" in message
    for row in (2, 3, 5):
        assert f"is empty but required (row {row})" in message
    assert "(row 4)" not in message
