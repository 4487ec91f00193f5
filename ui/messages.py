"""The one way to put text that did not come from this code into a Streamlit message.

Streamlit renders Markdown in ``st.error``, ``st.warning``, ``st.info``, ``st.success``,
``st.caption``, ``st.markdown``, ``st.toast``, ``help=`` tooltips and widget labels. A file
name, a link parameter, a column name or a snapshot's metadata put there as it is could show
attacker-chosen bold text and links, or make every viewer's browser fetch an image from any
host (``![x](http://host/beacon.png)``). Everything here turns such a value into Markdown that
renders as exactly its characters:

- every ASCII punctuation character is backslash-escaped (CommonMark lets any of them be), so no
  emphasis, link, image, autolink (``www.`` / ``http://`` / ``a@b``), HTML tag, entity, heading,
  list, table, KaTeX ``$`` or Streamlit directive (``:red[...]``, ``:material/...:``) can form;
- control, format and separator characters (bidi overrides such as U+202E, zero-width
  characters, NUL) are shown as a visible ``⟨U+202E⟩`` instead of silently reordering or
  hiding text; line breaks and tabs become spaces;
- very long values are cut, and the cut is said (``… [cut: 102,400 characters in all]``);
- web addresses are defanged as threat-intelligence reports do (``http[:]//host``,
  ``www[.]host``, ``name[@]host``): Streamlit's renderer turns ``http://``, ``www.`` and
  e-mail addresses in the *text* into links after escapes are resolved, so escaping alone
  leaves a clickable link to any host.

Use :func:`error`, :func:`warning`, :func:`info`, :func:`success`, :func:`caption` and
:func:`toast` for messages, :func:`markdown` when this code's own template carries Markdown,
and :func:`label` for widget labels built from data. A template with ``{name}`` fields is
this code's own text; the values given for the fields are escaped one by one and cut at
``limit`` characters each, so a 100 kB file name cannot push the rest of a message out.
"""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st
from streamlit.logger import get_logger

VALUE_LIMIT = 300  # characters of one value shown in a message
MESSAGE_LIMIT = 2_000  # characters of a whole message given as one string
LABEL_LIMIT = 120  # characters of a widget label
_PUNCTUATION = frozenset(string.punctuation)
_SPACES = {"\n": " ", "\r": " ", "\t": " ", "\u2028": " ", "\u2029": " "}
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
_FORMATTER = string.Formatter()
LOGGER = get_logger("incident_dashboard")  # Streamlit's handler and format: the server log


def _visible(char: str) -> str:
    """Return ``char``, a space for a line break or tab, or ``⟨U+XXXX⟩`` for a hidden character."""
    if char in _SPACES:
        return _SPACES[char]
    if unicodedata.category(char) in _HIDDEN_CATEGORIES:
        return f"⟨U+{ord(char):04X}⟩"
    return char


def cut(value: object, limit: int = VALUE_LIMIT) -> str:
    """Return ``str(value)`` cut to ``limit`` characters, saying so when it was cut.

    Parameters
    ----------
    value : object
        Anything; ``str()`` is applied.
    limit : int
        Largest number of characters kept.

    Returns
    -------
    str
    """
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut: {len(text):,} characters in all]"


_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,30}):(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
_EMAIL_AT = re.compile(r"(?<=[\w.+-])@(?=[\w-]+\.)")
_SCHEME_ONLY = re.compile(r"(?i)\b(mailto|xmpp|javascript|data|vbscript|file):")


def defang(text: str) -> str:
    """Return ``text`` with web and e-mail addresses made unclickable but readable.

    ``http://host`` becomes ``http[:]//host``, ``www.host`` ``www[.]host``, ``a@b.org``
    ``a[@]b.org`` and ``mailto:``/``javascript:`` ``mailto[:]``/``javascript[:]``.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    text = _SCHEME.sub(r"\1[:]", text)
    text = _SCHEME_ONLY.sub(r"\1[:]", text)
    text = _WWW.sub(r"\1[.]", text)
    return _EMAIL_AT.sub("[@]", text)


def escape(value: object, *, limit: int = VALUE_LIMIT) -> str:
    """Return Markdown that Streamlit renders as exactly the characters of ``value``.

    Parameters
    ----------
    value : object
        Untrusted text (``str()`` is applied): a file name, a link parameter, a cell.
    limit : int
        Longest text kept before it is cut (the cut is said in the result).

    Returns
    -------
    str
        Markdown with every ASCII punctuation character backslash-escaped and every control,
        bidi or zero-width character replaced by a visible ``⟨U+XXXX⟩``.
    """
    out = []
    for char in defang(cut(value, limit)):
        char = _visible(char)
        out.append("\\" + char if char in _PUNCTUATION else char)
    return "".join(out)


def plain(template: str, /, *, limit: int = MESSAGE_LIMIT, **values: Any) -> str:
    """Return a message as Markdown that renders as plain text.

    Parameters
    ----------
    template : str
        The message. Without ``values`` it is taken whole as untrusted text (so an f-string is
        safe too). With ``values`` it is a :meth:`str.format` template of this code's own text
        whose ``{name}`` fields (format specs allowed: ``{count:,}``) are filled with the
        values, each escaped and cut at :data:`VALUE_LIMIT` characters.
    limit : int
        Longest message without ``values`` (values have their own limit).
    **values
        The untrusted values.

    Returns
    -------
    str
    """
    if not values:
        return escape(template, limit=limit)
    return _fill(template, values, literal=lambda text: escape(text, limit=limit))


def _fill(template: str, values: dict[str, Any], *, literal, value_limit: int = VALUE_LIMIT) -> str:
    """Fill ``template``'s fields with escaped values, passing its own text through ``literal``."""
    parts = []
    for text, field, spec, conversion in _FORMATTER.parse(template):
        parts.append(literal(text))
        if field is None:
            continue
        value = values[field]
        if conversion:
            value = _FORMATTER.convert_field(value, conversion)
        parts.append(escape(format(value, spec or ""), limit=value_limit))
    return "".join(parts)


def _say(kind: str, template: str, values: dict[str, Any], where: Any, **options: Any) -> Any:
    container = st if where is None else where
    return getattr(container, kind)(plain(template, **values), **options)


def error(template: str, /, *, where: Any = None, **values: Any) -> Any:
    """Show an error box with untrusted text (see :func:`plain`); ``where`` is a container."""
    return _say("error", template, values, where)


def warning(template: str, /, *, where: Any = None, **values: Any) -> Any:
    """Show a warning box with untrusted text (see :func:`plain`)."""
    return _say("warning", template, values, where)


def info(template: str, /, *, where: Any = None, **values: Any) -> Any:
    """Show an information box with untrusted text (see :func:`plain`)."""
    return _say("info", template, values, where)


def success(template: str, /, *, where: Any = None, **values: Any) -> Any:
    """Show a success box with untrusted text (see :func:`plain`)."""
    return _say("success", template, values, where)


def caption(template: str, /, *, where: Any = None, **values: Any) -> Any:
    """Show a caption with untrusted text (see :func:`plain`)."""
    return _say("caption", template, values, where)


def toast(template: str, /, **values: Any) -> Any:
    """Show a toast with untrusted text (see :func:`plain`)."""
    return st.toast(plain(template, **values))


def markdown(template: str, /, *, where: Any = None, help: str | None = None, **values: Any) -> Any:
    """Show this code's own Markdown ``template`` with untrusted ``values`` escaped into it.

    Parameters
    ----------
    template : str
        Trusted Markdown with :meth:`str.format` fields (``"**Showing {count:,}**"``).
    where : container, optional
        ``st.sidebar`` or another container; the main area by default.
    help : str, optional
        A tooltip of this code's own text.
    **values
        Untrusted values, each escaped (see :func:`escape`).

    Returns
    -------
    The Streamlit element.
    """
    container = st if where is None else where
    return container.markdown(_fill(template, values, literal=str), help=help)


def label(template: str, /, **values: Any) -> str:
    """Return a widget label (buttons, boxes, expanders) that shows untrusted text as text.

    Widget labels render Markdown, images included; see :func:`plain`.
    """
    if not values:
        return escape(template, limit=LABEL_LIMIT)
    return _fill(
        template,
        values,
        literal=lambda text: escape(text, limit=LABEL_LIMIT),
        value_limit=LABEL_LIMIT,
    )


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """Run a section of the page; if it fails, log the details and say so in one plain line.

    The traceback, file paths and exception text go to the server log only (with a reference
    the message gives); the user sees which part failed and that the rest of the page works.
    Streamlit's own control flow (``st.stop``, ``st.rerun``) passes through untouched.

    Parameters
    ----------
    what : str
        The section, as a user would name it ("the map").
    """
    try:
        yield
    except Exception:
        reference = secrets.token_hex(4)
        LOGGER.exception("%s failed (reference %s)", what, reference)
        error(
            "Something went wrong while showing {what}, so it is left out (reference "
            "{reference} in the server log). The rest of the page works; changing the filters "
            "or removing the last import may help.",
            what=what,
            reference=reference,
        )
