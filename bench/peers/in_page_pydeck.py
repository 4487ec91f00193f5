"""The dashboard's page with its incident map drawn by pydeck (``bench.peers.in_page``)."""

from bench.peers.in_page import run

run("pydeck")
