"""Import panel: analysts bring ACLED, GTD, UCDP GED, CSV, GeoJSON or GeoPackage files.

Imports live in this browser session only (``st.session_state``; another analyst never sees
them) unless an editor keeps them in the team store (:mod:`ui.store`). Every import reports
how many rows it kept and lists every rejected row with its reason.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.compact import among
from geo.groups import GroupRegistry
from geo.importers import (
    DEFAULT_MAX_BYTES,
    FORMATS,
    MAPPING_FIELDS,
    ImportFileError,
    ImportResult,
    import_incidents,
    inspect_file,
)
from geo.schema import INCIDENT_COLUMNS, conform
from ui import messages
from ui import store as store_ui
from ui.data import Dataset, build_dataset, bundled_layers
from ui.memory import release_memory, release_when_session_ends

IMPORTS = "imports"
COMBINED = "imports_combined"  # (key, Dataset, duplicates) for the current imports
NONE = "(not in file)"
MAX_SESSION_ROWS = 200_000  # imported rows one browser session may hold (memory per session)


def run_import(
    data: bytes,
    name: str,
    fmt: str,
    mapping: tuple[tuple[str, str], ...] | None,
    registry: GroupRegistry | None = None,
) -> ImportResult:
    """Import uploaded bytes, naming groups with ``registry`` (the bundled one by default).

    Not cached across sessions: a process-wide cache would keep every session's private
    imports (and their bytes) in memory after the session removed them or closed. The result
    lives in this session's state only, and goes with it.
    """
    bundle = bundled_layers()
    return import_incidents(
        data,
        name=name,
        fmt=fmt,
        mapping=dict(mapping) if mapping is not None else None,
        registry=registry or bundle.groups,
        provinces=bundle.provinces,
    )


def combine(base: gpd.GeoDataFrame, results: list[ImportResult]) -> tuple[gpd.GeoDataFrame, int]:
    """Put imported incidents beside ``base``; an id already present is not added twice.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, int)
        The combined incidents and how many imported incidents were already present.
    """
    frames = [base[list(INCIDENT_COLUMNS)]]
    seen = [base["incident_id"]]
    duplicates = 0
    for result in results:
        incidents = result.incidents[list(INCIDENT_COLUMNS)]
        new = ~among(incidents["incident_id"], pd.concat(seen, ignore_index=True))
        duplicates += int((~new).sum())
        seen.append(incidents.loc[new, "incident_id"])
        frames.append(incidents[new])
    combined = pd.concat(frames, ignore_index=True)
    return conform(gpd.GeoDataFrame(combined, geometry="geometry", crs="EPSG:4326")), duplicates


def dataset_with_imports(base: Dataset) -> Dataset:
    """Return ``base`` with this session's imports beside it (or ``base`` when there are none).

    The combined dataset is kept in the session until the imports change, so a rerun (every
    widget change) does not concatenate and hash the incidents again.
    """
    imports: dict[str, ImportResult] = st.session_state.get(IMPORTS, {})
    if not imports:
        return base
    # A re-import under the same file name is a new result object, so its id changes the key.
    key = (base.content_hash, tuple((name, id(result)) for name, result in imports.items()))
    cached = st.session_state.get(COMBINED)
    if cached is None or cached[0] != key:
        combined, duplicates = combine(base.incidents, list(imports.values()))
        label = f"{base.label} + {', '.join(imports)}"
        # Built here, not through the process-wide dataset cache, so that removing an import
        # or closing the session frees it (see release_memory).
        cached = (key, build_dataset(bundled_layers(), combined, label), duplicates)
        st.session_state[COMBINED] = cached
    _, dataset, duplicates = cached
    if duplicates:
        messages.warning(
            "{duplicates} imported incident(s) have ids already in the data and were not "
            "added a second time.",
            where=st.sidebar,
            duplicates=duplicates,
        )
    return dataset


def _mapping_widgets(columns: list[str], suggested: dict[str, str]) -> dict[str, str]:
    """One select box per schema field; returns ``{field: column}`` for the mapped ones."""
    messages.caption("Column mapping (which column holds each field)")
    mapping = {}
    options = [NONE, *columns]
    for field in MAPPING_FIELDS:
        default = suggested.get(field)
        choice = st.selectbox(
            field,
            options,
            index=options.index(default) if default in options else 0,
            key=f"map_{field}",
        )
        if choice != NONE:
            mapping[field] = choice
    return mapping


def import_panel() -> None:
    """Sidebar expander: upload, choose format or map columns, import, and see the report."""
    imports: dict[str, ImportResult] = st.session_state.setdefault(IMPORTS, {})
    release_when_session_ends()
    with st.sidebar.expander("Import incidents (ACLED, GTD, UCDP, CSV, GeoJSON, GeoPackage)"):
        upload = st.file_uploader(
            f"File (up to {DEFAULT_MAX_BYTES // 2**20} MB)",
            type=["csv", "txt", "geojson", "json", "gpkg"],
            key="import_upload",
            max_upload_size=DEFAULT_MAX_BYTES // 2**20,
        )
        if upload is not None:
            _upload_form(upload, imports)
        for name, result in list(imports.items()):
            _report(name, result)
            if st.button(messages.label("Remove {name}", name=name), key=f"remove_{_digest(name)}"):
                del imports[name]
                st.session_state.pop(COMBINED, None)
                del result
                release_memory()
                st.rerun()


def _upload_form(upload, imports: dict[str, ImportResult]) -> None:
    data = upload.getvalue()
    try:
        info = inspect_file(data, name=upload.name)
    except ImportFileError as error:
        messages.error("{error}", error=error)
        return
    fmt = st.selectbox(
        messages.label("Format (detected: {format})", format=info.format),
        FORMATS,
        index=0,
        key="import_format",
    )
    mapping = None
    if (fmt if fmt != "auto" else info.format) == "csv":
        mapping = _mapping_widgets(info.columns, info.suggested_mapping)
    destination = store_ui.import_destination()
    if not st.button("Import", key="import_run", type="primary"):
        return
    key = tuple(sorted(mapping.items())) if mapping is not None else None
    held = sum(result.rows_read for other, result in imports.items() if other != upload.name)
    if held >= MAX_SESSION_ROWS:
        messages.error(
            "{name}: this session already holds {held:,} imported rows, the most one session "
            "may hold is {cap:,}; remove an import first.",
            name=upload.name,
            held=held,
            cap=MAX_SESSION_ROWS,
        )
        return
    try:
        result = run_import(
            data, upload.name, fmt, key, store_ui.team_registry(bundled_layers().groups)
        )
    except (ImportFileError, ValueError) as error:
        messages.error("{error}", error=error)
        return
    if result.kept == 0:
        messages.error(
            "{name}: no row could be used ({summary}).", name=upload.name, summary=result.summary()
        )
        _rejected_table(upload.name, result)
        return
    if destination is not None:
        if store_ui.keep_import(destination, result, data, upload.name):
            st.rerun()
        return
    imports[upload.name] = result
    st.rerun()


def _report(name: str, result: ImportResult) -> None:
    """Say what an import kept, flagged and rejected, with the rejected rows downloadable."""
    messages.success(
        "{name} ({format}): {summary}", name=name, format=result.format, summary=result.summary()
    )
    for note in result.notes:
        messages.caption("{note}", note=note)
    _rejected_table(name, result)
    _mapping_table(name, result)


def _mapping_table(name: str, result: ImportResult) -> None:
    """Show how each actor spelling was mapped (group or side), downloadable for checking."""
    if result.actor_mapping.empty:
        return
    messages.caption("Actors as written and what they were mapped to (rows kept)")
    st.dataframe(
        result.actor_mapping.rename(
            columns={"as_written": "As written", "mapped_to": "Mapped to", "rows": "Rows"}
        ),
        hide_index=True,
        height=160,
    )
    st.download_button(
        messages.label("Actor mapping of {name} (CSV)", name=name),
        data=result.actor_mapping_csv,
        file_name=f"{name}.actor-mapping.csv",
        mime="text/csv",
        key=f"mapping_{_digest(name)}",
    )


def _rejected_table(name: str, result: ImportResult) -> None:
    if result.rejected.empty:
        return
    st.dataframe(result.rejected, hide_index=True, height=160)
    st.download_button(
        messages.label("Rejected rows of {name} (CSV)", name=name),
        data=result.rejected_csv,
        file_name=f"{name}.rejected.csv",
        mime="text/csv",
        key=f"rejected_{_digest(name)}",
    )


def _digest(name: str) -> str:
    """Return a short widget key for a file name (names may be long or hold any character)."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
