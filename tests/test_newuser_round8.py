"""Round 8 of the new-user trial (bench/README.md): a platform monorepo whose manifests are Helm charts
and CRDs (kyma-project/kyma), each false error reduced to a minimal reproduction in a real temporary
git repository:

- a plain ``=`` in a YAML list (a CRD's ``enum: ['!=', =, =~]``) is the string ``=``, not a bad file;
- a Helm chart's ``Chart.yaml`` is chart metadata, not a Kubernetes object without a kind;
- a rename in history that was later undone, or that ends at a name no manifest of that kind has, is
  no suggestion.
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: alertmanagerconfigs.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names: {kind: AlertmanagerConfig, plural: alertmanagerconfigs}
  scope: Namespaced
  versions:
    - name: v1alpha1
      schema:
        openAPIV3Schema:
          properties:
            matchType:
              enum:
              - '!='
              - =
              - =~
              - '!~'
              type: string
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: eventing-controller
  namespace: kyma-system
spec:
  selector: {matchLabels: {app: eventing-controller}}
  template:
    metadata: {labels: {app: eventing-controller}}
    spec:
      containers: [{name: manager, image: eventing-controller:1}]
"""


def test_plain_equals_sign_in_a_crd_enum_is_a_string(tmp_path):
    """kyma: `installation/resources/crds/monitoring/alertmanagerconfigs.monitoring.coreos.crd.yaml`
    lists the match operators unquoted (`- =`). YAML 1.1 resolves a plain `=` to the `value` tag, which
    PyYAML's safe loader cannot construct; Kubernetes reads it as the string "=". The file is valid and
    its objects count; a truly broken file is still reported."""
    root = tmp_path / "kyma"
    commit_history(root, [{
        "manifests/crds/alertmanagerconfigs.crd.yaml": CRD,
        "manifests/eventing/controller.yaml": DEPLOYMENT,
        "manifests/broken.yaml": "kind: [\n",
        "runbooks/eventing.md": "# Eventing\n\n```bash\nkubectl -n kyma-system rollout restart deployment/eventing-controller\n"
                                "kubectl get crd alertmanagerconfigs.monitoring.coreos.com\n```\n",
    }])
    assert [f[:3] for f in found(check(root))] == [("RBH002", "manifests/broken.yaml", 2)]


def test_helm_chart_metadata_is_not_an_object_without_kind(tmp_path):
    """kyma: `manifests.include: [resources/**/*.yaml]` takes each chart's `Chart.yaml` (`apiVersion:
    v2`, name, version) with its templates; 40 of them were reported as objects with no kind. The
    templates still get their warning, and a real object without a kind is still an error."""
    root = tmp_path / "kyma"
    commit_history(root, [{
        "resources/eventing/Chart.yaml": "apiVersion: v2\nname: eventing\ndescription: Kyma Eventing\nversion: 1.0.0\n"
                                         "dependencies:\n  - name: nats\n    condition: global.nats.enabled\n",
        "resources/eventing/charts/nats/Chart.yml": "apiVersion: v1\nname: nats\nversion: 0.1.0\nappVersion: 2.9.0\n",
        "resources/eventing/templates/deployment.yaml": DEPLOYMENT.replace("name: eventing-controller\n  namespace: kyma-system",
                                                                          "name: {{ include \"eventing.fullname\" . }}"),
        "resources/eventing/values.yaml": "global:\n  nats:\n    enabled: true\n",
        "resources/eventing/broken.yaml": "apiVersion: v1\nmetadata:\n  name: x\n",
        "docs/eventing.md": "# Eventing\n\nRestart the controller.\n",
        "rbh.yaml": "runbooks:\n  include: ['docs/**/*.md']\nmanifests:\n  include: ['resources/**/*.yaml', 'resources/**/*.yml']\n",
    }])
    assert [(f[0], f[1], f[3]) for f in found(check(root))] == [
        ("RBH002", "resources/eventing/broken.yaml", "document has no 'kind': skipped"),
        ("RBH002", "resources/eventing/templates/deployment.yaml",
         "unrendered Helm template ({{ ... }}): skipped; check the output of 'helm template' instead"),
    ]


def test_no_rename_suggestion_that_is_undone_or_names_no_object_of_that_kind(tmp_path):
    """kyma: the Services and Secrets live in Helm templates (skipped), and history reads renames off
    every `name:` line, values files included. `kyma-gateway-certs` was renamed to `...-cacert` and
    back (two Secrets swapped), so "did you mean `kyma-gateway-certs`" offered the very name looked up;
    `istio-ingressgateway` was "renamed" to `ingressgateway-ca-certs` (a Secret's name in the same
    values file), offered for a Service although no Service is in the manifests. A rename to a
    Deployment that exists is still suggested."""
    root = tmp_path / "kyma"
    runbook = ("# Gateway\n\n```bash\nkubectl -n istio-system get svc istio-ingressgateway\n"
               "kubectl -n istio-system get secret kyma-gateway-certs\n"
               "kubectl -n kyma-system rollout restart deployment/eventing-manager\n```\n")
    _, shas = commit_history(root, [
        {"manifests/istio/values.yaml": "gateway:\n  name: istio-ingressgateway\n",
         "manifests/certs/values.yaml": "secret:\n  name: kyma-gateway-certs\n",
         "manifests/eventing/controller.yaml": DEPLOYMENT.replace("eventing-controller", "eventing-manager"),
         "runbooks/gateway.md": runbook},
        {"manifests/istio/values.yaml": "gateway:\n  secret:\n    name: ingressgateway-ca-certs\n",
         "manifests/certs/values.yaml": "secret:\n  name: kyma-gateway-certs-cacert\n",
         "manifests/eventing/controller.yaml": DEPLOYMENT},
        {"manifests/certs/values.yaml": "secret:\n  name: kyma-gateway-certs\n"},
    ])
    findings = [f for f in check(root)["findings"] if f["rule"] == "RBH101"]
    assert [(f["line"], f["suggestion"]) for f in findings] == [(4, None), (5, None), (6, "eventing-controller")]
    assert findings[2]["message"].startswith("deployment `eventing-manager` not found")


def test_a_rename_chain_back_to_the_name_is_no_rename():
    """Two names swapped (kyma's gateway Secrets in a values file): following the chain from either
    ends at the name itself, which is no rename of it; a chain to a third name still is."""
    from rbh.checks.history import ManifestHistory, Rename

    history = ManifestHistory(renames={
        "certs": Rename("certs", "certs-cacert", "a" * 40, "name", "values.yaml"),
        "certs-cacert": Rename("certs-cacert", "certs", "b" * 40, "name", "values.yaml"),
        "old": Rename("old", "new", "c" * 40, "name", "values.yaml"),
    })
    assert history.renamed_to("certs") is None
    assert history.renamed_to("certs-cacert") is None
    assert history.renamed_to("old").new == "new"


SERVICE_TEMPLATE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ include "nats.fullname" . }}
  namespace: {{ .Release.Namespace }}
spec:
  selector: {app: nats}
  ports: [{port: 4222}]
"""


def test_not_found_is_a_warning_when_helm_templates_of_that_kind_were_skipped(tmp_path):
    """kyma: every Service, Deployment and PVC of the platform is in a Helm template (`name: {{ include
    "nats.fullname" . }}`), skipped unrendered; 43 RBH101 errors said `eventing-nats` and others were
    "not found in namespace kyma-system or any other". The name may be in the chart: a warning that
    says so. A kind no skipped template declares is still an error, and so is a near-identical spelling
    of an object that exists (a typo, though templates declare Deployments too)."""
    root = tmp_path / "kyma"
    commit_history(root, [{
        "resources/eventing/charts/nats/Chart.yaml": "apiVersion: v2\nname: nats\nversion: 1.0.0\n",
        "resources/eventing/charts/nats/templates/service.yaml": SERVICE_TEMPLATE,
        "resources/eventing/charts/nats/templates/more-services.yaml": SERVICE_TEMPLATE.replace("nats.fullname", "nats.client"),
        "resources/eventing/controller.yaml": DEPLOYMENT,
        "resources/eventing/charts/controller/templates/deployment.yaml": DEPLOYMENT.replace("name: eventing-controller\n", "name: {{ .Release.Name }}\n"),
        "docs/jetstream.md": "# JetStream\n\n```bash\nkubectl -n kyma-system port-forward svc/eventing-nats 8222\n"
                             "kubectl -n kyma-system get configmap eventing-config\n"
                             "kubectl -n kyma-system logs deploy/eventing-controler\n```\n",
        "rbh.yaml": "runbooks:\n  include: ['docs/**/*.md']\nmanifests:\n  include: ['resources/**/*.yaml']\n",
    }])
    assert [(f["line"], f["message"], f["severity"]) for f in check(root)["findings"] if f["rule"] == "RBH101"] == [
        (4, "service `eventing-nats` not found in namespace `kyma-system` or any other; 2 unrendered Helm "
                      "templates that define services were skipped: check the output of 'helm template'", "warning"),
        (5, "configmap `eventing-config` not found in namespace `kyma-system` or any other", "error"),
        (6, "deployment `eventing-controler` not found in namespace `kyma-system` or any other", "error"),
    ]


def test_a_path_that_is_the_text_of_a_link_to_another_site_is_not_a_repository_path(tmp_path):
    """rust-lang/rust-forge: the triagebot pages say "See [`src/handlers/close.rs`](https://github.com/
    rust-lang/triagebot/blob/HEAD/src/handlers/close.rs)" (42 times); the forge has a `src/` folder of
    its own, so RBH303 said the path does not exist. The link names the file in the repository it
    points to. The same path in plain inline code, as the text of a relative link, or of a link to this
    repository itself (its remote: grafana/loki's docs link `operator/cmd/size-calculator` to
    github.com/grafana/loki), is still checked."""
    root = tmp_path / "forge"
    repo, _ = commit_history(root, [{
        "src/SUMMARY.md": "# Summary\n\n- [Close](./triagebot/close.md)\n",
        "src/triagebot/close.md": (
            "# Close\n\nSee [`src/handlers/close.rs`](https://github.com/rust-lang/triagebot/blob/HEAD/src/handlers/close.rs)"
            " and [the `src/zulip.rs` handler](https://github.com/rust-lang/triagebot/blob/HEAD/src/zulip.rs).\n\n"
            "Edit `src/handlers/close.rs` here, or [`src/triagebot/closed.md`](./closed.md).\n\n"
            "Its twin is [`src/triagebot/open.md`](https://github.com/Rust-Lang/rust-forge/blob/HEAD/src/triagebot/open.md).\n"),
        "book.toml": "[book]\nsrc = \"src\"\n",
    }])
    repo.create_remote("origin", "https://ci-token:secret@github.com/rust-lang/rust-forge.git")
    assert [(f[0], f[2], f[3]) for f in found(check(root)) if f[0] == "RBH303"] == [
        ("RBH303", 5, "repository path `src/handlers/close.rs` does not exist"),
        ("RBH303", 5, "repository path `src/triagebot/closed.md` does not exist"),
        ("RBH303", 7, "repository path `src/triagebot/open.md` does not exist"),
    ]


def test_a_link_to_a_page_an_mdbook_redirects_reaches_the_new_page(tmp_path):
    """rust-lang/rust-forge: `compiler/mcp.md` was folded into `proposals-and-stabilization.md` and
    book.toml's `[output.html.redirect]` sends `compiler/mcp.html` there, so `[MCP](./mcp.md)` still
    reaches a page, as MkDocs and tech-docs redirects already count. A relative redirect target is
    read from the old page's folder; a link to a page nothing redirects is still broken."""
    root = tmp_path / "forge"
    commit_history(root, [{
        "book.toml": ('[book]\ntitle = "Forge"\nsrc = "src"\n\n[output.html.redirect]\n'
                      '"compiler/mcp.html" = "/compiler/proposals-and-stabilization.html"\n'
                      '"compiler/steering.html" = "meetings.html"\n"chat/index.html" = "https://example.org/chat"\n'),
        "src/SUMMARY.md": "# Summary\n\n- [Compiler](./compiler/index.md)\n",
        "src/compiler/index.md": "# Compiler\n",
        "src/compiler/proposals-and-stabilization.md": "# Proposals\n",
        "src/compiler/meetings.md": "# Meetings\n",
        "src/compiler/notification-groups.md": (
            "# Notification groups\n\nFile an [MCP](./mcp.md), see the [steering meeting](steering.md) and "
            "[chat](../chat/index.md); the [old page](./gone.md) is gone.\n"),
    }])
    assert [(f[0], f[3]) for f in found(check(root)) if f[0] == "RBH301"] == [
        ("RBH301", "link target `./gone.md` does not exist"),
    ]
