"""Round 10 of the new-user trial (bench/README.md): the ingress-nginx controller's docs with its
install manifests (kubernetes/ingress-nginx) and the ClickHouse operator's docs with its deploy
manifests and alert rules (Altinity/clickhouse-operator), each false error reduced to a minimal
reproduction in a real temporary git repository (names and commands as on those pages, shortened).
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check

CONTROLLER = """\
apiVersion: v1
kind: Namespace
metadata:
  name: ingress-nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
spec:
  selector: {matchLabels: {app: ingress-nginx}}
  template:
    metadata: {labels: {app: ingress-nginx}}
    spec:
      containers: [{name: controller, image: controller:1}]
---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
spec:
  selector: {app: ingress-nginx}
  ports: [{port: 80}]
"""

EXAMPLE_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: nginx-test
spec:
  rules: [{host: stickyingress.example.com}]
"""

HTTP_SVC = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: http-svc
spec:
  selector: {matchLabels: {app: http-svc}}
  template:
    metadata: {labels: {app: http-svc}}
    spec:
      containers: [{name: http-svc, image: echoserver:1}]
---
apiVersion: v1
kind: Service
metadata:
  name: http-svc
spec:
  selector: {app: http-svc}
  ports: [{port: 80, targetPort: 8080}]
"""


CONFIG = 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["deploy/**/*.yaml"]\n'


def rbh1xx(report: dict) -> list[tuple[str, str, str, int, str]]:
    return [(f["rule"], f["severity"], f["path"], f["line"], f["message"]) for f in report["findings"]
            if f["rule"].startswith("RBH10")]


def test_an_example_file_the_page_applies_declares_its_objects(tmp_path):
    """kubernetes/ingress-nginx: `docs/examples/affinity/cookie/README.md` runs `kubectl create -f
    ingress.yaml` (the Ingress `nginx-test`, in the page's folder; the ```console block has no prompt)
    and then `kubectl describe ing nginx-test` (a prompt-less console block is commands or output, no
    telling: what it would make is honoured, nothing in it is checked); `PREREQUISITES.md` creates `http-svc` from the raw
    GitHub URL of `docs/examples/http-svc.yaml`. Neither object is in the manifests (`deploy/**`), both
    exist from the apply on. A use before the apply, another name, or a file the repository lacks
    (static-ip's `kubectl create -f ingress-nginx.yaml`, the file being `nginx-ingress.yaml`) still fail."""
    root = tmp_path / "ingress"
    commit_history(root, [{
        "rbh.yaml": CONFIG,
        "deploy/static/deploy.yaml": CONTROLLER,
        "docs/examples/http-svc.yaml": HTTP_SVC,
        "docs/examples/cookie/ingress.yaml": EXAMPLE_INGRESS,
        "docs/examples/cookie/README.md":
            "# Sticky sessions\n\n```bash\nkubectl describe ing nginx-test\n```\n\n"
            "You can create the [example Ingress](ingress.yaml):\n\n```console\nkubectl create -f ingress.yaml\n```\n\n"
            "```console\n$ kubectl describe ing nginx-test\nName:  nginx-test\n$ kubectl describe ing nginx-other\n```\n",
        "docs/examples/PREREQUISITES.md":
            "# Prerequisites\n\n```console\n"
            "$ kubectl create -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/main/docs/examples/http-svc.yaml\n"
            "service \"http-svc\" created\n$ kubectl patch svc http-svc -p '{\"spec\":{\"type\": \"LoadBalancer\"}}'\n```\n",
        "docs/examples/static-ip/nginx-ingress.yaml": EXAMPLE_INGRESS.replace("nginx-test", "ingress-nginx"),
        "docs/examples/static-ip/README.md":
            "# Static IPs\n\n```console\n$ kubectl create -f ingress-nginx.yaml\n$ kubectl get ing ingress-nginx\n```\n",
    }])
    assert rbh1xx(check(root)) == [
        ("RBH101", "error", "docs/examples/cookie/README.md", 4, "ingress `nginx-test` not found in the manifests"),
        ("RBH101", "error", "docs/examples/cookie/README.md", 16, "ingress `nginx-other` not found in the manifests"),
        ("RBH101", "error", "docs/examples/static-ip/README.md", 5, "ingress `ingress-nginx` not found in the manifests"),
    ]


def test_a_file_applied_by_its_bare_name_is_the_one_the_page_links(tmp_path):
    """Altinity/clickhouse-operator: `docs/grafana_setup.md` runs `kubectl apply --namespace=grafana -f
    grafana.yaml` after linking `[grafana.yaml](../deploy/grafana/grafana-manually/grafana.yaml)`; the
    Service `grafana-service` it then port-forwards in `grafana` is that file's (which sets no
    namespace). Before the apply the name is only the manifests' (a warning: their namespace is
    unset). A GitHub URL of a repository that is not this one's remote declares nothing here; one of
    this repository does."""
    root = tmp_path / "ch"
    repo, _ = commit_history(root, [{
        "rbh.yaml": CONFIG,
        "deploy/operator/operator.yaml": CONTROLLER.replace("ingress-nginx", "clickhouse-operator"),
        "deploy/grafana/grafana-manually/grafana.yaml": HTTP_SVC.replace("http-svc", "grafana-service"),
        "examples/echo.yaml": HTTP_SVC.replace("http-svc", "echo"),
        "docs/grafana_setup.md":
            "# Grafana\n\nWe have [grafana.yaml][grafana_manifest_yaml].\n\n```bash\n"
            "kubectl --namespace=grafana port-forward service/grafana-service 8080:80\nkubectl create namespace grafana\n"
            "kubectl apply --namespace=grafana -f grafana.yaml\nkubectl --namespace=grafana get service grafana-service\n```\n\n"
            "[grafana_manifest_yaml]: ../deploy/grafana/grafana-manually/grafana.yaml\n",
        "docs/other.md":
            "# Other\n\n```bash\nkubectl apply -f https://github.com/someone/fork/blob/main/examples/echo.yaml\n"
            "kubectl get svc echo\n"
            "kubectl apply -f https://raw.githubusercontent.com/Altinity/clickhouse-operator/refs/heads/master/examples/echo.yaml\n"
            "kubectl get deploy echo\n```\n",
    }])
    repo.create_remote("origin", "https://github.com/Altinity/clickhouse-operator.git")
    assert rbh1xx(check(root)) == [
        ("RBH102", "warning", "docs/grafana_setup.md", 6,
         "service `grafana-service` is not in namespace `grafana` (it is in `default`) (its manifest sets no namespace:"
         " the one `kubectl apply -n` gives wins)"),
        ("RBH101", "error", "docs/other.md", 5, "service `echo` not found in the manifests"),
    ]


def test_a_namespace_the_page_fills_from_elsewhere_holds_what_it_names(tmp_path):
    """kubernetes/ingress-nginx: `user-guide/monitoring.md` runs `helm install prometheus
    prometheus-community/kube-prometheus-stack --namespace prometheus`, then port-forwards
    `svc/prometheus-kube-prometheus-prometheus -n prometheus` (the chart's Service); the OpenTelemetry
    page applies `zipkin.yaml` from another repository's raw URL with `-n observability`, then
    port-forwards `service/zipkin` there. No manifest here can say those names are wrong (nor that the
    namespaces do not exist). A use before the install, another namespace, and a chart of this
    repository (its objects are the manifests') are still checked."""
    root = tmp_path / "ingress"
    commit_history(root, [{
        "rbh.yaml": CONFIG,
        "deploy/static/deploy.yaml": CONTROLLER,
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        "docs/monitoring.md":
            "# Monitoring\n\n```\nkubectl port-forward svc/prometheus-grafana -n prometheus 3000:80\n"
            "helm install prometheus prometheus-community/kube-prometheus-stack \\\n  --namespace prometheus --set a=b\n"
            "kubectl get svc -n prometheus\n"
            "kubectl port-forward svc/prometheus-kube-prometheus-prometheus -n prometheus 9090:9090\n"
            "kubectl port-forward svc/prometheus-grafana -n monitoring 3000:80\n```\n",
        "docs/opentelemetry.md":
            "# OpenTelemetry\n\n```bash\n"
            "kubectl apply -f https://raw.githubusercontent.com/esigo/nginx-example/main/observability/zipkin.yaml -n observability\n"
            "kubectl port-forward --namespace=observability service/zipkin 9411:9411\n"
            "helm upgrade --install web ./charts/web -n shop\nkubectl -n shop get svc web\n```\n",
    }])
    assert rbh1xx(check(root)) == [
        ("RBH101", "error", "docs/monitoring.md", 4, "service `prometheus-grafana` not found in namespace `prometheus` or any other"),
        ("RBH101", "error", "docs/monitoring.md", 9, "service `prometheus-grafana` not found in namespace `monitoring` or any other"),
        ("RBH101", "error", "docs/opentelemetry.md", 7, "service `web` not found in namespace `shop` or any other"),
    ]


PROMETHEUS_TEMPLATE = """\
# Service would be created in kubectl-specified namespace
apiVersion: v1
kind: Service
metadata:
  name: prometheus
spec:
  ports: [{name: web, port: 9090}]
---
apiVersion: v1
kind: Service
metadata:
  name: alertmanager
  namespace: default
spec:
  ports: [{name: web, port: 9093}]
"""


def test_a_namespace_less_manifest_is_where_kubectl_apply_n_puts_it(tmp_path):
    """Altinity/clickhouse-operator: `deploy/prometheus/prometheus-template.yaml` declares the Service
    `prometheus` without a namespace ("would be created in kubectl-specified namespace"); the docs
    reach it as `prometheus.prometheus.svc.cluster.local`. Where no manifest sets the namespace, "it is
    in `default`" is a guess: a warning that says so. An object whose manifest names its namespace
    stays an error."""
    root = tmp_path / "ch"
    commit_history(root, [{
        "rbh.yaml": CONFIG,
        "deploy/prometheus/prometheus-template.yaml": PROMETHEUS_TEMPLATE,
        "docs/grafana_setup.md":
            "# Grafana\n\n```text\nhttp://prometheus.prometheus.svc.cluster.local:9090\n```\n\n"
            "```bash\nkubectl --namespace=prometheus port-forward service/alertmanager 9093\n```\n",
    }])
    assert rbh1xx(check(root)) == [
        ("RBH102", "warning", "docs/grafana_setup.md", 4,
         "service `prometheus` is not in namespace `prometheus` (it is in `default`) (its manifest sets no namespace:"
         " the one `kubectl apply -n` gives wins)"),
        ("RBH102", "error", "docs/grafana_setup.md", 8, "service `alertmanager` is not in namespace `prometheus` (it is in `default`)"),
    ]


def test_an_envsubst_variable_that_breaks_the_yaml_is_an_unrendered_template(tmp_path):
    """Altinity/clickhouse-operator: `deploy/builder/templates-config/config.yaml` has `namespaces:
    [${WATCH_NAMESPACES}]`, which the build fills with envsubst; as it stands it is not YAML. Like an
    unrendered Helm template it is skipped with a warning; YAML broken for another reason is an error."""
    root = tmp_path / "ch"
    commit_history(root, [{
        "rbh.yaml": CONFIG,
        "deploy/operator/operator.yaml": CONTROLLER,
        "deploy/builder/config.yaml": "watch:\n  # namespaces to watch\n  namespaces: [${WATCH_NAMESPACES}]\nclickhouse: {}\n",
        "deploy/builder/broken.yaml": "watch:\n  namespaces: [a, b\nclickhouse: {}\n",
        "docs/operator.md": "# Operator\n\n```bash\nkubectl -n ingress-nginx get deploy ingress-nginx-controller\n```\n",
    }])
    report = check(root)
    assert [(f["severity"], f["path"], f["line"], f["message"]) for f in report["findings"] if f["rule"] == "RBH002"] == [
        ("error", "deploy/builder/broken.yaml", 3, "not valid YAML: did not find expected ',' or ']'"),
        ("warning", "deploy/builder/config.yaml", 3,
         "unrendered template (${...} on the line the YAML breaks): skipped; check the rendered output instead"),
    ]
    assert report["summary"]["error"] == 1


def test_a_bare_file_the_page_applies_is_one_of_its_examples(tmp_path):
    """kubernetes/ingress-nginx: `docs/examples/static-ip/README.md` runs `kubectl create -f
    ingress-nginx.yaml` and `-f ingress-nginx-controller.yaml`; the folder's files are
    `nginx-ingress.yaml` and `nginx-ingress-controller.yaml` (a missed stale page: only the Ingress was
    reported). A bare file name beside which the page keeps its YAML files must be one of them; a page
    without such files may name a file the reader writes."""
    root = tmp_path / "ingress"
    commit_history(root, [{
        "rbh.yaml": CONFIG,
        "deploy/static/deploy.yaml": CONTROLLER,
        "docs/examples/static-ip/nginx-ingress.yaml": EXAMPLE_INGRESS.replace("nginx-test", "ingress-nginx"),
        "docs/examples/static-ip/static-ip-svc.yaml": HTTP_SVC.replace("http-svc", "ingress-nginx-lb"),
        "docs/examples/static-ip/README.md":
            "# Static IPs\n\n```console\n$ kubectl create -f static-ip-svc.yaml\n$ kubectl create -f ingress-nginx.yaml\n```\n",
        "docs/guide.md": "# Guide\n\n```bash\nkubectl apply -f my-ingress.yaml\n```\n",
        # a runbook folder that keeps alert rules: the file the reader writes is like none of them
        "docs/runbooks/rules.yaml": "groups: []\n",
        "docs/runbooks/restart.md": "# Restart\n\n```bash\nkubectl apply -f patch-replicas.yaml\n```\n",
    }])
    report = check(root)
    assert [(f["severity"], f["path"], f["line"], f["message"], f["suggestion"]) for f in report["findings"]
            if f["rule"] == "RBH303"] == [
        ("warning", "docs/examples/static-ip/README.md", 5,
         "repository path `docs/examples/static-ip/ingress-nginx.yaml` does not exist (the page's folder has"
         " `nginx-ingress.yaml`, `static-ip-svc.yaml`)", "nginx-ingress.yaml"),
    ]


def test_a_reference_definition_nothing_uses_is_no_link(tmp_path):
    """Altinity/clickhouse-operator: `tests/requirements/requirements.md` ends with definitions for its
    terms (`[Namespace]: #namespace`, `[SRS]: #srs` ...); `[SRS]` is used nowhere and the page has no
    heading "SRS". A definition no `[text][label]`, `[label][]` or `[label]` uses renders nothing: not a
    broken anchor. A used one is checked (labels match case-insensitively)."""
    root = tmp_path / "ch"
    commit_history(root, [{
        "docs/requirements.md":
            "# Requirements\n\n## Namespace\n\nA [namespace] and a [CHI][chi] and the [old page][].\n\n"
            "[Namespace]: #namespace\n[SRS]: #srs\n[CHI]: #chi\n[old page]: gone.md\n[unused page]: missing.md\n",
    }])
    report = check(root)
    assert [(f["rule"], f["line"], f["message"]) for f in report["findings"]] == [
        ("RBH302", 9, "anchor `#chi` not found in `docs/requirements.md`"),
        ("RBH301", 10, "link target `gone.md` does not exist"),
    ]
