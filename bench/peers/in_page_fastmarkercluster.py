"""The dashboard's page, its incident map drawn by FastMarkerCluster (``bench.peers.in_page``)."""

from bench.peers.in_page import run

run("FastMarkerCluster")
