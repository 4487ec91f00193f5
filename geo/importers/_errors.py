"""The one exception an import raises for a file it cannot use."""

from __future__ import annotations

from geo.io import DataFileError


class ImportFileError(DataFileError):
    """A file that is not what it claims to be: empty, binary, mis-encoded, truncated, too large.

    The message always starts with the file's name and says what is wrong and what was expected.
    It is a :class:`ValueError` (through :class:`geo.io.DataFileError`), so callers that already
    catch data-file errors catch it too.
    """

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{name}: {problem}")
