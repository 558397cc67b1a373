"""Where the bundled templates, stylesheets and fonts live, and what the fonts can show.

In a source checkout they are the top-level ``templates/``; an installed wheel carries
the same folder inside the package as ``pipeline/_templates`` (see pyproject.toml).
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@functools.cache
def templates_dir() -> Path:
    for candidate in (_HERE / "_templates", _HERE.parent / "templates"):
        if (candidate / "factsheet.html.j2").is_file():
            return candidate
    raise FileNotFoundError(
        f"make-report's templates are missing (looked in {_HERE / '_templates'} and "
        f"{_HERE.parent / 'templates'}); reinstall the package"
    )


def font_files() -> list[Path]:
    return sorted((templates_dir() / "fonts").glob("*.ttf"))


@functools.cache
def _covered() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    codes: set[int] = set()
    for path in font_files():
        with TTFont(path, lazy=True) as font:
            codes.update(font.getBestCmap())
    return frozenset(codes)


def subset_fonts(text: str) -> dict[str, bytes]:
    """Each bundled font cut down to the characters of ``text``, for the handbook.

    Case-mapped forms are kept too (the stylesheet upper-cases labels), and printable
    ASCII. The name table stays whole, so each font still carries its licence.
    The same text always gives the same bytes (no timestamps are recalculated).
    """
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    characters = set(text) | set(text.upper()) | set(text.lower()) | {chr(c) for c in range(32, 127)}
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    result = {}
    for path in font_files():
        font = TTFont(path, recalcTimestamp=False)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(characters)))
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        result[path.name] = buffer.getvalue()
    return result


def uncovered(text: str) -> list[str]:
    """Characters of ``text`` that no bundled font has a glyph for, in order, once each."""
    covered = _covered()
    seen: dict[str, None] = {}
    for char in text:
        if ord(char) in covered or char in seen or char.isspace():
            continue
        if unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp"):
            continue  # invisible format controls are not drawn
        seen[char] = None
    return list(seen)
