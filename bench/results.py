"""Writing ``bench/RESULTS.md``: the commit measured, and the separate benchmarks' sections.

``python -m bench.run`` rewrites the file and keeps these sections; the ``RATIOS``, ``SCALE``
and ``PEERS`` summary lines stay last, so a section goes above them.
"""

from __future__ import annotations

import subprocess
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
