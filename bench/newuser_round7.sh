#!/usr/bin/env bash
# New-user trial, round 7 (bench/README.md "New-user trial, round 7"): rebuild three public
# repositories under /work/data/newuser7/ from their fetched mirrors (full history), write the
# rbh.yaml a new user would write after reading the README, and run rbh check (text and json),
# rbh index and the questions per repository (written before any answer was read).
#
#   bash bench/newuser_round7.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#   ROUND7_ASK=0 bash bench/newuser_round7.sh   # check only
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml is untracked, as a CI job would make it.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser7
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# DFE-Digital/teacher-services-cloud: an AKS platform run with Terraform (1,413 commits): the
# Kubernetes objects are Terraform resources (`cluster/terraform_kubernetes/*.tf`, helm_release and
# kubernetes_* resources), the Prometheus rules Terraform templates (`*.rules.tmpl`, alert names with
# spaces and `${...}`), runbooks and how-tos in `documentation/*.md` (GitHub-rendered, emoji headings).
clone tsc DFE-Digital+teacher-services-cloud 2745420
cat > "$DATA/tsc/rbh.yaml" <<'YAML'
runbooks:
  include: ["documentation/*.md"]
manifests:
  include: ["cluster/terraform_kubernetes/config/prometheus/alertmanager/*.rules.tmpl"]
YAML

# nais/doc: the NAIS platform docs (4,039 commits), Diataxis per feature (`docs/<area>/how-to|reference|
# explanations/`), formerly MkDocs Material + mkdocs-macros, now rendered by a SvelteKit app (`svdoc/`):
# Jinja `{% include 'auth/partials/x.md' %}` partials, `<<tenant_url("grafana")>>` macros, content tabs.
clone nais nais+doc 9fb61544
cat > "$DATA/nais/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
YAML

# rook/rook: the Rook Ceph operator (14,329 commits): an MkDocs Material site in `Documentation/`
# (awesome-pages `.pages`, macros), troubleshooting guides, example manifests in `deploy/examples/`
# with a PrometheusRule of 89 Ceph alerts (no runbook_url; `documentation:` links to docs.ceph.com).
clone rook rook+rook d0c3b9ce6
cat > "$DATA/rook/rbh.yaml" <<'YAML'
runbooks:
  include: ["Documentation/**/*.md"]
manifests:
  include: ["deploy/examples/**/*.yaml"]
YAML

cat > "$DATA/questions.txt" <<'Q'
tsc|High disk usage for node
tsc|how do I upgrade the AKS cluster to a new kubernetes version
tsc|a database was deleted by mistake, how do I restore the postgres server
tsc|how do I enable the maintenance page for a service
tsc|outbound connections failing with SNAT port exhaustion
tsc|the front door certificate is pending revalidation
nais|my application pod is crashlooping, how do I find out why
nais|how do I see the logs of my application
nais|how do I set up an alert for my application
nais|kafka consumer lag is growing, how to troubleshoot
nais|naisdevice cannot connect
nais|how do I restore a postgres database from a backup
rook|CephMonDownQuorumAtRisk
rook|[FIRING:1] CephOSDDown An OSD has been marked down on cluster rook-ceph
rook|an OSD pod is in CrashLoopBackOff
rook|PVC is stuck pending, the csi provisioner fails to create the volume
rook|how do I remove a failed OSD from the cluster
rook|how do I restore the mon quorum when only one mon is left
rook|the ceph cluster is in HEALTH_WARN with too many PGs per OSD
Q

NAMES=${ROUND7_NAMES:-tsc nais rook}
for name in $NAMES; do
  check_counts "$name"
done

# what a new user sees first, before writing any rbh.yaml
for name in $NAMES; do
  noconf_counts "$name"
done

# the mistake a team makes next: the Terraform that defines the cluster named as manifests
if [[ " $NAMES " == *" tsc "* ]]; then
  cd "$DATA/tsc"
  mv rbh.yaml rbh.yaml.round7
  cat > rbh.yaml <<'YAML'
runbooks:
  include: ["documentation/*.md"]
manifests:
  include: ["cluster/terraform_kubernetes/**/*.tf", "cluster/terraform_kubernetes/config/prometheus/alertmanager/*.tmpl"]
YAML
  "$RBH" check --format json --fail-on never > "$DATA/tsc.tf.json" 2>/dev/null || true
  mv rbh.yaml.round7 rbh.yaml
  python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["summary"]; print("%-10s (.tf as manifests) runbooks %4d  manifests %3d  errors %3d  warnings %3d" % ("tsc", s["runbooks_checked"], s.get("manifest_files", 0), s["error"], s["warning"]))' "$DATA/tsc.tf.json"
fi

[ "${ROUND7_ASK:-1}" = 1 ] || exit 0
for name in $NAMES; do
  ask_questions "$name"
done
