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
from schemas.infobox import (
    Infobox,
    InfoboxField,
    LawEnforcementAgency,
    fold_key,
    label_for,
    split_family,
)

__all__ = [
    "Article",
    "Block",
    "Infobox",
    "InfoboxField",
    "LawEnforcementAgency",
    "ListBlock",
    "ListItem",
    "Paragraph",
    "Provenance",
    "ScriptText",
    "Section",
    "fold_key",
    "label_for",
    "split_family",
]
