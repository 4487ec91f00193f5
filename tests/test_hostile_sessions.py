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
