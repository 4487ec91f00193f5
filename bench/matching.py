"""Matching benchmark: ``python -m bench.matching [--sizes 10000,100000] [--labelled]``.

For each size N, two synthetic datasets of N incidents each (never real data, ``geo.synthetic``):
"A" as generated, and "B" where half the rows re-report rows of A the way another dataset would
(the point moved within the location windows, the date by up to a day, the precision coarsened,
the group sometimes unnamed, the type sometimes reported at a coarser grain) and the other half
are other synthetic incidents. Measured in this process: candidate generation, comparison and
clustering (:func:`geo.matching.match_incidents`), the candidates per row, and precision and
recall of the pairs against the known re-reports. Beside it, the straightforward alternative
(every pair of rows compared on time and distance with numpy broadcasting) is timed on a
sample and extrapolated, as the ratio a reader wants: how much all-pairs would cost.

``--labelled`` instead scores the hand-labelled fixture (``tests/fixtures/matching``) against
the bundled incidents, as ``docs/matching.md`` reports.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points

from geo.io import load_bundled
from geo.matching import MatchSettings, match_incidents
from geo.schema import METRIC_CRS
from geo.synthetic import synthetic_incidents

ROOT = Path(__file__).resolve().parents[1]
PRECISION_COARSER = {"exact": "near", "near": "district", "district": "district", "hour": "day"}
SHIFT_M = {"exact": 1_000.0, "near": 5_000.0, "district": 30_000.0, "province": 100_000.0}


def rereported(source: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """Return ``source`` as another dataset would report it (see module doc)."""
    rng = np.random.default_rng(seed)
    out = source.copy()
    n = len(out)
    precision = out["geo_precision"].map(lambda p: PRECISION_COARSER.get(p, p))
    shift = precision.map(SHIFT_M).to_numpy() * rng.uniform(0, 1, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    metric = out.geometry.to_crs(METRIC_CRS)
    moved = points(metric.x + shift * np.cos(angle), metric.y + shift * np.sin(angle))
    out["geometry"] = gpd.GeoSeries(moved, crs=METRIC_CRS).to_crs(out.crs).to_numpy()
    out["geo_precision"] = precision
    days = pd.to_timedelta(rng.integers(-1, 2, n) * (rng.uniform(0, 1, n) < 0.3), unit="D")
    out["start"] = out["start"].dt.floor("D") + days
    out["end"] = out["start"] + pd.Timedelta(hours=23, minutes=59, seconds=59)
    out["date_precision"] = "day"
    unnamed = rng.uniform(0, 1, n) < 0.2
    out.loc[unnamed, "groups"] = "Unidentified"
    coarse = rng.uniform(0, 1, n) < 0.3
    out.loc[coarse, "sub_event_type"] = ""
    return out


def datasets(n: int) -> tuple[gpd.GeoDataFrame, set[tuple[str, str]]]:
    """Return A and B together (``dataset`` tells them apart) and the true pairs."""
    bundle = load_bundled()
    first = synthetic_incidents(n, seed=1, bundle=bundle).assign(dataset="A")
    first["incident_id"] = "A-" + first["incident_id"]
    half = n // 2
    copies = rereported(first.iloc[:half], seed=2).assign(dataset="B")
    copies["incident_id"] = "B-" + first["incident_id"].iloc[:half].to_numpy()
    others = synthetic_incidents(n - half, seed=3, bundle=bundle).assign(dataset="B")
    others["incident_id"] = "B-other-" + others["incident_id"]
    both = pd.concat([first, copies, others], ignore_index=True)
    truth = set(zip(first["incident_id"].iloc[:half], copies["incident_id"], strict=True))
    return gpd.GeoDataFrame(both, geometry="geometry", crs=first.crs), truth


def all_pairs_seconds(incidents: gpd.GeoDataFrame, sample: int = 2_000) -> float:
    """Time every pair of ``sample`` rows on time and distance; extrapolate to all rows."""
    metric = incidents.geometry.to_crs(METRIC_CRS)
    x, y = metric.x.to_numpy(), metric.y.to_numpy()
    day = incidents["start"].to_numpy("datetime64[D]").astype("int64")
    take = np.random.default_rng(0).choice(len(incidents), size=sample, replace=False)
    began = time.perf_counter()
    for row in take:
        near = np.hypot(x - x[row], y - y[row]) < 100_000
        _ = near & (np.abs(day - day[row]) <= 1)
    per_row = (time.perf_counter() - began) / sample
    return per_row * len(incidents) / 2


def run_size(n: int) -> str:
    """Benchmark one size and return its report line."""
    began = time.perf_counter()
    incidents, truth = datasets(n)
    generated = time.perf_counter() - began
    began, cpu = time.perf_counter(), time.process_time()
    result = match_incidents(incidents)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    found = set(zip(result.pairs["first_id"], result.pairs["second_id"], strict=True))
    found = {tuple(sorted(p)) for p in found}
    true_found = len(found & truth)
    precision = true_found / len(found) if found else float("nan")
    recall = true_found / len(truth) if truth else float("nan")
    brute = all_pairs_seconds(incidents)
    return (
        f"MATCH n={n:,}x{n:,} seconds={seconds:.1f} cpu_seconds={cpu:.1f} "
        f"(data generated in {generated:.1f} s; load average {os.getloadavg()[0]:.1f}) "
        f"candidates={result.candidates:,} ({result.candidates / (2 * n):.1f} per row) "
        f"events={result.events:,} reports={result.reports:,} "
        f"pair_precision={precision:.3f} pair_recall={recall:.3f} "
        f"all_pairs_time_and_distance_only_seconds~{brute:,.0f} "
        f"ratio_all_pairs_over_ours~{brute / seconds:,.0f}x"
    )


SWEEP = {
    "defaults": {},
    "tolerance 0 days": {"tolerance_days": 0},
    "tolerance 2 days": {"tolerance_days": 2},
    "radii halved": {"radius_km": {k: v / 2 for k, v in MatchSettings().radius_km.items()}},
    "radii doubled": {"radius_km": {k: v * 2 for k, v in MatchSettings().radius_km.items()}},
    "threshold 0.5": {"threshold": 0.5},
    "threshold 0.7": {"threshold": 0.7},
}


def sweep(n: int) -> list[str]:
    """Precision, recall and candidates at the defaults and with each window changed."""
    incidents, truth = datasets(n)
    lines = []
    for label, change in SWEEP.items():
        result = match_incidents(incidents, settings=MatchSettings(**change))
        ids = zip(result.pairs["first_id"], result.pairs["second_id"], strict=True)
        found = {tuple(sorted(p)) for p in ids}
        correct = len(found & truth)
        lines.append(
            f"SWEEP n={n:,} {label}: candidates={result.candidates:,} "
            f"pair_precision={correct / max(len(found), 1):.3f} "
            f"pair_recall={correct / len(truth):.3f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per size."""
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--labelled", action="store_true", help="score the labelled fixture")
    parser.add_argument("--sweep", type=int, help="precision/recall per setting at this size")
    args = parser.parse_args(argv)
    if args.sweep:
        print("\n".join(sweep(args.sweep)))
        return 0
    if args.labelled:
        from geo.matching_eval import evaluate_labelled

        print(evaluate_labelled(MatchSettings()).report())
        return 0
    for size in (int(s) for s in args.sizes.split(",")):
        print(run_size(size), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
