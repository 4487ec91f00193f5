"""Load on loopback: N concurrent browser sessions open the map, change a filter, and we time it.

``.venv/bin/python -m bench.load --sessions 10,25 [--synthetic 100000]`` starts the app on
127.0.0.1, opens N Chromium contexts at once (one browser, one context per session, so each has
its own Streamlit session), and for each session measures:

- ``open_s``: from navigation to a visible map with its incidents (the playback label
  "N incidents on map" shown in the map frame);
- ``filter_s``: from choosing the "Last 12 months of data" preset to the page's new count;
- errors: uncaught page errors in any frame, console errors, HTTP errors from the app.

It reports the median and worst of each, the error count, and the server's resident memory
(VmRSS) before, at the peak (VmHWM) and 150 s after every session closed (Streamlit keeps a
closed tab's session for 120 s). Nothing leaves
loopback. Run it from a checkout whose ``static/vendor`` is a real folder (Streamlit refuses to
serve files through a symlink).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import time
from pathlib import Path

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, start_app, stop_app

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
SESSION_TTL_S = 120  # Streamlit's server.disconnectedSessionTTL default


def memory_mb(pid: int) -> dict[str, float]:
    """Return the process's current and peak resident memory (MB) from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


async def one_session(browser, url: str, timeout_ms: int) -> dict[str, object]:
    from urllib.parse import urlparse

    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and "Failed to load resource" not in m.text
            and errors.append(f"console: {m.text}")
        ),
    )
    page.on(
        "request",
        lambda r: (
            r.url.startswith("http")
            and urlparse(r.url).hostname not in LOCAL_HOSTS
            and outside.append(r.url)
        ),
    )
    result: dict[str, object] = {"errors": errors, "outside": outside}
    try:
        started = time.monotonic()
        await page.goto(url)
        frame = page.frame_locator(MAP_FRAME)
        await frame.locator(".incident-playback .period").wait_for(timeout=timeout_ms)
        result["open_s"] = time.monotonic() - started
        line = page.get_by_text(re.compile(r"^Showing [\d,]+ of [\d,]+ incidents$")).first
        before = await line.inner_text()
        started = time.monotonic()
        sidebar = page.locator('[data-testid="stSidebar"]')
        await sidebar.get_by_text("Last 12 months of data").click()
        deadline = time.monotonic() + timeout_ms / 1000
        while await line.inner_text() == before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if await line.inner_text() == before:
            errors.append("the count did not change after the preset")
        else:
            result["filter_s"] = time.monotonic() - started
    except Exception as error:  # a timeout is a measured failure, not a crash of the bench
        errors.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        await context.close()
    return result


async def run_sessions(url: str, sessions: int, timeout_ms: int) -> list[dict[str, object]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(
                *(one_session(browser, url, timeout_ms) for _ in range(sessions))
            )
        finally:
            await browser.close()


def summarise(label: str, results: list[dict[str, object]], memory: dict[str, float]) -> str:
    def stat(key: str) -> str:
        values = [r[key] for r in results if key in r]
        if not values:
            return "n/a"
        return f"median {statistics.median(values):.1f} s, worst {max(values):.1f} s"

    errors = [e for r in results for e in r["errors"]]
    outside = [u for r in results for u in r["outside"]]
    return (
        f"| {label} | {len(results)} | {stat('open_s')} | {stat('filter_s')} | {len(errors)} | "
        f"{len(outside)} | {memory['before']:.0f} | {memory['peak']:.0f} | {memory['after']:.0f} |"
    )


def cpu_s(pid: int) -> float:
    """CPU time (user + system) the process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    sessions: int, extra: list[str], label: str, timeout_ms: int, rounds: int = 1
) -> list[str]:
    """Run ``rounds`` rounds of ``sessions`` sessions against one server; a table row each.

    Several rounds on one server tell retained memory from a leak: a leak grows with every
    round, a cache filled by the first round does not.
    """
    process, url = start_app(*extra)
    rows = []
    try:
        # One warm-up session so the first measured open is not the process's cold start.
        asyncio.run(run_sessions(url, 1, timeout_ms))
        for round_number in range(1, rounds + 1):
            rows.append(_one_round(process, url, sessions, label, timeout_ms, round_number))
        return rows
    finally:
        stop_app(process)


def _one_round(
    process, url: str, sessions: int, label: str, timeout_ms: int, round_number: int
) -> str:
    before = memory_mb(process.pid)["VmRSS"]
    cpu_before, wall_before = cpu_s(process.pid), time.monotonic()
    results = asyncio.run(run_sessions(url, sessions, timeout_ms))
    server_cpu = cpu_s(process.pid) - cpu_before
    wall = time.monotonic() - wall_before
    peak = memory_mb(process.pid)["VmHWM"]
    # Streamlit keeps a closed tab's session for server.disconnectedSessionTTL (120 s).
    time.sleep(SESSION_TTL_S + 30)
    after = memory_mb(process.pid)["VmRSS"]
    for result in results:
        for error in result["errors"][:3]:
            print(f"  error: {error}")
    print(
        f"  {label}, {sessions} sessions, round {round_number}: the server used "
        f"{server_cpu:.1f} s of CPU in {wall:.1f} s of wall time (the rest is the sessions' "
        "Chromium on the same cores)"
    )
    if round_number > 1:
        label = f"{label} (round {round_number}, same server)"
    return summarise(label, results, {"before": before, "peak": peak, "after": after})


def main() -> None:
    """Run the load benchmark and print a Markdown table row per configuration."""
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--sessions", default="10,25", help="comma-separated session counts")
    parser.add_argument("--synthetic", type=int, default=None, help="synthetic incidents")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per step")
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds of sessions against the same server"
    )
    args = parser.parse_args()
    extra = ["--synthetic", str(args.synthetic)] if args.synthetic else []
    label = f"{args.synthetic:,} synthetic" if args.synthetic else "bundled (70)"
    print(
        "| data | sessions | open to visible map | filter to new count | errors | requests "
        "off loopback | server MB before | peak | 150 s after close |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for sessions in (int(s) for s in args.sessions.split(",")):
        for row in measure(sessions, extra, label, int(args.timeout * 1000), args.rounds):
            print(row, flush=True)


if __name__ == "__main__":
    main()
