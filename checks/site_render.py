"""HTML for the docs site: the health banner on each runbook page, the dashboard and the alert index.

Functions over small view models, so they are tested without MkDocs: each prepares what its Jinja
template (``rbh-health/*.html``, see :mod:`rbh.checks.site_templates`) needs and renders it, through
the theme's overrides when the MkDocs plugin passes its templates, else through ours. Everything that
comes from a runbook, a manifest or git (titles, owners, messages, suggestions, URLs) is untrusted
text: the templates escape every value, and only ``http``/``https`` URLs ever become links. The HTML a runbook renders to
is sanitised by :class:`HtmlPolicy` (nh3, an allow-list a team can extend) before it reaches a page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html import escape
from typing import Callable, Iterable

import nh3
from markupsafe import Markup

from rbh.checks.model import Finding, Severity
from rbh.checks.site_templates import (  # noqa: F401 - the site vocabulary, importable from here too
    ALERT_STATE_LABEL,
    ALERT_STATE_ORDER,
    STATUS_LABEL,
    STATUS_ORDER,
    SiteTemplates,
    alert_anchor,
    default_templates,
    plural,
    safe_href,
)

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


# ------------------------------------------------------------------------------------------ helpers


def _status_line(rb: RunbookHealth) -> str:
    status = rb.status
    if status == "unknown":
        return "the health checks could not run for this build; verify commands against the cluster before use"
    if status == "known":
        return (f"no new problems; {plural(len(rb.counted_known), 'known finding')} recorded in the CI baseline "
                "(still true, not yet fixed): read with care")
    if status == "healthy":
        if rb.findings:  # info notes only
            return f"no problems against the current manifests and alert rules; {plural(len(rb.findings), 'note')} below"
        return "no findings against the current manifests and alert rules"
    errors = sum(1 for f in rb.findings if f.severity >= Severity.error)
    warnings = sum(1 for f in rb.findings if f.severity == Severity.warning)
    parts = []
    if errors:
        parts.append(plural(errors, "error"))
    if warnings:
        parts.append(plural(warnings, "warning"))
    tail = "check the commands below against the cluster before running them" if errors else "read with care"
    return f"{', '.join(parts)}: {tail}"


# ------------------------------------------------------------------------------------------ banner


MAX_GROUPS_SHOWN = 5  # more than this and the rest fold away: the banner must stay readable at 2 AM


def group_findings(findings: list[Finding]) -> list[list[Finding]]:
    """Findings that say the same thing (same rule, message and suggestion) at several lines, as one
    group each; worst severity first, then by first line."""
    groups: dict[tuple, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (f.line, f.column)):
        groups.setdefault((f.severity, f.rule, f.message, f.suggestion), []).append(f)
    return sorted(groups.values(), key=lambda g: (-g[0].severity, g[0].line))


def banner_html(rb: RunbookHealth, *, source_link: SourceLink | None = None, alerts_page: str | None = None,
                checks_page: str | None = None, templates: SiteTemplates | None = None) -> str:
    """The health banner shown at the top of a runbook page (template ``rbh-health/banner.html``)."""
    return (templates or default_templates()).render(
        "banner.html", rb=rb, status=rb.status, status_line=_status_line(rb), groups=group_findings(rb.findings),
        known_groups=group_findings(rb.known), max_shown=MAX_GROUPS_SHOWN, source_link=source_link,
        alerts_page=alerts_page, checks_page=checks_page)


def insert_banner(content: str, banner: str) -> str:
    """Put *banner* right under the page's first-level title, or at the very top when there is none."""
    m = re.match(r"\s*<h1\b[^>]*>.*?</h1>", content, re.S)
    if m:
        return content[: m.end()] + "\n" + banner + content[m.end() :]
    return banner + "\n" + content


# ------------------------------------------------------------------------------------------ dashboard


def dashboard_html(rows: list[RunbookHealth], *, notices: Iterable[str] = (), show_owner: bool = True,
                   show_review: bool = True, templates: SiteTemplates | None = None) -> str:
    """The "Runbook health" table (template ``rbh-health/dashboard.html``): sortable and filterable by
    ``rbh-health.js`` (works without it too).

    *show_owner* / *show_review* False drop the Owner and Last reviewed columns (a repository that
    uses neither field would see a column of "none" and "never reviewed").
    """
    rows = sorted(rows, key=lambda r: (STATUS_ORDER[r.status], r.path))
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_ORDER}
    owners = sorted({o for r in rows for o in r.owners}, key=str.lower)
    summary = [f"{plural(len(rows), 'runbook')}:", f"{counts['healthy']} healthy,"]
    if counts["known"]:
        summary.append(f"{counts['known']} with known findings only,")
    summary += [f"{counts['warning']} with warnings,", f"{counts['error']} stale"]
    if counts["unknown"]:
        summary.append(f", {counts['unknown']} unknown")
    known_total = sum(len(r.counted_known) for r in rows)
    if known_total:
        summary.append(f"({known_total} known findings in the CI baseline)")
    return (templates or default_templates()).render(
        "dashboard.html", rows=rows, summary=" ".join(summary), counts=counts, owners=owners, notices=list(notices),
        show_owner=show_owner or bool(owners), show_review=show_review)


# ------------------------------------------------------------------------------------------ alert index


def alerts_html(rows: list[AlertRow], *, notices: Iterable[str] = (), templates: SiteTemplates | None = None) -> str:
    """Every alert rule with its runbook (template ``rbh-health/alerts.html``); alerts a responder would
    be paged for without one come first."""
    rows = sorted(rows, key=lambda a: (ALERT_STATE_ORDER[a.state], a.name.lower()))
    rules = [a for a in rows if a.defined]
    missing = sum(1 for a in rules if a.state != "ok")
    summary = f"{plural(len(rules), 'alert rule')}, {missing} without a working runbook link."
    if len(rules) < len(rows):
        undefined = len(rows) - len(rules)
        summary += f" {plural(undefined, 'alert')} named in runbooks {'has' if undefined == 1 else 'have'} no rule."
    return (templates or default_templates()).render("alerts.html", rows=rows, summary=summary, notices=list(notices))


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


def _chart(points: list[dict], *, owner: str | None = None, width: int = 960, height: int = 230,
           compact: bool = False, caption: str) -> dict:
    """One line chart's geometry (errors, warnings and stale runbooks at each point) and its numbers as
    a table, for the ``svg`` and ``table`` macros of ``rbh-health/trend.html``."""
    values = _series_values(points, owner)
    top = _nice_max(max((v for vs in values.values() for v in vs), default=0))
    left, right, upper, lower = (34, 10, 10, 24) if compact else (40, 16, 14, 46)
    pw, ph = width - left - right, height - upper - lower
    n = len(points)

    def x(i: int) -> float:
        return left + (pw / 2 if n == 1 else pw * i / (n - 1))

    def y(v: int) -> float:
        return upper + ph - ph * v / top

    grid = [(top * i // 4, f"{y(top * i // 4):.1f}", f"{y(top * i // 4) + 4:.1f}") for i in range(5)]
    ticks = []
    for i in sorted({0, n - 1} if compact else {i for i in range(n) if i % max(1, -(-n // 8)) == 0} | {n - 1}):
        anchor = "middle" if n == 1 else "start" if i == 0 else "end" if i == n - 1 else "middle"
        ticks.append((f"{x(i):.1f}", points[i]["label"].split(" ")[0], anchor))  # "2026-W47" or a commit's short sha
    lines = []
    for key, name, mod in reversed(_SERIES):  # errors drawn last, on top
        vs = values[key]
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs)) if n > 1 else None
        dots = [(f"{x(i):.1f}", f"{y(v):.1f}", f"{points[i]['label']}: {v} {name.lower()}") for i, v in enumerate(vs)]
        lines.append((mod, path, dots))
    return {
        "width": width, "height": height, "left": left, "right": right, "label_y": height - lower + 16,
        "r": 2.5 if compact else 3.5, "grid": grid, "ticks": ticks, "lines": lines, "caption": caption,
        "table_head": "Week" if points and "-W" in points[0]["label"] else "Commit",
        "table_rows": [(p["label"], [values[k][i] for k, _, _ in _SERIES]) for i, p in enumerate(points)],
    }


def trend_html(trend: dict, *, per_owner: bool = True, templates: SiteTemplates | None = None) -> str:
    """The "Health over time" section of the dashboard (template ``rbh-health/trend.html``): one chart
    for the repository, one per owner."""
    points = trend.get("points") or []
    summary, chart, owner_charts = "", None, []
    if points:
        first, last = points[0], points[-1]
        span = (f"per week over the last {trend.get('window_weeks')} weeks" if trend.get("bucket") == "week"
                else f"at {len(points)} commits from {first['date']} to {last['date']} (the history is younger than two weeks)"
                if len(points) > 1 else f"at its one commit of {first['date']}")
        summary = (f"Open findings and stale runbooks {span}. Now: {plural(last['findings']['error'], 'error')}, "
                   f"{plural(last['findings']['warning'], 'warning')}, {plural(last['stale'], 'stale runbook')}.")
        chart = _chart(points, caption="Health over time: " + summary)
        owners = sorted({o for p in points for o in p.get("owners", {})}, key=str.lower)
        if per_owner and [o for o in owners if not o.startswith("(")]:
            owner_charts = [(o, _chart(points, owner=o, width=340, height=130, compact=True, caption=f"Health over time for {o}"))
                            for o in owners]
    return (templates or default_templates()).render(
        "trend.html", points=points, summary=summary, series=_SERIES, chart=chart, owner_charts=owner_charts,
        notices=list(trend.get("notices") or []))
