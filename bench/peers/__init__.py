"""Small Streamlit apps drawing the same synthetic incidents the way other tools would.

Each runs as ``streamlit run bench/peers/<app>.py -- --synthetic N`` and reads the incidents
from the same prepared GeoParquet cache as the dashboard (:mod:`geo.prepared`), so every app
starts from the same data. Points are drawn in :data:`POINT_RGB` (magenta, a colour no basemap
or label uses) so the benchmark can count painted points in a screenshot.
"""

POINT_RGB = (255, 0, 255)
