"""One event-type taxonomy for ACLED, GTD, UCDP and the project's own rows.

Every importer maps its source's types onto the schema's ACLED-style ``event_type``; the detail
that tells a suicide bombing from a roadside IED survives in ``sub_event_type`` (ACLED),
``attack_detail`` (GTD's attack type and weapon) or the summary. :func:`categorise` reads those
columns and returns one category per row from :data:`CATEGORIES`; :func:`compatibility` says how
well two categories agree, with the words a reason uses.

=====================  ===========  ==============================================================
category               family       from
=====================  ===========  ==============================================================
suicide bombing        explosive    ACLED "Suicide bomb"; GTD suicide = 1 or "suicide" in detail
explosive device       explosive    ACLED "Remote explosive/landmine/IED", "Grenade"; GTD
                                    "Bombing/Explosion", weapon "Explosives"
shelling or strike     explosive    ACLED "Shelling/artillery/missile attack", "Air/drone strike"
armed assault          assault      ACLED "Armed clash", "Attack", "Looting/property
                                    destruction"; GTD "Armed Assault", "Assassination",
                                    "Facility/Infrastructure Attack"
abduction or hijacking abduction    ACLED "Abduction/forced disappearance"; GTD "Hostage Taking
                                    (Kidnapping)", "(Barricade Incident)", "Hijacking"
foiled or defused      foiled       ACLED "Disrupted weapons use", "Arrests"
protest or riot        unrest       ACLED Protests, Riots
violence (unspecified) unspecified  UCDP GED (no attack type), generic files without detail
=====================  ===========  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SUICIDE = "suicide bombing"
EXPLOSIVE = "explosive device"
SHELLING = "shelling or strike"
ASSAULT = "armed assault"
ABDUCTION = "abduction or hijacking"
FOILED = "foiled or defused"
UNREST = "protest or riot"
UNSPECIFIED = "violence (unspecified)"

FAMILY = {
    SUICIDE: "explosive",
    EXPLOSIVE: "explosive",
    SHELLING: "explosive",
    ASSAULT: "assault",
    ABDUCTION: "abduction",
    FOILED: "foiled",
    UNREST: "unrest",
    UNSPECIFIED: "unspecified",
}
CATEGORIES = tuple(FAMILY)
PLURAL = {
    SUICIDE: "suicide bombings",
    EXPLOSIVE: "explosive devices",
    SHELLING: "shelling or strikes",
    ASSAULT: "armed assaults",
    ABDUCTION: "abductions or hijackings",
    FOILED: "foiled or defused",
    UNREST: "protests or riots",
    UNSPECIFIED: "unspecified violence",
}

# Words looked for in sub_event_type + attack_detail (lower case), first match wins.
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("suicide", SUICIDE),
    ("hostage", ABDUCTION),
    ("hijack", ABDUCTION),
    ("kidnap", ABDUCTION),
    ("abduction", ABDUCTION),
    ("disrupted weapons", FOILED),
    ("defused", FOILED),
    ("arrest", FOILED),
    ("shelling", SHELLING),
    ("air/drone", SHELLING),
    ("drone", SHELLING),
    ("missile", SHELLING),
    ("remote explosive", EXPLOSIVE),
    ("landmine", EXPLOSIVE),
    ("ied", EXPLOSIVE),
    ("grenade", EXPLOSIVE),
    ("bombing", EXPLOSIVE),
    ("explosi", EXPLOSIVE),
    ("property destruction", ASSAULT),
    ("armed assault", ASSAULT),
    ("armed clash", ASSAULT),
    ("assassination", ASSAULT),
    ("facility/infrastructure", ASSAULT),
    ("unarmed assault", ASSAULT),
    ("attack", ASSAULT),
    ("firearm", ASSAULT),
)
_BY_EVENT_TYPE = {
    "Explosions/Remote violence": EXPLOSIVE,
    "Protests": UNREST,
    "Riots": UNREST,
    "Strategic developments": FOILED,
}

# Violent attacks of different families are often one complex attack reported two ways (the
# Jaffar Express: track bombed, train stormed, passengers held), so they stay weakly compatible.
_CROSS_FAMILY = 0.35
_VIOLENT = {"explosive", "assault", "abduction"}


def categorise(incidents: pd.DataFrame) -> pd.Series:
    """Return the taxonomy category of each incident.

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``event_type``, ``sub_event_type`` and ``attack_detail`` (schema columns); a
        ``dataset`` column naming UCDP rows is not needed: rows without detail are
        "violence (unspecified)" unless their event type says more.

    Returns
    -------
    pandas.Series of str
        One of :data:`CATEGORIES`, indexed like ``incidents``.
    """
    columns = ["sub_event_type", "attack_detail", "event_type"]
    # Each combination of the three once (a million reports hold a few hundred): the text of
    # every row would be built and searched otherwise (1.2 s at a million).
    combination = (
        incidents[columns].groupby(columns, dropna=False, observed=True, sort=False).ngroup()
    ).to_numpy()
    if not len(combination):
        return pd.Series([], index=incidents.index, dtype=object)
    first = np.unique(combination, return_index=True)[1]
    # A missing value is no text (no keyword is found in it).
    distinct = incidents[columns].iloc[first].astype(object).fillna("")
    detail = (
        distinct["sub_event_type"].astype(str) + " | " + distinct["attack_detail"].astype(str)
    ).str.casefold()
    keys = detail + " || " + distinct["event_type"].astype(str)
    categories = np.array([_category_of(str(key)) for key in keys], dtype=object)
    return pd.Series(categories[combination], index=incidents.index, dtype=object)


def _category_of(key: str) -> str:
    detail, event_type = key.split(" || ", 1)
    for word, category in _KEYWORDS:
        if word in detail:
            return category
    return _BY_EVENT_TYPE.get(event_type, UNSPECIFIED)


@dataclass(frozen=True)
class TypeAgreement:
    """How two categories agree: a value in [0, 1] and the words for a reason."""

    value: float
    reason: str


def compatibility(first: str, second: str) -> TypeAgreement:
    """Say how well two categories agree.

    Parameters
    ----------
    first, second : str
        Categories from :data:`CATEGORIES`.

    Returns
    -------
    TypeAgreement
        1.0 for the same category ("both suicide bombings"), 0.75 within a family ("explosive
        device / suicide bombing"), 0.5 when either is unspecified, 0.35 across violent
        families, 0.0 otherwise (a protest is not a bombing).
    """
    if first == second:
        if first == UNSPECIFIED:
            return TypeAgreement(0.5, "type not stated by either")
        return TypeAgreement(1.0, f"both {PLURAL[first]}")
    pair = f"{first} / {second}"
    if UNSPECIFIED in (first, second):
        return TypeAgreement(0.5, f"type {pair}")
    if FAMILY[first] == FAMILY[second]:
        return TypeAgreement(0.75, f"similar types ({pair})")
    if FAMILY[first] in _VIOLENT and FAMILY[second] in _VIOLENT:
        return TypeAgreement(_CROSS_FAMILY, f"different types ({pair})")
    return TypeAgreement(0.0, f"incompatible types ({pair})")
