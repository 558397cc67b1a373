"""What the command line shows a person: how much (-q/-v), in colour or not, with a progress bar or not.

One place decides, so that every command behaves the same: ``-q`` shows errors
only, ``-v`` adds per-step timings, colour is used only on a terminal and never
when ``NO_COLOR`` is set (https://no-color.org), and the progress bar (rich)
appears only on a terminal; a log or a pipe gets the summary and nothing else.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import click

from pipeline.diagnostics import Diagnostic, shown

QUIET, NORMAL, VERBOSE = -1, 0, 1
_KEY = "make-report.verbosity"
_STYLES = {"error": {"fg": "red", "bold": True}, "warning": {"fg": "yellow"}, "info": {"fg": "cyan"}}


def no_color() -> bool:
    """True when the user asked for no colour: ``NO_COLOR`` set to anything but the empty string."""
    return bool(os.environ.get("NO_COLOR"))


def setup(ctx: click.Context) -> None:
    """Colour for the whole run: off with NO_COLOR; otherwise Click strips it when stderr is not a terminal."""
    if no_color():
        ctx.color = False


def _root_meta() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().meta if ctx is not None else {}


def verbosity() -> int:
    return _root_meta().get(_KEY, NORMAL)


def set_verbosity(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """Click callback of -q/--quiet and -v/--verbose, before or after the command name; -q wins."""
    if value:
        meta = ctx.find_root().meta
        wanted = QUIET if param.name == "quiet" else VERBOSE
        meta[_KEY] = QUIET if QUIET in (meta.get(_KEY), wanted) else wanted
    return value


def quiet() -> bool:
    return verbosity() == QUIET


def verbose() -> bool:
    return verbosity() == VERBOSE


def output_options(function: Any) -> Any:
    """``-q/--quiet`` and ``-v/--verbose`` for a command that has no options of its own for them."""
    function = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=set_verbosity,
        help="Say more: per-record timings in build.",
    )(function)
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=set_verbosity,
        help="Errors only: no warnings, no summary, no progress bar.",
    )(function)


def diagnostic_line(diagnostic: Diagnostic) -> str:
    """``FILE:LINE: severity: message`` as ``str(diagnostic)``, the severity in colour where colour is on."""
    severity = click.style(diagnostic.severity, **_STYLES.get(diagnostic.severity, {}))
    return f"{shown(diagnostic.path)}:{diagnostic.line}: {severity}: {shown(diagnostic.message)}"


def diagnostic(diagnostic: Diagnostic) -> None:
    """One diagnostic on standard error; with -q only errors."""
    if quiet() and diagnostic.severity != "error":
        return
    click.echo(diagnostic_line(diagnostic), err=True)


def summary(text: str) -> None:
    """A closing line (counts, what was written); left out with -q."""
    if not quiet():
        click.echo(text, err=True)


def detail(text: str) -> None:
    """A line only -v shows."""
    if verbose():
        click.echo(click.style(text, dim=True), err=True)


def is_terminal() -> bool:
    return sys.stderr.isatty()


class BuildProgress:
    """A build's progress on standard error: a rich bar on a terminal, timing lines with -v.

    The bar shows the step, records done / total, files written, elapsed time and
    the time left. With -v each finished unit (a fact sheet is one record) gets a
    line with the time it took, on a terminal above the bar, elsewhere alone.
    """

    def __init__(self, started: float, bar: bool, timings: bool):
        self.started = started
        self.timings = timings
        self.last = started
        self.label: str | None = None
        self.done = 0
        self.task: Any = None
        self.progress: Any = None
        if bar:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = Console(file=sys.stderr, no_color=no_color() or None)
            self.progress = Progress(
                TextColumn("{task.description:13}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[written]} files written"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            self.progress.start()

    def __call__(self, label: str, done: int, total: int, written: int) -> None:
        now = time.perf_counter()
        if label != self.label:
            self.label, self.done, self.last = label, done, now
            if self.progress is not None:
                self.task = self.progress.add_task(label, total=max(total, 1), completed=done, written=written)
            return
        if self.timings and done > self.done:
            self._line(f"{label} {done}/{total}: {now - self.last:.2f} s")
        self.done, self.last = done, now
        if self.progress is not None:
            self.progress.update(self.task, completed=done, total=max(total, 1), written=written)

    def _line(self, text: str) -> None:
        if self.progress is not None:
            from rich.text import Text

            self.progress.console.print(Text(text, style="dim"), highlight=False)
        else:
            click.echo(text, err=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def build_progress(started: float, quiet_flag: bool) -> BuildProgress | None:
    """The progress a build shows: a bar on a terminal, timing lines with -v, nothing with -q or in a pipe."""
    if quiet_flag or quiet():
        return None
    bar, timings = is_terminal(), verbose()
    return BuildProgress(started, bar, timings) if bar or timings else None
