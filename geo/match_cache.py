"""Match results kept on disk: the same reports and decisions are matched once, not per start.

Matching a million reports against the bundled ones takes seconds (:mod:`geo.matching`), and a
server restarted on the same team store would do it again before its first page. The result
depends only on the reports' content, the decisions, the settings, the matching code and the
data it reads (group names, station and town names), so it is kept in the prepared-data folder
(:func:`geo.prepared.cache_dir`) under a name made of all of them: the event of every report
and the matched pairs as Parquet. Anything else (a changed decision, an edited ``groups.csv``,
new matching code) names another file. Deleting the folder is always safe.

The compared candidate pairs of a set of reports (what every decision on them reuses) are kept
the same way (:func:`cached_scores`), so a restarted server's first decision does not compare
them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo.io import DATA_DIR
from geo.matching import (
    PAIR_COLUMNS,
    Decision,
    MatchResult,
    MatchSettings,
    ScoredCandidates,
    kept_candidates,
    match_incidents,
    score_candidates,
)
from geo.prepared import CODE_DIR, cache_dir

MATCH_CACHE_VERSION = "1"
# Results kept; older ones are removed when a new one is written (each decision names a new
# result, about 30 MB at a million reports).
KEEP_RESULTS = 8
# Compared candidates kept (one per set of reports: about 10 MB at a million reports).
KEEP_SCORES = 2
MATCHING_SOURCES = (
    CODE_DIR / "matching.py",
    CODE_DIR / "taxonomy.py",
    CODE_DIR / "groups.py",
    CODE_DIR / "places.py",
    CODE_DIR / "schema.py",
    DATA_DIR / "groups.csv",
    DATA_DIR / "rail_stations.geojson",
    DATA_DIR / "places.csv",
)


def match_key(
    content_hash: str, decisions: Sequence[Decision], settings: MatchSettings | None = None
) -> str:
    """Return the name of a match result: its reports, decisions, settings, code and data.

    Parameters
    ----------
    content_hash : str
        The reports' content hash (:func:`geo.export.content_hash`).
    decisions : sequence of Decision
        Every field of every decision counts (notes and times go into exported snapshots).
    settings : MatchSettings, optional
        The defaults when None.

    Returns
    -------
    str
        64 hex digits.
    """
    settings = settings or MatchSettings()
    digest = hashlib.sha256(f"match v{MATCH_CACHE_VERSION}\0{content_hash}\0".encode())
    digest.update(json.dumps([d.to_dict() for d in decisions], sort_keys=True).encode())
    digest.update(json.dumps(settings.to_dict(), sort_keys=True).encode())
    for path in MATCHING_SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cached_match(
    incidents: pd.DataFrame,
    content_hash: str,
    decisions: Sequence[Decision] = (),
    *,
    match: Callable[..., MatchResult] = match_incidents,
    folder: Path | None = None,
) -> MatchResult:
    """Return the match result of ``incidents``: read back when kept, else matched and kept.

    Parameters
    ----------
    incidents : pandas.DataFrame
        The reports (every dataset together), whose content ``content_hash`` names.
    content_hash : str
    decisions : sequence of Decision
    match : callable
        What matches them when nothing is kept (:func:`geo.matching.match_incidents`).
    folder : pathlib.Path, optional
        Where results are kept (:func:`geo.prepared.cache_dir` when None).

    Returns
    -------
    MatchResult
    """
    decisions = tuple(decisions)
    path = (folder or cache_dir()) / f"match-{match_key(content_hash, decisions)[:32]}.parquet"
    kept = _read(path, decisions)
    if kept is not None:
        return kept
    result = match(incidents, decisions=decisions)
    _write(path, result)
    return result


def cached_scores(
    incidents: pd.DataFrame,
    content_hash: str,
    *,
    score: Callable[[pd.DataFrame], ScoredCandidates] = score_candidates,
    folder: Path | None = None,
) -> ScoredCandidates:
    """Return every candidate pair of ``incidents`` compared: read back when kept, else compared.

    What a decision reuses (:func:`geo.matching.match_incidents`, ``scored``): kept beside the
    match results, a restarted server's first decision does not compare a million reports'
    candidates again (about 2 s). The pairs are kept by report id; when ``incidents`` are not in
    the order they were compared in (the same content read in another order), they are
    compared again.

    Parameters
    ----------
    incidents : pandas.DataFrame
        The reports (every dataset together), whose content ``content_hash`` names.
    content_hash : str
    score : callable
        What compares them when nothing is kept (:func:`geo.matching.score_candidates`, with
        the default settings and ``min_score`` 0).
    folder : pathlib.Path, optional
        Where they are kept (:func:`geo.prepared.cache_dir` when None).

    Returns
    -------
    ScoredCandidates
    """
    key = match_key(f"scores\0{content_hash}", ())[:32]
    path = (folder or cache_dir()) / f"scores-{key}.parquet"
    kept = _read_scores(path, incidents)
    if kept is not None:
        return kept
    scored = score(incidents)
    _write_scores(path, scored)
    return scored


def _read_scores(path: Path, incidents: pd.DataFrame) -> ScoredCandidates | None:
    """Return the compared pairs kept at ``path`` for ``incidents``, or None if unusable."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        return None
    meta = json.loads((table.schema.metadata or {}).get(b"scores", b"{}"))
    if not {"candidates", "settings"} <= set(meta):
        return None
    compared = table.to_pandas()
    ids = pd.Index(incidents["incident_id"].astype(str))
    first = ids.get_indexer(compared.pop("first_id").astype(str))
    second = ids.get_indexer(compared.pop("second_id").astype(str))
    if (first < 0).any() or (second < 0).any() or (first >= second).any():
        return None  # other reports, or the same ones in another order
    compared.insert(0, "i", first)
    compared.insert(1, "j", second)
    settings = MatchSettings(**meta["settings"])
    return kept_candidates(incidents, compared, int(meta["candidates"]), settings)


def _write_scores(path: Path, scored: ScoredCandidates) -> None:
    """Keep ``scored``'s compared pairs at ``path`` (by report id), written atomically."""
    if scored.min_score > 0:
        return  # not every pair: a confirm or a join could not reuse it
    compared = scored.scored.drop(columns=["i", "j"])
    compared.insert(0, "first_id", scored.ids[scored.scored["i"].to_numpy()])
    compared.insert(1, "second_id", scored.ids[scored.scored["j"].to_numpy()])
    meta = {"candidates": scored.candidates, "settings": scored.settings.to_dict()}
    table = pa.Table.from_pandas(compared, preserve_index=False)
    table = table.replace_schema_metadata({"scores": json.dumps(meta)})
    _atomic(path, lambda out: pq.write_table(table, out))
    _remove_old(path.parent, keep=path, pattern="scores-*.parquet", count=KEEP_SCORES)


def _read(path: Path, decisions: tuple[Decision, ...]) -> MatchResult | None:
    """Return the result kept at ``path`` (with its pairs beside it), or None if unreadable."""
    pairs_path = path.with_suffix(".pairs.parquet")
    try:
        events = pq.read_table(path)
        pairs = pq.read_table(pairs_path).to_pandas()
    except (OSError, pa.ArrowException):
        return None
    meta = json.loads((events.schema.metadata or {}).get(b"match", b"{}"))
    if not {"candidates", "settings"} <= set(meta):
        return None
    event_ids = pd.Series(
        events.column("event_id").to_pandas().astype("str").array,
        index=pd.Index(events.column("incident_id").to_pandas().astype("str"), name="incident_id"),
        name="event_id",
    )
    return MatchResult(
        pairs=pairs[list(PAIR_COLUMNS)],
        event_ids=event_ids,
        candidates=int(meta["candidates"]),
        settings=MatchSettings(**meta["settings"]),
        decisions=decisions,
    )


def _write(path: Path, result: MatchResult) -> None:
    """Keep ``result`` at ``path`` (events) and beside it (pairs), each written atomically."""
    meta = {"candidates": result.candidates, "settings": result.settings.to_dict()}
    events = pa.table(
        {
            "incident_id": pa.array(result.event_ids.index.astype(str), pa.string()),
            "event_id": pa.array(result.event_ids.astype(str), pa.string()),
        }
    ).replace_schema_metadata({"match": json.dumps(meta)})
    _atomic(path.with_suffix(".pairs.parquet"), lambda out: result.pairs.to_parquet(out))
    _atomic(path, lambda out: pq.write_table(events, out))  # last: it marks the pair complete
    _remove_old(path.parent, keep=path)


def _remove_old(
    folder: Path, *, keep: Path, pattern: str = "match-*.parquet", count: int | None = None
) -> None:
    """Keep the newest ``count`` files of ``pattern`` (and ``keep``), remove the rest.

    ``count`` is :data:`KEEP_RESULTS` when None.
    """
    count = KEEP_RESULTS if count is None else count
    kept = [p for p in folder.glob(pattern) if not p.name.endswith(".pairs.parquet")]
    kept.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[count:]:
        if old != keep:
            old.unlink(missing_ok=True)
            old.with_suffix(".pairs.parquet").unlink(missing_ok=True)


def _atomic(path: Path, write: Callable[[str], None]) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
