"""Measure matching against a labelled set: precision and recall of "same event" decisions.

The labelled set (``tests/fixtures/matching``: ``acled.csv``, ``gtd.csv``, ``ucdp.csv`` and
``truth.csv``) holds rows written in each source's published layout from public reports of
incidents in the bundled set, plus distractors (other attacks the same day nearby), each marked
with the event it reports. Bundled incidents are their own event.

Scores are pairwise, as in record linkage: every two reports the matcher puts in one event is a
predicted pair; every two reports of one true event is a true pair. Precision = true predicted
pairs / predicted pairs; recall = true predicted pairs / true pairs. Events are also counted as
exactly right (same reports) or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.importers import import_incidents
from geo.io import load_bundled
from geo.matching import MatchResult, MatchSettings, match_incidents
from geo.schema import INCIDENT_COLUMNS, conform

LABELLED_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "matching"
LABELLED_FILES = ("acled.csv", "gtd.csv", "ucdp.csv")


def load_labelled(directory: Path = LABELLED_DIR) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Import the labelled files beside the bundled incidents.

    Parameters
    ----------
    directory : pathlib.Path
        Holding :data:`LABELLED_FILES` and ``truth.csv`` (``incident_id,event``).

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, pandas.Series)
        All reports (bundled first) and the true event of each kept report, by incident id.
    """
    frames = [load_bundled().incidents[list(INCIDENT_COLUMNS)]]
    for name in LABELLED_FILES:
        result = import_incidents(directory / name, name=name)
        frames.append(result.incidents[list(INCIDENT_COLUMNS)])
    incidents = conform(
        gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)
    )
    truth = pd.read_csv(directory / "truth.csv", dtype=str).set_index("incident_id")["event"]
    ids = incidents["incident_id"]
    events = ids.map(truth).fillna(ids)
    return incidents, pd.Series(events.to_numpy(), index=ids.to_numpy(), name="event")


def _pairs(labels: pd.Series) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for _, members in labels.groupby(labels):
        ids = sorted(members.index)
        pairs.update(combinations(ids, 2))
    return pairs


@dataclass(frozen=True)
class Evaluation:
    """Pairwise precision and recall of one matching run on a labelled set."""

    result: MatchResult
    truth: pd.Series
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    true_events: int
    exact_events: int
    wrong_pairs: tuple[tuple[str, str], ...]
    missed_pairs: tuple[tuple[str, str], ...]

    @property
    def precision(self) -> float:
        """Share of predicted same-event pairs that are true."""
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        """Share of true same-event pairs that were predicted."""
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def report(self) -> str:
        """Return a readable summary, with every wrong and missed pair."""
        lines = [
            f"settings: {self.result.settings.to_dict()}",
            f"reports {self.result.reports}, events found {self.result.events}, "
            f"true events {self.true_events} ({self.exact_events} found exactly)",
            f"pairs: true {self.true_pairs}, predicted {self.predicted_pairs}, "
            f"correct {self.correct_pairs}",
            f"precision {self.precision:.3f}  recall {self.recall:.3f}",
        ]
        lines += [f"  wrong:  {a} + {b}" for a, b in self.wrong_pairs]
        lines += [f"  missed: {a} + {b}" for a, b in self.missed_pairs]
        return "\n".join(lines)


def evaluate(
    incidents: gpd.GeoDataFrame, truth: pd.Series, settings: MatchSettings | None = None
) -> Evaluation:
    """Match ``incidents`` and score the events found against ``truth``.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Reports of every dataset.
    truth : pandas.Series
        True event of each report, indexed by incident id.
    settings : MatchSettings, optional

    Returns
    -------
    Evaluation
    """
    result = match_incidents(incidents, settings=settings)
    true_pairs = _pairs(truth)
    predicted = _pairs(result.event_ids)
    correct = true_pairs & predicted
    exact = 0
    found = result.event_ids
    for _, members in truth.groupby(truth):
        ids = set(members.index)
        events = set(found.loc[list(ids)])
        if len(events) == 1 and set(found[found == events.pop()].index) == ids:
            exact += 1
    return Evaluation(
        result=result,
        truth=truth,
        true_pairs=len(true_pairs),
        predicted_pairs=len(predicted),
        correct_pairs=len(correct),
        true_events=int(truth.nunique()),
        exact_events=exact,
        wrong_pairs=tuple(sorted(predicted - true_pairs)),
        missed_pairs=tuple(sorted(true_pairs - predicted)),
    )


def evaluate_labelled(settings: MatchSettings | None = None) -> Evaluation:
    """Score matching on the bundled labelled set (see module doc)."""
    incidents, truth = load_labelled()
    return evaluate(incidents, truth, settings)
