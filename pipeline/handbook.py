"""The EPUB-friendly HTML handbook: one XHTML chapter per record, a title page and a nav.

:meth:`Handbook.files` gives every file of ``handbook/`` by relative path, so the
same bytes are written to the folder and packed into the EPUB. All references are
relative; logos are copied into ``media/`` under safe names.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.assets import font_files, subset_fonts
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

    def _chapter(self, view: ArticleView) -> Chapter:
        logo = None
        if view.logo_path:
            inside = f"media/{view.slug}-logo{view.logo_path.suffix.lower()}"
            logo = (inside, view.logo_path)
            view = dataclasses.replace(view, logo_src=inside)
        return Chapter(view=view, href=f"{view.slug}.xhtml", outline=outline(view.article.sections), logo=logo)

    def document_names(self) -> list[str]:
        """The XHTML documents in handbook order: title page and contents, navigation, chapters."""
        return ["index.xhtml", "nav.xhtml", *(chapter.href for chapter in self.chapters)]

    def document(self, name: str) -> bytes:
        """One XHTML document, rendered on its own: a build renders only what changed."""
        if name in ("index.xhtml", "nav.xhtml"):
            return self.renderer.render(f"{name}.j2", chapters=self.chapters).encode("utf-8")
        return self.renderer.render("chapter.xhtml.j2", view=self._by_href[name].view).encode("utf-8")

    @functools.cached_property
    def _by_href(self) -> dict[str, Chapter]:
        return {chapter.href: chapter for chapter in self.chapters}

    @functools.cached_property
    def documents(self) -> dict[str, bytes]:
        """Every XHTML document, by relative path."""
        return {name: self.document(name) for name in self.document_names()}

    def asset_names(self) -> list[str]:
        """The files that are the same for every handbook: stylesheets and the font licence."""
        return ["css/handbook.css", "css/fonts.css", "fonts/OFL.txt"]

    def font_names(self) -> list[str]:
        return [f"fonts/{path.name}" for path in font_files()]

    @staticmethod
    def fonts_for(documents: Iterable[bytes]) -> dict[str, bytes]:
        """The bundled fonts cut to what the documents show: about 0.3 MB instead of 3.8 MB.

        Only the set of characters matters, so it is gathered document by document
        rather than from one string of the whole handbook.
        """
        characters: set[str] = set()
        for data in documents:
            characters.update(data.decode("utf-8"))
        return subset_fonts("".join(sorted(characters)))

    @functools.cached_property
    def fonts(self) -> dict[str, bytes]:
        return self.fonts_for(self.documents.values())

    def files(
        self, documents: dict[str, bytes] | None = None, fonts: dict[str, bytes] | None = None
    ) -> dict[str, bytes]:
        """Every file of the handbook folder, by path relative to it, in a stable order.

        ``documents`` and ``fonts`` (paths like ``fonts/NotoSans-Regular.ttf``) may come
        from an earlier build's folder; by default they are made here.
        """
        files = dict(self.documents if documents is None else documents)
        templates = self.renderer.templates
        for name in self.asset_names():
            if name.startswith("fonts/"):
                continue
            files[name] = (templates / name).read_bytes()
        if fonts is None:
            fonts = {f"fonts/{name}": data for name, data in self.fonts.items()}
        files.update(fonts)
        files["fonts/OFL.txt"] = (templates / "fonts" / "OFL.txt").read_bytes()
        for chapter in self.chapters:
            if chapter.logo:
                files[chapter.logo[0]] = chapter.logo[1].read_bytes()
        return files

    def single_file(self, fonts: dict[str, bytes] | None = None) -> bytes:
        """One self-contained HTML file: stylesheet and fonts inlined as data."""
        templates = self.renderer.templates
        css = (templates / "css" / "fonts.css").read_text(encoding="utf-8")
        for name, font in (self.fonts if fonts is None else fonts).items():
            data = base64.b64encode(font).decode("ascii")
            css = css.replace(f"url(../fonts/{name})", f"url(data:font/ttf;base64,{data})")
        css += "\n" + (templates / "css" / "handbook.css").read_text(encoding="utf-8").replace(
            "@import url(fonts.css);", ""
        )
        chapters = []
        for chapter in self.chapters:
            if chapter.logo:
                kind = mimetypes.guess_type(chapter.logo[1].name)[0] or "application/octet-stream"
                data = base64.b64encode(chapter.logo[1].read_bytes()).decode("ascii")
                chapter = dataclasses.replace(
                    chapter, view=dataclasses.replace(chapter.view, logo_src=f"data:{kind};base64,{data}")
                )
            chapters.append(dataclasses.replace(chapter, href=f"#{chapter.view.slug}"))
        html = self.renderer.render("handbook-single.html.j2", chapters=chapters, inline_css=css)
        return html.encode("utf-8")
