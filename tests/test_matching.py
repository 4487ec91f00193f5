"""Matching across datasets: candidates, scores with reasons, clusters, decisions, events, CLI.

The labelled set in ``tests/fixtures/matching`` (ACLED-, GTD- and UCDP-layout rows written from
public reports of bundled incidents, with distractors; see its README) is what the clusters are
checked on.
"""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.matching import (
    Decision,
    MatchSettings,
    candidate_pairs,
    compare,
    decisions_frame,
    decisions_from_frame,
    event_frame,
    match_incidents,
    reports_side_by_side,
    score_candidates,
)
from geo.matching_eval import evaluate, load_labelled
from geo.schema import conform
from geo.taxonomy import categorise, compatibility
from tests.conftest import ROOT, make_incidents

LABELLED = ROOT / "tests" / "fixtures" / "matching"


@pytest.fixture(scope="module")
def labelled():
    incidents, truth = load_labelled()
    return incidents, truth, evaluate(incidents, truth)


def members(result, incident_id: str) -> set[str]:
    event = result.event_ids[incident_id]
    return set(result.event_ids[result.event_ids == event].index)


def test_mach_attack_is_one_event_with_every_report(labelled):
    _, _, evaluation = labelled
    assert members(evaluation.result, "RAIL-004") == {
        "RAIL-004",
        "ACLED:PAK900001",
        "ACLED:PAK900002",
        "ACLED:PAK900003",
        "ACLED:PAK900004",
        "ACLED:PAK900005",
        "GTD:202401290001",
        "GTD:202401290002",
        "UCDP:990001",
    }


@pytest.mark.parametrize(
    ("bundled", "reports"),
    [
        ("RAIL-005", {"ACLED:PAK900007", "GTD:202408260001"}),  # Kolpur bridge, same night as
        ("RAIL-006", {"ACLED:PAK900008"}),  # the Mastung track blast 50 km away
        ("RAIL-015", {"ACLED:PAK900012"}),  # two blasts, same day, same district
        ("RAIL-016", {"ACLED:PAK900013"}),
        ("PKATK-2024-015", {"ACLED:PAK900011", "UCDP:990007"}),
        ("PKATK-2024-016", {"ACLED:PAK900010", "UCDP:990005"}),
        ("PKATK-2024-017", {"ACLED:PAK900009", "GTD:202408250001", "UCDP:990006"}),
        ("PKATK-2023-005", {"ACLED:PAK900015", "GTD:202309290001"}),
        ("PKATK-2023-008", {"GTD:202312120001"}),
        ("RAIL-008", {"ACLED:PAK900020", "ACLED:PAK900021", "GTD:202503110001", "UCDP:990003"}),
        ("PKATK-2023-001", {"ACLED:PAK900019"}),  # TTP vs its faction JuA
        ("PKATK-2025-034", {"ACLED:PAK900017"}),  # Islamic State vs its Pakistan province
    ],
)
def test_each_bundled_event_gets_its_reports_and_no_distractor(labelled, bundled, reports):
    _, _, evaluation = labelled
    assert members(evaluation.result, bundled) == {bundled, *reports}


def test_distractors_stay_apart(labelled):
    _, _, evaluation = labelled
    result = evaluation.result
    # Hangu, the same day as Mastung: ACLED and GTD report it, and it is its own event.
    assert members(result, "ACLED:PAK900016") == {"ACLED:PAK900016", "GTD:202309290002"}
    # Kulachi, the same day and district as Daraban.
    assert members(result, "GTD:202312120002") == {"GTD:202312120002"}
    # Mach in April 2023: two days before a track blast 60 km away.
    assert members(result, "ACLED:PAK900023") == {"ACLED:PAK900023"}


def test_precision_and_recall_on_the_labelled_set(labelled):
    _, _, evaluation = labelled
    assert evaluation.true_pairs == 86
    assert evaluation.precision == 1.0
    assert evaluation.recall == 1.0
    assert evaluation.exact_events == evaluation.true_events


def test_reasons_say_why(labelled):
    _, _, evaluation = labelled
    pairs = evaluation.result.pairs
    row = pairs[(pairs["first_id"] == "RAIL-007") & (pairs["second_id"] == "ACLED:PAK900006")].iloc[
        0
    ]
    assert row["reasons"].startswith("same day, 0.8 km")
    assert "same group BLA" in row["reasons"]
    assert "both suicide bombings" in row["reasons"]
    assert "both name Quetta" in row["reasons"]
    assert row["cluster_id"] == "EV:RAIL-007"


def test_narrow_windows_lose_the_district_level_reports(labelled):
    incidents, truth, _ = labelled
    narrow = MatchSettings(
        tolerance_days=0, radius_km={"exact": 1, "near": 5, "district": 10, "province": 50}
    )
    evaluation = evaluate(incidents, truth, narrow)
    assert evaluation.precision == 1.0
    assert evaluation.recall < 0.9
    # The hotel and shops burnt in Kolpur, 18 km from Mach, the same night.
    assert ("ACLED:PAK900002", "RAIL-004") in evaluation.missed_pairs


def test_rows_of_one_dataset_are_never_paired():
    coordinated = make_incidents(
        {"dataset": "gtd", "incident_id": "GTD:1"},
        {"dataset": "gtd", "incident_id": "GTD:2"},
        {"dataset": "gtd", "incident_id": "GTD:3"},
    )
    result = match_incidents(coordinated)
    assert result.events == 3
    assert result.pairs.empty


def test_two_one_day_rows_of_one_dataset_do_not_share_a_one_day_report():
    rows = make_incidents(
        {"dataset": "acled", "incident_id": "A1", "lon": 67.0, "lat": 29.0},
        {"dataset": "acled", "incident_id": "A2", "lon": 67.05, "lat": 29.0},
        {"dataset": "gtd", "incident_id": "G1", "lon": 67.02, "lat": 29.0},
    )
    result = match_incidents(rows)
    assert result.events == 2
    assert members(result, "G1") in ({"G1", "A1"}, {"G1", "A2"})


def test_a_multi_day_report_gathers_one_day_rows_of_another_dataset():
    rows = make_incidents(
        {"dataset": "own", "incident_id": "E", "start": "2024-01-29", "end": "2024-01-30 23:59"},
        {
            "dataset": "acled",
            "incident_id": "A29",
            "start": "2024-01-29",
            "end": "2024-01-29 23:59",
        },
        {
            "dataset": "acled",
            "incident_id": "A30",
            "start": "2024-01-30",
            "end": "2024-01-30 23:59",
        },
        {
            "dataset": "acled",
            "incident_id": "A31",
            "start": "2024-01-31",
            "end": "2024-01-31 23:59",
        },
        {
            "dataset": "acled",
            "incident_id": "A02",
            "start": "2024-02-02",
            "end": "2024-02-02 23:59",
        },
    )
    result = match_incidents(rows)
    assert members(result, "E") == {"E", "A29", "A30", "A31"}


@pytest.mark.parametrize("shares", [(1 / 3, 1 / 3, 1 / 3), (0.96, 0.03, 0.01)])
def test_candidates_equal_the_brute_force_pairs(shares):
    """Evenly mixed datasets, and one large export beside two small ones."""
    rng = np.random.default_rng(7)
    n = 400
    precisions = np.array(["exact", "near", "district", "province"])
    days = rng.integers(0, 60, n)
    spans = rng.choice([0, 0, 0, 1, 6, 30], n)
    frame = pd.DataFrame(
        {
            "incident_id": [f"R{k}" for k in range(n)],
            "dataset": rng.choice(["a", "b", "c"], n, p=shares),
            "start": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
            "geo_precision": rng.choice(precisions, n),
            "lon": rng.uniform(66.0, 69.0, n),
            "lat": rng.uniform(27.0, 31.0, n),
        }
    )
    frame["end"] = frame["start"] + pd.to_timedelta(spans, unit="D") + pd.Timedelta("23:59:59")
    incidents = make_incidents(*frame.to_dict("records"))
    pairs = candidate_pairs(incidents)
    assert (np.lexsort((pairs[:, 1], pairs[:, 0])) == np.arange(len(pairs))).all()  # in order
    found = {tuple(p) for p in pairs.tolist()}
    metric = incidents.geometry.to_crs("EPSG:32642")
    x, y = metric.x.to_numpy(), metric.y.to_numpy()
    radius = incidents["geo_precision"].map(MatchSettings().radius_km).to_numpy() * 1000
    day0 = incidents["start"].dt.floor("D").to_numpy()
    day1 = incidents["end"].dt.floor("D").to_numpy()
    one = np.timedelta64(1, "D")
    expected = set()
    for i in range(n):
        for j in range(i + 1, n):
            if incidents["dataset"][i] == incidents["dataset"][j]:
                continue
            if day0[i] > day1[j] + one or day0[j] > day1[i] + one:
                continue
            if np.hypot(x[i] - x[j], y[i] - y[j]) <= radius[i] + radius[j]:
                expected.add((i, j))
    assert found == expected
    assert len(expected) > 100


def test_country_level_row_matches_only_when_one_event_fits():
    base = {"dataset": "own", "groups": "BLA", "sub_event_type": "Armed clash"}
    kalat = {**base, "incident_id": "KALAT", "lon": 66.59, "lat": 29.03}
    bela = {**base, "incident_id": "BELA", "lon": 66.31, "lat": 26.23}
    total = {
        "dataset": "ucdp",
        "incident_id": "UCDP:TOTAL",
        "geo_precision": "country",
        "groups": "BLA",
        "event_type": "Battles",
        "sub_event_type": "",
    }
    ambiguous = match_incidents(make_incidents(kalat, bela, total))
    assert ambiguous.event_ids["UCDP:TOTAL"] == "UCDP:TOTAL"
    single = match_incidents(make_incidents(kalat, total))
    assert members(single, "KALAT") == {"KALAT", "UCDP:TOTAL"}
    unnamed = match_incidents(make_incidents(kalat, {**total, "groups": "Unidentified"}))
    assert unnamed.events == 2


def pair_of_reports():
    return make_incidents(
        {"dataset": "own", "incident_id": "OWN-1", "groups": "BLA"},
        {"dataset": "acled", "incident_id": "ACLED:1", "groups": "BLA", "lon": 67.01},
        {"dataset": "acled", "incident_id": "ACLED:2", "groups": "TTP", "lon": 67.3},
    )


def test_reject_confirm_and_join_decisions():
    incidents = pair_of_reports()
    assert members(match_incidents(incidents), "OWN-1") == {"OWN-1", "ACLED:1"}
    rejected = match_incidents(incidents, decisions=[Decision("reject", "ACLED:1", "OWN-1")])
    assert rejected.events == 3
    joined = match_incidents(
        incidents, decisions=[Decision("join", "ACLED:1", "ACLED:2", note="same ambush")]
    )
    assert members(joined, "ACLED:2") == {"OWN-1", "ACLED:1", "ACLED:2"}
    by_hand = joined.pairs[joined.pairs["decision"] == "joined by hand"].iloc[0]
    assert "joined by hand by an analyst (same ambush)" in by_hand["reasons"]
    confirmed = match_incidents(
        incidents,
        settings=MatchSettings(threshold=0.99),
        decisions=[Decision("confirm", "OWN-1", "ACLED:1")],
    )
    assert members(confirmed, "OWN-1") == {"OWN-1", "ACLED:1"}
    later = [Decision("reject", "OWN-1", "ACLED:1"), Decision("confirm", "ACLED:1", "OWN-1")]
    assert members(match_incidents(incidents, decisions=later), "OWN-1") == {"OWN-1", "ACLED:1"}


@pytest.mark.parametrize(
    "decisions",
    [
        (),
        (Decision("reject", "RAIL-007", "ACLED:PAK900006"),),
        (Decision("join", "RAIL-005", "RAIL-006", note="one night"),),
        (
            Decision("confirm", "RAIL-004", "UCDP:990001"),
            Decision("reject", "RAIL-004", "GTD:202401290002"),
        ),
    ],
    ids=["none", "reject", "join", "confirm-and-reject"],
)
def test_a_decision_on_scored_candidates_matches_as_afresh(labelled, decisions):
    incidents, _, _ = labelled
    scored = score_candidates(incidents)
    reused = match_incidents(incidents, decisions=decisions, scored=scored)
    fresh = match_incidents(incidents, decisions=decisions)
    pd.testing.assert_series_equal(reused.event_ids, fresh.event_ids)
    pd.testing.assert_frame_equal(reused.pairs, fresh.pairs)
    assert reused.candidates == fresh.candidates


def test_every_threshold_matches_the_same_whether_or_not_every_pair_was_scored():
    """A pair whose score rounds to the threshold counts however the scoring was cut short.

    Synthetic reports around the bundled ones (no real data) give pairs of every score; at
    each of their rounded scores as the threshold, the quick scoring (pairs that cannot reach
    it left out) and the full one (as the page keeps for decisions) give the same events.
    """
    from geo.io import load_bundled
    from geo.synthetic import synthetic_incidents

    bundle = load_bundled()
    both = pd.concat([bundle.incidents, synthetic_incidents(6000, bundle=bundle)])
    incidents = conform(gpd.GeoDataFrame(both.reset_index(drop=True), crs="EPSG:4326"))
    full = score_candidates(incidents).scored
    thresholds = sorted(set(full.loc[full["score"].between(0.5, 0.7), "score"]))
    assert len(thresholds) > 20
    for threshold in thresholds:
        settings = MatchSettings(threshold=threshold)
        quick = match_incidents(incidents, settings=settings)
        every = match_incidents(
            incidents, scored=score_candidates(incidents, settings=settings, min_score=0.0)
        )
        pd.testing.assert_series_equal(quick.event_ids, every.event_ids, obj=f"at {threshold}")
        pd.testing.assert_frame_equal(quick.pairs, every.pairs, obj=f"at {threshold}")


def test_scored_candidates_serve_only_their_own_reports_and_settings(labelled):
    incidents, _, _ = labelled
    scored = score_candidates(incidents)
    with pytest.raises(ValueError, match="other settings or other reports"):
        match_incidents(incidents, settings=MatchSettings(tolerance_days=3), scored=scored)
    with pytest.raises(ValueError, match="other settings or other reports"):
        match_incidents(incidents.iloc[:-1], scored=scored)
    quick = score_candidates(incidents, min_score=0.6)
    with pytest.raises(ValueError, match="needs every candidate pair scored"):
        match_incidents(
            incidents, decisions=[Decision("join", "RAIL-005", "RAIL-006")], scored=quick
        )


def test_decisions_round_trip_through_a_table_and_name_bad_values():
    decisions = [Decision("join", "A", "B", note="x", decided_at="2026-01-01T00:00:00+00:00")]
    assert decisions_from_frame(decisions_frame(decisions)) == decisions
    with pytest.raises(ValueError, match="decision kind 'merge' is not one of confirm"):
        Decision("merge", "A", "B")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="names the same incident twice: 'A'"):
        Decision("join", "A", "A")


def test_metadata_records_settings_pairs_and_decisions():
    incidents = pair_of_reports()
    decision = Decision("reject", "ACLED:2", "OWN-1")
    metadata = match_incidents(incidents, decisions=[decision]).to_metadata()
    assert metadata["settings"]["tolerance_days"] == 1
    assert metadata["events"] == 2 and metadata["reports"] == 3
    assert (metadata["pairs"][0]["first_id"], metadata["pairs"][0]["second_id"]) == (
        "OWN-1",
        "ACLED:1",
    )
    assert metadata["decisions"] == [decision.to_dict()]


def test_event_frame_counts_once_with_ranges_across_reports():
    incidents = make_incidents(
        {
            "dataset": "own",
            "incident_id": "RAIL-007",
            "geo_precision": "exact",
            "fatalities_low": 24,
            "fatalities_high": 32,
            "lon": 67.0008,
            "lat": 30.1917,
        },
        {
            "dataset": "acled",
            "incident_id": "ACLED:1",
            "geo_precision": "near",
            "fatalities_high": 27,
            "lon": 67.0014,
            "lat": 30.1841,
        },
        {"dataset": "acled", "incident_id": "ACLED:9", "lon": 70.0, "lat": 33.0},
    )
    result = match_incidents(incidents)
    events = event_frame(incidents, result.event_ids).set_index("incident_id")
    assert len(events) == 2
    event = events.loc["EV:RAIL-007"]
    assert event["reports"] == 2
    assert (event["fatalities_low"], event["fatalities_high"]) == (24, 32)
    assert event.geometry.x == pytest.approx(67.0008)  # the exact report's point
    assert event["report_ids"] == "RAIL-007; ACLED:1"
    assert event["dataset"] == "own; acled"
    # Every report's own figures, in the event's order (the representative report first).
    assert event["reported_by"] == (
        "own RAIL-007: killed 24–32, injured ?; acled ACLED:1: killed ≤27, injured ?"
    )
    assert event["figures_note"].startswith("Reports differ: own RAIL-007: killed 24–32")
    assert events.loc["ACLED:9", "reports"] == 1
    side = reports_side_by_side(incidents, result.event_ids, "EV:RAIL-007")
    assert list(side.columns) == ["own · RAIL-007", "acled · ACLED:1"]
    assert side.loc["Killed (non-attackers)"].tolist() == ["24–32", "≤27"]


@pytest.mark.parametrize(
    ("sub_event_type", "attack_detail", "expected"),
    [
        ("Suicide bomb", "", "suicide bombing"),
        ("", "Bombing/Explosion; Explosives", "explosive device"),
        ("", "Hostage Taking (Kidnapping); Firearms", "abduction or hijacking"),
        ("", "Hijacking; Explosives", "abduction or hijacking"),
        ("Looting/property destruction", "", "armed assault"),
        ("Disrupted weapons use", "", "foiled or defused"),
        ("", "", "violence (unspecified)"),
    ],
)
def test_taxonomy_reads_every_source(sub_event_type, attack_detail, expected):
    frame = pd.DataFrame(
        {
            "event_type": ["Battles"],
            "sub_event_type": [sub_event_type],
            "attack_detail": [attack_detail],
        }
    )
    assert categorise(frame).iloc[0] == expected


def test_taxonomy_compatibility_words():
    assert compatibility("suicide bombing", "suicide bombing").reason == "both suicide bombings"
    assert compatibility("suicide bombing", "explosive device").value == 0.75
    assert compatibility("protest or riot", "suicide bombing").value == 0.0


def test_compare_place_names_through_station_spellings():
    incidents = make_incidents(
        {"dataset": "a", "place": "Near Mashkaf railway station, Bolan Pass"},
        {"dataset": "b", "place": "Mushkaf Valley"},
    )
    scored = compare(incidents, np.array([[0, 1]]))
    assert "both name Mushkaf" in scored.loc[0, "reasons"]


def test_ids_must_be_unique():
    incidents = make_incidents({"incident_id": "A"}, {"incident_id": "A", "dataset": "b"})
    with pytest.raises(ValueError, match=r"repeated: \['A'\]"):
        match_incidents(incidents)


def test_command_line_writes_pairs_and_counts(tmp_path):
    out = tmp_path / "matches.csv"
    files = [str(LABELLED / name) for name in ("acled.csv", "gtd.csv", "ucdp.csv")]
    completed = subprocess.run(
        [sys.executable, "-m", "geo", "match", *files, "--bundled", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "74 events from 113 reports" in completed.stdout
    pairs = pd.read_csv(out)
    assert list(pairs.columns) == [
        "first_id",
        "second_id",
        "first_dataset",
        "second_dataset",
        "score",
        "reasons",
        "cluster_id",
        "decision",
    ]
    assert set(pairs.loc[pairs["cluster_id"] == "EV:RAIL-004", "first_id"]) >= {"RAIL-004"}


def test_command_line_needs_two_datasets(tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "match",
            str(LABELLED / "gtd.csv"),
            "--out",
            str(tmp_path / "m.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 1
    assert "matching needs two or more datasets" in completed.stderr
    assert not (tmp_path / "m.csv").exists()


def test_event_frame_keeps_the_schema_columns():
    incidents = pair_of_reports()
    events = event_frame(incidents, match_incidents(incidents).event_ids)
    assert isinstance(events, gpd.GeoDataFrame)
    assert set(conform(events).columns) <= set(events.columns)


def test_a_province_level_month_row_needs_a_named_group():
    kurram = {
        "dataset": "own",
        "incident_id": "KURRAM",
        "start": "2024-11-21",
        "end": "2024-11-21 23:59:59",
        "place": "Lower Kurram, on the Parachinar-Peshawar road",
        "geo_precision": "district",
        "groups": "Unidentified",
        "sub_event_type": "Attack",
        "lon": 70.10,
        "lat": 33.90,
    }
    vague = {
        "dataset": "acled",
        "incident_id": "ACLED:MONTH",
        "start": "2024-11-01",
        "end": "2024-11-30 23:59:59",
        "date_precision": "month",
        "place": "Peshawar",
        "geo_precision": "province",
        "groups": "Unidentified",
        "sub_event_type": "Armed clash",
        "lon": 71.5,
        "lat": 34.0,
    }
    assert match_incidents(make_incidents(kurram, vague)).events == 2
    named = match_incidents(make_incidents({**kurram, "groups": "TTP"}, {**vague, "groups": "TTP"}))
    assert named.events == 1


def test_the_labelled_country_level_total_stays_apart(labelled):
    _, _, evaluation = labelled
    assert members(evaluation.result, "UCDP:990008") == {"UCDP:990008"}


def test_gazetteer_spellings_of_a_town_that_is_no_station_agree():
    from geo.places import PlaceNames

    names = PlaceNames.bundled()
    # Dadhar is not a station; GeoNames gives "Dhadar" as its other spelling.
    assert names.tokens("Dhadar, Kachhi district") & names.tokens("Dadhar town") == {"Dadhar"}
    agreement = names.agreement(names.tokens("Dhadar"), names.tokens("Dadhar"))
    assert agreement.value == 1.0 and "Dadhar" in agreement.reason


def test_a_report_without_sub_type_or_detail_is_categorised_by_its_event_type():
    rows = pd.DataFrame(
        {
            "event_type": ["Explosions/Remote violence", "Battles", "Violence against civilians"],
            "sub_event_type": ["Suicide bomb", None, None],
            "attack_detail": [None, None, "hostages taken"],
        },
        dtype="str",
    )
    by_category = categorise(rows).tolist()
    assert by_category[0] == categorise(rows.iloc[[0]].fillna("")).tolist()[0] == "suicide bombing"
    assert by_category[1] == categorise(rows.iloc[[1]].fillna("")).iloc[0]
    assert by_category[2] == "abduction or hijacking"
