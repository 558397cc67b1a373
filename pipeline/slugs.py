"""Safe, unique, stable file names for records, whatever their titles hold.

python-slugify transliterates (Cyrillic and Greek titles give readable names) and
drops everything that is not a letter, digit or hyphen, so path separators, dots,
bidi controls and zero-width characters never reach the file system.
"""

from __future__ import annotations

from slugify import slugify

#: Names the build itself writes, and names Windows refuses for files.
RESERVED = {
    "index",
    "nav",
    "handbook",
    "briefing",
    "manifest",
    "cover",
    "toc",
    "style",
    "fonts",
    "media",
    "chronology",
    "names",
    "changes",
    "records",
}
WINDOWS = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
MAX_LENGTH = 64


def base_slug(title: str) -> str:
    slug = slugify(title, max_length=MAX_LENGTH, word_boundary=True, save_order=True) or "record"
    if slug in RESERVED or slug in WINDOWS:
        slug = f"{slug}-record"
    return slug


def assign_slugs(titles: list[tuple[str, str]]) -> dict[str, str]:
    """Map each key to a unique slug; ``titles`` is (key, title), keys in a stable order.

    The first record (in key order) keeps the plain slug; later ones get -2, -3...
    """
    used: set[str] = set()
    result: dict[str, str] = {}
    for key, title in sorted(titles):
        base = base_slug(title)
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        result[key] = slug
    return result
