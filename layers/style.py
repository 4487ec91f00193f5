"""Shared map styling: group colours, marker size by severity, and precision styles."""

from __future__ import annotations

import colorsys
import hashlib
import math

import pandas as pd

# Colour-blind-friendly qualitative palette (Okabe-Ito, then Tol's muted), in registry order.
PALETTE = (
    "#d55e00",
    "#0072b2",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#882255",
    "#117733",
    "#999933",
    "#aa4499",
    "#44aa99",
    "#332288",
)
UNIDENTIFIED_COLOUR = "#6b6b6b"

# How each geo precision is drawn: exact points solid, imprecise ones hollow and dashed.
PRECISION_STYLE = {
    "exact": {"fillOpacity": 0.9, "weight": 1.5, "dashArray": None},
    "near": {"fillOpacity": 0.55, "weight": 2, "dashArray": None},
    "district": {"fillOpacity": 0.12, "weight": 2.5, "dashArray": "4 3"},
    "province": {"fillOpacity": 0.0, "weight": 2.5, "dashArray": "1 4"},
}

RAIL_COLOURS = {
    "ML-1 Karachi–Peshawar": "#1f1f1f",
    "ML-1 loop Lodhran–Multan–Khanewal": "#4d4d4d",
    "ML-3 Rohri–Chaman": "#7b2d26",
    "ML-4 Quetta–Taftan": "#5b3f8c",
}


def hashed_colour(name: str) -> str:
    """Return a stable colour for a group name that is not in the palette's registry.

    The hue comes from a hash of the name, so the same name has the same colour in every session,
    dataset and chart; lightness and saturation vary a little with the hash too, so that names
    whose hues fall close together still differ. No hashed colour is grey.

    Parameters
    ----------
    name : str
        Group name as shown.

    Returns
    -------
    str
        ``#rrggbb``.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    lightness = (36, 46, 56)[digest[2] % 3] / 100
    saturation = (62, 78)[digest[3] % 2] / 100
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def group_colours(groups: list[str]) -> dict[str, str]:
    """Assign each group a stable colour: the palette in registry order, then a hashed colour.

    Parameters
    ----------
    groups : list of str
        Canonical names in a fixed order (the registry's, then any others).

    Returns
    -------
    dict of str to str
        Hex colour per group; ``Unidentified`` is always grey. The first
        ``len(PALETTE)`` named groups get the colour-blind-friendly palette; every further
        name gets :func:`hashed_colour` (never grey), so no group is drawn as "Unidentified".
    """
    colours: dict[str, str] = {}
    named = [g for g in groups if g != "Unidentified"]
    for position, group in enumerate(named):
        colours[group] = PALETTE[position] if position < len(PALETTE) else hashed_colour(group)
    colours["Unidentified"] = UNIDENTIFIED_COLOUR
    return colours


def colour_of(group: str, colours: dict[str, str]) -> str:
    """Return the colour of ``group``: from ``colours`` when listed, else its hashed colour."""
    return colours.get(group) or hashed_colour(group)


def size_key() -> list[tuple[str, float]]:
    """Return the marker sizes the legend shows: ``(label, radius in pixels)``."""
    return [(f"{deaths}", marker_radius(deaths)) for deaths in (0, 10, 50)]


def marker_radius(fatalities_high: object) -> float:
    """Return a marker radius in pixels that grows with the square root of fatalities.

    Unknown fatalities draw like zero; the area is proportional to deaths, capped at 22 px.
    """
    deaths = 0 if fatalities_high is None or pd.isna(fatalities_high) else float(fatalities_high)
    return round(min(5.0 + 2.2 * math.sqrt(max(deaths, 0.0)), 22.0), 1)
