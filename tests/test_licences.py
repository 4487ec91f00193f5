"""Which datasets and terms a selection holds, as a snapshot records them (geo.licences)."""

from __future__ import annotations

import pandas as pd

from geo.licences import snapshot_terms

GTD = "GTD (Global Terrorism Database): GTD End User Agreement (START / CHC Global)"
UCDP = "UCDP GED (Uppsala Conflict Data Program Georeferenced Event Dataset): CC BY 4.0"


def test_each_dataset_and_licence_is_counted_once_in_order_whatever_the_columns_hold():
    text = pd.DataFrame(
        {
            "dataset": ["ucdp.csv", "gtd.csv", "gtd.csv", None, "ucdp.csv", "gtd.csv"],
            "licence": [UCDP, GTD, GTD, GTD, UCDP, ""],
        }
    )
    # As a loaded dataset holds them: categories, in an order of their own, one unused.
    categories = text.assign(
        dataset=pd.Categorical(text["dataset"], categories=["ucdp.csv", "gtd.csv", "acled.csv"]),
        licence=text["licence"].astype("category"),
    )
    records = snapshot_terms(text)
    assert [(r["dataset"], r["licence"], r["rows"]) for r in records] == [
        ("gtd.csv", "this project's bundled data (see data/README.md)", 1),
        ("gtd.csv", GTD, 2),
        ("ucdp.csv", UCDP, 2),
    ]  # the row without a dataset is not counted
    assert [r["restricts_sharing"] for r in records] == [False, True, False]
    by_category = snapshot_terms(categories)
    assert sorted(by_category, key=lambda r: (r["dataset"], r["licence"])) == sorted(
        records, key=lambda r: (r["dataset"], r["licence"])
    )
    assert [r["dataset"] for r in by_category] == ["ucdp.csv", "gtd.csv", "gtd.csv"]
