"""Reference extraction: what a runbook points at, with file, line, column and strength.

Kubernetes objects in kubectl commands, compose services, in-cluster DNS names and ports, metric
and alert names in PromQL, dashboards, links, anchors and repository paths, from the front matter,
fenced blocks, inline code and prose. Commands are lexed by ``checks.references.shell`` and parsed
by ``checks.references.grammar``. Placeholders (``<pod>``, ``$POD``, ``${NS}``, ``{{name}}``) are
never names. Nothing read here is ever executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from rbh.checks import promql
from rbh.checks.references.grammar import KINDS, PROGRAMS, KubectlCall, parse_compose, parse_kubectl
from rbh.checks.references.shell import LogicalLine, Token, has_prompt, logical_lines, prompt_end, simple_commands, strip_prefix
from rbh.runbook import Runbook

SHELL_LANGS = {"", "sh", "bash", "shell", "zsh", "console", "shell-session", "shellsession", "ksh", "text", "terminal"}
PROMQL_LANGS = {"promql", "prometheus", "pql", "metricsql", "logql"}
# Fences where people paste queries without a language: read as PromQL when the content is PromQL
# (``promql.looks_like_query``; shell commands and YAML never are).
PROMQL_BY_CONTENT_LANGS = {"", "text", "txt", "plaintext", "plain", "none", "sh", "shell", "bash", "console"}

_PLACEHOLDER = re.compile(r"[<>$*{}\[\]`|%]|\.\.\.|^-+$|^(?:x{2,}|name|pod|podname|pod-name|your-\w+|my-\w+|example(?:-\w+)?)$", re.I)
_CAPS_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*$")  # POD, POD_NAME, NS
# a generated suffix written as X's: `argocd-manager-token-XXXXXX`, `web-7d4b9-xxxxx` (a whole part)
_X_RUN_PART = re.compile(r"(?:^|[-.])x{3,}(?:[-.]|$)", re.I)
_DNS = re.compile(r"(?<![\w.-])([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\.svc(?:\.cluster\.local)?(?![\w-])(?::(\d{1,5}))?")
_GRAFANA_D = re.compile(r"/d/([A-Za-z0-9_-]{1,64})(?:[/?#]|$)")
_METRIC_SHAPE = re.compile(r"^[a-z_][a-z0-9_]*(?::[a-z0-9_]+)*$")
_METRIC_SUFFIX = re.compile(r"_(total|seconds|bytes|count|sum|bucket|ratio|info|errors|milliseconds|percent|celsius|created)$")
_ENV_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PATH_SHAPE = re.compile(r"^(?:\./)?[\w.@-]+(?:/[\w.@-]+)+/?$")
_CALL_OR_SELECTOR = re.compile(r"[a-z_]+(\{|\[|\()")
_PROMQL_START = re.compile(r"^[a-z_:(]")
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_DATA_KEY = re.compile(r"\.data\.((?:[\w-]|\\\.)+)")
_COMMON_ENV = {"PATH", "HOME", "USER", "SHELL", "KUBECONFIG", "PWD", "LANG", "TERM", "HOSTNAME", "NAMESPACE", "POD_NAME", "POD_NAMESPACE", "NODE_NAME"}


@dataclass(slots=True)
class Reference:
    """One thing a runbook names, and where."""

    kind: str  # k8s | compose | dns | metric | alert | dashboard | link | path | env | service | owner
    name: str
    path: str
    line: int
    column: int
    strength: str = "command"  # command | prose | front-matter
    resource: str | None = None  # canonical Kubernetes kind (k8s refs)
    namespace: str | None = None  # explicit namespace (-n / DNS name)
    all_namespaces: bool = False
    container: str | None = None
    container_column: int | None = None
    selector: dict[str, str] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)  # remote ports (port-forward, DNS URL)
    context: str | None = None
    verb: str | None = None  # kubectl / compose subcommand
    anchor: str | None = None  # link anchor
    text: str = ""  # the command or snippet it came from (for messages)
    extra: dict[str, str] = field(default_factory=dict)


_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*")  # most real names: no placeholder syntax possible
_PLACEHOLDER_WORDS = {"name", "pod", "podname", "pod-name"}


def is_placeholder(token: str) -> bool:
    if _X_RUN_PART.search(token):
        return True
    if _PLAIN_NAME.fullmatch(token) and "..." not in token and not token.startswith(("your-", "my-", "example", "xx")):
        return token in _PLACEHOLDER_WORDS
    return not token or bool(_PLACEHOLDER.search(token) or _CAPS_PLACEHOLDER.match(token))


def _kubectl_refs(rb: Runbook, call: KubectlCall, program: Token, strength: str, text: str) -> Iterator[Reference]:
    base: dict[str, Any] = dict(path=rb.path, strength=strength, namespace=call.namespace, all_namespaces=call.all_namespaces,
                container=call.container.text if call.container and not is_placeholder(call.container.text) else None,
                container_column=call.container.column if call.container else None,
                selector=call.selector, context=call.context, verb=call.verb, text=text)
    if call.namespace and is_placeholder(call.namespace):
        base["namespace"] = None
        base["extra"] = {"namespace_placeholder": "1"}
    if call.misread:
        base["extra"] = {**base.get("extra", {}), "misread": call.misread}
    emitted = False
    for kind, name, tok in call.objects:
        if name and is_placeholder(name):
            name = ""
        where = tok or program
        yield Reference("k8s", name, line=where.line, column=where.column, resource=kind, ports=list(call.ports), **base)
        emitted = True
    for made_kind, name, tok in call.created:  # made_kind None: a plugin's, any kind
        if name and not is_placeholder(name):
            # not checked against the manifests: what the runbook itself makes exists from here on
            yield Reference("k8s-created", name, line=tok.line, column=tok.column, resource=made_kind, **base)
    if not emitted and (call.namespace or call.selector or call.container):
        yield Reference("k8s", "", line=program.line, column=program.column, resource=None, **base)
    for kind, name, _tok in call.objects:
        if kind not in ("ConfigMap", "Secret") or not name or is_placeholder(name):
            continue
        keys = [m.group(1).replace("\\.", ".") for m in _DATA_KEY.finditer(call.output or "")]
        keys += _patched_keys(call.patch)
        for key in keys:
            yield Reference("config-key", key, rb.path, program.line, program.column, strength, namespace=call.namespace,
                            text=text, extra={"targets": f"{kind}/{name}"})
    for f in call.files:
        if f.text != "-" and "://" not in f.text and not is_placeholder(f.text) and not f.text.startswith(("/", "~")):
            yield Reference("path", f.text.removeprefix("./").rstrip("/"), rb.path, f.line, f.column, strength, text=text,
                            extra={"kubectl_file": "1"})
        if call.verb in _APPLY_VERBS and f.text != "-" and (f.text.startswith(("http://", "https://")) or not is_placeholder(f.text)):
            # what `kubectl apply -f FILE` makes exists from here on (the rules resolve FILE in the
            # repository; a URL elsewhere fills the namespace with objects no manifest here defines)
            yield Reference("k8s-applied", f.text, rb.path, f.line, f.column, strength, namespace=base["namespace"],
                            verb=call.verb, text=text)
    for env in call.env:
        name = env.text.split("=", 1)[0].rstrip("-")
        yield Reference("env", name, rb.path, env.line, env.column, strength, namespace=call.namespace, text=text,
                        extra={"targets": ",".join(f"{k}/{n}" for k, n, _ in call.objects if n)})


_APPLY_VERBS = ("apply", "create", "replace")
MADE_KINDS = ("k8s-created", "k8s-applied", "k8s-filled", "k8s-released")  # what a runbook makes, as opposed to what it names
# helm flags that take a value (the rest are booleans): to find the release and chart positionals
_HELM_VALUE_FLAGS = {"-f", "--values", "--set", "--set-string", "--set-file", "--set-json", "--set-literal", "--version",
                     "--repo", "-n", "--namespace", "--kube-context", "--kubeconfig", "--timeout", "--description",
                     "--post-renderer", "--post-renderer-args", "--username", "--password", "--ca-file", "--cert-file",
                     "--key-file", "--keyring", "--history-max", "--labels", "-l", "--name-template", "--output", "-o"}


def _helm_refs(rb: Runbook, tokens: list[Token], strength: str, text: str) -> Iterator[Reference]:
    """``helm install|upgrade [--install] RELEASE CHART -n NS``: a ``k8s-filled`` reference for NS (the
    chart's objects are in NS from here on, whatever they are called), with the chart in ``extra``;
    without ``-n``, a ``k8s-released`` reference for RELEASE (the chart's objects named after it)."""
    if len(tokens) < 2 or tokens[1].text not in ("install", "upgrade"):
        return
    namespace: Token | None = None
    positionals: list[str] = []
    positional_tokens: list[Token] = []
    i = 2
    while i < len(tokens):
        t = tokens[i].text
        flag, eq, value = t.partition("=")
        if t.startswith("-") and len(t) > 1:
            if flag in ("-n", "--namespace"):
                if eq:
                    namespace = Token(value, tokens[i].line, tokens[i].column + len(flag) + 1)
                elif i + 1 < len(tokens):
                    namespace = tokens[i + 1]
            elif t.startswith("-n") and not t.startswith("--") and len(t) > 2:
                namespace = Token(t[2:], tokens[i].line, tokens[i].column + 2)
            if flag in _HELM_VALUE_FLAGS and not eq:
                i += 1
        else:
            positionals.append(t)
            positional_tokens.append(tokens[i])
        i += 1
    if not positionals:
        return
    chart = positionals[1] if len(positionals) > 1 else positionals[0]  # `helm install CHART --generate-name`
    if namespace is None:
        # no namespace: the current one, which later commands without -n share; what the chart makes
        # there is named after the release (REL, REL-*), which is all that can be said of it
        release = positional_tokens[0] if len(positionals) > 1 else None
        if release is not None and not is_placeholder(release.text):
            yield Reference("k8s-released", release.text, rb.path, release.line, release.column, strength,
                            verb=f"helm {tokens[1].text}", text=text, extra={"chart": chart})
        return
    if is_placeholder(namespace.text):
        return
    yield Reference("k8s-filled", namespace.text, rb.path, namespace.line, namespace.column, strength,
                    namespace=namespace.text, verb=f"helm {tokens[1].text}", text=text, extra={"chart": chart})


def _patched_keys(patch: str | None) -> list[str]:
    """Keys a ``kubectl patch cm X -p '{"data": {...}}'`` sets (a JSON or YAML merge patch)."""
    if not patch or "data" not in patch:
        return []
    import json

    try:
        doc = json.loads(patch)
    except (ValueError, RecursionError):
        return []
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        data = doc.get("stringData") if isinstance(doc, dict) else None
    return [str(k) for k in data if not _PLACEHOLDER.search(str(k))] if isinstance(data, dict) else []


def _command_refs(rb: Runbook, logical: LogicalLine, strength: str) -> Iterator[Reference]:
    if not PROGRAMS.search(logical.text):
        return
    for tokens in simple_commands(logical):
        tokens = strip_prefix(tokens)
        if not tokens:
            continue
        prog = tokens[0].text.rsplit("/", 1)[-1]
        text = " ".join(t.text for t in tokens)[:300]
        if prog in ("kubectl", "oc"):
            call = parse_kubectl(tokens)
            if call is not None:
                yield from _kubectl_refs(rb, call, tokens[0], strength, text)
        elif prog == "helm":
            yield from _helm_refs(rb, tokens, strength, text)
        elif prog == "docker-compose" or (prog == "docker" and len(tokens) > 1 and tokens[1].text == "compose"):
            sub, services = parse_compose(tokens)
            for s in services:
                if not is_placeholder(s.text):
                    yield Reference("compose", s.text, rb.path, s.line, s.column, strength, verb=sub, text=text)


def _dns_refs(rb: Runbook, text: str, line: int, col0: int, strength: str) -> Iterator[Reference]:
    for m in _DNS.finditer(text):
        svc, ns, port = m.group(1), m.group(2), m.group(3)
        yield Reference("dns", svc, rb.path, line, col0 + m.start() + 1, strength, resource="Service", namespace=ns,
                        ports=[int(port)] if port else [], text=m.group(0))


def _promql_refs(rb: Runbook, text: str, first_line: int, col0: int, strength: str) -> Iterator[Reference]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)

    def pos(offset: int) -> tuple[int, int]:
        lo = 0
        hi = len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return first_line + lo, (col0 if lo == 0 else 0) + offset - starts[lo] + 1

    metrics, alerts = promql.extract(text)
    for name, off in metrics:
        line, col = pos(off)
        yield Reference("metric", name, rb.path, line, col, strength, text=name)
    for name, off in alerts:
        line, col = pos(off)
        yield Reference("alert", name, rb.path, line, col, strength, text=name)


def _front_matter_lines(rb: Runbook) -> list[str]:
    return rb.text.split("\n", rb.body_line)[: rb.body_line] if rb.body_line > 1 else []


def front_matter_line(rb: Runbook, key: str) -> int:
    """Line of *key* in the front matter (1 when absent)."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for i, line in enumerate(_front_matter_lines(rb)[1:], start=2):
        if pattern.match(line):
            return i
    return 1


def _front_matter_item_line(rb: Runbook, key: str, value: str) -> int:
    """Line of *value* under *key* (list item on its own line), else the key's line."""
    start = front_matter_line(rb, key)
    for i, line in enumerate(_front_matter_lines(rb)[start - 1 :], start=start):
        if value in line and (i == start or line.lstrip().startswith("-")):
            return i
    return start


def _looks_like_promql(text: str) -> bool:
    """Inline code such as ``rate(http_requests_total[5m])`` or ``up{job="api"}``: a lower-case
    identifier directly followed by ``(``, ``{`` or ``[``, and no URL or path."""
    return (("{" in text or "(" in text) and bool(_PROMQL_START.match(text)) and bool(_CALL_OR_SELECTOR.search(text))
            and not text.startswith(("http", "/")) and " " not in text.split("{")[0])


def _in_external_link_text(rb: Runbook) -> Callable[[int, int], str | None]:
    """The absolute URL of the link whose text holds a (line, column), or None: "See
    [`src/close.rs`](https://github.com/other/repo/blob/HEAD/src/close.rs)" names a file of the
    repository linked to, which may not be this one (RBH303 decides)."""
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for link in rb.links:
        if link.kind in ("inline", "reference") and link.target.startswith(("http://", "https://", "//")):
            spans.setdefault(link.line, []).append((link.column, link.column + len(link.text) + 1, link.target))
    return lambda line, column: next((url for a, b, url in spans.get(line, ()) if a < column <= b), None)


def _inline_refs(rb: Runbook) -> Iterator[Reference]:
    """References in inline code: commands, in-cluster names, ``kind/name``, PromQL, metric-, env- and
    path-shaped names (each only when its shape is unambiguous)."""
    in_external_link: Callable[[int, int], str | None] | None = None
    for ic in rb.inline_code:
        text = ic.text
        if not text or len(text) > 2000:
            continue
        head = text.split(None, 1)[0] if text.split() else ""
        if head in ("kubectl", "oc", "docker", "docker-compose", "sudo", "watch"):
            yield from _command_refs(rb, LogicalLine(text, [(0, ic.line, ic.column)]), "prose")
            continue
        if "svc" in text:
            got = list(_dns_refs(rb, text, ic.line, ic.column - 1, "prose"))
            if got:
                yield from got
                continue
        kind, slash, name = text.partition("/")
        if slash and kind.lower() in KINDS and name and "/" not in name and not is_placeholder(name):
            yield Reference("k8s", name, rb.path, ic.line, ic.column + len(kind) + 1, "prose", resource=KINDS[kind.lower()], text=text)
            continue
        if _looks_like_promql(text) or promql.looks_like_query(text):
            yield from _promql_refs(rb, text, ic.line, ic.column - 1, "prose")
            continue
        if _METRIC_SHAPE.match(text) and "_" in text and (_METRIC_SUFFIX.search(text) or ":" in text):
            yield Reference("metric", text, rb.path, ic.line, ic.column, "prose", text=text)
        elif _ENV_SHAPE.match(text) and text not in _COMMON_ENV:
            yield Reference("env", text, rb.path, ic.line, ic.column, "prose", text=text)
        elif _PATH_SHAPE.match(text) and "://" not in text and kind.lower() not in KINDS:
            if in_external_link is None:
                in_external_link = _in_external_link_text(rb)
            url = in_external_link(ic.line, ic.column)
            yield Reference("path", text.removeprefix("./"), rb.path, ic.line, ic.column, "prose", text=text,
                            extra={"link": url} if url else {})


# Static-site templates (Jekyll/Liquid, Hugo, Jinja) in a link target: `{{ site.baseurl }}/docs/x.html`
# is the site-root path `/docs/x.html`; `{{ '/docs/x.html' | relative_url }}` names that path too; any
# other expression (`{{ site.data.links.dashboard }}`, `{{< ref "x" >}}`, `{% link x.md %}`) is a value
# only the site build knows, so the link cannot be checked from the repository.
_SITE_BASE = re.compile(r"^(?:\{\{-?\s*(?:site\.|page\.|\.Site\.)?(?:url|baseurl|base_url|base_path|basepath|baseURL|root_url)\s*-?\}\})+(?=/)")
_URL_FILTER = re.compile(r"""^\{\{-?\s*(['"])(/?[^'"{}]*)\1\s*\|\s*(?:relative_url|absolute_url|relURL|absURL|url)\s*-?\}\}(#[^{}]*)?$""")


def site_template_target(target: str) -> str | None:
    """*target* with a static-site base expression resolved to a site-root path, None when a template
    expression leaves it unknowable; plain targets come back unchanged."""
    if target.startswith("<") or "<<" in target:
        # `[Grafana](<<tenant_url("grafana")>>)`: Jinja with `<< >>` delimiters (mkdocs-macros'
        # `j2_variable_start_string`), of which the link parser left `<tenant_url("grafana")>`
        return None
    if "{{" not in target and "{%" not in target:
        return target
    m = _URL_FILTER.match(target)
    if m:
        path = m.group(2)
        return ("/" + path.lstrip("/") if path else "/") + (m.group(3) or "")
    rest = _SITE_BASE.sub("", target, count=1)
    if "{{" in rest or "{%" in rest:
        return None
    return rest


# `kubectl apply -f - <<EOF` or `cat <<'EOF' | kubectl create -f -`: the manifest is the heredoc's body
_HEREDOC_APPLY = re.compile(r"\b(?:kubectl|oc)\b[^\n]*\b(?:apply|create)\b[^\n]*<<-?[ \t]*['\"]?(\w+)['\"]?"
                            r"|<<-?[ \t]*['\"]?(\w+)['\"]?[^\n]*\|[ \t]*(?:\S+[ \t]+)*?(?:kubectl|oc)\b[^\n]*\b(?:apply|create)\b")
_MAX_HEREDOC_LINES = 500


def _heredoc_created(rb: Runbook, code: str, first_line: int, indent: int) -> Iterator[Reference]:
    """Objects a shell block creates from a heredoc manifest (kind and ``metadata.name`` of each
    document), as ``k8s-created`` references at the heredoc's line. Never raises on content."""
    import yaml

    from rbh import yaml_load

    lines = code.split("\n")
    i = 0
    while i < len(lines):
        m = _HEREDOC_APPLY.search(lines[i])
        if not m:
            i += 1
            continue
        delimiter = m.group(1) or m.group(2)
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != delimiter and len(body) < _MAX_HEREDOC_LINES:
            body.append(lines[j])
            j += 1
        try:
            docs = list(yaml_load.safe_load_all("\n".join(body)))
        except (ValueError, yaml.YAMLError, RecursionError):  # untrusted text: unreadable means nothing created
            docs = []
        for doc in docs:
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            kind = doc.get("kind") if isinstance(doc, dict) else None
            if isinstance(kind, str) and isinstance(meta, dict) and isinstance(meta.get("name"), str):
                yield Reference("k8s-created", meta["name"], rb.path, first_line + i, indent + 1, "command", resource=kind,
                                namespace=str(meta["namespace"]) if meta.get("namespace") else None, text=lines[i].strip())
        i = j + 1


_CD = re.compile(r"(?:^|[;&|(]|\s)cd\s", re.M)


def _cd_refs(rb: Runbook, block: Any, console: bool) -> Iterator[Reference]:
    """``cd DIR`` commands of a shell block (a ``cd`` reference per command, its folder as written):
    where the reader's shell is, for the rules that read relative paths (RBH303)."""
    for logical in logical_lines(block.text, block.start_line, console, block.indent):
        for tokens in simple_commands(logical):
            tokens = strip_prefix(tokens)
            if tokens and tokens[0].text == "cd":
                target = tokens[1] if len(tokens) > 1 else tokens[0]
                yield Reference("cd", target.text if len(tokens) > 1 else "", rb.path, target.line, target.column, "command",
                                text=" ".join(t.text for t in tokens)[:300])


_CELLS = re.compile(r"\S+(?: \S+)*")  # a table's cells: runs of text split by two or more blanks
_K8S_NAME = re.compile(r"^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$")


def _listed_objects(rb: Runbook, code: str, first_line: int, indent: int) -> Iterator[Reference]:
    """Objects a block shows in the output of a listing it runs (``$ kubectl get networkpolicies``
    then its ``NAME ...`` table): the reader's cluster as the page pictures it, not a name the page
    takes from the repository's manifests. A ``k8s-listed`` reference per row, at the row's line, of
    the listed kind; the rules decide what it is worth (RBH101: see ``rules._k8s.made_here``)."""
    lines = code.split("\n")
    for i, raw in enumerate(lines):
        start = prompt_end(raw)
        if start is None or not re.search(r"\b(?:kubectl|oc)\b", raw):
            continue
        header = lines[i + 1] if i + 1 < len(lines) else ""
        cells = [m.group(0) for m in _CELLS.finditer(header)]
        if "NAME" not in cells:
            continue
        logical = LogicalLine(raw[start:], [(0, first_line + i, indent + start + 1)])
        call = None
        for tokens in simple_commands(logical):
            tokens = strip_prefix(tokens)
            if tokens and tokens[0].text.rsplit("/", 1)[-1] in ("kubectl", "oc"):
                call = parse_kubectl(tokens)
                break
        if call is None or call.verb != "get" or len(call.objects) != 1 or call.objects[0][1] or call.output not in (None, "wide"):
            continue  # one kind listed as a table: `kubectl get networkpolicies [-n NS] [-o wide]`
        kind = call.objects[0][0]
        column = cells.index("NAME")
        starts = [m.start() for m in _CELLS.finditer(header)]
        for j in range(i + 2, len(lines)):
            row = lines[j]
            if not row.strip() or prompt_end(row) is not None:
                break
            found = [m for m in _CELLS.finditer(row)]
            # the NAME cell: the column's place in the row when the table lines up, else its index
            cell = next((m for m in found if m.start() == starts[column]), found[column] if column < len(found) else None)
            name = cell.group(0).rsplit("/", 1)[-1] if cell is not None else ""
            if _K8S_NAME.match(name):
                yield Reference("k8s-listed", name, rb.path, first_line + j, indent + (cell.start() if cell else 0) + 1, "command",
                                resource=kind, namespace=call.namespace, all_namespaces=call.all_namespaces, verb="get",
                                text=row.strip()[:300])


_BRACKETED = re.compile(r"\[([^\[\]\n]{1,999})\]")
_REF_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:")


def _bracketed(rb: Runbook) -> set[str]:
    """Every bracketed text of the page outside link reference definitions, lower case with
    whitespace collapsed: the labels ``[text][label]``, ``[label][]`` and ``[label]`` may use."""
    found: set[str] = set()
    for line in rb.text.split("\n"):
        if "[" not in line or _REF_DEFINITION.match(line):
            continue
        found.update(" ".join(m.group(1).lower().split()) for m in _BRACKETED.finditer(line[:20_000]))
    return found


def extract_references(rb: Runbook) -> list[Reference]:
    """Every reference in *rb*, in file order. Never raises on content."""
    refs: list[Reference] = []
    fm = rb.front_matter
    for alert in fm.alerts:
        refs.append(Reference("alert", str(alert), rb.path, _front_matter_item_line(rb, "alerts", str(alert)), 1, "front-matter", text=str(alert)))
    for svc in fm.service:
        refs.append(Reference("service", str(svc), rb.path, _front_matter_item_line(rb, "service", str(svc)), 1, "front-matter", text=str(svc)))
    for key in ("owner", "team"):
        value = getattr(fm, key)
        if value:
            refs.append(Reference("owner", str(value), rb.path, front_matter_line(rb, key), 1, "front-matter", text=str(value)))
    for dash in fm.dashboards:
        m = _GRAFANA_D.search(str(dash))
        uid = m.group(1) if m else (str(dash) if "/" not in str(dash) else None)
        if uid:
            refs.append(Reference("dashboard", uid, rb.path, _front_matter_item_line(rb, "dashboards", str(dash)), 1, "front-matter", text=str(dash)))
    for block in rb.code_blocks:
        lang = block.lang
        if lang in SHELL_LANGS:
            console = lang in ("console", "shell-session", "shellsession", "terminal")
            for logical in logical_lines(block.text, block.start_line, console, block.indent) if PROGRAMS.search(block.text) else ():
                try:
                    refs.extend(_command_refs(rb, logical, "command"))
                except RecursionError:
                    continue
            if console and PROGRAMS.search(block.text) and not has_prompt(block.text):
                # ```console without a single prompt: commands or their output, no telling; what it
                # would make (`kubectl create -f ingress.yaml`) is honoured, nothing in it is checked
                for logical in logical_lines(block.text, block.start_line, False, block.indent):
                    try:
                        refs.extend(r for r in _command_refs(rb, logical, "command") if r.kind in MADE_KINDS)
                    except RecursionError:
                        continue
            refs.extend(_heredoc_created(rb, block.text, block.start_line, block.indent))
            if "NAME" in block.text:
                refs.extend(_listed_objects(rb, block.text, block.start_line, block.indent))
            if _CD.search(block.text):
                refs.extend(_cd_refs(rb, block, console))
            for i, line in enumerate(block.text.split("\n")):
                if ".svc" in line:
                    refs.extend(_dns_refs(rb, line, block.start_line + i, block.indent, "command"))
        if lang in PROMQL_BY_CONTENT_LANGS:
            for offset, para in promql.query_paragraphs(block.text):
                refs.extend(_promql_refs(rb, para, block.start_line + offset, block.indent, "command"))
        elif lang in PROMQL_LANGS:
            refs.extend(_promql_refs(rb, block.text, block.start_line, block.indent, "command"))
    refs.extend(_inline_refs(rb))
    used: set[str] | None = None
    for link in rb.links:
        target = link.target
        if link.kind == "reference":
            if used is None:
                used = _bracketed(rb)
            if " ".join(link.text.lower().split()) not in used:
                continue  # a definition no `[text][label]` or `[label]` uses renders nothing: no link to follow
        m = _GRAFANA_D.search(target) if target.startswith("http") else None
        if m:
            refs.append(Reference("dashboard", m.group(1), rb.path, link.line, link.column, "prose", text=target))
            continue
        if link.kind in ("inline", "reference", "image") and not _URL_SCHEME.match(target) and not target.startswith("//"):
            resolved = site_template_target(target)
            if resolved is None:
                continue
            path_part, _, anchor = resolved.partition("#")
            anchor = anchor.partition(":~:")[0]  # `#claims:~:text=groups`: a text fragment after the anchor
            refs.append(Reference("link", path_part, rb.path, link.line, link.column, "prose", anchor=anchor or None, text=target))
    if ".svc" in rb.text:  # in-cluster names in prose (code blocks and inline code were read above)
        seen = {r.line for r in refs if r.kind == "dns"}
        in_code = {i for b in rb.code_blocks for i in range(b.line, b.end_line + 1)}
        for i, line in enumerate(rb.text.split("\n"), start=1):
            if ".svc" in line and i not in in_code and i not in seen:
                refs.extend(_dns_refs(rb, line, i, 0, "prose"))
    refs.sort(key=lambda r: (r.line, r.column))
    return refs
