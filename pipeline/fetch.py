"""The only way WeasyPrint may read a file: from the templates, the theme or the media folder.

WeasyPrint's default fetcher opens any ``file://`` path and any web address, and
``<link rel="attachment">`` would embed a local file in the PDF. Records are
untrusted text, so every reference goes through :class:`SafeFetcher`, which
serves regular files under the allowed folders (after resolving symlinks) and
refuses everything else, remembering what it refused so the build can say so.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.media import SUFFIXES as MEDIA_SUFFIXES
from pipeline.media import load as load_media


class RefusedURL(ValueError):
    """A reference outside the allowed folders; WeasyPrint logs it and renders on."""


class SafeFetcher(URLFetcher):
    """Serves the templates as they are, and media files only as :mod:`pipeline.media` checked them.

    ``roots[0]`` is the templates folder; the others are the records' media folders.
    ``theme`` is the project's theme folder: its stylesheets and fonts are served as
    they are, its images only as checked, like media.
    """

    def __init__(self, roots: list[Path], theme: Path | None = None):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.roots = [root.resolve() for root in roots]
        self.theme = theme.resolve() if theme is not None else None
        if self.theme is not None:
            self.roots.append(self.theme)
        self.refused: list[str] = []

    def path_for(self, url: str) -> Path | None:
        """The file a URL names, if it is one this fetcher may serve."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve()
        except (OSError, ValueError):
            return None
        if not any(path.is_relative_to(root) for root in self.roots):
            return None
        return path if path.is_file() else None

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = self.path_for(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL(
                f"refused {url[:200]!r}: only the templates, the theme and the records' media folder are served"
            )
        in_theme = self.theme is not None and path.is_relative_to(self.theme)
        if path.is_relative_to(self.roots[0]) or (in_theme and path.suffix.casefold() not in MEDIA_SUFFIXES):
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": kind})
        checked = load_media(path)  # a record's media: only the checked (sanitised) bytes
        if checked.media is None:
            self.refused.append(url)
            raise RefusedURL(f"refused {url[:200]!r}: the file {checked.problem}")
        return URLFetcherResponse(
            path.as_uri(), body=checked.media.data, headers={"Content-Type": checked.media.media_type}
        )

    def take_refused(self) -> list[str]:
        """What was refused since the last call (one record's worth)."""
        refused, self.refused = self.refused, []
        return refused
