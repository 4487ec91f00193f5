"""Writing ``bench/RESULTS.md``: the commit measured, and the separate benchmarks' sections.

``python -m bench.run`` rewrites the file and keeps these sections; the ``RATIOS``, ``SCALE``
and ``PEERS`` summary lines stay last, so a section goes above them.
"""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
SUMMARY_PREFIXES = ("RATIOS ", "SCALE ", "PEERS ")


def put_section(section: str, begin: str, end: str, results: Path = RESULTS) -> None:
    """Write ``section`` (which starts with ``begin`` and ends with ``end``) into ``results``.

    It replaces the text between the markers when they are there; else it goes above the
    summary lines, or at the end when there are none.

    Parameters
    ----------
    section : str
    begin, end : str
        The section's markers (``<!-- name:begin -->``, ``<!-- name:end -->``).
    results : pathlib.Path
        ``bench/RESULTS.md`` by default.
    """
    text = results.read_text(encoding="utf-8") if results.exists() else ""
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        lines = text.rstrip("\n").split("\n") if text else []
        first = next(
            (k for k, line in enumerate(lines) if line.startswith(SUMMARY_PREFIXES)), len(lines)
        )
        text = "\n".join([*lines[:first], section, "", *lines[first:]]).rstrip("\n") + "\n"
    results.write_text(text, encoding="utf-8")


def write_section(
    name: str,
    title: str,
    command: str,
    notes: list[str],
    body: list[str],
    results: Path = RESULTS,
) -> str:
    """Write a separate benchmark's section, headed by when, where and how it was measured.

    Parameters
    ----------
    name : str
        The section's name in its markers (``<!-- name:begin -->`` and ``<!-- name:end -->``,
        the names ``python -m bench.run`` keeps).
    title : str
        Its heading.
    command : str
        The command that measured it.
    notes : list of str
        Lines said of the measurement, after the date, commit, machine and command.
    body : list of str
        The figures.
    results : pathlib.Path

    Returns
    -------
    str
        The section as written.
    """
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    lines = [
        begin,
        f"## {title}",
        "",
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}; commit {commit()}",
        f"- Machine: {platform.platform()}; 2 CPUs shared with other work",
        f"- Command: `{command}`",
        *notes,
        "",
        *body,
        end,
    ]
    section = "\n".join(lines)
    put_section(section, begin, end, results)
    return section


def commit() -> str:
    """Return the commit measured, and whether the worktree had changes."""
    head = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head + (" (plus uncommitted changes)" if dirty else "")
