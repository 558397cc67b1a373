"""Diagnostics and build outcomes for machines: JSON for scripts, annotations for GitHub Actions.

The text form (``FILE:LINE: severity: message``) is for people and editors; the
JSON form is a JSON array of :class:`JsonDiagnostic` objects whose JSON Schema
``make-report schema --diagnostics`` prints; the ``github`` form is one workflow
command per diagnostic (``::error file=...,line=...,title=MR012::message``), so a
pull request shows each problem on its line. ``build --format-report json``
prints a :class:`BuildReport`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.codes import CODES
from pipeline.diagnostics import Diagnostic

if TYPE_CHECKING:
    from pipeline.build import BuildResult

FORMATS = ("text", "json", "github")


class JsonDiagnostic(BaseModel):
    """One problem, as ``validate --format json`` prints it."""

    model_config = ConfigDict(extra="forbid", title="make-report diagnostic")

    file: str = Field(description="The file as the text form names it (relative to the working folder, or <stdin>).")
    line: int = Field(ge=1, description="1-based line; a problem with the whole file is at line 1.")
    column: int | None = Field(ge=1, description="1-based column where known, else null.")
    severity: Literal["error", "warning", "info"]
    code: str = Field(pattern=r"^MR\d{3}$", description="Stable code, listed in docs/errors.md.")
    message: str = Field(description="What is wrong and what to do.")

    @classmethod
    def of(cls, diagnostic: Diagnostic) -> JsonDiagnostic:
        return cls(
            file=diagnostic.path,
            line=diagnostic.line,
            column=diagnostic.column,
            severity=diagnostic.severity,
            code=diagnostic.code,
            message=diagnostic.message,
        )


def diagnostics_schema() -> dict:
    """JSON Schema of ``validate --format json``: an array of diagnostic objects."""
    item = JsonDiagnostic.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "make-report diagnostics",
        "description": "The output of `make-report validate --format json`: one object per diagnostic.",
        "type": "array",
        "items": item,
    }


def as_json(diagnostics: list[Diagnostic]) -> str:
    """The JSON array of ``diagnostics``, one object per line for readable diffs."""
    rows = [JsonDiagnostic.of(d).model_dump_json() for d in diagnostics]
    return "[\n" + ",\n".join(rows) + "\n]" if rows else "[]"


# GitHub workflow commands: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(diagnostic: Diagnostic) -> str:
    """``::error file=F,line=L[,col=C],title=CODE title::message`` with GitHub's escaping."""
    properties = [("file", diagnostic.path), ("line", str(diagnostic.line))]
    if diagnostic.column is not None:
        properties.append(("col", str(diagnostic.column)))
    properties.append(("title", f"{diagnostic.code} {CODES.get(diagnostic.code, '')}".strip()))
    joined = ",".join(f"{key}={_escape_property(value)}" for key, value in properties)
    return f"::{_LEVELS.get(diagnostic.severity, 'error')} {joined}::{_escape_data(diagnostic.message)}"


class RecordOutcome(BaseModel):
    """One record of a build: built or not, and what was found in it."""

    source: str = Field(description="The record as messages name it.")
    status: Literal["built", "failed"]
    diagnostics: list[JsonDiagnostic]


class BuildReport(BaseModel):
    """What ``build --format-report json`` prints on standard output when the build ends."""

    model_config = ConfigDict(title="make-report build report")

    output: str = Field(description="The output folder.")
    records_built: int
    records_failed: int
    records: list[RecordOutcome]
    written: list[str] = Field(description="Files written by this build, relative to the output folder.")
    unchanged: list[str] = Field(description="Files kept from the last build because their inputs did not change.")
    diagnostics: list[JsonDiagnostic] = Field(description="Problems found while rendering (refused resources).")


def build_report(result: BuildResult, output: str) -> str:
    """The JSON build report of a :class:`pipeline.build.BuildResult`."""
    records = [
        RecordOutcome(
            source=checked.source.label,
            status="built" if checked.ok else "failed",
            diagnostics=[JsonDiagnostic.of(d) for d in checked.outcome.diagnostics],
        )
        for checked in result.records
    ]
    report = BuildReport(
        output=output,
        records_built=sum(r.status == "built" for r in records),
        records_failed=sum(r.status == "failed" for r in records),
        records=records,
        written=list(result.written),
        unchanged=list(result.reused),
        diagnostics=[JsonDiagnostic.of(d) for d in result.refused],
    )
    return report.model_dump_json(indent=1)


def dumps_schema(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False)
