"""Where the bundled templates, stylesheets and fonts live, and what the fonts can show.

In a source checkout they are the top-level ``templates/``; an installed wheel carries
the same folder inside the package as ``pipeline/_templates`` (see pyproject.toml).

:data:`FACES` is the one explicit list of fonts every output may use, in fallback
order. Most are bundled in ``templates/fonts/``; the CJK font (about 20 MB per weight)
comes from Debian's ``fonts-noto-cjk`` at a fixed path, installed by
``scripts/system-deps.sh``. No other font on the machine is ever used, so two machines
with the same set-up give the same bytes.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InstallationError

_HERE = Path(__file__).resolve().parent
CJK_PACKAGE = "fonts-noto-cjk"
_CJK_DIR = "/usr/share/fonts/opentype/noto"
#: Scripts whose letters come from the system CJK font (fontTools script codes).
CJK_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Hang", "Bopo"})


@functools.cache
def templates_dir() -> Path:
    for candidate in (_HERE / "_templates", _HERE.parent / "templates"):
        if (candidate / "factsheet.html.j2").is_file():
            return candidate
    raise InstallationError(
        f"make-report's templates are missing (looked in {_HERE / '_templates'} and "
        f"{_HERE.parent / 'templates'}); reinstall the package"
    )


@dataclass(frozen=True)
class Face:
    """One font file (one face of a collection) and the CSS family it serves as."""

    family: str
    file: str  # a name in templates/fonts/, or the absolute path of a system font
    weight: int = 400
    italic: bool = False
    index: int = 0  # the face inside a font collection (.ttc)
    package: str | None = None  # the Debian package that installs a system font

    @property
    def path(self) -> Path:
        return Path(self.file) if self.package else templates_dir() / "fonts" / self.file

    @property
    def subset_name(self) -> str:
        """The file name of this face's subset in the handbook."""
        if not self.package:
            return self.file
        return f"{Path(self.file).stem}-{self.index}.otf"


def _pair(family: str, stem: str, bold: bool = True) -> tuple[Face, ...]:
    regular = Face(family, f"{stem}-Regular.ttf")
    return (regular, Face(family, f"{stem}-Bold.ttf", 700)) if bold else (regular,)


#: Every font, in fallback order: a character is drawn with the first family that has
#: it (WeasyPrint and browsers fall back glyph by glyph through the font-family list).
#: The CSS font-family lists (print.css, handbook.css) name the families in this order
#: (tests/test_glyphs.py checks it).
FACES: tuple[Face, ...] = (
    Face("MR Serif", "NotoSerif-Regular.ttf"),
    Face("MR Serif", "NotoSerif-Italic.ttf", italic=True),
    Face("MR Serif", "NotoSerif-Bold.ttf", 700),
    Face("MR Serif", "NotoSerif-BoldItalic.ttf", 700, italic=True),
    *_pair("MR Sans", "NotoSans"),
    # Symbols before the script fonts: several script fonts carry a few symbols too
    # (Mongolian has circled digits), and a symbol should look the same everywhere.
    Face("MR Math", "NotoSansMath-Regular.ttf"),
    Face("MR Symbols", "NotoSansSymbols-Regular.ttf"),
    Face("MR Symbols2", "NotoSansSymbols2-Regular.ttf"),
    # Noto Sans Mono cut to Box Drawing and Block Elements (U+2500-U+259F): no other
    # Noto font has them, and the whole font is 0.5 MB.
    Face("MR Box", "NotoSansMono-BoxDrawing.ttf"),
    *_pair("MR Arabic", "NotoNaskhArabic"),
    *_pair("MR Hebrew", "NotoSansHebrew"),
    *_pair("MR Syriac", "NotoSansSyriac", bold=False),
    *_pair("MR Thaana", "NotoSansThaana"),
    *_pair("MR Armenian", "NotoSansArmenian"),
    *_pair("MR Georgian", "NotoSansGeorgian"),
    *_pair("MR Devanagari", "NotoSansDevanagari"),
    *_pair("MR Bengali", "NotoSansBengali"),
    *_pair("MR Gurmukhi", "NotoSansGurmukhi"),
    *_pair("MR Tamil", "NotoSansTamil"),
    *_pair("MR Thai", "NotoSansThai"),
    *_pair("MR Lao", "NotoSansLao"),
    *_pair("MR Khmer", "NotoSansKhmer"),
    # CJK before Mongolian, which carries CJK punctuation (、。《》) for vertical text.
    # Face 2 of the collection is Simplified Chinese; its `locl` feature gives the
    # Japanese, Korean and Traditional forms to runs tagged ja, ko or zh-Hant.
    Face("MR CJK", f"{_CJK_DIR}/NotoSansCJK-Regular.ttc", index=2, package=CJK_PACKAGE),
    Face("MR CJK", f"{_CJK_DIR}/NotoSansCJK-Bold.ttc", 700, index=2, package=CJK_PACKAGE),
    *_pair("MR Ethiopic", "NotoSansEthiopic", bold=False),
    *_pair("MR Mongolian", "NotoSansMongolian", bold=False),
    *_pair("MR Tibetan", "NotoSerifTibetan", bold=False),
    Face("MR Emoji", "NotoEmoji-Regular.ttf"),  # monochrome outlines
)
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(face.family for face in FACES))
#: Families every handbook carries whole for ASCII: the Latin text faces.
_BASE = ("MR Serif", "MR Sans")


def font_files() -> list[Path]:
    """Every font file that exists, bundled or system, in fallback order."""
    return list(dict.fromkeys(face.path for face in available_faces()))


def available_faces() -> list[Face]:
    return [face for face in FACES if face.path.is_file()]


def missing_packages() -> list[str]:
    """Debian packages whose explicit font files are not installed."""
    return sorted({face.package for face in FACES if face.package and not face.path.is_file()})


def fonts_fingerprint() -> str:
    """The system fonts in use, by path, size and time: a cached PDF is reused only with the same fonts.

    The bundled fonts are part of the templates fingerprint already.
    """
    parts = []
    for face in FACES:
        if face.package:
            try:
                stat = face.path.stat()
            except OSError:
                parts.append(f"{face.path} missing")
            else:
                parts.append(f"{face.path} {stat.st_size} {stat.st_mtime_ns}")
    return "\n".join(parts)


def _open(face: Face):
    from fontTools.ttLib import TTFont

    return TTFont(face.path, fontNumber=face.index, lazy=True, recalcTimestamp=False)


@functools.cache
def _cmap(face: Face) -> frozenset[int]:
    with _open(face) as font:
        return frozenset(font.getBestCmap())


@functools.cache
def covers(code: int) -> bool:
    """Whether some face has a glyph for ``code``: the union of the fonts' cmaps.

    Faces are read in fallback order and only as far as needed (a Latin record reads
    one cmap, not the CJK font's 44,000 entries); bold and italic faces of a family
    cover what its regular face covers. Results are cached per character.
    """
    return _family_of(chr(code)) is not None


@functools.cache
def _regular_faces() -> tuple[Face, ...]:
    return tuple(face for face in available_faces() if face.weight == 400 and not face.italic)


def _family_of(char: str) -> str | None:
    """The first family in fallback order whose regular face has ``char``."""
    code = ord(char)
    for face in _regular_faces():
        if code in _cmap(face):
            return face.family
    return None


@dataclass(frozen=True)
class SubsetFont:
    face: Face
    name: str  # file name in the handbook's fonts/ folder
    data: bytes

    @property
    def format(self) -> str:
        return "opentype" if self.name.endswith(".otf") else "truetype"


def subset_fonts(text: str) -> list[SubsetFont]:
    """The fonts the handbook needs, each cut down to the characters of ``text``.

    A family goes in only if it is the first in fallback order for some character of
    ``text`` (the Latin faces always, for ASCII); each of its faces keeps only the
    characters of ``text`` it has, with every layout feature and the glyphs they
    reach (ligatures, alternates). Case-mapped forms are kept too (the stylesheet
    upper-cases labels). The name table stays whole, so each font still carries its
    licence. The same text always gives the same bytes.

    HarfBuzz's subsetter (uharfbuzz) does it: the same cut fontTools made, about 200
    times faster (0.2 s a face with fontTools, most of a small handbook's build).
    """
    import uharfbuzz as hb

    characters = set(text) | set(text.upper()) | set(text.lower())
    characters.discard("\n")
    used = set(_BASE) | {family for c in characters if (family := _family_of(c))}
    characters |= {chr(c) for c in range(32, 127)}
    result = []
    for face in available_faces():
        if face.family not in used:
            continue
        font = hb.Face(hb.Blob.from_file_path(str(face.path)), face.index)
        wanted = hb.SubsetInput()
        for sets in (wanted.layout_feature_tag_set, wanted.name_id_set, wanted.name_lang_id_set):
            sets.clear()
            sets.invert()  # all of them
        wanted.unicode_set.update(sorted(ord(c) for c in characters if ord(c) in _cmap(face)))
        wanted.flags = hb.SubsetFlags.NAME_LEGACY | hb.SubsetFlags.NOTDEF_OUTLINE
        cut = hb.subset(font, wanted)
        if cut is None:
            raise RuntimeError(f"HarfBuzz could not subset {face.path}")
        result.append(SubsetFont(face, face.subset_name, bytes(cut.blob.data)))
    return result


def uncovered(text: str) -> list[str]:
    """Characters of ``text`` that no font in :data:`FACES` has a glyph for, in order, once each."""
    seen: dict[str, None] = {}
    for char in text:
        if char in seen or char.isspace():
            continue
        if unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp", "Cs"):
            continue  # invisible format controls are not drawn
        if 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF:
            continue  # variation selectors choose a form; they have no glyph of their own
        if not covers(ord(char)):
            seen[char] = None
    return list(seen)


def install_hint(char: str) -> str | None:
    """What to install so ``char`` can print, when its font is a missing system package."""
    from fontTools import unicodedata as ucd

    if CJK_PACKAGE in missing_packages() and ucd.script(char) in CJK_SCRIPTS:
        return (
            f"its font comes from the Debian package {CJK_PACKAGE}, which is not installed; run scripts/system-deps.sh"
        )
    return None
