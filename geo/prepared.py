"""Incidents prepared once: validated, hashed and enriched, stored as GeoParquet for next time.

Enriching a million incidents against the provinces and the rail network, and hashing their
content, take tens of seconds; reading them back from a columnar file takes a few. So the first
time a file (or a synthetic dataset) is opened, the prepared incidents (the schema's columns plus
the enrichment columns of :func:`geo.analysis.enrich`) are written to the cache folder with
their content hash, keyed on:

- the input: the SHA-256 of the file's bytes (or the synthetic generator's version, ``n`` and
  seed), so an edited file is prepared again;
- the enrichment: the SHA-256 of the bundled layers it reads and of the code that computes it
  (:data:`ENRICHMENT_SOURCES`), so a corrected railway or province layer is never answered from
  an old cache.

The cache folder is ``$RAIL_INCIDENTS_CACHE`` or ``~/.cache/rail-incident-dashboard``; deleting
it is always safe.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geo.analysis import enrich
from geo.compact import compact_text
from geo.export import content_hash
from geo.io import DATA_DIR, BundledData
from geo.parquet import ParquetFileError, read_incidents_parquet, write_incidents_parquet
from geo.schema import conform, validate_incidents
from geo.synthetic import synthetic_hash, synthetic_incidents

PREPARED_VERSION = "3"  # 3: repeated text held as categories (geo.compact)
CODE_DIR = Path(__file__).resolve().parent
ENRICHMENT_SOURCES = (
    DATA_DIR / "provinces.geojson",
    DATA_DIR / "rail_lines.geojson",
    DATA_DIR / "rail_stations.geojson",
    DATA_DIR / "incident_rail_sites.csv",
    CODE_DIR / "analysis.py",
    CODE_DIR / "compact.py",
    CODE_DIR / "flags.py",
    CODE_DIR / "railway.py",
    CODE_DIR / "schema.py",
    CODE_DIR / "synthetic.py",
)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Enriched incidents and the content hash of the incidents as given (before enrichment)."""

    incidents: gpd.GeoDataFrame
    content_hash: str
    cache_path: Path | None
    from_cache: bool


def cache_dir() -> Path:
    """Return the folder prepared datasets are kept in (created when missing)."""
    folder = Path(os.environ.get("RAIL_INCIDENTS_CACHE") or Path.home() / ".cache")
    if "RAIL_INCIDENTS_CACHE" not in os.environ:
        folder = folder / "rail-incident-dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def enrichment_key() -> str:
    """Return a digest of everything enrichment depends on (bundled layers and code)."""
    digest = hashlib.sha256(f"prepared v{PREPARED_VERSION}".encode())
    for path in ENRICHMENT_SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file's bytes, read in 8 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def _cached(path: Path, key: str) -> Prepared | None:
    """Read a prepared dataset when ``path`` holds one for ``key`` (else None)."""
    if not path.exists():
        return None
    try:
        incidents, metadata = read_incidents_parquet(path)
    except ParquetFileError:
        return None
    if metadata.get("prepared_key") != key or "content_hash" not in metadata:
        return None
    return Prepared(incidents, metadata["content_hash"], path, from_cache=True)


def _prepare(
    incidents: gpd.GeoDataFrame,
    bundle: BundledData,
    path: Path,
    key: str,
    incidents_hash: str,
    stale_pattern: str,
) -> Prepared:
    enriched = enrich(
        incidents, bundle.provinces, bundle.rail_lines, bundle.stations, bundle.rail_sites
    )
    # Written as dictionary columns, read back as categories: never a string per row in memory.
    enriched = compact_text(enriched)
    partial = path.with_name(path.name + f".{os.getpid()}.partial")
    write_incidents_parquet(
        enriched,
        partial,
        {"prepared_key": key, "content_hash": incidents_hash},
        geometry_encoding="point",
    )
    partial.replace(path)  # atomic: another process never reads half a file
    for stale in path.parent.glob(stale_pattern):
        if stale != path:
            stale.unlink(missing_ok=True)  # prepared under an older key: never read again
    return Prepared(enriched, incidents_hash, path, from_cache=False)


def prepared_incidents(
    identity: str,
    name: str,
    bundle: BundledData,
    load: Callable[[], gpd.GeoDataFrame | None],
    incidents_hash: Callable[[gpd.GeoDataFrame], str] = content_hash,
) -> Prepared | None:
    """Return the incidents ``identity`` names, enriched, from the cache when prepared before.

    Parameters
    ----------
    identity : str
        Names the incidents' content exactly (a generator's version and seed, a store's
        identity and revision, ...): the cache answers for it until the enrichment changes.
    name : str
        Start of the cache file's name; older preparations under the same name are removed.
    bundle : BundledData
        The bundled layers.
    load : callable
        Returns the incidents (schema columns), or None when there are none to prepare;
        called only when the cache holds nothing for ``identity``.
    incidents_hash : callable, optional
        The content hash of loaded incidents (:func:`geo.export.content_hash` by default).

    Returns
    -------
    Prepared or None
        None when ``load`` returned None.
    """
    key = hashlib.sha256(f"{identity} {enrichment_key()}".encode()).hexdigest()
    path = cache_dir() / f"{name}-{key[:16]}.parquet"
    found = _cached(path, key)
    if found is not None:
        return found
    incidents = load()
    if incidents is None:
        return None
    return _prepare(incidents, bundle, path, key, incidents_hash(incidents), f"{name}-*.parquet")


def prepared_synthetic(n: int, seed: int, bundle: BundledData) -> Prepared:
    """Return ``n`` synthetic incidents (:mod:`geo.synthetic`), enriched, from the cache if there.

    Parameters
    ----------
    n, seed : int
        As for :func:`geo.synthetic.synthetic_incidents`.
    bundle : BundledData
        The bundled layers.

    Returns
    -------
    Prepared
        ``content_hash`` is :func:`geo.synthetic.synthetic_hash` (the generator's identity).
    """
    identity = synthetic_hash(n, seed)
    prepared = prepared_incidents(
        identity,
        f"synthetic-{n}-{seed}",
        bundle,
        lambda: synthetic_incidents(n, seed=seed, bundle=bundle),
        lambda _incidents: identity,
    )
    assert prepared is not None  # the generator always gives incidents
    return prepared


def prepared_file(path: str | Path, bundle: BundledData) -> Prepared:
    """Return the incidents of a GeoParquet file in the schema, validated and enriched.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoParquet file with the schema's columns (as written by
        :func:`geo.parquet.write_incidents_parquet`, a snapshot, or ``python -m geo convert``).
    bundle : BundledData
        The bundled layers.

    Returns
    -------
    Prepared

    Raises
    ------
    geo.parquet.ParquetFileError
        If the file is not GeoParquet with the schema's columns.
    geo.schema.IncidentValidationError
        Listing every invalid value.
    """
    path = Path(path)
    key = hashlib.sha256(f"{file_digest(path)} {enrichment_key()}".encode()).hexdigest()
    cached_path = cache_dir() / f"file-{key[:24]}.parquet"
    found = _cached(cached_path, key)
    if found is not None:
        return found
    incidents, _ = read_incidents_parquet(path)
    incidents = validate_incidents(conform(incidents), origin=path.name)
    # Files are keyed on their bytes, so an older preparation of this path cannot be told from
    # another file's: none is removed (deleting the cache folder is always safe).
    return _prepare(incidents, bundle, cached_path, key, content_hash(incidents), cached_path.name)
