"""Server time of whole page runs at one size (AppTest, no browser): ``python -m bench.rerun N``.

Opens the page on ``--synthetic N`` (dataset already prepared: ``bench.prepare``), then changes
the time filter to each preset in turn, each for the first time (nothing cached for it), and
prints one JSON object: ``open_ms`` (first run, dataset read included), ``reopen_ms`` (a second
run, everything cached) and ``change_ms`` per preset, with the selected count.
"""

from __future__ import annotations

import json
import sys
import time

from streamlit.testing.v1 import AppTest

from bench.measure import current_rss_mb, peak_rss_mb
from tests.conftest import ROOT

PRESETS = ("Last 12 months of data", "Last 30 days of data")


def shown(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Showing"))


def timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return (time.perf_counter() - start) * 1000


def measure(n: int) -> dict[str, object]:
    sys.argv = ["app.py", "--synthetic", str(n)]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    result: dict[str, object] = {"n": n, "open_ms": timed_run(at), "reopen_ms": timed_run(at)}
    for preset in PRESETS:
        radio = next(r for r in at.radio if preset in r.options)
        radio.set_value(preset)
        result[preset] = {"change_ms": timed_run(at), "shown": shown(at).replace("\\", "")}
    result["rss_mb"] = current_rss_mb()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))
