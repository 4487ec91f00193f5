"""Derive the bundled incident tables from the sourced research tables in ``data/raw/``.

Run ``python -m tools.derive_incidents``. It writes

- ``data/incidents.csv``: one row per incident, in the project schema (see ``geo/schema.py``);
- ``data/incident_sources.csv``: one row per cited source;
- ``data/excluded_incidents.csv``: research rows left out, each with the reason;
- ``data/incident_rail_sites.csv``: the railway site (line and km post) of incidents whose
  research names a station, a stretch or a km post (from ``raw/incident_rail_sites.csv``).

Every editorial decision (canonical group, ACLED-style event type, geo-precision class, fatality
scope) is made here, in a table, so a reviewer can see and change it. The output is deterministic;
a test checks that the committed files are what this script writes.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.groups import UNIDENTIFIED, GroupRegistry
from geo.schema import INCIDENT_COLUMNS

# Filled when incidents are imported or restored, not part of the bundled table.
IMPORT_ONLY_COLUMNS = ("dataset", "deaths_reported", "flags", "licence", "provenance")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RAW = DATA / "raw"
RESEARCH_FILES = (
    "incidents_rail_research.csv",
    "incidents_added.csv",
    "incidents_attacks_research.csv",
)
VERIFICATION_FILES = ("verification_rail.csv", "verification_attacks.csv")

# Canonical groups where the research wording names responders, fronts or attributions that
# the alias table cannot resolve on its own. Every other row is resolved through data/groups.csv.
GROUP_OVERRIDES = {
    "RAIL-004": "BLA",  # "BLA Majeed Brigade; Pakistan Army / FC (response)"
    "RAIL-008": "BLA",  # wings plus state responders
    "RAIL-011": UNIDENTIFIED,  # an unnamed outfit's claim, rejected by the Ministry of Railways
    "RAIL-021": UNIDENTIFIED,  # attackers unidentified; police responded
    "PKATK-2024-013": UNIDENTIFIED,  # police only pointed to a modus operandi
    "PKATK-2024-018": "BLA",  # blamed by officials, no claim found
    "PKATK-2025-035": UNIDENTIFIED,  # unclaimed; officials blamed two different movements
    "PKATK-2025-037": "TTP",  # ISPR attribution; the note itself contains a ';'
    "PKATK-2025-038": "JuA; TTP",  # JuA leader claimed; government blamed a TTP cell
    "PKATK-2026-040": "ISPP",  # "Islamic State (Pakistan affiliate; called ISKP by some outlets)"
}

# Research event labels of the railway table -> ACLED-style (event_type, sub_event_type).
RAIL_EVENT_TYPES = {
    "Explosion/remote violence": ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
    "Explosion/remote violence (disputed)": (
        "Explosions/Remote violence",
        "Remote explosive/landmine/IED",
    ),
    "Suicide bombing": ("Explosions/Remote violence", "Suicide bomb"),
    "Hijacking/hostage-taking": ("Violence against civilians", "Abduction/forced disappearance"),
    "Foiled attack": ("Strategic developments", "Disrupted weapons use"),
}
# "Armed attack" depends on who fought: a clash with security forces, or fire on a train.
ARMED_ATTACK_TYPES = {
    "RAIL-004": ("Battles", "Armed clash"),
    "RAIL-012": ("Violence against civilians", "Attack"),
    "RAIL-019": ("Violence against civilians", "Attack"),
    "RAIL-021": ("Battles", "Armed clash"),
    "RAIL-030": ("Battles", "Armed clash"),
}
# ACLED sub-event types recognised at the start of the attack table's sub_event_type.
ACLED_SUB_EVENT_PREFIXES = (
    ("Suicide bomb", "Suicide bomb"),
    ("Remote explosive", "Remote explosive/landmine/IED"),
    ("Armed clash", "Armed clash"),
    ("Ambush", "Armed clash"),
    ("Coordinated campaign", "Armed clash"),
    ("Abduction", "Abduction/forced disappearance"),
    ("Attack", "Attack"),
)

# Rows whose research fatality range counts attackers: the project counts non-attackers only.
FATALITY_OVERRIDES = {
    "RAIL-004": (
        1,
        2,
        "Project note: fatalities here exclude attackers. Non-attackers in the research "
        "sources: a railway policeman reportedly killed (Dawn) to 2 killed incl. a police "
        "official (Dawn News Urdu).",
    ),
    "RAIL-008": (
        25,
        31,
        "Project note: fatalities here exclude attackers. Non-attackers: 25 (ISPR) / 30 (Geo "
        "recap) / 31 (TV84, India Today); see the reported-figures table for every figure.",
    ),
}

# Corrections from the source checks (data/raw/verification_*.csv), each citing the pages read.
CORRECTIONS: dict[str, dict] = {
    "RAIL-002": {
        "fields": {"injured_high": "9"},
        "note": "Source check: Dawn's first-day online report gave 9 wounded; injured_high widened.",
        "sources": [
            (
                "Dawn",
                "1 dead, 9 wounded in explosion inside Jaffar Express train near Chichawatni",
                "2023-02-16",
                "https://www.dawn.com/news/1737452/1-dead-9-wounded-in-explosion-inside-jaffar-express-train-near-chichawatni",
            )
        ],
    },
    "RAIL-004": {
        "fields": {"fatalities_low": "1", "fatalities_high": "6", "injured_high": "13"},
        "note": (
            "Source check: ISPR (30 Jan 2024, via Business Recorder and Urdu Chronicle) gave 4 "
            "security personnel and 2 civilians killed, 13 injured and 9 attackers killed (24 "
            "after three days of search operations). Fatalities exclude attackers: 1 (a railway "
            "policeman reportedly killed, Dawn's first report) to 6 (ISPR). Attackers killed: 2 "
            "(Dawn News Urdu) / 5 (minister Jan Achakzai) / 9, later 24 (ISPR)."
        ),
        "sources": [
            (
                "Business Recorder",
                "Nine terrorists killed by security forces in Balochistan: ISPR",
                "2024-01-30",
                "https://www.brecorder.com/news/40286486/nine-terrorists-killed-by-security-forces-in-balochistan-ispr",
            ),
            (
                "Urdu Chronicle",
                "9 terrorists who attacked Machh and Kolpur complex were killed, 4 security "
                "personnel martyred: ISPR [title from URL]",
                "",
                "https://urduchronicle.com/9-terrorists-who-attacked-machh-and-kolpur-complex-were-killed-4-security-personnel-martyred-ispr/?amp=1",
            ),
        ],
    },
    "RAIL-017": {
        "fields": {},
        "note": "Source check: Dawn's online report is news/1947205 (added).",
        "sources": [
            (
                "Dawn",
                "7 injured after blast derails 4 Jaffar Express bogies in Sindh's Shikarpur",
                "2025-10-07",
                "https://www.dawn.com/news/1947205/7-injured-after-blast-derails-4-jaffar-express-bogies-in-sindhs-shikarpur",
            )
        ],
    },
    "RAIL-028": {
        "fields": {
            "groups": "BRG",
            "claimed_by": "Baloch Republican Guards (BRG), per ANI citing The Balochistan Post",
        },
        "note": "Source check: ANI (via LatestLY, 28 Jan 2026) reported a BRG claim.",
        "sources": [
            (
                "LatestLY (ANI)",
                "Blast derails Jaffar Express in Sindh as Baloch armed group claims responsibility",
                "2026-01-28",
                "https://www.latestly.com/agency-news/world-news-blast-derails-jaffar-express-in-sindh-as-baloch-armed-group-claims-responsibility-7292734.html",
            )
        ],
    },
    "PKATK-2024-013": {
        "fields": {"start": "2024-04-12", "end": "2024-04-13", "injured_high": "6"},
        "note": (
            "Source check: APP, AP and Reuters put the blockade on the evening of Friday 12 April "
            "(Dawn: early hours of 13 April), so the dates span both days; injured reported as 5 "
            "(Dunya) or 6 (AP)."
        ),
        "sources": [
            (
                "Shropshire Star (AP)",
                "Search for gunmen who abducted bus passengers and killed 11 in Pakistan",
                "2024-04-13",
                "https://www.shropshirestar.com/news/world-news/2024/04/13/search-for-gunmen-who-abducted-bus-passengers-and-killed-11-in-pakistan/",
            ),
            (
                "Dunya News",
                "Nine labourers from Punjab among 11 shot dead in Noshki [title from URL]",
                "",
                "https://dunyanews.tv/en/Pakistan/804714-Nine-labourers-from-Punjab-among-11-shot-dead-in-Noshki",
            ),
        ],
    },
    "PKATK-2024-022": {
        "fields": {"injured_high": "18"},
        "note": "Source check: Dawn, quoting the Kalat commissioner, gives 18 wounded.",
        "sources": [
            (
                "Dawn",
                "Seven FC men martyred, 18 injured in Kalat terrorist attack [title from URL]",
                "",
                "https://www.dawn.com/news/1872899/seven-fc-men-martyred-18-injured-in-kalat-terrorist-attack",
            )
        ],
    },
    "PKATK-2024-023": {
        "fields": {"injured_high": "30"},
        "note": (
            "Source check: injured 29 (The Nation) to 30 (Pakistan Today; the deputy commissioner "
            "said more than 30)."
        ),
        "sources": [
            (
                "The Nation",
                "42 passengers killed, 29 injured as gunmen ambush convoys in Kurram [title from URL]",
                "2024-11-22",
                "https://www.nation.com.pk/22-Nov-2024/42-passengers-killed-29-injured-as-gunmen-ambush-convoys-in-kurram",
            ),
            (
                "Pakistan Today",
                "At least 38 massacred in gun attack on passengers convoy in Lower Kurram: police "
                "[title from URL]",
                "2024-11-21",
                "https://www.pakistantoday.com.pk/2024/11/21/at-least-38-massacred-in-gun-attack-on-passengers-convoy-in-lower-kurram-police/",
            ),
        ],
    },
    "PKATK-2025-028": {
        "fields": {"injured_high": "35"},
        "note": "Source check: The Nation's ISPR-based report gives 35 wounded.",
        "sources": [
            (
                "The Nation",
                "3 FC men among 5 martyred in Noshki suicide blast [title from URL]",
                "2025-03-17",
                "https://www.nation.com.pk/17-Mar-2025/3-fc-men-among-5-martyred-in-noshki-suicide-blast",
            )
        ],
    },
    "PKATK-2025-033": {
        "fields": {"injured_high": "19"},
        "note": (
            "Source check: 3 injured counts civilians only; the KP police statement also lists 16 "
            "police and security personnel injured (19 in all)."
        ),
        "sources": [
            (
                "Dawn",
                "Terrorists wanted to take hostages during attack on Bannu FC Lines: officials "
                "[title from URL]",
                "",
                "https://www.dawn.com/news/1939847/terrorists-wanted-to-take-hostages-during-attack-on-bannu-fc-lines-officials",
            )
        ],
    },
    "PKATK-2025-038": {
        "fields": {"injured_high": "36"},
        "note": "Source check: Dawn (via Asia News Network) reports at least 36 injured.",
        "sources": [
            (
                "Asia News Network (Dawn)",
                "Afghan link being probed as terror revisits Islamabad after years [title from URL]",
                "",
                "https://asianews.network/afghan-link-being-probed-as-terror-revisits-islamabad-after-years",
            )
        ],
    },
}

# The seed article (data/raw/seed_article.txt) is cited for the two cases it describes.
SEED_SOURCE = {
    "publisher": "Seed article supplied with the project brief (publisher not recorded)",
    "title": "[article on the 11 March 2025 Jaffar Express hijacking; copy: data/raw/seed_article.txt]",
    "date": "",
    "url": "",
}
SEED_INCIDENTS = ("RAIL-007", "RAIL-008")

# incidents.csv holds the schema's columns, with the point as lat/lon and the sources apart.
INCIDENT_FIELDS = (
    *(c for c in INCIDENT_COLUMNS if c not in (*IMPORT_ONLY_COLUMNS, "sources", "geometry")),
    "lat",
    "lon",
)
SOURCE_FIELDS = ("incident_id", "publisher", "title", "date", "url")


def read_research() -> pd.DataFrame:
    """Read both research tables into one frame of strings."""
    frames = [pd.read_csv(RAW / name, dtype=str, keep_default_na=False) for name in RESEARCH_FILES]
    return pd.concat(frames, ignore_index=True)


def read_verification() -> dict[str, tuple[str, str]]:
    """Return ``{id: (verdict, notes)}`` from the source checks, where they exist."""
    verdicts: dict[str, tuple[str, str]] = {}
    for name in VERIFICATION_FILES:
        path = RAW / name
        if path.exists():
            for row in pd.read_csv(path, dtype=str, keep_default_na=False).itertuples():
                verdicts[row.id] = (row.verdict, row.notes)
    return verdicts


def time_of_day(date_precision: str) -> str | None:
    """Return the first ``HH:MM`` in a research date-precision note, or None."""
    # Only clock times of the event itself ("about 08:25 PKT", "13:00-13:15 PKT"), not e.g. a
    # train's departure time.
    match = re.search(r"\b(\d{1,2}):(\d{2})(?:-\d{1,2}:\d{2})?\s*PKT", date_precision)
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


def event_types(row: pd.Series) -> tuple[str, str]:
    """Map a research event label to ACLED-style ``(event_type, sub_event_type)``."""
    label = row["event_type"]
    if row["id"] in ARMED_ATTACK_TYPES:
        return ARMED_ATTACK_TYPES[row["id"]]
    if label in RAIL_EVENT_TYPES:
        return RAIL_EVENT_TYPES[label]
    event_type = label.split(";")[0].strip()
    for prefix, sub_event_type in ACLED_SUB_EVENT_PREFIXES:
        if row["sub_event_type"].startswith(prefix):
            return event_type, sub_event_type
    msg = f"{row['id']}: no ACLED sub-event type for {row['sub_event_type']!r}"
    raise ValueError(msg)


def geo_precision(row: pd.Series) -> str:
    """Class a research geo-precision note on the project's exact/near/district/province scale."""
    note = row["geo_precision"]
    if not row["lat"]:
        return "province"
    if row["id"] == "RAIL-008":
        return "near"  # Wikipedia's incident point, approximate at the 1-2 km level.
    if note.startswith("exact"):
        return "exact"
    if note.startswith(("town", "near town")) and "not at this point" not in note:
        return "near"
    return "district"


def parse_sources(cell: str, incident_id: str) -> list[dict[str, str]]:
    """Split ``Publisher | title | date | URL ;; ...`` into source records."""
    sources = []
    for entry in cell.split(" ;; "):
        parts = [part.strip() for part in entry.split(" | ")]
        if len(parts) != 4:
            msg = f"{incident_id}: source {entry!r} is not 'publisher | title | date | url'"
            raise ValueError(msg)
        publisher, title, date, url = parts
        sources.append(
            {
                "incident_id": incident_id,
                "publisher": publisher,
                "title": title,
                "date": "" if date == "n.d." else date,
                "url": url,
            }
        )
    return sources


def province_points(provinces: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
    """Return a representative ``(lat, lon)`` inside each province polygon."""
    points = provinces.set_index("name").geometry.representative_point()
    return {name: (round(p.y, 5), round(p.x, 5)) for name, p in points.items()}


def derive_row(
    row: pd.Series, registry: GroupRegistry, fallback_points: dict[str, tuple[float, float]]
) -> dict[str, object]:
    """Turn one research row into one project incident row."""
    incident_id = row["id"]
    clock = time_of_day(row["date_precision"])
    event_type, sub_event_type = event_types(row)
    groups = GROUP_OVERRIDES.get(incident_id) or registry.normalise(
        row["groups"], keep_unknown=True
    )
    precision = geo_precision(row)
    lat, lon = row["lat"], row["lon"]
    geo_note = f"{row['geo_precision']}. Point: {row['coord_source']}".strip(". ")
    if precision == "province":
        lat, lon = fallback_points[row["province"]]
        geo_note = (
            f"No sourced point ({row['geo_precision']}); placed at a representative point of "
            f"{row['province']} computed from data/provinces.geojson."
        )
    low, high = row["fatalities_low"], row["fatalities_high"]
    figures_note = row["conflicting_reports"]
    if incident_id in FATALITY_OVERRIDES:
        low, high, note = FATALITY_OVERRIDES[incident_id]
        figures_note = f"{note} {figures_note}"
    return {
        "incident_id": incident_id,
        "start": f"{row['start_date']}T{clock}" if clock else row["start_date"],
        "end": row["end_date"],
        "date_precision": "hour" if clock else "day",
        "time_note": row["date_precision"],
        "place": row["place"],
        "district": row["district"],
        "province": row["province"],
        "country": "Pakistan",
        "lat": lat,
        "lon": lon,
        "geo_precision": precision,
        "geo_note": geo_note,
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "attack_detail": row["sub_event_type"],
        "groups": groups,
        "group_detail": row["groups"],
        "claimed_by": row["claimed_by"],
        "target": row["target"],
        "fatalities_low": low,
        "fatalities_best": "",
        "fatalities_high": high,
        "injured_low": row["injured_low"],
        "injured_best": "",
        "injured_high": row["injured_high"],
        "hostages": row["hostages"],
        "summary": row["facts"],
        "figures_note": figures_note,
    }


def set_best_figures(incident: dict[str, object]) -> None:
    """Set ``*_best`` where the sources agree (low equals high), after any correction."""
    for kind in ("fatalities", "injured"):
        low, high = str(incident[f"{kind}_low"]), str(incident[f"{kind}_high"])
        incident[f"{kind}_best"] = low if low != "" and low == high else ""


def derive() -> tuple[list[dict], list[dict], list[dict]]:
    """Derive incidents, sources and exclusions from the research tables."""
    registry = GroupRegistry.from_csv(DATA / "groups.csv")
    fallback_points = province_points(gpd.read_file(DATA / "provinces.geojson"))
    verification = read_verification()
    incidents, sources, excluded = [], [], []
    for _, row in read_research().iterrows():
        verdict, notes = verification.get(row["id"], ("", ""))
        if verdict == "does_not_hold":
            excluded.append({"incident_id": row["id"], "reason": f"source check: {notes}"})
            continue
        incident = derive_row(row, registry, fallback_points)
        sources += parse_sources(row["sources"], row["id"])
        correction = CORRECTIONS.get(row["id"])
        if correction:
            incident.update(correction["fields"])
            incident["figures_note"] = f"{correction['note']} {incident['figures_note']}".strip()
            sources += [
                dict(zip(SOURCE_FIELDS, (row["id"], *source), strict=True))
                for source in correction["sources"]
            ]
        unknown = set(incident["groups"].split("; ")) - set(registry.names)
        if unknown:
            msg = f"{row['id']}: groups {sorted(unknown)} are not in data/groups.csv"
            raise ValueError(msg)
        set_best_figures(incident)
        incidents.append(incident)
        if row["id"] in SEED_INCIDENTS:
            sources.append({"incident_id": row["id"], **SEED_SOURCE})
    return incidents, sources, excluded


RAIL_SITE_FIELDS = ("incident_id", "rail_line", "rail_km", "rail_km_uncertainty", "rail_site")


def derive_rail_sites(incident_ids: set[str]) -> list[dict[str, object]]:
    """Check the stated railway sites against the station table and return them as rows.

    Raises
    ------
    ValueError
        Naming the row, if its incident, line or station is unknown, or its km post does not
        match the station's (or lie between the two stations of a stretch).
    """
    stations = pd.read_csv(RAW / "rail_stations_pk.csv", dtype={"alt_names": str})
    sites = pd.read_csv(RAW / "incident_rail_sites.csv", dtype={"station": str})
    rows = []
    for site in sites.itertuples(index=False):
        where = f"raw/incident_rail_sites.csv {site.incident_id}"
        if site.incident_id not in incident_ids:
            msg = f"{where}: no such incident"
            raise ValueError(msg)
        on_line = stations[stations["line"] == site.line].set_index("station")["km"]
        if on_line.empty:
            msg = f"{where}: line {site.line!r} is not in raw/rail_stations_pk.csv"
            raise ValueError(msg)
        _check_site_km(where, site.station, float(site.km), on_line)
        rows.append(
            {
                "incident_id": site.incident_id,
                "rail_line": site.line,
                "rail_km": f"{site.km:g}",
                "rail_km_uncertainty": f"{site.km_uncertainty:g}",
                "rail_site": f"{site.station} (km {site.km:g}); {site.basis}",
            }
        )
    return rows


def _check_site_km(where: str, station: str, km: float, on_line: pd.Series) -> None:
    """Check a site's km post against the station(s) it names."""
    stated_post = re.fullmatch(r"km (\d+(?:\.\d+)?)\b.*", station)
    if stated_post:
        if float(stated_post.group(1)) != km:
            msg = f"{where}: station {station!r} but km {km:g}"
            raise ValueError(msg)
        return
    names = station.split("–") if station not in on_line.index else [station]
    missing = [name for name in names if name not in on_line.index]
    if missing:
        msg = f"{where}: station(s) {missing} not on that line in raw/rail_stations_pk.csv"
        raise ValueError(msg)
    posts = [float(on_line[name]) for name in names]
    if not min(posts) <= km <= max(posts):
        msg = f"{where}: km {km:g} is not at or between the posts of {names} ({posts})"
        raise ValueError(msg)


def write_csv(path: Path, rows: list[dict], fields: tuple[str, ...]) -> None:
    """Write rows as UTF-8 CSV with a header, quoting only where needed, LF line ends."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    """Derive and write the incident tables."""
    incidents, sources, excluded = derive()
    write_csv(DATA / "incidents.csv", incidents, INCIDENT_FIELDS)
    write_csv(DATA / "incident_sources.csv", sources, SOURCE_FIELDS)
    write_csv(DATA / "excluded_incidents.csv", excluded, ("incident_id", "reason"))
    ids = {str(row["incident_id"]) for row in incidents}
    write_csv(DATA / "incident_rail_sites.csv", derive_rail_sites(ids), RAIL_SITE_FIELDS)
    print(f"{len(incidents)} incidents, {len(sources)} sources, {len(excluded)} excluded")
    for row in excluded:
        print(f"excluded {row['incident_id']}: {row['reason']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
