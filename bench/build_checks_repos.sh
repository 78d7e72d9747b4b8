#!/usr/bin/env bash
# Rebuild the real-repository dev scenarios for the checks (issue 12) under /work/data/checks/.
#
# Each scenario is a clone of the public repository with its full git history (so rbh check sees the
# real history: alert removals, renames), a sparse checkout of the runbooks and alert rules only (the
# large test blobs are left out), and an rbh.yaml written next to them and excluded from git.
# The mirrors come from the session's `fetch` tool (/work/.mirror/<owner>+<name>/repo).
#
#   bench/build_checks_repos.sh [DATA_DIR]      # default /work/data/checks
set -euo pipefail
DATA=${1:-/work/data/checks}
MIRROR=${MIRROR:-/work/.mirror}
mkdir -p "$DATA"

scenario() {  # name mirror sparse-paths... -- rbh.yaml text on stdin
  local name=$1 mirror=$2; shift 2
  local dir=$DATA/$name
  rm -rf "$dir"
  git clone -q --shared --no-checkout "$MIRROR/$mirror/repo" "$dir"
  git -C "$dir" sparse-checkout set --no-cone "$@"
  git -C "$dir" checkout -q HEAD 2>/dev/null || git -C "$dir" checkout -q "$(git -C "$dir" rev-parse HEAD)"
  cat > "$dir/rbh.yaml"
  printf 'rbh.yaml\n.rbh/\n' >> "$dir/.git/info/exclude"
  echo "$name: $(git -C "$dir" rev-parse --short HEAD), $(git -C "$dir" rev-list --count HEAD) commits"
}

# Section-per-alert single file: mixin/runbook.md, alerts in examples/alerts/alerts.yaml.
scenario thanos thanos-io+thanos /mixin/ /examples/alerts/ /mkdocs.yml <<'YAML'
runbooks:
  include: ["mixin/runbook.md", "mixin/README.md"]
manifests:
  include: ["examples/alerts/*.yaml"]
check:
  runbook_urls:
    prefixes:
      "https://github.com/thanos-io/thanos/tree/*/": ""
YAML

# One alert per file (H1 = alert name), deprecated pages in their own folder; the rules live in Go in
# kubevirt/kubevirt and HCO, so rules/ holds the alerts the ask helper extracted from their promtool
# tests (/work/data/ask/kubevirt/rules), copied in untracked: no rule history here.
scenario kubevirt kubevirt+monitoring /docs/ <<'YAML'
runbooks:
  include: ["docs/runbooks/*.md", "docs/deprecated_runbooks/*.md"]
manifests:
  include: ["rules/*.yaml"]
check:
  runbook_urls:
    prefixes:
      "https://kubevirt.io/monitoring/runbooks/": "docs/runbooks/"
YAML
mkdir -p "$DATA/kubevirt/rules"
cp /work/data/ask/kubevirt/rules/kubevirt-alerts.yaml "$DATA/kubevirt/rules/" 2>/dev/null || echo "kubevirt: no extracted rules (run the ask helper's bench/build_ask_sets.py)"
echo "rules/" >> "$DATA/kubevirt/.git/info/exclude"

# One alert per file next to its Helm-templated rule snippets, both in one repository.
scenario cnpg cloudnative-pg+charts /charts/cluster/ <<'YAML'
runbooks:
  include: ["charts/cluster/docs/runbooks/*.md"]
manifests:
  include: ["rules/*.yaml"]
check:
  runbook_urls:
    prefixes:
      "https://github.com/cloudnative-pg/charts/blob/*/": ""
YAML
# The chart's rule files are Helm-templated snippets (RBH002 skips them); rules/ holds the rendered
# alerts from the ask helper's set (/work/data/ask/cnpg/rules), untracked.
mkdir -p "$DATA/cnpg/rules"
cp /work/data/ask/cnpg/rules/cnpg-alerts.yaml "$DATA/cnpg/rules/" 2>/dev/null || echo "cnpg: no rendered rules"
echo "rules/" >> "$DATA/cnpg/.git/info/exclude"

# Section-per-alert single file with compiled mixin alerts (JSON-style YAML), anchors in the alert's case.
scenario tempo grafana+tempo /operations/tempo-mixin/ /operations/tempo-mixin-compiled/ <<'YAML'
runbooks:
  include: ["operations/tempo-mixin/runbook.md"]
manifests:
  include: ["operations/tempo-mixin-compiled/alerts.yaml"]
check:
  runbook_urls:
    prefixes:
      "https://github.com/grafana/tempo/tree/*/": ""
YAML

# Section-per-alert SOP files (many repeated `### Impact` headings) with generated PrometheusRule files;
# alerts link with a `runbook` annotation, anchors in GitHub style.
scenario rhobs rhobs+configuration /docs/ /resources/observability/prometheusrules/ <<'YAML'
runbooks:
  include: ["docs/sop/*.md"]
manifests:
  include: ["resources/observability/prometheusrules/*.prometheusrules.yaml"]
check:
  runbook_urls:
    prefixes:
      "https://github.com/rhobs/configuration/blob/*/": ""
YAML

# Hugo, one alert per file with front matter (`title: ApcUpsHighLoad`), service folders, alerts in
# rules/**.yml linking with a `runbook` annotation to lower-cased Hugo URLs. Run once as a new user
# would (no case_insensitive), the suggested config is in rbh.case-insensitive.yaml.
scenario srerun srerun+prometheus-alerts /content/ /rules/ /config.yaml <<'YAML'
runbooks:
  include: ["content/runbooks/**/*.md"]
  exclude: ["**/_index.md"]
manifests:
  include: ["rules/**/*.yml"]
check:
  runbook_urls:
    prefixes:
      "https://srerun.github.io/prometheus-alerts/runbooks/": "content/runbooks/"
YAML
