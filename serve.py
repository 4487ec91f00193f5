"""The dashboard's server: ``streamlit run serve.py [-- options]`` serves ``app.py``.

Streamlit runs ``app.py`` only once a browser has opened the page, so the first visitor waits
for the modules to load and the dataset to be read (five seconds at a million incidents), and
with a team store for its incidents to be read, matched and published. This server starts all
that the moment it starts (:func:`ui.warm.warm_start`, in a thread, so the server answers at
once); the first page run then finds them in the caches every session shares. The options after
``--`` are ``app.py``'s.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st


def _warm() -> None:
    from ui.warm import warm_start

    warm_start()


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    """Start reading the dataset when the server starts; nothing to undo when it stops."""
    threading.Thread(target=_warm, name="warm-start", daemon=True).start()
    yield


app = st.App("app.py", lifespan=lifespan)
