"""Incident-mapping dashboard: armed attacks around Pakistan's railways and provinces.

Run ``make run`` (or ``streamlit run app.py``). Options after ``--``:

- ``--incidents FILE``: explore a snapshot or incident file instead of the bundled set (a
  GeoParquet file is read once, prepared and cached, and shared by every session);
- ``--snapshot FILE``: open a GeoJSON snapshot and restore its filters;
- ``--basemap NAME``: the basemap shown first (default: the offline vector basemap).

This script only wires widgets to ``geo/`` (data and analysis) and ``layers/`` (map layers).
"""

from __future__ import annotations

import argparse
import stat
from functools import partial
from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.export import Snapshot, read_snapshot
from geo.filters import not_drawn_note, on_map_mask
from geo.importers import DEFAULT_MAX_BYTES
from geo.matching import MatchResult
from geo.schema import INCIDENT_COLUMNS
from geo.selection import Rows
from layers.assets import bundle_scripts, localize_assets
from layers.basemap import build_base_map
from layers.context import build_province_layer
from layers.incidents import (
    build_heatmap_layer,
    build_incident_layer,
    shared_payload,
    start_hidden,
)
from layers.labels import build_found_place_layer
from layers.panes import add_panes, put_in_pane
from layers.payload import PublishedRows
from layers.style import group_colours
from layers.view import OVERLAYS, MapView, basemap_names
from ui import corridor as corridor_ui
from ui import filters as filter_ui
from ui import matching as matching_ui
from ui import messages, panels
from ui import store as store_ui
from ui.data import (
    Dataset,
    bundled_dataset,
    command_line,
    dataset_from_incidents,
    file_dataset,
    inline_payload,
    select_rows,
    selection_key,
    shared_selection,
)
from ui.geography import (
    MapFocus,
    gazetteer,
    map_focus,
    map_overlays,
    offline_basemap,
    place_labels,
    place_search,
)
from ui.imports import dataset_with_imports, import_panel, run_import
from ui.memory import (
    collect_run_garbage,
    end_expired_sessions,
    release_when_session_ends,
    start_session_reaper,
)

st.set_page_config(page_title="Rail & province incident map — Pakistan", layout="wide")
LOGGER = messages.LOGGER


SERVER_DATASET = "server_dataset"  # the dataset the server was started on, if shown


def regular_file(path: Path, max_bytes: int | None) -> Path:
    """Return ``path`` if it is a regular file of at most ``max_bytes`` (any size: None).

    Never reads the file.

    Raises
    ------
    ValueError
        For a missing file, a device (``/dev/zero``), a named pipe, a folder or a file over
        the limit, naming the file and the problem.
    """
    try:
        info = path.stat()
    except OSError:
        msg = f"{path.name}: no such file"
        raise ValueError(msg) from None
    if not stat.S_ISREG(info.st_mode):
        msg = f"{path.name}: not a regular file (a device, named pipe or folder); not reading it"
        raise ValueError(msg)
    if max_bytes is not None and info.st_size > max_bytes:
        msg = (
            f"{path.name}: {info.st_size / 1048576:.1f} MiB, over the "
            f"{max_bytes / 1048576:.0f} MiB limit"
        )
        raise ValueError(msg)
    return path


@st.cache_resource(show_spinner="Importing…", max_entries=1)
def startup_import(data: bytes, name: str):
    """Import the ``--incidents`` file once per process (every session explores it)."""
    return run_import(data, name, "auto", None)


def dataset_for_snapshot(snapshot: Snapshot, name: str) -> Dataset:
    """Return the dataset a snapshot was taken from when it is loaded, else its own incidents."""
    bundled = bundled_dataset()
    if snapshot.metadata.get("dataset_hash") == bundled.content_hash:
        return bundled
    return dataset_from_incidents(snapshot.incidents, f"snapshot {name}")


def dataset_from_command_line(options: argparse.Namespace) -> Dataset:
    """Return the dataset named by ``--snapshot`` or ``--incidents``, or the bundled one."""
    if options.snapshot is not None:
        path = regular_file(options.snapshot, DEFAULT_MAX_BYTES)
        snapshot = read_snapshot(path, max_bytes=DEFAULT_MAX_BYTES)
        if "filters_ready" not in st.session_state:
            filter_ui.request_filter(snapshot.filters, snapshot.problems)
            matching_ui.restore_decisions(snapshot.metadata)
        return dataset_for_snapshot(snapshot, options.snapshot.name)
    if options.incidents is not None and options.incidents.suffix.lower() == ".parquet":
        # Read once, shared by every session; columnar, so any size.
        return file_dataset(regular_file(options.incidents, None))
    if options.incidents is not None:
        name = options.incidents.name
        data = regular_file(options.incidents, DEFAULT_MAX_BYTES).read_bytes()
        result = startup_import(data, name)
        st.session_state["startup_import"] = result
        if result.kept == 0:
            msg = f"{name}: no row could be used ({result.summary()})"
            raise ValueError(msg)
        return dataset_from_incidents(result.incidents[list(INCIDENT_COLUMNS)], name)
    return bundled_dataset()


def choose_dataset() -> Dataset:
    """Return this session's dataset: opened by the user, named on the command line, or bundled."""
    if "dataset" in st.session_state:
        return st.session_state["dataset"]
    options = command_line()
    try:
        dataset = dataset_from_command_line(options)
    except (OSError, ValueError) as error:
        LOGGER.warning("command-line file refused: %s", error)
        messages.error("Could not open the file given on the command line: {error}", error=error)
        st.stop()
    st.session_state["dataset"] = dataset
    st.session_state[SERVER_DATASET] = dataset  # what the server was started on: every session's
    return dataset


def snapshot_opener() -> None:
    """Sidebar control that opens a snapshot and restores its selection and filters."""
    with st.sidebar.expander("Open a snapshot"):
        upload = st.file_uploader(
            "Snapshot",
            type=["geojson", "json", "gz", "gpkg", "parquet"],
            key="snapshot_upload",
            max_upload_size=DEFAULT_MAX_BYTES // 2**20,
            help="GeoJSON (plain or .geojson.gz), GeoPackage or GeoParquet, as downloaded here.",
        )
        if upload is None or st.session_state.get("opened_snapshot") == upload.file_id:
            return
        try:
            snapshot = read_snapshot(upload.getvalue(), max_bytes=DEFAULT_MAX_BYTES)
        except ValueError as error:
            LOGGER.info("snapshot refused: %s", error)
            messages.error("{name}: {error}", name=upload.name, error=error)
            return
        st.session_state["opened_snapshot"] = upload.file_id
        st.session_state["dataset"] = dataset_for_snapshot(snapshot, upload.name)
        st.session_state.pop(SERVER_DATASET, None)
        filter_ui.request_filter(snapshot.filters, snapshot.problems)
        matching_ui.restore_decisions(snapshot.metadata)
        st.rerun()


def map_options() -> dict[str, bool]:
    """Sidebar switches for how incidents are drawn."""
    with st.sidebar.expander("Map display", expanded=False):
        return {
            "cluster": st.checkbox("Cluster dense incidents", value=True, key="opt_cluster"),
            "heatmap": st.checkbox(
                "Heatmap (weighted by deaths)",
                value=False,
                key="opt_heat",
                help="Also in the map's layer control, where it switches without reloading.",
            ),
            "playback": st.checkbox("Time playback control", value=True, key="opt_playback"),
        }


def map_view() -> MapView:
    """Return where the map opens: the link's view, basemap and layers, read once a session."""
    if "map_view" not in st.session_state:
        view = MapView.from_query(st.query_params.to_dict())
        st.session_state["map_view"] = view
        for problem in view.problems:
            messages.warning("Link: {problem}", problem=problem)
    return st.session_state["map_view"]


def _show_overlays(m: folium.Map, view: MapView) -> None:
    """Switch the base map's own overlays (rail lines, stations) on or off as the link says."""
    names = {name: key for key, name in OVERLAYS.items()}
    for child in m._children.values():
        key = names.get(getattr(child, "layer_name", None))
        if isinstance(child, folium.FeatureGroup) and key is not None:
            child.show = view.shows(key)


def open_clicked_incident(value: object) -> None:
    """Show the incident a popup's "Open in Incident details" button asked for."""
    if not isinstance(value, dict) or not isinstance(value.get("open_incident"), str):
        return
    if value.get("nonce") == st.session_state.get("opened_incident_nonce"):
        return
    st.session_state["opened_incident_nonce"] = value.get("nonce")
    st.session_state["detail_id"] = value["open_incident"][:100]
    # A new tabs widget (new key) opens on its default tab: the details.
    st.session_state["details_opened"] = st.session_state.get("details_opened", 0) + 1


def draw_map(
    dataset: Dataset,
    selected: Rows,
    options: dict[str, bool],
    focus: MapFocus | None = None,
    *,
    published: tuple[PublishedRows, str] | None = None,
    view_key: tuple[str, str],
) -> None:
    """Show the map; only the incident, province and heat layers change with the filters.

    The whole selection goes to the browser once; panning and zooming never rerun the app
    (``returned_objects`` is empty); only a popup's "Open in Incident details" button does.
    A place found by search (``focus``) moves the map there without rebuilding it. A large
    selection of the rows of ``published`` (rows every session may see, such as the dataset's
    incidents or its event table, and a key naming its content) is sent as a mask over that
    rows' payload, which the page fetches once (see :mod:`layers.payload`); then only the
    columns the map's counts read are copied from the selection. Any other selection goes with
    the map, its payload made once per ``view_key`` (which names the selection exactly).
    """
    view = map_view()
    basemap = view.basemap or filter_ui.basemap_choice(command_line().basemap)
    base = build_base_map(
        dataset.provinces_display,
        dataset.rail_lines,
        dataset.stations,
        basemap=basemap,
        offline_data=offline_basemap(),
        labels=place_labels(),
        overlay_data=map_overlays(),
    )
    base.location = list(view.center)
    base.options["zoom"] = view.zoom
    add_panes(base)
    _show_overlays(base, view)
    colours = group_colours(dataset.groups.names)
    if dataset.label.startswith("SYNTHETIC"):
        messages.warning("{label}. For benchmarks and load tests only.", label=dataset.label)
    # Rows located only to the country are counted in the totals but have no place to draw.
    drawn = on_map_mask(selected.columns(["geo_precision"])).to_numpy(dtype=bool)
    selected = selected.subset(drawn)
    provinces = build_province_layer(
        dataset.province_outlines, selected.column("province").value_counts()
    )
    if not view.shows("provinces"):
        start_hidden(provinces)
    shared = None if published is None else shared_selection(*published, selected, colours)
    # Sent with the map: made once per selection (view_key names it), not once per page run.
    if shared is not None:
        payload = shared_payload(shared, colours)
    else:
        payload = inline_payload(selected, view_key, colours)
    incidents = build_incident_layer(
        None,
        colours,
        shared=shared,
        payload=payload,
        cluster=options["cluster"],
        playback=options["playback"],
        link_state={
            "basemap": basemap,
            "basemaps": {name: key for key, name in basemap_names().items()},
            "overlays": {name: key for key, name in OVERLAYS.items()},
            "shown": list(view.overlays),
        },
    )
    if not view.shows("incidents"):
        start_hidden(incidents)
    heat = build_heatmap_layer()
    if not (options["heatmap"] or view.shows("heatmap")):
        start_hidden(heat)
    dynamic = [put_in_pane(provinces, "provinces"), incidents, heat]
    if focus is not None:
        dynamic.append(build_found_place_layer(focus.place))
    control = folium.LayerControl(collapsed=True, position="topright")
    for layer in dynamic:
        layer.add_to(base)
    bundle_scripts(localize_assets(base))
    for layer in dynamic:
        base._children.pop(layer.get_name(), None)
    value = st_folium(
        base,
        key="incident_map",
        height=620,
        use_container_width=True,
        returned_objects=[],
        feature_group_to_add=dynamic,
        layer_control=control,
        center=focus.center if focus else None,
        zoom=focus.zoom if focus else None,
        # st_folium renders the map itself; render=True only renders the page around it once
        # more first (the same text, 8 ms of every run).
        render=False,
    )
    open_clicked_incident(value)


def _matching_metadata(result: MatchResult, selected: Rows) -> dict:
    """Return what a snapshot of ``selected`` records of the matching (read as it is written)."""
    return result.to_metadata(selected.column("incident_id"))


def main() -> None:
    """Lay out the dashboard: one section after another, each kept from breaking the rest."""
    release_when_session_ends()  # its memory and its download links go with the session
    end_expired_sessions()  # closed tabs past their reconnect time, with their files
    start_session_reaper()  # and the same when no page runs (once per process)
    dataset = choose_dataset()
    # Whether every visitor sees these incidents: the server's dataset (not a snapshot this
    # session opened), the store's part that visitors read (ui.store.everyone_sees), and no
    # imports of this session.
    public = dataset is st.session_state.get(SERVER_DATASET)
    store = None
    with messages.guarded("the team store"):
        store = store_ui.store_context()
        dataset = store_ui.dataset_with_store(dataset, store)
        public = public and store_ui.everyone_sees(store)
        matching_ui.use_store(store)
    with messages.guarded("the imported incidents"):
        with_imports = dataset_with_imports(dataset)
        public = public and with_imports is dataset
        dataset = with_imports
    found = None
    with messages.guarded("the place search"):
        found = place_search(gazetteer())
    with messages.guarded("the sidebar"):
        snapshot_opener()
    with messages.guarded("the team store"):
        store_ui.store_sidebar(store, dataset.groups)
        store_ui.curate_panel(store, dataset.groups, gazetteer())
    with messages.guarded("the import panel"):
        import_panel()
        if "startup_import" in st.session_state:
            result = st.session_state["startup_import"]
            messages.info(
                "{name}: {summary}", where=st.sidebar, name=result.name, summary=result.summary()
            )
    flt = filter_ui.sidebar(dataset)
    options = map_options()
    map_view()  # read the link's map keys once, when the session opens
    filtered = select_rows(dataset, flt)
    # The corridor chart's brush (a km range and period on one line) narrows the selection for
    # the map and every panel; a click on one of its marks opens that incident.
    colours = group_colours(dataset.groups.names)
    corridor = corridor_ui.CorridorState(None, None)
    filtered_key = selection_key(dataset, flt)
    with messages.guarded("the railway corridor"):
        corridor_ui.keep_settings()
        corridor = corridor_ui.corridor_state(filtered, dataset, colours, filtered_key)
    if corridor.window:
        selected = filtered.subset(corridor.window.holds(filtered.column("incident_id")))
    else:
        selected = filtered
    view_key = filtered_key
    if corridor.window:
        view_key = (view_key[0], f"{view_key[1]}&corridor={corridor.window.key()}")
    opened = (
        corridor_ui.opened_place(corridor.opened, filtered.columns(["incident_id", "geometry"]))
        if corridor.opened is not None
        else None
    )
    focus = map_focus(
        search=found,
        corridor=MapFocus(place=opened[0], zoom=opened[1]) if opened else None,
    )
    # Two or more datasets: each event counted once (ui/matching.py); filters select reports.
    result = None
    with messages.guarded("the matching of reports"):
        result = (
            matching_ui.match_result(dataset) if matching_ui.count_once_option(dataset) else None
        )
    shown = selected
    # What the map's rows are rows of: published as a file once when every session may see it.
    rows_of = (PublishedRows.of(dataset.incidents), dataset.content_hash)
    if result is not None:
        events = matching_ui.events_of(dataset, selected, result, view_key)
        shown = events.shown
        rows_of = None if events.table is None else (events.table, events.rows_key)
        view_key = (f"{view_key[0]}|events|{events.table_key}", view_key[1])

    st.header("Armed attacks around Pakistan's railways and provinces")
    messages.caption(
        "Dataset: {label} · version {version} · "
        "fatalities count people killed who were not attackers; ranges where sources differ.",
        label=dataset.label,
        version=dataset.content_hash[:19],
    )
    if result is None:
        messages.markdown(
            "**Showing {selected:,} of {total:,} incidents**",
            help="Filters are in the sidebar; the URL keeps them, so the view can be bookmarked.",
            selected=len(selected),
            total=len(dataset.incidents),
        )
    else:
        matching_ui.show_headline(selected, shown, len(dataset.incidents))
    # Always the same element, filled or not, so the page's layout (and the open tab) stays put.
    corridor_note = st.container()
    if corridor.window:
        messages.caption(
            "Railway corridor: {window} ({count} incidents). Double-click the corridor chart to "
            "show every incident again.",
            where=corridor_note,
            window=corridor.window.describe(),
            count=len(selected),
        )
    not_drawn = not_drawn_note(selected.columns(["geo_precision"]))
    if not_drawn:
        messages.caption(not_drawn)
    with messages.guarded("the map"):
        # Only data every visitor sees is published as a file the page fetches.
        published = rows_of if public else None
        draw_map(dataset, shown, options, focus, published=published, view_key=view_key)
    with messages.guarded("the snapshot download"):
        panels.export_panel(
            selected,
            flt,
            dataset,
            view_key,
            matching=None if result is None else partial(_matching_metadata, result, selected),
        )
    details_opened = st.session_state.get("details_opened", 0)
    # Opening a tab reruns the page, so a tab's content is computed only while it is open
    # (at a million incidents the totals, the table and the corridor cost more than the rest
    # of a filter change; the details' tables delay the map's first paint by 0.2-0.3 s). The
    # corridor also runs while its chart holds a brush or a pick (they narrow every view, and
    # Streamlit forgets them when the chart is not drawn); the details' choices are kept.
    panels.keep_details_choice((*panels.DETAIL_KEYS, *matching_ui.REVIEW_KEYS))
    timeline_tab, totals_tab, table_tab, corridor_tab, details_tab = st.tabs(
        ["Timeline", "Totals", "Incidents table", "Railway corridor", "Incident details"],
        key=f"detail_tabs_{details_opened}",
        default="Incident details" if details_opened else None,
        on_change="rerun",
    )
    with timeline_tab, messages.guarded("the timeline"):
        if timeline_tab.open is not False:
            panels.timeline_panel(shown, view_key, colours)
    with totals_tab, messages.guarded("the totals"):
        if totals_tab.open is not False:
            panels.totals_panel(shown.frame, view_key)
            if result is not None:
                matching_ui.reported_by_panel(shown)
    with table_tab, messages.guarded("the table"):
        if table_tab.open is not False:
            panels.table_panel(shown.frame)
    with corridor_tab, messages.guarded("the railway corridor"):
        if corridor_tab.open is not False or corridor_ui.chart_in_use():
            corridor_ui.corridor_panel(filtered.frame, dataset, colours, corridor, filtered_key)
    with details_tab, messages.guarded("the incident details"):
        if details_tab.open is not False:
            if result is not None:
                matching_ui.open_event_report(selected, result)
            panels.details_panel(selected, dataset, view_key)
            store_ui.history_panel(
                store, st.session_state.get("detail_incident"), dataset.groups, gazetteer()
            )
            if result is not None:
                matching_ui.review_panel(selected, shown, result, view_key)
    # Last, so that the URL written by the last completed run is the one the browser keeps.
    filter_ui.sync_query_string(flt)


with messages.guarded("this page"):
    main()
collect_run_garbage()  # what this run freed by replacing the last run's selection and map
