"""Read the bundled layers into validated GeoDataFrames in EPSG:4326 (pyogrio engine).

Every reader names the file and the problem when it fails: a missing or unreadable file, a layer
without a CRS (never guessed), missing columns, wrong or invalid geometries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from geo.groups import GroupRegistry
from geo.railway import RAIL_SITE_COLUMNS
from geo.schema import (
    CRS,
    SOURCE_KEYS,
    IncidentValidationError,
    Problem,
    conform,
    validate_incidents,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


class DataFileError(ValueError):
    """A data file that cannot be used, with the file's name in the message."""


def read_vector(
    path: str | Path,
    *,
    required_columns: Iterable[str] = (),
    geometry_types: Iterable[str] | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector file with pyogrio, check it, and return it in EPSG:4326.

    Parameters
    ----------
    path : str or pathlib.Path
        GeoJSON, GeoPackage or any format GDAL reads.
    required_columns : iterable of str
        Attribute columns that must be present.
    geometry_types : iterable of str, optional
        Allowed geometry types (e.g. ``{"Polygon", "MultiPolygon"}``).
    layer : str or int, optional
        Layer of a multi-layer source.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326.

    Raises
    ------
    DataFileError
        If the file is missing or unreadable, has no CRS, lacks a column, or has a geometry of
        the wrong type, empty or invalid.
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found"
        raise DataFileError(msg)
    try:
        frame = gpd.read_file(path, engine="pyogrio", layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        msg = f"{path}: not a readable vector file ({error})"
        raise DataFileError(msg) from error
    if frame.crs is None:
        msg = f"{path}: has no CRS; expected one (e.g. EPSG:4326), not guessing"
        raise DataFileError(msg)
    missing = [column for column in required_columns if column not in frame.columns]
    if missing:
        msg = f"{path}: missing column(s) {missing}; found {list(frame.columns)}"
        raise DataFileError(msg)
    _check_geometries(frame, path, geometry_types)
    return frame.to_crs(CRS)


def _check_geometries(
    frame: gpd.GeoDataFrame, path: Path, geometry_types: Iterable[str] | None
) -> None:
    """Raise one DataFileError listing every bad geometry of a layer."""
    problems = []
    allowed = set(geometry_types) if geometry_types else None
    for position, geometry in enumerate(frame.geometry):
        if geometry is None or geometry.is_empty:
            problems.append(f"feature {position}: empty geometry")
        elif allowed and geometry.geom_type not in allowed:
            problems.append(
                f"feature {position}: {geometry.geom_type} where {sorted(allowed)} expected"
            )
        elif not geometry.is_valid:
            problems.append(f"feature {position}: invalid {geometry.geom_type}")
    if problems:
        msg = f"{path}: " + "; ".join(problems)
        raise DataFileError(msg)


def load_provinces(path: str | Path = DATA_DIR / "provinces.geojson") -> gpd.GeoDataFrame:
    """Read the provinces and territories layer (name, ISO 3166-2 code, type, polygon)."""
    return read_vector(
        path,
        required_columns=("name", "iso_3166_2", "type"),
        geometry_types=("Polygon", "MultiPolygon"),
    )


def load_rail_lines(path: str | Path = DATA_DIR / "rail_lines.geojson") -> gpd.GeoDataFrame:
    """Read the drawn rail lines (one LineString per line)."""
    return read_vector(path, required_columns=("line",), geometry_types=("LineString",))


def load_stations(path: str | Path = DATA_DIR / "rail_stations.geojson") -> gpd.GeoDataFrame:
    """Read the rail stations (name, line, km post, how each was placed)."""
    return read_vector(
        path,
        required_columns=("line", "seq", "station", "km", "placement"),
        geometry_types=("Point",),
    )


def parse_timestamps(
    values: pd.Series, *, column: str, end_of_day: bool, row_offset: int = 2
) -> tuple[pd.Series, list[Problem]]:
    """Parse ISO dates or date-times, reporting every value that is not one.

    Parameters
    ----------
    values : pandas.Series
        Strings such as ``"2025-03-11"`` or ``"2025-03-11T13:00"``.
    column : str
        Column name for error messages.
    end_of_day : bool
        Turn a bare date into its last second (for interval ends).
    row_offset : int
        Added to the position to give the file's line number (2 for a CSV with a header).

    Returns
    -------
    tuple of (pandas.Series, list of Problem)
        Timestamps (NaT where unparseable) and the problems found.
    """
    text = values.fillna("").astype(str).str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    problems = [
        Problem(position + row_offset, column, value, "is not a date (expected YYYY-MM-DD)")
        for position, (value, stamp) in enumerate(zip(text, parsed, strict=True))
        if pd.isna(stamp)
    ]
    if end_of_day:
        bare_date = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        parsed = parsed.where(~bare_date, parsed + pd.Timedelta(days=1) - pd.Timedelta(seconds=1))
    return parsed, problems


def read_sources(path: str | Path) -> dict[str, list[dict[str, str]]]:
    """Read the one-row-per-source table into ``{incident_id: [source, ...]}``."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("incident_id", *SOURCE_KEYS) if c not in table.columns]
    if missing:
        msg = f"{path}: missing column(s) {missing}"
        raise DataFileError(msg)
    sources: dict[str, list[dict[str, str]]] = {}
    for row in table.itertuples(index=False):
        record = {key: getattr(row, key) for key in SOURCE_KEYS}
        sources.setdefault(row.incident_id, []).append(record)
    return sources


def load_incidents(
    path: str | Path = DATA_DIR / "incidents.csv",
    sources_path: str | Path = DATA_DIR / "incident_sources.csv",
    *,
    dataset: str = "bundled",
) -> gpd.GeoDataFrame:
    """Read the bundled incident table and its sources into a validated GeoDataFrame.

    Parameters
    ----------
    path : str or pathlib.Path
        ``incidents.csv`` with ``lat``/``lon`` columns (WGS84).
    sources_path : str or pathlib.Path
        ``incident_sources.csv`` with one row per source.
    dataset : str
        Name recorded in the ``dataset`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        Incidents in the schema of :mod:`geo.schema`.

    Raises
    ------
    DataFileError
        If a file is missing or lacks required columns.
    IncidentValidationError
        Listing every invalid value with its CSV line number.
    """
    for file in (path, sources_path):
        if not Path(file).exists():
            msg = f"{file}: file not found"
            raise DataFileError(msg)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("incident_id", "start", "end", "lat", "lon") if c not in table.columns]
    if missing:
        msg = f"{path}: missing column(s) {missing}; found {list(table.columns)}"
        raise DataFileError(msg)
    start, start_problems = parse_timestamps(table["start"], column="start", end_of_day=False)
    end, end_problems = parse_timestamps(table["end"], column="end", end_of_day=True)
    coordinate_problems, lon, lat = _parse_coordinates(table)
    problems = start_problems + end_problems + coordinate_problems
    if problems:
        raise IncidentValidationError(problems, str(path))
    sources = read_sources(sources_path)
    table = table.assign(start=start, end=end, dataset=dataset)
    table["sources"] = [sources.get(incident_id, []) for incident_id in table["incident_id"]]
    frame = gpd.GeoDataFrame(
        table.drop(columns=["lat", "lon"]), geometry=gpd.points_from_xy(lon, lat), crs=CRS
    )
    return validate_incidents(conform(frame), origin=str(path), row_offset=2)


def _parse_coordinates(table: pd.DataFrame) -> tuple[list[Problem], pd.Series, pd.Series]:
    """Parse ``lat``/``lon`` columns, reporting non-numbers and out-of-range values."""
    problems = []
    parsed = {}
    for column, limit in (("lat", 90), ("lon", 180)):
        values = pd.to_numeric(table[column], errors="coerce")
        for position, (raw, value) in enumerate(zip(table[column], values, strict=True)):
            if pd.isna(value):
                problems.append(Problem(position + 2, column, raw, "is not a number"))
            elif abs(value) > limit:
                problems.append(Problem(position + 2, column, raw, f"is outside ±{limit}"))
        parsed[column] = values
    return problems, parsed["lon"], parsed["lat"]


@dataclass(frozen=True, eq=False)
class BundledData:
    """Every bundled layer, loaded and validated."""

    provinces: gpd.GeoDataFrame
    rail_lines: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    figures: pd.DataFrame
    groups: GroupRegistry
    rail_sites: pd.DataFrame = field(default_factory=lambda: empty_rail_sites())


def load_bundled(data_dir: str | Path = DATA_DIR) -> BundledData:
    """Load all bundled layers from ``data_dir``.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        Folder holding the files listed in ``data/README.md``.

    Returns
    -------
    BundledData
    """
    data_dir = Path(data_dir)
    return BundledData(
        provinces=load_provinces(data_dir / "provinces.geojson"),
        rail_lines=load_rail_lines(data_dir / "rail_lines.geojson"),
        stations=load_stations(data_dir / "rail_stations.geojson"),
        incidents=load_incidents(data_dir / "incidents.csv", data_dir / "incident_sources.csv"),
        figures=pd.read_csv(data_dir / "incident_figures.csv", dtype=str, keep_default_na=False),
        groups=GroupRegistry.from_csv(data_dir / "groups.csv"),
        rail_sites=load_rail_sites(data_dir / "incident_rail_sites.csv"),
    )


def empty_rail_sites() -> pd.DataFrame:
    """Return a stated-sites table with no rows."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in RAIL_SITE_COLUMNS})


def load_rail_sites(path: str | Path = DATA_DIR / "incident_rail_sites.csv") -> pd.DataFrame:
    """Read the railway sites (line, km post) that sources state for some incidents.

    Parameters
    ----------
    path : str or pathlib.Path
        ``incident_rail_sites.csv`` with the columns of :data:`geo.railway.RAIL_SITE_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        ``rail_km`` and ``rail_km_uncertainty`` as floats.

    Raises
    ------
    DataFileError
        If the file is missing, lacks a column, or has a km value that is not a number.
    """
    if not Path(path).exists():
        msg = f"{path}: file not found"
        raise DataFileError(msg)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in RAIL_SITE_COLUMNS if c not in table.columns]
    if missing:
        msg = f"{path}: missing column(s) {missing}; found {list(table.columns)}"
        raise DataFileError(msg)
    for column in ("rail_km", "rail_km_uncertainty"):
        numbers = pd.to_numeric(table[column], errors="coerce")
        bad = table.loc[numbers.isna(), column]
        if not bad.empty:
            msg = f"{path}: {column} {bad.iloc[0]!r} (line {bad.index[0] + 2}) is not a number"
            raise DataFileError(msg)
        table[column] = numbers.astype(float)
    return table[list(RAIL_SITE_COLUMNS)]
