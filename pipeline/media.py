"""Media files (logos) checked before any output uses them.

A file in ``media/`` is untrusted like the records: a ``.png`` may be empty,
truncated, HTML, or a small file that decodes to gigabytes; an SVG may hold
scripts, event handlers, or references to local files and web addresses. Every
output (fact sheet, handbook folder, EPUB, single file) uses only the bytes that
:func:`load` returns: raster images that decode fully within :data:`MAX_PIXELS`,
and SVGs rebuilt from an allow-list of static SVG elements and attributes.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

#: Largest image, in pixels, that is decoded (a 5,000 x 5,000 logo).
MAX_PIXELS = 25_000_000
#: Largest media file, in bytes, that is read.
MAX_MEDIA_BYTES = 16 * 1024 * 1024

#: Suffix -> (Pillow format, media type). SVG is checked by its own rules.
RASTER = {
    ".png": ("PNG", "image/png"),
    ".jpg": ("JPEG", "image/jpeg"),
    ".jpeg": ("JPEG", "image/jpeg"),
    ".gif": ("GIF", "image/gif"),
    ".webp": ("WEBP", "image/webp"),
}
SUFFIXES = frozenset(RASTER) | {".svg"}


@dataclass(frozen=True)
class Media:
    """The bytes an output may use, and their media type."""

    data: bytes
    media_type: str


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one file: usable bytes, or why not; and what was taken out."""

    media: Media | None
    problem: str | None = None  # why the file cannot be used, for messages and the left-out note
    removed: list[str] = field(default_factory=list)  # active SVG content taken out


def load(path: Path) -> Checked:
    """Check a media file and return the bytes outputs may use; never raises for bad files."""
    suffix = path.suffix.casefold()
    if suffix not in SUFFIXES:
        return Checked(None, f"is not an image type make-report shows ({', '.join(sorted(SUFFIXES))})")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_MEDIA_BYTES + 1)
    except OSError as exc:
        return Checked(None, f"cannot be read ({exc.strerror or exc})")
    return _check(data, suffix)


@functools.lru_cache(maxsize=8)  # the bytes are held anyway: a usable raster image is its own result
def _check(data: bytes, suffix: str) -> Checked:
    """Checking is pure, so the same bytes are checked once per process however many outputs use them."""
    if len(data) > MAX_MEDIA_BYTES:
        return Checked(None, f"is larger than {MAX_MEDIA_BYTES:,} bytes")
    if not data:
        return Checked(None, "is empty")
    if suffix == ".svg":
        return _svg(data)
    return _raster(data, *RASTER[suffix])


def _raster(data: bytes, expected: str, media_type: str) -> Checked:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    return Checked(None, f"is a {image.format} image, not {expected} as its name says")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return Checked(None, _too_big(width, height))
                image.verify()  # checksums and structure, without decoding
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # every pixel: a truncated file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Checked(None, f"is larger than the limit of {MAX_PIXELS:,} pixels")
    except UnidentifiedImageError:
        return Checked(None, f"is not a {expected} image (nor any image Pillow knows)")
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        return Checked(None, f"is a damaged {expected} image ({exc})")
    return Checked(Media(data, media_type))


def _too_big(width: int, height: int) -> str:
    return f"is {width:,} x {height:,} pixels, larger than the limit of {MAX_PIXELS:,} pixels"


# -- SVG ----------------------------------------------------------------------------

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"

#: Static SVG: shapes, text, paint servers, clipping, masking and filters.
_ELEMENT_NAMES = """svg g defs symbol use title desc path rect circle ellipse line polyline polygon text tspan
    textPath linearGradient radialGradient stop clipPath mask pattern marker style filter
    feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
    feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
    feGaussianBlur feMerge feMergeNode feMorphology feOffset fePointLight feSpecularLighting
    feSpotLight feTile feTurbulence"""
ELEMENTS = frozenset(_ELEMENT_NAMES.split())
_ATTRIBUTE_NAMES = """id class style transform d x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height viewBox
    preserveAspectRatio points pathLength version baseProfile
    fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin stroke-miterlimit
    stroke-dasharray stroke-dashoffset stroke-opacity opacity clip-path clip-rule mask filter
    color display visibility overflow vector-effect paint-order shape-rendering text-rendering
    image-rendering color-interpolation color-interpolation-filters
    font-family font-size font-weight font-style font-variant font-stretch text-anchor
    dominant-baseline alignment-baseline baseline-shift letter-spacing word-spacing text-decoration
    writing-mode direction unicode-bidi dx dy rotate textLength lengthAdjust startOffset method spacing side
    offset stop-color stop-opacity gradientUnits gradientTransform spreadMethod
    patternUnits patternContentUnits patternTransform clipPathUnits maskUnits maskContentUnits
    markerWidth markerHeight refX refY orient markerUnits marker-start marker-mid marker-end
    filterUnits primitiveUnits in in2 result stdDeviation mode type values operator k1 k2 k3 k4
    flood-color flood-opacity lighting-color radius baseFrequency numOctaves seed stitchTiles
    tableValues slope intercept amplitude exponent scale xChannelSelector yChannelSelector
    kernelMatrix order divisor bias targetX targetY edgeMode preserveAlpha surfaceScale
    diffuseConstant specularConstant specularExponent kernelUnitLength azimuth elevation z
    pointsAtX pointsAtY pointsAtZ limitingConeAngle enable-background"""
ATTRIBUTES = frozenset(_ATTRIBUTE_NAMES.split())
#: Attributes that may only point inside the same file (``#id``).
REFERENCES = frozenset({"href", f"{{{XLINK}}}href"})
#: CSS that fetches or runs something: any url() other than url(#id), image-set(), @import,
#: @font-face, escapes (which could spell any of them), expression() and script addresses.
_ACTIVE_CSS = re.compile(
    r"@import|@font-face|image-set\s*\(|url\s*\(\s*['\"]?\s*[^#'\"\s)]|\\|expression\s*\(|javascript:|behavio",
    re.I,
)
_ACTIVE_ATTRIBUTE_VALUE = re.compile(r"url\s*\(\s*['\"]?\s*[^#'\"\s)]|javascript:|data:", re.I)


def _svg(data: bytes) -> Checked:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    removed: dict[str, None] = {}
    if re.search(rb"<\?xml-stylesheet", data):
        removed["an xml-stylesheet instruction"] = None
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        return Checked(None, "declares a DTD or entities, which an SVG logo has no use for")
    except (ET.ParseError, ValueError) as exc:
        return Checked(None, f"is not well-formed SVG ({exc})")
    except RecursionError:
        return Checked(None, "is nested too deeply")
    if root.tag != f"{{{SVG}}}svg":
        return Checked(None, "is not an SVG image (its root is not <svg> in the SVG namespace)")
    try:
        _clean(root, removed)
    except RecursionError:
        return Checked(None, "is nested too deeply")
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    try:
        clean = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    except RecursionError:
        return Checked(None, "is nested too deeply")
    return Checked(Media(clean, "image/svg+xml"), removed=list(removed))


def _clean(element: ET.Element, removed: dict[str, None]) -> None:
    """Keep allowed elements and attributes, in place; note active content taken out."""
    for child in list(element):
        name = _local(child.tag, SVG)
        if name == "a":  # a link: its drawing stays, as a group
            child.tag, name = f"{{{SVG}}}g", "g"
            removed["a link (<a>)"] = None
        if name not in ELEMENTS:
            element.remove(child)
            if name is not None or _local(child.tag, "http://www.w3.org/1999/xhtml") is not None:
                removed[f"<{name or _local(child.tag, 'http://www.w3.org/1999/xhtml')}>"] = None
            continue
        if name == "style" and _ACTIVE_CSS.search(child.text or ""):
            element.remove(child)
            removed["a <style> that loads or runs something"] = None
            continue
        _clean(child, removed)
    for attribute, value in list(element.attrib.items()):
        name = attribute if attribute in REFERENCES else _local(attribute, None)
        if attribute in REFERENCES:
            if not value.strip().startswith("#"):
                removed[f"a reference to {value.strip()[:80]!r}"] = None
                del element.attrib[attribute]
        elif name is None:  # another namespace: editor data (Inkscape, Sodipodi), xml:space
            if attribute not in (f"{{{XML}}}space", f"{{{XML}}}lang"):
                del element.attrib[attribute]
        elif name.casefold().startswith("on"):
            removed[f"{name}="] = None
            del element.attrib[attribute]
        elif name not in ATTRIBUTES:
            del element.attrib[attribute]
        elif (name == "style" and _ACTIVE_CSS.search(value)) or _ACTIVE_ATTRIBUTE_VALUE.search(value):
            removed[f"{name}={value.strip()[:60]!r}"] = None
            del element.attrib[attribute]


def _local(tag: str, namespace: str | None) -> str | None:
    """The local name of ``{namespace}name``; for ``namespace=None``, of a name with no namespace."""
    if not isinstance(tag, str):
        return None  # a comment or processing instruction
    if namespace is None:
        return None if tag.startswith("{") else tag
    prefix = f"{{{namespace}}}"
    return tag[len(prefix) :] if tag.startswith(prefix) else None
