#!/usr/bin/env bash
# New-user trial, round 6 (bench/README.md "New-user trial, round 6"): rebuild four public
# repositories under /work/data/newuser6/ from their fetched mirrors (full history), write the
# rbh.yaml a new user would write after reading the README, and run rbh check (text and json),
# rbh index and the questions per repository (written before any answer was read).
#
#   bash bench/newuser_round6.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#   ROUND6_ASK=0 bash bench/newuser_round6.sh   # check only
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml and the rendered rule file are untracked, as a CI job would make them.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser6
mkdir -p "$DATA"

# clone NAME owner+repo COMMIT [patterns]: the mirror cloned into $DATA/NAME
# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# rommelporras/homelab: a Kubernetes homelab (458 commits): plain manifests per app under manifests/,
# Kustomize bases and overlays (the overlay's kustomization.yaml sets the namespace), Helm values in
# helm/ (the charts' Services are not in manifests/, HTTPRoutes route to them), PrometheusRules whose
# runbook_urls name GitHub blob URLs with `#AlertName` anchors into docs/runbooks/<area>.md (one
# `## AlertName` section per alert). Commands use wrapper names (`kubectl-homelab`, `kubectl-admin`).
clone rommel rommelporras+homelab ade2f5c
cat > "$DATA/rommel/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/runbooks/*.md", "docs/context/*.md"]
YAML

# hugomolinfresneda/homelab-stacks: docker compose stacks (284 commits), one folder per stack with a
# README, Prometheus rule files with runbook_urls into stacks/monitoring/runbooks/<Alert>.md, Grafana
# provisioning files (apiVersion: 1) next to them.
clone stacks hugomolinfresneda+homelab-stacks 037515d
cat > "$DATA/stacks/rbh.yaml" <<'YAML'
manifests:
  include: ["stacks/**/*.yaml", "stacks/**/*.yml"]
YAML

# cortexproject/cortex-jsonnet: a monitoring mixin (1,039 commits): one playbook file with a
# `### AlertName` section per alert, alerts in jsonnet without runbook_url (scripts/lint-playbooks.sh
# checks that each alert has a heading). Rendered with the jsonnet Python binding in a venv of its own.
clone cortex cortexproject+cortex-jsonnet c99aab2
JSONNET_VENV=/work/data/newuser5/jsonnet-venv
if [ ! -x "$JSONNET_VENV/bin/python" ]; then
  JSONNET_VENV=$DATA/jsonnet-venv
  [ -x "$JSONNET_VENV/bin/python" ] || { python3 -m venv "$JSONNET_VENV" && "$JSONNET_VENV/bin/pip" install -q jsonnet; }
fi
mkdir -p "$DATA/cortex/rendered"
(cd "$DATA/cortex" && "$JSONNET_VENV/bin/python" -c '
import _jsonnet, json
src = "std.manifestYamlDoc(((import \"cortex-mixin/config.libsonnet\") + (import \"cortex-mixin/groups.libsonnet\") + (import \"cortex-mixin/alerts.libsonnet\")).prometheusAlerts)"
print(json.loads(_jsonnet.evaluate_snippet("render", src)))' > rendered/alerts.yaml)
cat > "$DATA/cortex/rbh.yaml" <<'YAML'
runbooks:
  include: ["cortex-mixin/docs/*.md"]
manifests:
  include: ["rendered/*.yaml"]
YAML

# cloud-gov/cg-site: the cloud.gov Jekyll site (6,283 commits): collections `_docs/`, `_pages/`,
# `_kbarticles/` served at /docs/, /pages/ ...; `{{site.baseurl}}` links; images in `_assets/`.
# No rules. rbh's defaults.
clone cgsite cloud-gov+cg-site 536b459f

cat > "$DATA/questions.txt" <<'Q'
rommel|ArgocdRepoServerDown
rommel|AdGuardDNSDown
rommel|[FIRING:1] CertificateNotReady Certificate homelab-wildcard is not ready
rommel|a pod keeps getting OOMKilled, how do I raise its memory
rommel|the UPS is on battery power, what do I do
rommel|longhorn volume is degraded after a node reboot
rommel|how do I unseal vault after a restart
stacks|BlackboxExporterDown
stacks|ResticBackupStaleHard
stacks|[FIRING:1] CloudflaredTunnelDown Cloudflared tunnel appears down
stacks|how do I restore nextcloud from a backup
stacks|telegram alerts are not arriving
stacks|the backup disk is not mounted
cortex|CortexIngesterReachingSeriesLimit
cortex|CortexRequestLatency
cortex|[FIRING:1] CortexIngesterTSDBWALCorrupted Cortex Ingester ingester-3 in prod/cortex got a corrupted TSDB WAL.
cortex|[FIRING:1] CortexCompactorHasNotSuccessfullyRunCompaction Cortex Compactor compactor-0 in prod/cortex has not run compaction in the last 24 hours.
cortex|ingester ran out of disk space
cortex|store-gateway has not synced the bucket
cortex|queries are slow on the read path
cgsite|my app crashes on startup after cf push
cgsite|how do I set up a custom domain for my app
cgsite|how do I rotate service credentials
cgsite|how do I see my application logs
cgsite|how to ssh into a running app instance
cgsite|my database service is running out of storage
Q

NAMES=${ROUND6_NAMES:-rommel stacks cortex cgsite}
for name in $NAMES; do
  check_counts "$name"
done

# what a new user sees first, before writing any rbh.yaml
for name in rommel stacks; do
  cd "$DATA/$name"
  mv rbh.yaml rbh.yaml.round6
  "$RBH" check --format json --fail-on never > "$DATA/$name.noconf.json" 2>/dev/null || true
  mv rbh.yaml.round6 rbh.yaml
  python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["summary"]; print("%-10s (no rbh.yaml) runbooks %4d  errors %3d  warnings %3d" % (sys.argv[2], s["runbooks_checked"], s["error"], s["warning"]))' "$DATA/$name.noconf.json" "$name"
done

[ "${ROUND6_ASK:-1}" = 1 ] || exit 0
for name in $NAMES; do
  ask_questions "$name"
done
