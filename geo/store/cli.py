"""``python -m geo store ...``: import into, export from and list the team's store.

Subcommands (each takes ``--store URL``; default: ``INCIDENT_STORE_URL``, ``store.toml`` or the
embedded ``var/store.sqlite``):

- ``import FILE [--format F] [--name N] [--licence L] [--private] [--into ID] --user NAME``
- ``export OUT.geojson [--filters QUERY] [--user NAME]``
- ``datasets [--all] [--user NAME]``
- ``remove ID --user NAME``
- ``history INCIDENT_ID``
- ``create-account NAME --role ROLE [--admin NAME]`` (the first account needs no ``--admin``)

Writes need an editor's login: the password comes from ``INCIDENT_STORE_PASSWORD``, from
standard input with ``--password-stdin``, or from a prompt. Exit status: 0 done, 1 refused or
failed (the message says why), 2 wrong arguments.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from urllib.parse import parse_qsl

from geo.analysis import enrich
from geo.export import content_hash, snapshot_bytes
from geo.filters import IncidentFilter
from geo.importers import DEFAULT_MAX_BYTES, FORMATS, ImportFileError, import_incidents
from geo.io import load_bundled
from geo.store import Account, StoreError, open_store
from geo.store.config import StoreConfigError
from geo.store.core import SqlStore
from geo.store.sources import source_timestamps

PASSWORD_ENV = "INCIDENT_STORE_PASSWORD"


def add_store_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``store`` and its subcommands on ``python -m geo``'s parser.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``python -m geo`` parser.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", metavar="URL", help="sqlite:///FILE or postgresql+psycopg://...")
    common.add_argument("--user", help="account name (writes need an editor or admin)")
    common.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    store = commands.add_parser("store", help="the team's incident store")
    sub = store.add_subparsers(dest="store_command", required=True)

    imp = sub.add_parser("import", parents=[common], help="import a file into the store")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=FORMATS, default="auto")
    imp.add_argument("--name", help="dataset name (default: the file's name)")
    imp.add_argument("--licence", default="", help="the data's licence or terms of use")
    imp.add_argument("--private", action="store_true", help="only for this account")
    imp.add_argument("--into", type=int, metavar="ID", help="update dataset ID (a newer export)")

    exp = sub.add_parser("export", parents=[common], help="write a GeoJSON snapshot")
    exp.add_argument("output", type=Path)
    exp.add_argument(
        "--filters", default="", help="as in the app's URL: start=2025-01-01&groups=BLA"
    )

    lst = sub.add_parser("datasets", parents=[common], help="list the datasets")
    lst.add_argument("--all", action="store_true", help="also removed datasets")

    rem = sub.add_parser("remove", parents=[common], help="remove a dataset (soft delete)")
    rem.add_argument("dataset_id", type=int)

    his = sub.add_parser("history", parents=[common], help="every change to an incident")
    his.add_argument("incident_id")

    acc = sub.add_parser("create-account", parents=[common], help="create an account")
    acc.add_argument("username")
    acc.add_argument("--role", choices=("viewer", "editor", "admin"), required=True)
    acc.add_argument("--admin", help="an admin's account name (not needed for the first one)")


def _password(args: argparse.Namespace, prompt: str) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    msg = f"no password: set {PASSWORD_ENV}, pass --password-stdin or run in a terminal"
    raise StoreError(msg)


def _login(store: SqlStore, args: argparse.Namespace, name: str | None) -> Account | None:
    if not name:
        return None
    login = store.login(name, _password(args, f"password for {name}: "))
    store.logout(login.token)  # the command is the whole session
    return login.account


def run_store_command(args: argparse.Namespace) -> int:
    """Run a ``python -m geo store`` subcommand and print what it did.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed by the parser :func:`add_store_commands` extended.

    Returns
    -------
    int
        Exit status.
    """
    try:
        store = open_store(args.store)
    except (StoreError, StoreConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - a database that cannot be reached
        print(f"error: cannot open the store: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    try:
        handler = {
            "import": _import,
            "export": _export,
            "datasets": _datasets,
            "remove": _remove,
            "history": _history,
            "create-account": _create_account,
        }[args.store_command]
        return handler(store, args)
    except (StoreError, ImportFileError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _import(store: SqlStore, args: argparse.Namespace) -> int:
    actor = _login(store, args, args.user)
    if actor is None:
        print("error: log in to import: give --user NAME (an editor or admin)", file=sys.stderr)
        return 1
    data = args.file.read_bytes()
    name = args.name or args.file.name
    result = import_incidents(data, name=name, fmt=args.format, max_bytes=DEFAULT_MAX_BYTES)
    print(result.report())
    outcome = store.import_result(
        result,
        actor=actor,
        visibility="private" if args.private else "shared",
        licence=args.licence,
        file_name=args.file.name,
        into=args.into,
        timestamps=source_timestamps(data, result.format),
    )
    print(outcome.summary())
    return 0


def _export(store: SqlStore, args: argparse.Namespace) -> int:
    actor = _login(store, args, args.user)
    flt = IncidentFilter.from_query(dict(parse_qsl(args.filters.lstrip("?"))))
    bundle = load_bundled()
    everything = store.incidents(viewer=actor)
    prefiltered = store.incidents(viewer=actor, flt=flt, registry=bundle.groups)
    if flt.rail_km is not None:
        prefiltered = enrich(prefiltered, bundle.provinces, bundle.rail_lines, bundle.stations)
        prefiltered = flt.apply(prefiltered, bundle.groups)
    payload = snapshot_bytes(
        prefiltered,
        filters=flt,
        dataset_hash=content_hash(everything),
        dataset_count=len(everything),
    )
    args.output.write_bytes(payload)
    who = actor.username if actor else "anyone (shared datasets only)"
    print(f"wrote {len(prefiltered)} of {len(everything)} incidents to {args.output} (as {who})")
    return 0


def _datasets(store: SqlStore, args: argparse.Namespace) -> int:
    actor = _login(store, args, args.user)
    found = store.datasets(viewer=actor, include_deleted=args.all)
    print(f"{len(found)} dataset(s) in {store!r}")
    for info in found:
        removed = (
            f", removed by {info.deleted_by} {info.deleted_at:%Y-%m-%d %H:%M}"
            if info.deleted_at
            else ""
        )
        print(
            f"{info.id:>4}  {info.name}  [{info.format}, {info.visibility}"
            f"{', owner ' + info.owner if info.visibility == 'private' else ''}]  "
            f"{info.active_rows} active, {info.removed_rows} marked removed; imported by "
            f"{info.imported_by} {info.imported_at:%Y-%m-%d %H:%M} UTC; licence: "
            f"{info.licence or '(not stated)'}{removed}"
        )
    return 0


def _remove(store: SqlStore, args: argparse.Namespace) -> int:
    info = store.remove_dataset(args.dataset_id, actor=_login(store, args, args.user))
    print(f"removed dataset {info.id} ({info.name}): {info.active_rows} incidents hidden, kept")
    return 0


def _history(store: SqlStore, args: argparse.Namespace) -> int:
    entries = store.history(args.incident_id)
    if not entries:
        print(f"error: no incident {args.incident_id!r} in the store", file=sys.stderr)
        return 1
    for entry in entries:
        print(
            f"{entry.changed_at:%Y-%m-%d %H:%M:%S}  {entry.changed_by}  {entry.action}  "
            f"{entry.field}: {entry.old!r} -> {entry.new!r}"
        )
    return 0


def _create_account(store: SqlStore, args: argparse.Namespace) -> int:
    admin = None
    if args.admin:
        admin = _login(store, args, args.admin)
    password = _password(args, f"new password for {args.username}: ")
    account = store.create_account(args.username, password, args.role, actor=admin)
    print(f"created account {account.username} ({account.role})")
    return 0
