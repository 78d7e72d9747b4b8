"""Round 14 of the new-user trial (bench/README.md): a platform repository whose Prometheus alert
rules are HCL objects in Terraform (alexpermiakov/paved-road-platform, `kubectl_manifest` with
`yamlencode({ kind = "PrometheusRule" ... })`), their runbook_urls pointing into its own
`docs/runbooks/`, reduced to a minimal reproduction in a real temporary git repository (alert names
and paths as there, shortened; the prose is our own).
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, cli, found

BLOB = "https://github.com/acme/platform/blob/main/docs/runbooks"

SLO_TF = '''# SLO alerts
resource "kubectl_manifest" "slo_rules" {
  yaml_body = yamlencode({
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "PrometheusRule"
    metadata = {
      name = "slo-rules"
      labels = {
        "app.kubernetes.io/part-of" = "kube-prometheus-stack" # a quoted key
      }
    }
    spec = {
      groups = [
        {
          name = "slo"
          rules = [
            {
              record = "sli:success_rate_5m"
              expr   = <<-EOT
                sum(rate(http_requests_total{status!~"5.."}[5m])) /* not a comment */
              EOT
            },
            {
              alert = "SLOErrorBudgetBurn"
              expr  = "sli:success_rate_5m < 0.999"
              for   = "5m"
              labels = { severity = "warning" }
              annotations = {
                description = "{{ $labels.service }} burns its budget {"
                runbook_url = "%(blob)s/slo-budget-burn.md"
              }
            },
            {
              alert = "SLOErrorBudgetExhausted"
              expr  = "sli:success_rate_5m < 0.99"
              annotations = {
                runbook_url = "%(blob)s/slo-budget-exhausted.md"
              }
            },
            {
              alert = "NodeNotReady"
              expr  = "kube_node_status_condition == 0"
              annotations = {
                runbook_url = "${var.runbook_base}/node-not-ready.md"
              }
            },
          ]
        }
      ]
    }
  })
}
''' % {"blob": BLOB}


def test_alert_rules_written_in_terraform_have_their_runbook_urls_checked(tmp_path):
    """paved-road-platform: six alerts in `infra/modules/monitoring/slo.tf` (HCL objects inside
    `yamlencode`), five of them linking runbooks that were never written; rbh skipped the `.tf`
    file with one RBH002 warning and reported nothing (0 errors, CI green). Now the objects with a
    literal `alert = "..."` are read as alert rules: the runbook_url of a missing runbook is RBH203 at
    its line, the one that exists is fine, a URL whose base is an interpolation (`${var.x}`) stays
    unchecked like a template's, the runbook naming the Terraform alert finds it (no RBH201), and the
    file's RBH002 says what was read. Braces and comment marks inside strings and heredocs do not
    disturb the reading."""
    root = tmp_path / "prp"
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["infra/**/*.tf"]\n',
        "infra/modules/monitoring/slo.tf": SLO_TF,
        "infra/modules/monitoring/variables.tf":
            'variable "runbook_base" {\n  type = string\n}\nmodule "pager" {\n  alert = "enabled" # a setting, no rule\n}\n',
        "docs/runbooks/slo-budget-burn.md":
            "# SLO budget burn\n\nFires as `SLOErrorBudgetBurn`.\n\n## Mitigation\n\nRoll back.\n",
    }])
    assert found(check(root)) == [
        ("RBH002", "infra/modules/monitoring/slo.tf", 1,
         'Terraform configuration (HCL), not a manifest format rbh reads: only its 3 alert rule(s) (objects with alert = "...") were read'),
        ("RBH203", "infra/modules/monitoring/slo.tf", 37,
         "runbook_url of alert `SLOErrorBudgetExhausted` points to `docs/runbooks/slo-budget-exhausted.md`, "
         "which does not exist; "
         "create it with `rbh new SLOErrorBudgetExhausted`"),
        ("RBH002", "infra/modules/monitoring/variables.tf", 1,
         "Terraform configuration (HCL), not a manifest format rbh reads: skipped; check the YAML it renders instead, "
         "or leave it out of manifests.include"),
    ]


def test_terraform_holding_alert_rules_is_named_when_no_manifests_are_configured(tmp_path):
    """paved-road-platform without rbh.yaml: the note on unconfigured manifests named the Kyverno
    policies but not `slo.tf`, the one file holding the alert rules (the `{{ $labels.x }}` in its
    descriptions would also have excluded a YAML file). A Terraform file with `alert = "..."` objects
    is now named first, with a `*.tf` glob; one without alert rules is not named; following the
    note finds the missing runbook."""
    root = tmp_path / "prp"
    commit_history(root, [{
        "docs/runbooks/slo-budget-burn.md": "# SLO budget burn\n\nRoll back.\n",
        "infra/modules/monitoring/slo.tf": SLO_TF,
        "infra/modules/eks/main.tf": 'resource "aws_eks_cluster" "this" {\n  name = "platform"\n}\n',
        "infra/modules/security/policies/require-labels.yaml":
            "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: require-labels\n",
    }])
    report = check(root)
    assert report["notices"] == [
        "no manifests configured (and no manifests/ folder): runbooks were checked for links, anchors and "
        "reviews only, not against alert rules or workloads; files that look like manifests: "
        "infra/modules/monitoring/slo.tf, infra/modules/security/policies/require-labels.yaml; to check against "
        "them, set manifests.include in rbh.yaml, e.g. [infra/modules/monitoring/**/*.tf, "
        "infra/modules/security/policies/**/*.y*ml]"]
    (root / "rbh.yaml").write_text('runbooks:\n  include: ["docs/**/*.md"]\n'
                                   'manifests:\n  include: ["infra/modules/monitoring/**/*.tf"]\n')
    assert [f[0] for f in found(check(root))] == ["RBH002", "RBH203"]


def test_a_missing_runbook_is_expected_in_the_runbook_folder_its_url_names(tmp_path):
    """paved-road-platform: RBH203 said the runbook_url `.../blob/main/docs/runbooks/pvc-full.md`
    points to `pvc-full.md`, and `rbh new` wrote the skeleton at the repository root, where the link
    still 404s. The expected path is the longest tail of the URL whose folder holds runbooks
    (`docs/runbooks/pvc-full.md`); a URL whose folders hold none keeps the file name alone."""
    root = tmp_path / "prp"
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["rules/*.yaml"]\n',
        "docs/runbooks/slo-budget-burn.md": "# SLO budget burn\n\nRoll back.\n",
        "rules/alerts.yaml": (
            "groups:\n- name: k8s\n  rules:\n"
            "  - alert: PersistentVolumeNearlyFull\n    expr: kubelet_volume_stats_available_bytes < 1\n"
            f"    annotations:\n      runbook_url: {BLOB}/pvc-full.md\n"
            "  - alert: NodeNotReady\n    expr: kube_node_status_condition == 0\n"
            "    annotations:\n      runbook_url: https://github.com/acme/other/blob/main/ops/node-not-ready.md\n"),
    }])
    assert [f[3].split(",")[0] for f in found(check(root))] == [
        "runbook_url of alert `PersistentVolumeNearlyFull` points to `docs/runbooks/pvc-full.md`",
        "runbook_url of alert `NodeNotReady` points to `node-not-ready.md`",
    ]
    code, out, err = cli(["new", "PersistentVolumeNearlyFull", "--repo", str(root)])
    assert code == 0, err
    assert (root / "docs/runbooks/pvc-full.md").is_file() and not (root / "pvc-full.md").exists()
