"""The command grammar of the programs a runbook's commands run against the platform: ``kubectl``
and ``oc`` arguments (a real argument parser: value flags, ``kind/name``, ``-nNS`` ...) and
``docker compose`` / ``docker-compose`` subcommands and services, over positioned shell tokens
(``checks.references.shell``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rbh.checks.references.shell import ENV_ASSIGN, Token

PROGRAMS = re.compile(r"(?<![\w-])(?:kubectl|oc|docker|docker-compose|helm)(?![\w-])")  # commands whose grammar is known here

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

_SELECTOR_TERM = re.compile(r"^\s*([\w./-]+)\s*==?\s*([\w.-]*)\s*$")
_ENV_UNSET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*-$")
_PORT_PAIR = re.compile(r"^(?:\d*:)?(\d{1,5})$")


@dataclass
class KubectlCall:
    verb: str | None
    objects: list[tuple[str, str, Token | None]]  # (kind, name, token) ; name "" = the kind as a whole
    namespace: str | None = None
    all_namespaces: bool = False
    container: Token | None = None
    selector: dict[str, str] = field(default_factory=dict)
    context: str | None = None
    ports: list[int] = field(default_factory=list)
    env: list[Token] = field(default_factory=list)
    namespace_token: Token | None = None
    output: str | None = None
    patch: str | None = None
    files: list[Token] = field(default_factory=list)  # -f/--filename arguments
    created: list[tuple[str | None, str, Token]] = field(default_factory=list)  # objects the command creates (kind, name, token)
    name_flag: Token | None = None  # --name (kubectl expose: the Service's name)
    misread: str | None = None  # `-namespace`: a long flag with one dash, read as `-n amespace`


def _selector(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in value.split(","):
        m = _SELECTOR_TERM.match(part)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def parse_kubectl(tokens: list[Token]) -> KubectlCall | None:
    """Parse ``kubectl ...`` (or ``oc ...``) tokens; the first token is the program."""
    args = tokens[1:]
    call = KubectlCall(None, [])
    positionals: list[Token] = []
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
                if "-" + flag in _VALUE_FLAGS:
                    call.misread = flag  # `-namespace x`: kubectl reads `-n amespace`, then `x` as a name
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
                call.container = Token(value, vtok.line, vtok.column + (len(flag) + 1 if vtok is tok else 0))
            elif flag == "--context":
                call.context = value
            elif flag in ("-o", "--output"):
                call.output = value
            elif flag == "--name" and value:
                call.name_flag = Token(value, vtok.line, vtok.column + (len(flag) + 1 if vtok is tok else 0))
            elif flag in ("-p", "--patch") and call.verb == "patch":
                call.patch = value
            elif (flag == "-f" and verb != "logs" or flag == "--filename") and value:
                call.files.append(Token(value, vtok.line, vtok.column + (len(flag) + 1 if vtok is tok else 0)))
            i += 1
            continue
        if call.verb is None:
            call.verb = t
        else:
            positionals.append(tok)
        i += 1
    if call.verb is None:
        return None
    if call.verb not in _SUBCOMMANDS:
        # a plugin (`kubectl cnpg certificate cluster-cert`, `kubectl cnpg fio fio-job -n fio`): a program
        # rbh cannot read; the name it is handed after its sub-command may be an object it makes, of a
        # kind nobody can tell (kind None: any kind of that name)
        if len(positionals) > 1:
            call.created.append((None, positionals[1].text, positionals[1]))
        return call
    verb = call.verb
    if verb in ("rollout", "set", "auth", "config", "adm") and positionals:
        call.verb = f"{verb} {positionals[0].text}"
        positionals = positionals[1:]
        if verb in ("auth", "config", "adm"):
            return call
    if verb == "create" and positionals and positionals[0].text.lower() in KINDS:
        # `kubectl create deployment nginx`, `create secret generic creds`, `create service clusterip web`
        kind = KINDS[positionals[0].text.lower()]
        after_kind = positionals[2:] if kind in ("Service", "Secret") else positionals[1:]
        if after_kind:
            call.created.append((kind, after_kind[0].text, after_kind[0]))
    elif verb == "run" and positionals:
        call.created.append(("Pod", positionals[0].text, positionals[0]))
    if verb in ("apply", "create", "cp", "explain", "api-resources", "version", "cluster-info", "proxy", "diff", "replace", "events", "run", "wait"):
        return call
    if verb in _NAMED_KINDS_ONLY:
        return call
    if verb == "top":
        if positionals and positionals[0].text in ("pod", "pods", "po"):
            call.objects.append(("Pod", "", positionals[0]))
        return call
    if verb == "set" and call.verb in ("set env",):
        rest: list[Token] = []
        for p in positionals:
            (call.env if ENV_ASSIGN.match(p.text) or _ENV_UNSET.match(p.text) else rest).append(p)
        positionals = rest
    if verb in ("logs", "exec", "attach", "port-forward", "debug"):
        if positionals:
            first = positionals[0]
            kind, _, name = first.text.partition("/")
            if name and kind.lower() in KINDS:
                call.objects.append((KINDS[kind.lower()], name, Token(name, first.line, first.column + len(kind) + 1)))
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
                call.objects.append((KINDS[kind.lower()], name, Token(name, p.line, p.column + len(kind) + 1)))
        return _exposed(call)
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
    return _exposed(call)


def _exposed(call: KubectlCall) -> KubectlCall:
    """``kubectl expose deployment nginx [--name web]`` creates the Service ``nginx`` (``web``)."""
    if call.verb == "expose":
        named = [(name, tok) for _kind, name, tok in call.objects if name and tok is not None]
        if call.name_flag is not None:
            call.created.append(("Service", call.name_flag.text, call.name_flag))
        elif named:
            call.created.append(("Service", named[0][0], named[0][1]))
    return call


# ------------------------------------------------------------------------------------------------
# docker compose


def parse_compose(tokens: list[Token]) -> tuple[str | None, list[Token]]:
    """(subcommand, service tokens) of ``docker compose ...`` / ``docker-compose ...``."""
    args = tokens[2:] if tokens[0].text == "docker" else tokens[1:]
    value_flags = {"-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile", "--tail",
                   "--since", "--until", "-u", "--user", "-w", "--workdir", "-e", "--env", "--scale", "-t", "--timeout",
                   "--index", "--entrypoint", "--name", "-l", "--label", "--ansi", "--progress", "--parallel", "--format"}
    sub: str | None = None
    services: list[Token] = []
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
        services = [Token(s.text.split(":", 1)[0], s.line, s.column) for s in services if ":" in s.text]
    return sub, services
