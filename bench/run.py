"""One command for the scale benchmark: ``python -m bench.run [--sizes ...] [--quick]``.

Per size, in a fresh process (``bench.measure``) on synthetic incidents prepared once as
GeoParquet (``geo.prepared``): reading the prepared file (cold process), opening the map and a
filter change on the server, snapshots of 100,000 incidents in every format and opening the
gzip one again, content hashing, and peak memory; the straightforward map (a ``folium.Marker``
with a ``folium.Popup`` per incident) side by side up to 10,000. Then in headless Chromium
(``bench.paint``), side by side at each browser size: this map, ``st.map``, ``st.pydeck_chart``
and folium's FastMarkerCluster through ``st_folium`` (``bench/peers/``), and up to
:data:`IN_PAGE_MAX` the same three as the incident map of this dashboard's page
(``bench/peers/in_page.py``): cold start and warm page to painted points, bytes received, a
zoom step and the JS heap; for this map at the largest size also ten more sessions. Then an
ACLED-layout CSV import (``bench.imports``).
Writes ``bench/RESULTS.md``, ending with the ``RATIOS``, ``SCALE``, ``PEERS`` and
``PEERS_IN_PAGE`` lines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import BASELINE_MAX, FILTER
from bench.results import commit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
OURS = "this map"
PEERS = ("st.map", "pydeck", "FastMarkerCluster")
PEERS_IN_PAGE = tuple(f"{peer} in this page" for peer in PEERS)
# The peers in this page are measured up to this size: at 1,000,000 a bare peer page takes about
# a minute to paint, and in this page it would only take longer.
IN_PAGE_MAX = 100_000


def machine() -> str:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{' '.join(platform.uname())}; {os.cpu_count()} CPUs; {memory} RAM"


def run_json(*module_args: str) -> dict[str, object]:
    command = [sys.executable, "-m", *module_args]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


APP_RUN_MIN = 100_000  # sizes whose whole page runs are measured too (bench/rerun.py)


def run_size(n: int) -> dict[str, object]:
    args = ["bench.measure", str(n)] + (["--baseline"] if n <= BASELINE_MAX else [])
    return run_json(*args)


def mb(value: float) -> str:
    return f"{value / 1e6:.2f} MB" if value >= 100_000 else f"{value / 1e3:.1f} kB"


def opening_bytes(r: dict[str, object]) -> int:
    """Bytes the page receives for the map when it opens: the layer and the payload file."""
    return r["open_layer_bytes"] + r.get("payload_bytes", 0)


def published(r: dict[str, object]) -> str:
    """Describe the payload file (built only above the detail limit; smaller maps carry details)."""
    if not r.get("payload_bytes"):
        return "not used (details sent with the map)"
    return f"{r['publish_ms']:,.0f} ms / {mb(r['payload_bytes'])}"


def server_table(rows: list[dict[str, object]]) -> str:
    head = (
        "| incidents | prepare (first time) | cold read of prepared file + build | "
        "map payload file, once per dataset: build / size | "
        "open map: server / sent | drawn as | filter change: filter / map / panels | "
        "peak RSS (after load) | content hash | baseline map: server / sent | x server |"
        "\n|" + "---|" * 11
    )
    lines = [head]
    for r in rows:
        prepare = f"{r['prepare_ms'] / 1000:,.1f} s" if r.get("prepare_ms") else "cached"
        base = "skipped (minutes of CPU) | –"
        if "baseline_ms" in r:
            base = (
                f"{r['baseline_ms']:,.0f} ms / {mb(r['baseline_bytes'])} | "
                f"{r['baseline_ms'] / r['open_map_ms']:.0f}x"
            )
        hashed = f"{r['hash_ms']:,.0f} ms" if "hash_ms" in r else "stored when prepared"
        lines.append(
            f"| {r['n']:,} | {prepare} | {r['read_ms']:,.0f} + {r['build_ms']:,.0f} ms | "
            f"{published(r)} | {r['open_map_ms']:,.0f} ms / {mb(opening_bytes(r))} | "
            f"{r['open_drawn']} | "
            f"{r['filter_ms']:,.0f} / {r['change_map_ms']:,.0f} / {r['panels_ms']:,.0f} ms "
            f"({r['selected']:,} selected: {r['change_drawn']}) | "
            f"{r['peak_rss_mb']:,.0f} MB ({r['load_rss_mb']:,.0f} MB) | {hashed} | {base} |"
        )
    return "\n".join(lines)


def export_table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| incidents in snapshot | GeoJSON gzip | GeoJSON | GeoPackage | GeoParquet | "
        "open the gzip snapshot again | old GeoJSON writer (filtered selection) |\n|" + "---|" * 7
    ]
    for r in rows:
        cells = [
            f"{r[f'snapshot_{f}_ms']:,.0f} ms, {mb(r[f'snapshot_{f}_bytes'])}"
            for f in ("geojson.gz", "geojson", "gpkg", "parquet")
        ]
        lines.append(
            f"| {r['snapshot_n']:,} of {r['n']:,} | {' | '.join(cells)} | {r['reopen_ms']:,.0f} ms "
            f"({r['reopen_n']:,} incidents) | {r['export_ms']:,.0f} ms, {mb(r['export_bytes'])} "
            f"for {r['selected']:,} |"
        )
    return "\n".join(lines)


def paint_table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| incidents | app | cold start → points painted | page → points painted (median) | "
        "bytes received | zoom step → settled | zoom repaint (Leaflet, 3 steps) | "
        "messages to server on zoom | JS heap | page errors |\n|" + "---|" * 10
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['n']:,} | {r['app']} | {r['error']} | – | – | – | – | – | – | – |")
            continue
        repaint = r.get("zoom_repaint_ms")
        repaints = " / ".join(f"{v:,.0f}" for v in repaint) + " ms" if repaint else "–"
        lines.append(
            f"| {r['n']:,} | {r['app']} | {r['cold_paint_ms'] / 1000:,.1f} s | "
            f"{r['paint_ms']:,.0f} ms | {mb(r['bytes'])} | {r['zoom_ms']:,.0f} ms | {repaints} | "
            f"{r['zoom_messages']} | {r['heap_mb']:,.0f} MB | {len(r['page_errors'])} |"
        )
    return "\n".join(lines)


def find(rows: list[dict[str, object]], app: str, n: int) -> dict[str, object] | None:
    return next((r for r in rows if r["app"] == app and r["n"] == n and "error" not in r), None)


def ratio(peer: dict | None, ours: dict | None, key: str) -> str:
    if peer is None:
        return "inf"  # the peer never painted within the time limit
    if ours is None:
        return "nan"
    return f"{peer[key] / ours[key]:.2f}"


def filter_change_ms(row: dict[str, object]) -> float:
    """Return a filter change's server time.

    The slowest whole-page run after a preset (bench.rerun), or filter + map + panels where the
    page was not run.
    """
    app = row.get("app")
    if app:
        return max(v["change_ms"] for k, v in app.items() if isinstance(v, dict))
    return row["filter_ms"] + row["change_map_ms"] + row["panels_ms"]


def app_lines(rows: list[dict[str, object]]) -> list[str]:
    """Describe the whole-page runs (``bench/rerun.py``) of each size that has them."""
    lines = []
    for r in rows:
        app = r.get("app")
        if not app:
            continue
        changes = "; ".join(
            f"{k}: {v['change_ms']:,.0f} ms ({v['shown'].strip('*')})"
            for k, v in app.items()
            if isinstance(v, dict)
        )
        lines.append(
            f"- {r['n']:,} incidents, whole page on the server (`python -m bench.rerun {r['n']}`, "
            f"AppTest): first run {app['open_ms']:,.0f} ms (dataset read included), a rerun "
            f"{app['reopen_ms']:,.0f} ms; first change to {changes}; process RSS "
            f"{app['rss_mb']:,.0f} MB."
        )
    return lines


def summary_lines(server: list[dict[str, object]], paint: list[dict[str, object]]) -> list[str]:
    lines = []
    base = next((r for r in server if r["n"] == 10000 and "baseline_ms" in r), None)
    if base:
        lines.append(
            f"RATIOS size=10000 server_time_x={base['baseline_ms'] / base['open_map_ms']:.1f} "
            f"bytes_x={base['baseline_bytes'] / opening_bytes(base):.1f}"
        )
    big = next((r for r in server if r["n"] == 1_000_000), None)
    ours_big = find(paint, OURS, 1_000_000)
    if big and ours_big:
        server_mb = ours_big["server_mb"]
        sessions_mb = ours_big.get("server_mb_sessions", server_mb)
        added = "nan"  # not measured in this run
        if "server_mb_sessions" in ours_big:
            added = str(round(sessions_mb["VmRSS"] - server_mb["VmRSS"]))  # "0", never "-0"
        lines.append(
            f"SCALE size=1000000 ready_s={ours_big['cold_paint_ms'] / 1000:.1f} "
            f"filter_ms={filter_change_ms(big):.0f} "
            f"rss_mb={max(server_mb['VmHWM'], sessions_mb['VmHWM']):.0f} "
            f"zoom_reruns={ours_big['zoom_messages']} "
            f"sessions10_mb={added}"
        )
    ours = find(paint, OURS, 100_000)
    if ours:
        lines.append(
            "PEERS size=100000 "
            f"pydeck_paint_x={ratio(find(paint, 'pydeck', 100_000), ours, 'paint_ms')} "
            f"st_map_bytes_x={ratio(find(paint, 'st.map', 100_000), ours, 'bytes')} "
            "fastmarkercluster_paint_x="
            f"{ratio(find(paint, 'FastMarkerCluster', 100_000), ours, 'paint_ms')}"
        )
    for n in (10_000, 100_000):
        ours = find(paint, OURS, n)
        if ours and any(find(paint, peer, n) for peer in PEERS_IN_PAGE):
            ratios = (
                f"{peer.lower().replace('.', '_')}_paint_x="
                f"{ratio(find(paint, f'{peer} in this page', n), ours, 'paint_ms')}"
                for peer in ("pydeck", "st.map", "FastMarkerCluster")
            )
            lines.append(f"PEERS_IN_PAGE size={n} {' '.join(ratios)}")
    return lines


LOG = ROOT / "bench" / "out" / "run.jsonl"


def record(kind: str, row: dict[str, object]) -> dict[str, object]:
    """Append one measurement to the run's log (``--render`` rebuilds RESULTS.md from it)."""
    with LOG.open("a") as log:
        log.write(json.dumps({"kind": kind, **row}) + "\n")
    return row


def load_log(path: Path) -> tuple[str, list, list, list, dict | None]:
    """Read a run's log: the commit and every measurement, by kind."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    kinds: dict[str, list] = {"commit": [], "server": [], "paint": [], "change": [], "import": []}
    for row in rows:
        kinds[row.pop("kind")].append(row)
    measured = kinds["commit"][0]["measured"] if kinds["commit"] else "unknown"
    imported = kinds["import"][0] if kinds["import"] else None
    return measured, kinds["server"], kinds["paint"], kinds["change"], imported


def measure_all(
    options: argparse.Namespace, sizes: list[int], browser_sizes: list[int], apps: list[str]
) -> tuple[list, list, list, dict | None]:
    """Run every measurement, logging each as it comes."""
    server = []
    for n in sorted(set(sizes) | set(browser_sizes)):
        print(f"preparing {n:,} incidents…", file=sys.stderr, flush=True)
        prepared = run_json("bench.prepare", str(n))
        if n in sizes:
            print(f"measuring {n:,} incidents…", file=sys.stderr, flush=True)
            row = {**run_size(n), **prepared}
            if n >= APP_RUN_MIN:
                print(f"whole page runs, {n:,} incidents…", file=sys.stderr, flush=True)
                row["app"] = run_json("bench.rerun", str(n))
            server.append(record("server", row))
    paint = []
    if browser_sizes:
        from bench.paint import measure_app

        for n in browser_sizes:
            for app in apps:
                if app in PEERS_IN_PAGE and n > IN_PAGE_MAX:
                    continue
                print(f"browser: {app}, {n:,} incidents…", file=sys.stderr, flush=True)
                sessions = options.sessions if app == OURS and n == max(browser_sizes) else 0
                try:
                    row = measure_app(app, n, sessions=sessions)
                except Exception as error:  # noqa: BLE001 - an app that never paints is a result
                    first_line = str(error).splitlines()[0][:120] if str(error) else repr(error)
                    row = {"app": app, "n": n, "error": first_line}
                paint.append(record("paint", row))
    changes = []
    if OURS in apps:
        from bench.browser import browser_timings

        for n in browser_sizes:
            print(f"browser: filter change on this map, {n:,} incidents…", file=sys.stderr)
            changes.append(record("change", browser_timings(n)))
    imported = None
    if not options.no_import and not options.quick:
        print("importing a 1,000,000-row ACLED CSV…", file=sys.stderr, flush=True)
        imported = record("import", run_json("bench.imports", "1000000"))
    return server, paint, changes, imported


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--browser-sizes", default="10000,100000,1000000")
    parser.add_argument("--apps", default=",".join((OURS, *PEERS, *PEERS_IN_PAGE)))
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="sizes 1000,10000; browser 10000")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument(
        "--render", metavar="LOG", help="write RESULTS.md from a run's log (bench/out/run.jsonl)"
    )
    options = parser.parse_args()
    sizes = [1000, 10000] if options.quick else [int(s) for s in options.sizes.split(",")]
    browser_sizes = [int(s) for s in options.browser_sizes.split(",")]
    if options.quick:
        browser_sizes = [10000]
    if options.no_browser:
        browser_sizes = []
    apps = options.apps.split(",")
    if options.render:
        measured, server, paint, changes, imported = load_log(Path(options.render))
    else:
        measured = commit()
        LOG.parent.mkdir(exist_ok=True)
        LOG.write_text("")
        record("commit", {"measured": measured})
        server, paint, changes, imported = measure_all(options, sizes, browser_sizes, apps)
    previous = RESULTS.read_text() if RESULTS.exists() else ""
    text = [
        "# Scale benchmark results",
        "",
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- Machine: {machine()} (shared with other work while it ran: figures are upper bounds)",
        f"- Commit measured: {measured}",
        f"- Command: `{' '.join(['python -m bench.run', *sys.argv[1:]])}`",
        "- Data: synthetic incidents (`geo.synthetic`, seed 20250311), prepared once as "
        "GeoParquet (`geo.prepared`: validated, hashed, enriched); filter change = "
        f"`{FILTER.to_query()}`.",
        "",
        "## Server (one fresh process per size)",
        "",
        server_table(server),
        "",
        *app_lines(server),
        "",
        "## Snapshots",
        "",
        export_table(server),
        "",
    ]
    if paint:
        text += [
            "## Browser, side by side (headless Chromium; `bench/paint.py`, `bench/peers/`)",
            "",
            "Painted = the map area's screenshot holds at least 200 strongly coloured pixels "
            "(points, clusters or bins; legend and attribution masked). "
            "Bytes = HTTP bodies + WebSocket frames received by the page. Zoom = one wheel step "
            "over the map centre until the picture settles. Basemap tiles cannot load offline "
            "(st.map's and pydeck's are off; this map uses its offline vector basemap).",
            "",
            paint_table(paint),
            "",
        ]
        ours = [r for r in paint if r["app"] == OURS and "server_mb" in r]
        for r in ours:
            text.append(
                f"- This map, {r['n']:,} incidents: server process VmRSS "
                f"{r['server_mb']['VmRSS']:,.0f} MB (peak {r['server_mb']['VmHWM']:,.0f} MB) "
                "after two sessions"
                + (
                    f"; after {r['sessions']} more sessions opened the map: VmRSS "
                    f"{r['server_mb_sessions']['VmRSS']:,.0f} MB "
                    f"(peak {r['server_mb_sessions']['VmHWM']:,.0f} MB)"
                    if "server_mb_sessions" in r
                    else ""
                )
                + "."
            )
        text.append("")
    if changes:
        text += [
            "### This map: a filter change (`bench/browser.py`)",
            "",
            "| incidents | page → incident layer drawn | incidents visible at the opening "
            "view | choosing a group → map label updated | label before → after |",
            "|---|---|---|---|---|",
        ]
        text += [
            f"| {r['n']:,} | {r['load_ms']:,.0f} ms | {r['visible']:,} of "
            f"{r['selected_at_load']:,} | {r['change_ms']:,.0f} ms | "
            f"{r['label_before']} → {r['label_after']} |"
            for r in changes
        ]
        text.append("")
    if imported:
        text += [
            "## Import",
            "",
            f"- {imported['rows']:,}-row ACLED-layout CSV ({mb(imported['bytes'])}): "
            f"`geo.importers.import_incidents` {imported['import_ms'] / 1000:,.1f} s "
            f"(kept {imported['kept']:,}, rejected {imported['rejected']:,}); "
            f"content hash of the kept incidents {imported['hash_ms'] / 1000:,.1f} s; "
            f"peak RSS {imported['peak_rss_mb']:,.0f} MB.",
            "",
        ]
    # Other benches' sections (bench/store.py's, bench/team.py's, and bench/load.py's results
    # pasted between their markers) are kept, above the summary lines, which stay last.
    for bench in ("store-bench", "team-bench", "load-bench"):
        kept = re.search(rf"<!-- {bench}:begin -->.*?<!-- {bench}:end -->", previous, re.S)
        if kept:
            text += [kept.group(0), ""]
    text += [*summary_lines(server, paint), ""]
    RESULTS.write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
