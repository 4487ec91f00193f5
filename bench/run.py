"""One command for the scale benchmark: ``python -m bench.run [--sizes ...] [--quick]``.

For each size, in a fresh process (``bench.measure``) on synthetic incidents (``geo.synthetic``):
load (generate + enrich), opening the map (server time to plan, build and render the incident
layer as ``st_folium`` does, and the bytes of that layer), a filter change (filter, map and the
timeline/totals computations), export (``snapshot_bytes`` of the filtered selection) and peak
memory (``resource.getrusage`` ru_maxrss of that process). Side by side, up to 10,000 incidents,
the straightforward map: a ``folium.Marker`` with a ``folium.Popup`` per incident, rendered as
``st_folium`` does. Then browser timings (headless Chromium) at 10k and 100k. Writes
``bench/RESULTS.md`` and ends with the ``RATIOS`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import BASELINE_MAX, FILTER

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"


def machine() -> str:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{' '.join(platform.uname())}; {os.cpu_count()} CPUs; {memory} RAM"


def run_size(n: int) -> dict[str, object]:
    command = [sys.executable, "-m", "bench.measure", str(n)]
    if n <= BASELINE_MAX:
        command.append("--baseline")
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def mb(value: float) -> str:
    return f"{value / 1e6:.2f} MB" if value >= 100_000 else f"{value / 1e3:.1f} kB"


def table(rows: list[dict[str, object]]) -> str:
    head = (
        "| incidents | load: generate + enrich | open map: server | open map: layer sent | "
        "drawn as | filter change: filter / map / panels | change: layer sent | "
        "export (selected) | peak RSS | baseline map: server | baseline sent | "
        "x server | x bytes |\n|" + "---|" * 13
    )
    lines = [head]
    for r in rows:
        if "baseline_ms" in r:
            base = (
                f"{r['baseline_ms']:,.0f} ms | {mb(r['baseline_bytes'])} | "
                f"{r['baseline_ms'] / r['open_map_ms']:.0f}x | "
                f"{r['baseline_bytes'] / r['open_layer_bytes']:.0f}x"
            )
        else:
            base = f"skipped (over {BASELINE_MAX:,}: minutes of CPU) | – | – | –"
        lines.append(
            f"| {r['n']:,} | {r['generate_ms']:,.0f} + {r['enrich_ms']:,.0f} ms | "
            f"{r['open_map_ms']:,.0f} ms | {mb(r['open_layer_bytes'])} | {r['open_drawn']} | "
            f"{r['filter_ms']:,.0f} / {r['change_map_ms']:,.0f} / {r['panels_ms']:,.0f} ms "
            f"({r['selected']:,} selected: {r['change_drawn']}) | "
            f"{mb(r['change_layer_bytes'])} | {r['export_ms']:,.0f} ms, "
            f"{mb(r['export_bytes'])} | {r['peak_rss_mb']:,.0f} MB | {base} |"
        )
    return "\n".join(lines)


def browser_table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| incidents | page load → incident layer drawn | filter change → map updated | "
        "map label before → after |\n|---|---|---|---|"
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['load_ms']:,.0f} ms | {r['change_ms']:,.0f} ms | "
            f"{r['label_before']} → {r['label_after']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--browser-sizes", default="100,10000,100000")
    parser.add_argument("--quick", action="store_true", help="sizes 1000,10000; browser 10000")
    parser.add_argument("--no-browser", action="store_true")
    options = parser.parse_args()
    sizes = [1000, 10000] if options.quick else [int(s) for s in options.sizes.split(",")]
    browser_sizes = [] if options.no_browser else [int(s) for s in options.browser_sizes.split(",")]
    if options.quick and not options.no_browser:
        browser_sizes = [10000]
    rows = []
    for n in sizes:
        print(f"measuring {n:,} incidents…", file=sys.stderr, flush=True)
        rows.append(run_size(n))
    browser_rows = []
    if browser_sizes:
        from bench.browser import browser_timings

        for n in browser_sizes:
            print(f"browser, {n:,} incidents…", file=sys.stderr, flush=True)
            browser_rows.append(browser_timings(n))
    server = table(rows)
    text = [
        "# Scale benchmark results",
        "",
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- Machine: {machine()}",
        f"- Command: `{' '.join(['python -m bench.run', *sys.argv[1:]])}`",
        "- Data: synthetic incidents (`geo.synthetic`, seed 20250311); filter change = "
        f"`{FILTER.to_query()}`; export = `snapshot_bytes` of that filtered selection.",
        "- Server times: wall clock in one process per size; 'layer sent' = bytes of the "
        "incident layer's script as `st_folium` sends it (`_get_feature_group_string`); "
        "peak RSS = `resource.getrusage` ru_maxrss of that process (includes the baseline "
        "when it ran).",
        "- Baseline: a `folium.Marker` + `folium.Popup` per incident, rendered with "
        "`m.get_root().render()` and streamlit_folium's `_get_map_string`; x = baseline / ours "
        "for opening the map on all incidents.",
        "",
        server,
        "",
    ]
    if browser_rows:
        text += ["## Browser (headless Chromium, warm server)", "", browser_table(browser_rows), ""]
    ratio = next((r for r in rows if r["n"] == 10000 and "baseline_ms" in r), None)
    if ratio:
        ratios = (
            f"RATIOS size=10000 server_time_x={ratio['baseline_ms'] / ratio['open_map_ms']:.1f} "
            f"bytes_x={ratio['baseline_bytes'] / ratio['open_layer_bytes']:.1f}"
        )
        text += [ratios, ""]
    RESULTS.write_text("\n".join(text))
    print("\n".join(text[:-1]))


if __name__ == "__main__":
    main()
