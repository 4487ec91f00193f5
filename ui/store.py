"""The team store in the page: login, datasets, keeping imports, curating incidents, history.

Only wiring: every rule (who may write, what an incident needs, how a re-import merges) is in
:mod:`geo.store`. Values from the store are shown as text (``st.dataframe``, ``ui.messages``).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import folium
import pandas as pd
import sqlalchemy as sa
import streamlit as st

from geo.gazetteer import Gazetteer
from geo.groups import GroupRegistry
from geo.importers import ImportResult
from geo.schema import ALL_GEO_PRECISIONS, DATE_PRECISIONS, EVENT_TYPES
from geo.store import (
    Account,
    DatasetInfo,
    StoreError,
    StoreSettings,
    load_settings,
    open_store,
)
from geo.store.core import SqlStore
from geo.store.records import MEASURES
from geo.store.sources import source_timestamps
from geo.store.working_set import working_set
from layers.assets import localize_assets
from ui import messages
from ui.data import DISPLAY_TOLERANCE_DEG, Dataset, build_dataset, bundled_layers
from ui.memory import keep_what_was_loaded

TOKEN = "store_token"
REGISTRY_CACHE = "store_registry_cache"
NOTICE = "store_notice"
SESSION_ONLY = "This browser session only"
SHARED = "Team store: shared with the team"
PRIVATE = "Team store: only for me"
NEW_DATASET = 0
FIGURE_ROWS = 3
SOURCE_ROWS = 2
SETTINGS_ERRORS = (StoreError, ValueError)


@dataclass(frozen=True, eq=False)
class StoreContext:
    """The store this page uses, its settings and who is logged in (None: nobody)."""

    store: SqlStore
    settings: StoreSettings
    account: Account | None

    @property
    def can_read(self) -> bool:
        """Whether the store's incidents are shown (a login, or anonymous reading allowed)."""
        return self.account is not None or self.settings.anonymous_read

    @property
    def can_write(self) -> bool:
        """Whether the logged-in account may write."""
        return self.account is not None and self.account.can_write

    @cached_property
    def owns_private_data(self) -> bool:
        """Whether the account sees datasets no one else may read (its private imports).

        Read from the dataset list the sidebar shows (kept until the store's next write).
        """
        if self.account is None:
            return False
        return any(d.visibility != "shared" for d in self.datasets)

    @property
    def datasets(self) -> list[DatasetInfo]:
        """The datasets this account may see, newest first (kept until the store's next write)."""
        store = self.store
        return _dataset_list(store, store.url, store.revision(), _viewer_key(self.account))


def _store_option() -> str | None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--store", default=None)
    options, _ = parser.parse_known_args(sys.argv[1:])
    return options.store


_OPENED: list[SqlStore] = []


@st.cache_resource(show_spinner="Opening the team store…")
def _open(url: str) -> SqlStore:
    """Open one store (engine and pool) per URL, shared by every session of this server."""
    store = open_store(url)
    _OPENED.append(store)
    return store


def release_stores() -> None:
    """Close every store this process opened and forget them (tests; a server reload)."""
    while _OPENED:
        _OPENED.pop().close()
    _open.clear()


def safe_url(url: str) -> str:
    """Return a store URL with its password hidden."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(not a database URL)"


def store_label(url: str) -> str:
    """Name a store for the page without its password, file path or socket path.

    Parameters
    ----------
    url : str
        The store's SQLAlchemy URL.

    Returns
    -------
    str
        ``"file store.sqlite on the server"`` or ``"database incidents on db.example"``.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return "(not a database URL)"
    if parsed.get_backend_name() == "sqlite":
        name = Path(parsed.database or "").name
        return f"file {name} on the server" if name else "memory of the server"
    host = parsed.host or str(parsed.query.get("host", ""))
    where = "this server (local socket)" if not host or host.startswith("/") else host
    return f"database {parsed.database or '(default)'} on {where}"


def store_context() -> StoreContext | None:
    """Open the store named by ``--store``, the environment or ``store.toml``; None if it fails.

    Returns
    -------
    StoreContext or None
    """
    try:
        settings = load_settings(_store_option())
        store = _open(settings.url)
    except SETTINGS_ERRORS as error:
        messages.error("The team store cannot be used: {error}", where=st.sidebar, error=error)
        return None
    except Exception as error:  # noqa: BLE001 - a server that cannot be reached must not break the page
        messages.LOGGER.exception("store at %s cannot be opened", safe_url(settings.url))
        messages.error(
            "The team store at {url} cannot be reached ({kind}); showing the data without it.",
            where=st.sidebar,
            url=store_label(settings.url),
            kind=type(error).__name__,
        )
        return None
    token = st.session_state.get(TOKEN)
    account = store.account_for(token) if token else None
    if token and account is None:
        del st.session_state[TOKEN]
        st.session_state[NOTICE] = "Your login has expired or ended; log in again to write."
    return StoreContext(store, settings, account)


def visitor_context() -> StoreContext | None:
    """Return the store as a visitor who has not logged in reads it (None: no store to read).

    For the server's warm start (:mod:`ui.warm`): no page, no session, nothing said to anyone;
    a store that cannot be opened is only logged.
    """
    try:
        settings = load_settings(_store_option())
        if not settings.anonymous_read:
            return None
        return StoreContext(_open(settings.url), settings, None)
    except Exception:  # noqa: BLE001 - the page opens it again and says what is wrong
        messages.LOGGER.exception("warm start: the team store could not be opened")
        return None


# ---------------------------------------------------------------------- incidents
# One Dataset per (base, store state, viewer), shared by every session of that viewer: a million
# stored incidents are held once, not once per browser session. Three entries: the anonymous
# view and a few logged-in ones; an evicted one is read back from its prepared file.
@st.cache_resource(max_entries=3, show_spinner="Reading the team store…")
def _store_dataset(
    _store: SqlStore,
    _base: Dataset,
    base_hash: str,
    url: str,
    state: tuple[str, int],
    viewer: tuple[int, str, str] | None,
) -> Dataset | None:
    """Return the base and the store's incidents ``viewer`` may see (None: nothing beyond)."""
    account = Account(*viewer) if viewer else None
    bundle = bundled_layers()
    prepared = working_set(_store, account, _base.incidents, base_hash, bundle)
    if prepared is None:
        return None
    dataset = build_dataset(
        bundle,
        prepared.incidents,
        f"{_base.label} + team store",
        prepared.content_hash,
        enriched=True,
    )
    figures = _store.figures(viewer=account)
    dataset = dataclasses.replace(
        dataset, figures=pd.concat([_base.figures, figures], ignore_index=True)
    )
    keep_what_was_loaded()  # and what reading the store or its prepared file left in the pools
    return dataset


def _viewer_key(account: Account | None) -> tuple[int, str, str] | None:
    return None if account is None else (account.id, account.username, account.role)


def everyone_sees(context: StoreContext | None) -> bool:
    """Whether what the store adds to the page is what every visitor sees.

    True with no store, for a visitor not logged in, and for an account that sees only shared
    datasets when visitors may read the store without logging in.
    """
    if context is None or context.account is None:
        return True
    return context.settings.anonymous_read and not context.owns_private_data


def dataset_with_store(base: Dataset, context: StoreContext | None) -> Dataset:
    """Return ``base`` with the store's incidents beside it (those this viewer may see).

    Parameters
    ----------
    base : Dataset
    context : StoreContext or None

    Returns
    -------
    Dataset
    """
    if context is None or not context.can_read:
        return base
    state = context.store.state()
    # An account that sees only shared datasets sees the rows a visitor sees: one copy for both.
    viewer = _viewer_key(context.account) if context.owns_private_data else None
    combined = _store_dataset(
        context.store, base, base.content_hash, context.store.url, state, viewer
    )
    return base if combined is None else combined


# ---------------------------------------------------------------------- sidebar
def store_sidebar(context: StoreContext | None, registry: GroupRegistry | None = None) -> None:
    """Sidebar expander: log in or out, the store's datasets, removing one, group spellings."""
    if context is None:
        return
    # One slot always drawn here, so the expanders below keep their place (and stay open or
    # closed as the analyst left them) whether or not there is something to say.
    slot = st.sidebar.empty()
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        messages.info("{notice}", where=slot, notice=notice)
    with st.sidebar.expander("Team store"):
        messages.caption(
            "{backend} store: {url}",
            backend=context.store.backend,
            url=store_label(context.store.url),
        )
        if context.account is None:
            _login_form(context)
        else:
            _logged_in(context)
        if context.can_read:
            _datasets(context)
        else:
            st.caption("Log in to see the team's incidents (this store needs a login to read).")
        if context.can_write and registry is not None:
            _alias_form(context, registry)


def _login_form(context: StoreContext) -> None:
    # A form: the name and password reach the server together with the click, so a rerun
    # that happens while the analyst types cannot drop what was typed.
    with st.form("store_login_form", border=False):
        username = st.text_input("Username", key="store_username")
        password = st.text_input("Password", type="password", key="store_password")
        submitted = st.form_submit_button("Log in", key="store_login")
    if submitted:
        try:
            login = context.store.login(username.strip(), password)
        except StoreError as error:
            messages.error("{error}", error=error)
            return
        st.session_state[TOKEN] = login.token
        st.session_state[NOTICE] = f"Logged in as {login.account.username}."
        st.rerun()
    st.caption("Without a login the store is read-only.")


# Counting each dataset's rows reads every stored incident (56 ms a page run at a million): the
# list is kept until the next write to the store (any write moves its revision).
@st.cache_resource(max_entries=8, show_spinner=False)
def _dataset_list(
    _store: SqlStore, url: str, revision: int, viewer: tuple[int, str, str] | None
) -> list[DatasetInfo]:
    return _store.datasets(viewer=Account(*viewer) if viewer else None)


def _logged_in(context: StoreContext) -> None:
    account = context.account
    messages.markdown("Logged in as **{name}** ({role})", name=account.username, role=account.role)
    if st.button("Log out", key="store_logout"):
        context.store.logout(st.session_state.pop(TOKEN, ""))
        st.rerun()


def _datasets(context: StoreContext) -> None:
    found = context.datasets
    if not found:
        st.caption("No dataset in the store yet.")
        return
    table = pd.DataFrame(
        {
            "Dataset": [d.name for d in found],
            "Format": [d.format for d in found],
            "Shared": ["shared" if d.visibility == "shared" else "only me" for d in found],
            "Imported by": [d.imported_by for d in found],
            "When (UTC)": [f"{d.imported_at:%Y-%m-%d %H:%M}" for d in found],
            "Licence": [d.licence for d in found],
            "Rows": [d.active_rows for d in found],
            "Marked removed": [d.removed_rows for d in found],
        }
    )
    st.dataframe(table, hide_index=True, key="store_datasets")
    if not context.can_write:
        return
    labels = {d.id: f"{d.id}: {d.name}" for d in found}
    chosen = st.selectbox(
        "Remove a dataset (kept in the store, hidden)",
        list(labels),
        format_func=lambda i: labels[i],
        key="store_remove_choice",
    )
    if st.button("Remove dataset", key="store_remove"):
        try:
            info = context.store.remove_dataset(chosen, actor=context.account)
        except StoreError as error:
            messages.error("{error}", error=error)
            return
        st.session_state[NOTICE] = f"Removed {info.name}: {info.active_rows} incidents hidden."
        st.rerun()


# ---------------------------------------------------------------------- imports
@dataclass(frozen=True)
class Destination:
    """Where an import goes: the store (shared or private, new or into a dataset)."""

    visibility: str
    licence: str
    into: int | None


def import_destination() -> Destination | None:
    """Widgets choosing where an import goes; None keeps it in this browser session only."""
    context = store_context_quiet()
    if context is None or not context.can_write:
        return None
    choice = st.radio("Keep the import in", [SESSION_ONLY, SHARED, PRIVATE], key="import_keep")
    if choice == SESSION_ONLY:
        return None
    licence = st.text_input("Licence or terms of use", key="import_licence")
    found = context.store.datasets(viewer=context.account)
    labels = {NEW_DATASET: "(a new dataset)"} | {d.id: f"{d.id}: {d.name}" for d in found}
    into = st.selectbox(
        "A newer export of",
        list(labels),
        format_func=lambda i: labels[i],
        key="import_into",
        help="Updates changed rows by the source's id and timestamp, adds new ones and marks "
        "rows missing from the newer export as removed; nothing is duplicated.",
    )
    visibility = "private" if choice == PRIVATE else "shared"
    return Destination(visibility, licence.strip(), None if into == NEW_DATASET else into)


def team_registry(registry: GroupRegistry) -> GroupRegistry:
    """Return ``registry`` with the spellings the team added in the store (when one is open).

    Imports use it to name groups; read again only when the store has changed.
    """
    context = store_context_quiet()
    if context is None or not context.can_read:
        return registry
    key = (context.store.url, context.store.revision(), id(registry))
    cached = st.session_state.get(REGISTRY_CACHE)
    if cached is None or cached[0] != key:
        aliases = context.store.group_aliases()
        team = registry.with_aliases(zip(aliases["alias"], aliases["group"], strict=True))
        cached = (key, team)
        st.session_state[REGISTRY_CACHE] = cached
    return cached[1]


def _alias_form(context: StoreContext, registry: GroupRegistry) -> None:
    """Let an editor add a spelling of a registry group for the whole team."""
    with st.form("store_alias", clear_on_submit=True):
        st.caption("A spelling of a group that imports should recognise (kept for the team).")
        alias = st.text_input("Spelling as a dataset writes it", key="alias_text")
        group = st.selectbox("Is the group", registry.names, key="alias_group")
        if not st.form_submit_button("Add the spelling"):
            return
    try:
        context.store.add_group_alias(alias, group, actor=context.account, registry=registry)
    except StoreError as error:
        messages.error("{error}", error=error)
        return
    st.session_state[NOTICE] = f"Imports now read {' '.join(alias.split())!r} as {group}."
    st.rerun()


def store_context_quiet() -> StoreContext | None:
    """Return the store context without messages (the sidebar already said them)."""
    try:
        settings = load_settings(_store_option())
        store = _open(settings.url)
    except Exception:  # noqa: BLE001 - already reported by store_context
        return None
    token = st.session_state.get(TOKEN)
    return StoreContext(store, settings, store.account_for(token) if token else None)


def keep_import(destination: Destination, result: ImportResult, data: bytes, name: str) -> bool:
    """Put an import into the store; say what it did. Returns whether it was kept."""
    context = store_context_quiet()
    if context is None:
        messages.error("The team store is not available; the import was not kept.")
        return False
    try:
        outcome = context.store.import_result(
            result,
            actor=context.account,
            visibility=destination.visibility,
            licence=destination.licence,
            file_name=name,
            into=destination.into,
            timestamps=source_timestamps(data, result.format),
        )
    except StoreError as error:
        messages.error("{error}", error=error)
        return False
    st.session_state[NOTICE] = outcome.summary()
    return True


# ---------------------------------------------------------------------- curation
def curate_panel(context: StoreContext | None, registry: GroupRegistry, places: Gazetteer) -> None:
    """Sidebar expander for editors: add an incident the team sourced itself."""
    if context is None or not context.can_write:
        return
    with st.sidebar.expander("Add an incident to the team store"):
        record = incident_fields("new", {}, registry, places)
        if st.button("Save incident", key="new_save", type="primary"):
            try:
                incident_id = context.store.add_incident(
                    record, actor=context.account, registry=registry
                )
            except StoreError as error:
                messages.error("{error}", error=error)
                return
            st.session_state[NOTICE] = f"Added {incident_id}."
            st.rerun()


def incident_fields(
    prefix: str, record: dict, registry: GroupRegistry, places: Gazetteer
) -> dict[str, object]:
    """Widgets for every field of a curated incident, filled from ``record``; returns the entry.

    Parameters
    ----------
    prefix : str
        Widget key prefix (one form per prefix).
    record : dict
        Current values (empty for a new incident).
    registry : GroupRegistry
    places : Gazetteer

    Returns
    -------
    dict
        The record as entered, for :meth:`geo.store.core.SqlStore.add_incident`.
    """
    start = _date(record.get("start"))
    out: dict[str, object] = {}
    out["start"] = st.date_input("First day", value=start, key=f"{prefix}_start")
    out["end"] = st.date_input(
        "Last day", value=_date(record.get("end")) or start, key=f"{prefix}_end"
    )
    out["date_precision"] = _select(
        "Date precision", DATE_PRECISIONS, record, "date_precision", prefix, "day"
    )
    _place_picker(prefix, record, places)
    out["place"] = st.text_input("Place", value=str(record.get("place", "")), key=f"{prefix}_place")
    out["province"] = st.text_input(
        "Province", value=str(record.get("province", "")), key=f"{prefix}_province"
    )
    out["lon"] = st.number_input(
        "Longitude", value=float(record.get("lon", 67.0)), format="%.5f", key=f"{prefix}_lon"
    )
    out["lat"] = st.number_input(
        "Latitude", value=float(record.get("lat", 29.5)), format="%.5f", key=f"{prefix}_lat"
    )
    out["geo_precision"] = _select(
        "Location precision", ALL_GEO_PRECISIONS, record, "geo_precision", prefix, "near"
    )
    out["event_type"] = _select(
        "Event type", EVENT_TYPES, record, "event_type", prefix, EVENT_TYPES[0]
    )
    current = [g for g in str(record.get("groups", "")).split("; ") if g in registry.names]
    out["groups"] = st.multiselect(
        "Groups (registry)", registry.names, default=current, key=f"{prefix}_groups"
    )
    out["figures"] = _figure_rows(prefix, list(record.get("figures", [])))
    out["sources"] = _source_rows(prefix, list(record.get("sources", [])))
    out["summary"] = st.text_area(
        "Summary", value=str(record.get("summary", "")), key=f"{prefix}_summary"
    )
    return out


def _date(value: object) -> date | None:
    if value is None or value == "":
        return None
    return pd.Timestamp(value).date()


def _select(
    label: str, options: tuple[str, ...], record: dict, field: str, prefix: str, default: str
) -> str:
    value = str(record.get(field) or default)
    index = options.index(value) if value in options else 0
    return st.selectbox(label, options, index=index, key=f"{prefix}_{field}")


def _place_picker(prefix: str, record: dict, places: Gazetteer) -> None:
    """Find the place by name or click it on a small map; fills place, province, lon and lat."""
    query = st.text_input("Find the place by name", key=f"{prefix}_find")
    if query.strip():
        found = places.search(query, limit=8)
        if not found:
            st.caption("No place matches that name; click the map instead.")
        else:
            labels = [f"{p.name} ({p.kind}, {p.province or 'abroad'})" for p in found]
            pick = st.selectbox(
                "Matches", range(len(found)), format_func=lambda i: labels[i], key=f"{prefix}_match"
            )
            if st.button("Use this place", key=f"{prefix}_use"):
                chosen = found[pick]
                st.session_state[f"{prefix}_place"] = chosen.name
                st.session_state[f"{prefix}_province"] = chosen.province or ""
                st.session_state[f"{prefix}_lon"] = round(chosen.lon, 5)
                st.session_state[f"{prefix}_lat"] = round(chosen.lat, 5)
    lon = float(st.session_state.get(f"{prefix}_lon", record.get("lon", 67.0)))
    lat = float(st.session_state.get(f"{prefix}_lat", record.get("lat", 29.5)))
    # Offline like the main map: province outlines and the railway, no tiles.
    picker = folium.Map(location=[lat, lon], zoom_start=6, tiles=None, control_scale=True)
    layers = bundled_layers()
    folium.GeoJson(
        _outlines(),
        style_function=lambda _: {"color": "#555", "weight": 1, "fillOpacity": 0.04},
        interactive=False,
    ).add_to(picker)
    folium.GeoJson(
        layers.rail_lines[["geometry"]].to_json(),
        style_function=lambda _: {"color": "#222", "weight": 2},
        interactive=False,
    ).add_to(picker)
    folium.CircleMarker([lat, lon], radius=6, color="#c0392b", fill=True).add_to(picker)
    localize_assets(picker)
    # Imported here, in a page run: this module is also imported by the server's warm start
    # (ui.warm), and a component imported outside a page run is not registered with the server.
    from streamlit_folium import st_folium

    state = st_folium(
        picker,
        key=f"{prefix}_map",
        height=220,
        returned_objects=["last_clicked"],
        use_container_width=True,
    )
    clicked = (state or {}).get("last_clicked")
    if clicked and st.session_state.get(f"{prefix}_clicked") != clicked:
        st.session_state[f"{prefix}_clicked"] = clicked
        st.session_state[f"{prefix}_lon"] = round(float(clicked["lng"]), 5)
        st.session_state[f"{prefix}_lat"] = round(float(clicked["lat"]), 5)
        st.rerun()
    st.caption("Click the map to place the incident there.")


@st.cache_data(show_spinner=False)
def _outlines() -> str:
    provinces = bundled_layers().provinces[["geometry"]].copy()
    provinces["geometry"] = provinces.geometry.simplify(DISPLAY_TOLERANCE_DEG * 4)
    return provinces.to_json()


def _figure_rows(prefix: str, figures: list[dict]) -> list[dict]:
    st.caption("Figures as reported (each with who reported it)")
    rows = []
    for number in range(max(FIGURE_ROWS, len(figures) + 1)):
        current = figures[number] if number < len(figures) else {}
        left, middle, right, who = st.columns([3, 2, 2, 4])
        measure = left.selectbox(
            "Measure",
            MEASURES,
            index=MEASURES.index(current.get("measure", "killed")),
            key=f"{prefix}_fig{number}_measure",
            label_visibility="collapsed" if number else "visible",
        )
        low = middle.text_input(
            "Low",
            value=_text(current.get("low")),
            key=f"{prefix}_fig{number}_low",
            label_visibility="collapsed" if number else "visible",
        )
        high = right.text_input(
            "High",
            value=_text(current.get("high")),
            key=f"{prefix}_fig{number}_high",
            label_visibility="collapsed" if number else "visible",
        )
        reporter = who.text_input(
            "Reported by",
            value=str(current.get("reported_by", "")),
            key=f"{prefix}_fig{number}_by",
            label_visibility="collapsed" if number else "visible",
        )
        if low.strip() or high.strip() or reporter.strip():
            rows.append(
                {**current, "measure": measure, "low": low, "high": high, "reported_by": reporter}
            )
    return rows


def _source_rows(prefix: str, sources: list[dict]) -> list[dict]:
    st.caption("Sources (at least one with a URL)")
    rows = []
    for number in range(max(SOURCE_ROWS, len(sources) + 1)):
        current = sources[number] if number < len(sources) else {}
        publisher, url = st.columns([2, 3])
        entry = {
            "publisher": publisher.text_input(
                "Publisher",
                value=str(current.get("publisher", "")),
                key=f"{prefix}_src{number}_publisher",
            ),
            "url": url.text_input(
                "URL", value=str(current.get("url", "")), key=f"{prefix}_src{number}_url"
            ),
            "title": str(current.get("title", "")),
            "date": str(current.get("date", "")),
        }
        if entry["publisher"].strip() or entry["url"].strip():
            rows.append(entry)
    return rows


def _text(value: object) -> str:
    return "" if value is None else str(value)


# ---------------------------------------------------------------------- details tab
def history_panel(
    context: StoreContext | None,
    incident_id: str | None,
    registry: GroupRegistry,
    places: Gazetteer,
) -> None:
    """Under the incident details: the store's history of it and, for editors, a correction form."""
    if context is None or not incident_id or not context.can_read:
        return
    entries = context.store.history(incident_id)
    if not entries:
        return
    st.caption("History in the team store (who, when, old → new)")
    st.dataframe(
        pd.DataFrame(
            {
                "When (UTC)": [f"{e.changed_at:%Y-%m-%d %H:%M:%S}" for e in entries],
                "Who": [e.changed_by for e in entries],
                "Action": [e.action for e in entries],
                "Field": [e.field for e in entries],
                "Old": [e.old for e in entries],
                "New": [e.new for e in entries],
            }
        ),
        hide_index=True,
        width="stretch",
        key="store_history",
    )
    if not context.can_write:
        return
    with st.expander("Correct this incident"):
        try:
            record = context.store.incident_record(incident_id)
        except StoreError as error:
            messages.error("{error}", error=error)
            return
        prefix = "edit_" + hashlib.sha256(incident_id.encode()).hexdigest()[:10]
        changed = incident_fields(prefix, record, registry, places)
        if st.button("Save correction", key=f"{prefix}_save", type="primary"):
            try:
                done = context.store.edit_incident(
                    incident_id, changed, actor=context.account, registry=registry
                )
            except StoreError as error:
                messages.error("{error}", error=error)
                return
            st.session_state[NOTICE] = f"{incident_id}: {len(done)} field(s) corrected."
            st.rerun()
