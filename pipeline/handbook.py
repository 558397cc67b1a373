"""The EPUB-friendly HTML handbook: one XHTML chapter per record, a title page and a nav.

:meth:`Handbook.files` gives every file of ``handbook/`` by relative path, so the
same bytes are written to the folder and packed into the EPUB. All references are
relative; logos are copied into ``media/`` under safe names.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.assets import SubsetFont, subset_fonts
from pipeline.chronology import RecordEvent, combined
from pipeline.names import Group, name_index
from pipeline.render import ArticleView, Renderer
from schemas import Section


@dataclass
class OutlineNode:
    id: str
    title: str
    children: list[OutlineNode] = field(default_factory=list)


@dataclass
class Chapter:
    view: ArticleView
    href: str
    outline: list[OutlineNode]
    logo: tuple[str, Path] | None = None  # (path inside the handbook, source file)


def outline(sections: list[Section], id_prefix: str = "s") -> list[OutlineNode]:
    """Nest flat sections by level; a skipped level nests under the nearest shallower one."""
    root: list[OutlineNode] = []
    stack: list[tuple[int, OutlineNode]] = []
    for index, section in enumerate(sections, start=1):
        node = OutlineNode(f"{id_prefix}{index}", section.title)
        while stack and stack[-1][0] >= section.level:
            stack.pop()
        (stack[-1][1].children if stack else root).append(node)
        stack.append((section.level, node))
    return root


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
        logo = None
        if view.logo_path:
            inside = f"media/{view.slug}-logo{view.logo_path.suffix.lower()}"
            logo = (inside, view.logo_path)
            view = dataclasses.replace(view, logo_src=inside)
        view = dataclasses.replace(view, xref=("", ".xhtml"))
        return Chapter(view=view, href=f"{view.slug}.xhtml", outline=outline(view.article.sections), logo=logo)

    @functools.cached_property
    def documents(self) -> dict[str, bytes]:
        """The XHTML documents: title page and contents, navigation, one chapter per record."""
        render = self.renderer.render
        documents = {
            "index.xhtml": render("index.xhtml.j2", chapters=self.chapters).encode("utf-8"),
            "nav.xhtml": render("nav.xhtml.j2", chapters=self.chapters, extra=self.extra).encode("utf-8"),
        }
        for chapter in self.chapters:
            documents[chapter.href] = render("chapter.xhtml.j2", view=chapter.view).encode("utf-8")
        if "chronology.xhtml" in self.extra:
            documents["chronology.xhtml"] = render(
                "chronology.xhtml.j2", chapters=self.chapters, timeline=self.timeline
            ).encode("utf-8")
        if "names.xhtml" in self.extra:
            documents["names.xhtml"] = render("names.xhtml.j2", chapters=self.chapters, names=self.names).encode(
                "utf-8"
            )
        return documents

    @functools.cached_property
    def fonts(self) -> list[SubsetFont]:
        """The fonts cut to what the handbook shows; a family that prints nothing is left out."""
        return subset_fonts("".join(d.decode("utf-8") for d in self.documents.values()))

    def fonts_css(self) -> str:
        """``@font-face`` rules for exactly the fonts of :attr:`fonts`."""
        return self.renderer.render("css/fonts.css.j2", fonts=self.fonts)

    def files(self) -> dict[str, bytes]:
        """Every file of the handbook folder, by path relative to it, in a stable order."""
        files = dict(self.documents)
        templates = self.renderer.templates
        files["css/handbook.css"] = (templates / "css" / "handbook.css").read_bytes()
        files["css/fonts.css"] = self.fonts_css().encode("utf-8")
        for font in self.fonts:
            files[f"fonts/{font.name}"] = font.data
        files["fonts/OFL.txt"] = (templates / "fonts" / "OFL.txt").read_bytes()
        for chapter in self.chapters:
            if chapter.logo and chapter.view.logo:
                files[chapter.logo[0]] = chapter.view.logo.data  # the checked bytes, never the file as it is
        return files

    def single_file(self) -> bytes:
        """One self-contained HTML file: stylesheet and fonts inlined as data."""
        templates = self.renderer.templates
        css = self.fonts_css()
        for font in self.fonts:
            data = base64.b64encode(font.data).decode("ascii")
            kind = "font/otf" if font.format == "opentype" else "font/ttf"
            css = css.replace(f"url(../fonts/{font.name})", f"url(data:{kind};base64,{data})")
        css += "\n" + (templates / "css" / "handbook.css").read_text(encoding="utf-8").replace(
            "@import url(fonts.css);", ""
        )
        chapters = []
        for chapter in self.chapters:
            if chapter.logo and chapter.view.logo:
                kind = chapter.view.logo.media_type
                data = base64.b64encode(chapter.view.logo.data).decode("ascii")
                chapter = dataclasses.replace(
                    chapter, view=dataclasses.replace(chapter.view, logo_src=f"data:{kind};base64,{data}")
                )
            view = dataclasses.replace(chapter.view, xref=("#", ""))
            chapters.append(dataclasses.replace(chapter, view=view, href=f"#{chapter.view.slug}"))
        html = self.renderer.render(
            "handbook-single.html.j2", chapters=chapters, inline_css=css, timeline=self.timeline, names=self.names
        )
        return html.encode("utf-8")
