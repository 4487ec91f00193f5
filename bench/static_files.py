"""How fast the dashboard's server hands a first page its script files.

A first visit to the dashboard loads about 140 of Streamlit's script files (its widgets, the
charts, the map component; most of them a few kB), six at a time as a browser does over
HTTP/1.1. This times serving as many of them (:data:`PAGE_SCRIPTS`, the smallest of
Streamlit's ``static/js``: not the page's own list, which only a browser can tell) over six
connections to a running ``serve.py``, five times, with the server's event loop and HTTP parser
as installed (uvloop and httptools, ``requirements.txt``) and, for comparison, with both hidden
so that uvicorn falls back to asyncio and h11::

    .venv/bin/python -m bench.static_files
"""

from __future__ import annotations

import http.client
import os
import queue
import statistics
import tempfile
import threading
import time
from pathlib import Path

import streamlit

from bench.paint import start_streamlit
from tests.test_browser import stop_app

ROUNDS = 5
CONNECTIONS = 6  # a browser's connections to one host over HTTP/1.1
PAGE_SCRIPTS = 140
HIDE_FAST_SERVER = '''"""Hide uvloop and httptools (bench/static_files.py's comparison)."""
import sys


class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("uvloop", "httptools"):
            raise ModuleNotFoundError(name)
        return None


sys.meta_path.insert(0, _Hide())
'''


def script_names(limit: int = PAGE_SCRIPTS) -> list[str]:
    """Names of Streamlit's script files, smallest first (a page's chunks are mostly small)."""
    folder = Path(streamlit.__file__).parent / "static" / "static" / "js"
    files = sorted(folder.glob("*.js"), key=lambda path: path.stat().st_size)
    return [path.name for path in files[:limit]]


def serve_all(port: int, names: list[str]) -> float:
    """Fetch every file over :data:`CONNECTIONS` keep-alive connections; return ms."""
    waiting: queue.Queue[str] = queue.Queue()
    for name in names:
        waiting.put(name)

    def fetch() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            try:
                name = waiting.get_nowait()
            except queue.Empty:
                return
            connection.request("GET", f"/static/js/{name}", headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                msg = f"{name}: HTTP {response.status}"
                raise RuntimeError(msg)

    workers = [threading.Thread(target=fetch) for _ in range(CONNECTIONS)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - start) * 1000


def measure(hide_fast_server: bool) -> list[float]:
    """Serve the page's scripts :data:`ROUNDS` times from a fresh server; return each ms."""
    names = script_names()
    with tempfile.TemporaryDirectory() as hidden:
        env = {}
        if hide_fast_server:
            Path(hidden, "sitecustomize.py").write_text(HIDE_FAST_SERVER)
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [hidden, os.environ.get("PYTHONPATH")])
            )
        process, url, _ = start_streamlit("serve.py", env=env)
        try:
            port = int(url.rsplit(":", 1)[1])
            serve_all(port, names)  # the first round warms the server's file lookups
            return [serve_all(port, names) for _ in range(ROUNDS)]
        finally:
            stop_app(process)


def main() -> None:
    count = len(script_names())
    for label, hide in (("uvloop + httptools", False), ("asyncio + h11", True)):
        times = measure(hide)
        print(
            f"{count} script files, {CONNECTIONS} connections, {label}: median "
            f"{statistics.median(times):,.0f} ms ({' / '.join(f'{t:,.0f}' for t in times)})"
        )


if __name__ == "__main__":
    main()
