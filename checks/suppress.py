"""Suppression: inline directives in runbooks, time-limited snoozes and the baseline file.

Directives are HTML comments, so they never show on the rendered page::

    <!-- rbh: disable RBH101 reason="legacy cluster, removed in Q3" -->
    <!-- rbh: enable RBH101 -->
    <!-- rbh: disable-next-line RBH102,unknown-container reason="sidecar added at runtime" -->
    <!-- rbh: snooze RBH110 until=2026-12-31 reason="alert rename ships with the next release" -->

RULE is a rule ID (``RBH101``), a rule name (``unknown-workload``) or ``all``; several may be given,
separated by commas or spaces. ``reason="..."`` is optional but shown in every report.

Scope of ``disable`` and ``snooze`` (the same for both):

* before the first heading of the body: the whole file, front matter included;
* under a heading: from the comment to the end of that heading's section, i.e. up to the next
  heading of the same or a higher level (subsections are included);
* ``enable RULE`` ends it earlier.

``disable-next-line`` covers the next non-blank line after the comment; when that line opens a
fenced code block, it covers the whole block (a comment cannot go inside a code block).

In YAML manifests the same directives are ``#`` comments (``# rbh: disable RBH403 reason="..."``):
``disable`` and ``snooze`` cover the rest of the YAML document they are in (up to the next ``---``),
or the whole file when they come before the first document's content; ``disable-next-line`` covers
the next line that is neither blank nor a comment.

A snooze applies until the end of its ``until`` day (UTC); after that, the findings it hid are
reported again and a notice names the expired snooze. A directive that cannot be read (unknown verb,
unknown rule, bad date) is ignored with a notice naming the file and line; it never stops the run.

Inline suppression comes first; the baseline (``checks.baseline``) then covers what remains.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rbh.checks.model import CheckResult, Finding

_DIRECTIVE = re.compile(r"^\s*rbh\s*:\s*(?P<body>.*)$", re.I | re.S)
_VERBS = ("disable", "enable", "disable-next-line", "snooze")
_FILE_END = 10**9


@dataclass(frozen=True)
class Directive:
    verb: str
    rules: frozenset[str]  # lower-cased IDs or names; "all" matches every rule
    line: int
    reason: str | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Scope:
    """Lines [start, end] of one file where some rules are suppressed."""

    rules: frozenset[str]
    start: int
    end: int
    kind: str  # inline | snooze
    reason: str | None
    line: int  # where the directive is

    def covers(self, f: Finding) -> bool:
        return self.start <= f.line <= self.end and (
            "all" in self.rules or f.rule.lower() in self.rules or f.name.lower() in self.rules
        )


def parse_directive(text: str, line: int, known_rules: set[str] | None = None) -> Directive | str | None:
    """A Directive, an error message (str) for a malformed ``rbh:`` comment, or None for other comments."""
    m = _DIRECTIVE.match(text)
    if not m:
        return None
    try:
        tokens = shlex.split(m.group("body").replace("\n", " "))
    except ValueError as exc:
        return f"cannot read rbh directive: {exc}"
    if not tokens:
        return "empty rbh directive (expected disable, enable, disable-next-line or snooze)"
    verb = tokens[0].lower()
    if verb not in _VERBS:
        return f"unknown rbh directive '{tokens[0]}' (expected disable, enable, disable-next-line or snooze)"
    rules: set[str] = set()
    options: dict[str, str] = {}
    for tok in tokens[1:]:
        if "=" in tok:
            key, _, value = tok.partition("=")
            key = key.lower()
            if key not in ("reason", "until"):
                return f"unknown option '{key}' in rbh {verb} (expected reason=... or until=YYYY-MM-DD)"
            options[key] = value
        else:
            rules.update(r.strip().lower() for r in tok.split(",") if r.strip())
    if not rules:
        return f"rbh {verb} names no rule (use a rule ID such as RBH101, a rule name, or 'all')"
    if known_rules is not None:
        unknown = sorted(r for r in rules if r != "all" and r not in known_rules)
        if unknown:
            return f"rbh {verb}: unknown rule {', '.join(unknown)} ('rbh rules' lists them)"
    until = None
    if verb == "snooze":
        if "until" not in options:
            return "rbh snooze needs until=YYYY-MM-DD"
        try:
            until = dt.date.fromisoformat(options["until"])
        except ValueError:
            return f"rbh snooze: until={options['until']!r} is not a date (expected YYYY-MM-DD)"
    elif "until" in options:
        return f"until= only applies to snooze, not to {verb}"
    reason = options.get("reason") or None
    return Directive(verb, frozenset(rules), line, reason, until)


def _comment_end(lines: list[str], line: int) -> int:
    """Line where the comment opened at *line* closes."""
    for i in range(line - 1, min(len(lines), line + 200)):
        if "-->" in lines[i]:
            return i + 1
    return line


def _scopes(path: str, comments: Iterable[tuple[str, int]], today: dt.date, known_rules: set[str] | None,
            region, next_line) -> tuple[list[Scope], list[str]]:
    """Scopes from directive comments ``(text, line)``: *region(line)* is what a disable covers,
    *next_line(line)* what a disable-next-line covers (both as (start, end))."""
    notices: list[str] = []
    directives: list[Directive] = []
    for text, line in comments:
        parsed = parse_directive(text, line, known_rules)
        if parsed is None:
            continue
        if isinstance(parsed, str):
            notices.append(f"{path}:{line}: ignored: {parsed}")
            continue
        directives.append(parsed)
    enables = [d for d in directives if d.verb == "enable"]
    scopes: list[Scope] = []
    for d in directives:
        if d.verb == "disable-next-line":
            start, end = next_line(d.line)
            scopes.append(Scope(d.rules, start, end, "inline", d.reason, d.line))
        elif d.verb in ("disable", "snooze"):
            if d.verb == "snooze" and d.until is not None and d.until < today:
                notices.append(
                    f"{path}:{d.line}: snooze of {_rule_list(d.rules)} expired on {d.until.isoformat()}; "
                    "its findings are reported again"
                )
                continue
            start, end = region(d.line)
            # ``enable`` closes a disable or snooze of the same rules opened before it.
            for e in enables:
                if d.line < e.line <= end and (d.rules & e.rules or "all" in e.rules):
                    end = e.line - 1
            kind, reason = "inline", d.reason
            if d.verb == "snooze":
                assert d.until is not None  # the parser refuses a snooze without until=
                kind = "snooze"
                reason = f"snoozed until {d.until.isoformat()}" + (f": {d.reason}" if d.reason else "")
            scopes.append(Scope(d.rules, start, end, kind, reason, d.line))
    return scopes, notices


def scopes_for(runbook, today: dt.date, known_rules: set[str] | None = None) -> tuple[list[Scope], list[str]]:
    """Suppression scopes of one parsed runbook, and notices about ignored or expired directives."""
    if not any(_DIRECTIVE.match(c.text) for c in runbook.comments):
        return [], []
    lines = runbook.lines
    headings = sorted(runbook.headings, key=lambda h: h.line)
    blocks = {b.line: b for b in runbook.code_blocks}

    def section(line: int) -> tuple[int, int]:
        owner = None  # the heading whose section holds the directive (a directive may sit on the heading line)
        for h in headings:
            if h.line > line:
                break
            owner = h
        if owner is None:
            return 0, _FILE_END
        for h in headings:
            if h.line > owner.line and h.level <= owner.level:
                return line, h.line - 1
        return line, _FILE_END

    def next_line(line: int) -> tuple[int, int]:
        target = _comment_end(lines, line) + 1
        while target <= len(lines) and not lines[target - 1].strip():
            target += 1
        return target, blocks[target].end_line if target in blocks else target

    return _scopes(runbook.path, ((c.text, c.line) for c in runbook.comments), today, known_rules, section, next_line)


_YAML_DIRECTIVE = re.compile(r"(?:^|\s)#\s*(rbh\s*:.*)$", re.I)
_YAML_DOC_BREAK = re.compile(r"^(---|\.\.\.)(\s|$)")


def yaml_scopes(path: str, text: str, today: dt.date, known_rules: set[str] | None = None) -> tuple[list[Scope], list[str]]:
    """Suppression scopes of a YAML manifest: ``# rbh: ...`` comments.

    ``disable``/``snooze`` cover the rest of the YAML document they are in (up to the next ``---``);
    above the first document's content, the whole file. ``disable-next-line`` covers the next line
    that is neither blank nor a comment.
    """
    lines = text.split("\n")
    comments = [(m.group(1), i) for i, ln in enumerate(lines, 1) if "rbh" in ln and (m := _YAML_DIRECTIVE.search(ln))]
    if not comments:
        return [], []

    def is_content(ln: str) -> bool:
        stripped = ln.strip()
        return bool(stripped) and not stripped.startswith("#") and not _YAML_DOC_BREAK.match(stripped)

    def document(line: int) -> tuple[int, int]:
        start = 0 if not any(is_content(ln) for ln in lines[: line - 1]) else line
        for i in range(line, len(lines)):
            if _YAML_DOC_BREAK.match(lines[i]):
                return start, i
        return start, _FILE_END

    def next_line(line: int) -> tuple[int, int]:
        target = line + 1
        while target <= len(lines) and not is_content(lines[target - 1]):
            target += 1
        return target, target

    return _scopes(path, comments, today, known_rules, document, next_line)


def _rule_list(rules: frozenset[str]) -> str:
    return ",".join(sorted(r.upper() if re.fullmatch(r"rbh\d+", r) else r for r in rules))


def _known_rules() -> set[str] | None:
    try:
        from rbh.checks.ruledocs import all_docs

        docs = all_docs()
    except Exception:  # noqa: BLE001 - the registry is optional here; unknown names then simply match nothing
        return None
    if not docs:
        return None
    return {d.id.lower() for d in docs} | {d.name.lower() for d in docs}


def apply_inline(findings: Iterable[Finding], runbooks: Iterable, today: dt.date | None = None,
                 read_manifest=None) -> tuple[list[Finding], list[str]]:
    """Mark findings covered by an inline directive or an active snooze; return them and the notices.

    *read_manifest(path) -> str | None* gives the text of a YAML file that has findings (manifests
    carry ``# rbh: ...`` comments); without it only runbooks are read.
    """
    today = today or dt.datetime.now(dt.timezone.utc).date()
    known = _known_rules()
    by_path = {rb.path: rb for rb in runbooks}
    findings = list(findings)
    wanted = {f.path for f in findings}
    scope_map: dict[str, list[Scope]] = {}
    notices: list[str] = []
    for path, rb in by_path.items():
        scopes, notes = scopes_for(rb, today, known)
        notices.extend(notes)
        if scopes and path in wanted:
            scope_map[path] = scopes
    if read_manifest is not None:
        for path in sorted(p for p in wanted - set(by_path) if p.endswith((".yaml", ".yml"))):
            text = read_manifest(path)
            if text:
                scopes, notes = yaml_scopes(path, text, today, known)
                notices.extend(notes)
                scope_map[path] = scopes
    out = []
    for f in findings:
        if not f.suppressed:
            for s in scope_map.get(f.path, ()):
                if s.covers(f):
                    f = f.with_(suppressed=s.kind, suppression_reason=s.reason)
                    break
        out.append(f)
    return out, notices


def _manifest_reader(project):
    if project is None:
        return None
    from rbh.paths import safe_relpath

    def read(path: str) -> str | None:
        rel = safe_relpath(project.root, path)
        try:
            return (project.root / rel).read_text(encoding="utf-8", errors="replace") if rel else None
        except OSError:
            return None

    return read


def apply(result: CheckResult, project=None, *, today: dt.date | None = None,
          baseline_path: str | Path | None = None, use_baseline: bool = True) -> CheckResult:
    """Mark ``result.findings`` suppressed inline, by snooze or by the baseline (in that order).

    The baseline file is *baseline_path* (relative to the current directory) or else the config's
    ``check.baseline`` (relative to the repository root). Notices go to ``result.notices``.
    """
    from rbh.checks import baseline as bl

    runbooks = list(result.runbooks or [])
    if not runbooks and project is not None:
        paths = sorted({f.path for f in result.findings if f.path.endswith((".md", ".markdown"))})
        runbooks = project.load_runbooks(paths, with_git=False) if paths else []
    findings, notices = apply_inline(result.findings, runbooks, today, _manifest_reader(project))
    result.notices.extend(notices)
    if use_baseline:
        path = bl.resolve_path(project, baseline_path)
        if path is not None:
            base = bl.load(path)
            findings, stale = base.apply(findings)
            if stale:
                result.notices.append(
                    f"baseline {path.name}: {stale} entr{'y no longer matches' if stale == 1 else 'ies no longer match'} a finding "
                    "(fixed debt); shrink it with 'rbh check --write-baseline'"
                )
    result.findings = findings
    return result
