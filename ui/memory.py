"""Give memory back when a large dataset was read, an import is removed or a session ends.

Python frees a removed import's frames at once, but glibc's allocator keeps the freed pages
mapped, so the server's resident memory stays where it peaked (measured before this module:
1.3 GB after eight 20,000-row imports, 1.6 GB after removing them, 2.2 GB five minutes after
the session closed). :func:`release_memory` collects garbage and asks glibc to return free
pages to the system (``malloc_trim``); :func:`release_when_session_ends` runs it when
Streamlit drops a session's state (``server.disconnectedSessionTTL`` after its tab closed).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
import time
import weakref
from collections.abc import Callable
from functools import cache

import pyarrow
import streamlit as st
from streamlit import runtime

_SENTINEL = "memory_release_sentinel"
LOGGER = logging.getLogger(__name__)


@cache
def _malloc_trim():
    """Return glibc's ``malloc_trim`` (None on other C libraries)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def release_memory() -> bool:
    """Collect garbage and return freed heap pages to the system.

    Returns
    -------
    bool
        Whether the C library could be asked to return pages (glibc only).
    """
    # A full collection, over every object; what survives it is long-lived (a dataset, its
    # matching and event table: millions of objects at a million incidents) and is frozen, so
    # the collections after each page run (collect_run_garbage) skip it.
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return return_free_pages()


def keep_what_was_loaded() -> None:
    """Freeze the objects a dataset's load made and return free pages (no collection).

    For the end of a load (the store's incidents, a match result, an event table): what it
    made is alive and long-lived, and a full collection over millions of objects finds nearly
    nothing (0.13-0.14 s at a million incidents, measured). Frozen, later collections skip it;
    :func:`release_memory` unfreezes everything again.
    """
    gc.freeze()
    return_free_pages()


def collect_run_garbage() -> None:
    """Free what a page run left in reference cycles and give free pages back to the system.

    A page run's map (folium elements hold their parents, and the selection's data with them)
    is garbage in cycles once the next run replaces it; with millions of long-lived objects a
    full collection rarely happens, so 100-150 MB a filter change stayed resident at a million
    incidents (measured). Frozen objects (:func:`keep_what_was_loaded`,
    :func:`release_memory`) are not traversed: a few milliseconds instead of 0.14 s.
    """
    gc.collect()
    return_free_pages()


def return_free_pages() -> bool:
    """Return the pages the allocators hold free to the system (no garbage collection).

    Returns
    -------
    bool
        Whether the C library could be asked to return pages (glibc only).
    """
    # Arrow (GeoParquet reads, string columns) keeps freed blocks in its own pool: 0.6 GB after
    # reading a million prepared incidents.
    pyarrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class _Sentinel:
    """An object only a session's state holds; its finaliser runs when the state is dropped."""


def release_when_session_ends() -> None:
    """Arrange for :func:`release_memory` to run once this session's state is dropped."""
    if _SENTINEL in st.session_state:
        return
    sentinel = _Sentinel()
    # Off the thread that drops the session: a full collection can take a moment.
    weakref.finalize(sentinel, lambda: threading.Thread(target=release_memory, daemon=True).start())
    st.session_state[_SENTINEL] = sentinel


def end_expired_sessions() -> int:
    """Shut down the closed tabs' sessions whose reconnect time is up.

    Streamlit keeps a closed tab's session for ``server.disconnectedSessionTTL`` so that it can
    reconnect, then drops it from that cache without shutting it down: its uploaded files and
    download files stay on the server, and its download links keep serving snapshots to anyone
    who holds them. Shutting such sessions down (as Streamlit does for a session it closes)
    removes them. Called at the start of every run of any session; uses Streamlit's session
    manager internals, checked by ``tests/test_hostile_sessions_browser.py``.

    Returns
    -------
    int
        How many sessions were shut down.
    """
    if not runtime.exists():
        return 0
    manager = getattr(runtime.get_instance(), "_session_mgr", None)  # None under AppTest
    if manager is None:
        return 0
    cache = getattr(getattr(manager, "_session_storage", None), "_cache", None)
    lock = getattr(manager, "_storage_lock", None)
    if cache is None or lock is None or not hasattr(cache, "expire"):
        LOGGER.warning("Streamlit's session storage changed: expired sessions are not ended")
        return 0
    with lock:
        expired = cache.expire()
    for _, info in expired:
        _on_server_loop(info.session.shutdown)
    if expired:
        LOGGER.info("ended %d session(s) past their reconnect time", len(expired))
    return len(expired)


def _on_server_loop(call: Callable[[], object]) -> None:
    """Run ``call`` on the server's event loop thread (now, when there is none).

    Streamlit shuts sessions down on that thread; its session methods are documented as unsafe
    on any other, and a page run or the reaper thread is another.
    """
    loop = getattr(getattr(runtime.get_instance(), "_async_objs", None), "eventloop", None)
    if loop is None or loop.is_closed():
        call()
        return
    loop.call_soon_threadsafe(call)


_REAPER = threading.Lock()
_reaper_started = False


def start_session_reaper(interval_s: float = 30.0) -> None:
    """End expired sessions every ``interval_s`` seconds, even when no page is running.

    :func:`end_expired_sessions` also runs at the start of every page run; this thread (one per
    process, started by the first run) covers a server that nobody uses after the last tab
    closed, so its memory and download files still go.
    """
    global _reaper_started
    with _REAPER:
        if _reaper_started or not runtime.exists():
            return
        _reaper_started = True

    def reap() -> None:
        while True:
            time.sleep(interval_s)
            try:
                if end_expired_sessions():
                    release_memory()
            except Exception:  # noqa: BLE001 - the reaper must outlive one bad pass
                LOGGER.exception("ending expired sessions failed")

    threading.Thread(target=reap, name="session-reaper", daemon=True).start()
