"""Prepare N synthetic incidents once (``python -m bench.prepare N``): generate, enrich, store.

Prints one JSON object: ``prepare_ms`` is the first-time cost (0 when the prepared GeoParquet
file was already in the cache folder, see :mod:`geo.prepared`).
"""

from __future__ import annotations

import json
import sys
import time

from geo.io import load_bundled
from geo.prepared import prepared_synthetic
from ui.data import SYNTHETIC_SEED

if __name__ == "__main__":
    n = int(sys.argv[1])
    start = time.perf_counter()
    prepared = prepared_synthetic(n, SYNTHETIC_SEED, load_bundled())
    elapsed = (time.perf_counter() - start) * 1000
    print(json.dumps({"prepare_ms": 0 if prepared.from_cache else elapsed}))
