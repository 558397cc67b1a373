"""The catalog of diagnostic codes: one stable code per kind of problem.

A code never changes meaning once released, so that CI filters, editor
integrations and ``docs/errors.md`` (which lists every code with its fix) can
rely on it. The message text may be reworded; the code stays. A code that is
retired is kept here, marked retired, and never reused.
"""

from __future__ import annotations

#: code -> short title (the title is what ``--format github`` shows and what
#: docs/errors.md heads each entry with).
CODES: dict[str, str] = {
    # the file itself
    "MR001": "file cannot be read",
    "MR002": "file over the size limit",
    "MR003": "bytes that are not UTF-8",
    "MR004": "forbidden character",
    # JSON records
    "MR010": "not valid JSON",
    "MR011": "JSON number too long",
    "MR012": "JSON or YAML nested too deeply",
    "MR013": "JSON or YAML record is not an object",
    "MR014": "duplicate JSON key",
    "MR015": "JSON record does not match the record schema",
    "MR016": "not valid YAML",
    "MR017": "YAML feature records do not allow",
    # title
    "MR020": "no title",
    "MR021": "empty title",
    # infobox
    "MR030": "malformed infobox line",
    "MR031": "infobox without fields",
    "MR032": "duplicate infobox key",
    "MR033": "infobox field without value",
    "MR034": "infobox entry number too long",
    "MR035": "infobox value not in the expected form",
    "MR036": "infobox lacks fields its profile expects",
    # headings and structure
    "MR040": "title line out of place",
    "MR041": "unbalanced heading",
    "MR042": "heading too deep",
    "MR043": "empty heading",
    "MR044": "heading skips a level",
    "MR045": "nothing after the title",
    # lists
    "MR050": "list item indented with a tab",
    "MR051": "list item indented by an odd number of spaces",
    "MR052": "list item nested deeper than its parent",
    "MR053": "list nested too deeply",
    "MR054": "empty list item",
    # images
    "MR070": "not an image file name",
    "MR071": "image not found",
    "MR072": "image outside the media folder",
    "MR073": "image cannot be used",
    "MR074": "active content removed from SVG",
    # characters
    "MR080": "invisible characters that change how text reads",
    "MR081": "no font can print a character",
    # sources.toml
    "MR090": "sources.toml is not valid TOML",
    "MR091": "sources.toml cannot be read",
    "MR092": "unknown or wrong entry in sources.toml",
    "MR093": "sources.toml names no such file",
    # make-report.toml
    "MR100": "make-report.toml is not valid TOML",
    "MR101": "make-report.toml cannot be read",
    "MR102": "unknown setting in make-report.toml",
    "MR103": "wrong value in make-report.toml",
    # build
    "MR110": "resource refused while rendering",
    "MR111": "record failed the internal model check",
}


def title(code: str) -> str:
    """The short title of ``code`` (KeyError for a code not in the catalog: a bug)."""
    return CODES[code]
