#!/usr/bin/env bash
# New-user trial, round 12 (bench/README.md "New-user trial, round 12"): rebuild a public repository
# under /work/data/newuser12/ from its fetched mirror (full history), write the rbh.yaml a new user
# would write after reading the README, and run rbh check (text and json; first without rbh.yaml) and
# rbh check --fail-on error as CI would. Check only, no questions this round.
#
#   bash bench/newuser_round12.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml is untracked, as a CI job would make it.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser12
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# cloudnative-pg/cloudnative-pg (5139 commits): a PostgreSQL operator whose user guide is an MkDocs
# site in docs/src/*.md (troubleshooting, failover, backup and recovery, monitoring, fencing,
# declarative hibernation ...) beside its samples (docs/src/samples/*.yaml: Cluster, Backup,
# Pooler ... and monitoring/: a PrometheusRule and the chart's alert values) and its install
# manifests (config/: CRDs, RBAC, manager, webhooks, OLM).
clone cnpg cloudnative-pg+cloudnative-pg a95a534db
cat > "$DATA/cnpg/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/src/**/*.md"]
manifests:
  include: ["docs/src/samples/**/*.yaml", "config/**/*.yaml"]
YAML

# what a new user sees first, before writing any rbh.yaml
noconf_counts cnpg

run_round 12 cnpg no-asks
