"""Round 7 of the new-user trial (bench/README.md): an AKS platform run with Terraform
(DFE-Digital/teacher-services-cloud), the NAIS docs with Jinja partials and macros (nais/doc) and the
Rook Ceph documentation with its example manifests (rook/rook), each false error, wrong suggestion or
wrong answer reduced to a minimal reproduction in a real temporary git repository.
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found


def test_github_anchor_keeps_the_marks_of_a_keycap_emoji(tmp_path):
    """teacher-services-cloud `documentation/redis-migration.md`: a table of contents links
    `#1️⃣-azure-opens-the-migration-experience`, the anchor GitHub gives `##### 1️⃣ Azure opens ...`
    (GitHub keeps `\\p{Word}`, marks included: the variation selector and the enclosing keycap stay,
    the emoji symbol goes); `## ⚠️ Warning` is `#️-warning` (the selector stays). A heading
    that does not exist is still reported."""
    root = tmp_path / "tsc"
    commit_history(root, [{
        "documentation/redis-migration.md": "# Redis migration\n\n"
                                            "- [1️⃣ Azure opens the migration experience](#1️⃣-azure-opens-the-migration-experience)\n"
                                            "- [⚠️ Warning](#️-warning)\n"
                                            "- [wrong](#2️⃣-azure-opens-the-migration-experience)\n\n"
                                            "##### 1️⃣ Azure opens the migration experience\n\ntext\n\n"
                                            "## ⚠️ Warning\n\ntext\n",
    }])
    assert found(check(root)) == [
        ("RBH302", "documentation/redis-migration.md", 5,
         "anchor `#2️⃣-azure-opens-the-migration-experience` not found in `documentation/redis-migration.md`"),
    ]


ROOK_MANIFESTS = """\
apiVersion: ceph.rook.io/v1
kind: CephCluster
metadata:
  name: rook-ceph
  namespace: rook-ceph
spec: {}
---
apiVersion: ceph.rook.io/v1
kind: CephObjectStore
metadata:
  name: my-store
  namespace: rook-ceph
spec: {}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rook-ceph-tools
  namespace: rook-ceph
spec:
  selector: {matchLabels: {app: rook-ceph-tools}}
  template:
    metadata: {labels: {app: rook-ceph-tools}}
    spec:
      containers: [{name: rook-ceph-tools, image: quay.io/ceph/ceph:v19}]
"""


def test_objects_named_after_a_custom_resource_are_the_operators(tmp_path):
    """rook/rook: `deploy/examples/` holds the CephCluster `rook-ceph` and the CephObjectStore
    `my-store`; the operator makes the Deployments `rook-ceph-mon-a`... and the Service
    `rook-ceph-rgw-my-store`, which no manifest defines. The troubleshooting guide's commands name them:
    a warning that says which resource's operator makes them, not a CI failure. A name no custom
    resource is part of (`csi-rbdplugin`) stays an error."""
    root = tmp_path / "rook"
    commit_history(root, [{
        "deploy/examples/cluster.yaml": ROOK_MANIFESTS,
        "rbh.yaml": 'runbooks:\n  include: ["Documentation/**/*.md"]\nmanifests:\n  include: ["deploy/examples/**/*.yaml"]\n',
        "Documentation/Troubleshooting/common-issues.md":
            "# Common issues\n\n```console\n"
            "$ kubectl -n rook-ceph get svc rook-ceph-rgw-my-store\n"
            "$ kubectl -n rook-ceph scale deployment rook-ceph-mon-a --replicas=0\n"
            "$ kubectl -n rook-ceph logs deploy/csi-rbdplugin -c driver-registrar\n"
            "$ kubectl -n rook-ceph exec -it deploy/rook-ceph-tools -- ceph status\n```\n",
    }])
    report = check(root)
    assert [(f["severity"], f["line"], f["message"]) for f in report["findings"] if f["rule"] == "RBH101"] == [
        ("warning", 4, "service `rook-ceph-rgw-my-store` not found in namespace `rook-ceph` or any other"
                       " (probably made by the operator of CephObjectStore `my-store`)"),
        ("warning", 5, "deployment `rook-ceph-mon-a` not found in namespace `rook-ceph` or any other"
                       " (probably made by the operator of CephCluster `rook-ceph`)"),
        ("error", 6, "deployment `csi-rbdplugin` not found in namespace `rook-ceph` or any other"),
    ]


def test_a_jinja_included_partial_links_from_the_pages_that_include_it(tmp_path):
    """nais/doc: `docs/auth/partials/validate-manually.md` is pasted into each provider's reference
    page with `{% include 'auth/partials/validate-manually.md' %}` (a path from the docs root). Its
    `../../explanations/README.md` and `#runtime-variables-credentials` are right from those pages
    (`docs/auth/<provider>/reference/` -> `docs/auth/explanations/`), not from the partial's folder; the headings of an included
    partial are anchors of the page. A link broken from an including page is still reported, naming it."""
    root = tmp_path / "nais"
    partial = ("While we recommend [the endpoint](#runtime-variables-credentials), see\n"
               "[concepts](../../explanations/README.md) and [specific groups](#groups).\n\n"
               "#### Groups\n\ntext\n\n[gone](../gone.md)\n")
    page = ("# Entra ID reference\n\n## Runtime variables & credentials\n\ntext\n\n"
            "{% include 'auth/partials/validate-manually.md' %}\n\n[see groups](#groups)\n")
    commit_history(root, [{
        "docs/auth/partials/validate-manually.md": partial,
        "docs/auth/entra-id/reference/README.md": page,
        "docs/auth/explanations/README.md": "# Concepts\n",
        "docs/auth/maskinporten/reference/README.md": page.replace("Entra ID", "Maskinporten"),
        "docs/auth/entra-id/gone.md": "# Gone\n",
    }])
    assert found(check(root)) == [
        ("RBH301", "docs/auth/partials/validate-manually.md", 8,
         "link target `../gone.md` does not exist from `docs/auth/maskinporten/reference/README.md`, which includes this file"),
    ]


def test_template_link_targets_and_text_fragments_are_not_paths(tmp_path):
    """nais/doc writes its per-tenant URLs as Jinja with `<< >>` delimiters,
    `[Grafana](<<tenant_url("grafana")>>)` and `[grafana]: <<tenant_url("grafana", "explore")>>`: values
    only the site build knows. `../reference/README.md#claims:~:text=groups` is the anchor `claims`
    with a browser text fragment."""
    root = tmp_path / "nais"
    commit_history(root, [{
        "docs/observability/README.md": "# Observability\n\nOpen [Grafana](<<tenant_url(\"grafana\")>>) or [explore][e] ([scopes][missing]).\n\n"
                                        "[e]: <<tenant_url(\"grafana\", \"explore\")>>\n"
                                        "[groups-claim]: reference/README.md#claims:~:text=groups\n"
                                        "[missing]: reference/README.md#scopes:~:text=x\n",
        "docs/observability/reference/README.md": "# Reference\n\n## Claims\n\ntext\n",
    }])
    assert found(check(root)) == [
        ("RBH302", "docs/observability/README.md", 7, "anchor `#scopes` not found in `docs/observability/reference/README.md`"),
    ]


def test_a_link_written_from_the_repository_root_suggests_that_file(tmp_path):
    """teacher-services-cloud `documentation/platform-set-up.md` links
    `cluster/terraform_kubernetes/variables.tf` and `onboard-service.md` links
    `cluster\\terraform_kubernetes\\config\\test.tfvars.json`: paths from the repository root, broken from
    `documentation/`. The suggestion was `../airbyte/terraform/variables.tf`, a file of the same name
    elsewhere; the file meant is the one at that path from the root."""
    root = tmp_path / "tsc"
    commit_history(root, [{
        "cluster/terraform_kubernetes/variables.tf": "variable \"a\" {}\n",
        "cluster/terraform_kubernetes/config/test.tfvars.json": "{}\n",
        "airbyte/terraform/variables.tf": "variable \"b\" {}\n",
        "airbyte/terraform/config/test.tfvars.json": "{}\n",
        "documentation/platform-set-up.md": "# Platform set-up\n\nSee [variables](cluster/terraform_kubernetes/variables.tf) and\n"
                                            "[test](cluster\\terraform_kubernetes\\config\\test.tfvars.json).\n",
    }])
    assert [(f["line"], f["message"], f["suggestion"]) for f in check(root)["findings"]] == [
        (3, "link target `cluster/terraform_kubernetes/variables.tf` does not exist", "../cluster/terraform_kubernetes/variables.tf"),
        (4, "link target `cluster\\terraform_kubernetes\\config\\test.tfvars.json` does not exist",
         "../cluster/terraform_kubernetes/config/test.tfvars.json"),
    ]


CEPH_RULES = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: prometheus-ceph-rules
  namespace: rook-ceph
spec:
  groups:
    - name: cluster health
      rules:
        - alert: "CephMonDownQuorumAtRisk"
          annotations:
            description: "{{ $min := printf \\"floor(count(ceph_mon_metadata{cluster='%s'}) / 2) + 1\\" .Labels.cluster | query | first | value }}Quorum requires a majority of monitors (x {{ $min }}) to be active. Without quorum the cluster will become inoperable."
            documentation: "https://docs.ceph.com/en/latest/rados/operations/health-checks#mon-down"
            summary: "Monitor quorum is at risk on cluster {{ $labels.cluster }}"
          expr: ceph_health_detail{name="MON_DOWN"} == 1
"""

MON_HEALTH = """\
# Monitor Health

## Monitor Quorum

Multiple mons work together to provide redundancy. A majority of the monitors must be active to
form quorum; when too many monitors are down the cluster becomes inoperable.

## Failing over a Monitor

The operator fails over a mon that is out of quorum for too long.
"""

OSD_MGMT = """\
# Ceph OSD Management

## Remove an OSD

Scale down the OSD deployment, mark the OSD out and purge it from the cluster.
"""


def test_an_alert_without_a_runbook_is_looked_up_by_what_its_rule_says(tmp_path):
    """rook/rook: the 89 Ceph alerts of `deploy/examples/monitoring/localrules.yaml` have no
    runbook_url and no heading of their name. `rbh ask CephMonDownQuorumAtRisk` retrieved with the
    bare name, one token no page has, and answered "Monitors are the only pods running > Investigation";
    the rule's summary and description ("Monitor quorum is at risk", "Quorum requires a majority of
    monitors ...", their template code left out) name the page about mon quorum. The answer says that
    no runbook is linked and gives the rule's `documentation:` link."""
    from ask_support import ask_json, index

    root = tmp_path / "rook"
    commit_history(root, [{
        "deploy/examples/monitoring/localrules.yaml": CEPH_RULES,
        "Documentation/Storage-Configuration/Advanced/ceph-mon-health.md": MON_HEALTH,
        "Documentation/Storage-Configuration/Advanced/ceph-osd-mgmt.md": OSD_MGMT,
        "rbh.yaml": 'runbooks:\n  include: ["Documentation/**/*.md"]\nmanifests:\n  include: ["deploy/examples/**/*.yaml"]\n',
    }])
    index(root)
    answer = ask_json(root, "CephMonDownQuorumAtRisk")
    first = answer["results"][0]
    assert (first["path"], first["heading"]) == ("Documentation/Storage-Configuration/Advanced/ceph-mon-health.md", "Monitor Quorum")
    # the responder is told the answer is a search, and where the rule's own documentation is
    assert answer["notices"] == [
        "alert `CephMonDownQuorumAtRisk` (deploy/examples/monitoring/localrules.yaml:10) links no runbook: the sections "
        "below were found by its rule's summary and description; its rule links documentation: "
        "https://docs.ceph.com/en/latest/rados/operations/health-checks#mon-down"]


def test_terraform_files_in_the_manifest_globs_get_one_clear_warning_each(tmp_path):
    """teacher-services-cloud defines its Kubernetes objects as Terraform resources
    (`cluster/terraform_kubernetes/*.tf`) and its alert rules as `templatefile()` templates
    (`*.rules.tmpl`, a `%{ for app in apps ~}` loop). A team that puts them in `manifests.include` got
    a "not valid YAML" error per file (26 errors failing CI) beside "document is a str" warnings; each
    file now gets one warning that says what it is. A plain rule template is still read."""
    root = tmp_path / "tsc"
    commit_history(root, [{
        "cluster/terraform_kubernetes/prometheus.tf": 'resource "kubernetes_deployment" "prometheus" {\n'
                                                      '  metadata {\n    name = "prometheus"\n  }\n}\n',
        "cluster/terraform_kubernetes/config/app_alert.rules.tmpl": "groups:\n- name: Container restarts\n  rules:\n"
                                                                    "%{ for instance in apps ~}\n"
                                                                    "  - alert: High CPU for ${instance.app_name}\n"
                                                                    "    expr: up == 0\n%{ endfor ~}\n",
        "cluster/terraform_kubernetes/config/node_alert.rules.tmpl": "groups:\n- name: Node file system\n  rules:\n"
                                                                     "  - alert: High disk usage for node\n    expr: up == 0\n",
        "documentation/node-filesystems.md": "# Node filesystems\n\n## Disk usage troubleshooting\n\ntext\n",
        "rbh.yaml": 'runbooks:\n  include: ["documentation/*.md"]\nmanifests:\n'
                    '  include: ["cluster/terraform_kubernetes/**/*.tf", "cluster/terraform_kubernetes/config/*.tmpl"]\n',
    }])
    assert [(f["severity"], f["path"], f["line"], f["message"]) for f in check(root)["findings"]] == [
        ("warning", "cluster/terraform_kubernetes/config/app_alert.rules.tmpl", 4,
         "unrendered Terraform template (%{ ... }): skipped; check the rendered output instead"),
        ("warning", "cluster/terraform_kubernetes/config/node_alert.rules.tmpl", 4,
         "alert `High disk usage for node` has no runbook_url annotation"),
        ("warning", "cluster/terraform_kubernetes/prometheus.tf", 1,
         "Terraform configuration (HCL), not a manifest format rbh reads: skipped; check the YAML it renders instead, "
         "or leave it out of manifests.include"),
    ]


def test_a_long_flag_with_one_dash_says_how_kubectl_reads_it(tmp_path):
    """rook/rook `upgrade-external.md`: `kubectl get configmap -namespace rook-ceph
    external-cluster-user-command`. kubectl reads `-namespace` as `-n amespace`, and `rook-ceph` as a
    second name: the finding was right but read "configmap `rook-ceph` not found in namespace
    `amespace`"; it now says why."""
    root = tmp_path / "rook"
    commit_history(root, [{
        "deploy/examples/cluster.yaml": ROOK_MANIFESTS,
        "rbh.yaml": 'runbooks:\n  include: ["Documentation/**/*.md"]\nmanifests:\n  include: ["deploy/examples/**/*.yaml"]\n',
        "Documentation/upgrade-external.md": "# Upgrade\n\n```console\n"
                                             "$ kubectl get configmap -namespace rook-ceph external-cluster-user-command\n```\n",
    }])
    assert [f["message"] for f in check(root)["findings"] if f["rule"] == "RBH101"] == [
        "configmap `rook-ceph` not found in namespace `amespace` or any other"
        " (kubectl reads `-namespace` as `-n amespace`: `--namespace` was meant)",
        "configmap `external-cluster-user-command` not found in namespace `amespace` or any other"
        " (kubectl reads `-namespace` as `-n amespace`: `--namespace` was meant)",
    ]


def test_program_sources_in_the_manifest_globs_get_one_clear_warning_each(tmp_path):
    """nais/doc: a glob over the site app (`svdoc/**/*.ts`) named its TypeScript routes as manifests; each
    got "not valid YAML: mapping values are not allowed" as an error. Like Terraform, a program source
    is skipped with one warning saying what it is."""
    root = tmp_path / "nais"
    commit_history(root, [{
        "svdoc/src/routes/tags/[tag]/+page.server.ts": "import type { PageServerLoad } from './$types';\n"
                                                      "export const load: PageServerLoad = async ({ params }) => {\n"
                                                      "  return { tag: params.tag };\n};\n",
        "docs/README.md": "# Nais\n\ntext\n",
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["svdoc/**/*.ts"]\n',
    }])
    assert [(f["severity"], f["message"]) for f in check(root)["findings"]] == [
        ("warning", "TypeScript source, not a manifest format rbh reads: skipped; leave it out of manifests.include"),
    ]
