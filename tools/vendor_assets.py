"""Copy the map's browser assets from ``node_modules`` (and folium) into ``static/vendor``.

Run by ``make setup`` after ``npm ci``. The mapping from CDN URL to local file is in
``layers/assets.py``; this script copies each folder that holds those files, with the images and
fonts their stylesheets refer to.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import folium

from layers.assets import LOCAL_ASSETS

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"
FOLIUM_TEMPLATES = Path(folium.__file__).parent / "templates"

# Local folder -> where its files come from.
FOLDERS = {
    "leaflet": MODULES / "leaflet" / "dist",
    "jquery": MODULES / "jquery" / "dist",
    "bootstrap": MODULES / "bootstrap" / "dist",
    "awesome-markers": MODULES / "drmonty-leaflet-awesome-markers",
    "fontawesome": MODULES / "@fortawesome" / "fontawesome-free",
    "markercluster": MODULES / "leaflet.markercluster" / "dist",
    "leaflet-heat": FOLIUM_TEMPLATES,
    "supercluster": MODULES / "supercluster" / "dist",
    "fullscreen": MODULES / "leaflet.fullscreen",
    "leaflet-measure": MODULES / "leaflet-measure" / "dist",
}
# Only these parts of large packages are needed.
SUBFOLDERS = {"fontawesome": ("css", "webfonts", "LICENSE.txt"), "awesome-markers": ("css", "js")}


def main() -> int:
    """Copy the assets and check that every file layers/assets.py names is present."""
    if not VENDOR.is_symlink():  # a worktree's link to the shared copy is updated in place
        shutil.rmtree(VENDOR, ignore_errors=True)
    for folder, source in FOLDERS.items():
        target = VENDOR / folder
        parts = SUBFOLDERS.get(folder)
        if parts is None:
            shutil.copytree(source, target, dirs_exist_ok=True)
            continue
        for part in parts:
            if (source / part).is_dir():
                shutil.copytree(source / part, target / part, dirs_exist_ok=True)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / part, target / part)
    missing = [path for path in LOCAL_ASSETS.values() if not (VENDOR / path).is_file()]
    if missing:
        raise SystemExit(f"assets missing after copy: {missing}")
    print(f"{len(LOCAL_ASSETS)} assets in {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
