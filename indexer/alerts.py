"""Alert-aware lookup: what paged the responder resolves straight to its runbook and section.

The catalog knows every alert from two places:

* alert rules in the manifests (``PrometheusRule`` custom resources and plain Prometheus rule files):
  name, labels, summary and description templates, ``runbook_url``;
* runbooks' front matter ``alerts:`` (the runbook says which alerts it answers).

A query resolves when it is an alert name (also inside an Alertmanager subject such as
``[FIRING:2] KubePodCrashLooping (payments)``), when it is the text of an alert's summary or
description with its ``{{ $labels.x }}`` placeholders filled in (each template becomes literal
pieces found in order, linear in the text), or when it is an Alertmanager webhook payload. Why first
and not through retrieval: the rule's ``runbook_url`` is the operator's own statement of which runbook answers the alert; ranking
can only approximate it.

Rule files are parsed by the checks' Prometheus source (through ``rbh.checks.api``) and
``runbook_url`` values resolved by the core's ``rbh.runbook_urls`` (``check.runbook_urls.prefixes``,
``site.url``, ``.md`` path tails), built as ``rbh check`` builds it, so ``rbh ask`` and ``rbh check``
always agree on which runbook an alert links to.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from rbh.gotemplate import split_template

if TYPE_CHECKING:
    from rbh.inventory import Alert, Inventory
    from rbh.runbook import Runbook
    from rbh.project import Project
    from rbh.runbook_urls import RunbookUrlResolver

log = logging.getLogger(__name__)

MAX_RULE_FILE_BYTES = 5_000_000
# A template must keep this many literal characters to be matched: "{{ $labels.message }}" alone
# would otherwise match every query.
MIN_LITERAL_CHARS = 12
# Rendered alert text is a few hundred characters; longer input (a pasted log) is not matched
# against the templates: no alert renders that long, and every template would be scanned.
MAX_ALERT_TEXT_CHARS = 5000

# --------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class AlertMatch:
    """A runbook location an alert resolves to, and why."""

    alert: str
    path: str  # repository-relative runbook path
    anchor: str | None
    via: str  # runbook_url | front-matter | heading | payload-runbook_url
    matched_on: str  # name | summary | description | payload
    source: str | None = None  # rule file:line (or runbook) that made the link
    url: str | None = None  # the alert's runbook_url as written: the link the answer cites

    @property
    def whole_runbook(self) -> bool:
        """The alert points at a runbook as a whole (no section anchor): show its procedure."""
        return not self.anchor

    def as_dict(self) -> dict[str, Any]:
        return {"alert": self.alert, "path": self.path, "anchor": self.anchor, "via": self.via,
                "matched_on": self.matched_on, "source": self.source, "url": self.url}


def _summary(alert: Alert) -> str | None:
    v = alert.annotations.get("summary")
    return str(v) if v else None


def _description(alert: Alert) -> str | None:
    v = alert.annotations.get("description") or alert.annotations.get("message")
    return str(v) if v else None


# --------------------------------------------------------------------------------------------
# Templates -> literal pieces in order

_SPACE = re.compile(r"\s+")
_TRAILING = " \t\n.!;:,"


def normalize_text(text: str) -> str:
    """Case, whitespace and trailing punctuation do not matter when comparing alert text."""
    return _SPACE.sub(" ", text).strip().strip(_TRAILING).lower()


def _squeeze(text: str) -> str:
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class TemplateMatcher:
    """An annotation template as literal pieces that must appear in order (each action matches any
    text, including none, because conditional blocks may render nothing).

    Matching is a left-to-right ``str.find`` of each piece (the leftmost occurrence of a piece always
    leaves the most room for the pieces after it), so it is linear in the text and never backtracks:
    the regex it replaces, one lazy wildcard per action, took 137 s on five adjacent actions.
    Whitespace is ignored on both sides (template spacing and rendered spacing often differ).
    """

    pieces: tuple[str, ...]  # lower case, whitespace removed; first and last anchor the ends

    def fullmatch(self, text: str) -> bool:
        """True when normalized *text* could be a rendering of the template."""
        t = _squeeze(text)
        first, last = self.pieces[0], self.pieces[-1]
        if len(self.pieces) == 1:
            return t == first
        if not t.startswith(first):
            return False
        pos = len(first)
        stop = len(t) - len(last)
        if stop < pos or not t.endswith(last):
            return False
        for piece in self.pieces[1:-1]:
            if not piece:
                continue
            hit = t.find(piece, pos, stop)
            if hit < 0:
                return False
            pos = hit + len(piece)
        return True


@dataclass(frozen=True)
class TextPattern:
    alert: Alert
    kind: str  # summary | description
    regex: TemplateMatcher  # has ``fullmatch(text)`` like the compiled regex it replaced
    literal_chars: int
    longest_literal: str


def template_pattern(template: str) -> tuple[TemplateMatcher, int, str] | None:
    """Compile an annotation template into a matcher over normalized text; None when too generic.

    Every ``{{ ... }}`` action (a label, ``$value | humanize``, an ``if`` block) matches any text,
    including none. Also returns the longest literal piece, a cheap substring test before matching.
    """
    parts = split_template(template)
    literal_chars = len(re.sub(r"\W", "", "".join(parts)))
    if literal_chars < MIN_LITERAL_CHARS:
        return None
    words = [_SPACE.sub(" ", part).lower() for part in parts]
    words[0] = words[0].lstrip()
    words[-1] = words[-1].rstrip(_TRAILING)
    matcher = TemplateMatcher(tuple(_squeeze(w) for w in words))
    return matcher, literal_chars, max((w.strip() for w in words), key=len)


# --------------------------------------------------------------------------------------------
# The catalog

_SUBJECT = re.compile(r"^\s*\[(?:FIRING|RESOLVED)(?::\s*\d+)?\]\s*(\S+)", re.I)
_ALERTNAME = re.compile(r"\balertname\s*[=:]\s*\"?([A-Za-z_:][\w:.-]*)\"?")
_TOKEN = re.compile(r"[A-Za-z_][\w:.-]*\w")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)  # Prometheus/Go template code in an annotation
_WEB_URL = re.compile(r"^https?://[^\s{}]+$")


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _looks_like_alert_name(token: str) -> bool:
    """CamelCase or snake/colon-joined names are distinctive enough to match inside free text."""
    return len(token) >= 6 and (bool(re.search(r"[a-z][A-Z]", token)) or "_" in token or ":" in token)


@dataclass
class AlertCatalog:
    """Every alert the repository knows and where each one's runbook is.

    *alerts* are ``rbh.inventory.Alert`` (parsed by the checks' Prometheus source); *resolver* is
    the core's ``RunbookUrlResolver``, so ``rbh ask`` and ``rbh check`` agree on what a
    ``runbook_url`` means; *anchors* maps runbook path -> {anchor in a URL: MkDocs anchor}.
    """

    alerts: list[Alert] = field(default_factory=list)
    front_matter: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)  # alert -> [(path, anchor)]
    resolver: RunbookUrlResolver | None = None
    anchors: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_name: dict[str, list[Alert]] = {}
        for a in self.alerts:
            self._by_name.setdefault(a.name, []).append(a)
        self._by_lower = {n.lower(): n for n in [*self._by_name, *self.front_matter]}
        # "postgres too many connections" names PostgresTooManyConnections as surely as the name does
        self._by_compact = {_compact(n): n for n in [*self._by_name, *self.front_matter] if len(_compact(n)) >= 8}
        self._patterns: list[TextPattern] | None = None

    # -------------------------------------------------------------- building
    @classmethod
    def build(cls, alerts: list[Alert], runbooks: Iterable[Runbook], resolver: RunbookUrlResolver) -> "AlertCatalog":
        """From parsed alerts and parsed runbooks (``rbh.runbook.Runbook``)."""
        from rbh.anchors import fragment_map

        fm: dict[str, list[tuple[str, str | None]]] = {}
        anchors: dict[str, dict[str, str]] = {}
        for rb in runbooks:
            for name in rb.front_matter.alerts:
                fm.setdefault(name, []).append((rb.path, _anchor_naming(rb, name)))
            # A runbook_url written for GitHub or GitLab carries their slug; the answer cites the site's anchor.
            anchors[rb.path] = fragment_map(rb.headings)
        return cls(alerts=alerts, front_matter=fm, resolver=resolver, anchors=anchors)

    @property
    def names(self) -> set[str]:
        return set(self._by_name) | set(self.front_matter)

    def __len__(self) -> int:
        return len(self.names)

    def resolve_url(self, url: str | None) -> tuple[str, str | None] | None:
        """(runbook path, MkDocs anchor or None) for a ``runbook_url``; None when it names no runbook."""
        if not url or self.resolver is None:
            return None
        res = self.resolver.resolve(url)
        if not res.found:
            if res.templated and res.anchor and not res.candidates:  # `[[ .RunbookURL ]]#Anchor`: the one runbook with it
                return self._only_runbook_with(res.anchor)
            return None
        anchor = self.anchors.get(res.found, {}).get(res.anchor.lower()) if res.anchor else None
        return res.found, anchor

    # -------------------------------------------------------------- lookups
    def runbooks_for(self, name: str, matched_on: str = "name") -> list[AlertMatch]:
        """Runbook locations for an alert name: its rules' ``runbook_url`` first, then front matter."""
        out: list[AlertMatch] = []
        for a in self._by_name.get(name, []):
            hit = self.resolve_url(a.runbook_url)
            if hit and all((m.path, m.anchor) != hit for m in out):
                out.append(AlertMatch(name, hit[0], hit[1], "runbook_url", matched_on, f"{a.loc.path}:{a.loc.line}",
                                      url=_plain_url(a.runbook_url)))
        for path, anchor in self.front_matter.get(name, []):
            if any(m.path == path for m in out):
                continue
            out.append(AlertMatch(name, path, anchor, "front-matter", matched_on, path))
        if not out and name in self._by_name:
            # A rule without runbook_url whose playbook has a section headed by the alert's name (a
            # mixin's one-file playbook, `### CortexRequestLatency`): that section, when one runbook has it.
            hit = self._only_runbook_with(name)
            if hit:
                out.append(AlertMatch(name, hit[0], hit[1], "heading", matched_on, hit[0]))
        return out

    def _only_runbook_with(self, anchor: str) -> tuple[str, str] | None:
        """(runbook path, site anchor) of the one runbook with a heading of that anchor, else None."""
        key = anchor.lower()
        having = [(path, fragments[key]) for path, fragments in self.anchors.items() if key in fragments]
        return having[0] if len(having) == 1 else None

    def _canonical(self, name: str) -> str | None:
        if name in self._by_name or name in self.front_matter:
            return name
        return self._by_lower.get(name.lower()) or self._by_compact.get(_compact(name))

    def named_alert(self, query: str) -> str | None:
        """The known alert the query names (as ``match_name`` reads it: the whole query, an
        Alertmanager subject, ``alertname=X``, or a distinctive name in passing), else None."""
        q = query.strip().strip("`'\"")
        candidates = [m.group(1) for rx in (_SUBJECT, _ALERTNAME) if (m := rx.search(q))] + [q]
        for c in candidates:
            name = self._canonical(c)
            if name:
                return name
        return next((tok for tok in dict.fromkeys(_TOKEN.findall(q)) if _looks_like_alert_name(tok) and tok in self._by_name), None)

    def unlinked_alert(self, query: str) -> Alert | None:
        """The rule of the alert the query names, when the rules define it and no runbook is linked to
        it (no runbook_url that resolves, no front matter, no section of its name); else None."""
        name = self.named_alert(query)
        if name is None or name not in self._by_name or self.runbooks_for(name):
            return None
        return self._by_name[name][0]

    def rule_text(self, query: str) -> str:
        """What the rule of the alert the query names says of it, to retrieve with when no runbook is
        linked to it: its name in words (``CephMonDownQuorumAtRisk`` -> ``Ceph Mon Down Quorum At
        Risk``), its summary and description without their template code. Empty for no known alert,
        or one whose runbook the lookup already found."""
        a = self.unlinked_alert(query)
        if a is None:
            return ""
        parts = [_CAMEL.sub(" ", a.name).replace("_", " ")]
        for text in (_summary(a), _description(a)):
            if text:
                parts.append(_TEMPLATE.sub(" ", text))
        return _SPACE.sub(" ", " ".join(parts)).strip()

    def match_name(self, query: str) -> list[AlertMatch]:
        """The query is an alert name, an Alertmanager subject, ``alertname=X``, or names one in passing."""
        q = query.strip().strip("`'\"")
        candidates: list[str] = []
        for rx in (_SUBJECT, _ALERTNAME):
            m = rx.search(q)
            if m:
                candidates.append(m.group(1))
        candidates.append(q)
        for c in candidates:
            name = self._canonical(c)
            if name:
                return self.runbooks_for(name, "name")
        out: list[AlertMatch] = []
        for tok in dict.fromkeys(_TOKEN.findall(q)):
            if _looks_like_alert_name(tok) and tok in self.names:
                out.extend(m for m in self.runbooks_for(tok, "name") if m not in out)
        return out

    @property
    def patterns(self) -> list[TextPattern]:
        if self._patterns is None:
            pats: list[TextPattern] = []
            for a in self.alerts:
                for kind, tmpl in (("summary", _summary(a)), ("description", _description(a))):
                    compiled = template_pattern(tmpl) if tmpl else None
                    if compiled:
                        pats.append(TextPattern(a, kind, *compiled))
            # Most specific first: a long literal template beats one that is mostly placeholders.
            pats.sort(key=lambda p: -p.literal_chars)
            self._patterns = pats
        return self._patterns

    def match_text(self, query: str) -> list[AlertMatch]:
        """The query is a rendered (or raw) summary or description of known alerts."""
        text = normalize_text(query)
        if not MIN_LITERAL_CHARS <= len(text) <= MAX_ALERT_TEXT_CHARS:
            return []
        out: list[AlertMatch] = []
        best: int | None = None
        for p in self.patterns:
            if best is not None and p.literal_chars < best:
                break  # only the most specific matching templates count
            if p.longest_literal not in text or not p.regex.fullmatch(text):
                continue
            best = p.literal_chars
            for m in self.runbooks_for(p.alert.name, p.kind):
                if all((m.path, m.anchor) != (o.path, o.anchor) for o in out):
                    out.append(m)
        return out

    def match_query(self, query: str) -> list[AlertMatch]:
        """Name first (cheap and exact), then alert text."""
        return self.match_name(query) or self.match_text(query)

    def match_payload(self, payload: Any) -> tuple[list[AlertMatch], list[str]]:
        """Runbooks for an Alertmanager webhook payload (or a list of alerts, or one alert).

        Returns the matches and, for alerts that did not resolve, free text (name, summary,
        description) to retrieve with.
        """
        matches: list[AlertMatch] = []
        leftovers: list[str] = []
        for alert in iter_payload_alerts(payload):
            labels, ann = mapping(alert.get("labels")), mapping(alert.get("annotations"))
            name = str(labels.get("alertname") or "").strip()
            found: list[AlertMatch] = []
            # a runbook_url label (coder/observability's rules) reaches the payload among the labels
            url = ann.get("runbook_url") if isinstance(ann.get("runbook_url"), str) else labels.get("runbook_url")
            hit = self.resolve_url(url if isinstance(url, str) else None)
            if hit:
                found.append(AlertMatch(name or "?", hit[0], hit[1], "payload-runbook_url", "payload", None,
                                        url=_plain_url(url)))
            if not found and name:
                found = self.runbooks_for(self._canonical(name) or name, "payload")
            if not found:
                for key in ("summary", "description", "message"):
                    if isinstance(ann.get(key), str):
                        found = self.match_text(ann[key])
                        if found:
                            break
            for m in found:
                if all((m.path, m.anchor) != (o.path, o.anchor) for o in matches):
                    matches.append(m)
            if not found:
                text = " ".join(str(x) for x in (name, ann.get("summary"), ann.get("description") or ann.get("message")) if x)
                if text.strip():
                    leftovers.append(text)
        return matches, leftovers


def unlinked_notice(alert: Alert, searched: bool = True) -> str:
    """What the answer says of an alert that links no runbook: the sections shown were found by its
    text, and the documentation link its rule carries instead (``documentation:``, the Ceph mixin's
    annotation; ``doc_url`` ...), when it is a web address. *searched*: sections were found."""
    note = f"alert `{alert.name}` ({alert.loc.path}:{alert.loc.line}) links no runbook"
    url = _plain_url(alert.runbook_url)
    if url:  # it has a runbook_url, to a page the repository lacks (rbh check reports it: RBH201/203)
        note += f" (its runbook_url {url} is no runbook here)"
    if searched:
        note += ": the sections below were found by its rule's summary and description"
    doc = next((str(v).strip() for k, v in sorted(alert.annotations.items())
                if str(k).lower().startswith("doc") and _WEB_URL.match(str(v).strip())), None)
    return f"{note}; its rule links documentation: {doc}" if doc else note


def _plain_url(url: Any) -> str | None:
    """A runbook_url worth citing: one http(s) URL (a Go template choosing between URLs is not)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if re.fullmatch(r"https?://[^\s{}<>\"']+", url) else None


def mapping(value: Any) -> dict[str, Any]:
    """*value* when it is a JSON object, else an empty one (payload fields are untrusted input)."""
    return value if isinstance(value, dict) else {}


def iter_payload_alerts(payload: Any) -> Iterable[dict[str, Any]]:
    """Alerts of a webhook payload (``{"alerts": [...]}``), a list of alerts, or a single alert."""
    if isinstance(payload, list):
        for item in payload:
            yield from iter_payload_alerts(item)
    elif isinstance(payload, dict):
        if isinstance(payload.get("alerts"), list):
            common = mapping(payload.get("commonAnnotations"))
            for a in payload["alerts"]:
                if isinstance(a, dict):
                    if common and not a.get("annotations"):
                        a = {**a, "annotations": common}
                    yield a
        elif "labels" in payload or "annotations" in payload:
            yield payload


MAX_PAYLOAD_BYTES = 10_000_000  # Alertmanager's own webhook payloads are a few KB per alert


def read_payload_file(stream: Any) -> str:
    """The text of ``--alert-json`` (a binary stream): a one-line ConfigError when it is too large or
    not UTF-8, never a crash."""
    from rbh.errors import ConfigError

    data = stream.read(MAX_PAYLOAD_BYTES + 1)
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ConfigError(f"--alert-json: over {MAX_PAYLOAD_BYTES:,} bytes; pass one webhook payload")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"--alert-json: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _repair_strings(payload: Any) -> Any:
    """*payload* with lone surrogates ("\\ud800" escapes, which JSON allows) replaced by U+FFFD in
    every string, keys included: no tokenizer or output encoder accepts them. Iterative, so no depth
    that ``json.loads`` accepted can overflow the stack here."""
    from rbh.yaml_load import repair_surrogates

    fix = lambda v: repair_surrogates(v) if isinstance(v, str) else v  # noqa: E731
    root = [payload]
    todo: list[Any] = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            for i, v in enumerate(node):
                node[i] = fix(v)
                if isinstance(v, (list, dict)):
                    todo.append(v)
        else:
            for k in list(node):
                v = node.pop(k)
                node[fix(k)] = fix(v)
                if isinstance(v, (list, dict)):
                    todo.append(v)
    return root[0]


def read_payload(text: str) -> Any:
    """Parse an Alertmanager payload; a one-line ConfigError when it is not JSON or holds no alert."""
    from rbh.errors import ConfigError
    from rbh.yaml_load import may_hold_surrogates

    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--alert-json: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise ConfigError("--alert-json: nested too deeply to be an Alertmanager payload") from None
    if may_hold_surrogates(text):
        payload = _repair_strings(payload)
    if not any(True for _ in iter_payload_alerts(payload)):
        raise ConfigError("--alert-json: no alerts found (expected an Alertmanager webhook payload with 'alerts')")
    return payload


def _anchor_naming(rb: Runbook, name: str) -> str | None:
    """The anchor of a heading that names the alert, when a runbook covers several alerts in sections."""
    low = name.lower()
    for h in rb.headings:
        if h.level > 1 and low in h.text.lower():
            return h.anchor
    return None


# --------------------------------------------------------------------------------------------
# From a project


def load_alerts(files: dict[str, bytes]) -> list[Alert]:
    """Alerting rules of manifest files, through the checks' Prometheus source (one parser for both)."""
    from rbh.checks.api import load_alerts as load

    return load(files)


def read_manifest_folder(folder: Path, limit: int = MAX_RULE_FILE_BYTES) -> dict[str, bytes]:
    """YAML files below *folder* (``--manifests DIR``, which may lie outside the repository)."""
    files: dict[str, bytes] = {}
    for p in sorted(folder.rglob("*")):
        if p.suffix in (".yaml", ".yml") and p.is_file() and not p.is_symlink():
            try:
                if p.stat().st_size <= limit:
                    files[p.relative_to(folder).as_posix()] = p.read_bytes()
                else:
                    log.warning("%s: over %d bytes, not read for alerts", p, limit)
            except OSError as exc:
                log.warning("%s: cannot read: %s", p, exc.strerror)
    return files


def catalog_for_project(project: Project, runbooks: list[Runbook] | None = None, *, manifests_dir: Path | None = None,
                        inventory: Inventory | None = None) -> AlertCatalog:
    """The catalog of *project*: alerts of its manifests (or of *manifests_dir*, or of an already
    loaded *inventory*) and its runbooks' front matter."""

    if inventory is not None:
        alerts = list(inventory.alerts)
    elif manifests_dir is not None:
        alerts = load_alerts(read_manifest_folder(manifests_dir))
    else:
        files = {}
        for p in project.manifest_paths():
            if p.endswith((".yaml", ".yml")):
                try:
                    files[p] = project.read_bytes(p)
                except OSError as exc:
                    log.warning("%s: cannot read: %s", p, exc.strerror)
        alerts = load_alerts(files)
    if runbooks is None:
        runbooks = project.load_runbooks(with_git=False)
    return AlertCatalog.build(alerts, runbooks, url_resolver(project, [rb.path for rb in runbooks]))


def url_resolver(project: Project, runbook_paths: list[str]) -> RunbookUrlResolver:
    """The ``RunbookUrlResolver`` exactly as ``rbh check`` builds it (``rbh.runbook_urls.resolver_for``,
    a Hugo site's lower-cased URLs included), so both resolve an alert to the same runbook."""
    from rbh.runbook_urls import resolver_for

    return resolver_for(project.config, runbook_paths, default_folder=project.runbook_folder,
                        root=project.root, files=set(project.worktree_files))[0]
