"""Armed-group names: one canonical name per group, aliases, and how groups are related.

The registry lives in ``data/groups.csv`` so that the group filter works across datasets that
spell groups differently (``BLA``, ``Baloch Liberation Army``, ``BLA-J``, ``Majeed Brigade``...).
A group with a ``parent`` says how it is related in ``relation``:

- ``faction``, ``wing``, ``province``, ``branch``: part of the parent; choosing the parent with
  "include factions and wings" selects it too;
- ``splinter``: broke away from the parent; linked for reference, never selected with it (the
  United Baloch Army's attacks are not the BLA's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from geo.schema import GROUP_SEPARATOR, split_groups

UNIDENTIFIED = "Unidentified"
PART_OF_PARENT = ("faction", "wing", "province", "branch")
SPLINTER = "splinter"
RELATIONS = (*PART_OF_PARENT, SPLINTER)


def _key(name: str) -> str:
    """Fold a group name for matching: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


@dataclass(frozen=True, eq=False)
class GroupRegistry:
    """Canonical group names, their aliases and their parents.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``group``, ``full_name``, ``parent``, ``aliases`` (``"; "``-separated).
    """

    table: pd.DataFrame

    @classmethod
    def from_csv(cls, path: str | Path) -> GroupRegistry:
        """Read the registry from a CSV file such as ``data/groups.csv``.

        Parameters
        ----------
        path : str or pathlib.Path
            CSV with columns ``group, full_name, parent, aliases``.

        Returns
        -------
        GroupRegistry
        """
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = {"group", "full_name", "parent", "aliases"} - set(table.columns)
        if missing:
            msg = f"{path}: group registry is missing column(s) {sorted(missing)}"
            raise ValueError(msg)
        unknown_parents = set(table["parent"]) - set(table["group"]) - {""}
        if unknown_parents:
            msg = f"{path}: parent(s) {sorted(unknown_parents)} are not groups in the registry"
            raise ValueError(msg)
        if "relation" not in table:
            table["relation"] = ""
        table.loc[(table["parent"] != "") & (table["relation"] == ""), "relation"] = "faction"
        bad = sorted(set(table.loc[table["parent"] != "", "relation"]) - set(RELATIONS))
        if bad:
            msg = f"{path}: relation(s) {bad} are not one of {', '.join(RELATIONS)}"
            raise ValueError(msg)
        return cls(table)

    def with_aliases(self, aliases: Iterable[tuple[str, str]]) -> GroupRegistry:
        """Return a registry that also knows these spellings of its groups.

        Parameters
        ----------
        aliases : iterable of (str, str)
            ``(alias, group)`` pairs, such as the team store's ``group_aliases``; pairs naming
            a group this registry does not have are left out.

        Returns
        -------
        GroupRegistry
            A new registry (this one is unchanged).
        """
        table = self.table.copy()
        known = set(table["group"])
        for alias, group in aliases:
            alias = " ".join(str(alias).split())
            if group not in known or not alias:
                continue
            row = table.index[table["group"] == group][0]
            present = table.at[row, "aliases"]
            table.at[row, "aliases"] = f"{present}; {alias}" if present else alias
        return GroupRegistry(table)

    @property
    def names(self) -> list[str]:
        """Canonical names in registry order."""
        return list(self.table["group"])

    @cached_property
    def _lookup(self) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for row in self.table.itertuples(index=False):
            for name in [row.group, row.full_name, *row.aliases.split(";")]:
                if name.strip():
                    lookup[_key(name)] = row.group
        return lookup

    def canonical(self, name: str) -> str | None:
        """Return the canonical name for a spelling, or None when the registry does not know it.

        Parameters
        ----------
        name : str
            A group name as a dataset writes it, e.g. ``"Balochistan Liberation Army (BLA)"``.

        Returns
        -------
        str or None
            Canonical name such as ``"BLA"``.
        """
        lookup = self._lookup
        key = _key(name)
        if key in lookup:
            return lookup[key]
        without_brackets = _key(re.sub(r"\(.*?\)", "", name))
        if without_brackets in lookup:
            return lookup[without_brackets]
        abbreviations = re.findall(r"\(([^()]+)\)", name)
        for abbreviation in abbreviations:
            if _key(abbreviation) in lookup:
                return lookup[_key(abbreviation)]
        return None

    def normalise(self, names: str, *, keep_unknown: bool = True) -> str:
        """Map a ``;``-separated list of names to canonical names joined by ``"; "``.

        Parameters
        ----------
        names : str
            Group names as written in a dataset.
        keep_unknown : bool
            Keep names the registry does not know (as written) instead of dropping them.

        Returns
        -------
        str
            Canonical names, de-duplicated, in first-seen order; ``"Unidentified"`` when empty.
        """
        result: list[str] = []
        for name in split_groups(names):
            canonical = self.canonical(name) or (name if keep_unknown else None)
            if canonical and canonical not in result:
                result.append(canonical)
        return GROUP_SEPARATOR.join(result) or UNIDENTIFIED

    def with_affiliates(self, groups: list[str]) -> list[str]:
        """Expand groups with their factions, wings and provinces (never their splinters).

        Parameters
        ----------
        groups : list of str
            Canonical names.

        Returns
        -------
        list of str
            The names plus every descendant, e.g. ``["TTP"]`` gives ``["TTP", "JuA", "TJP"]``.
        """
        part_of = self.table[self.table["relation"].isin(PART_OF_PARENT)]
        children = part_of.groupby("parent")["group"].apply(list).to_dict()
        result: list[str] = []
        pending = list(groups)
        while pending:
            name = pending.pop(0)
            if name not in result:
                result.append(name)
                pending += children.get(name, [])
        return result

    def relation(self, group: str) -> tuple[str, str]:
        """Return ``(parent, relation)`` of a canonical group (``("", "")`` without a parent).

        Parameters
        ----------
        group : str

        Returns
        -------
        tuple of str
            E.g. ``("BLA", "splinter")`` for ``UBA``, ``("TTP", "faction")`` for ``JuA``.
        """
        match = self.table.loc[self.table["group"] == group, ["parent", "relation"]]
        if not len(match) or not match.iloc[0]["parent"]:
            return "", ""
        return str(match.iloc[0]["parent"]), str(match.iloc[0]["relation"])

    @cached_property
    def _full_names(self) -> dict[str, str]:
        # The first row of a group wins, as a lookup in the table would find it. The filter's
        # group list names every option on every page run: a table lookup each was 10 ms.
        names: dict[str, str] = {}
        for group, full_name in zip(self.table["group"], self.table["full_name"], strict=True):
            names.setdefault(str(group), str(full_name))
        return names

    def full_name(self, group: str) -> str:
        """Return the full name of a canonical group, or the name itself when unknown."""
        return self._full_names.get(group, group)
