"""Import an N-row ACLED-layout CSV (``python -m bench.imports N``) and time it.

The CSV is written once to ``bench/out/`` from the prepared synthetic incidents, in ACLED's
31-column layout (the layout of ``tests/fixtures/imports/acled_2024.csv``), then read by
``geo.importers.import_incidents`` as an analyst's upload would be (without the upload limits
of 50 MB and 100,000 rows, which a million rows exceed). Prints one
JSON object: rows, bytes, import time, kept/rejected rows, content hash time and peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geo.export import content_hash
from geo.importers import _source, import_incidents
from geo.io import load_bundled
from geo.prepared import prepared_synthetic
from ui.data import SYNTHETIC_SEED

OUT = Path(__file__).resolve().parent / "out"
TIME_PRECISION = {"hour": "1", "day": "1", "week": "2", "month": "3"}
GEO_PRECISION = {"exact": "1", "near": "1", "district": "2", "province": "3"}
# In the file's name: a file written by an earlier layout (notes without ACLED's dated opening,
# so no quoted field) is not read again.
LAYOUT = "dated-notes"


def acled_frame(n: int) -> pd.DataFrame:
    """Return synthetic incidents written the way ACLED exports them."""
    incidents = prepared_synthetic(n, SYNTHETIC_SEED, load_bundled()).incidents
    first_group = incidents["groups"].str.split("; ").str[0]
    armed = first_group != "Unidentified"
    actor1 = first_group.where(armed, "Unidentified Armed Group (Pakistan)")
    number = pd.Series(np.arange(1, n + 1)).astype(str)
    return pd.DataFrame(
        {
            "event_id_cnty": ("PAK" + number).to_numpy(),
            "event_date": incidents["start"].dt.strftime("%Y-%m-%d"),
            "year": incidents["start"].dt.year,
            "time_precision": incidents["date_precision"].map(TIME_PRECISION),
            "disorder_type": "Political violence",
            "event_type": incidents["event_type"],
            "sub_event_type": incidents["sub_event_type"],
            "actor1": actor1,
            "assoc_actor_1": "",
            "inter1": np.where(armed, "Rebel group", "Political militia"),
            "actor2": "Civilians (Pakistan)",
            "assoc_actor_2": "",
            "inter2": "Civilians",
            "interaction": "Rebel group-Civilians",
            "civilian_targeting": "",
            "iso": 586,
            "region": "Southern Asia",
            "country": "Pakistan",
            "admin1": incidents["province"],
            "admin2": "",
            "admin3": "",
            "location": incidents["place"].str.slice(0, 40),
            "latitude": incidents.geometry.y.round(4),
            "longitude": incidents.geometry.x.round(4),
            "geo_precision": incidents["geo_precision"].map(GEO_PRECISION),
            "source": "Synthetic wire A; Synthetic wire B",
            "source_scale": "National",
            # ACLED's notes open with the date and a comma, so every row has a quoted field.
            "notes": "On "
            + incidents["start"].dt.strftime("%-d %B %Y")
            + ", "
            + incidents["summary"].str.lower(),
            "fatalities": incidents["fatalities_high"].fillna(0).astype("int64"),
            "tags": "",
            "timestamp": 1731370000,
        }
    )


def main(n: int) -> dict[str, object]:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"acled-{n}-{LAYOUT}.csv"
    if not path.exists():
        acled_frame(n).to_csv(path.with_suffix(".partial"), index=False)
        path.with_suffix(".partial").replace(path)
    size = path.stat().st_size
    # One upload may hold 100,000 rows (geo.importers._source.MAX_ROWS, a limit against hostile
    # files); the pipeline itself is measured here on the whole file, with that limit lifted.
    _source.MAX_ROWS = max(_source.MAX_ROWS, n)
    start = time.perf_counter()
    result = import_incidents(path, name=path.name, fmt="acled", max_bytes=size + 1)
    import_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    content_hash(result.incidents)
    hash_ms = (time.perf_counter() - start) * 1000
    return {
        "rows": n,
        "bytes": size,
        "import_ms": import_ms,
        "kept": len(result.incidents),
        "rejected": len(result.rejected),
        "hash_ms": hash_ms,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
