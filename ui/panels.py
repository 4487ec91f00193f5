"""Panels under the map: timeline, totals, the incident table, details and export.

Every value from data is shown through Streamlit's data widgets (``st.dataframe``, ``st.text``,
link columns), never through Markdown or HTML, so it cannot inject markup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.analysis import most_recent
from geo.export import SNAPSHOT_FILE_FORMATS, write_snapshot
from geo.filters import IncidentFilter
from geo.selection import Rows
from geo.spreadsheet import safe_csv
from layers.style import colour_of
from ui import messages
from ui.data import (
    Dataset,
    recent_positions,
    sharing_note,
    span_days,
    summary_table,
    timeline_table,
)

TABLE_ROW_CAP = 2_000  # rows sent to the browser's table
DETAIL_CHOICE_CAP = 2_000  # incidents listed in the details chooser
COMPRESSED_EXPORT_ABOVE = 5_000  # larger selections are offered gzip-compressed GeoJSON first

TABLE_COLUMNS = {
    "incident_id": "Id",
    "start": "Start",
    "end": "End",
    "place": "Place",
    "province": "Province",
    "groups": "Groups",
    "event_type": "Event type",
    "sub_event_type": "Sub-type",
    "fatalities_low": "Killed, not attackers (low)",
    "fatalities_high": "Killed, not attackers (high)",
    "deaths_reported": "All deaths as reported",
    "injured_low": "Injured (low)",
    "injured_high": "Injured (high)",
    "geo_precision": "Location precision",
    "rail_distance_km": "Km to rail",
    "rail_km_post": "Rail km post",
    "rail_basis": "Rail position from",
    "flags": "Flags",
    "reports": "Reports",  # one row per event (ui/matching)
    "datasets": "Reported by",
}


def timeline_panel(
    selected: Rows, key: tuple[str, str], colours: dict[str, str] | None = None
) -> None:
    """Stacked bar chart of incidents per week or month by group, in the map's group colours."""
    if selected.empty:
        messages.info("No incidents match the filters.")
        return
    freq = st.radio(
        "Bin by",
        ("Month", "Week"),
        index=0 if span_days(selected, key) > 180 else 1,
        horizontal=True,
        key="timeline_freq",
    )
    counts = timeline_table(selected, key, "M" if freq == "Month" else "W")
    groups = sorted(counts["group"].astype(str).unique())
    st.vega_lite_chart(counts, timeline_spec(groups, colours or {}), width="stretch")


def timeline_spec(groups: list[str], colours: dict[str, str]) -> dict:
    """Return the timeline's Vega-Lite spec: incidents stacked by group, in the map's colours.

    Written as Vega-Lite rather than built with Altair: Altair's encoding and validation took
    15 ms of every page run for this one chart.
    """
    return {
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "period", "type": "temporal", "title": None},
            "y": {
                "field": "incidents",
                "aggregate": "sum",
                "type": "quantitative",
                "stack": True,
                "title": "incidents",
            },
            "color": {
                "field": "group",
                "type": "nominal",
                "scale": {"domain": groups, "range": [colour_of(g, colours) for g in groups]},
                "title": "Group",
            },
            "tooltip": [
                {"field": "period", "type": "temporal"},
                {"field": "group", "type": "nominal"},
                {"field": "incidents", "type": "quantitative"},
            ],
        },
        "height": 280,
    }


def totals_panel(selected: gpd.GeoDataFrame, key: tuple[str, str]) -> None:
    """Tables of incidents and casualty ranges by group and by province."""
    left, right = st.columns(2)
    names = {
        "incidents": "Incidents",
        "fatalities_low": "Killed, not attackers, where known (low)",
        "fatalities_high": "Killed, not attackers, where known (high)",
        "fatalities_unknown": "No death toll",
        "injured_low": "Injured (low)",
        "injured_high": "Injured (high)",
        "deaths_reported": "All deaths as reported (attackers included)",
        "deaths_reported_from": "Incidents giving all deaths",
    }
    with left:
        messages.caption("By group (an incident with two groups counts for each)")
        by_group = summary_table(selected, key, "group")
        st.dataframe(by_group.rename(columns=names), width="stretch")
    with right:
        messages.caption("By province (as stated by sources)")
        by_province = summary_table(selected, key, "province")
        st.dataframe(by_province.rename(columns=names), width="stretch")


def table_panel(selected: gpd.GeoDataFrame) -> None:
    """Sortable table of the filtered incidents (the most recent ones beyond a size cap)."""
    shown = most_recent(selected, TABLE_ROW_CAP)
    if len(shown) < len(selected):
        messages.info(
            "The table shows the {shown:,} most recent of {selected:,} incidents; "
            "the GeoJSON snapshot holds them all. Narrow the filters to see others.",
            shown=len(shown),
            selected=len(selected),
        )
    columns = [c for c in TABLE_COLUMNS if c in shown.columns]
    table = pd.DataFrame(shown[columns]).rename(columns=TABLE_COLUMNS)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Km to rail": st.column_config.NumberColumn(format="%.1f"),
            "Rail km post": st.column_config.NumberColumn(format="%.0f"),
        },
        key="incident_table",
    )

    def write() -> bytes:
        whole = pd.DataFrame(selected[columns]).rename(columns=TABLE_COLUMNS)
        return safe_csv(whole)

    # The table's own CSV export is off (client.disableDataExport): it would write cells such as
    # "=HYPERLINK(...)" for a spreadsheet to run. This one neutralises them (geo.spreadsheet).
    st.download_button(
        f"Download the table as CSV ({len(selected):,} incidents)",
        data=write,
        file_name="incidents-table.csv",
        mime="text/csv",
        key="download_table_csv",
        on_click="ignore",
    )


# The details tab's choices (the id box, the incident chosen), kept over the runs that do not
# draw the tab (see keep_details_choice).
DETAIL_KEYS = ("detail_id", "detail_incident")


def keep_details_choice(keys: tuple[str, ...] = DETAIL_KEYS) -> None:
    """Keep the details tab's choices over runs that do not draw the tab.

    The tab is drawn only while open; Streamlit forgets the value of a widget a run does not
    draw, and a value written to the session state is kept.
    """
    for name in keys:
        if name in st.session_state:
            st.session_state[name] = st.session_state[name]


def details_panel(selected: Rows, dataset: Dataset, key: tuple[str, str]) -> None:
    """Everything about one incident: fields, sources as links, and every reported figure.

    ``key`` names the selection (:func:`ui.data.selection_key`, with any corridor window).
    Only the incidents offered are copied whole, not the selection.
    """
    if selected.empty:
        return
    typed = st.text_input("Incident id", key="detail_id", placeholder="e.g. RAIL-008")
    candidates = selected.take(recent_positions(selected, key, DETAIL_CHOICE_CAP))
    if typed.strip():
        wanted = typed.strip().casefold()
        ids = selected.column("incident_id").astype(str).str.casefold()
        candidates = selected.take(np.flatnonzero((ids == wanted).to_numpy()))
        if candidates.empty:
            messages.warning(
                "No incident {typed!r} among the {count:,} shown.",
                typed=typed.strip(),
                count=len(selected),
            )
            return
    elif len(candidates) < len(selected):
        messages.caption(
            "Choose among the {candidates:,} most recent of {selected:,} incidents, or type an id.",
            candidates=len(candidates),
            selected=len(selected),
        )
    labels = dict(zip(candidates["incident_id"], candidates["place"].str.slice(0, 70), strict=True))
    chosen = st.selectbox(
        "Incident",
        list(labels),
        format_func=lambda i: f"{i} · {labels[i]}",
        key="detail_incident",
    )
    row = candidates.set_index("incident_id").loc[chosen]
    fields = {
        "Start": str(row["start"]),
        "End": str(row["end"]),
        "Date precision": row["date_precision"],
        "Time as reported": row["time_note"],
        "Place": row["place"],
        "District": row["district"],
        "Province (stated)": row["province"],
        "Province (point)": row.get("point_province", ""),
        "Location precision": row["geo_precision"],
        "Location note": row["geo_note"],
        "Event": f"{row['event_type']} / {row['sub_event_type']}",
        "Detail": row["attack_detail"],
        "Groups": row["groups"],
        "As reported": row["group_detail"],
        "Claimed by": row["claimed_by"],
        "Target": row["target"],
        "Killed, not attackers (where known)": _range_text(
            row["fatalities_low"], row["fatalities_high"]
        ),
        "All deaths as reported (attackers included)": (
            "not given" if pd.isna(row["deaths_reported"]) else str(int(row["deaths_reported"]))
        ),
        "Injured": _range_text(row["injured_low"], row["injured_high"]),
        "Hostages": row["hostages"],
        "Flags": row.get("flags", ""),
        "Licence": row["licence"],
        "Provenance": row["provenance"],
        "Summary": row["summary"],
        "Where reports differ": row["figures_note"],
    }
    st.dataframe(
        pd.DataFrame({"Field": list(fields), "Value": [str(v) for v in fields.values()]}),
        hide_index=True,
        width="stretch",
    )
    sources = pd.DataFrame(row["sources"], columns=["publisher", "title", "date", "url"])
    messages.caption("Sources ({count})", count=len(sources))
    st.dataframe(
        sources,
        hide_index=True,
        width="stretch",
        column_config={"url": st.column_config.LinkColumn("URL")},
    )
    figures = dataset.figures[dataset.figures["incident_id"] == chosen]
    if not figures.empty:
        messages.caption("Every reported figure, with who reported it")
        st.dataframe(
            figures.drop(columns=["incident_id"]),
            hide_index=True,
            width="stretch",
            column_config={"url": st.column_config.LinkColumn("URL")},
        )


def _range_text(low: object, high: object) -> str:
    if pd.isna(low) and pd.isna(high):
        return "unknown"
    if pd.isna(low) or pd.isna(high) or low == high:
        return str(int(high if pd.isna(low) else low))
    return f"{int(low)}–{int(high)} (sources differ)"


EXPORT_FORMATS = {  # name shown: format of geo.export.write_snapshot
    "GeoJSON": "geojson",
    "GeoJSON gzip": "geojson.gz",
    "GeoPackage": "gpkg",
    "GeoParquet": "parquet",
}


def export_panel(
    selected: Rows,
    flt: IncidentFilter,
    dataset: Dataset,
    key: tuple[str, str],
    *,
    matching: Callable[[], dict] | None = None,
) -> None:
    """Download button for a snapshot of exactly the filtered incidents, in a chosen format.

    The snapshot is written when the button is clicked, so a filter change never waits for an
    export nobody asked for. Large selections are offered the compressed GeoJSON first (a tenth
    of the size, and it opens again here). ``key`` names the selection
    (:func:`ui.data.selection_key`, with any corridor window).
    ``matching`` returns what the snapshot records of the matches and decisions in force
    (:meth:`geo.matching.MatchResult.to_metadata`); called on the click, as the file is written.
    """
    large = len(selected) > COMPRESSED_EXPORT_ABOVE
    label = st.selectbox(
        "Snapshot format",
        list(EXPORT_FORMATS),
        index=1 if large else 0,
        key="snapshot_format",
        help="GeoJSON gzip is a tenth of the size; QGIS and GDAL read .geojson.gz directly. "
        "Every format opens again under 'Open a snapshot'.",
    )
    file_format = EXPORT_FORMATS[label]

    def write() -> bytes:
        return write_snapshot(
            selected.frame,
            file_format,
            filters=flt,
            dataset_hash=dataset.content_hash,
            dataset_count=len(dataset.incidents),
            exported_at=datetime.now(UTC),
            matching=None if matching is None else matching(),
        )

    ending, mime = SNAPSHOT_FILE_FORMATS[file_format]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    restricted = sharing_note(selected, key)
    if restricted:
        messages.warning("{note}", note=restricted)
    st.download_button(
        f"Download {label} snapshot ({len(selected)} incidents)",
        data=write,
        file_name=f"incidents-snapshot-{stamp}{ending}",
        mime=mime,
        key="download_snapshot",
        on_click="ignore",
    )
