"""GitHub Actions: workflow-command annotations, plus a markdown step summary.

Each active finding becomes ``::error|warning|notice file=...,line=...,col=...,title=RBHxxx name::message``,
which GitHub shows on the pull request's changed lines. Values are escaped the way the Actions
runner expects (``%``, CR and LF everywhere; also ``:`` and ``,`` inside properties), so a message
cannot end a command early or inject another one. GitHub shows at most 10 annotations of each level
per step; the step summary (written when ``GITHUB_STEP_SUMMARY`` names a file) lists every finding,
so nothing is lost on a big first run. Suppressed findings are not annotated; the summary counts them.

Runbook text is untrusted (SECURITY.md). In annotations, control characters other than newline
become visible escapes (``rbh.textsafe``) before GitHub's own escaping, so a message cannot recolour
or rewrite the log either. In the step summary every cell that quotes the repository (location,
message, notices) is a markdown code span: inside one, markdown links, images, autolinks and HTML
are plain text, so a runbook cannot put a link or a tracking image on the summary page.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from typing import TextIO

from rbh.checks.formats._common import message_with_suggestion, summary
from rbh.checks.model import CheckResult, Finding, Severity
from rbh.textsafe import block, one_line

COMMANDS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}
SUMMARY_ROWS = 300  # keeps the summary far below GitHub's 1 MiB limit per step
_LOCATED = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+): (?P<msg>.*)$", re.S)


def escape_data(text: str) -> str:
    """GitHub's documented escaping of a workflow command's message: ``%``, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub's documented escaping of a property value: the message's, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **props: object) -> str:
    """One workflow command line; properties with a None value are left out.

    Newlines survive as GitHub's ``%0A`` (a multi-line message, never a second command); every other
    control character shows as an escape (``rbh.textsafe.block``).
    """
    parts = [f"{k}={escape_property(block(str(v)))}" for k, v in props.items() if v is not None]
    head = f"::{level} " + ",".join(parts) if parts else f"::{level}"
    return f"{head}::{escape_data(block(message))}"


def annotation(f: Finding) -> str:
    return command(
        COMMANDS[f.severity],
        message_with_suggestion(f),
        file=f.path,
        line=max(1, f.line),
        endLine=f.end_line if f.end_line and f.end_line > f.line else None,
        col=f.column if f.column and f.column > 0 else None,
        title=f"{f.rule} {f.name}",
    )


def counts_text(result: CheckResult) -> str:
    """``2 errors, 1 warning`` for the active findings (``no findings`` when there are none)."""
    s = summary(result)
    parts = [f"{s[k]} {k}{'' if s[k] == 1 or k == 'info' else 's'}" for k in ("error", "warning", "info") if s[k]]
    return ", ".join(parts) or "no findings"


def _cell(text: str) -> str:
    """*text* as a markdown code span for a table cell: no markup, link, image or HTML inside can render.

    The fence is one backtick longer than the longest run inside (CommonMark), the padding spaces
    are stripped by the renderer, and ``|`` is escaped because GFM splits the row before it parses
    code spans.
    """
    text = one_line(" ".join(text.split()))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}".replace("|", "\\|")


def step_summary(result: CheckResult) -> str:
    """The markdown GitHub shows on the run's summary page."""
    active = sorted(result.active, key=lambda f: (-f.severity, f.path, f.line, f.rule))
    suppressed = [f for f in result.findings if f.suppressed]
    files = len({f.path for f in active})
    checked = result.files_checked or len(result.runbooks or [])
    lines = []
    if active:
        where = f" in {files} file{'s' if files != 1 else ''}"
        lines.append(f"### rbh check: {counts_text(result)}{where}")
    else:
        lines.append("### rbh check: no findings")
    if checked:
        lines.append(f"\n{checked} runbook{'s' if checked != 1 else ''} checked.")
    if active:
        lines += ["", "| Severity | Location | Rule | Message |", "|---|---|---|---|"]
        for f in active[:SUMMARY_ROWS]:
            msg = message_with_suggestion(f)
            lines.append(f"| {f.severity} | {_cell(f'{f.path}:{f.line}')} | {f.rule} {f.name} | {_cell(msg)} |")
        if len(active) > SUMMARY_ROWS:
            lines.append(f"\n… and {len(active) - SUMMARY_ROWS} more (use `--format sarif` or `json` for all).")
    if suppressed:
        kinds = Counter(f.suppressed for f in suppressed)
        detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        lines.append(f"\n{len(suppressed)} suppressed finding{'s' if len(suppressed) != 1 else ''} ({detail}).")
    if result.notices:
        lines += ["", "<details><summary>Notices</summary>", ""]
        lines += [f"- {_cell(n)}" for n in result.notices]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def render(result: CheckResult, out: TextIO, *, color: bool = False) -> None:
    """Write annotations to *out*; append the step summary to ``$GITHUB_STEP_SUMMARY`` when it is set."""
    for f in sorted(result.active, key=lambda f: (f.path, f.line, f.column, f.rule)):
        out.write(annotation(f) + "\n")
    for note in result.notices:
        m = _LOCATED.match(note)
        if m:
            out.write(command("warning", m.group("msg"), file=m.group("path"), line=m.group("line"), title="rbh") + "\n")
        else:
            out.write(command("notice", note, title="rbh") + "\n")
    suppressed = summary(result)["suppressed"]
    tail = f" ({suppressed} suppressed)" if suppressed else ""
    out.write(f"rbh: {counts_text(result)}{tail}\n")
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        try:
            with open(summary_path, "a", encoding="utf-8") as fh:
                fh.write(step_summary(result))
        except OSError as exc:  # the annotations are out already; a summary is not worth failing the check
            logging.getLogger(__name__).warning("cannot write the step summary to %s: %s", summary_path, exc.strerror or exc)
