"""What runbooks reference: the kubectl and compose argument parsers, DNS names, PromQL names,
links and paths, with exact positions; and property tests that nothing escapes on any input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbh.checks import promql
from rbh.checks.references import extract_references
from rbh.runbook import parse_runbook


def refs_of(block: str, lang: str = "bash"):
    rb = parse_runbook("runbooks/x.md", f"# X\n\n```{lang}\n{block}\n```\n")
    return extract_references(rb)


def k8s(block: str):
    return [(r.resource, r.name, r.namespace, r.container, r.selector, r.ports, r.verb, r.line, r.column)
            for r in refs_of(block) if r.kind == "k8s"]


@pytest.mark.parametrize("command,expected", [
    ("kubectl -n shop get deploy/checkout", [("Deployment", "checkout", "shop", None, {}, [], "get", 4, 28)]),
    ("kubectl get deployment checkout --namespace=shop -o yaml", [("Deployment", "checkout", "shop", None, {}, [], "get", 4, 24)]),
    ("kubectl --context prod -nshop describe svc checkout", [("Service", "checkout", "shop", None, {}, [], "describe", 4, 44)]),
    ("kubectl logs -f deploy/checkout -c app -n shop --tail 50", [("Deployment", "checkout", "shop", "app", {}, [], "logs", 4, 24)]),
    ("kubectl logs -p checkout-7d9f-x2 -n shop", [("Pod", "checkout-7d9f-x2", "shop", None, {}, [], "logs", 4, 17)]),
    ("kubectl exec -it -n shop sts/postgres -c db -- psql -c 'select 1'", [("StatefulSet", "postgres", "shop", "db", {}, [], "exec", 4, 30)]),
    ("kubectl -n shop rollout restart deployment/checkout", [("Deployment", "checkout", "shop", None, {}, [], "rollout restart", 4, 44)]),
    ("kubectl -n shop rollout status deploy checkout", [("Deployment", "checkout", "shop", None, {}, [], "rollout status", 4, 39)]),
    ("kubectl scale --replicas=3 deploy checkout -n shop", [("Deployment", "checkout", "shop", None, {}, [], "scale", 4, 35)]),
    ("kubectl -n shop port-forward svc/checkout 8080:80 9090", [("Service", "checkout", "shop", None, {}, [80, 9090], "port-forward", 4, 34)]),
    ("kubectl -n shop patch deploy checkout -p '{\"spec\":{}}'", [("Deployment", "checkout", "shop", None, {}, [], "patch", 4, 30)]),
    ("kubectl -n shop delete pod -l app=checkout", [("Pod", "", "shop", None, {"app": "checkout"}, [], "delete", 4, 24)]),
    ("kubectl -n shop edit cm checkout-config", [("ConfigMap", "checkout-config", "shop", None, {}, [], "edit", 4, 25)]),
    ("kubectl top pod -n shop -l app=checkout --containers", [("Pod", "", "shop", None, {"app": "checkout"}, [], "top", 4, 13)]),
    ("kubectl get pods -A -l app=checkout", [("Pod", "", None, None, {"app": "checkout"}, [], "get", 4, 13)]),
    ("kubectl get deploy,svc -n shop", [("Deployment", "", "shop", None, {}, [], "get", 4, 13), ("Service", "", "shop", None, {}, [], "get", 4, 13)]),
    ("oc -n shop get deploy/checkout", [("Deployment", "checkout", "shop", None, {}, [], "get", 4, 23)]),
    ("sudo KUBECONFIG=/tmp/k watch -n 5 kubectl -n shop get deploy/checkout", [("Deployment", "checkout", "shop", None, {}, [], "get", 4, 62)]),
    ("kubectl -n shop get deploy <deployment>", [("Deployment", "", "shop", None, {}, [], "get", 4, 28)]),
    ("kubectl -n $NS logs deploy/$APP", [("Deployment", "", None, None, {}, [], "logs", 4, 28)]),
    ("kubectl -n shop logs ${POD} -c checkout", [("Pod", "", "shop", "checkout", {}, [], "logs", 4, 22)]),
    ("kubectl apply -f manifests/checkout.yaml", []),
    ("echo kubectl is great", []),
])
def test_kubectl_parser(command, expected):
    assert k8s(command) == expected


def test_line_continuation_pipes_and_substitution_keep_positions():
    block = ("kubectl -n shop \\\n"
             "  logs deploy/checkout \\\n"
             "  -c app | grep ERROR && kubectl -n data get sts/postgres\n"
             "kubectl -n shop exec $(kubectl -n shop get pod -l app=web -o name | head -1) -- env")
    got = k8s(block)
    assert got == [
        ("Deployment", "checkout", "shop", "app", {}, [], "logs", 5, 15),
        ("StatefulSet", "postgres", "data", None, {}, [], "get", 6, 50),
        ("Pod", "", "shop", None, {}, [], "exec", 7, 22),
        ("Pod", "", "shop", None, {"app": "web"}, [], "get", 7, 44),
    ]


def test_console_blocks_take_only_prompted_lines():
    got = k8s("$ kubectl -n shop get deploy/checkout\nNAME       READY\ncheckout   1/1")
    rb = parse_runbook("x.md", "```console\n$ kubectl -n shop get deploy/checkout\nkubectl -n shop get deploy/not-a-command\n```\n")
    assert [r.name for r in extract_references(rb) if r.kind == "k8s"] == ["checkout"]
    assert got[0][1] == "checkout"


def test_compose_services():
    got = [(r.name, r.verb, r.column) for r in refs_of(
        "docker compose -f manifests/compose.yaml logs -f --tail 10 api worker\n"
        "docker-compose exec -u root db psql\n"
        "docker compose cp api:/tmp/x ./x\n"
        "docker compose down") if r.kind == "compose"]
    assert got == [("api", "logs", 60), ("worker", "logs", 64), ("db", "exec", 29), ("api", "cp", 19)]


def test_dns_names_and_ports():
    got = [(r.name, r.namespace, r.ports, r.line, r.column, r.strength) for r in refs_of(
        "curl -s http://payments.shop.svc.cluster.local:8080/healthz\npsql -h postgres.data.svc -p 5432") if r.kind == "dns"]
    assert got == [("payments", "shop", [8080], 4, 16, "command"), ("postgres", "data", [], 5, 9, "command")]


def test_promql_blocks():
    rb = parse_runbook("x.md", '# X\n\n```promql\nsum by (code) (rate(http_requests_total{job="api"}[5m]))\n  / ignoring(code) group_left sum(rate(http_requests_total[5m]))\nALERTS{alertname="ApiDown"}\n```\n')
    got = [(r.kind, r.name, r.line, r.column) for r in extract_references(rb)]
    assert got == [("metric", "http_requests_total", 4, 21), ("metric", "http_requests_total", 5, 40), ("alert", "ApiDown", 6, 19)]


@pytest.mark.parametrize("expr,metrics,alerts", [
    ("up", ["up"], []),
    ('rate(http_requests_total{code=~"5.."}[5m]) > 0', ["http_requests_total"], []),
    ("histogram_quantile(0.99, sum by (le, job) (rate(x_seconds_bucket[5m])))", ["x_seconds_bucket"], []),
    ("a:b:rate5m offset 1h unless on(job) absent(c)", ["a:b:rate5m", "c"], []),
    ('{__name__="renamed_total"}', ["renamed_total"], []),
    ('ALERTS{alertname=~"A|B", severity="critical"}', [], ["A", "B"]),
    ("sum without (instance) (node_load1) and bool node_load5 > 1", ["node_load1", "node_load5"], []),
    ("up{job=\"{{ $labels.job }}\"} == 0", ["up"], []),
])
def test_promql_extractor(expr, metrics, alerts):
    m, a = promql.extract(expr)
    assert [n for n, _ in m] == metrics and [n for n, _ in a] == alerts


def test_prose_references():
    text = ("---\nalerts: [ApiDown]\nservice: api\nowner: team-api\ndashboards: [https://grafana/d/api-main/api]\n---\n# API\n\n"
            "Restart `deploy/api`, raise `API_POOL_SIZE`, read `manifests/api.yaml`, watch `api_errors_total`,\n"
            "see [db](db.md#failover) and `kubectl -n shop get svc/api`.\n")
    got = [(r.kind, r.name, r.line, r.column, r.strength) for r in extract_references(parse_runbook("runbooks/x.md", text))]
    assert got == [
        ("alert", "ApiDown", 2, 1, "front-matter"),
        ("service", "api", 3, 1, "front-matter"),
        ("owner", "team-api", 4, 1, "front-matter"),
        ("dashboard", "api-main", 5, 1, "front-matter"),
        ("k8s", "api", 9, 17, "prose"),
        ("env", "API_POOL_SIZE", 9, 30, "prose"),
        ("path", "manifests/api.yaml", 9, 52, "prose"),
        ("metric", "api_errors_total", 9, 80, "prose"),
        ("link", "db.md", 10, 5, "prose"),
        ("k8s", "api", 10, 55, "prose"),
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("kubectl -n=/$()<>|&;'\"\\`{}\n#.:-0123456789abc")), max_size=300))
def test_shell_parsing_never_raises_and_positions_stay_in_the_file(block):
    rb = parse_runbook("x.md", f"# X\n\n```bash\nkubectl {block}\n```\n")
    n = len(rb.lines)
    for r in extract_references(rb):
        assert 1 <= r.line <= n
        assert r.column >= 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_promql_extractor_never_raises(expr):
    metrics, alerts = promql.extract(expr)
    for name, offset in metrics + alerts:
        assert 0 <= offset <= len(expr)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600))
def test_any_markdown_gives_references_inside_the_file(text):
    rb = parse_runbook("x.md", text)
    n = len(rb.lines)
    for r in extract_references(rb):
        assert 1 <= r.line <= n


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -=/'\"\\|&;().\t")), max_size=60))
def test_shell_splitter_agrees_with_shlex(line):
    """Same words as shlex in posix mode, except where shlex is not the shell, so those characters are
    left out: shlex starts a comment at ``#`` even inside a word (``http://x/#frag``), and keeps the
    backslash of ``\\$`` in double quotes, which the shell removes (see test_shell_splitter_offsets)."""
    import shlex

    from rbh.checks.references import split_shell

    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        expected = list(lexer)
    except ValueError:
        return  # unbalanced quotes: shlex refuses the line; split_shell keeps the raw rest instead
    assert [tok for tok, _ in split_shell(line)] == expected


@pytest.mark.parametrize("line,tokens", [
    ("kubectl get 'a b' \"c \\\"d\\\"\" e\\ f", [("kubectl", 0), ("get", 8), ("a b", 12), ('c "d"', 18), ("e f", 28)]),
    ("a|b && c; d # comment", [("a", 0), ("|", 1), ("b", 2), ("&&", 4), ("c", 7), (";", 8), ("d", 10)]),
    ("url http://x/#frag", [("url", 0), ("http://x/#frag", 4)]),
    ('echo "\\$HOME"', [("echo", 0), ("$HOME", 5)]),
])
def test_shell_splitter_offsets(line, tokens):
    from rbh.checks.references import split_shell

    assert split_shell(line) == tokens


@pytest.mark.parametrize("token,expected", [
    ("checkout", False), ("checkout-0", False), ("api-1.2", False), ("exampleapp", False), ("a", False),
    ("pod", True), ("name", True), ("pod-name", True), ("xx", True), ("XXX", True), ("my-app", True),
    ("your-service", True), ("example", True), ("example-app", True), ("a...b", True), ("POD", True),
    ("POD_NAME", True), ("$POD", True), ("${NS}", True), ("<pod>", True), ("{{ .name }}", True), ("", True),
])
def test_placeholders(token, expected):
    from rbh.checks.references import is_placeholder

    assert is_placeholder(token) is expected
