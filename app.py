"""Incident-mapping dashboard: armed attacks around Pakistan's railways and provinces.

Run ``make run`` (or ``streamlit run app.py``). Options after ``--``:

- ``--incidents FILE``: explore a snapshot or incident file instead of the bundled set;
- ``--snapshot FILE``: open a GeoJSON snapshot and restore its filters;
- ``--basemap NAME``: the basemap shown first (default: the offline vector basemap).

This script only wires widgets to ``geo/`` (data and analysis) and ``layers/`` (map layers).
"""

from __future__ import annotations

import argparse

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.export import Snapshot, read_snapshot
from geo.filters import not_drawn_note, on_map_mask
from geo.schema import INCIDENT_COLUMNS
from layers.assets import localize_assets
from layers.basemap import OFFLINE_BASEMAP, build_base_map
from layers.context import build_province_layer
from layers.incidents import (
    POINT_CAP,
    build_heatmap_layer,
    build_incident_layer,
    plan_display,
    view_from_map_state,
)
from layers.style import group_colours
from ui import filters as filter_ui
from ui import panels
from ui.data import (
    Dataset,
    bundled_dataset,
    command_line,
    dataset_from_incidents,
    select,
    selection_key,
)
from ui.imports import dataset_with_imports, import_panel, run_import

st.set_page_config(page_title="Rail & province incident map — Pakistan", layout="wide")


def dataset_for_snapshot(snapshot: Snapshot, name: str) -> Dataset:
    """Return the dataset a snapshot was taken from when it is loaded, else its own incidents."""
    bundled = bundled_dataset()
    if snapshot.metadata.get("dataset_hash") == bundled.content_hash:
        return bundled
    return dataset_from_incidents(snapshot.incidents, f"snapshot {name}")


def dataset_from_command_line(options: argparse.Namespace) -> Dataset:
    """Return the dataset named by ``--snapshot`` or ``--incidents``, or the bundled one."""
    if options.snapshot is not None:
        snapshot = read_snapshot(options.snapshot)
        if "filters_ready" not in st.session_state:
            filter_ui.request_filter(snapshot.filters)
        return dataset_for_snapshot(snapshot, options.snapshot.name)
    if options.incidents is not None:
        name = options.incidents.name
        result = run_import(options.incidents.read_bytes(), name, "auto", None)
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
        st.error(f"Could not open the file given on the command line: {error}")
        st.stop()
    st.session_state["dataset"] = dataset
    return dataset


def snapshot_opener() -> None:
    """Sidebar control that opens a snapshot and restores its selection and filters."""
    with st.sidebar.expander("Open a GeoJSON snapshot"):
        upload = st.file_uploader("Snapshot", type=["geojson", "json"], key="snapshot_upload")
        if upload is None or st.session_state.get("opened_snapshot") == upload.file_id:
            return
        try:
            snapshot = read_snapshot(upload.getvalue())
        except ValueError as error:
            st.error(f"{upload.name}: {error}")
            return
        st.session_state["opened_snapshot"] = upload.file_id
        st.session_state["dataset"] = dataset_for_snapshot(snapshot, upload.name)
        filter_ui.request_filter(snapshot.filters)
        st.rerun()


def map_options() -> dict[str, bool]:
    """Sidebar switches for how incidents are drawn."""
    with st.sidebar.expander("Map display", expanded=False):
        return {
            "cluster": st.checkbox("Cluster dense incidents", value=True, key="opt_cluster"),
            "heatmap": st.checkbox("Heatmap (weighted by deaths)", value=False, key="opt_heat"),
            "playback": st.checkbox("Time playback control", value=True, key="opt_playback"),
        }


def draw_map(dataset: Dataset, selected, options: dict[str, bool]) -> None:
    """Show the map; only the incident, province and heat layers change with the filters."""
    base = build_base_map(
        dataset.provinces_display,
        dataset.rail_lines,
        dataset.stations,
        basemap=command_line().basemap or OFFLINE_BASEMAP,
    )
    colours = group_colours(dataset.groups.names)
    if dataset.label.startswith("SYNTHETIC"):
        st.warning(f"{dataset.label}. For benchmarks and load tests only.")
    # Rows located only to the country are counted in the totals but have no place to draw.
    selected = selected[on_map_mask(selected).to_numpy(dtype=bool)]
    # Over the cap, the map reports its view (a rerun per pan or zoom) so the incidents in view
    # can be drawn one by one; under it, panning never reruns the app.
    over_cap = len(selected) > POINT_CAP
    state = st.session_state.get("incident_map") if over_cap else None
    zoom, bounds = view_from_map_state(state)
    display = plan_display(selected, list(colours), zoom=zoom, bounds=bounds)
    if display.aggregated:
        st.info(display.note)
    dynamic = [
        build_province_layer(dataset.provinces_display, selected["province"].value_counts()),
        build_incident_layer(
            selected,
            colours,
            cluster=options["cluster"],
            playback=options["playback"],
            display=display,
        ),
    ]
    if options["heatmap"]:
        dynamic.append(build_heatmap_layer(selected))
    control = folium.LayerControl(collapsed=True, position="topright")
    for layer in dynamic:
        layer.add_to(base)
    localize_assets(base)
    for layer in dynamic:
        base._children.pop(layer.get_name(), None)
    st_folium(
        base,
        key="incident_map",
        height=620,
        use_container_width=True,
        returned_objects=["bounds", "zoom"] if over_cap else [],
        feature_group_to_add=dynamic,
        layer_control=control,
    )


def main() -> None:
    """Lay out the dashboard."""
    dataset = dataset_with_imports(choose_dataset())
    snapshot_opener()
    import_panel()
    if "startup_import" in st.session_state:
        result = st.session_state["startup_import"]
        st.sidebar.info(f"{result.name}: {result.summary()}")
    flt = filter_ui.sidebar(dataset)
    options = map_options()
    filter_ui.sync_query_string(flt)
    selected = select(dataset, flt)

    st.header("Armed attacks around Pakistan's railways and provinces")
    st.caption(
        f"Dataset: {dataset.label} · version {dataset.content_hash[:19]} · "
        "fatalities count people killed who were not attackers; ranges where sources differ."
    )
    st.markdown(
        f"**Showing {len(selected)} of {len(dataset.incidents)} incidents**",
        help="Filters are in the sidebar; the URL keeps them, so the view can be bookmarked.",
    )
    not_drawn = not_drawn_note(selected)
    if not_drawn:
        st.caption(not_drawn)
    draw_map(dataset, selected, options)
    panels.export_panel(selected, flt, dataset)
    timeline_tab, totals_tab, table_tab, details_tab = st.tabs(
        ["Timeline", "Totals", "Incidents table", "Incident details"]
    )
    with timeline_tab:
        panels.timeline_panel(selected, selection_key(dataset, flt))
    with totals_tab:
        panels.totals_panel(selected, selection_key(dataset, flt))
    with table_tab:
        panels.table_panel(selected)
    with details_tab:
        panels.details_panel(selected, dataset)


main()
