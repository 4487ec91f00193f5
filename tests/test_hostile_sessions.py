"""Sessions hold their own imports, and give the memory back when an import is removed."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest
from streamlit.testing.v1 import AppTest

from geo.importers import import_incidents
from tests.conftest import ROOT
from ui.memory import release_memory

APP = str(ROOT / "app.py")
CSV = (
    b"date,lat,lon,place,province,group,killed\n"
    b"2025-03-11,29.6,67.5,Mach,Balochistan,BLA,3\n"
    b"2025-03-12,29.7,67.4,Pehro Kunri,Balochistan,BLA,2\n"
)


@pytest.fixture
def app(monkeypatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py"])
    return AppTest.from_file(APP, default_timeout=90)


def test_removing_an_import_leaves_nothing_holding_it(app):
    result = import_incidents(CSV, name="private.csv")
    held = weakref.ref(result)
    combined_frames = []
    app.session_state["imports"] = {"private.csv": result}
    del result
    app.run()
    assert not app.exception
    combined_frames.append(weakref.ref(app.session_state["imports_combined"][1].incidents))
    remove = next(b for b in app.sidebar.button if b.proto.label == "Remove private\\.csv")
    remove.click().run()
    assert not app.exception
    assert app.session_state["imports"] == {}
    assert "imports_combined" not in app.session_state
    gc.collect()
    assert held() is None, gc.get_referrers(held())
    assert combined_frames[0]() is None


def test_the_run_import_is_not_a_process_wide_cache():
    from ui.imports import run_import

    first = run_import(CSV, "a.csv", "auto", None)
    second = run_import(CSV, "a.csv", "auto", None)
    assert first is not second  # nothing process-wide keeps a session's import


def test_release_memory_asks_glibc_to_trim():
    assert release_memory() is True


class _Cycle:
    """An object in a reference cycle, as a run's map is (folium elements hold their parent)."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def no_automatic_collection():
    """Collections happen only where the code asks for them (as with millions of long-lived
    objects, where a full collection is rare)."""
    gc.disable()
    yield
    gc.enable()
    gc.unfreeze()


def test_a_page_run_frees_the_map_the_run_before_drew(app, monkeypatch, no_automatic_collection):
    import folium

    maps = []
    original = folium.Map.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        maps.append(weakref.ref(self))

    monkeypatch.setattr(folium.Map, "__init__", recording)
    app.run()
    first = list(maps)
    app.run()
    assert not app.exception
    assert first and all(drawn() is None for drawn in first)


@pytest.mark.parametrize("settle", ["release_memory", "keep_what_was_loaded"])
def test_frozen_cycles_wait_for_the_next_full_release(no_automatic_collection, settle):
    from ui import memory
    from ui.memory import collect_run_garbage

    kept = _Cycle()
    gone = weakref.ref(kept)
    getattr(memory, settle)()  # the cycle is alive and long-lived: frozen
    del kept
    collect_run_garbage()  # a page run's collection skips frozen objects
    assert gone() is not None
    release_memory()  # a dataset read or a session ended: everything is collected again
    assert gone() is None
