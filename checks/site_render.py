"""HTML for the docs site: the health banner on each runbook page, the dashboard and the alert index.

Pure functions over small view models, so they are tested without MkDocs. Everything that comes
from a runbook, a manifest or git (titles, owners, messages, suggestions, URLs) is untrusted text:
it is escaped here, and only ``http``/``https`` URLs ever become links. The HTML a runbook renders to
is sanitised by :class:`HtmlPolicy` (nh3, an allow-list a team can extend) before it reaches a page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html import escape
from typing import Callable, Iterable
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

from rbh.checks.model import Finding, Severity

STATUS_ORDER = {"error": 0, "warning": 1, "known": 2, "unknown": 3, "healthy": 4}
_STATUS_LABEL = {"error": "Stale", "warning": "Warnings", "known": "Known issues", "unknown": "Health unknown",
                 "healthy": "Healthy"}
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_NONE = '<span class="rbh-muted">none</span>'

SourceLink = Callable[[str, int], "str | None"]  # (repo-relative path, line) -> URL of that line, if known


@dataclass
class AlertLink:
    """An alert a runbook answers, as shown in its banner."""

    name: str
    severity: str | None = None
    defined: bool = True  # False: named in front matter but no alert rule by that name exists


@dataclass
class RunbookHealth:
    """Everything the site shows about one runbook."""

    path: str  # repository-relative
    title: str
    url: str | None = None  # page URL relative to the page the HTML is rendered on (None: not published)
    findings: list[Finding] = field(default_factory=list)  # active (not suppressed), sorted by line
    known: list[Finding] = field(default_factory=list)  # in the CI baseline: still debt, shown as "known"
    suppressed: int = 0  # inline or snoozed (and baselined ones when the site hides known findings)
    owners: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    alerts: list[AlertLink] = field(default_factory=list)
    dashboards: list[str] = field(default_factory=list)
    last_change: object | None = None  # rbh.git.CommitInfo
    last_reviewed: dt.date | None = None
    review_due: dt.date | None = None
    today: dt.date | None = None
    checks_ran: bool = True
    show_owner: bool = True  # False: the repository uses no owner field, so "none set" would be noise
    show_review: bool = True  # False: the repository uses no review dates, so "never reviewed" would be noise

    @property
    def status(self) -> str:
        if not self.checks_ran:
            return "unknown"
        worst = max((f.severity for f in self.findings), default=None)
        if worst is None or worst < Severity.warning:
            return "known" if any(f.severity >= Severity.warning for f in self.known) else "healthy"
        return "error" if worst >= Severity.error else "warning"

    @property
    def counted_known(self) -> list[Finding]:
        return [f for f in self.known if f.severity >= Severity.warning]

    @property
    def counted(self) -> list[Finding]:
        """Findings that make a runbook less trustworthy (info notes are shown but not counted)."""
        return [f for f in self.findings if f.severity >= Severity.warning]

    @property
    def overdue(self) -> bool:
        return bool(self.review_due and self.today and self.today > self.review_due)


@dataclass
class AlertRow:
    """One line of the alert index."""

    name: str
    severity: str | None
    source: str | None  # "manifests/prometheus/rules.yaml:12"
    runbook_url: str | None
    runbooks: list[tuple[str, str | None]] = field(default_factory=list)  # (title, page url) answering it
    url_state: str = "none"  # none (no annotation) | ok | broken (points into our runbooks, at nothing) | external
    defined: bool = True  # False: runbooks name it in front matter, but no alert rule has that name

    @property
    def state(self) -> str:
        if not self.defined:
            return "undefined"
        if self.url_state == "external":
            return "external"
        if not self.runbooks:
            return "no-runbook"
        if self.url_state == "none":
            return "no-url"
        return "ok" if self.url_state == "ok" else "broken-url"


_ALERT_STATE_ORDER = {"no-runbook": 0, "broken-url": 1, "no-url": 2, "undefined": 3, "external": 4, "ok": 5}
_ALERT_STATE_LABEL = {
    "undefined": "No alert rule by this name",
    "external": "External runbook, not checked",
    "no-runbook": "No runbook",
    "broken-url": "runbook_url does not resolve",
    "no-url": "No runbook_url annotation",
    "ok": "OK",
}


# ------------------------------------------------------------------------------------------ helpers


def text(value: object) -> str:
    """Untrusted text as HTML, with `code spans` kept as <code>."""
    return _CODE_SPAN.sub(r"<code>\1</code>", escape(str(value), quote=True))


def safe_href(url: str | None) -> str | None:
    """*url* when it is an absolute http(s) URL (front matter is untrusted: no ``javascript:``)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def alert_anchor(name: str) -> str:
    """The element id of an alert in the alert index (alert names are ``[a-zA-Z_:][a-zA-Z0-9_:]*``)."""
    return "alert-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def _short_url(url: str, limit: int = 60) -> str:
    """A dashboard URL as a readable label: no scheme, long paths cut."""
    label = re.sub(r"^https?://", "", url.strip())
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _location(f: Finding, source_link: SourceLink | None) -> str:
    where = f"{f.path}:{f.line}"
    href = source_link(f.path, f.line) if source_link else None
    if href:
        return f'<a class="rbh-loc" href="{escape(href, quote=True)}">{escape(where)}</a>'
    return f'<code class="rbh-loc">{escape(where)}</code>'


def _locations(group: list[Finding], source_link: SourceLink | None) -> str:
    """One file, several lines: ``path lines 62, 86, 107`` with each line linked when links are known."""
    lines = []
    for f in group:
        href = source_link(f.path, f.line) if source_link else None
        lines.append(f'<a class="rbh-loc" href="{escape(href, quote=True)}">{f.line}</a>' if href else str(f.line))
    return f'<code class="rbh-loc">{escape(group[0].path)}</code> lines {", ".join(lines)}'


def _status_line(rb: RunbookHealth) -> str:
    status = rb.status
    if status == "unknown":
        return "the health checks could not run for this build; verify commands against the cluster before use"
    if status == "known":
        return (f"no new problems; {_plural(len(rb.counted_known), 'known finding')} recorded in the CI baseline "
                "(still true, not yet fixed): read with care")
    if status == "healthy":
        if rb.findings:  # info notes only
            return f"no problems against the current manifests and alert rules; {_plural(len(rb.findings), 'note')} below"
        return "no findings against the current manifests and alert rules"
    errors = sum(1 for f in rb.findings if f.severity >= Severity.error)
    warnings = sum(1 for f in rb.findings if f.severity == Severity.warning)
    parts = []
    if errors:
        parts.append(_plural(errors, "error"))
    if warnings:
        parts.append(_plural(warnings, "warning"))
    tail = "check the commands below against the cluster before running them" if errors else "read with care"
    return f"{', '.join(parts)}: {tail}"


def _commit(change: object | None, compact: bool = False) -> str:
    if change is None:
        return '<span class="rbh-muted">not committed</span>'
    sha = str(getattr(change, "sha", ""))[:8]
    date = _fmt_date(getattr(change, "date", None))
    author = getattr(change, "author", "") or ""
    if compact:  # dashboard rows stay one line high; the author shows on hover
        return f'<span class="rbh-nowrap" title="{escape("by " + author, quote=True)}"><time>{escape(date)}</time> <code>{escape(sha)}</code></span>'
    bits = [f"<time>{escape(date)}</time>", f"<code>{escape(sha)}</code>"]
    if author:
        bits.append(escape(author))
    return " · ".join(bits)


def _reviewed(rb: RunbookHealth, compact: bool = False) -> str:
    if rb.last_reviewed is None:
        return '<span class="rbh-overdue">never reviewed</span>'
    out = f"<time>{escape(_fmt_date(rb.last_reviewed))}</time>"
    if rb.overdue:
        out += f' <span class="rbh-overdue">overdue since {escape(_fmt_date(rb.review_due))}</span>'
    elif rb.review_due and not compact:
        out += f' <span class="rbh-muted">next review by {escape(_fmt_date(rb.review_due))}</span>'
    return out


# ------------------------------------------------------------------------------------------ banner


MAX_GROUPS_SHOWN = 5  # more than this and the rest fold away: the banner must stay readable at 2 AM


def group_findings(findings: list[Finding]) -> list[list[Finding]]:
    """Findings that say the same thing (same rule, message and suggestion) at several lines, as one
    group each; worst severity first, then by first line."""
    groups: dict[tuple, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (f.line, f.column)):
        groups.setdefault((f.severity, f.rule, f.message, f.suggestion), []).append(f)
    return sorted(groups.values(), key=lambda g: (-g[0].severity, g[0].line))


def _finding_item(group: list[Finding], source_link: SourceLink | None, checks_page: str | None = None,
                  known: bool = False) -> str:
    f = group[0]
    sev = "known" if known else str(f.severity)
    where = _location(f, source_link) if len(group) == 1 else _locations(group, source_link)
    rule = f"{escape(f.rule)} {escape(f.name)}"
    if checks_page:  # the rule's documentation on the generated Checks page
        from rbh.runbook import slugify

        rule = f'<a href="{escape(checks_page)}#{slugify(f"{f.rule} {f.name}")}">{rule}</a>'

    item = (
        f'<li class="rbh-finding rbh-finding--{sev}">'
        f'<span class="rbh-sev rbh-sev--{sev}">{sev}</span>'
        f'<div class="rbh-finding__body"><span class="rbh-message">{text(f.message)}</span>'
        f'<div class="rbh-where"><span class="rbh-rule">{rule}</span>{" · " + escape(str(f.severity)) if known else ""} · {where}</div>'
    )
    if f.suggestion:
        item += f'<div class="rbh-suggestion">Suggestion: {text(f.suggestion)}</div>'
    return item + "</div></li>"


def banner_html(rb: RunbookHealth, *, source_link: SourceLink | None = None, alerts_page: str | None = None,
                checks_page: str | None = None) -> str:
    """The health banner shown at the top of a runbook page."""
    status = rb.status
    out = [
        # <aside>, not <div>: material's search parser mis-handles a data-search-exclude element that
        # contains elements of its own tag (the divs below), and crashes the build.
        f'<aside class="rbh-banner rbh-banner--{status}" data-rbh-status="{status}" data-search-exclude '
        f'role="note" aria-label="Runbook health">',
        '<p class="rbh-banner__status">'
        f'<span class="rbh-badge rbh-badge--{status}">{_STATUS_LABEL[status]}</span> '
        f"{escape(_status_line(rb))}</p>",
    ]
    groups = group_findings(rb.findings)
    if groups:
        out.append('<ul class="rbh-findings">')
        for i, group in enumerate(groups):
            if i == MAX_GROUPS_SHOWN:
                out.append(f'</ul><details class="rbh-more"><summary>{_plural(len(groups) - i, "more finding")}</summary>'
                           '<ul class="rbh-findings">')
            out.append(_finding_item(group, source_link, checks_page))
        out.append("</ul></details>" if len(groups) > MAX_GROUPS_SHOWN else "</ul>")
    known = group_findings(rb.known)
    if known:
        out.append(f'<details class="rbh-more rbh-known"{" open" if not groups else ""}><summary>'
                   f'{_plural(len(rb.known), "known finding")} (in the CI baseline)</summary><ul class="rbh-findings">')
        out.extend(_finding_item(g, source_link, checks_page, known=True) for g in known)
        out.append("</ul></details>")
    if rb.suppressed:
        out.append(f'<p class="rbh-muted rbh-suppressed">{_plural(rb.suppressed, "finding")} suppressed (inline, snooze or baseline)</p>')

    meta: list[tuple[str, str]] = []
    if rb.owners or rb.show_owner:
        meta.append(("Owner", escape(", ".join(rb.owners)) if rb.owners else '<span class="rbh-muted">none set</span>'))
    if rb.services:
        meta.append(("Service", escape(", ".join(rb.services))))
    if rb.alerts:
        links = []
        for a in rb.alerts:
            label = escape(a.name)
            if a.severity:
                label += f' <span class="rbh-muted">({escape(a.severity)})</span>'
            if alerts_page and a.defined:
                label = f'<a href="{escape(alerts_page, quote=True)}#{alert_anchor(a.name)}">{label}</a>'
            if not a.defined:
                label += ' <span class="rbh-overdue">not defined</span>'
            links.append(label)
        meta.append(("Alerts", ", ".join(links)))
    if rb.dashboards:
        dash = []
        for d in rb.dashboards:
            href = safe_href(d)
            dash.append(f'<a href="{escape(href, quote=True)}" rel="noopener">{escape(_short_url(d))}</a>' if href else f"<code>{escape(d)}</code>")
        meta.append(("Dashboards", ", ".join(dash)))
    meta.append(("Last change", _commit(rb.last_change)))
    if rb.last_reviewed or rb.show_review:
        meta.append(("Last reviewed", _reviewed(rb)))
    out.append('<dl class="rbh-meta">')
    for key, value in meta:
        out.append(f'<div class="rbh-meta__item rbh-meta--{key.lower().replace(" ", "-")}"><dt>{key}</dt><dd>{value}</dd></div>')
    out.append("</dl></aside>")
    return "\n".join(out)


def insert_banner(content: str, banner: str) -> str:
    """Put *banner* right under the page's first-level title, or at the very top when there is none."""
    m = re.match(r"\s*<h1\b[^>]*>.*?</h1>", content, re.S)
    if m:
        return content[: m.end()] + "\n" + banner + content[m.end() :]
    return banner + "\n" + content


# ------------------------------------------------------------------------------------------ dashboard


def _known_count(r: RunbookHealth) -> str:
    n = len(r.counted_known)
    return f' <span class="rbh-known-count" title="in the CI baseline">+{n} known</span>' if n else ""


def _options(values: Iterable[str]) -> str:
    return "".join(f'<option value="{escape(v, quote=True)}">{escape(v)}</option>' for v in values)


def dashboard_html(rows: list[RunbookHealth], *, notices: Iterable[str] = (), show_owner: bool = True,
                   show_review: bool = True) -> str:
    """The "Runbook health" table: sortable and filterable by ``rbh-health.js`` (works without it too).

    *show_owner* / *show_review* False drop the Owner and Last reviewed columns (a repository that
    uses neither field would see a column of "none" and "never reviewed").
    """
    rows = sorted(rows, key=lambda r: (STATUS_ORDER[r.status], r.path))
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_ORDER}
    owners = sorted({o for r in rows for o in r.owners}, key=str.lower)
    show_owner = show_owner or bool(owners)
    summary = [f"{_plural(len(rows), 'runbook')}:", f"{counts['healthy']} healthy,"]
    if counts["known"]:
        summary.append(f"{counts['known']} with known findings only,")
    summary += [f"{counts['warning']} with warnings,", f"{counts['error']} stale"]
    if counts["unknown"]:
        summary.append(f", {counts['unknown']} unknown")
    known_total = sum(len(r.counted_known) for r in rows)
    if known_total:
        summary.append(f"({known_total} known findings in the CI baseline)")
    out = [
        '<div class="rbh-dashboard" data-search-exclude>',
        f'<p class="rbh-summary">{escape(" ".join(summary))}</p>',
    ]
    for note in notices:
        out.append(f'<p class="rbh-muted rbh-notice">{escape(note)}</p>')
    out += [
        '<form class="rbh-filters" role="search" onsubmit="return false">',
        '<label>Search <input type="search" name="q" data-rbh-filter="text" placeholder="title, path, service"></label>',
        (f'<label>Owner <select name="owner" data-rbh-filter="owner"><option value="">All owners</option>{_options(owners)}</select></label>'
         if show_owner else ""),
        '<label>Status <select name="status" data-rbh-filter="status"><option value="">All</option>'
        '<option value="error">Stale</option><option value="warning">Warnings</option>'
        + ('<option value="known">Known issues</option>' if counts["known"] else "")
        + '<option value="healthy">Healthy</option></select></label>',
        f'<output class="rbh-count" data-rbh-count>{len(rows)} of {len(rows)} runbooks</output>',
        "</form>",
        '<div class="rbh-table-wrap"><table class="rbh-table" data-rbh-table>',
        "<thead><tr>"
        '<th data-rbh-sort="text" aria-sort="none">Runbook</th>'
        '<th data-rbh-sort="number" aria-sort="ascending">Status</th>'
        '<th data-rbh-sort="number" aria-sort="none">Findings</th>'
        + ('<th data-rbh-sort="text" aria-sort="none">Owner</th>' if show_owner else "")
        + '<th data-rbh-sort="text" aria-sort="none">Service</th>'
        '<th data-rbh-sort="text" aria-sort="none">Last change</th>'
        + ('<th data-rbh-sort="text" aria-sort="none">Last reviewed</th>' if show_review else "")
        + "</tr></thead><tbody>",
    ]
    for r in rows:
        status = r.status
        title = escape(r.title)
        link = f'<a href="{escape(r.url, quote=True)}">{title}</a>' if r.url else title
        owners_attr = escape("\n".join(r.owners), quote=True)
        change = r.last_change
        change_key = _fmt_date(getattr(change, "date", None))
        reviewed_key = _fmt_date(r.last_reviewed)
        out.append(
            f'<tr data-rbh-status="{status}" data-rbh-owners="{owners_attr}">'
            f'<td data-sort-value="{escape(r.title.lower(), quote=True)}">{link}<br><code class="rbh-path">{escape(r.path)}</code></td>'
            f'<td data-sort-value="{STATUS_ORDER[status]}"><span class="rbh-badge rbh-badge--{status}">{_STATUS_LABEL[status]}</span></td>'
            f'<td data-sort-value="{len(r.counted)}">{len(r.counted)}{_known_count(r)}</td>'
            + (f"<td class=\"rbh-nowrap\">{escape(', '.join(r.owners)) or _NONE}</td>" if show_owner else "")
            + f"<td>{escape(', '.join(r.services))}</td>"
            f'<td data-sort-value="{change_key}">{_commit(change, compact=True)}</td>'
            + (f'<td data-sort-value="{reviewed_key}">{_reviewed(r, compact=True)}</td>' if show_review else "")
            + "</tr>"
        )
    out.append("</tbody></table></div></div>")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------ alert index


def alerts_html(rows: list[AlertRow], *, notices: Iterable[str] = ()) -> str:
    """Every alert rule with its runbook; alerts a responder would be paged for without one come first."""
    rows = sorted(rows, key=lambda a: (_ALERT_STATE_ORDER[a.state], a.name.lower()))
    rules = [a for a in rows if a.defined]
    missing = sum(1 for a in rules if a.state != "ok")
    summary = f"{_plural(len(rules), 'alert rule')}, {missing} without a working runbook link."
    if len(rules) < len(rows):
        undefined = len(rows) - len(rules)
        summary += f" {_plural(undefined, 'alert')} named in runbooks {'has' if undefined == 1 else 'have'} no rule."
    out = [
        '<div class="rbh-alerts" data-search-exclude>',
        f'<p class="rbh-summary">{escape(summary)}</p>',
        *(f'<p class="rbh-muted rbh-notice">{escape(note)}</p>' for note in notices),
        '<div class="rbh-table-wrap"><table class="rbh-table" data-rbh-table>',
        "<thead><tr>"
        '<th data-rbh-sort="text" aria-sort="none">Alert</th>'
        '<th data-rbh-sort="text" aria-sort="none">Severity</th>'
        '<th data-rbh-sort="number" aria-sort="ascending">Runbook</th>'
        '<th data-rbh-sort="text" aria-sort="none">Defined in</th>'
        "</tr></thead><tbody>",
    ]
    for a in rows:
        state = a.state
        books = []
        for title, url in a.runbooks:
            books.append(f'<a href="{escape(url, quote=True)}">{escape(title)}</a>' if url else escape(title))
        if state == "external":
            href = safe_href(a.runbook_url)
            label = escape(_short_url(a.runbook_url or ""))
            books.append(f'<a href="{escape(href, quote=True)}" rel="noopener">{label}</a>' if href else f"<code>{label}</code>")
        cell = ", ".join(books)
        if state != "ok":
            badge = {"no-url": "warning", "external": "unknown"}.get(state, "error")
            note = f'<span class="rbh-badge rbh-badge--{badge}">{_ALERT_STATE_LABEL[state]}</span>'
            if a.url_state == "broken" and a.runbook_url:
                note += f" <code>{escape(a.runbook_url)}</code>"
            cell = f"{note} {cell}".strip()
        out.append(
            f'<tr id="{alert_anchor(a.name)}" data-rbh-state="{state}">'
            f'<td data-sort-value="{escape(a.name.lower(), quote=True)}"><code>{escape(a.name)}</code></td>'
            f"<td>{escape(a.severity or '')}</td>"
            f'<td data-sort-value="{_ALERT_STATE_ORDER[state]}">{cell}</td>'
            f"<td>{f'<code>{escape(a.source)}</code>' if a.source else ''}</td>"
            "</tr>"
        )
    out.append("</tbody></table></div></div>")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------ sanitising


# What python-markdown, pymdown-extensions and the MkDocs themes put into a page's content, on top
# of nh3's defaults. Script, event handlers, style elements, forms, frames and `javascript:` URLs are
# not in it: a runbook is written by anyone who can open a pull request.
SAFE_TAGS = frozenset(nh3.ALLOWED_TAGS) | {"input", "label", "section", "main", "source", "picture", "figure",
                                           "figcaption", "tfoot", "th", "mark"}
SAFE_GENERIC_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "dir", "role", "aria-label", "aria-hidden",
                                     "aria-describedby", "aria-labelledby", "tabindex"})
SAFE_ATTRIBUTES: dict[str, frozenset[str]] = {
    **{tag: frozenset(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": frozenset({"href", "hreflang", "name", "rel"}),
    "img": frozenset({"src", "alt", "width", "height", "align", "loading", "srcset", "sizes"}),
    "source": frozenset({"srcset", "type", "media", "sizes"}),
    "input": frozenset({"type", "checked", "disabled", "name"}),  # task lists and content tabs
    "label": frozenset({"for"}),
    "th": frozenset({"colspan", "rowspan", "scope", "headers", "align", "style"}),  # table column alignment
    "td": frozenset({"colspan", "rowspan", "headers", "align", "style"}),
    "ol": frozenset({"start", "type", "reversed"}),
    "details": frozenset({"open"}),
    "code": frozenset({"data-lang"}),
    "time": frozenset({"datetime"}),
}
SAFE_STYLE_PROPERTIES = frozenset({"text-align"})
# Element ids the themes' own scripts look up: a runbook element with one of these ids would take
# its place (DOM clobbering, e.g. Material's JSON config in #__config). Content tabs, code blocks
# and line anchors use __tabbed_, __code_, __codelineno and __span ids of their own, which stay.
_RESERVED_ID = re.compile(r"^__(?!tabbed_|code_|codelineno|span-)")


@dataclass(frozen=True)
class HtmlPolicy:
    """What HTML a runbook page may keep: the safe defaults above plus a team's additions."""

    extra_tags: frozenset[str] = frozenset()
    extra_attributes: tuple[tuple[str, frozenset[str]], ...] = ()  # (tag or "*", attributes)
    extra_url_schemes: frozenset[str] = frozenset()

    @classmethod
    def extended(cls, tags: Iterable[str] = (), attributes: dict[str, Iterable[str]] | None = None,
                 url_schemes: Iterable[str] = ()) -> "HtmlPolicy":
        schemes = {s.lower().rstrip(":") for s in url_schemes}
        if schemes & {"javascript", "vbscript", "data"}:
            raise ValueError("javascript:, vbscript: and data: URLs cannot be allowed in runbook HTML")
        tags = {t.lower() for t in tags}
        if tags & {"script", "style", "iframe", "object", "embed", "frame", "frameset", "base", "meta", "link", "form"}:
            raise ValueError(f"these tags cannot be allowed in runbook HTML: {sorted(tags & {'script', 'style', 'iframe', 'object', 'embed', 'frame', 'frameset', 'base', 'meta', 'link', 'form'})}")
        attrs = tuple(sorted((t.lower(), frozenset(a.lower() for a in v)) for t, v in (attributes or {}).items()))
        handlers = sorted(a for _, v in attrs for a in v if a.startswith("on") or a in ("srcdoc", "formaction"))
        if handlers:
            raise ValueError(f"event handler attributes cannot be allowed in runbook HTML: {handlers}")
        return cls(frozenset(tags), attrs, frozenset(schemes))

    def cleaner(self) -> "nh3.Cleaner":
        generic = set(SAFE_GENERIC_ATTRIBUTES)
        per_tag = {tag: set(attrs) for tag, attrs in SAFE_ATTRIBUTES.items()}
        for tag, attrs in self.extra_attributes:
            if tag == "*":
                generic |= attrs
            else:
                per_tag.setdefault(tag, set()).update(attrs)
        per_tag["*"] = generic
        return nh3.Cleaner(
            tags=set(SAFE_TAGS | self.extra_tags),
            attributes=per_tag,
            url_schemes=set(nh3.ALLOWED_URL_SCHEMES | self.extra_url_schemes),
            clean_content_tags={"script", "style"},  # dropped with their text, not shown as text
            strip_comments=True,
            link_rel=None,  # keep the page's own links as they are
            attribute_filter=_attribute_filter,
            filter_style_properties=set(SAFE_STYLE_PROPERTIES),
        )


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in ("id", "name", "for") and _RESERVED_ID.match(value):
        return None
    if tag == "input" and attr == "type" and value not in ("checkbox", "radio"):
        return None
    return value


def sanitize_html(html: str, cleaner: "nh3.Cleaner") -> str:
    """A page's rendered content with everything that could run script or restyle the page removed."""
    return cleaner.clean(html)


def plain_title(title: object) -> str:
    """A page or nav title as safe HTML text: tags stripped, entities kept escaped.

    MkDocs treats titles as HTML and the themes print them unescaped (the nav, ``<title>``); a title
    comes from front matter, the first heading or a file name, all of them runbook content.
    """
    return escape(Markup(str(title)).striptags(), quote=True)


# ------------------------------------------------------------------------------------------ trend chart

_SERIES = (  # (key, label, css modifier): what the chart draws, worst first
    ("error", "Error findings", "error"),
    ("warning", "Warning findings", "warning"),
    ("stale", "Stale runbooks", "stale"),
)


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return max(step * 4, 4) if value > 0 else 4
    return value


def _series_values(points: list[dict], owner: str | None) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {k: [] for k, _, _ in _SERIES}
    for p in points:
        if owner is None:
            vals = {"error": p["findings"]["error"], "warning": p["findings"]["warning"], "stale": p["stale"]}
        else:
            o = p["owners"].get(owner) or {}
            vals = {"error": o.get("error", 0), "warning": o.get("warning", 0), "stale": o.get("stale", 0)}
        for k in out:
            out[k].append(int(vals[k]))
    return out


def trend_svg(points: list[dict], *, owner: str | None = None, width: int = 960, height: int = 230,
              compact: bool = False) -> str:
    """One inline SVG line chart (no script): errors, warnings and stale runbooks at each point.

    Colours come from CSS classes (``rbh-trend__line--error`` ...) so the light and dark schemes
    restyle it; each point carries a ``<title>`` tooltip. Screen readers get the table instead.
    """
    values = _series_values(points, owner)
    top = _nice_max(max((v for vs in values.values() for v in vs), default=0))
    left, right, upper, lower = (34, 10, 10, 24) if compact else (40, 16, 14, 46)
    pw, ph = width - left - right, height - upper - lower
    n = len(points)

    def x(i: int) -> float:
        return left + (pw / 2 if n == 1 else pw * i / (n - 1))

    def y(v: int) -> float:
        return upper + ph - ph * v / top

    out = [f'<svg class="rbh-trend__svg" viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
           'aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">']
    for i in range(5):  # grid and y ticks
        v = top * i // 4
        out.append(f'<line class="rbh-trend__grid" x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>')
        out.append(f'<text class="rbh-trend__tick" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    ticks = {0, n - 1} if compact else {i for i in range(n) if i % max(1, -(-n // 8)) == 0} | {n - 1}
    for i in sorted(ticks):
        label = escape(points[i]["label"].split(" ")[0])  # "2026-W47" or a commit's short sha
        anchor = "middle" if n == 1 else "start" if i == 0 else "end" if i == n - 1 else "middle"
        out.append(f'<text class="rbh-trend__tick" x="{x(i):.1f}" y="{height - lower + 16}" text-anchor="{anchor}">{label}</text>')
    for key, name, mod in reversed(_SERIES):  # errors drawn last, on top
        vs = values[key]
        if n > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs))
            out.append(f'<path class="rbh-trend__line rbh-trend__line--{mod}" d="{path}"/>')
        for i, v in enumerate(vs):
            tip = escape(f"{points[i]['label']}: {v} {name.lower()}")
            out.append(f'<circle class="rbh-trend__pt rbh-trend__pt--{mod}" cx="{x(i):.1f}" cy="{y(v):.1f}" r="{2.5 if compact else 3.5}">'
                       f"<title>{tip}</title></circle>")
    out.append("</svg>")
    return "".join(out)


def trend_table(points: list[dict], *, owner: str | None = None, caption: str) -> str:
    """The chart's numbers as a table (visually hidden; what screen readers read)."""
    values = _series_values(points, owner)
    head = "".join(f'<th scope="col">{escape(name)}</th>' for _, name, _ in _SERIES)
    rows = []
    for i, p in enumerate(points):
        cells = "".join(f"<td>{values[k][i]}</td>" for k, _, _ in _SERIES)
        rows.append(f'<tr><th scope="row">{escape(p["label"])}</th>{cells}</tr>')
    return (f'<div class="rbh-sr-only"><table class="rbh-trend__table"><caption>{escape(caption)}</caption>'
            f'<thead><tr><th scope="col">{"Week" if points and "-W" in points[0]["label"] else "Commit"}</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _legend() -> str:
    items = "".join(f'<li><span class="rbh-trend__key rbh-trend__key--{mod}"></span>{escape(name)}</li>' for _, name, mod in _SERIES)
    return f'<ul class="rbh-trend__legend" aria-hidden="true">{items}</ul>'


def trend_html(trend: dict, *, per_owner: bool = True) -> str:
    """The "Health over time" section of the dashboard: one chart for the repository, one per owner."""
    points = trend.get("points") or []
    unit = "week" if trend.get("bucket") == "week" else "sampled commit"
    out = ['<section class="rbh-trend" data-search-exclude aria-labelledby="rbh-trend-title">',
           '<h2 id="rbh-trend-title">Health over time</h2>']
    if not points:
        out.append('<p class="rbh-muted">No history to show yet.</p></section>')
        return "\n".join(out)
    first, last = points[0], points[-1]
    span = (f"per week over the last {trend.get('window_weeks')} weeks" if unit == "week"
            else f"at {len(points)} commits from {first['date']} to {last['date']} (the history is younger than two weeks)")
    summary = (f"Open findings and stale runbooks {span}. Now: {last['findings']['error']} errors, "
               f"{last['findings']['warning']} warnings, {last['stale']} stale runbooks.")
    out.append(f'<p class="rbh-trend__summary">{escape(summary)}</p>')
    out.append(f'<figure class="rbh-trend__chart" data-rbh-points="{len(points)}">{_legend()}'
               f"{trend_svg(points)}{trend_table(points, caption='Health over time: ' + summary)}</figure>")
    owners = sorted({o for p in points for o in p.get("owners", {})}, key=str.lower)
    if per_owner and [o for o in owners if not o.startswith("(")]:
        out.append('<h3 id="rbh-trend-owners">Per owner</h3><div class="rbh-trend__owners">')
        for owner in owners:
            out.append(f'<figure class="rbh-trend__owner" data-rbh-owner="{escape(owner, quote=True)}">'
                       f"<figcaption>{escape(owner)}</figcaption>"
                       f"{trend_svg(points, owner=owner, width=340, height=130, compact=True)}"
                       f"{trend_table(points, owner=owner, caption=f'Health over time for {owner}')}</figure>")
        out.append("</div>")
    for note in trend.get("notices") or []:
        out.append(f'<p class="rbh-muted rbh-notice">{escape(note)}</p>')
    out.append("</section>")
    return "\n".join(out)
