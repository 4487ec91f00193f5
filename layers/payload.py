"""A dataset's incidents as one file the browser fetches once; each selection as a packed mask.

Sending a large selection with every rerun costs the server a payload build and the page a
transfer each time the filters change (42 MB and a minute at a million incidents). Instead,
:func:`publish_payload` writes the compact payload (:func:`layers.incidents.compact_payload`) of
the whole dataset once, gzip-compressed, under ``static/cache/`` with a name derived from the
dataset's content hash, and Streamlit serves it at ``/app/static/cache/...``. A filter change
then sends only which incidents are selected (:func:`selection_mask`: one bit per incident,
125 kB per million, nothing when everything is selected), and the page keeps the decoded
dataset between reruns.

The file is binary (:func:`packed_payload`): the length of a JSON header (4 bytes, little
endian), the header (the compact payload, each typed column's base64 text replaced by where its
bytes are), then the columns' bytes, each starting at a multiple of 8 from the file's start.
The page views those bytes as typed arrays where they are; as base64 in JSON, a million
incidents were 35 MB of text for the page to parse and decode.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd

_ROOT = Path(__file__).resolve().parent.parent
PAYLOAD_DIR = _ROOT / "static" / "cache"
PAYLOAD_URL = "/app/static/cache"
# Part of each file's name, with the code that shapes the payload: a change to either must not
# reuse a file an older version wrote.
PAYLOAD_VERSION = 2
PAYLOAD_CODE = (
    "layers/incidents.py",
    "layers/style.py",
    "geo/flags.py",
    "geo/schema.py",
    "geo/event_table.py",  # the order and content of the event rows a file may hold
    "geo/matching.py",
)
# Files kept; older ones are removed when a new one is written (a page that still needs one
# gets it rebuilt on its next rerun).
KEEP_FILES = 16
# One build at a time in this process: sessions opening the same new dataset together build it
# once (the others find the file written when they get the lock).
_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class SharedPayload:
    """A published dataset payload: where the browser fetches it and how many incidents it has.

    Attributes
    ----------
    url : str
        Path on the app's server (``/app/static/cache/incidents-<key>.bin.gz``).
    count : int
        Incidents in the payload; selections are masks over them, in their order.
    """

    url: str
    count: int


@dataclass(frozen=True)
class PublishedRows:
    """The rows a payload file holds, made only when the file is not there yet.

    Attributes
    ----------
    index : pandas.Index
        Their labels, in the file's order (unique): a selection of them carries the same.
    make : callable
        Returns the rows (a GeoDataFrame with that index).
    """

    index: pd.Index
    make: Callable[[], gpd.GeoDataFrame]

    @classmethod
    def of(cls, frame: gpd.GeoDataFrame) -> PublishedRows:
        """Return the rows of a frame already made."""
        return cls(frame.index, lambda: frame)


@dataclass(frozen=True)
class MaskedSelection:
    """A selection drawn from a published payload, and the few rows it holds beyond it.

    Attributes
    ----------
    payload : SharedPayload
        The published file.
    positions : numpy.ndarray
        Positions of the selected rows in it.
    extra : geopandas.GeoDataFrame or None
        Selected rows the file does not hold (events worked out for this selection alone),
        sent with the map and drawn after the file's rows.
    """

    payload: SharedPayload
    positions: np.ndarray
    extra: gpd.GeoDataFrame | None = None


def payload_name(dataset_key: str, colours: dict[str, str]) -> str:
    """Return the file name for a dataset's payload with these colours.

    Parameters
    ----------
    dataset_key : str
        The dataset's content hash (any text naming its exact content).
    colours : dict
        Colour per group, as the payload records them.

    Returns
    -------
    str
        ``incidents-<24 hex digits>.bin.gz``.
    """
    digest = hashlib.sha256()
    digest.update(f"v{PAYLOAD_VERSION}\0{_code_digest()}\0{dataset_key}\0".encode())
    digest.update(json.dumps(colours, sort_keys=True).encode())
    return f"incidents-{digest.hexdigest()[:24]}.bin.gz"


@functools.cache
def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in PAYLOAD_CODE:
        digest.update((_ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


def publish_payload(
    incidents: gpd.GeoDataFrame | PublishedRows,
    colours: dict[str, str],
    dataset_key: str,
    *,
    directory: Path = PAYLOAD_DIR,
    url_prefix: str = PAYLOAD_URL,
) -> SharedPayload:
    """Write the compact payload of ``incidents`` once and return where the page fetches it.

    The file is named by ``dataset_key`` and the colours, so a second call for the same dataset
    (from any session, or after a restart) only checks that it is there. It is written to a
    temporary file and renamed, so a page never reads half a file.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame or PublishedRows
        Every incident of the dataset, in the order selections refer to (made only when the
        file is missing, when given as :class:`PublishedRows`).
    colours : dict
        Colour per canonical group.
    dataset_key : str
        The dataset's content hash.
    directory : pathlib.Path
        Where the files are kept (served by Streamlit as ``url_prefix``).
    url_prefix : str
        The URL path of ``directory``.

    Returns
    -------
    SharedPayload
    """
    rows = incidents if isinstance(incidents, PublishedRows) else PublishedRows.of(incidents)
    name = payload_name(dataset_key, colours)
    path = directory / name
    with _BUILD_LOCK:
        if not path.exists():
            _write_payload(rows.make(), colours, path)
    return SharedPayload(url=f"{url_prefix}/{name}", count=len(rows.index))


def is_published(
    dataset_key: str, colours: dict[str, str], *, directory: Path = PAYLOAD_DIR
) -> bool:
    """Return whether :func:`publish_payload` would only find its file (nothing to build)."""
    return (directory / payload_name(dataset_key, colours)).exists()


@contextmanager
def served_file(path: Path) -> Iterator[BinaryIO]:
    """Write a file the app serves, atomically: a page never fetches half of it.

    Yields a binary file in ``path``'s folder (created if missing); when the block ends, the
    file becomes ``path`` (readable by the web server). If the block raises, nothing is left.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the web server only reads it
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_payload(incidents: gpd.GeoDataFrame, colours: dict[str, str], path: Path) -> None:
    # Imported here: layers.incidents imports this module for the layer's selection mask.
    from layers.incidents import compact_payload

    data = packed_payload(compact_payload(incidents, colours))
    # Compressed once here: the server would otherwise gzip it on every request (1.3 s at a
    # million incidents); the page decompresses it with DecompressionStream.
    with (
        served_file(path) as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out,
    ):
        out.writelines(data)
    _remove_old_payloads(path.parent, keep=path)


ALIGN = 8  # typed arrays view their bytes only at a multiple of their element size


def packed_payload(payload: dict[str, object]) -> list[bytes]:
    """Return a compact payload as the parts of the published file, in order (see above).

    Parameters
    ----------
    payload : dict
        :func:`layers.incidents.compact_payload`: a typed column is ``{"int": kind,
        "offset": n, "data": base64}``.

    Returns
    -------
    list of bytes
        The header's length and the header, then each column's bytes; every part is padded
        to a multiple of :data:`ALIGN` bytes. In the header a typed column reads ``{"int":
        kind, "offset": n, "at": start, "bytes": length}``, ``start`` counted from the end of
        the padded header.
    """
    # Imported here: layers.incidents imports this module for the layer's selection mask.
    from layers.incidents import escaped_json

    columns: list[bytes] = []
    size = 0

    def moved(value: object) -> object:
        nonlocal size
        if isinstance(value, list | tuple):
            return [moved(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "int" not in value or "data" not in value:
            return {key: moved(item) for key, item in value.items()}
        data = base64.b64decode(value["data"])
        columns.append(data + bytes(-len(data) % ALIGN))
        at, size = size, size + len(columns[-1])
        return {"int": value["int"], "offset": value["offset"], "at": at, "bytes": len(data)}

    header = escaped_json(moved(payload)).encode("utf-8")
    start = len(header).to_bytes(4, "little") + header
    return [start + bytes(-len(start) % ALIGN), *columns]


def _remove_old_payloads(directory: Path, *, keep: Path) -> None:
    """Keep the newest :data:`KEEP_FILES` payload files (and ``keep``), remove the rest.

    Files of an earlier format (``.json.gz``) count among them, so they go too.
    """
    files = sorted(directory.glob("incidents-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        if old != keep:
            old.unlink(missing_ok=True)


def selection_mask(positions: np.ndarray, count: int) -> str | None:
    """Encode which of ``count`` incidents are selected as packed bits in base64.

    Parameters
    ----------
    positions : numpy.ndarray
        Positions (0 to ``count - 1``) of the selected incidents in the published payload.
    count : int
        Incidents in the payload.

    Returns
    -------
    str or None
        Base64 of :func:`numpy.packbits` (most significant bit first), or None when every
        incident is selected.

    Raises
    ------
    ValueError
        When a position is outside the payload.
    """
    positions = np.asarray(positions, dtype=np.int64)
    if len(positions) and (positions.min() < 0 or positions.max() >= count):
        low, high = positions.min(), positions.max()
        msg = f"selection positions must be within 0-{count - 1}, got {low}-{high}"
        raise ValueError(msg)
    bits = np.zeros(count, dtype=bool)
    bits[positions] = True
    if bits.all():
        return None
    return base64.b64encode(np.packbits(bits).tobytes()).decode("ascii")


def positions_in(
    dataset_incidents: gpd.GeoDataFrame, selected: gpd.GeoDataFrame
) -> np.ndarray | None:
    """Return the positions of ``selected``'s rows in the dataset, or None if they are not its rows.

    Parameters
    ----------
    dataset_incidents : geopandas.GeoDataFrame
        The published dataset.
    selected : geopandas.GeoDataFrame
        Rows taken from it (same index labels).

    Returns
    -------
    numpy.ndarray or None
        None when the dataset's index is not unique or a selected row is not in it (such as a
        frame of matched events), so the caller sends the selection itself instead.
    """
    if selected is dataset_incidents:
        return np.arange(len(dataset_incidents))
    split = split_rows(dataset_incidents.index, selected, max_extra=0)
    return None if split is None else split[0]


def split_rows(
    published: pd.Index, selected: gpd.GeoDataFrame, max_extra: int
) -> tuple[np.ndarray, gpd.GeoDataFrame | None] | None:
    """Return the positions of ``selected``'s rows in ``published`` and the rows not in it.

    Parameters
    ----------
    published : pandas.Index
        The labels of the rows a payload was published from (:attr:`PublishedRows.index`).
    selected : geopandas.GeoDataFrame
        Rows taken from it (same index labels), and perhaps a few others with labels it does
        not use.
    max_extra : int
        Most rows outside ``published`` worth sending beside a mask over it.

    Returns
    -------
    tuple or None
        ``(positions, extra)`` with ``extra`` None when every row is in ``published``; None
        when more than ``max_extra`` rows are not in it, or ``published``'s labels are not
        unique.
    """
    split = split_labels(published, selected.index, max_extra)
    if split is None:
        return None
    positions, outside = split
    return positions, None if outside is None else selected.iloc[outside]


def split_labels(
    published: pd.Index, labels: pd.Index, max_extra: int
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Return where ``labels`` are in ``published``, and which of them are not there.

    As :func:`split_rows`, from the labels alone (a :class:`geo.selection.Rows` copies the few
    rows outside when they are sent).

    Returns
    -------
    tuple or None
        ``(positions, outside)``: the positions in ``published`` of the labels found there,
        and the positions among ``labels`` of those that are not (None when every label is
        found); None when more than ``max_extra`` are not found, or ``published``'s labels are
        not unique.
    """
    if not published.is_unique:
        return None
    found = published.get_indexer(labels)
    outside = found < 0
    count = int(outside.sum())
    if count == 0:
        return found, None
    if count > max_extra:
        return None
    return found[~outside], np.flatnonzero(outside)
