"""Match results kept on disk (geo.match_cache): read back the same, never answered stale."""

from __future__ import annotations

import pandas as pd
import pytest

import geo.match_cache
from geo.export import content_hash
from geo.match_cache import cached_match
from geo.matching import Decision, match_incidents
from geo.matching_eval import load_labelled


@pytest.fixture(scope="module")
def reports():
    incidents, _ = load_labelled()
    return incidents.reset_index(drop=True)


def counting(calls: list) -> object:
    def match(incidents, **kwargs):
        calls.append(1)
        return match_incidents(incidents, **kwargs)

    return match


def refuse(incidents, **kwargs):
    raise AssertionError("matched again instead of reading the kept result")


def test_a_kept_result_reads_back_as_matched(reports, tmp_path):
    calls = []
    decisions = (Decision("reject", "RAIL-007", "ACLED:PAK900006", note="not the same train"),)
    digest = content_hash(reports)
    first = cached_match(reports, digest, decisions, match=counting(calls), folder=tmp_path)
    again = cached_match(reports, digest, decisions, match=refuse, folder=tmp_path)
    assert calls == [1]
    pd.testing.assert_series_equal(again.event_ids, first.event_ids)
    pd.testing.assert_frame_equal(
        again.pairs.reset_index(drop=True), first.pairs.reset_index(drop=True)
    )
    assert again.to_metadata() == first.to_metadata()
    assert (again.events, again.reports, again.candidates) == (
        first.events,
        first.reports,
        first.candidates,
    )


def test_another_decision_or_note_is_matched_afresh(reports, tmp_path):
    calls = []
    digest = content_hash(reports)
    decision = Decision("reject", "RAIL-007", "ACLED:PAK900006")
    cached_match(reports, digest, (decision,), match=counting(calls), folder=tmp_path)
    noted = Decision("reject", "RAIL-007", "ACLED:PAK900006", note="checked the timetable")
    result = cached_match(reports, digest, (noted,), match=counting(calls), folder=tmp_path)
    assert calls == [1, 1]
    assert result.to_metadata()["decisions"][0]["note"] == "checked the timetable"
    cached_match(reports, digest, (), match=counting(calls), folder=tmp_path)
    assert calls == [1, 1, 1]


def test_an_edited_group_list_is_matched_afresh(reports, tmp_path, monkeypatch):
    groups = tmp_path / "groups.csv"
    groups.write_text("canonical,alias\nBLA,Baloch Liberation Army\n", encoding="utf-8")
    monkeypatch.setattr(geo.match_cache, "MATCHING_SOURCES", (groups,))
    calls = []
    digest = content_hash(reports)
    cached_match(reports, digest, match=counting(calls), folder=tmp_path)
    groups.write_text("canonical,alias\nBLA,BLA (Bashir Zeb)\n", encoding="utf-8")
    cached_match(reports, digest, match=counting(calls), folder=tmp_path)
    assert calls == [1, 1]


def test_a_damaged_file_is_matched_again_not_an_error(reports, tmp_path):
    calls = []
    digest = content_hash(reports)
    cached_match(reports, digest, match=counting(calls), folder=tmp_path)
    for kept in tmp_path.glob("match-*.parquet"):
        kept.write_bytes(b"PAR1 not really")
    result = cached_match(reports, digest, match=counting(calls), folder=tmp_path)
    assert calls == [1, 1]
    assert result.events == match_incidents(reports).events


def test_only_the_newest_results_are_kept(reports, tmp_path, monkeypatch):
    monkeypatch.setattr(geo.match_cache, "KEEP_RESULTS", 2)
    digest = content_hash(reports)
    for note in ("first", "second", "third"):
        decision = Decision("reject", "RAIL-007", "ACLED:PAK900006", note=note)
        cached_match(reports, digest, (decision,), folder=tmp_path)
    assert len(list(tmp_path.glob("match-*.pairs.parquet"))) == 2
    assert len(list(tmp_path.glob("match-*.parquet"))) == 4
    newest = Decision("reject", "RAIL-007", "ACLED:PAK900006", note="third")
    cached_match(reports, digest, (newest,), match=refuse, folder=tmp_path)


def test_compared_candidates_read_back_serve_a_decision_as_compared_ones(reports, tmp_path):
    # A restarted server's first decision reuses the pairs compared before it.
    from geo.match_cache import cached_scores
    from geo.matching import score_candidates

    calls = []

    def score(incidents):
        calls.append(1)
        return score_candidates(incidents)

    digest = content_hash(reports)
    compared = cached_scores(reports, digest, score=score, folder=tmp_path)
    kept = cached_scores(reports, digest, score=refuse, folder=tmp_path)
    assert calls == [1]
    pd.testing.assert_frame_equal(kept.scored, compared.scored, check_dtype=False)
    decisions = (
        Decision("reject", "RAIL-007", "ACLED:PAK900006"),
        Decision("join", "RAIL-001", "GTD:202401290001"),
    )
    expected = match_incidents(reports, decisions=decisions, scored=compared)
    again = match_incidents(reports, decisions=decisions, scored=kept)
    pd.testing.assert_series_equal(again.event_ids, expected.event_ids)
    pd.testing.assert_frame_equal(again.pairs, expected.pairs)
    assert again.candidates == expected.candidates


def test_compared_candidates_of_reports_in_another_order_are_compared_again(reports, tmp_path):
    from geo.match_cache import cached_scores
    from geo.matching import score_candidates

    digest = content_hash(reports)  # the same content, whatever the order
    cached_scores(reports, digest, folder=tmp_path)
    calls = []
    reordered = reports.iloc[::-1].reset_index(drop=True)
    scored = cached_scores(
        reordered, digest, score=lambda i: calls.append(1) or score_candidates(i), folder=tmp_path
    )
    assert calls == [1]
    assert list(scored.ids) == reordered["incident_id"].astype(str).tolist()
