"""Untrusted text in messages is shown as text: no Markdown, HTML, link, image or hidden character.

Each message's Markdown is rendered with markdown-it (CommonMark + GFM tables, strikethrough and
autolinks: what Streamlit's renderer understands) and must come out as one paragraph of plain text.
"""

from __future__ import annotations

import html
import json
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from geo.export import SNAPSHOT_FORMAT
from geo.importers import import_incidents
from tests.conftest import ROOT, as_text
from ui import messages

APP = str(ROOT / "app.py")
MARKDOWN = MarkdownIt("gfm-like")  # tables, strikethrough, linkify, HTML passed through
BEACON = "![x](http://198.51.100.7/p.png)"
HOSTILE = [
    f"report {BEACON} **BOLD**.csv",
    "[Session expired, sign in again](http://198.51.100.7/login)",
    "<img src=x onerror=alert(1)><script>alert(2)</script>",
    "[click](javascript:alert(document.cookie))",
    "javascript:alert(1)",
    "www.example.com and http://198.51.100.7/ and mail@example.com",
    "&lt;b&gt;entity&lt;/b&gt; &#60;i&#62;",
    "# Heading\n- list\n1. item\n> quote\n---",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    ":red[red text] :material/home: :smile: $x^2$ $$y$$",
    "abc\u202edcba.csv",  # right-to-left override
    "B\u200bL\u200dA\u2060\ufeff",  # zero-width characters
    "`code` ~~strike~~ _em_ __strong__",
    "x" * 100_000,
]
TAGS = re.compile(r"<(?!/?p>)[a-zA-Z/][^>]*>")


def rendered(markdown: str) -> str:
    return MARKDOWN.render(markdown)


# Streamlit's renderer also turns addresses in the resulting *text* into links (GFM autolink
# literals run on text nodes, after escapes): the text must hold no http://, www. or e-mail.
# (GFM links http://, https://, www. and e-mail; not protocol-relative //host, which linkify-it would.)
LINKS_IN_TEXT = LinkifyIt(schemas={"//": None}, options={"fuzzy_link": False, "fuzzy_email": True})


def assert_plain(markdown: str) -> None:
    """The Markdown renders as plain text: no tag but the paragraph, no link, nothing hidden."""
    out = rendered(markdown)
    assert not TAGS.search(out), out[:500]
    text = html.unescape(re.sub(r"</?p>", "", out))
    assert "\u202e" not in text and "\u200b" not in text and "\ufeff" not in text
    assert not LINKS_IN_TEXT.test(text), LINKS_IN_TEXT.match(text)
    assert not re.search(r"(?i)\bwww\.", text)


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: v[:30])
def test_escaped_values_render_as_their_own_characters(value):
    markdown = messages.escape(value)
    assert_plain(markdown)
    shown = html.unescape(rendered(markdown)).strip().removeprefix("<p>").removesuffix("</p>")
    expected = messages.defang(messages.cut(value))
    for hidden, visible in {"\u202e": "⟨U+202E⟩", "\u200b": "⟨U+200B⟩", "\n": " "}.items():
        expected = expected.replace(hidden, visible)
    if "\u200d" not in value and "#" not in value:
        assert shown == expected


def test_addresses_are_defanged_so_no_renderer_links_them():
    assert messages.defang(f"{BEACON} www.example.com ops@example.org javascript:x") == (
        "![x](http[:]//198.51.100.7/p.png) www[.]example.com ops[@]example.org javascript[:]x"
    )
    assert messages.defang("at 10:30, ratio 3:1, a:b") == "at 10:30, ratio 3:1, a:b"


def test_hidden_characters_are_made_visible():
    assert messages.escape("abc\u202edcba") == "abc⟨U+202E⟩dcba"
    assert messages.escape("B\u200bLA") == "B⟨U+200B⟩LA"
    assert messages.escape("a\x00b\x07") == "a⟨U+0000⟩b⟨U+0007⟩"


def test_a_long_value_is_cut_and_the_cut_is_said():
    text = as_text(messages.escape("y" * 100_000))
    assert text == "y" * messages.VALUE_LIMIT + "… [cut: 100,000 characters in all]"


def test_a_template_keeps_its_own_markdown_and_escapes_the_values():
    out = messages.plain("{name}: kept {count:,} rows", name=BEACON, count=12345)
    assert_plain(out)
    assert as_text(out) == f"{messages.defang(BEACON)}: kept 12,345 rows"
    # A value's braces are not a template.
    assert as_text(messages.plain("{a}", a="{b} {0}")) == "{b} {0}"
    assert as_text(messages.plain("value {x!r}", x="q")) == "value 'q'"


def test_a_long_file_name_does_not_push_the_problem_out_of_the_message():
    out = as_text(
        messages.plain("{name}: {problem}", name="n" * 100_000, problem="the file is empty")
    )
    assert out.endswith(": the file is empty")
    assert len(out) < 400


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_escaped_renders_as_plain_text(value):
    assert_plain(messages.escape(value))
    assert_plain(messages.label(value))


# --- The app's messages, walked with hostile values ----------------------------------------


def all_markdown(at: AppTest) -> list[str]:
    """Every Markdown string the page shows: messages, captions, markdown, labels and help."""
    out = []
    for kind in ("error", "warning", "info", "success", "caption", "markdown", "toast"):
        out += [element.value for element in at.get(kind)]
    for kind in ("button", "download_button", "selectbox", "checkbox", "multiselect", "expander"):
        for element in at.get(kind):
            proto = element.proto
            out += [getattr(proto, "label", ""), getattr(proto, "help", "")]
    return [text for text in out if text]


def assert_page_plain(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    for markdown in all_markdown(at):
        if markdown.startswith("**Showing "):
            # Incidents, or events and their reports when two datasets are loaded (ui/matching).
            assert re.fullmatch(
                r"\*\*Showing (\d+ of \d+ incidents|\d+ events? \(\d+ reports\))\*\*"
                r"( · \d+ reports loaded)?",
                markdown,
            )
            continue
        assert_plain(markdown)


@pytest.fixture
def app(monkeypatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py"])
    return AppTest.from_file(APP, default_timeout=90)


@pytest.mark.parametrize("value", HOSTILE[:4] + HOSTILE[10:12] + HOSTILE[-1:], ids=lambda v: v[:30])
def test_hostile_link_values_are_named_as_text(app, value):
    keys = ("groups", "datasets", "event_types", "provinces", "start", "rail_km", "period")
    # Streamlit ignores a query string over 512 kB: the 100 kB value goes in two keys.
    for key in keys if len(value) < 1000 else keys[:1] + keys[4:5]:
        app.query_params[key] = value
    app.run()
    assert_page_plain(app)
    warning = as_text(app.sidebar.warning[0].value)
    assert warning.startswith("Some of the link's filters could not be used as given: ")
    assert "group(s) not in this data, left out: " in warning


def hostile_import(name: str):
    csv = (
        "date,lat,lon,place,province,group,killed\n"
        f'2025-03-11,29.6,67.5,"{BEACON} <b>Mach</b>",Balochistan,"[BLA](javascript:x)",3\n'
        "2025-03-12,29.7,67.4,Pehro Kunri,Balochistan,BLA,lots\n"
    ).encode()
    return import_incidents(csv, name=name)


@pytest.mark.parametrize("name", HOSTILE[:2] + HOSTILE[10:11] + HOSTILE[-1:], ids=lambda v: v[:30])
def test_an_import_with_a_hostile_name_is_reported_as_text(app, name):
    result = hostile_import(name)
    assert result.kept >= 1
    app.session_state["imports"] = {name: result}
    app.run()
    assert_page_plain(app)
    reports = [as_text(s.value) for s in app.sidebar.success]
    shown = messages.defang(messages.cut(name)).replace("\u202e", "⟨U+202E⟩").replace("\n", " ")
    assert any(r.startswith(shown) for r in reports)
    labels = [as_text(b.proto.label) for b in app.sidebar.get("button")]
    assert any(label.startswith("Remove ") for label in labels)


def snapshot_file(tmp_path, collection: dict) -> str:
    path = tmp_path / "hostile.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    return str(path)


def test_a_snapshot_with_hostile_filters_and_values_is_shown_as_text(monkeypatch, tmp_path):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [67.5, 29.6]},
        "properties": {
            "incident_id": BEACON,
            "start": "2025-03-11",
            "end": "2025-03-11T23:59:59",
            "date_precision": "day",
            "place": "<script>alert(1)</script>",
            "geo_precision": "exact",
            "event_type": "Battles",
            "groups": HOSTILE[1],
            "summary": HOSTILE[0],
            "sources": [],
        },
    }
    collection = {
        "type": "FeatureCollection",
        "metadata": {
            "format": SNAPSHOT_FORMAT,
            "filters": {"groups": [BEACON], "rail_km": 500, "text": HOSTILE[2]},
        },
        "features": [feature],
    }
    monkeypatch.setattr(sys, "argv", ["app.py", "--snapshot", snapshot_file(tmp_path, collection)])
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert_page_plain(at)
    warning = as_text(at.sidebar.warning[0].value)
    assert f"group(s) not in this data, left out: '{messages.defang(BEACON)}'" in warning
    assert (
        "rail_km=500 is outside 0.5–100 km, the range of the railway filter; using 100 km"
        in warning
    )
