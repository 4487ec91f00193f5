"""Count each event once: the matching switch, the event view, and the analysts' review.

Wires :mod:`geo.matching` to the page. With two or more datasets loaded, "Count each event once"
is on by default: the map, the headline, the timeline and the totals use one row per event
(:func:`geo.matching.event_frame`); the details tab shows the reports of one event side by side
and lets an analyst confirm or reject a match or join two events by hand. Decisions live in the
session (and go into exported snapshots, and are read back from them), keyed by incident ids,
so they apply again whenever the same files are loaded.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.compact import among
from geo.event_table import EventTable, Picked, event_table
from geo.match_cache import cached_match, cached_scores
from geo.matching import (
    Decision,
    MatchResult,
    ScoredCandidates,
    decisions_frame,
    effective_decisions,
    event_frame,
    match_incidents,
    reports_side_by_side,
    score_candidates,
)
from geo.selection import Rows
from geo.spreadsheet import safe_csv
from layers.payload import PublishedRows, is_published, positions_in
from layers.style import group_colours
from ui import messages
from ui.data import MAX_EXTRA_ROWS, Dataset, holds_incident
from ui.memory import keep_what_was_loaded

if TYPE_CHECKING:
    from ui.store import StoreContext

DECISIONS = "match_decisions"
DECISION_STORE = "match_decision_store"  # this run's StoreContext (None: no store)
STORED_DECISIONS = "match_stored_decisions"
STORED_CACHE = "match_stored_cache"
COUNT_ONCE_KEY = "opt_count_once"
EVENT_CHOICE_CAP = 2_000


def _own() -> list[Decision]:
    """Return the decisions kept in this session only (oldest first)."""
    return st.session_state.setdefault(DECISIONS, [])


def decisions() -> list[Decision]:
    """Return the decisions in force: the team store's, then this session's own (oldest first).

    See :func:`use_store`.
    """
    return [*st.session_state.get(STORED_DECISIONS, []), *_own()]


def use_store(context: StoreContext | None) -> None:
    """Read the team store's decisions for this run and keep new ones there when allowed.

    Parameters
    ----------
    context : StoreContext or None
        The store this page uses (``None``: decisions stay in this session). Its decisions are
        read again only when the store has changed (its revision).
    """
    st.session_state[DECISION_STORE] = context
    if context is None or not context.can_read:
        st.session_state[STORED_DECISIONS] = []
        return
    key = (context.store.url, context.store.revision())
    cached = st.session_state.get(STORED_CACHE)
    if cached is None or cached[0] != key:
        cached = (key, stored_decisions(context))
        st.session_state[STORED_CACHE] = cached
    st.session_state[STORED_DECISIONS] = cached[1]


def stored_decisions(context: StoreContext) -> list[Decision]:
    """Return the team store's decisions, oldest first (rows of an unknown kind left out)."""
    return _read_stored(context.store.match_decisions())


def _read_stored(frame: pd.DataFrame) -> list[Decision]:
    """Turn the store's decision rows into decisions (rows of an unknown kind are left out)."""
    read = []
    for row in frame.itertuples(index=False):
        try:
            decided_at = pd.Timestamp(row.decided_at).isoformat(timespec="seconds")
            read.append(
                Decision(
                    row.decision,
                    str(row.incident_a),
                    str(row.incident_b),
                    note=str(row.note or ""),
                    decided_at=decided_at,
                    analyst=str(row.decided_by),
                )
            )
        except (TypeError, ValueError):
            continue
    return read


def add_decision(kind: str, first_id: str, second_id: str, note: str = "") -> str:
    """Record a decision with the time it was made (UTC), in the store or in this session.

    It goes to the team store when this session may write there (attributed to its account),
    else it stays in this session.

    Returns
    -------
    str
        ``"store"`` or ``"session"``: where it was kept.

    Raises
    ------
    ValueError
        When the decision is not valid (see :class:`geo.matching.Decision`).
    """
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    decision = Decision(kind, first_id, second_id, note=note, decided_at=stamp)  # type: ignore[arg-type]
    context = st.session_state.get(DECISION_STORE)
    if context is not None and context.can_write:
        context.store.record_match_decision(
            first_id, second_id, kind, actor=context.account, note=note
        )
        return "store"
    _own().append(decision)
    return "session"


def restore_decisions(metadata: dict) -> int:
    """Take the decisions recorded in a snapshot's metadata into the session.

    Returns
    -------
    int
        How many decisions were read (ones that are not decisions are skipped).
    """
    matching = metadata.get("matching") if isinstance(metadata, dict) else None
    records = matching.get("decisions", []) if isinstance(matching, dict) else []
    restored = []
    for record in records if isinstance(records, list) else []:
        try:
            restored.append(Decision.from_dict(record))
        except (TypeError, ValueError):
            continue
    if restored:
        known = {d.to_dict().__repr__() for d in decisions()}
        _own().extend(d for d in restored if d.to_dict().__repr__() not in known)
    return len(restored)


def dataset_names(dataset: Dataset) -> list[str]:
    """Names of the datasets whose reports are loaded."""
    return list(dataset.source_names)


def count_once_option(dataset: Dataset) -> bool:
    """Sidebar switch "Count each event once" (on by default with two or more datasets)."""
    if len(dataset_names(dataset)) < 2:
        return False
    return st.sidebar.checkbox(
        "Count each event once",
        value=True,
        key=COUNT_ONCE_KEY,
        help="Reports of one event in several datasets (ACLED, GTD, UCDP, your own) are "
        "drawn and counted as one event; figures become ranges across the reports. "
        "Review the matches in the Incident details tab.",
    )


def _decisions_key(in_force: Sequence[Decision] | None = None) -> tuple:
    """Return a hashable summary of the decisions (this session's in force when None)."""
    made = decisions() if in_force is None else in_force
    return tuple((d.kind, *d.pair) for d in effective_decisions(made))


def match_result(dataset: Dataset, in_force: Sequence[Decision] | None = None) -> MatchResult:
    """Match the dataset's reports, shared by every session with the same data and decisions.

    ``in_force`` are the decisions to apply (this session's, :func:`decisions`, when None).
    """
    own = tuple(decisions() if in_force is None else in_force)
    # Every field of every decision (notes and times too): the result carries them into exports.
    key = tuple(repr(decision.to_dict()) for decision in own)
    return _shared_match(dataset.incidents, dataset.content_hash, own, key)


# One result per (data, decisions) for the whole server: a million reports take seconds to match
# and their event ids a hundred megabytes; sessions with the same decisions share them.
@st.cache_resource(max_entries=4, show_spinner="Matching reports across datasets…")
def _shared_match(
    _incidents: gpd.GeoDataFrame,
    content_hash: str,
    _decisions: tuple[Decision, ...],
    decisions_key: tuple,
) -> MatchResult:
    # Kept on disk too (geo.match_cache): a restarted server reads it back. Matched afresh, the
    # compared candidates of these reports are reused: a decision does not compare them again.
    def match(incidents: gpd.GeoDataFrame, decisions: tuple[Decision, ...]) -> MatchResult:
        scored = _shared_scores(incidents, content_hash)
        return match_incidents(incidents, decisions=decisions, scored=scored)

    result = cached_match(_incidents, content_hash, _decisions, match=match)
    keep_what_was_loaded()  # and what matching or reading the kept result left in the pools
    return result


# The decision-free part of matching, for the reports last matched: every candidate pair scored.
# Kept on disk too (geo.match_cache.cached_scores): a restarted server's first decision reads
# them back.
@st.cache_resource(max_entries=1, show_spinner="Comparing reports across datasets…")
def _shared_scores(_incidents: gpd.GeoDataFrame, content_hash: str) -> ScoredCandidates:
    return cached_scores(_incidents, content_hash, score=score_candidates)


@dataclass(frozen=True)
class Events:
    """One row per event among the selected reports, and the table those rows come from.

    Attributes
    ----------
    shown : geo.selection.Rows
        The events (see :func:`geo.matching.event_frame`), each column made when read.
    table : PublishedRows or None
        The rows of the event table of every report, which ``shown`` is a selection of (the
        map fetches them once and takes each selection as a mask over them); None when
        ``shown`` was worked out for this selection alone.
    table_key : str
        Names the content of ``shown``'s table (the data, the decisions and the settings).
    rows_key : str
        Names the content of ``table``: ``table_key``, or that of a table of the same reports
        whose file the map already has (the team's, under this session's own decisions; the
        last published, after a team decision). ``shown`` is then labelled by that table's
        rows, and the events the decisions changed by labels past them.
    """

    shown: Rows
    table: PublishedRows | None
    table_key: str
    rows_key: str


def events_of(dataset: Dataset, selected: Rows, result: MatchResult, key: tuple) -> Events:
    """One row per event among the selected reports, shared by every session showing them.

    Most rows come from the dataset's :class:`geo.event_table.EventTable`, made once per data
    and decisions; the few events a selection holds only part of are worked out for it.
    """
    table, table_key = event_table_of(dataset, result)
    picked = _shared_picks(dataset, selected, table, (*key, table_key))
    if picked is None:  # not rows of the dataset: worked out on their own
        shown = _shared_events(selected, result, (*key, _decisions_key()))
        return Events(shown, None, table_key, table_key)
    shown = table.selection(dataset.incidents, picked)
    base = _base_table(dataset, table, table_key)
    if base is None:
        return Events(shown, table_rows(dataset, table), table_key, table_key)
    # A decision changed a few events of a table whose file the map already has: it keeps that
    # file and gets those few with the selection (no new file of a million rows to write and
    # fetch); the events it changed are labelled past the file's rows.
    base_table, base_key = base
    labels = table.rows_in(base_table, shown.index.to_numpy())
    apart = labels < 0
    if apart.sum() > MAX_EXTRA_ROWS:  # too many to send with the map: this table's own file
        return Events(shown, table_rows(dataset, table), table_key, table_key)
    labels[apart] = base_table.rows + np.arange(int(apart.sum()))
    shown = shown.relabelled(pd.Index(labels))
    return Events(shown, table_rows(dataset, base_table), table_key, base_key)


# Per dataset (content hash), the last event table whose file the map was found to have: a team
# decision's new table is drawn over it until the server starts again (ui.warm publishes then).
# The newest few datasets only: each import to the store makes another.
_PUBLISHED_TABLES: OrderedDict[str, tuple[EventTable, str]] = OrderedDict()
PUBLISHED_TABLES_KEPT = 4


def _base_table(
    dataset: Dataset, table: EventTable, table_key: str
) -> tuple[EventTable, str] | None:
    """Return the table whose published file the map draws this one over, if another.

    With this session's own decisions, the team's table (every visitor's file); else the last
    table of the same reports whose file was there, when this one's is not yet.
    """
    if _own():
        team = match_result(dataset, st.session_state.get(STORED_DECISIONS, []))
        return event_table_of(dataset, team)
    colours = group_colours(dataset.groups.names)
    if is_published(table_key, colours):
        _PUBLISHED_TABLES[dataset.content_hash] = (table, table_key)
        _PUBLISHED_TABLES.move_to_end(dataset.content_hash)
        while len(_PUBLISHED_TABLES) > PUBLISHED_TABLES_KEPT:
            _PUBLISHED_TABLES.popitem(last=False)
        return None
    last = _PUBLISHED_TABLES.get(dataset.content_hash)
    if last is None or last[1] == table_key or not is_published(last[1], colours):
        return None
    return last


def table_rows(dataset: Dataset, table: EventTable) -> PublishedRows:
    """Return the rows of the dataset's event table, as the map publishes them."""
    return PublishedRows(pd.RangeIndex(table.rows), lambda: table.frame(dataset.incidents))


def event_table_of(dataset: Dataset, result: MatchResult) -> tuple[EventTable, str]:
    """Return the dataset's event table for ``result`` and the key naming its content.

    One per data and decisions for the whole server; the key is the same in every process (it
    names the map's published file).
    """
    text = repr((_decisions_key(result.decisions), sorted(result.settings.to_dict().items())))
    table_key = f"{dataset.content_hash}|{hashlib.sha256(text.encode()).hexdigest()[:24]}"
    return _shared_event_table(dataset.incidents, result, table_key), table_key


# One table per (data, decisions) for the whole server, like the match result it comes from.
@st.cache_resource(max_entries=2, show_spinner="Counting each event once…")
def _shared_event_table(
    _incidents: gpd.GeoDataFrame, _result: MatchResult, table_key: str
) -> EventTable:
    table = event_table(_incidents, _result.event_ids)
    keep_what_was_loaded()
    return table


# Which rows of the table a selection shows (and the few events worked out for it), shared by
# every session showing it; the rows' columns are copied from the reports as a page run reads
# them. Holds no report: a removed import's reports are not kept alive by it.
@st.cache_resource(max_entries=4, show_spinner=False)
def _shared_picks(
    _dataset: Dataset, _selected: Rows, _table: EventTable, key: tuple
) -> Picked | None:
    positions = _report_positions(_dataset, _selected)
    return None if positions is None else _table.pick(_dataset.incidents, positions)


def _report_positions(dataset: Dataset, selected: Rows) -> np.ndarray | None:
    """Return where the selected reports are among the dataset's (None: not rows of it)."""
    if selected.source is dataset.incidents:
        every = np.arange(len(dataset.incidents))
        return every if selected.positions is None else selected.positions
    return positions_in(dataset.incidents, selected.frame)


# Keyed on the selection (dataset hash and filters) and the decisions in force: sessions that show
# the same selection share its events; a session no longer keeps a copy of its own (at a million
# reports, a frame of a million events per session).
@st.cache_resource(max_entries=4, show_spinner=False)
def _shared_events(_selected: Rows, _result: MatchResult, key: tuple) -> Rows:
    return Rows.of_frame(event_frame(_selected.frame, _result.event_ids))


def show_headline(selected: Rows, events: Rows, total: int) -> None:
    """Write the count above the map when counting each event once."""
    noun = "event" if len(events) == 1 else "events"
    template = "**Showing {events:,} " + noun + " ({reports:,} reports)**"
    if len(selected) != total:
        template += " · {total:,} reports loaded"
    messages.markdown(
        template,
        help="Reports of one event in several datasets count once; switch this off in the "
        "sidebar (Count each event once). Filters select reports.",
        events=len(events),
        reports=len(selected),
        total=total,
    )


def reported_by_panel(events: Rows) -> None:
    """Which datasets reported the events shown (events counted once, reports together)."""
    if "datasets" not in events.column_names:
        return
    events = events.columns(["datasets", "reports"])
    st.caption("Who reported the events shown (each event counted once)")
    table = (
        events.assign(reported_by=events["datasets"].astype(str).str.replace("; ", " + "))
        .groupby("reported_by")
        .agg(events=("reports", "size"), reports=("reports", "sum"))
        .sort_values("events", ascending=False)
        .reset_index()
        .rename(columns={"reported_by": "Reported by", "events": "Events", "reports": "Reports"})
    )
    st.dataframe(table, hide_index=True, width="stretch")


# The review's choices, kept over the runs that do not draw the details tab.
REVIEW_KEYS = ("review_event", "review_pair")


def review_panel(selected: Rows, events: Rows, result: MatchResult, key: tuple) -> None:
    """Show the reports of one event side by side, why they match, and the review controls.

    Parameters
    ----------
    selected : Rows
        The selected reports.
    events : Rows
        One row per event among them (:func:`events_of`), with the count of its selected
        reports (``reports``).
    result : MatchResult
        The matching in force.
    key : tuple
        Names the selection and the matching (the map's view key with the event table's key):
        what is worked out from the events and reports is kept under it.
    """
    st.subheader("Reports of one event")
    sizes, several = _events_of_several_reports(events, key)
    st.caption(
        f"{result.events:,} events from {result.reports:,} reports; "
        f"{several:,} events in this selection have more than one report."
    )
    options = list(sizes)
    default = _chosen_event(selected, result, key)
    if default is not None and default not in options:
        options.insert(0, default)
        sizes = {**sizes, default: _event_reports(events, key, default)}
    if not options:
        st.info("No event in this selection is reported more than once.")
    else:
        event = st.selectbox(
            "Event",
            options,
            index=options.index(default) if default in options else 0,
            format_func=lambda e: f"{e} ({_reports_text(sizes.get(e, 1))})",
            key="review_event",
        )
        side = _side_by_side(selected, result.event_ids, key, event)
        st.dataframe(side, width="stretch")
        _pairs_review(result, event)
    _join_form(selected)
    _decisions_table()


# Worked out from every event of the selection: kept per selection and matching, not redone on
# each page run (at a million reports, 30 ms of every run under cProfile).
@st.cache_data(max_entries=32, show_spinner=False)
def _events_of_several_reports(_events: Rows, key: tuple) -> tuple[dict[str, int], int]:
    """Return the first choices (event -> its selected reports, most first) and how many."""
    multi = _several_reports(_events)
    multi = multi.sort_values("reports", ascending=False, kind="stable")
    chosen = multi.iloc[:EVENT_CHOICE_CAP]
    sizes = dict(zip(chosen["event_id"].astype(str), chosen["reports"].astype(int), strict=True))
    return sizes, len(multi)


@st.cache_data(max_entries=32, show_spinner=False)
def _event_reports(_events: Rows, key: tuple, event: str) -> int:
    """Return how many of an event's reports are selected (1 when it has one or none)."""
    multi = _several_reports(_events)
    reported = multi.loc[(multi["event_id"] == event).to_numpy(), "reports"]
    return int(reported.iloc[0]) if len(reported) else 1


def _several_reports(events: Rows) -> pd.DataFrame:
    """Return the id and selected reports of the events with more than one (a few rows)."""
    several = np.flatnonzero(events.column("reports").to_numpy() > 1)
    return events.take(several, ["event_id", "reports"])


@st.cache_data(max_entries=32, show_spinner=False)
def _side_by_side(_selected: Rows, _event_ids: pd.Series, key: tuple, event: str) -> pd.DataFrame:
    # Only the event's own reports are copied whole (reports_side_by_side keeps just those).
    members = _event_ids.index[among(_event_ids, [event])].append(pd.Index([event]))
    reports = _selected.take(_selected.find("incident_id", members.astype(str)))
    return reports_side_by_side(reports, _event_ids, event)


def open_event_report(selected: Rows, result: MatchResult) -> None:
    """Put an event's first report in the details tab's id box when the box names the event.

    A popup's "Open in Incident details" names what the map drew: an event of several reports
    is ``EV:`` and the id of its first report (:func:`geo.matching.match_incidents`). The tab
    shows reports, so it shows that one (or the event's first selected report), and the review
    below it shows the event with all its reports.
    """
    typed = st.session_state.get("detail_id")
    if not isinstance(typed, str) or not typed.startswith("EV:"):
        return
    ids = selected.column("incident_id").astype(str)
    members = ids[among(ids, result.event_ids.index[result.event_ids == typed].to_series())]
    if members.empty:
        return  # not an event of this selection: the tab says it found no such incident
    first = typed.removeprefix("EV:")
    st.session_state["detail_id"] = first if (members == first).any() else members.iloc[0]


def _chosen_event(selected: Rows, result: MatchResult, key: tuple) -> str | None:
    """Return the event of the report the details tab shows, if it is among the selected."""
    chosen = st.session_state.get("detail_incident")
    if not isinstance(chosen, str) or not holds_incident(selected, key, chosen):
        return None
    return str(result.event_ids.get(chosen, chosen))


def _reports_text(count: int) -> str:
    return "1 report" if count == 1 else f"{count} reports"


def _pairs_review(result: MatchResult, event: str) -> None:
    pairs = result.pairs[result.pairs["cluster_id"] == event]
    if pairs.empty:
        return
    st.caption("Why they were matched")
    shown = pairs[["first_id", "second_id", "score", "reasons", "decision"]]
    st.dataframe(shown, hide_index=True, width="stretch")
    labels = [f"{a} + {b}" for a, b in zip(pairs["first_id"], pairs["second_id"], strict=True)]
    choice = st.selectbox(
        "Match", range(len(labels)), format_func=labels.__getitem__, key="review_pair"
    )
    first, second = pairs.iloc[choice][["first_id", "second_id"]]
    confirm, reject = st.columns(2)
    if confirm.button("Confirm this match", key="review_confirm"):
        add_decision("confirm", first, second)
        st.rerun()
    if reject.button("Reject this match", key="review_reject"):
        add_decision("reject", first, second)
        st.rerun()


def _join_form(selected: Rows) -> None:
    with st.expander("Join two events by hand"):
        with st.form("join_events", clear_on_submit=True):
            first = st.text_input("Incident id", key="join_first")
            second = st.text_input("Same event as incident id", key="join_second")
            note = st.text_input("Why (optional)", key="join_note")
            submitted = st.form_submit_button("Join")
        if not submitted:
            return
        typed = pd.Series([first.strip(), second.strip()], dtype="str")
        unknown = typed[~among(typed, selected.column("incident_id"))].tolist()
        if unknown:
            st.error(
                "Not among the incidents shown; check the id: "
                + ", ".join(repr(i) for i in unknown)
            )
            return
        try:
            add_decision("join", first.strip(), second.strip(), note=note.strip())
        except ValueError as error:
            messages.error("{error}", error=error)
            return
        st.rerun()


def _decisions_table() -> None:
    made = decisions()
    if not made:
        return
    table = decisions_frame(made)
    where = "kept in the team store" if st.session_state.get(STORED_DECISIONS) else "this session's"
    st.caption(
        f"Review decisions ({len(made)}; {where}); they go into exported snapshots. In the store "
        "the latest decision on a pair counts and none is deleted."
    )
    st.dataframe(table, hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.download_button(
        "Decisions (CSV)",
        data=lambda: safe_csv(table),
        file_name="match-decisions.csv",
        mime="text/csv",
        key="download_decisions",
    )
    own = _own()
    if own and right.button("Undo this session's last decision", key="undo_decision"):
        own.pop()
        st.rerun()
