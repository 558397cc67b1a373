"""The EPUB-friendly HTML handbook: one XHTML chapter per record, a title page and a nav.

:meth:`Handbook.files` gives every file of ``handbook/`` by relative path, so the
same bytes are written to the folder and packed into the EPUB. All references are
relative; logos are copied into ``media/`` under safe names.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.assets import SubsetFont, subset_fonts
from pipeline.chronology import RecordEvent, combined
from pipeline.context import ArticleView
from pipeline.names import Group, name_index
from pipeline.render import Renderer


@dataclass
class Chapter:
    """One record's chapter file: its view placed in the handbook, and the logo file it carries."""

    view: ArticleView
    href: str
    logo: tuple[str, Path] | None = None  # (path inside the handbook, source file)


class Handbook:
    def __init__(self, renderer: Renderer, views: list[ArticleView]):
        self.renderer = renderer
        self.chapters = [self._chapter(view) for view in views]
        self.names: list[Group] = name_index([(c.view.slug, c.view.article) for c in self.chapters])
        self.extra: list[str] = ["chronology.xhtml"] if renderer.build.chronology else []  # after the chapters
        if self.names:
            self.extra.append("names.xhtml")

    @property
    def timeline(self) -> list[RecordEvent]:
        """The chronology across records, each event with the chapter it comes from."""
        return combined([(c.view.slug, c.view.article.title, c.view.chronology) for c in self.chapters])

    def _chapter(self, view: ArticleView) -> Chapter:
        logo, inside = None, None
        if view.logo.path:
            inside = f"media/{view.slug}-logo{view.logo.path.suffix.lower()}"
            logo = (inside, view.logo.path)
        view = view.placed(xref=("", ".xhtml"), logo_src=inside)
        return Chapter(view=view, href=f"{view.slug}.xhtml", logo=logo)

    def document_names(self) -> list[str]:
        """The XHTML documents in handbook order: title page and contents, navigation, chapters."""
        return ["index.xhtml", "nav.xhtml", *(chapter.href for chapter in self.chapters), *self.extra]

    @property
    def theme_logo(self) -> str | None:
        """The theme's logo inside the handbook (``media/theme/logo.svg``), or None."""
        logo = self.renderer.theme.logo
        return f"media/theme/{logo[0]}" if logo else None

    def _render(self, template: str, **context) -> bytes:
        return self.renderer.render(template, theme_logo=self.theme_logo, **context).encode("utf-8")

    def document(self, name: str) -> bytes:
        """One XHTML document, rendered on its own: a build renders only what changed."""
        if name in ("index.xhtml", "nav.xhtml"):
            return self._render(f"{name}.j2", chapters=self.chapters, extra=self.extra)
        if name == "chronology.xhtml":
            return self._render("chronology.xhtml.j2", chapters=self.chapters, timeline=self.timeline)
        if name == "names.xhtml":
            return self._render("names.xhtml.j2", chapters=self.chapters, names=self.names)
        return self._render("chapter.xhtml.j2", view=self._by_href[name].view)

    @functools.cached_property
    def _by_href(self) -> dict[str, Chapter]:
        return {chapter.href: chapter for chapter in self.chapters}

    @functools.cached_property
    def documents(self) -> dict[str, bytes]:
        """Every XHTML document, by relative path."""
        return {name: self.document(name) for name in self.document_names()}

    def asset_names(self) -> list[str]:
        """The files that are the same for every handbook: the stylesheet, the font licence, the theme's logo."""
        return ["css/handbook.css", "fonts/OFL.txt", *([self.theme_logo] if self.theme_logo else [])]

    def stylesheet(self) -> str:
        """``handbook.css``: the theme's or the bundled one, then the theme's ``css/theme.css`` and ``--extra-css``."""
        theme = self.renderer.theme
        bundled = theme.file(self.renderer.templates, "css/handbook.css").read_text(encoding="utf-8")
        return bundled + theme.appended_css_text()

    @staticmethod
    def fonts_for(documents: Iterable[bytes]) -> list[SubsetFont]:
        """The fonts cut to what the documents show; a family that prints nothing is left out.

        Only the set of characters matters, so it is gathered document by document
        rather than from one string of the whole handbook.
        """
        characters: set[str] = set()
        for data in documents:
            characters.update(data.decode("utf-8"))
        return subset_fonts("".join(sorted(characters)))

    def font_files(self, fonts: list[SubsetFont]) -> dict[str, bytes]:
        """``css/fonts.css`` with an ``@font-face`` rule for each font, and the fonts themselves."""
        files = {"css/fonts.css": self.renderer.render("css/fonts.css.j2", fonts=fonts).encode("utf-8")}
        files.update({f"fonts/{font.name}": font.data for font in fonts})
        return files

    @functools.cached_property
    def fonts(self) -> dict[str, bytes]:
        """The font files (and their stylesheet) for every document of this handbook."""
        return self.font_files(self.fonts_for(self.documents.values()))

    def files(
        self, documents: dict[str, bytes] | None = None, fonts: dict[str, bytes] | None = None
    ) -> dict[str, bytes]:
        """Every file of the handbook folder, by path relative to it, in a stable order.

        ``documents`` and ``fonts`` (as :meth:`font_files` gives them) may come from
        an earlier build's folder; by default they are made here.
        """
        files = dict(self.documents if documents is None else documents)
        templates = self.renderer.templates
        files["css/handbook.css"] = self.stylesheet().encode("utf-8")
        files.update(self.fonts if fonts is None else fonts)
        files["fonts/OFL.txt"] = (templates / "fonts" / "OFL.txt").read_bytes()
        if self.theme_logo:
            files[self.theme_logo] = self.renderer.theme.logo[1].data  # the checked bytes
        for chapter in self.chapters:
            if chapter.logo and chapter.view.logo.media:
                files[chapter.logo[0]] = chapter.view.logo.media.data  # the checked bytes, never the file as it is
        return files

    def single_file(self, fonts: dict[str, bytes] | None = None) -> bytes:
        """One self-contained HTML file: stylesheet and fonts inlined as data."""
        fonts = self.fonts if fonts is None else fonts
        css = fonts["css/fonts.css"].decode("utf-8")
        for name, font in fonts.items():
            if name.startswith("fonts/"):
                data = base64.b64encode(font).decode("ascii")
                kind = "font/otf" if name.endswith(".otf") else "font/ttf"
                css = css.replace(f"url(../{name})", f"url(data:{kind};base64,{data})")
        css += "\n" + self.stylesheet().replace("@import url(fonts.css);", "")
        chapters = []
        for chapter in self.chapters:
            media, src = chapter.view.logo.media, None
            if chapter.logo and media:
                src = f"data:{media.media_type};base64,{base64.b64encode(media.data).decode('ascii')}"
            view = chapter.view.placed(xref=("#", ""), shared=True, logo_src=src)
            chapters.append(dataclasses.replace(chapter, view=view, href=f"#{chapter.view.slug}"))
        logo = self.renderer.theme.logo
        inline_logo = None
        if logo:
            inline_logo = f"data:{logo[1].media_type};base64,{base64.b64encode(logo[1].data).decode('ascii')}"
        html = self.renderer.render(
            "handbook-single.html.j2",
            chapters=chapters,
            inline_css=css,
            timeline=self.timeline,
            names=self.names,
            theme_logo=inline_logo,
        )
        return html.encode("utf-8")
