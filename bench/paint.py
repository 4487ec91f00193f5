"""Browser side by side: this map against st.map, pydeck and FastMarkerCluster (bench/peers/).

For one Streamlit app and one size, in headless Chromium (Debian's, through Playwright):

- **cold start → painted**: the server is started on the prepared GeoParquet cache (cold
  process, warm file) and the page opened as soon as it answers, in a browser already running
  (as the analyst's is); painted = the first
  screenshot of the map area holding at least :data:`PAINTED_PIXELS` strongly coloured pixels
  (:func:`point_pixels`: points, clusters and bins are; basemap, rail lines and labels are
  not; Leaflet's legend and attribution are masked out);
- **warm page → painted**: a new page on the warm server, from ``goto`` to painted; up to
  100,000 incidents the median of :data:`WARM_VISITS` pages opened one after another (a page
  load varies by 100-300 ms on a shared machine), above that one (the peers take 30-40 s);
- **bytes received** by that page: HTTP bodies (CDP ``Network.loadingFinished``
  ``encodedDataLength``) plus WebSocket frames (``Network.webSocketFrameReceived``);
- **zoom step**: a mouse-wheel step over the map centre, until the map area's screenshot has
  changed and then stays the same for two shots; and the WebSocket messages the page sent to the
  server meanwhile (each is a script rerun request);
- **JS heap**: CDP ``Performance.getMetrics`` ``JSHeapUsedSize`` after painting;
- for this map, **server memory**: ``VmRSS``/``VmHWM`` of the Streamlit process, and after ten
  more sessions have opened the map.
"""

from __future__ import annotations

import base64
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, stop_app

ROOT = Path(__file__).resolve().parents[1]
PAINTED_PIXELS = 200
PAINT_TIMEOUT_S = 180  # an app that has not painted by then is reported as not painting
SATURATION = 100
SHOT_INTERVAL_S = 0.05
# A peer's page at 1,000,000 points keeps its main thread busy after painting: a screenshot
# then waits past Playwright's default 30 s (st.map and pydeck failed on it on 2026-12-06).
BUSY_PAGE_TIMEOUT_MS = 120_000
WARM_VISITS = 3

APPS = {  # name: (script, the map element)
    "this map": ("serve.py", 'iframe[title="streamlit_folium.st_folium"]'),
    "st.map": ("bench/peers/st_map_app.py", '[data-testid="stDeckGlJsonChart"]'),
    "pydeck": ("bench/peers/pydeck_app.py", '[data-testid="stDeckGlJsonChart"]'),
    "FastMarkerCluster": (
        "bench/peers/fastmarkercluster_app.py",
        'iframe[title="streamlit_folium.st_folium"]',
    ),
    # The same peers as the incident map of this dashboard's page (bench/peers/in_page.py).
    "st.map in this page": ("bench/peers/in_page_st_map.py", '[data-testid="stDeckGlJsonChart"]'),
    "pydeck in this page": ("bench/peers/in_page_pydeck.py", '[data-testid="stDeckGlJsonChart"]'),
    "FastMarkerCluster in this page": (
        "bench/peers/in_page_fastmarkercluster.py",
        'iframe[title="streamlit_folium.st_folium"]',
    ),
}


def point_pixels(png: bytes, masked: list[list[float]] = ()) -> int:
    """Count the strongly coloured pixels of a map screenshot, outside the masked boxes.

    A pixel counts when its largest channel is at least :data:`SATURATION` above its smallest:
    the points of every app here (group colours, magenta, Leaflet.markercluster's bubbles) are,
    while basemap fills, rail lines, borders, labels and grey controls are not. Leaflet's
    controls (legend swatches, the attribution flag) are masked out by their boxes.
    """
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    coloured = rgb.max(axis=2) - rgb.min(axis=2) >= SATURATION
    for x, y, width, height in masked:
        coloured[max(int(y), 0) : int(y + height) + 1, max(int(x), 0) : int(x + width) + 1] = False
    return int(coloured.sum())


CONTROL_BOXES = """() => Array.from(document.querySelectorAll('.leaflet-control')).map(e => {
    const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })"""


def control_boxes(element) -> list[list[float]]:
    """Boxes of the Leaflet controls inside a map iframe (none for other maps)."""
    frame = element.element_handle().content_frame()
    if frame is None:
        return []
    try:
        return frame.evaluate(CONTROL_BOXES)
    except Exception:  # noqa: BLE001 - a frame navigating away has no boxes to mask
        return []


def shot_pixels(element) -> tuple[bytes, int]:
    """Screenshot the map element; return it and its point pixel count."""
    shot = element.screenshot(animations="allow")
    return shot, point_pixels(shot, control_boxes(element))


def serve_vendor_assets(script: Path) -> None:
    """Give an app outside the project root the map scripts it asks for at /app/static/vendor.

    Streamlit serves ``static/`` next to the script it runs (and not through a symlink), so a
    peer under ``bench/peers/`` gets its own copy of ``static/vendor`` (made once; ignored by
    git). Without it the FastMarkerCluster peer loaded no Leaflet and never painted.
    """
    if script.parent == ROOT:
        return
    import shutil

    target = script.parent / "static" / "vendor"
    if not (target / ".installed").exists():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(ROOT / "static" / "vendor", target)


def start_streamlit(
    script: str, *args: str, env: dict[str, str] | None = None
) -> tuple[object, str, float]:
    """Start ``streamlit run script -- args``; return the process, its URL and the spawn time.

    ``env``: variables set for the server on top of this process's environment.
    """
    import subprocess
    import sys
    import urllib.request

    serve_vendor_assets(ROOT / script)
    # As `make run` starts it: the app's modules compiled beforehand (Makefile, bytecode).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "app.py", "serve.py", "geo", "layers", "ui"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--",
        *args,
    ]
    log = ROOT / "bench" / "out" / f"streamlit-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    spawned = time.perf_counter()
    # Started as `make run` starts it: glibc heaps shared by the sessions' threads (Makefile).
    env = {
        **os.environ,
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        **(env or {}),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return process, url, spawned
        except OSError:
            time.sleep(0.1)
    process.kill()
    msg = f"streamlit did not start: {log}"
    raise RuntimeError(msg)


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


@dataclass
class PageProbe:
    """A page with CDP counters for bytes in, WebSocket messages out and the JS heap."""

    page: object
    cdp: object
    bytes_http: int = 0
    bytes_ws: int = 0
    sent: int = 0
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser) -> PageProbe:
        """Open a page in a new browser context (a new Streamlit session) with the counters."""
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        probe = cls(page, cdp)
        cdp.send("Network.enable")
        cdp.send("Performance.enable")
        cdp.on("Network.loadingFinished", probe._loaded)
        cdp.on("Network.webSocketFrameReceived", probe._frame)
        cdp.on("Network.webSocketFrameSent", probe._sent)
        page.on("pageerror", lambda error: probe.errors.append(str(error)))
        return probe

    def _loaded(self, event: dict) -> None:
        self.bytes_http += int(event.get("encodedDataLength", 0))

    def _frame(self, event: dict) -> None:
        response = event.get("response", {})
        data = response.get("payloadData", "")
        if response.get("opcode") == 2:
            self.bytes_ws += len(base64.b64decode(data))
        else:
            self.bytes_ws += len(data.encode())

    def _sent(self, event: dict) -> None:
        self.sent += 1

    def heap_mb(self) -> float:
        """Return the page's used JS heap (CDP Performance.getMetrics JSHeapUsedSize), MB."""
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize") / 1e6

    def close(self) -> None:
        """Close the page and its context (ends the session)."""
        self.page.context.close()


def shown(element) -> bool:
    """Whether ``element`` is on the page with a non-empty box (checked once, not waited for)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        box = element.bounding_box(timeout=1_000) if element.count() else None
    except PlaywrightTimeout:  # gone between the count and the box (the app drew it again)
        return False
    return bool(box and box["width"] > 0 and box["height"] > 0)


def wait_painted(probe: PageProbe, selector: str, timeout_s: float) -> float:
    """Wait until the map area shows the points; return the time (perf_counter) it did."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.perf_counter() + timeout_s
    element = probe.page.locator(selector).first
    # Polled at the shots' interval: Playwright's own wait for "visible" backs off to 500 ms
    # between checks, which put up to half a second on whichever map appeared late.
    while time.perf_counter() < deadline:
        if shown(element):
            try:
                _, count = shot_pixels(element)
            except PlaywrightTimeout:  # the page's main thread busy past the shot's 30 s
                continue
            if count >= PAINTED_PIXELS:
                return time.perf_counter()
        time.sleep(SHOT_INTERVAL_S)
    msg = f"points not painted in {timeout_s:.0f} s"
    raise TimeoutError(msg)


def zoom_step(probe: PageProbe, selector: str) -> tuple[float, int, bytes]:
    """Wheel-zoom one step over the map centre; return (ms to a settled picture, messages sent)."""
    element = probe.page.locator(selector).first
    box = element.bounding_box()
    probe.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    time.sleep(0.5)
    before = element.screenshot(animations="allow", timeout=BUSY_PAGE_TIMEOUT_MS)
    sent = probe.sent
    start = time.perf_counter()
    probe.page.mouse.wheel(0, -120)
    previous, changed_at = before, None
    deadline = start + 30
    while time.perf_counter() < deadline:
        shot = element.screenshot(animations="allow", timeout=BUSY_PAGE_TIMEOUT_MS)
        if changed_at is None and shot != before:
            changed_at = time.perf_counter()
        elif changed_at is not None and shot == previous:
            break
        previous = shot
        time.sleep(SHOT_INTERVAL_S)
    settled = time.perf_counter()
    time.sleep(1.5)  # any rerun the zoom asked for has been sent by now
    return (settled - start) * 1000, probe.sent - sent, previous


# Three zoom steps without Leaflet's 250 ms zoom animation, each timed from the zoom call to
# the second animation frame after it (the frame that shows the redrawn map): the repaint
# itself, which screenshots (100-300 ms each while the page is busy) cannot resolve.
LEAFLET_REPAINT_JS = """async () => {
    let map = null;
    for (const key of Object.keys(window)) {
        try { if (window[key] instanceof L.Map) { map = window[key]; break; } } catch (e) {}
    }
    if (!map) { return null; }
    const times = [];
    for (let step = 0; step < 3; step++) {
        const start = performance.now();
        map.setZoom(map.getZoom() + 1, {animate: false});
        await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
        times.push(performance.now() - start);
    }
    return times;
}"""


def zoom_repaints(probe: PageProbe) -> list[float] | None:
    """Return the repaint time (ms) of three zoom steps in a Leaflet map (None without one)."""
    for frame in probe.page.frames:
        try:
            times = frame.evaluate(
                f"() => typeof L !== 'undefined' && L.Map ? ({LEAFLET_REPAINT_JS})() : null"
            )
        except Exception:  # noqa: BLE001 - a frame without the map (or gone) has no answer
            continue
        if times:
            return times
    return None


def measure_app(name: str, n: int, *, sessions: int = 0) -> dict[str, object]:
    """Measure one app at one size (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    script, selector = APPS[name]
    out = ROOT / "bench" / "out"
    result: dict[str, object] = {"app": name, "n": n}
    with sync_playwright() as p:
        # The analyst's browser is running before the server starts: its launch (0.8-0.9 s
        # here) is not part of the app's cold start.
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        process, url, spawned = start_streamlit(script, "--synthetic", str(n))
        try:
            first = PageProbe.open(browser)
            first.page.goto(url)
            painted = wait_painted(first, selector, PAINT_TIMEOUT_S)
            result["cold_paint_ms"] = (painted - spawned) * 1000
            first.close()
            visits, paints = (WARM_VISITS if n <= 100_000 else 1), []
            for visit in range(visits):
                probe = PageProbe.open(browser)
                start = time.perf_counter()
                probe.page.goto(url)
                paints.append((wait_painted(probe, selector, PAINT_TIMEOUT_S) - start) * 1000)
                if visit < visits - 1:
                    probe.close()  # the last page goes on to the bytes, the heap and the zoom
            result["paint_ms"] = float(np.median(paints))
            result["paint_ms_all"] = paints
            time.sleep(1.0)
            result["bytes"] = probe.bytes_http + probe.bytes_ws
            result["bytes_ws"] = probe.bytes_ws
            result["heap_mb"] = probe.heap_mb()
            probe.page.locator(selector).first.screenshot(
                path=out / f"{slug(name)}-{n}.png", timeout=BUSY_PAGE_TIMEOUT_MS
            )
            result["zoom_ms"], result["zoom_messages"], shot = zoom_step(probe, selector)
            (out / f"{slug(name)}-{n}-zoomed.png").write_bytes(shot)
            result["zoom_repaint_ms"] = zoom_repaints(probe)
            result["page_errors"] = probe.errors
            result["server_mb"] = memory_mb(process.pid)
            if sessions:
                probes = [PageProbe.open(browser) for _ in range(sessions)]
                for other in probes:
                    other.page.goto(url)
                for other in probes:
                    wait_painted(other, selector, PAINT_TIMEOUT_S)
                time.sleep(2.0)
                result["server_mb_sessions"] = memory_mb(process.pid)
                result["sessions"] = sessions
                for other in probes:
                    other.close()
            probe.close()
            browser.close()
        finally:
            stop_app(process)
    return result


def slug(name: str) -> str:
    return name.replace(" ", "-").replace(".", "-").lower()
