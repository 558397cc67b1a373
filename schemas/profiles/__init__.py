"""Infobox profiles: one module per template, found by looking in this package.

Each module here (other than :mod:`~schemas.profiles.base` and
:mod:`~schemas.profiles.parsers`) defines ``PROFILE``, a
:class:`~schemas.profiles.base.Profile`. Adding a template is adding a module:
nothing else names the profiles. A record's profile is chosen by its template
name ("Infobox military unit") where it gives one, else by the signature keys
its fields have (records often write a bare ``Infobox`` line).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any

from schemas.keys import fold_key, split_family
from schemas.profiles.base import COMMON_FAMILY_LABELS, COMMON_LABELS, Family, Key, Member, Profile

__all__ = ["GENERIC", "PROFILES", "Family", "Key", "Member", "Profile", "by_id", "choose", "profile_for"]

_NOT_PROFILES = {"base", "parsers"}


def _discover() -> tuple[Profile, list[Profile]]:
    found: list[Profile] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name in _NOT_PROFILES or module.name.startswith("_"):
            continue
        profile = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PROFILE", None)
        if isinstance(profile, Profile):
            found.append(profile)
    generic = next(p for p in found if not p.typed)
    return generic, [p for p in found if p is not generic]


#: The fallback: labels for common keys, no typed values, the panel in source order.
GENERIC, PROFILES = _discover()
for _entry in GENERIC.entries:  # how common keys read in any record, whatever its profile
    for _name in _entry.names:
        (COMMON_FAMILY_LABELS if isinstance(_entry, Family) else COMMON_LABELS)[_name] = _entry.shown

_BY_NAME = {p.name: p for p in PROFILES}


def choose(template: str | None, keys: Iterable[str]) -> Profile:
    """The profile for an infobox: by its template name when given, else by signature keys."""
    if template:
        folded = fold_key(template.replace("-", " "))
        folded = folded.removeprefix("infobox") or folded
        return next((p for p in PROFILES if folded in p.template_names), GENERIC)
    present: set[str] = set()
    for key in keys:
        present.add(fold_key(key))
        parts = split_family(key)
        if parts is not None:
            present.add(fold_key(parts[0]) + "*")
    best = max(PROFILES, key=lambda p: p.score(present), default=None)  # ties: the first by module name
    return best if best is not None and best.score(present) > 0 else GENERIC


def profile_for(infobox: Any) -> Profile:
    """The profile an infobox was read with (``infobox.profile``); the generic one when none."""
    name = getattr(infobox, "profile", None) if infobox is not None else None
    return _BY_NAME.get(name, GENERIC) if name else GENERIC


def by_id(name: str) -> Profile | None:
    """A profile by the name the command line uses: ``military-unit``, ``military unit`` or ``generic``."""
    folded = fold_key(name.replace("-", " "))
    return next((p for p in (*PROFILES, GENERIC) if fold_key(p.name) == folded), None)
