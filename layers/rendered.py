"""Map elements whose rendered JavaScript joins the page as text.

branca's ``MacroElement.render`` puts each rendered part (header, html, script) into the page
as ``Element(part)``, and ``Element`` compiles its text as a Jinja template. For an element
that carries data in its script (the offline basemap's outlines, 50-120 kB each; a selection's
incidents or mask, up to hundreds of kB) that compile is pure cost, paid on every page run:
24 ms of a page run at a million incidents. The text is final; it is never a template: an
incident summary reading ``{{ 7*7 }}`` would otherwise be evaluated on the server.
"""

from __future__ import annotations

from branca.element import Element, Figure

PARTS = ("header", "html", "script")


class _Text(Element):
    """Text already rendered, returned as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: object) -> str:
        return self._text


class RenderedAsText:
    """Mixin for a ``MacroElement`` subclass: its rendered parts are added to the page as text.

    Put it before ``MacroElement`` (and after ``JSCSSMixin``) in the bases. Only for elements
    whose ``render`` is ``MacroElement``'s (not folium layers, which add their own steps).
    """

    def render(self, **kwargs: object) -> None:
        """Add the rendered header, html and script to the page, then render the children."""
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
