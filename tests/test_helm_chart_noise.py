"""Unrendered Helm charts: one RBH002 warning per chart, not one per template file (new-user round 8,
kyma: 506 per-file warnings buried the 7 real errors of a CI log). Real git repositories in temp
folders, the CLI as CI runs it, exact findings and exit codes in every format; the baseline written by
an earlier version (one entry per template) still covers the chart's warning."""

from __future__ import annotations

import json
from pathlib import Path

from ask_support import cli
from checks_support import commit_history
from newuser_support import check, found

from rbh.checks import baseline as bl
from rbh.checks.model import Finding, Severity

HELM = "unrendered Helm template ({{ ... }}): skipped; check the output of 'helm template' instead"

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ include "nats.fullname" . }}
  namespace: kyma-system
spec:
  ports: [{port: 4222}]
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-controller
spec:
  template:
    spec:
      containers: [{name: manager, image: "{{ .Values.image }}"}]
"""

CONFIG = "runbooks:\n  include: ['docs/**/*.md']\nmanifests:\n  include: ['resources/**/*.yaml', 'installation/**/*.yaml']\n"

FILES: dict[str, str | bytes | None] = {
    # chart 1, three templates
    "resources/eventing/Chart.yaml": "apiVersion: v2\nname: eventing\nversion: 1.0.0\n",
    "resources/eventing/values.yaml": "image: eventing-controller:1\n",
    "resources/eventing/templates/deployment.yaml": DEPLOYMENT,
    "resources/eventing/templates/service.yaml": SERVICE,
    "resources/eventing/templates/nested/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
    # chart 2 (a subchart is a chart of its own), two templates
    "resources/eventing/charts/nats/Chart.yml": "apiVersion: v1\nname: nats\nversion: 0.1.0\n",
    "resources/eventing/charts/nats/templates/service.yaml": SERVICE,
    "resources/eventing/charts/nats/templates/statefulset.yaml": DEPLOYMENT.replace("Deployment", "StatefulSet"),
    # a chart with one template keeps its per-file warning
    "resources/istio/Chart.yaml": "apiVersion: v2\nname: istio\nversion: 1.0.0\n",
    "resources/istio/templates/gateway.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Values.name }}\n",
    # a loose template, outside any chart
    "installation/resources/loose.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ .Values.ns }}\n",
    "installation/resources/gateway.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: api-gateway\n  namespace: kyma-system\n",
    "docs/eventing.md": "# Eventing\n\n```bash\nkubectl -n kyma-system get svc nats\n```\n\nSee [setup](missing.md).\n",
    "rbh.yaml": CONFIG,
}

EVENTING = ("Helm chart resources/eventing: 3 unrendered template files skipped (e.g. templates/deployment.yaml:4); "
            "render it with 'helm template' and point manifests.include at the output, "
            "or add 'resources/eventing/**' to manifests.exclude")
NATS = ("Helm chart resources/eventing/charts/nats: 2 unrendered template files skipped (e.g. templates/service.yaml:4); "
        "render it with 'helm template' and point manifests.include at the output, "
        "or add 'resources/eventing/charts/nats/**' to manifests.exclude")
RBH101 = ("service `nats` not found in namespace `kyma-system` or any other; 2 unrendered Helm templates that define "
          "services were skipped: check the output of 'helm template'")

EXPECTED = [
    ("RBH301", "docs/eventing.md", 7, "error"),
    ("RBH101", "docs/eventing.md", 4, "warning", RBH101),
    ("RBH002", "installation/resources/loose.yaml", 4, "warning", HELM),
    ("RBH002", "resources/eventing/Chart.yaml", 1, "warning", EVENTING),
    ("RBH002", "resources/eventing/charts/nats/Chart.yml", 1, "warning", NATS),
    ("RBH002", "resources/istio/templates/gateway.yaml", 4, "warning", HELM),
]


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "kyma"
    commit_history(root, [FILES])
    return root


def _rbh(root: Path, *args: str) -> tuple[int, str, str]:
    return cli(["check", "--repo", str(root), *args])


def test_one_warning_per_chart_in_json_and_exit_codes(tmp_path):
    root = _repo(tmp_path)
    report = check(root)
    rows = {(f["rule"], f["path"], f["line"]): f for f in report["findings"]}
    assert sorted(rows) == sorted((e[0], e[1], e[2]) for e in EXPECTED)
    for e in EXPECTED:
        f = rows[e[:3]]
        assert f["severity"] == e[3]
        if len(e) > 4:
            assert f["message"] == e[4]
    # RBH101 still counts the skipped templates that declare the kind (the two `kind: Service` files,
    # in two charts): the inventory keeps one problem per file, only the report groups them
    assert _rbh(root, "--fail-on", "error")[0] == 1  # the broken link
    assert _rbh(root, "--fail-on", "warning", "--format", "json")[0] == 1


def test_every_format_shows_the_chart_once(tmp_path):
    root = _repo(tmp_path)
    code, out, err = _rbh(root, "--format", "github", "--fail-on", "never")
    assert code == 0, err
    rbh002 = [line for line in out.splitlines() if "RBH002" in line]
    assert len(rbh002) == 4
    assert sum("file=resources/eventing/Chart.yaml,line=1" in line for line in rbh002) == 1
    assert not any("templates/deployment.yaml,line" in line or "nats/templates" in line for line in rbh002)
    code, out, err = _rbh(root, "--format", "sarif", "--fail-on", "never")
    results = json.loads(out)["runs"][0]["results"]
    paths = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results if r["ruleId"] == "RBH002")
    assert paths == ["installation/resources/loose.yaml", "resources/eventing/Chart.yaml",
                     "resources/eventing/charts/nats/Chart.yml", "resources/istio/templates/gateway.yaml"]
    code, out, err = _rbh(root, "--format", "text", "--fail-on", "never")
    assert out.count("3 unrendered template files skipped") == 1 and "templates/service.yaml:4" in out
    assert "resources/eventing/templates/deployment.yaml" not in out


def _old_baseline(path: Path) -> None:
    """The baseline an earlier rbh wrote: every finding, one RBH002 entry per template file."""
    per_file = [Finding("RBH002", "manifest-unreadable", Severity.warning, p, 4, 1, HELM, reference=f"template:{HELM}")
                for p, text in FILES.items() if isinstance(text, str) and "{{" in text]
    report = check(path.parent)
    others = [Finding(f["rule"], f["name"], Severity.parse(f["severity"]), f["path"], f["line"], f["column"], f["message"],
                      reference=f["reference"]) for f in report["findings"] if f["rule"] != "RBH002"]
    path.write_text(bl.dumps(bl.entries_for(per_file + others)), encoding="utf-8")


def test_a_baseline_of_per_file_warnings_still_covers_the_chart(tmp_path):
    root = _repo(tmp_path)
    _old_baseline(root / ".rbh-baseline.json")
    code, out, err = _rbh(root, "--fail-on", "warning", "--format", "json")
    report = json.loads(out)
    assert code == 0, out
    assert [f for f in report["findings"] if not f.get("suppressed")] == []
    assert not any("no longer match" in n for n in report.get("notices", [])), report.get("notices")
    # a template the baseline never saw: the chart's warning is new debt
    (root / "resources/eventing/templates/hpa.yaml").write_text(DEPLOYMENT.replace("Deployment", "HorizontalPodAutoscaler"))
    code, out, err = _rbh(root, "--fail-on", "warning", "--format", "json")
    assert code == 1
    assert [(f["path"], f["message"].split(":")[1].strip()) for f in json.loads(out)["findings"] if not f.get("suppressed")] == [
        ("resources/eventing/Chart.yaml", "4 unrendered template files skipped (e.g. templates/deployment.yaml")]
    # rewritten: one entry for the chart, which stays known as templates come and go
    assert _rbh(root, "--write-baseline")[0] == 0
    entries = json.loads((root / ".rbh-baseline.json").read_text())["findings"]
    assert [e["path"] for e in entries if e["rule"] == "RBH002"] == [
        "installation/resources/loose.yaml", "resources/eventing/Chart.yaml", "resources/eventing/charts/nats/Chart.yml",
        "resources/istio/templates/gateway.yaml"]
    (root / "resources/eventing/templates/pdb.yaml").write_text(DEPLOYMENT.replace("Deployment", "PodDisruptionBudget"))
    assert _rbh(root, "--fail-on", "warning")[0] == 0


def test_changed_since_reports_the_chart_when_a_template_changed(tmp_path):
    root = _repo(tmp_path)
    (root / "resources/eventing/charts/nats/templates/service.yaml").write_text(SERVICE + "  labels: {natsonly: jetstream}\n")
    code, out, err = _rbh(root, "--changed-since", "HEAD", "--format", "json", "--fail-on", "never")
    assert code == 0, err
    assert [f[:3] for f in found(json.loads(out))] == [("RBH002", "resources/eventing/charts/nats/Chart.yml", 1)]


def test_a_directive_in_chart_yaml_hides_the_chart_warning(tmp_path):
    root = _repo(tmp_path)
    chart = root / "resources/eventing/Chart.yaml"
    chart.write_text('# rbh: disable RBH002 reason="rendered by helm template in CI"\n' + chart.read_text())
    report = check(root)
    assert [(f["path"], f.get("suppressed")) for f in report["findings"] if f["rule"] == "RBH002"] == [
        ("installation/resources/loose.yaml", None), ("resources/eventing/Chart.yaml", "inline"),
        ("resources/eventing/charts/nats/Chart.yml", None), ("resources/istio/templates/gateway.yaml", None)]
