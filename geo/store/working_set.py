"""The store's incidents as the dashboard explores them, prepared once per store revision.

Beside the incidents the dashboard was started on (the bundled ones, a file, a synthetic set),
a viewer sees the store's incidents that viewer may see. Enriching a million of them against
the provinces and the railway takes tens of seconds, so the combination is kept prepared on
disk (:func:`geo.prepared.prepared_incidents`), named by:

- the store's identity and revision (:meth:`geo.store.core.SqlStore.state`): any write makes
  a new revision, a store created again or restored from a backup has another identity;
- the viewer (shared datasets only, or those plus the account's private ones);
- the content hash of the base incidents, and the enrichment (layers and code).

A dashboard restarted on an unchanged store reads the prepared file instead of the database.
The file holds what that viewer may see, in the server's cache folder, beside the server's
other working files; deleting it is always safe.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.compact import among
from geo.io import BundledData
from geo.prepared import Prepared, prepared_incidents
from geo.schema import INCIDENT_COLUMNS, conform
from geo.store.core import SqlStore
from geo.store.interface import Account


def working_set(
    store: SqlStore,
    viewer: Account | None,
    base: gpd.GeoDataFrame,
    base_hash: str,
    bundle: BundledData,
) -> Prepared | None:
    """Return ``base`` and the store's incidents ``viewer`` may see, enriched.

    An incident of the store with the ``incident_id`` of a base incident is left out: the base
    is what the dashboard was started on.

    Parameters
    ----------
    store : SqlStore
    viewer : Account or None
        None for someone not logged in (shared datasets only).
    base : geopandas.GeoDataFrame
        The incidents the dashboard was started on (schema columns; more are ignored).
    base_hash : str
        Their content hash.
    bundle : BundledData
        The bundled layers to enrich against.

    Returns
    -------
    Prepared or None
        None when the store holds no incident for this viewer beyond the base ones.
    """
    instance, revision = store.state()
    viewer_tag = "anyone" if viewer is None else f"account-{viewer.id}"
    identity = f"store {instance} revision {revision} viewer {viewer_tag} base {base_hash}"

    def combined() -> gpd.GeoDataFrame | None:
        stored = store.incidents(viewer=viewer)
        if stored.empty:  # nothing to add, and no set of the base ids to build (1M: 0.4 s)
            return None
        fresh = stored[~among(stored["incident_id"], base["incident_id"])]
        if fresh.empty:
            return None
        columns = list(INCIDENT_COLUMNS)
        both = pd.concat([base[columns], fresh[columns]], ignore_index=True)
        return conform(gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4326"))

    return prepared_incidents(identity, f"store-{instance[:8]}-{viewer_tag}", bundle, combined)
