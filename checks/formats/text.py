"""Human output: findings grouped by file, one line each, then a summary line.

``path:line:col  severity  RBHxxx  message  (did you mean `x` (renamed in abc12345))``

Paths, messages and suggestions quote the repository (file names, front matter, commands), so each
goes through ``rbh.textsafe.one_line``: a newline or an escape sequence in them shows as ``\n`` or
``\x1b`` and cannot add a line, recolour one or erase the summary. Under GitHub Actions a runner
reads this output too, so no line can start a workflow command (``inert_workflow_commands``).
"""

from __future__ import annotations

from typing import TextIO

from rbh.checks.formats._common import format_suggestion, summary
from rbh.checks.model import CheckResult, Severity
from rbh.textsafe import inert_workflow_commands, one_line

_COLORS = {Severity.error: "\033[31m", Severity.warning: "\033[33m", Severity.info: "\033[36m"}
_RESET, _DIM, _BOLD = "\033[0m", "\033[2m", "\033[1m"


def _plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    return f"{n} {word}{'' if n == 1 else 's'}"


def safe_path(path: str) -> str:
    """*path* for the start of a line: one line, and ``./`` in front when it begins with blanks or ``:``
    (still the same file, and never the start of a ``::command``)."""
    shown = one_line(path)
    return f"./{shown}" if shown[:1].isspace() or shown.startswith(":") else shown


def render(result: CheckResult, out: TextIO, *, color: bool = False) -> None:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    def write(line: str) -> None:
        out.write(inert_workflow_commands(line))

    current = None
    for f in result.active:
        if current is not None and f.path != current:
            out.write("\n")
        current = f.path
        loc = paint(f"{safe_path(f.path)}:{f.line}:{f.column}", _BOLD)
        sev = paint(f"{str(f.severity):<7}", _COLORS[f.severity])
        write(f"{loc}  {sev}  {f.rule}  {one_line(f.message)}{one_line(format_suggestion(f))}\n")
    for notice in result.notices:
        write(paint(f"note: {one_line(notice)}", _DIM) + "\n")
    s = summary(result)
    if current is not None:
        out.write("\n")
    parts = ", ".join(_plural(s[k], k) for k in ("error", "warning", "info"))
    # baselined findings are "known" (the site's word too); inline and snoozed ones "suppressed"
    others = s["suppressed"] - s["known"]
    tail = (f", {s['known']} known from the baseline" if s["known"] else "") + (f", {others} suppressed" if others else "")
    n_rb, n_mf = s["runbooks_checked"], s["manifest_files"]
    line = (f"{parts}{tail} ({n_rb} runbook{'' if n_rb == 1 else 's'}, "
            f"{n_mf} manifest file{'' if n_mf == 1 else 's'} checked)")
    worst = result.worst()
    out.write((paint(line, _COLORS[worst]) if worst is not None else line) + "\n")
