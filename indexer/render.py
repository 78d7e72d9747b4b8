"""Rendering of an ``indexer.answer.Answer``: terminal text (or JSON) for the responder at 2 AM.

Shape (issue 14): the best result in full; for a runbook matched as a whole (an alert's
``runbook_url`` without an anchor, or a one-alert-per-file page) its procedure: every section in
page order, the ones a responder acts on (diagnosis, mitigation, ... see
``indexer.answer.is_action_heading``) in full up to ``ACTION_LINES`` lines each, the others as a
short preview; ``full`` shows everything. The next results are one citation line and a short
snippet each, ``expand`` shows them in full. Prose lines wrap to *width*; code blocks are never
re-wrapped (a command must stay copyable as written). JSON keeps everything.

Library code returns strings; only the command layer writes them.

Everything quoted from the repository or the LLM goes through ``rbh.textsafe`` (SECURITY.md):
control characters, escape sequences and bidi overrides show as escapes, so a runbook cannot erase
or recolour the health line, and single-line fields stay on their line. Output is redacted last.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from typing import TYPE_CHECKING, Any, Callable

from rbh.indexer.answer import Answer, Result
from rbh.textsafe import block, one_line

if TYPE_CHECKING:
    from rbh.indexer.llm import LLMAnswer

ACTION_LINES = 40  # lines of one action section shown before "... N more lines (--full)"
OTHER_LINES = 3  # lines of a non-action section of a procedure
SNIPPET_CHARS = 160  # the one-line snippet of a further result


def use_color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def terminal_width(default: int = 100) -> int:
    return max(40, min(shutil.get_terminal_size((default, 24)).columns, 160))


def render_json(answer: Answer) -> str:
    """Redacted as data, then serialised: the JSON stays valid (rbh.redact, rbh.textsafe.inert_json)."""
    from rbh.redact import redact_data
    from rbh.textsafe import inert_json

    return inert_json(json.dumps(redact_data(answer.as_dict()), indent=2, ensure_ascii=False)) + "\n"


def render_text(answer: Answer, *, color: bool = False, best_relevance: float | None = None, width: int | None = None,
                full: bool = False, expand: bool = False) -> str:
    """The answer as terminal text; ANSI colors only when *color*."""
    import click

    width = width or terminal_width()

    def st(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    out: list[str] = []
    if answer.no_match:
        msg = "No runbook matches this question."
        if best_relevance is not None:
            msg += f" (best section relevance {best_relevance:.2f} is below ask.min_score)"
        out.append(st(msg, fg="yellow", bold=True))
        out.append("Try the alert name, a service name (--service), or different words; 'rbh index' if runbooks changed.")
        return "\n".join(out) + "\n"
    if answer.llm is not None:
        out.extend(_render_llm(answer.llm, st, width))
    for i, r in enumerate(answer.results):
        if i == 0 or expand or r.hit.via == "alert":
            out.extend(_render_result(r, st, width, full))
        else:
            if i == 1 or (answer.results[i - 1].hit.via == "alert" and not expand):
                out.append(st("Also relevant:", bold=True))
            out.extend(_render_brief(r, st, width))
    if any(i > 0 and not expand and r.hit.via != "alert" for i, r in enumerate(answer.results)):
        out.append("")
        out.append(st("(--expand shows these in full, --json everything)", dim=True))
    from rbh.redact import redact
    from rbh.textsafe import inert_workflow_commands

    return redact(inert_workflow_commands("\n".join(out).rstrip() + "\n"))


_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_LIST_MARKER = re.compile(r"^(\s*)([-*+]|\d{1,3}[.)])\s+")


def wrap_block(text: str, width: int, indent: str = "    ") -> list[str]:
    """Markdown text for a terminal of *width* columns: a paragraph or list item with a line too long
    is re-flowed as a whole (list items keep a hanging indent); paragraphs that fit, fenced and
    indented code, tables and headings are left exactly as written."""
    out: list[str] = []
    avail = max(20, width - len(indent))
    para: list[str] = []
    fenced = False

    def flush() -> None:
        if not para:
            return
        if all(len(x) <= avail for x in para):
            out.extend(indent + x for x in para)
        else:
            m = _LIST_MARKER.match(para[0])
            lead = m.group(1) if m else para[0][: len(para[0]) - len(para[0].lstrip())]
            marker = para[0][len(lead): m.end()] if m else ""
            words = " ".join(x.strip() for x in para)[len(marker.strip()):].strip() if m else " ".join(x.strip() for x in para)
            first = indent + lead + marker if m else indent + lead
            out.extend(textwrap.wrap(words, avail + len(indent), initial_indent=first,
                                     subsequent_indent=indent + lead + " " * len(marker),
                                     break_long_words=False, break_on_hyphens=False) or [indent + para[0]])
        para.clear()

    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            flush()
            fenced = not fenced
            out.append(indent + line)
        elif fenced:
            out.append(indent + line if line else "")
        elif not stripped:
            flush()
            out.append("")
        elif stripped.startswith(("#", "|", ">")) or (line.startswith("    ") and not para):
            flush()
            out.append(indent + line)
        elif _LIST_MARKER.match(line):
            flush()
            para.append(line)
        else:
            para.append(line)
    flush()
    return out


def _render_llm(llm: LLMAnswer, st: Callable[..., str], width: int) -> list[str]:
    lines = [st(f"Answer ({one_line(llm.model)}, generated; check it against the cited sections):", bold=True)]
    for s in llm.sentences:
        lines.extend(wrap_block(block(s.text), width, "  "))
    for cmd in llm.flagged_commands:
        lines.append(st(f"  ! not in any cited runbook section, do not run as is: {one_line(cmd)}", fg="red", bold=True))
    if llm.dropped_sentences or llm.dropped_citations:
        lines.append(st(f"  ({llm.dropped_sentences} uncited sentence(s) and {len(llm.dropped_citations)} citation(s) of "
                        f"unretrieved sections were removed)", dim=True))
    lines.append("")
    return lines


def _head(r: Result, st: Callable[..., str]) -> str:
    h, m = r.hit, r.meta
    title = one_line(m.get("title") or h.path)
    crumb = one_line(" > ".join(str(x) for x in m.get("heading_path") or []) or h.heading)
    head = f"[{r.rank}] {title}"
    # the alert links a section: name it, procedure or not (a runbook_url without an anchor links the
    # whole page, whose best-matching section the hit happens to be)
    anchored = h.via == "alert" and bool(h.anchor) and not getattr(h.alert, "whole_runbook", False)
    # a section shown with its subsections is that section, not the whole page: name it too
    # (a whole page whose first section matched best is not one: its other sections are siblings)
    first = r.procedure[0] if r.procedure else None
    subtree = (first is not None and first.anchor == h.anchor and first.level > 1
               and all(sec.level > first.level for sec in (r.procedure or [])[1:]))
    if (r.procedure is None or anchored or subtree) and crumb and crumb != title:
        head += f" > {crumb}" if not crumb.startswith(title) else crumb[len(title):]
    if h.via == "alert" and h.alert is not None:
        head += st(one_line(f"  (alert {h.alert.alert} -> {h.alert.via})"), fg="cyan")
    return st(head, bold=True)


def _render_brief(r: Result, st: Callable[..., str], width: int) -> list[str]:
    """One citation line and a short snippet."""
    import click

    h = r.hit
    citation = one_line(r.citation)
    head, cite = _head(r, st), st(citation, fg="blue")
    health = "  " + st(_health_word(r), fg="yellow") if r.findings else ""
    plain = len(click.unstyle(head)) + 2 + len(citation) + len(click.unstyle(health))
    lines = [f"{head}  {cite}{health}"] if plain <= width else [head, f"    {cite}{health}"]
    snippet = one_line(" ".join(x.strip() for x in h.text.split("\n") if x.strip() and not x.lstrip().startswith("#")))
    if len(snippet) > SNIPPET_CHARS:
        snippet = snippet[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " ..."
    if snippet:
        lines.extend(textwrap.wrap(snippet, max(20, width - 4), initial_indent="    ", subsequent_indent="    "))
    if r.url:
        lines.append("    " + one_line(r.url))
    return lines


def _health_word(r: Result) -> str:
    return f"{len(r.findings or [])} open finding(s)"


def _render_result(r: Result, st: Callable[..., str], width: int, full: bool) -> list[str]:
    h = r.hit
    lines = [_head(r, st)]
    lines.append("    " + st(one_line(r.citation), fg="blue"))
    if r.url:
        lines.append("    " + one_line(r.url))
    f = r.freshness
    facts = []
    if r.owner:
        facts.append(f"owner {one_line(r.owner)}")
    if f.changed:
        facts.append(f"changed {one_line(f.changed[:10])}" + (f" by {one_line(f.author)}" if f.author else ""))
    if f.last_reviewed:
        rev = f"reviewed {one_line(f.last_reviewed)}"
        if f.overdue:
            rev += " " + st(f"REVIEW OVERDUE by {f.overdue_days} day(s) (due {f.review_due})", fg="red", bold=True)
        elif f.review_due:
            rev += f", next review {f.review_due}"
        facts.append(rev)
    else:
        facts.append(st("never reviewed (no last_reviewed)", fg="yellow"))
    lines.append("    " + " | ".join(facts))
    lines.extend(_render_health(r, st))
    lines.append("")
    if r.procedure is not None:
        lines.extend(_render_procedure(r, st, width, full))
    else:
        lines.extend(wrap_block(block(h.text), width))
    if lines[-1] != "":
        lines.append("")  # one blank line after a result (a procedure ends with one already)
    return lines


def _render_health(r: Result, st: Callable[..., str]) -> list[str]:
    h = r.hit
    if r.findings is None:
        return ["    " + st("health: unknown", fg="yellow")]
    if not r.findings:
        return ["    " + st("health: no open findings", fg="green")]
    worst = "error" if any(x["severity"] == "error" for x in r.findings) else "warning"
    lines = ["    " + st(f"health: {len(r.findings)} open finding(s): this runbook may be out of date",
                         fg="red" if worst == "error" else "yellow", bold=True)]
    for sev, rule, msg, sugg, where in _grouped_findings(r.findings, h.line, int(h.meta.get("end_line") or h.line))[:6]:
        hint = f"  (did you mean `{one_line(sugg)}`)" if sugg else ""
        lines.append(f"      {sev:<7} {rule} {where}: {one_line(msg)}{hint}")
    groups = len(_grouped_findings(r.findings, 0, 0))
    if groups > 6:
        lines.append(f"      ... and {groups - 6} more ('rbh check {h.path}')")
    return lines


def _render_procedure(r: Result, st: Callable[..., str], width: int, full: bool) -> list[str]:
    lines: list[str] = []
    hidden = 0
    for sec in r.procedure or []:
        body = block(sec.text).split("\n")
        if body and body[0].lstrip().startswith("#"):
            body = body[1:]  # the heading is printed by us (ATX) ...
        elif sec.heading and len(body) > 1 and _SETEXT.match(body[1]):
            body = body[2:]  # ... or setext (a line underlined with === or ---)
        while body and not body[0].strip():
            body = body[1:]
        if not body and sec.level <= 1:
            continue  # the page title alone: the result's head line already names it
        heading = ("#" * max(sec.level, 1)) + " " + one_line(sec.heading) if sec.heading else ""
        if heading:
            lines.append("    " + st(heading, bold=sec.action))
        limit = None if full else (ACTION_LINES if sec.action else _first_paragraph(body))
        shown = body if limit is None else _cut(body, limit)
        lines.extend(wrap_block("\n".join(shown), width))
        if len(shown) < len(body):
            rest = len(body) - len(shown)
            hidden += rest
            lines.append("    " + st(f"... {rest} more line(s)", dim=True))
        lines.append("")
    if hidden:
        lines.append("    " + st(f"(--full shows the whole runbook: {hidden} more line(s))", dim=True))
    return lines


def _first_paragraph(body: list[str]) -> int:
    """Lines of a context section's preview: its first paragraph, at most ``OTHER_LINES`` x 2."""
    end = next((i for i, x in enumerate(body) if not x.strip()), len(body))
    return min(end, OTHER_LINES * 2) or OTHER_LINES


def _cut(body: list[str], limit: int) -> list[str]:
    """The first *limit* lines, never ending inside a code block (a half command is worse than none)."""
    if len(body) <= limit:
        return body
    shown = body[:limit]
    fences = sum(1 for x in shown if x.lstrip().startswith(("```", "~~~")))
    if fences % 2:
        # close the open block by including it whole when short, else stop before it
        last_open = max(i for i, x in enumerate(shown) if x.lstrip().startswith(("```", "~~~")))
        for j in range(limit, min(len(body), limit + 15)):
            if body[j].lstrip().startswith(("```", "~~~")):
                return body[: j + 1]
        shown = body[:last_open]
    while shown and not shown[-1].strip():
        shown.pop()
    return shown


def _grouped_findings(findings: list[dict[str, Any]], start: int, end: int) -> list[tuple[str, str, str, str | None, str]]:
    """One line per distinct finding (the same stale name on eleven lines is one problem), the ones
    inside the quoted section first, errors before warnings."""
    groups: dict[tuple[str, str, str, str | None], list[int]] = {}
    for x in findings:
        groups.setdefault((x["severity"], x["rule"], x["message"], x.get("suggestion")), []).append(int(x["line"]))
    rows = []
    for (sev, rule, msg, sugg), lines in groups.items():
        inside = [n for n in lines if start <= n <= end]
        shown = ", ".join(map(str, sorted(lines)[:6])) + (", ..." if len(lines) > 6 else "")
        where = ("line " if len(lines) == 1 else "lines ") + shown
        if inside:
            where += " (in this section)"
        rows.append((0 if inside else 1, {"error": 0, "warning": 1}.get(sev, 2), min(lines), (sev, rule, msg, sugg, where)))
    return [row[-1] for row in sorted(rows)]
