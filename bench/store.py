"""Store benchmark: import, open, a filter change and memory on both back ends, 100k and 1M.

Run ``.venv/bin/python -m bench.store [--sizes 100000,1000000] [--backends sqlite,postgis]``.
Each (back end, size) runs in a fresh process (``--case``) so its peak memory is its own.
Figures go to ``bench/RESULTS.md`` between the ``store-bench`` markers (the scale benchmark's
own sections are left as they are).

Measured, on synthetic incidents (``geo.synthetic``, never real data):

- import: ``import_result`` of N new incidents into an empty store (rows, indexes, commit);
- re-import: the same N again into that dataset (every row compared, none changed);
- open: reading every incident the app shows (``store.incidents()``);
- working set, as the dashboard shows the store (``geo.store.working_set``: the bundled
  incidents plus the store's, enriched): first after a write (read, enrich, write the prepared
  file) and on a restart of an unchanged store (the prepared file only);
- filter change, two ways: in memory on the loaded incidents (``IncidentFilter.mask``, the
  app's path) and in the store (``store.incidents(flt=...)``: PostGIS answers time, group and
  box from its indexes; SQLite reads and filters in memory), median of 3;
- peak RSS of the process (``VmHWM``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench.results import write_section

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 2026"
FILTER = {"start": date(2024, 1, 1), "end": date(2024, 6, 30), "groups": ("BLA",)}
BOX = (66.5, 29.0, 68.0, 30.5)


def _postgis_url() -> str:
    subprocess.run(["sh", str(ROOT / "tools" / "ensure_postgis.sh")], check=True)
    url = sa.make_url((ROOT / "var" / "postgis.url").read_text().strip())
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS incidents_bench WITH (FORCE)")
        connection.exec_driver_sql("CREATE DATABASE incidents_bench")
    admin.dispose()
    bench = url.set(database="incidents_bench")
    engine = sa.create_engine(bench)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE EXTENSION postgis")
    engine.dispose()
    return bench.render_as_string(hide_password=False)


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    value = action()
    return (time.perf_counter() - started) * 1000, value


def run_case(backend: str, size: int) -> dict:
    """Measure one back end at one size in this process; return the figures."""
    from geo.export import content_hash
    from geo.filters import IncidentFilter
    from geo.importers.result import ImportResult, empty_rejected
    from geo.io import load_bundled
    from geo.store import open_store
    from geo.store.working_set import working_set
    from geo.synthetic import synthetic_incidents

    bundle = load_bundled()
    incidents = synthetic_incidents(size, bundle=bundle)
    result = ImportResult("synthetic.geojson", "snapshot", incidents, empty_rejected(), size)
    workdir = Path(tempfile.mkdtemp(prefix="store-bench-"))
    os.environ["RAIL_INCIDENTS_CACHE"] = str(workdir / "prepared")  # not the user's cache
    url = f"sqlite:///{workdir / 'store.sqlite'}" if backend == "sqlite" else _postgis_url()
    store = open_store(url)
    admin = store.create_account("bench", PASSWORD, "admin", actor=None)
    import_ms, outcome = _timed(lambda: store.import_result(result, actor=admin))
    reimport_ms, again = _timed(
        lambda: store.import_result(result, actor=admin, into=outcome.dataset.id)
    )
    assert again.unchanged == size, again.summary()
    open_ms, loaded = _timed(lambda: store.incidents(viewer=None))
    base_hash = content_hash(bundle.incidents)
    shown = [
        _timed(lambda: working_set(store, None, bundle.incidents, base_hash, bundle))
        for _ in range(2)
    ]
    assert not shown[0][1].from_cache and shown[1][1].from_cache
    assert len(shown[1][1].incidents) == size + len(bundle.incidents)
    flt = IncidentFilter(**FILTER)
    boxed = IncidentFilter(**FILTER, bbox=BOX)
    memory, in_store, memory_box, in_store_box = [], [], [], []
    for _ in range(3):
        memory.append(_timed(lambda: int(flt.mask(loaded, bundle.groups).sum()))[0])
        in_store.append(
            _timed(lambda: store.incidents(viewer=None, flt=flt, registry=bundle.groups))[0]
        )
        memory_box.append(_timed(lambda: int(boxed.mask(loaded, bundle.groups).sum()))[0])
        in_store_box.append(
            _timed(lambda: store.incidents(viewer=None, flt=boxed, registry=bundle.groups))[0]
        )
    selected = int(flt.mask(loaded, bundle.groups).sum())
    selected_box = int(boxed.mask(loaded, bundle.groups).sum())
    stored = len(store.incidents(viewer=None, flt=flt, registry=bundle.groups))
    assert stored == selected, (stored, selected)
    store.close()
    return {
        "backend": backend,
        "size": size,
        "import_ms": import_ms,
        "reimport_ms": reimport_ms,
        "open_ms": open_ms,
        "working_first_ms": shown[0][0],
        "working_restart_ms": shown[1][0],
        "filter_memory_ms": statistics.median(memory),
        "filter_store_ms": statistics.median(in_store),
        "box_memory_ms": statistics.median(memory_box),
        "box_store_ms": statistics.median(in_store_box),
        "selected": selected,
        "selected_box": selected_box,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _row(r: dict) -> str:
    return (
        f"| {r['backend']} | {r['size']:,} | {r['import_ms'] / 1000:,.1f} s | "
        f"{r['reimport_ms'] / 1000:,.1f} s | {r['open_ms'] / 1000:,.1f} s | "
        f"{r['working_first_ms'] / 1000:,.1f} s / {r['working_restart_ms'] / 1000:,.1f} s | "
        f"{r['filter_memory_ms']:,.0f} ms / {r['filter_store_ms']:,.0f} ms ({r['selected']:,}) | "
        f"{r['box_memory_ms']:,.0f} ms / {r['box_store_ms']:,.0f} ms ({r['selected_box']:,}) | "
        f"{r['peak_rss_mb']:,.0f} MB |"
    )


def write_results(rows: list[dict], command: str) -> str:
    """Put the table between the markers in bench/RESULTS.md; return the section."""
    notes = [
        f"- Filter: {FILTER['start']}..{FILTER['end']}, group BLA (with affiliates); with box "
        f"{BOX}. 'memory' = `IncidentFilter.mask` on the loaded incidents (the app's path); "
        "'store' = `store.incidents(flt=...)` including reading the selected rows."
    ]
    body = [
        "| back end | incidents | import | re-import (unchanged) | open (read all) "
        "| working set: after a write / on a restart "
        "| filter: memory / store (selected) | filter + box: memory / store | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
        *[_row(r) for r in rows],
        "",
        *[
            f"STORE backend={r['backend']} size={r['size']} import_s={r['import_ms'] / 1000:.1f} "
            f"open_s={r['open_ms'] / 1000:.1f} "
            f"ready_after_write_s={r['working_first_ms'] / 1000:.1f} "
            f"ready_restart_s={r['working_restart_ms'] / 1000:.1f} "
            f"filter_memory_ms={r['filter_memory_ms']:.0f} "
            f"filter_store_ms={r['filter_store_ms']:.0f} rss_mb={r['peak_rss_mb']:.0f}"
            for r in rows
        ],
    ]
    return write_section("store-bench", "Store (bench/store.py)", command, notes, body)


def main(argv: list[str] | None = None) -> int:
    """Run every (back end, size) case in its own process and write the results."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.store", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgis")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        backend, size = args.case.split(":")
        print(json.dumps(run_case(backend, int(size))))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for backend in args.backends.split(","):
            done = subprocess.run(
                [sys.executable, "-m", "bench.store", "--case", f"{backend}:{size}"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                print(done.stdout, done.stderr, file=sys.stderr)
                return 1
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(_row(row), flush=True)
            rows.append(row)
    command = "python -m bench.store " + " ".join(argv if argv is not None else sys.argv[1:])
    print(write_results(rows, command.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
