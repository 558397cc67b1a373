"""A project's own look: a theme folder over the bundled templates, extra stylesheets, a logo.

A theme folder mirrors ``templates/``: a file there with the name of a bundled
template or stylesheet replaces it (Jinja's ``ChoiceLoader``, as MkDocs'
``custom_dir``). Two names are the theme's own: ``css/theme.css``, appended after
the bundled stylesheet of every output, where a team sets the ``--mr-*`` colour
variables; and ``logo.svg`` (or ``.png``, ``.jpg``), shown in every masthead.
``--extra-css`` files come last. A template error in any of them is reported as
``FILE:LINE: error: ...`` (:class:`TemplateProblem`), never as a traceback.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, TemplateError, TemplateSyntaxError

from pipeline.errors import ConfigurationError
from pipeline.media import Media
from pipeline.media import load as load_media

#: The theme's own stylesheet, appended after the bundled one (PDF and handbook).
THEME_CSS = "css/theme.css"
#: The theme's logo, in this order of preference.
LOGO_NAMES = ("logo.svg", "logo.png", "logo.jpg", "logo.jpeg")


class TemplateProblem(ConfigurationError):
    """A template (bundled or a theme's) that cannot be compiled or rendered, at its file and line (exit 2)."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: error: {message}")
        self.path, self.line, self.problem = path, line, message

    def __reduce__(self):
        """Whole across processes: a worker's template error reaches the build as itself."""
        return (type(self), (self.path, self.line, self.problem))


class ThemeError(ConfigurationError):
    """A theme folder or extra stylesheet that cannot be used (missing, not a folder, a bad logo)."""


@dataclass(frozen=True)
class Theme:
    """The theme folder (or none) and the extra stylesheets of one build; picklable for the workers."""

    folder: Path | None = None
    extra_css: tuple[Path, ...] = ()
    _logo: tuple[str, Media] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def load(cls, folder: Path | None = None, extra_css: tuple[Path, ...] = ()) -> Theme:
        """Check the folder, the stylesheets and the logo once, before anything is built."""
        if folder is not None and not folder.is_dir():
            raise ThemeError(f"{_display(folder)}: the theme is not a folder; name a folder (see docs/theming.md)")
        for css in extra_css:
            if not css.is_file():
                raise ThemeError(f"{_display(css)}: the extra stylesheet is not a file")
        logo = None
        if folder is not None:
            for name in LOGO_NAMES:
                if (folder / name).is_file():
                    checked = load_media(folder / name)
                    if checked.media is None:
                        raise ThemeError(f"{_display(folder / name)}: the theme's logo {checked.problem}")
                    logo = (name, checked.media)
                    break
        return cls(folder, tuple(extra_css), logo)

    def loader(self, bundled: Path) -> BaseLoader:
        """The theme's templates first, then the bundled ones."""
        if self.folder is None:
            return FileSystemLoader(bundled)
        return ChoiceLoader([FileSystemLoader(self.folder), FileSystemLoader(bundled)])

    def file(self, bundled: Path, name: str) -> Path:
        """A stylesheet or other file by its name under ``templates/``: the theme's if it has one."""
        if self.folder is not None and (self.folder / name).is_file():
            return self.folder / name
        return bundled / name

    def appended_css(self) -> list[Path]:
        """The stylesheets after the bundled one: the theme's ``css/theme.css``, then ``--extra-css``."""
        own = [self.folder / THEME_CSS] if self.folder is not None and (self.folder / THEME_CSS).is_file() else []
        return own + list(self.extra_css)

    def appended_css_text(self) -> str:
        """The appended stylesheets as one text, for the handbook's ``handbook.css``."""
        parts = [f"/* {path.name} */\n{path.read_text(encoding='utf-8')}" for path in self.appended_css()]
        return "".join(f"\n{part}" for part in parts)

    @property
    def logo(self) -> tuple[str, Media] | None:
        """The logo's file name and its checked bytes (an SVG without scripts), or None."""
        return self._logo

    def fingerprint(self) -> str:
        """Every file of the theme and every extra stylesheet, by name and bytes: part of the cache key."""
        digest = hashlib.sha256()
        if self.folder is not None:
            for path in sorted(self.folder.rglob("*")):
                if path.is_file():
                    digest.update(b"theme\0" + path.relative_to(self.folder).as_posix().encode() + b"\0")
                    digest.update(path.read_bytes())
        for path in self.extra_css:
            digest.update(b"extra\0" + path.read_bytes())
        return digest.hexdigest()


def problem(exc: TemplateError, tb: TracebackType | None, roots: list[Path]) -> TemplateProblem:
    """A Jinja error as ``FILE:LINE``: the innermost template frame of the traceback, or the syntax error's place."""
    if isinstance(exc, TemplateSyntaxError):
        where = _display(Path(exc.filename or exc.name or "?"))
        return TemplateProblem(where, exc.lineno, f"{exc.message}; fix the template")
    found: tuple[str, int] | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or any(_inside(filename, root) for root in roots):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    path, line = found or ("<template>", 1)
    message = f"{exc}; fix the template (docs/theming.md lists the variables)"
    return TemplateProblem(_display(Path(path)), line, message)


def export(bundled: Path, target: Path) -> list[Path]:
    """Copy the bundled templates and stylesheets (not the fonts) into ``target``; never overwrite."""
    wanted = [
        path
        for path in sorted(bundled.rglob("*"))
        if path.is_file() and path.relative_to(bundled).parts[0] != "fonts" and not path.name.startswith(".")
    ]
    clashes = [target / p.relative_to(bundled) for p in wanted if (target / p.relative_to(bundled)).exists()]
    if clashes:
        raise ThemeError(
            f"{_display(clashes[0])}: already exists ({len(clashes)} files would be overwritten); "
            "export into a new folder"
        )
    written = []
    for path in wanted:
        destination = target / path.relative_to(bundled)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        written.append(destination)
    return written


def _inside(filename: str, root: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False


def _display(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    from pipeline.diagnostics import shown

    try:
        return shown(os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else path)
    except (OSError, ValueError):
        return shown(path)
