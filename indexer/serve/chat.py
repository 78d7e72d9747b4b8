"""Chat messages for an Alertmanager group: one message per group, for each chat format.

Formats (``kind`` of a target):

* ``slack``: Slack incoming webhook with Block Kit. Untrusted text (alert labels and annotations,
  runbook titles, steps, findings) only goes into ``plain_text`` objects and ``rich_text`` text
  elements, which Slack shows literally: no mrkdwn, no ``<!channel>``, no ``<@U..>``, no masked
  links. The top-level ``text`` (the notification fallback, parsed as mrkdwn) carries only the status,
  count and alert names, with ``& < >`` escaped as Slack asks, and formatting characters dropped.
* ``mattermost`` / ``rocketchat``: the Slack-compatible ``{"text": ...}`` those platforms accept,
  as CommonMark: untrusted inline text is backslash-escaped and ``@`` mentions are broken with a
  zero-width space; steps sit in a fenced code block longer than any backtick run inside it, so
  runbook text cannot close it.
* ``teams``: a Microsoft Teams Workflows ("Post to a channel when a webhook request is received")
  message with one Adaptive Card. Untrusted text goes only into ``RichTextBlock`` ``TextRun``
  elements, which Teams does not parse as markdown; links are ``Action.OpenUrl`` buttons.

Links are shown only when they are plain http(s) URLs. Messages are bounded: at most
``max_alerts`` alerts in detail, steps cut at a line and character budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

ZWSP = "\u200b"
MAX_STEP_LINES = 16
MAX_STEP_CHARS = 1200
MAX_INLINE_CHARS = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:\d{1,3}[.)]|[-*+])\s+\S")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


# --------------------------------------------------------------------------------------------
# The message, independent of the chat format


@dataclass
class AlertNote:
    status: str  # firing | resolved
    name: str
    labels: dict[str, str]
    summary: str
    link: str | None  # runbook_url of the alert, else the site URL with anchor
    runbook: str | None  # "Title > Heading"
    citation: str | None  # path:line#anchor @ commit
    health: str | None  # one line
    steps: str  # verbatim lines from the section
    via: str | None  # alert | retrieval | None (no runbook)


@dataclass
class GroupNote:
    status: str  # firing | resolved
    group_key: str
    receiver: str
    group_labels: dict[str, str]
    alerts: list[AlertNote]
    omitted: int = 0
    follows_up: str | None = None  # when the firing message this resolves was sent (ISO)
    notices: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        firing = sum(1 for a in self.alerts if a.status == "firing")
        names = sorted({a.name for a in self.alerts})
        count = f":{firing}" if self.status == "firing" else ""
        return f"[{self.status.upper()}{count}] " + ", ".join(names)


def clean(text: Any, limit: int = MAX_INLINE_CHARS) -> str:
    """One line, control characters (and bidi overrides) made visible, cut at *limit*."""
    s = " ".join(str(text if text is not None else "").split())
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def safe_link(url: Any) -> str | None:
    """*url* when it is a plain http(s) URL, characters that could end a link percent-encoded."""
    if not isinstance(url, str) or len(url) > 2000 or _CONTROL.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%-._~")


def first_steps(text: str, max_lines: int = MAX_STEP_LINES, max_chars: int = MAX_STEP_CHARS) -> str:
    """The first steps of a section, verbatim: its first list (with the code blocks inside it) or,
    without a list, its first paragraphs and code blocks; never the heading line."""
    lines = text.split("\n")
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
        lines.pop(0)
    start = next((i for i, ln in enumerate(lines) if _LIST_ITEM.match(ln)), None)
    body = lines[start:] if start is not None else lines
    out: list[str] = []
    in_code = False
    used = 0
    for ln in body:
        if _FENCE.match(ln):
            in_code = not in_code
        elif not in_code and start is not None and ln.strip() and not ln.startswith((" ", "\t")) \
                and not _LIST_ITEM.match(ln) and out and not out[-1].strip():
            break  # the list ended: a paragraph after a blank line
        if len(out) >= max_lines or used + len(ln) > max_chars:
            # end on a whole step or paragraph (the last blank line outside code), then say it goes on
            cut = max((i for i, x in enumerate(out) if not x.strip()), default=len(out))
            out = out[:cut] if cut > 0 else out
            while out and not out[-1].strip():
                out.pop()
            out.append("…")
            break
        out.append(ln)
        used += len(ln) + 1
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def health_line(findings: list[dict[str, Any]] | None) -> str:
    """'2 open findings: deployment `checkout` not found; ...' or 'no open findings'."""
    if findings is None:
        return "health unknown (the checks could not run)"
    if not findings:
        return "no open findings"
    msgs = list(dict.fromkeys(str(f.get("message") or f.get("rule")) for f in findings))
    shown = "; ".join(msgs[:2]) + ("; …" if len(msgs) > 2 else "")
    n = len(findings)
    return f"{n} open finding{'s' if n != 1 else ''}: {shown}"


def note_for(alert: dict[str, Any], result: dict[str, Any] | None) -> AlertNote:
    """An alert of the payload and its resolved section (one ``rbh ask --json`` result) as a note."""
    from rbh.indexer.alerts import mapping

    labels, ann = mapping(alert.get("labels")), mapping(alert.get("annotations"))
    shown = {k: clean(v, 80) for k, v in labels.items() if k not in ("alertname",) and isinstance(v, (str, int, float))}
    summary = clean(ann.get("summary") or ann.get("description") or ann.get("message") or "")
    status = "resolved" if alert.get("status") == "resolved" else "firing"
    name = clean(labels.get("alertname") or "unnamed alert", 120)
    if result is None:
        return AlertNote(status, name, shown, summary, safe_link(ann.get("runbook_url")), None, None, None, "", None)
    crumb = " > ".join(result.get("heading_path") or []) or result.get("heading") or ""
    title = str(result.get("title") or result.get("path") or "")
    runbook = title if not crumb or crumb == title else (f"{title} > {crumb}" if not crumb.startswith(title) else crumb)
    link = safe_link(ann.get("runbook_url")) or safe_link(result.get("url"))
    return AlertNote(status, name, shown, summary, link, clean(runbook, 200), clean(result.get("citation"), 200),
                     clean(health_line(result.get("findings")), 400), first_steps(result.get("text") or ""),
                     result.get("via"))


# --------------------------------------------------------------------------------------------
# Slack (Block Kit)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_fallback(note: GroupNote) -> str:
    return _slack_escape(re.sub(r"[*_~`]", "", note.title))[:300]


def _pt(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": (text or " ")[:limit], "emoji": False}


def render_slack(note: GroupNote) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _pt(clean(note.title, 150), 150)}]
    if note.follows_up:
        blocks.append({"type": "context", "elements": [_pt(f"Follows up the notification of {note.follows_up}.")]})
    for a in note.alerts:
        elements: list[dict[str, Any]] = []
        icon = "✅ " if a.status == "resolved" else "🔥 "
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
        line = icon + a.name + (f" ({labels})" if labels else "") + (f": {a.summary}" if a.summary else "")
        elements.append({"type": "rich_text_section", "elements": [{"type": "text", "text": line[:1000], "style": {"bold": True}}]})
        sec: list[dict[str, Any]] = []
        if a.runbook:
            sec.append({"type": "text", "text": f"\nRunbook: {a.runbook}"})
        else:
            sec.append({"type": "text", "text": "\nNo runbook section found for this alert."})
        if a.link:
            sec += [{"type": "text", "text": "\nLink: "}, {"type": "link", "url": a.link, "text": a.link}]
        if a.citation:
            sec.append({"type": "text", "text": f"\nSource: {a.citation}"})
        if a.health and a.status == "firing":
            sec.append({"type": "text", "text": f"\nHealth: {a.health}"})
        elements.append({"type": "rich_text_section", "elements": sec})
        if a.steps and a.status == "firing":
            elements.append({"type": "rich_text_section", "elements": [{"type": "text", "text": "\nFirst steps (verbatim from the runbook):"}]})
            elements.append({"type": "rich_text_preformatted", "elements": [{"type": "text", "text": a.steps}]})
        blocks.append({"type": "rich_text", "elements": elements})
    if note.omitted:
        blocks.append({"type": "context", "elements": [_pt(f"… and {note.omitted} more alert(s) in this group.")]})
    blocks.append({"type": "context", "elements": [_pt("rbh suggests; it never runs anything. Check the steps against the runbook.")]})
    return {"text": _slack_fallback(note), "blocks": blocks[:50]}


# --------------------------------------------------------------------------------------------
# Mattermost / Rocket.Chat (CommonMark text)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>:&\"'=])")
_MENTION = re.compile(r"@(?=\w)")


def md_inline(text: str) -> str:
    """Untrusted text as literal CommonMark inline text, with no @mention."""
    return _MENTION.sub("@" + ZWSP, _MD_SPECIAL.sub(r"\\\1", text))


def md_code(text: str) -> str:
    """Untrusted text as a fenced code block, verbatim: the fence is one backtick longer than any
    backtick run inside (CommonMark), so the runbook's own fences cannot close it; group mentions
    are broken with a zero-width space."""
    longest = max((len(m.group()) for m in re.finditer(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    text = re.sub(r"@(channel|here|all|everyone)\b", "@" + ZWSP + r"\1", text)
    return f"{fence}\n{text}\n{fence}"


def render_markdown(note: GroupNote) -> dict[str, Any]:
    out = [f"#### {md_inline(clean(note.title, 150))}"]
    if note.follows_up:
        out.append(f"_Follows up the notification of {md_inline(note.follows_up)}._")
    for a in note.alerts:
        icon = ":white_check_mark:" if a.status == "resolved" else ":fire:"
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
        out.append(f"{icon} **{md_inline(a.name)}**" + (f" ({md_inline(labels)})" if labels else "")
                   + (f": {md_inline(a.summary)}" if a.summary else ""))
        out.append(f"**Runbook:** {md_inline(a.runbook)}" if a.runbook else "No runbook section found for this alert.")
        if a.link:
            out.append(f"**Link:** <{a.link}>")
        if a.citation:
            out.append(f"**Source:** {md_inline(a.citation)}")
        if a.health and a.status == "firing":
            out.append(f"**Health:** {md_inline(a.health)}")
        if a.steps and a.status == "firing":
            out.append("**First steps** (verbatim from the runbook):\n" + md_code(a.steps))
        out.append("")
    if note.omitted:
        out.append(f"… and {note.omitted} more alert(s) in this group.")
    out.append("_rbh suggests; it never runs anything. Check the steps against the runbook._")
    return {"text": "\n".join(out)}


# --------------------------------------------------------------------------------------------
# Microsoft Teams (Workflows webhook, Adaptive Card)


def _runs(*parts: tuple[str, dict[str, Any]] | str) -> dict[str, Any]:
    inlines = []
    for p in parts:
        text, style = (p, {}) if isinstance(p, str) else p
        inlines.append({"type": "TextRun", "text": text, **style})
    return {"type": "RichTextBlock", "inlines": inlines}


def render_teams(note: GroupNote) -> dict[str, Any]:
    body: list[dict[str, Any]] = [_runs((clean(note.title, 150), {"weight": "Bolder", "size": "Medium"}))]
    if note.follows_up:
        body.append(_runs((f"Follows up the notification of {note.follows_up}.", {"isSubtle": True})))
    actions: list[dict[str, Any]] = []
    for a in note.alerts:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
        body.append({**_runs((("✅ " if a.status == "resolved" else "🔥 ") + a.name, {"weight": "Bolder"}),
                             (f" ({labels})" if labels else "") + (f": {a.summary}" if a.summary else "")),
                     "separator": True, "spacing": "Medium"})
        body.append(_runs(("Runbook: ", {"weight": "Bolder"}), a.runbook or "no runbook section found for this alert"))
        if a.link:
            body.append(_runs(("Link: ", {"weight": "Bolder"}), a.link))
            if len(actions) < 5 and all(x["url"] != a.link for x in actions):
                actions.append({"type": "Action.OpenUrl", "title": clean(f"Runbook: {a.runbook or a.name}", 60), "url": a.link})
        if a.citation:
            body.append(_runs(("Source: ", {"weight": "Bolder"}), a.citation))
        if a.health and a.status == "firing":
            body.append(_runs(("Health: ", {"weight": "Bolder"}), a.health))
        if a.steps and a.status == "firing":
            body.append(_runs(("First steps (verbatim from the runbook):", {"weight": "Bolder"})))
            body.append(_runs((a.steps, {"fontType": "Monospace"})))
    if note.omitted:
        body.append(_runs(f"… and {note.omitted} more alert(s) in this group."))
    body.append(_runs(("rbh suggests; it never runs anything. Check the steps against the runbook.", {"isSubtle": True})))
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "msteams": {"width": "Full"}, "body": body, "actions": actions}
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "contentUrl": None, "content": card}]}


RENDERERS = {"slack": render_slack, "mattermost": render_markdown, "rocketchat": render_markdown, "teams": render_teams}
