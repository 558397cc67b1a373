"""The errors a stage raises when a whole command cannot go on, each with its exit code.

One base, :class:`MakeReportError`, carries a message written for people (what is
wrong; what to do) and the exit code ``cli.py`` ends with. Stages raise the
subclasses and never print; ``cli.py`` catches the base (not every exception)
and shows it the way Click shows its own errors (the MkDocs ``exceptions.py`` /
Click ``ClickException`` pattern). A problem in one record is not an exception: it
is a :class:`pipeline.diagnostics.Diagnostic`, and the batch goes on.

This module imports nothing of the project, so every stage may use it.
"""

from __future__ import annotations

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class MakeReportError(Exception):
    """A command cannot go on; ``message`` says why and what to do, ``exit_code`` is how it ends."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str, *, param_hint: str | None = None):
        super().__init__(message)
        self.message = message
        #: The option or argument at fault, for a usage error (Click shows "Invalid value for HINT").
        self.param_hint = param_hint


class OutputError(MakeReportError):
    """The output folder cannot be used or a file cannot be written (permissions, a full disk, a lock)."""


class ConfigurationError(MakeReportError):
    """The command line or the environment is wrong: an option, the --order file, SOURCE_DATE_EPOCH."""

    exit_code = EXIT_USAGE


class NoRecordsError(ConfigurationError):
    """The SOURCES name no record file: there is nothing to check or build."""


class InstallationError(MakeReportError):
    """make-report itself is incomplete (templates or fonts missing): reinstall it."""


class Interrupted(MakeReportError):
    """A signal stopped the build; everything written so far is complete. Exits 128 + the signal."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum
