#!/usr/bin/env bash
# New-user trial, round 13 (bench/README.md "New-user trial, round 13"): rebuild two public
# repositories under /work/data/newuser13/ from their fetched mirrors (full history), write the
# rbh.yaml a new user would write after reading the README, and run rbh check (text and json; first
# without rbh.yaml), rbh check --fail-on error as CI would, rbh index and nine questions per
# repository (written down before any answer was read).
#
#   bash bench/newuser_round13.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#   ROUND13_ASK=0 bash bench/newuser_round13.sh   # check only
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml is untracked, as a CI job would make it.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser13
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# openshift/elasticsearch-operator (1336 commits): an operator whose alert rules
# (files/prometheus_alerts.yml, a Go template the operator fills) link one long runbook page,
# docs/alerts.md (a `## Title` section per alert, "### Troubleshooting" under each), with
# `runbook_url: "[[.RunbookBaseURL]]#Elasticsearch-Cluster-Health-is-Red"` (the base is set by the
# operator's environment); beside it troubleshooting and PVC-recovery pages, its kubebuilder install
# manifests (config/), the OLM bundle (bundle/manifests/).
clone eo openshift+elasticsearch-operator 81cd6e70c15eea7c947e5f2aee3a9a2ba3b0806e
cat > "$DATA/eo/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
manifests:
  include: ["files/*.yml", "config/**/*.yaml", "bundle/manifests/*.yaml"]
YAML

# 2i2c-org/infrastructure (16704 commits): a hosting team's infrastructure guide as a MyST (mystmd)
# site (docs/**/*.md: SRE guide, how-tos, hub deployment runbooks, topic guides), cross-referenced by
# MyST targets (`(label)=` lines, `:name:` options) and `[text](#label)` links across pages; its
# Helm charts (helm-charts/basehub, helm-charts/support: templates, values, alert rules in jsonnet),
# per-cluster values (config/clusters/), Terraform.
clone 2i2c 2i2c-org+infrastructure 9ad7cd0fc3502161a038b0e99302556098018199
cat > "$DATA/2i2c/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
manifests:
  include: ["helm-charts/basehub/templates/**/*.y*ml", "helm-charts/support/templates/**/*.y*ml"]
YAML

cat > "$DATA/questions.txt" <<'Q'
eo|ElasticsearchClusterNotHealthy
eo|elasticsearch cluster health is yellow
eo|elasticsearch node disk flood watermark reached, indices are read-only
eo|ElasticsearchJVMHeapUseHigh
eo|write requests are being rejected by elasticsearch
eo|how do I unblock indices marked read-only-allow-delete
eo|how do I delete logs for a specific namespace
eo|recover elasticsearch data from a previous PVC
eo|ElasticsearchHighFileDescriptorUsage
2i2c|prometheus server is running out of disk space
2i2c|a user's home directory is too big, how do I reset it
2i2c|how do I increase the size of the NFS home directory disk
2i2c|a user server is stuck in pending
2i2c|how do I ssh into a node for debugging
2i2c|how do I look at the logs of a hub that crashed
2i2c|cluster autoscaler is not scaling up nodes
2i2c|how do I restore a filesystem from backup
2i2c|the prometheus pod ran out of memory
Q

# what a new user sees first, before writing any rbh.yaml
noconf_counts eo
noconf_counts 2i2c

run_round 13 "eo 2i2c"
