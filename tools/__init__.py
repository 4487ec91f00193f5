"""Build scripts that derive the bundled data in ``data/`` from ``data/raw/``."""
