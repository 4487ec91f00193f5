"""Incidents as GeoJSON text, encoded column by column with Arrow string kernels.

Writing a feature per row with :func:`json.dumps` costs seconds per hundred thousand incidents.
Here every column is turned into JSON literals at once (strings escaped only where they need it,
numbers and timestamps formatted by NumPy/Arrow, sources through an Arrow ``list<struct>``), and
the literals are joined into one feature per row. The text is byte for byte what
``json.dumps(feature, ensure_ascii=False, separators=..., sort_keys=...)`` writes for the same
feature as :func:`geo.export.incident_features` builds it, so hashes over it do not change.

Anything these kernels cannot encode exactly (a text column holding numbers, an irregular source
record, a non-point geometry) makes :func:`feature_texts` return ``None``; callers then use the
row-by-row path, which stays the reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo.schema import COUNT_COLUMNS, CRS, DATETIME_COLUMNS, INCIDENT_COLUMNS, SOURCE_KEYS

COORDINATE_DECIMALS = 6
PROPERTY_COLUMNS = tuple(c for c in INCIDENT_COLUMNS if c != "geometry")
# Characters json.dumps(ensure_ascii=False) escapes: the quote, the backslash and controls.
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'


@dataclass(frozen=True)
class JsonStyle:
    """How the JSON is laid out: the separators and whether object keys are sorted."""

    item_separator: str
    key_separator: str
    sort_keys: bool


# json.dumps defaults with sort_keys=True: the layout the content hash has always used.
HASH_STYLE = JsonStyle(", ", ": ", sort_keys=True)
# Compact, keys in schema order: snapshots (smaller, and still plain GeoJSON).
COMPACT_STYLE = JsonStyle(",", ":", sort_keys=False)


class NotEncodable(ValueError):
    """A value the column kernels cannot encode exactly; use the row-by-row path."""


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _join(pieces: list[pa.Array | str], length: int) -> pa.Array:
    """Concatenate string arrays and literal strings element-wise (no separator)."""
    arrays = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in pieces]
    if not any(isinstance(p, pa.Array) for p in arrays):
        arrays.append(pa.array([""] * length, pa.large_string()))
    return pc.binary_join_element_wise(*arrays, _text(""))


def json_strings(values: pd.Series | pa.Array) -> pa.Array:
    """Return JSON string literals for a text column; missing values become ``null``.

    Parameters
    ----------
    values : pandas.Series or pyarrow.Array
        Strings (or missing values).

    Returns
    -------
    pyarrow.Array
        ``large_string`` JSON literals, exactly as ``json.dumps(value, ensure_ascii=False)``.

    Raises
    ------
    NotEncodable
        If a value is not a string.
    """
    try:
        array = values if isinstance(values, pa.Array) else pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise NotEncodable(str(error)) from error
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_null(array.type):
        array = array.cast(pa.large_string())
    # Columns repeat a few values (provinces, groups, precisions): encode each distinct one once.
    # A categorical column (geo.compact) arrives with its distinct values already.
    encoded = array if pa.types.is_dictionary(array.type) else None
    value_type = encoded.type.value_type if encoded is not None else array.type
    if not (pa.types.is_string(value_type) or pa.types.is_large_string(value_type)):
        msg = f"text column holds {array.type}, not strings"
        raise NotEncodable(msg)
    if encoded is None:
        encoded = pc.dictionary_encode(array.cast(pa.large_string()))
    values = encoded.dictionary.cast(pa.large_string())
    quoted = _join(['"', values, '"'], len(values))
    escape = pc.match_substring_regex(values, _NEEDS_ESCAPE)
    positions = np.flatnonzero(escape.to_numpy(zero_copy_only=False))
    if len(positions):
        escaped = [json.dumps(v, ensure_ascii=False) for v in values.take(positions).to_pylist()]
        quoted = pc.replace_with_mask(quoted, escape, pa.array(escaped, pa.large_string()))
    return pc.fill_null(quoted.take(encoded.indices), "null")


def json_integers(values: pd.Series) -> pa.Array:
    """Return JSON numbers for an integer column (nullable); missing values become ``null``."""
    array = pa.array(values, from_pandas=True)
    if not pa.types.is_integer(array.type) and not pa.types.is_null(array.type):
        msg = f"count column holds {array.type}, not integers"
        raise NotEncodable(msg)
    return pc.fill_null(array.cast(pa.large_string()), "null")


def json_timestamps(values: pd.Series) -> pa.Array:
    """Return ISO 8601 strings (as ``Timestamp.isoformat``) for a naive datetime column."""
    if not pd.api.types.is_datetime64_dtype(values):
        msg = f"datetime column has dtype {values.dtype}"
        raise NotEncodable(msg)
    stamps = values.to_numpy(dtype="datetime64[ns]")
    seconds = stamps.astype("datetime64[s]")
    if (stamps != seconds.astype("datetime64[ns]"))[~np.isnat(stamps)].any():
        msg = "datetime column has fractions of seconds"
        raise NotEncodable(msg)
    text = pa.array(seconds.astype(str), pa.large_string())
    literals = _join(['"', text, '"'], len(text))
    return pc.if_else(pa.array(np.isnat(stamps)), _text("null"), literals)


def json_coordinates(geometry: gpd.GeoSeries) -> tuple[pa.Array, pa.Array]:
    """Return the x and y of points rounded as ``round(value, 6)`` and written as ``repr``."""
    kinds = shapely.get_type_id(np.asarray(geometry.array, dtype=object))
    if len(kinds) and ((kinds != 0).any() or shapely.is_empty(geometry.array).any()):
        msg = "geometries that are not points"
        raise NotEncodable(msg)
    out = []
    for values in (shapely.get_x(geometry.array), shapely.get_y(geometry.array)):
        rounded = np.round(values, COORDINATE_DECIMALS)
        # np.round scales and rounds half to even; Python's round is exact. They can differ only
        # next to a half step, so those few values are rounded by Python.
        scaled = values * 10**COORDINATE_DECIMALS
        near_half = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6
        for position in np.flatnonzero(near_half):
            rounded[position] = round(float(values[position]), COORDINATE_DECIMALS)
        # NumPy writes floats the way Python's repr does (shortest round trip).
        out.append(pa.array(rounded.astype(str), pa.large_string()))
    return out[0], out[1]


def json_sources(values: pd.Series, style: JsonStyle) -> pa.Array:
    """Return JSON arrays of source records (dicts of strings) for the ``sources`` column.

    Raises
    ------
    NotEncodable
        If a cell is not a list of dicts of strings.
    """
    rows = values.tolist()
    if not all(isinstance(cell, list) for cell in rows):
        msg = "sources cell that is not a list"
        raise NotEncodable(msg)
    # Rows often share their records (a dataset read from a file shares equal lists; generated
    # rows share dicts): encode each distinct sequence of record objects once. Records are
    # never changed in place, so the same objects mean the same text.
    codes, cells = _distinct_cells(rows)
    return _encode_cells(cells, style).take(pa.array(codes))


def _distinct_cells(rows: list[list]) -> tuple[np.ndarray, list[list]]:
    """Codes of each row's sequence of record objects (by identity), and one row per code."""
    seen: dict[tuple[int, ...], int] = {}
    codes = np.fromiter(
        (seen.setdefault(tuple(map(id, cell)), len(seen)) for cell in rows), np.int64, len(rows)
    )
    first = np.full(len(seen), -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(rows) - 1, -1, -1)
    return codes, [rows[position] for position in first]


def _encode_cells(cells: list[list], style: JsonStyle) -> pa.Array:
    """JSON arrays of the records in each cell (see :func:`json_sources`)."""
    flat = list(chain.from_iterable(cells))
    if not all(type(record) is dict for record in flat):
        msg = "source entry that is not a dict"
        raise NotEncodable(msg)
    try:
        entries = pa.array(flat) if flat else pa.array([], pa.struct([]))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise NotEncodable(str(error)) from error
    names = [field.name for field in entries.type]
    order = sorted(names) if style.sort_keys else sorted(names, key=_source_key_rank)
    pieces, present = [], np.zeros(len(flat), dtype=np.int64)
    for name in order:
        field = pc.struct_field(entries, name)
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            msg = f"source field {name!r} holds {field.type}, not strings"
            raise NotEncodable(msg)
        valid = pc.is_valid(field)
        present += valid.to_numpy(zero_copy_only=False)
        key = json.dumps(name, ensure_ascii=False) + style.key_separator
        literal = _join([key, json_strings(field)], len(field))
        pieces.append(pc.if_else(valid, literal, pa.scalar(None, pa.large_string())))
    # A key holding None and a missing key both arrive as null: tell them apart by the key count.
    if (present != np.fromiter((len(r) for r in flat), np.int64, len(flat))).any():
        msg = "source record with a missing (None) value"
        raise NotEncodable(msg)
    if pieces:
        bodies = pc.binary_join_element_wise(
            *pieces, _text(style.item_separator), null_handling="skip"
        )
    else:
        bodies = pa.array([""] * len(flat), pa.large_string())
    objects = _join(["{", bodies, "}"], len(flat))
    offsets = np.zeros(len(cells) + 1, dtype=np.int64)
    np.cumsum([len(cell) for cell in cells], out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), objects)
    return _join(["[", pc.binary_join(lists, _text(style.item_separator)), "]"], len(cells))


def _source_key_rank(name: str) -> tuple[int, str]:
    return (SOURCE_KEYS.index(name) if name in SOURCE_KEYS else len(SOURCE_KEYS), name)


def property_literals(incidents: pd.DataFrame, style: JsonStyle) -> dict[str, pa.Array]:
    """Return the JSON literal of every property column, keyed by column name."""
    literals = {}
    for column in PROPERTY_COLUMNS:
        values = incidents[column]
        if column in COUNT_COLUMNS:
            literals[column] = json_integers(values)
        elif column in DATETIME_COLUMNS:
            literals[column] = json_timestamps(values)
        elif column == "sources":
            literals[column] = json_sources(values, style)
        else:
            literals[column] = json_strings(values)
    return literals


def feature_texts(incidents: gpd.GeoDataFrame, style: JsonStyle) -> pa.Array | None:
    """Return one GeoJSON Feature per incident as JSON text, or None when not encodable here.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents in the schema (extra columns are left out).
    style : JsonStyle
        Separators and key order.

    Returns
    -------
    pyarrow.Array or None
        ``large_string`` texts, one per row, in row order; None when a value needs the
        row-by-row encoder (see the module docstring).
    """
    if incidents.crs is not None and incidents.crs != CRS:
        incidents = incidents.to_crs(CRS)
    try:
        literals = property_literals(incidents, style)
        x, y = json_coordinates(incidents.geometry)
    except NotEncodable:
        return None
    items, keys = style.item_separator, style.key_separator

    def key(name: str) -> str:
        return json.dumps(name) + keys

    names = sorted(literals) if style.sort_keys else list(literals)
    properties: list[pa.Array | str] = ["{"]
    for number, name in enumerate(names):
        properties += [(items if number else "") + key(name), literals[name]]
    properties.append("}")
    geometry: list[pa.Array | str] = [
        "{" + key("coordinates") + "[",
        x,
        items,
        y,
        "]" + items + key("type") + '"Point"}',
    ]
    members = {
        "type": ['"Feature"'],
        "id": [literals["incident_id"]],
        "geometry": geometry,
        "properties": properties,
    }
    order = sorted(members) if style.sort_keys else list(members)
    pieces: list[pa.Array | str] = ["{"]
    for number, name in enumerate(order):
        pieces.append((items if number else "") + key(name))
        pieces += members[name]
    pieces.append("}")
    return _join(pieces, len(incidents))


def joined_chunks(texts: pa.Array, separator: str) -> Iterator[bytes]:
    """Yield the UTF-8 bytes of ``separator.join(texts)`` in pieces (no copy of the whole)."""
    glue = separator.encode()
    first = True
    for start in range(0, len(texts), 20_000):
        part = texts.slice(start, 20_000)
        joined = pc.binary_join(
            pa.LargeListArray.from_arrays(pa.array([0, len(part)], pa.int64()), part),
            _text(separator),
        )
        text = joined[0].as_buffer()
        yield (b"" if first else glue) + text.to_pybytes()
        first = False
