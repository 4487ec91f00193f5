"""Command line: ``python -m geo convert INPUT OUTPUT.geojson [--format ...] [--name ...]``.

Also ``python -m geo match INPUT [INPUT ...] [--bundled] --out MATCHES.csv``: import every input,
find the reports of one event across them (:mod:`geo.matching`), write one row per matched pair
and print how many events and reports there are.

Runs the same import as the dashboard, writes the kept incidents as a GeoJSON snapshot and
prints the report (kept/rejected/flagged counts, every rejected row with its line and reason).
Exits 0 when at least one row was kept, 1 when none was or the file could not be used, and 2
for wrong arguments.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from geo.export import content_hash, snapshot_bytes
from geo.filters import IncidentFilter
from geo.importers import DEFAULT_MAX_BYTES, FORMATS, ImportFileError, import_incidents
from geo.store.cli import add_store_commands, run_store_command


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m geo``.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    convert = commands.add_parser(
        "convert", help="import ACLED/GTD/UCDP/CSV/GeoJSON/GeoPackage and write a snapshot"
    )
    convert.add_argument("input", type=Path, help="file to import")
    convert.add_argument("output", type=Path, help="GeoJSON snapshot to write")
    convert.add_argument("--format", choices=FORMATS, default="auto", help="default: auto")
    convert.add_argument("--name", help="dataset name (default: the input file's name)")
    convert.add_argument(
        "--max-mb", type=float, default=DEFAULT_MAX_BYTES / 1048576, help="size limit in MB"
    )
    add_store_commands(commands)
    add_match_parser(commands)
    return parser


def convert(input_path: Path, output: Path, *, fmt: str, name: str | None, max_bytes: int) -> int:
    """Import ``input_path``, write the snapshot to ``output`` and print the report.

    Parameters
    ----------
    input_path, output : pathlib.Path
    fmt : str
        One of :data:`geo.importers.FORMATS`.
    name : str or None
        Dataset name; the input's file name when None.
    max_bytes : int
        Size limit.

    Returns
    -------
    int
        Exit status: 0 when at least one row was kept, 1 otherwise.
    """
    name = name or input_path.name
    refusal = _refuse_paths(input_path, output)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 1
    try:
        result = import_incidents(input_path, name=name, fmt=fmt, max_bytes=max_bytes)
    except ImportFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(result.report())
    if result.kept == 0:
        print(f"error: {name}: no rows kept, nothing written to {output}", file=sys.stderr)
        return 1
    incidents = result.incidents
    payload = snapshot_bytes(
        incidents,
        filters=IncidentFilter(),
        dataset_hash=content_hash(incidents),
        dataset_count=len(incidents),
    )
    try:
        _write_atomically(output, payload)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        print(f"error: could not write {output}: {reason}; nothing written", file=sys.stderr)
        return 1
    print(f"wrote {len(incidents)} incidents to {output}")
    return 0


def _refuse_paths(input_path: Path, output: Path) -> str:
    """Return why the input cannot be read or the output not written, or ``""``.

    Checked before any reading: the input must be a regular file (``/dev/zero`` or a named
    pipe would be read forever), the output must not be the input (under any spelling or
    link), and the output's folder must exist.
    """
    try:
        info = input_path.stat()
    except OSError:
        return f"{input_path}: no such file"
    if not stat.S_ISREG(info.st_mode):
        return f"{input_path}: not a regular file (a device, named pipe or folder); not reading it"
    if output.exists() and output.resolve() == input_path.resolve():
        return f"the output {output} is the input file; choose another name (nothing written)"
    if output.exists() and not output.is_file():
        return f"the output {output} exists and is not a regular file; nothing written"
    if not output.parent.is_dir():
        return f"the output folder {output.parent} does not exist; create it first"
    return ""


def _write_atomically(output: Path, payload: bytes) -> None:
    """Write ``payload`` beside ``output`` and rename it, so a full disk leaves no half file."""
    temporary = output.with_name(f".{output.name}.partial")
    try:
        temporary.write_bytes(payload)
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        Exit status.
    """
    args = build_parser().parse_args(argv)
    if args.command == "store":
        return run_store_command(args)
    if args.command == "match":
        return match_command(args)
    return convert(
        args.input,
        args.output,
        fmt=args.format,
        name=args.name,
        max_bytes=int(args.max_mb * 1048576),
    )


# ``python -m geo match`` ------------------------------------------------------------------


def add_match_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``match`` subcommand to the parser of ``python -m geo``."""
    from geo.matching import MatchSettings

    default = MatchSettings()
    match = commands.add_parser(
        "match",
        help="find the reports of one event across datasets and write the matched pairs",
        description="Import each INPUT (ACLED, GTD, UCDP, CSV, GeoJSON, snapshot), match the "
        "reports of one event across them and write one row per matched pair.",
    )
    match.add_argument("inputs", type=Path, nargs="+", metavar="INPUT", help="files to match")
    match.add_argument("--bundled", action="store_true", help="add the bundled incidents")
    match.add_argument("--out", type=Path, required=True, help="CSV of matched pairs to write")
    match.add_argument(
        "--tolerance-days", type=int, default=default.tolerance_days, help="default: 1"
    )
    match.add_argument("--threshold", type=float, default=default.threshold, help="default: 0.6")
    match.add_argument(
        "--decisions", type=Path, help="CSV of analysts' decisions (kind,first_id,second_id,...)"
    )
    match.add_argument(
        "--max-mb", type=float, default=DEFAULT_MAX_BYTES / 1048576, help="size limit per file"
    )


def match_command(args: argparse.Namespace) -> int:
    """Run ``python -m geo match``; returns the exit status (0 done, 1 nothing to match)."""
    import geopandas as gpd
    import pandas as pd

    from geo.io import load_bundled
    from geo.matching import MatchSettings, decisions_from_frame, match_incidents
    from geo.schema import INCIDENT_COLUMNS, conform

    frames = []
    if args.bundled:
        bundled = load_bundled().incidents[list(INCIDENT_COLUMNS)]
        frames.append(bundled)
        print(f"bundled: {len(bundled)} incidents")
    for path in args.inputs:
        try:
            result = import_incidents(path, name=path.name, max_bytes=int(args.max_mb * 1048576))
        except ImportFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"{path.name}: {result.summary()}")
        frames.append(result.incidents[list(INCIDENT_COLUMNS)])
    incidents = conform(gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326"))
    repeated = incidents["incident_id"].duplicated()
    if repeated.any():
        print(f"note: {int(repeated.sum())} incident(s) with ids already read were left out")
        incidents = incidents[~repeated].reset_index(drop=True)
    if incidents["dataset"].nunique() < 2:
        print(
            "error: matching needs two or more datasets (add inputs or --bundled)", file=sys.stderr
        )
        return 1
    decisions = []
    if args.decisions is not None:
        try:
            decisions = decisions_from_frame(pd.read_csv(args.decisions, dtype=str))
        except (OSError, ValueError, TypeError) as error:
            print(f"error: decisions {args.decisions.name}: {error}", file=sys.stderr)
            return 1
    settings = MatchSettings(tolerance_days=args.tolerance_days, threshold=args.threshold)
    found = match_incidents(incidents, settings=settings, decisions=decisions)
    found.pairs.to_csv(args.out, index=False)
    merged = found.reports - found.events
    print(
        f"{found.events} events from {found.reports} reports "
        f"({merged} reports joined to another; {len(found.pairs)} matched pairs "
        f"of {found.candidates} candidates) -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
