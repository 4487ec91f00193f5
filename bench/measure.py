"""Measure one size in a fresh process (so peak memory is per size): ``python -m bench.measure N``.

Prints one JSON object. See ``bench/run.py`` for what each figure means.
"""

from __future__ import annotations

import html
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import folium
from streamlit_folium import _get_feature_group_string, _get_map_string

from geo.analysis import summarise, timeline
from geo.export import (
    SNAPSHOT_FILE_FORMATS,
    content_hash,
    read_snapshot,
    snapshot_bytes,
    write_snapshot,
)
from geo.filters import IncidentFilter
from geo.io import load_bundled
from geo.prepared import prepared_synthetic
from layers.assets import localize_assets
from layers.basemap import build_base_map
from layers.context import build_province_layer
from layers.incidents import DETAIL_LIMIT, build_incident_layer, compact_payload, escaped_json
from layers.payload import MaskedSelection, positions_in, publish_payload
from layers.style import group_colours
from ui.data import SYNTHETIC_SEED, build_dataset

FILTER = IncidentFilter(start=date(2025, 1, 1), groups=("BLA",))
BASELINE_MAX = 10_000
HASH_MAX = 100_000


def peak_rss_mb() -> float:
    """Peak resident memory of this process (resource.getrusage ru_maxrss, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident memory of this process now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


PAYLOADS = Path(tempfile.mkdtemp(prefix="bench-payloads-"))


def shared(dataset, selected, colours):
    """As ui.data.shared_selection: the dataset's published payload and the selection's rows."""
    if len(selected) <= DETAIL_LIMIT:
        return None
    published = publish_payload(
        dataset.incidents, colours, dataset.content_hash, directory=PAYLOADS
    )
    return MaskedSelection(published, positions_in(dataset.incidents, selected))


def layer_string(dataset, selected, colours) -> str:
    """Build the incident and province layers and render them exactly as st_folium does."""
    base = build_base_map(dataset.provinces_display, dataset.rail_lines, dataset.stations)
    dynamic = [
        build_province_layer(dataset.province_outlines, selected["province"].value_counts()),
        build_incident_layer(selected, colours, shared=shared(dataset, selected, colours)),
    ]
    for layer in dynamic:
        layer.add_to(base)
    localize_assets(base)
    for layer in dynamic:
        base._children.pop(layer.get_name(), None)
    base.get_root().render()
    return _get_feature_group_string(dynamic[1], map=base, idx=1)


def map_change(dataset, selected, colours) -> tuple[str, float, str]:
    """Server time of the map part of a rerun: plan, build, render the incident layer."""
    start = time.perf_counter()
    text = layer_string(dataset, selected, colours)
    elapsed = (time.perf_counter() - start) * 1000
    drawn = f"{len(selected):,} incidents, clustered in the browser"
    return text, elapsed, drawn


def baseline(dataset, selected) -> tuple[int, float]:
    """Map incidents the straightforward way: a folium.Marker with a folium.Popup each.

    Rendered as st_folium renders a map (``m.get_root().render()`` then streamlit_folium's
    ``_get_map_string``); returns (bytes of the map script, milliseconds).
    """
    start = time.perf_counter()
    m = folium.Map(location=(29.8, 69.3), zoom_start=5, tiles=None)
    for row in selected.itertuples(index=False):
        sources = "".join(
            f'<li><a href="{html.escape(s["url"])}">{html.escape(s["publisher"])}</a></li>'
            for s in row.sources
        )
        body = (
            f"<b>{html.escape(row.incident_id)}</b> {html.escape(str(row.start))}<br>"
            f"{html.escape(row.place)}, {html.escape(row.province)}<br>"
            f"{html.escape(row.groups)} · {html.escape(row.event_type)}<br>"
            f"Killed {row.fatalities_low}–{row.fatalities_high}<br>"
            f"{html.escape(row.summary)}<ol>{sources}</ol>"
        )
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            popup=folium.Popup(body, max_width=400),
            tooltip=row.incident_id,
        ).add_to(m)
    m.get_root().render()
    text = _get_map_string(m)
    return len(text.encode()), (time.perf_counter() - start) * 1000


SNAPSHOT_SIZE = 100_000


def snapshot_figures(everything) -> dict[str, object]:
    """Write a snapshot of (up to) 100,000 incidents in every format, and open the gzip one."""
    part = everything.iloc[:SNAPSHOT_SIZE]
    figures: dict[str, object] = {"snapshot_n": len(part)}
    for file_format in SNAPSHOT_FILE_FORMATS:
        data, ms = timed(
            write_snapshot, part, file_format, filters=FILTER, dataset_hash="x", dataset_count=1
        )
        figures[f"snapshot_{file_format}_ms"] = ms
        figures[f"snapshot_{file_format}_bytes"] = len(data)
        if file_format == "geojson.gz":
            snapshot, figures["reopen_ms"] = timed(read_snapshot, data)
            figures["reopen_n"] = len(snapshot.incidents)
    return figures


def measure(n: int, with_baseline: bool) -> dict[str, object]:
    bundle = load_bundled()
    # Cold process, prepared file: what a server start costs once the dataset was prepared.
    prepared, read_ms = timed(prepared_synthetic, n, SYNTHETIC_SEED, bundle)
    dataset, build_ms = timed(
        build_dataset, bundle, prepared.incidents, "synthetic", prepared.content_hash, enriched=True
    )
    colours = group_colours(dataset.groups.names)
    everything = dataset.incidents
    after_load_rss = current_rss_mb()

    # Opening the page: the dataset's payload published (once per dataset; kept across
    # restarts), then the map built and rendered with everything selected.
    _, publish_ms = timed(shared, dataset, everything, colours)
    payload_bytes = sum(f.stat().st_size for f in PAYLOADS.glob("incidents-*.bin.gz"))
    open_text, open_ms, open_drawn = map_change(dataset, everything, colours)

    # A filter change: what a rerun computes (filter, map, timeline and totals).
    selected, filter_ms = timed(FILTER.apply, everything, dataset.groups)
    text, map_ms, change_drawn = map_change(dataset, selected, colours)
    start = time.perf_counter()
    timeline(selected, freq="M")
    summarise(selected, "group")
    summarise(selected, "province")
    panels_ms = (time.perf_counter() - start) * 1000

    # All incidents as points, no cap (what the compact payload alone would send).
    uncapped = len(escaped_json(compact_payload(everything, colours)).encode())

    export, export_ms = timed(
        snapshot_bytes, selected, filters=FILTER, dataset_hash="x", dataset_count=n
    )
    result: dict[str, object] = {
        "n": n,
        "from_cache": prepared.from_cache,
        "read_ms": read_ms,
        "build_ms": build_ms,
        "load_rss_mb": after_load_rss,
        "publish_ms": publish_ms,
        "payload_bytes": payload_bytes,
        "open_map_ms": open_ms,
        "open_layer_bytes": len(open_text.encode()),
        "open_drawn": open_drawn,
        "change_drawn": change_drawn,
        "selected": len(selected),
        "filter_ms": filter_ms,
        "change_map_ms": map_ms,
        "change_layer_bytes": len(text.encode()),
        "panels_ms": panels_ms,
        "uncapped_bytes": uncapped,
        "export_ms": export_ms,
        "export_bytes": len(export),
        **snapshot_figures(everything),
    }
    if n <= HASH_MAX:
        result["hash_ms"] = timed(content_hash, prepared.incidents)[1]
    result["peak_rss_mb"] = peak_rss_mb()
    if with_baseline:
        result["baseline_bytes"], result["baseline_ms"] = baseline(dataset, everything)
        result["baseline_peak_rss_mb"] = peak_rss_mb()
    return result


if __name__ == "__main__":
    size = int(sys.argv[1])
    print(json.dumps(measure(size, "--baseline" in sys.argv[2:])))
