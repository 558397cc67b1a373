"""``manifest.json``: what a build made, from which records, with hashes.

These models are the contract a briefing system relies on: the build writes the
manifest through them and reads the previous one (and a killed build's journal)
back through them, and ``make-report schema --manifest`` prints their JSON
Schema. The field descriptions below are the reference; docs/manifest.md shows
an example and explains the cache and the journal.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

#: ``files[].sources`` of a file made from every valid record: a JSON Pointer to ``records``.
ALL_RECORDS = "#/records"
MANIFEST_VERSION = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(_Model):
    """One record a file was made from."""

    path: str = Field(description="the record's path as the manifest's records[].path names it")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the record's bytes when the file was made")


class FileEntry(_Model):
    """One complete output file: its bytes, what it was made from and with which inputs."""

    path: str = Field(description="relative to the output folder, '/' separated")
    kind: Literal["factsheet", "handbook", "handbook-single-file", "epub", "briefing-pack", "record"] = Field(
        description="factsheet (a record's PDF), handbook (anything under handbook/), handbook-single-file, "
        "epub, briefing-pack, record (a validated record kept as JSON under records/, for make-report diff)"
    )
    size: int = Field(ge=0, description="bytes on disk")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the bytes on disk, hex")
    pages: int | None = Field(default=None, ge=0, description="PDFs only: the page count (absent otherwise)")
    sources: list[SourceRef] | Literal["#/records"] = Field(
        description="what the file was made from: the records it shows ([] for a file that is the same whatever "
        "the records, such as a stylesheet), or '#/records' (a JSON Pointer) for a file made from every record "
        "whose status is ok (index, nav, fonts, EPUB, single file, pack)"
    )
    key: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="the cache key: sha256 of what the file depends on (templates, fonts, version, options, "
        "its records' validated models and logos), never of the clock",
    )
    date: str = Field(description="the build date (ISO 8601, UTC) the file was made with; a kept file keeps its date")

    @model_serializer(mode="wrap")
    def _without_absent_pages(self, handler: Any) -> dict[str, Any]:
        """``pages`` is written for PDFs only."""
        data = handler(self)
        if data.get("pages") is None:
            data.pop("pages", None)
        return data


class RecordEntry(_Model):
    """One record file the build found, valid or not, with its problems."""

    path: str = Field(description="as outputs name the record: relative to the working folder, '/' separated")
    sha256: str | None = Field(description="sha256 of the file's bytes; null when it could not be read")
    title: str | None = Field(description="the record's title; null when the record is invalid")
    status: Literal["ok", "invalid"] = Field(description="ok: built; invalid: left out (see errors)")
    warnings: list[str] = Field(description="'line N: message', as validate reports them")
    errors: list[str] = Field(description="'line N: message'; a record with errors is not built")


class BuildSettings(_Model):
    """The build's date and the options that reach the pages."""

    date: str | None = Field(
        description="when this set of outputs last changed: the date (SOURCE_DATE_EPOCH or the clock) of the "
        "last build that wrote a file; a rebuild that writes nothing keeps it"
    )
    paper: Literal["a4", "letter"]
    marking: str | None = Field(description="the handling marking printed top and bottom, or null")
    title: str = Field(description="the title of the handbook and the pack")
    formats: list[str] = Field(description="the outputs asked for: pdf, html, epub, pack")


class Manifest(_Model):
    """``manifest.json``: UTF-8 JSON, keys in this order, ``files`` sorted by path."""

    generator: str = Field(description="'make-report' and its version")
    manifest_version: Literal[2] = Field(description="2 for this layout")
    build: BuildSettings
    records: list[RecordEntry] = Field(description="every record file the build found, in discovery order")
    files: list[FileEntry] = Field(
        default_factory=list, description="every output file that is complete, sorted by path"
    )
