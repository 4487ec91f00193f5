"""The dashboard's page with its incident map drawn by st.map (``bench.peers.in_page``)."""

from bench.peers.in_page import run

run("st.map")
