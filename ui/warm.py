"""What the server prepares when it starts, before the first visitor's page runs.

Streamlit runs ``app.py`` only once a browser has opened the page. ``serve.py`` calls
:func:`warm_start` in a thread as the server starts, so the first page finds in the caches every
session shares what it would otherwise wait for:

- the dataset named on the command line (:func:`ui.data.warm_start`), first: a page opened
  early waits for it before anything else;
- then the page's modules and the layers every map shows (the offline basemap, the rail lines,
  the place labels and the gazetteer: :func:`ui.geography.warm_start`). In a second thread they
  slowed the dataset and the server's answers to the browser: all of it is Python, one thread
  at a time;
- with a team store that visitors may read: the store's incidents beside that dataset
  (:func:`ui.store.dataset_with_store`), the matching of the reports with the team's decisions
  (read back from disk after a restart, :mod:`geo.match_cache`), the event table and the map's
  published file of it.

Each step goes through the same cached functions, with the same keys, as a visitor's page, so a
page that starts while a step is still running waits for it rather than doing it twice. Nothing
here says anything to a user; a failure is logged and left for the page run, which reports it.
"""

from __future__ import annotations

import logging

from ui import data

LOGGER = logging.getLogger(__name__)


def warm_start() -> None:
    """Prepare the server's dataset and, with a team store, a visitor's first page."""
    base = data.warm_start()
    _warm_page()
    if base is None:
        return
    try:
        _warm_team_store(base)
    except Exception:  # noqa: BLE001 - the page run does it again and reports the problem
        LOGGER.exception("warm start: the team store's incidents could not be prepared")


def _warm_page() -> None:
    """Import the page's modules and build the layers every map shows."""
    try:
        data.import_page_modules()
        from ui import geography  # a page module: imported after the dataset, as the rest

        geography.warm_start()
    except Exception:  # noqa: BLE001 - the page run does it again and reports the problem
        LOGGER.exception("warm start: the page's modules or map layers could not be prepared")


def _warm_team_store(base: data.Dataset) -> None:
    """Read the store's incidents a visitor sees, match them and publish the map's events."""
    # Imported here, once the dataset is read: ui.store brings SQLAlchemy and the store's code.
    from layers.incidents import DETAIL_LIMIT
    from layers.payload import publish_payload
    from layers.style import group_colours
    from ui import matching as matching_ui
    from ui import store as store_ui

    context = store_ui.visitor_context()
    if context is None:
        return
    dataset = store_ui.dataset_with_store(base, context)
    if len(matching_ui.dataset_names(dataset)) < 2:
        return  # one dataset: the map publishes the incidents themselves on the first page
    result = matching_ui.match_result(dataset, matching_ui.stored_decisions(context))
    table, table_key = matching_ui.event_table_of(dataset, result)
    if result.events > DETAIL_LIMIT:  # fewer go with the map, with every detail
        rows = matching_ui.table_rows(dataset, table)
        publish_payload(rows, group_colours(dataset.groups.names), table_key)
    LOGGER.info("warm start: %s events of the team store ready", f"{result.events:,}")
