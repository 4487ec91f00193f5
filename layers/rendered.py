"""Map elements add their rendered JavaScript and HTML to the page as text, never as a template.

branca's ``MacroElement.render`` puts each rendered part (header, html, script) into the page
as ``Element(part)``, and ``Element`` compiles its text as a Jinja template, rendered again
when the page is. That second pass is pure cost, paid for every element on every page run (76
compiles, 20 ms of each rerun; an element that carries data in its script, such as the offline
basemap's outlines or a selection's incidents, 24 ms more at a million incidents), and it is
wrong: text in a part that reads ``{{ 7*7 }}`` would be evaluated on the server.

Importing :mod:`layers` applies :func:`render_parts_as_text` to ``MacroElement`` itself, so
every folium element (the map, its layers and controls, and this project's) renders its parts
once, as text. :data:`COMPILED_RENDER` keeps branca's own method (for the test that compares
the two pages).
"""

from __future__ import annotations

from branca.element import Element, Figure, MacroElement

PARTS = ("header", "html", "script")
COMPILED_RENDER = MacroElement.render


class _Text(Element):
    """Text already rendered, returned as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: object) -> str:
        return self._text


def render_parts_as_text(self: MacroElement, **kwargs: object) -> None:
    """Add the element's rendered header, html and script to the page, then render its children.

    ``MacroElement.render`` with each part added as text instead of as a template.
    """
    figure = self.get_root()
    if not isinstance(figure, Figure):
        msg = f"{type(self).__name__} can only be rendered inside a Figure"
        raise TypeError(msg)
    macros = self._template.module.__dict__
    for part in PARTS:
        macro = macros.get(part)
        if macro is not None:
            getattr(figure, part).add_child(_Text(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


MacroElement.render = render_parts_as_text
