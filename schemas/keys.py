"""How infobox keys are compared, numbered and read aloud, whatever the template.

Records write Wikipedia parameter names in many spellings (``Parent_agency``,
``Parentagency``, ``ParentAgency``); they are compared folded. A key with a
number in it (``Person1Name``) belongs to a numbered family.
"""

from __future__ import annotations

import re

#: A family's number has at most nine digits; a key with a longer one is a plain field.
MAX_FAMILY_DIGITS = 9
_FAMILY = re.compile(r"^(?P<family>[A-Za-z]+?)(?P<index>\d{1,9})(?P<attribute>[A-Za-z_]*)$")
#: A variant of a known key: one letter (but not a plural "s") or up to three digits at its end.
VARIANT = re.compile(r"(?P<base>.+?)(?P<suffix>[a-rt-z]|\d{1,3})")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])|[_\s]+")


def fold_key(key: str) -> str:
    """The form keys are compared in: ``Parent_agency`` and ``parentagency`` match."""
    return re.sub(r"[\s_]", "", key).casefold()


def split_family(key: str) -> tuple[str, int, str] | None:
    """``Person1Name`` -> ("Person", 1, "Name"); None for keys with no number."""
    match = _FAMILY.match(key)
    if not match:
        return None
    return match["family"], int(match["index"]), match["attribute"]


def words_label(key: str) -> str:
    """A label from the key's own word breaks: ``PopulationTotal`` -> "Population total"."""
    words = [w for w in _CAMEL.split(key) if w]
    if not words:
        return key
    text = " ".join([words[0]] + [w if w.isupper() and len(w) > 1 else w.lower() for w in words[1:]])
    return text[:1].upper() + text[1:]
