"""The dashboard on a team store: ``python -m bench.team [--sizes 100000,1000000]``.

What a team with a PostGIS store sees: N synthetic incidents (``geo.synthetic``, never real
data) imported into a fresh PostGIS database (``tools/ensure_postgis.sh``), and the whole page
run on the server with AppTest, beside the bundled incidents. Two datasets, so each event is
counted once (``geo.matching``). The filled store is vacuumed and analysed before anything is
timed. Each phase in a fresh process, with one cache folder:

- first: an empty cache folder, as after a write to the store (read the store, prepare the
  working set, match the reports, draw);
- restart: a new process on the unchanged store (the prepared working set is read back);
  then a rerun with nothing changed and the first change to each time preset.

Writes a section of ``bench/RESULTS.md`` between the ``team-bench`` markers and one
``TEAM size=... first_s=... restart_s=... rerun_ms=... change_ms=... rss_mb=...`` line per size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from bench.results import write_section

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ("Last 12 months of data", "Last 30 days of data")
# Next visitors, one after another, each a new session: a first visit to a selection indexes it
# in the page (0.3-0.6 s at half a million incidents), which varies by a few hundred ms from
# one visit to the next on a shared machine; the median of three is written with its range.
VISITORS = 3


def fill_store(size: int) -> str:
    """Import ``size`` synthetic incidents into a fresh PostGIS database; return its URL."""
    from bench.store import PASSWORD, _postgis_url
    from geo.importers.result import ImportResult, empty_rejected
    from geo.io import load_bundled
    from geo.store import open_store
    from geo.synthetic import synthetic_incidents

    incidents = synthetic_incidents(size, bundle=load_bundled())
    url = _postgis_url()
    store = open_store(url)
    admin = store.create_account("bench", PASSWORD, "admin", actor=None)
    result = ImportResult("synthetic.geojson", "snapshot", incidents, empty_rejected(), size)
    store.import_result(result, actor=admin)
    store.close()
    settle(url)
    return url


def settle(url: str) -> None:
    """Vacuum and analyse the freshly filled store before anything is timed.

    Otherwise PostgreSQL's autovacuum works through the million new rows while the phases run
    (seen: it finished during a restart phase, whose first filter change took 463 ms against
    245-250 ms in the same phase run on its own).
    """
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("VACUUM (ANALYZE)"))
    finally:
        engine.dispose()


def page_runs(phase: str) -> dict[str, object]:
    """Run the page in this process (``INCIDENT_STORE_URL`` set); return the timings."""
    from streamlit.testing.v1 import AppTest

    from bench.measure import current_rss_mb
    from bench.rerun import shown, timed_run

    sys.argv = ["app.py"]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    result: dict[str, object] = {"phase": phase, "open_ms": timed_run(at), "shown": shown(at)}
    if phase == "restart":
        result["rerun_ms"] = timed_run(at)
        for preset in PRESETS:
            radio = next(r for r in at.radio if preset in r.options)
            radio.set_value(preset)
            result[preset] = {"change_ms": timed_run(at), "shown": shown(at)}
    result["rss_mb"] = current_rss_mb()
    return {k: v.replace("\\", "") if isinstance(v, str) else v for k, v in result.items()}


# The map's own count, written by the page once the selection is drawn.
MAP_LABEL = ".incident-playback .period"
JS_LABEL_CHANGED = """
before => {
    const map = [...document.querySelectorAll('iframe')].find(f => f.height === '620');
    const label = map && map.contentDocument.querySelector('.incident-playback .period');
    // Not "Clustering N incidents…" (shown while the map indexes): the count of what it drew.
    return label !== null && label !== undefined && label.textContent !== before
        && !label.textContent.startsWith('Clustering ');
}
"""


def browser_runs() -> dict[str, object]:
    """Serve the page as ``make run-team`` does and time what a visitor sees (Chromium).

    The server starts on the store and cache the earlier phases filled; a first visitor opens
    the page as soon as the server answers (timed from the server's start to painted points),
    then :data:`VISITORS` next visitors one after another (:func:`next_visitor`).
    """
    from playwright.sync_api import sync_playwright

    from bench.paint import (
        APPS,
        PAINT_TIMEOUT_S,
        PageProbe,
        memory_mb,
        start_streamlit,
        wait_painted,
    )
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, stop_app

    selector = APPS["this map"][1]
    process, url, spawned = start_streamlit("serve.py")
    result: dict[str, object] = {"phase": "browser"}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            first = PageProbe.open(browser)
            first.page.goto(url)
            result["cold_paint_s"] = wait_painted(first, selector, PAINT_TIMEOUT_S) - spawned
            first.close()
            errors = list(first.errors)
            for _ in range(VISITORS):
                visit = next_visitor(browser, url, selector)
                errors += visit.pop("page_errors")
                for name, value in visit.items():
                    result.setdefault(name, []).append(value)
            result["page_errors"] = errors
            result["server_mb"] = memory_mb(process.pid)
            browser.close()
    finally:
        stop_app(process)
    return result


def next_visitor(browser, url: str, selector: str) -> dict[str, object]:
    """Open the page in a new session; time its paint and each time preset's redraw."""
    from bench.paint import PAINT_TIMEOUT_S, PageProbe, wait_painted

    probe = PageProbe.open(browser)
    started = time.perf_counter()
    probe.page.goto(url)
    visit: dict[str, object] = {"paint_s": wait_painted(probe, selector, PAINT_TIMEOUT_S) - started}
    frame = probe.page.frame_locator(selector + '[height="620"]')
    for preset in (*PRESETS, "All time"):
        before = frame.locator(MAP_LABEL).inner_text()
        started = time.perf_counter()
        probe.page.locator('[data-testid="stSidebar"]').get_by_text(preset).click()
        probe.page.wait_for_function(JS_LABEL_CHANGED, arg=before, timeout=120_000)
        visit[f"{preset}_ms"] = (time.perf_counter() - started) * 1000
        visit[f"{preset}_label"] = frame.locator(MAP_LABEL).inner_text()
    visit["page_errors"] = probe.errors
    probe.close()
    return visit


def spread(values: list[float], unit: str, digits: int = 0) -> str:
    """Write the median of ``values`` and, in brackets, the smallest and largest."""
    low, mid, high = (f"{v:,.{digits}f}" for v in (min(values), median(values), max(values)))
    return f"{mid} {unit} ({low}-{high})"


def measure(size: int) -> dict[str, object]:
    """Fill a store with ``size`` incidents and time the page's first run and a restart."""
    url = fill_store(size)
    cache = tempfile.mkdtemp(prefix="team-bench-cache-")
    env = {**os.environ, "INCIDENT_STORE_URL": url, "RAIL_INCIDENTS_CACHE": cache}
    figures: dict[str, object] = {"size": size}
    for phase in ("first", "restart", "browser"):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.team", "--phase", phase],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{phase} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        figures[phase] = json.loads(done.stdout.strip().splitlines()[-1])
        figures[phase]["process_s"] = time.perf_counter() - started
    return figures


def _line(f: dict) -> str:
    first, restart, seen = f["first"], f["restart"], f["browser"]
    return (
        f"TEAM size={f['size']} first_s={first['open_ms'] / 1000:.1f} "
        f"restart_s={restart['open_ms'] / 1000:.1f} rerun_ms={restart['rerun_ms']:.0f} "
        f"change_ms={restart[PRESETS[0]]['change_ms']:.0f} rss_mb={restart['rss_mb']:.0f} "
        f"paint_s={median(seen['paint_s']):.1f} "
        f"repaint_ms={median(seen[PRESETS[0] + '_ms']):.0f}"
    )


def write_results(rows: list[dict], command: str) -> str:
    """Put the section between the markers in bench/RESULTS.md; return it."""
    table = [
        "| store incidents | first page run (read, prepare, match, draw) | page run after a "
        "restart | rerun, nothing changed | Last 12 months | Last 30 days | RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in rows:
        first, restart = f["first"], f["restart"]
        table.append(
            f"| {f['size']:,} | {first['open_ms'] / 1000:,.1f} s | "
            f"{restart['open_ms'] / 1000:,.1f} s | {restart['rerun_ms']:,.0f} ms | "
            f"{restart[PRESETS[0]]['change_ms']:,.0f} ms | "
            f"{restart[PRESETS[1]]['change_ms']:,.0f} ms | {restart['rss_mb']:,.0f} MB |"
        )
    seen = [
        "| store incidents | server start → map painted (first visitor) | page → map painted "
        "(next visitor) | Last 12 months → map redrawn | Last 30 days | All time | server RSS "
        "| page errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in rows:
        b = f["browser"]
        seen.append(
            f"| {f['size']:,} | {b['cold_paint_s']:.1f} s | "
            f"{spread(b['paint_s'], 's', digits=1)} | "
            f"{spread(b[PRESETS[0] + '_ms'], 'ms')} | {spread(b[PRESETS[1] + '_ms'], 'ms')} | "
            f"{spread(b['All time_ms'], 'ms')} | {b['server_mb']['VmRSS']:,.0f} MB | "
            f"{len(b['page_errors'])} |"
        )
    notes = [
        "- PostGIS store holding N synthetic incidents beside the 70 bundled ones; AppTest "
        "page runs on the server (no browser); each event counted once (two datasets)."
    ]
    body = [
        *table,
        "",
        "In Chromium, served by `serve.py` (its warm start reads the store, the kept matching "
        "and the published events; the first visitor arrives as the server answers; then "
        f"{VISITORS} next visitors one after another, each choosing every preset: median "
        "(smallest-largest)):",
        "",
        *seen,
        "",
        *(f"- {f['size']:,}: {f['restart']['shown']}" for f in rows),
        "",
        *(_line(f) for f in rows),
    ]
    title = "The dashboard on a team store (bench/team.py)"
    return write_section("team-bench", title, command, notes, body)


def main(argv: list[str] | None = None) -> int:
    """Measure each size and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.team", description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--phase", choices=("first", "restart", "browser"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        runs = browser_runs() if args.phase == "browser" else page_runs(args.phase)
        print(json.dumps(runs))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(measure(size))
        print(_line(rows[-1]), flush=True)
    command = "python -m bench.team " + " ".join(argv if argv is not None else sys.argv[1:])
    print(write_results(rows, command.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
