"""Where the store is: ``--store URL``, ``INCIDENT_STORE_URL``, a settings file, or the default.

The order is the one a user expects: an explicit ``--store URL`` wins, then the environment
variable, then ``store.toml`` (or the file named by ``INCIDENT_STORE_SETTINGS``), then the
embedded default, ``sqlite:///var/store.sqlite`` under the repository.

``store.toml`` (see ``store.example.toml``)::

    [store]
    url = "postgresql+psycopg://analyst@db.example.org/incidents"
    anonymous_read = true     # read-only viewing without login
    session_hours = 8         # a login expires after this long
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_HOME = ROOT / "var"
STORE_ENV = "INCIDENT_STORE_URL"
SETTINGS_ENV = "INCIDENT_STORE_SETTINGS"
ANONYMOUS_ENV = "INCIDENT_STORE_ANONYMOUS_READ"
DEFAULT_SETTINGS_FILE = ROOT / "store.toml"
DEFAULT_SESSION_HOURS = 8.0


class StoreConfigError(ValueError):
    """A store URL or settings file that cannot be used, named in the message."""


@dataclass(frozen=True)
class StoreSettings:
    """How to reach the store and who may read it.

    Attributes
    ----------
    url : str
        SQLAlchemy URL: ``sqlite:///path`` (embedded) or ``postgresql+psycopg://...`` (PostGIS).
    anonymous_read : bool
        Whether the dashboard shows the store's shared incidents without a login.
    session_hours : float
        How long a login lasts.
    """

    url: str
    anonymous_read: bool = True
    session_hours: float = DEFAULT_SESSION_HOURS


def default_url() -> str:
    """Return the embedded store's URL: a SQLite file under ``var/`` in the repository.

    Returns
    -------
    str
    """
    return f"sqlite:///{DATA_HOME / 'store.sqlite'}"


def _read_settings_file(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            content = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        msg = f"store settings {path.name}: not valid TOML ({error})"
        raise StoreConfigError(msg) from error
    section = content.get("store", {})
    if not isinstance(section, dict):
        msg = f"store settings {path.name}: [store] must be a table, found {type(section).__name__}"
        raise StoreConfigError(msg)
    return section


def _as_bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    msg = f"{name} {value!r} is not a yes/no value (expected true or false)"
    raise StoreConfigError(msg)


def load_settings(
    url: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    settings_file: Path | None = None,
) -> StoreSettings:
    """Resolve the store's settings from the command line, environment and settings file.

    Parameters
    ----------
    url : str, optional
        The ``--store`` URL given on the command line; wins over everything else.
    environ : mapping, optional
        Environment variables (``os.environ`` by default).
    settings_file : pathlib.Path, optional
        A settings file (default: ``$INCIDENT_STORE_SETTINGS`` or ``store.toml``).

    Returns
    -------
    StoreSettings

    Raises
    ------
    StoreConfigError
        If the settings file is not valid TOML or holds a value of the wrong kind.
    """
    environ = os.environ if environ is None else environ
    path = settings_file or Path(environ.get(SETTINGS_ENV) or DEFAULT_SETTINGS_FILE)
    section = _read_settings_file(path) if path.is_file() else {}
    chosen = url or environ.get(STORE_ENV) or section.get("url") or default_url()
    anonymous = environ.get(ANONYMOUS_ENV, section.get("anonymous_read", True))
    hours = section.get("session_hours", DEFAULT_SESSION_HOURS)
    if not isinstance(hours, int | float) or isinstance(hours, bool) or hours <= 0:
        msg = f"session_hours {hours!r} is not a positive number of hours"
        raise StoreConfigError(msg)
    return StoreSettings(
        url=str(chosen),
        anonymous_read=_as_bool(anonymous, "anonymous_read"),
        session_hours=float(hours),
    )
