"""Pydantic models: the single contract between reading and rendering."""

from schemas.article import (
    Article,
    Block,
    ListBlock,
    ListItem,
    Paragraph,
    Provenance,
    ScriptText,
    Section,
)
from schemas.authored import AuthoredArticle, authored_form
from schemas.infobox import (
    Infobox,
    InfoboxField,
    fold_key,
    label_for,
    split_family,
)
from schemas.profiles import Profile, profile_for

__all__ = [
    "Article",
    "AuthoredArticle",
    "Block",
    "Infobox",
    "InfoboxField",
    "ListBlock",
    "ListItem",
    "Paragraph",
    "Profile",
    "Provenance",
    "ScriptText",
    "Section",
    "authored_form",
    "fold_key",
    "label_for",
    "profile_for",
    "split_family",
]
