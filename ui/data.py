"""Cached data access for the Streamlit app: the only place that loads files.

``st.cache_data`` wrappers live here, at the edge; everything they call is pure ``geo/`` code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.analysis import enrich, most_recent_positions, summarise, timeline
from geo.compact import compact_text, distinct_text
from geo.export import content_hash
from geo.filters import IncidentFilter
from geo.groups import GroupRegistry
from geo.io import BundledData, load_bundled
from geo.licences import restricted_note
from geo.prepared import prepared_file, prepared_synthetic
from geo.selection import Rows
from layers.context import ProvinceOutlines
from layers.incidents import DETAIL_LIMIT, layer_payload
from layers.payload import (
    MaskedSelection,
    PublishedRows,
    is_published,
    publish_payload,
    split_labels,
)
from ui.memory import release_memory

LOGGER = logging.getLogger(__name__)
SYNTHETIC_SEED = 20250311
DISPLAY_TOLERANCE_DEG = 0.005  # ~500 m: province outlines for display only, never for analysis.
# Rows a selection may hold beyond a published payload (events worked out for it alone), sent
# with the map beside the mask; more, and the whole selection is sent with the map.
MAX_EXTRA_ROWS = 50_000


@dataclass(frozen=True, eq=False)
class Dataset:
    """Incidents ready to filter and map, with the layers and facts around them."""

    incidents: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    provinces_display: gpd.GeoDataFrame
    rail_lines: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    figures: pd.DataFrame
    groups: GroupRegistry
    content_hash: str
    label: str

    @cached_property
    def date_span(self) -> tuple[date, date] | None:
        """The first start date and last end date of the incidents; None without incidents.

        Read by the date filter on every page run (7 ms at a million incidents), so once.
        """
        if self.incidents.empty:
            return None
        return self.incidents["start"].min().date(), self.incidents["end"].max().date()

    @cached_property
    def source_names(self) -> tuple[str, ...]:
        """The names of the datasets whose reports are loaded, sorted (read on every run)."""
        return tuple(sorted(distinct_text(self.incidents["dataset"])))

    @cached_property
    def any_flagged(self) -> bool:
        """Whether any incident is flagged (its location contradicts its sources)."""
        return bool((self.incidents["flags"] != "").any())

    @cached_property
    def province_outlines(self) -> ProvinceOutlines:
        """The display outlines, serialised once for every map drawn of this dataset."""
        return ProvinceOutlines.of(self.provinces_display)


def command_line() -> argparse.Namespace:
    """Parse the options given after ``--`` in ``streamlit run app.py -- ...``."""
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--incidents", type=Path, default=None)
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--basemap", default=None)
    parser.add_argument("--synthetic", type=int, default=None)
    parser.add_argument("--seed", type=int, default=SYNTHETIC_SEED)
    options, _ = parser.parse_known_args(sys.argv[1:])
    return options


@st.cache_data(show_spinner="Loading the bundled layers…")
def bundled_layers() -> BundledData:
    """Load and validate the bundled layers once per process."""
    return load_bundled()


def build_dataset(
    bundle: BundledData,
    incidents: gpd.GeoDataFrame,
    label: str,
    incidents_hash: str | None = None,
    *,
    enriched: bool = False,
) -> Dataset:
    """Enrich and compact incidents against the bundled layers; wrap it all up.

    ``enriched`` incidents come from :mod:`geo.prepared`, which did both before storing them.
    """
    simplified = bundle.provinces.copy()
    simplified["geometry"] = simplified.geometry.simplify(
        DISPLAY_TOLERANCE_DEG, preserve_topology=True
    )
    if not enriched:  # prepared incidents (geo.prepared) arrive enriched and compacted
        incidents = enrich(
            incidents, bundle.provinces, bundle.rail_lines, bundle.stations, bundle.rail_sites
        )
        incidents = compact_text(incidents)  # held once for every session: repeated text as codes
    return Dataset(
        incidents=incidents,
        provinces=bundle.provinces,
        provinces_display=simplified,
        rail_lines=bundle.rail_lines,
        stations=bundle.stations,
        figures=bundle.figures,
        groups=bundle.groups,
        content_hash=incidents_hash or content_hash(incidents),
        label=label,
    )


def bundled_dataset() -> Dataset:
    """Return the bundled incidents, enriched (cached for every session).

    With ``--synthetic N`` on the command line the app explores N synthetic incidents instead
    (:func:`synthetic_dataset`; benchmarks and load tests), labelled as synthetic on the page.
    """
    options = command_line()
    if options.synthetic is not None:
        return _shared_synthetic_dataset(options.synthetic, options.seed)
    return _bundled_dataset()


@st.cache_data(show_spinner="Preparing incidents…")
def _bundled_dataset() -> Dataset:
    bundle = bundled_layers()
    return build_dataset(bundle, bundle.incidents, "bundled incidents (data/incidents.csv)")


# One copy per process, shared by every session: st.cache_resource hands every caller the same
# object (st.cache_data would unpickle a copy per call, a million rows each time). Nothing changes
# a Dataset's frames in place; sessions keep only their filters and the selected positions.
@st.cache_resource(show_spinner="Preparing synthetic incidents…", max_entries=2)
def _shared_synthetic_dataset(n: int, seed: int) -> Dataset:
    """Return one read-only synthetic dataset per process."""
    dataset = synthetic_dataset(n, seed)
    release_memory()  # what reading the prepared file left in the allocators' pools
    return dataset


def synthetic_dataset(n: int, seed: int = SYNTHETIC_SEED) -> Dataset:
    """Return ``n`` synthetic incidents (see :mod:`geo.synthetic`), enriched; never real data.

    The first time, the incidents are generated, enriched and stored in the cache folder as
    GeoParquet (:func:`geo.prepared.prepared_synthetic`); later starts read them back. The
    dataset's hash identifies the generator version, ``n`` and ``seed``, which determine every
    row.
    """
    bundle = bundled_layers()
    prepared = prepared_synthetic(n, seed, bundle)
    label = f"SYNTHETIC test data: {n:,} generated incidents (seed {seed}), not real events"
    return build_dataset(bundle, prepared.incidents, label, prepared.content_hash, enriched=True)


@st.cache_resource(show_spinner="Reading incidents…", max_entries=2)
def shared_file_dataset(path: str, modified_ns: int, size: int) -> Dataset:
    """Return the incidents of a GeoParquet file, prepared once and shared by every session.

    ``modified_ns`` and ``size`` (of ``path``) are part of the cache key, so a changed file is
    read again; the prepared copy is keyed on the file's bytes (:mod:`geo.prepared`).
    """
    bundle = bundled_layers()
    prepared = prepared_file(path, bundle)
    label = f"{Path(path).name} ({len(prepared.incidents):,} incidents)"
    dataset = build_dataset(bundle, prepared.incidents, label, prepared.content_hash, enriched=True)
    release_memory()  # what reading the file left in the allocators' pools
    return dataset


def file_dataset(path: Path) -> Dataset:
    """Return the shared dataset of a GeoParquet file (see :func:`shared_file_dataset`)."""
    status = path.stat()
    return shared_file_dataset(str(path.resolve()), status.st_mtime_ns, status.st_size)


@st.cache_data(max_entries=64, show_spinner=False)
def _selection_bits(_dataset: Dataset, content_hash: str, query: dict[str, str]) -> np.ndarray:
    """Return the filter's mask over the dataset, packed 8 rows a byte (125 kB per million).

    Cached per dataset hash and filter query for every session: a session holds its filters,
    the cache holds selections as bits, and the data is held once (:class:`Dataset`).
    """
    flt = IncidentFilter.from_query(query)
    return np.packbits(flt.mask(_dataset.incidents, _dataset.groups).to_numpy(dtype=bool))


def select_rows(dataset: Dataset, flt: IncidentFilter) -> Rows:
    """Return the incidents ``flt`` selects, as ``flt.apply`` does, each column copied when read.

    The cache holds only which rows are selected (a packed mask), keyed on the dataset's content
    hash and the filter's query string, so going back to an earlier filter costs no filter
    pass; the rows' columns are copied as the page reads them (:class:`geo.selection.Rows`).
    When every incident is selected, the shared frame itself answers (no copy); nothing changes
    it in place.

    Parameters
    ----------
    dataset : Dataset
        The incidents being explored.
    flt : IncidentFilter
        The analyst's filters.

    Returns
    -------
    Rows
        Rows of ``dataset.incidents`` (its ``positions`` say which).
    """
    query = flt.to_query()
    if IncidentFilter.from_query(query) != flt:  # not expressible as a query
        mask = flt.mask(dataset.incidents, dataset.groups).to_numpy(dtype=bool)
        return Rows.of_frame(dataset.incidents, np.flatnonzero(mask))
    count = len(dataset.incidents)
    mask = np.unpackbits(_selection_bits(dataset, dataset.content_hash, query), count=count)
    positions = np.flatnonzero(mask)
    if len(positions) == count:
        return Rows.of_frame(dataset.incidents)
    return Rows.of_frame(dataset.incidents, positions)


def dataset_from_incidents(incidents: gpd.GeoDataFrame, label: str) -> Dataset:
    """Return an enriched Dataset for incidents read from a file or snapshot (cached by content)."""
    return _cached_dataset(incidents, label, content_hash(incidents))


@st.cache_resource(show_spinner="Preparing incidents…", max_entries=16)
def _cached_dataset(_incidents: gpd.GeoDataFrame, label: str, incidents_hash: str) -> Dataset:
    """Cache keyed on the incidents' content hash (GeoDataFrames are not hashed directly)."""
    return build_dataset(bundled_layers(), _incidents, label, incidents_hash)


def selection_key(dataset: Dataset, flt: IncidentFilter) -> tuple[str, str]:
    """Return a hashable key for a selection: the dataset's content hash and the filter query."""
    query = "&".join(f"{k}={v}" for k, v in sorted(flt.to_query().items()))
    if IncidentFilter.from_query(flt.to_query()) != flt:
        query += f"&exact={flt!r}"  # a value the query cannot carry (a comma in a group name)
    return dataset.content_hash, query


@st.cache_data(max_entries=128, show_spinner=False)
def summary_table(_selected: gpd.GeoDataFrame, key: tuple[str, str], by: str) -> pd.DataFrame:
    """:func:`geo.analysis.summarise` of a selection, cached on its :func:`selection_key`."""
    return summarise(_selected, by)


@st.cache_data(max_entries=128, show_spinner=False)
def sharing_note(_selected: Rows, key: tuple[str, str]) -> str:
    """:func:`geo.licences.restricted_note` of a selection, cached on its :func:`selection_key`.

    Written above the export button on every page run; at a million incidents it groups the
    selection by dataset and licence (15-19 ms a run under cProfile).
    """
    return restricted_note(_selected.columns(["dataset", "licence"]))


@st.cache_data(max_entries=128, show_spinner=False)
def recent_positions(_selected: Rows, key: tuple[str, str], limit: int) -> np.ndarray:
    """:func:`most_recent_positions` of a selection's starts, cached on its selection key."""
    return most_recent_positions(_selected.column("start"), limit)


@st.cache_data(max_entries=128, show_spinner=False)
def timeline_table(_selected: Rows, key: tuple[str, str], freq: str) -> pd.DataFrame:
    """:func:`geo.analysis.timeline` of a selection, cached on its :func:`selection_key`."""
    return timeline(_selected.columns(["start", "groups"]), freq=freq)


@st.cache_data(max_entries=128, show_spinner=False)
def span_days(_selected: Rows, key: tuple[str, str]) -> int:
    """Return the days from a selection's first start to its last end (cached on its key)."""
    dates = _selected.columns(["start", "end"])
    return int((dates["end"].max() - dates["start"].min()).days)


@st.cache_data(max_entries=128, show_spinner=False)
def holds_incident(_selected: Rows, key: tuple, incident_id: str) -> bool:
    """Return whether a selection holds the incident ``incident_id`` (cached on its key)."""
    return len(_selected.find("incident_id", [incident_id])) > 0


def shared_selection(
    rows_of: PublishedRows, key: str, selected: Rows, colours: dict[str, str]
) -> MaskedSelection | None:
    """Publish the map payload of ``rows_of`` (once) and locate a large selection's rows in it.

    Parameters
    ----------
    rows_of : PublishedRows
        Every row a selection may take: the dataset's incidents, or its event table.
        A selection may also hold up to :data:`MAX_EXTRA_ROWS` rows of its own (events worked
        out for it), sent with the map.
    key : str
        Names ``rows_of``'s content (its content hash).
    selected : Rows
        Rows of ``rows_of`` to draw (only the few outside it are copied, to be sent).
    colours : dict
        Colour per canonical group.

    Returns
    -------
    MaskedSelection or None
        For :func:`layers.incidents.build_incident_layer`; None when the selection is small
        enough to send with its details (or not rows of ``rows_of``).
    """
    if len(selected) <= DETAIL_LIMIT:
        return None
    split = split_labels(rows_of.index, selected.index, MAX_EXTRA_ROWS)
    if split is None:
        return None
    positions, outside = split
    extra = None if outside is None else selected.take(outside)
    building = not is_published(key, colours)
    note = f"Preparing the map's data ({len(rows_of.index):,} incidents, once)…"
    with st.spinner(note) if building else nullcontext():
        return MaskedSelection(publish_payload(rows_of, colours, key), positions, extra)


def inline_payload(selected: Rows, key: tuple[str, str], colours: dict[str, str]) -> str:
    """Return the map data of a selection sent with the map, made once per selection.

    For what cannot be published as a shared file (matched events, a session's imports, the
    store's incidents): a page run that keeps the selection (a tab, a click, the playback)
    reuses it instead of encoding up to a million incidents again.

    Parameters
    ----------
    selected : Rows
        The incidents (or events) the map draws (every column is read on a new selection).
    key : tuple of str
        Names the selection exactly (the dataset's hash and the view's filters).
    colours : dict
        Colour per canonical group.

    Returns
    -------
    str
        :func:`layers.incidents.layer_payload` of ``selected``.
    """
    return _inline_payload(selected, key, tuple(colours.items()))


@st.cache_resource(max_entries=4, show_spinner=False)
def _inline_payload(
    _selected: Rows, key: tuple[str, str], colours: tuple[tuple[str, str], ...]
) -> str:
    return layer_payload(_selected.frame, dict(colours))


# Modules the first page run imports (about a second). Not streamlit_folium, nor ui.store and
# ui.imports which import it: a component registers with the server only when it is imported
# during a page run.
PAGE_MODULES = (
    "folium",
    "folium.plugins",
    "layers.basemap",
    "layers.incidents",
    "ui.corridor",
    "ui.geography",
    "ui.matching",
    "ui.panels",
)


def import_page_modules() -> None:
    """Import the modules the first page run imports (:data:`PAGE_MODULES`)."""
    for name in PAGE_MODULES:
        importlib.import_module(name)


def warm_start() -> Dataset | None:
    """Read the dataset named on the command line into the caches.

    Called by the server when it starts (``serve.py``, through :func:`ui.warm.warm_start`),
    before any page has run: the first visitor's page then finds the dataset read. A file that
    cannot be read is left for the page run, which tells the user why; here the failure is only
    logged.

    Returns
    -------
    Dataset or None
        The dataset every session starts on (bundled, synthetic or a GeoParquet file); None for
        a file the page imports itself (CSV, a snapshot) or one that could not be read.
    """
    try:
        options = command_line()
        if options.incidents is not None and options.incidents.suffix.lower() == ".parquet":
            return file_dataset(options.incidents)
        if options.incidents is None and options.snapshot is None:
            return bundled_dataset()  # or the synthetic incidents --synthetic names
    except Exception:  # noqa: BLE001 - the page run reads it again and reports the problem
        LOGGER.exception("warm start: the dataset could not be read in advance")
    return None
