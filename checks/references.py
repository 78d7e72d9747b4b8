"""What a runbook points at: Kubernetes objects in kubectl commands, compose services, in-cluster DNS
names and ports, metric and alert names in PromQL, dashboards, links, anchors and repository paths.

Shell is split into words by POSIX rules (``split_shell``: what ``shlex`` does in posix mode, with
offsets, at regex speed; tests hold the two equal) and ``kubectl``/``oc`` arguments go through a real
argument parser (``parse_kubectl``). Placeholders (``<pod>``, ``$POD``, ``${NS}``, ``{{name}}``) are never names.
Each ``Reference`` keeps its file, line and column, and its strength: ``command`` when it comes from
a fenced command block (the responder will paste it), ``prose`` from inline code and text,
``front-matter`` from the YAML header. Nothing read here is ever executed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Iterator

from rbh.checks import promql
from rbh.runbook import Runbook

SHELL_LANGS = {"", "sh", "bash", "shell", "zsh", "console", "shell-session", "shellsession", "ksh", "text", "terminal"}
PROMQL_LANGS = {"promql", "prometheus", "pql", "metricsql", "logql"}
# Fences where people paste queries without a language: read as PromQL when the content is PromQL
# (``promql.looks_like_query``; shell commands and YAML never are).
PROMQL_BY_CONTENT_LANGS = {"", "text", "txt", "plaintext", "plain", "none", "sh", "shell", "bash", "console"}
MAX_COMMAND_CHARS = 20_000

# kubectl resource names and aliases -> canonical kind
_KIND_ALIASES = {
    "Deployment": ("deploy", "deployment", "deployments", "deployment.apps", "deployments.apps"),
    "StatefulSet": ("sts", "statefulset", "statefulsets", "statefulset.apps", "statefulsets.apps"),
    "DaemonSet": ("ds", "daemonset", "daemonsets", "daemonset.apps", "daemonsets.apps"),
    "ReplicaSet": ("rs", "replicaset", "replicasets"),
    "Job": ("job", "jobs", "job.batch", "jobs.batch"),
    "CronJob": ("cj", "cronjob", "cronjobs", "cronjob.batch", "cronjobs.batch"),
    "Pod": ("po", "pod", "pods"),
    "Service": ("svc", "service", "services"),
    "ConfigMap": ("cm", "configmap", "configmaps"),
    "Secret": ("secret", "secrets"),
    "Ingress": ("ing", "ingress", "ingresses", "ingress.networking.k8s.io"),
    "HorizontalPodAutoscaler": ("hpa", "horizontalpodautoscaler", "horizontalpodautoscalers"),
    "PersistentVolumeClaim": ("pvc", "persistentvolumeclaim", "persistentvolumeclaims"),
    "Namespace": ("ns", "namespace", "namespaces"),
    "Node": ("no", "node", "nodes"),
    "PodDisruptionBudget": ("pdb", "poddisruptionbudget", "poddisruptionbudgets"),
    "ServiceAccount": ("sa", "serviceaccount", "serviceaccounts"),
    "NetworkPolicy": ("netpol", "networkpolicy", "networkpolicies"),
    "PrometheusRule": ("prometheusrule", "prometheusrules"),
    "Endpoints": ("ep", "endpoints"),
    "Event": ("ev", "event", "events"),
}
KINDS = {alias: kind for kind, aliases in _KIND_ALIASES.items() for alias in aliases}

_VALUE_FLAGS = {
    "-n", "--namespace", "-l", "--selector", "-c", "--container", "--context", "-o", "--output", "--field-selector",
    "--tail", "--since", "--since-time", "--replicas", "--type", "--sort-by", "-L", "--label-columns", "--template",
    "--timeout", "--cluster", "--user", "--kubeconfig", "--address", "--to-revision", "--grace-period",
    "--current-replicas", "--revision", "--max-log-requests", "--limit-bytes", "--pod-running-timeout", "--image",
    "--from-literal", "--from-file", "--as", "--as-group", "--token", "--server", "-s", "--request-timeout",
    "--filename", "--patch", "--patch-file", "--subresource", "--for", "--chunk-size", "--field-manager", "--env",
    "-e", "--overrides", "--restart", "--port", "--target-port", "--name", "--protocol", "--cascade", "--min", "--max",
    "--cpu-percent", "--show-kind", "--containers", "--raw", "--local", "--dry-run", "--selector-file", "--all-containers",
}
_BOOL_FLAGS = {"-A", "--all-namespaces", "-i", "-t", "-it", "-ti", "--stdin", "--tty", "-w", "--watch", "--previous",
               "--timestamps", "--prefix", "--force", "--now", "--wait", "--show-labels", "--no-headers", "-R",
               "--recursive", "--ignore-not-found", "--all", "--overwrite", "--quiet", "-q", "--record", "--use-openapi-print-columns"}
# flags whose value is optional (--flag or --flag=value); never take the next token
_OPTIONAL_VALUE = {"--all-containers", "--containers", "--show-kind", "--dry-run", "--local", "--raw"}
_SUBCOMMANDS = {"get", "describe", "logs", "exec", "rollout", "scale", "port-forward", "delete", "edit", "patch", "top",
                "label", "annotate", "set", "autoscale", "expose", "attach", "debug", "wait", "restart", "cordon",
                "uncordon", "drain", "apply", "create", "cp", "auth", "config", "run", "explain", "api-resources", "version",
                "cluster-info", "proxy", "diff", "replace", "events", "adm"}
_NAMED_KINDS_ONLY = {"cordon", "uncordon", "drain"}  # take node names

_PLACEHOLDER = re.compile(r"[<>$*{}\[\]`|%]|\.\.\.|^-+$|^(?:x{2,}|name|pod|podname|pod-name|your-\w+|my-\w+|example(?:-\w+)?)$", re.I)
_CAPS_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*$")  # POD, POD_NAME, NS
_ANGLE = re.compile(r"<[^<>\s]{1,80}>")
_PROMPT = re.compile(r"^\s*(?:[\w.@:~/-]*\s*)?[$%]\s+")
_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_DNS = re.compile(r"(?<![\w.-])([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\.svc(?:\.cluster\.local)?(?![\w-])(?::(\d{1,5}))?")
_GRAFANA_D = re.compile(r"/d/([A-Za-z0-9_-]{1,64})(?:[/?#]|$)")
_METRIC_SHAPE = re.compile(r"^[a-z_][a-z0-9_]*(?::[a-z0-9_]+)*$")
_METRIC_SUFFIX = re.compile(r"_(total|seconds|bytes|count|sum|bucket|ratio|info|errors|milliseconds|percent|celsius|created)$")
_ENV_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PATH_SHAPE = re.compile(r"^(?:\./)?[\w.@-]+(?:/[\w.@-]+)+/?$")
_SELECTOR_TERM = re.compile(r"^\s*([\w./-]+)\s*==?\s*([\w.-]*)\s*$")
_ENV_UNSET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*-$")
_PORT_PAIR = re.compile(r"^(?:\d*:)?(\d{1,5})$")
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
    if _PLAIN_NAME.fullmatch(token) and "..." not in token and not token.startswith(("your-", "my-", "example", "xx")):
        return token in _PLACEHOLDER_WORDS
    return not token or bool(_PLACEHOLDER.search(token) or _CAPS_PLACEHOLDER.match(token))


# ------------------------------------------------------------------------------------------------
# Shell splitting with positions


@dataclass(slots=True)
class _Token:
    text: str
    line: int
    column: int


@dataclass
class _Logical:
    """One logical command line (continuations joined) and the map back to file positions."""

    text: str
    segments: list[tuple[int, int, int]]  # (offset in text, line, column of that character), one per physical line

    def pos(self, offset: int) -> tuple[int, int]:
        if len(self.segments) == 1:  # one physical line: the common case
            _, line, col = self.segments[0]
            return line, col + max(0, offset)
        i = bisect.bisect_right(self.segments, (offset, 1 << 62, 0)) - 1
        start, line, col = self.segments[max(i, 0)]
        return line, col + max(0, offset - start)

    def slice(self, offset: int, length: int) -> "_Logical":
        segments = []
        for start, line, col in self.segments:
            if start <= offset:
                segments = [(0, line, col + offset - start)]
            elif start < offset + length:
                segments.append((start - offset, line, col))
        return _Logical(self.text[offset : offset + length], segments or [(0, 1, 1)])


def _logical_lines(code: str, first_line: int, console: bool, indent: int = 0) -> Iterator[_Logical]:
    lines = code.split("\n")
    buf, segments = "", []
    for i, raw in enumerate(lines):
        lineno = first_line + i
        offset = 0
        if not buf:
            m = _PROMPT.match(raw)
            if m and (console or raw.lstrip().startswith(("$ ", "% "))):
                offset = m.end()
            elif console:
                continue  # console output, not a command
        part = raw[offset:]
        cont = part.rstrip().endswith("\\")
        if cont:
            part = part.rstrip()[:-1]
        segments.append((len(buf), lineno, indent + offset + 1))
        buf += part + " "
        if cont and len(buf) < MAX_COMMAND_CHARS:
            continue
        if buf.strip():
            yield _Logical(buf[:MAX_COMMAND_CHARS], segments)
        buf, segments = "", []
    if buf.strip():
        yield _Logical(buf[:MAX_COMMAND_CHARS], segments)


def _mask_substitutions(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace ``$(...)`` and backticks with same-length placeholders; return the inner commands with offsets."""
    inner: list[tuple[int, str]] = []
    if "$(" in text or "`" in text:
        out = list(text)
        i = 0
        while True:
            a, b = text.find("$(", i), text.find("`", i)
            if a < 0 and b < 0:
                break
            if a >= 0 and (b < 0 or a < b):
                if text.startswith("$((", a):  # arithmetic, not a command
                    i = a + 3
                    continue
                depth, j = 1, a + 2
                while j < len(text) and depth:
                    depth += text[j] == "("
                    depth -= text[j] == ")"
                    j += 1
                if depth:  # never closed: literal text (each unclosed "$(" rescanned the rest, quadratic)
                    break
                inner.append((a + 2, text[a + 2 : j - 1]))
                out[a:j] = ["$"] + ["_"] * (j - a - 1)
                i = j
            else:
                j = text.find("`", b + 1)
                if j < 0:
                    break
                inner.append((b + 1, text[b + 1 : j]))
                out[b : j + 1] = ["$"] + ["_"] * (j - b)
                i = j + 1
        text = "".join(out)
    if "<" in text:
        text = _ANGLE.sub(lambda m: "$" + "_" * (len(m.group(0)) - 1), text)
    return text, inner


# POSIX shell words, as shlex splits them in posix mode (whitespace_split, punctuation_chars="|&;()",
# commenters="#"), but with offsets and at regex speed; tests compare the two on random input.
_WORD_CHAR = r"""(?:[^\s'"\\|&;()#]|\\.|\\$|'[^']*'|"(?:[^"\\]|\\.)*")"""
_SHELL_TOKEN = re.compile(rf"""(?P<op>[|&;()]+)|(?P<comment>\#.*)|(?P<word>{_WORD_CHAR}(?:{_WORD_CHAR}|\#)*)|(?P<rest>\S+)""", re.S)
_UNQUOTE = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|\\$""", re.S)
_DQ_ESCAPE = re.compile(r"""\\([\\"$`\n])""")


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return _DQ_ESCAPE.sub(lambda e: "" if e.group(1) == "\n" else e.group(1), m.group(2))
        return m.group(3) or ""

    return _UNQUOTE.sub(one, word)


def split_shell(text: str) -> list[tuple[str, int]]:
    """(token, offset) pairs of one shell line: words unquoted, operators (``|``, ``&&``, ``;`` ...) kept."""
    out: list[tuple[str, int]] = []
    for m in _SHELL_TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "comment":
            break
        if kind == "op":
            out.append((m.group(0), m.start()))
        elif kind == "word":
            out.append((_unquote(m.group(0)), m.start()))
        else:  # an unbalanced quote: shlex gives up on the line; keep the raw text so nothing is lost
            out.append((m.group(0), m.start()))
    return out


# a redirection and its target are not arguments: `kubectl get pods > pods.txt` names no pod
# `pods.txt`, `docker compose logs > debug-logs.txt` no service `debug-logs.txt`
_REDIRECT = re.compile(r"(?:\d+|&)?(?:>>?|>\||<<?-?|<>|>&|<&)(.*)", re.S)

MAX_SUBSTITUTION_DEPTH = 8  # $( $( ... ) ) nested deeper is not read for commands: each level rescans its text


def _commands(logical: _Logical, level: int = 0) -> Iterator[list[_Token]]:
    """Simple commands (split at pipes, ;, &&, ||) of one logical line, as positioned tokens."""
    masked, inner = _mask_substitutions(logical.text)
    for offset, sub in inner if level < MAX_SUBSTITUTION_DEPTH else ():
        yield from _commands(logical.slice(offset, len(sub)), level + 1)
    current: list[_Token] = []
    pending = 0  # tokens still to drop after a redirection operator: its target (`> out.txt`, `2>&1`)
    for tok, start in split_shell(masked):
        if pending:
            pending -= 1
            if tok == "&":  # `2>&1` splits as `2>`, `&`, `1`
                pending = 1
            continue
        m = _REDIRECT.fullmatch(tok) if masked[start:start + 1] not in ("'", '"') else None
        if m and not (tok.startswith("<") and tok.endswith(">")):  # `<pod-name>` is a placeholder
            pending = 0 if m.group(1) else 1
            continue
        if tok and tok[0] in "|&;()" and set(tok) <= set("|&;()"):
            if current:
                yield current
            current = []
            continue
        line, col = logical.pos(start)
        current.append(_Token(tok, line, col))
    if current:
        yield current


def _strip_prefix(tokens: list[_Token]) -> list[_Token]:
    """Drop env assignments and wrappers (sudo, time, watch -n 5, env) before the real command."""
    i = 0
    while i < len(tokens):
        t = tokens[i].text
        if _ENV_ASSIGN.match(t) or t in ("sudo", "time", "env", "exec", "nohup", "command", "builtin"):
            i += 1
        elif t == "watch":
            i += 1
            while i < len(tokens) and tokens[i].text.startswith("-"):
                i += 2 if tokens[i].text in ("-n", "--interval") else 1
        else:
            break
    return tokens[i:]


# ------------------------------------------------------------------------------------------------
# kubectl


@dataclass
class KubectlCall:
    verb: str | None
    objects: list[tuple[str, str, _Token | None]]  # (kind, name, token) ; name "" = the kind as a whole
    namespace: str | None = None
    all_namespaces: bool = False
    container: _Token | None = None
    selector: dict[str, str] = field(default_factory=dict)
    context: str | None = None
    ports: list[int] = field(default_factory=list)
    env: list[_Token] = field(default_factory=list)
    namespace_token: _Token | None = None
    output: str | None = None
    patch: str | None = None
    files: list[_Token] = field(default_factory=list)  # -f/--filename arguments


def _selector(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in value.split(","):
        m = _SELECTOR_TERM.match(part)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def parse_kubectl(tokens: list[_Token]) -> KubectlCall | None:
    """Parse ``kubectl ...`` (or ``oc ...``) tokens; the first token is the program."""
    args = tokens[1:]
    call = KubectlCall(None, [])
    positionals: list[_Token] = []
    i = 0
    after_dashdash = False
    while i < len(args):
        tok = args[i]
        t = tok.text
        if after_dashdash:
            break
        if t == "--":
            after_dashdash = True
            i += 1
            continue
        if t.startswith("-") and len(t) > 1:
            flag, eq, value = t.partition("=")
            vtok = tok
            if not eq and flag.startswith("-") and not flag.startswith("--") and len(flag) > 2 and flag[:2] in ("-n", "-l", "-c", "-o") and flag not in _BOOL_FLAGS:
                flag, value, eq = flag[:2], flag[2:], "="  # -nfoo
            verb = call.verb
            takes_value = (flag in _VALUE_FLAGS and flag not in _OPTIONAL_VALUE) or (flag == "-f" and verb != "logs") or (flag == "-p" and verb in ("patch", None))
            if takes_value and not eq:
                if i + 1 < len(args):
                    vtok = args[i + 1]
                    value = vtok.text
                    i += 1
                else:
                    value = ""
            if flag in ("-n", "--namespace") and value:
                call.namespace, call.namespace_token = value, vtok
            elif flag in ("-A", "--all-namespaces"):
                call.all_namespaces = True
            elif flag in ("-l", "--selector") and value:
                call.selector = _selector(value)
            elif flag in ("-c", "--container") and value:
                call.container = _Token(value, vtok.line, vtok.column + (len(flag) + 1 if vtok is tok else 0))
            elif flag == "--context":
                call.context = value
            elif flag in ("-o", "--output"):
                call.output = value
            elif flag in ("-p", "--patch") and call.verb == "patch":
                call.patch = value
            elif (flag == "-f" and verb != "logs" or flag == "--filename") and value:
                call.files.append(_Token(value, vtok.line, vtok.column + (len(flag) + 1 if vtok is tok else 0)))
            i += 1
            continue
        if call.verb is None:
            call.verb = t
        else:
            positionals.append(tok)
        i += 1
    if call.verb is None or call.verb not in _SUBCOMMANDS:
        return call if call.verb else None
    verb = call.verb
    if verb in ("rollout", "set", "auth", "config", "adm") and positionals:
        call.verb = f"{verb} {positionals[0].text}"
        positionals = positionals[1:]
        if verb in ("auth", "config", "adm"):
            return call
    if verb in ("apply", "create", "cp", "explain", "api-resources", "version", "cluster-info", "proxy", "diff", "replace", "events", "run", "wait"):
        return call
    if verb in _NAMED_KINDS_ONLY:
        return call
    if verb == "top":
        if positionals and positionals[0].text in ("pod", "pods", "po"):
            call.objects.append(("Pod", "", positionals[0]))
        return call
    if verb == "set" and call.verb in ("set env",):
        rest = []
        for p in positionals:
            (call.env if _ENV_ASSIGN.match(p.text) or _ENV_UNSET.match(p.text) else rest).append(p)
        positionals = rest
    if verb in ("logs", "exec", "attach", "port-forward", "debug"):
        if positionals:
            first = positionals[0]
            kind, _, name = first.text.partition("/")
            if name and kind.lower() in KINDS:
                call.objects.append((KINDS[kind.lower()], name, _Token(name, first.line, first.column + len(kind) + 1)))
            elif not name:
                call.objects.append(("Pod", first.text, first))
        if verb == "port-forward":
            for p in positionals[1:]:
                m = _PORT_PAIR.match(p.text)
                if m:
                    call.ports.append(int(m.group(1)))
        return call
    # get / describe / delete / edit / patch / scale / label / annotate / rollout X / autoscale / expose / restart
    if not positionals:
        return call
    first = positionals[0]
    if "/" in first.text:
        for p in positionals:
            kind, _, name = p.text.partition("/")
            if name and kind.lower() in KINDS:
                call.objects.append((KINDS[kind.lower()], name, _Token(name, p.line, p.column + len(kind) + 1)))
        return call
    kinds = [KINDS.get(k.lower(), k) for k in first.text.split(",") if k]
    names = positionals[1:]
    if verb in ("label", "annotate"):
        names = [n for n in names if "=" not in n.text and not n.text.endswith("-")]
    if not names:
        for k in kinds:
            call.objects.append((k, "", first))
    elif len(kinds) == 1:
        for n in names:
            call.objects.append((kinds[0], n.text, n))
    return call


# ------------------------------------------------------------------------------------------------
# docker compose


def parse_compose(tokens: list[_Token]) -> tuple[str | None, list[_Token]]:
    """(subcommand, service tokens) of ``docker compose ...`` / ``docker-compose ...``."""
    args = tokens[2:] if tokens[0].text == "docker" else tokens[1:]
    value_flags = {"-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile", "--tail",
                   "--since", "--until", "-u", "--user", "-w", "--workdir", "-e", "--env", "--scale", "-t", "--timeout",
                   "--index", "--entrypoint", "--name", "-l", "--label", "--ansi", "--progress", "--parallel", "--format"}
    sub: str | None = None
    services: list[_Token] = []
    i = 0
    while i < len(args):
        t = args[i].text
        if t == "--":
            break
        if t.startswith("-"):
            flag = t.split("=", 1)[0]
            if "=" not in t and flag in value_flags and not (flag in ("-t",) and sub in ("logs",)) and not (flag == "-f" and sub == "logs"):
                i += 1
            i += 1
            continue
        if sub is None:
            sub = t
        else:
            services.append(args[i])
            if sub in ("exec", "run", "cp"):
                break
        i += 1
    if sub in ("down", "config", "ls", "version", "images", "ps") and sub != "ps":
        return sub, []
    if sub == "cp":
        services = [_Token(s.text.split(":", 1)[0], s.line, s.column) for s in services if ":" in s.text]
    return sub, services


# ------------------------------------------------------------------------------------------------
# Extraction


def _kubectl_refs(rb: Runbook, call: KubectlCall, program: _Token, strength: str, text: str) -> Iterator[Reference]:
    base = dict(path=rb.path, strength=strength, namespace=call.namespace, all_namespaces=call.all_namespaces,
                container=call.container.text if call.container and not is_placeholder(call.container.text) else None,
                container_column=call.container.column if call.container else None,
                selector=call.selector, context=call.context, verb=call.verb, text=text)
    if call.namespace and is_placeholder(call.namespace):
        base["namespace"] = None
        base["extra"] = {"namespace_placeholder": "1"}
    emitted = False
    for kind, name, tok in call.objects:
        if name and is_placeholder(name):
            name = ""
        where = tok or program
        yield Reference("k8s", name, line=where.line, column=where.column, resource=kind, ports=list(call.ports), **base)
        emitted = True
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
            yield Reference("path", f.text.removeprefix("./").rstrip("/"), rb.path, f.line, f.column, strength, text=text)
    for env in call.env:
        name = env.text.split("=", 1)[0].rstrip("-")
        yield Reference("env", name, rb.path, env.line, env.column, strength, namespace=call.namespace, text=text,
                        extra={"targets": ",".join(f"{k}/{n}" for k, n, _ in call.objects if n)})


_PROGRAMS = re.compile(r"(?<![\w-])(?:kubectl|oc|docker|docker-compose)(?![\w-])")


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


def _command_refs(rb: Runbook, logical: _Logical, strength: str) -> Iterator[Reference]:
    if not _PROGRAMS.search(logical.text):
        return
    for tokens in _commands(logical):
        tokens = _strip_prefix(tokens)
        if not tokens:
            continue
        prog = tokens[0].text.rsplit("/", 1)[-1]
        text = " ".join(t.text for t in tokens)[:300]
        if prog in ("kubectl", "oc"):
            call = parse_kubectl(tokens)
            if call is not None:
                yield from _kubectl_refs(rb, call, tokens[0], strength, text)
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


def _inline_refs(rb: Runbook) -> Iterator[Reference]:
    """References in inline code: commands, in-cluster names, ``kind/name``, PromQL, metric-, env- and
    path-shaped names (each only when its shape is unambiguous)."""
    for ic in rb.inline_code:
        text = ic.text
        if not text or len(text) > 2000:
            continue
        head = text.split(None, 1)[0] if text.split() else ""
        if head in ("kubectl", "oc", "docker", "docker-compose", "sudo", "watch"):
            yield from _command_refs(rb, _Logical(text, [(0, ic.line, ic.column)]), "prose")
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
            yield Reference("path", text.removeprefix("./"), rb.path, ic.line, ic.column, "prose", text=text)


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
            for logical in _logical_lines(block.text, block.start_line, console, block.indent) if _PROGRAMS.search(block.text) else ():
                try:
                    refs.extend(_command_refs(rb, logical, "command"))
                except RecursionError:
                    continue
            for i, line in enumerate(block.text.split("\n")):
                if ".svc" in line:
                    refs.extend(_dns_refs(rb, line, block.start_line + i, block.indent, "command"))
        if lang in PROMQL_BY_CONTENT_LANGS:
            for offset, para in promql.query_paragraphs(block.text):
                refs.extend(_promql_refs(rb, para, block.start_line + offset, block.indent, "command"))
        elif lang in PROMQL_LANGS:
            refs.extend(_promql_refs(rb, block.text, block.start_line, block.indent, "command"))
    refs.extend(_inline_refs(rb))
    for link in rb.links:
        target = link.target
        m = _GRAFANA_D.search(target) if target.startswith("http") else None
        if m:
            refs.append(Reference("dashboard", m.group(1), rb.path, link.line, link.column, "prose", text=target))
            continue
        if link.kind in ("inline", "reference", "image") and not _URL_SCHEME.match(target) and not target.startswith("//"):
            path_part, _, anchor = target.partition("#")
            refs.append(Reference("link", path_part, rb.path, link.line, link.column, "prose", anchor=anchor or None, text=target))
    if ".svc" in rb.text:  # in-cluster names in prose (code blocks and inline code were read above)
        seen = {r.line for r in refs if r.kind == "dns"}
        in_code = {i for b in rb.code_blocks for i in range(b.line, b.end_line + 1)}
        for i, line in enumerate(rb.text.split("\n"), start=1):
            if ".svc" in line and i not in in_code and i not in seen:
                refs.extend(_dns_refs(rb, line, i, 0, "prose"))
    refs.sort(key=lambda r: (r.line, r.column))
    return refs
